"""Event collection commands (issue #5): ``hoso source ...``."""
