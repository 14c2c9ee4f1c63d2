"""Event collection: the only write path for sources, landed events and their processing."""
