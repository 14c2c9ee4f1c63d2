"""Identity resolution commands (issue #4): ``hoso dedupe``, ...."""
