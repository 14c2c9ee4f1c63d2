"""Identity resolution: the only write path for merges, unmerges and review decisions."""
