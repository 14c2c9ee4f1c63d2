"""Event collection (issue #5): Segment-compatible sources, landed events, processing."""
