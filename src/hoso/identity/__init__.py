"""Identity resolution (issue #4): which profiles are one customer, merges and their undo."""
