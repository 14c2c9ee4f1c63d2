"""Event collection tables (issue #5)."""
