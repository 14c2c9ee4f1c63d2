"""Identity resolution tables (issue #4)."""
