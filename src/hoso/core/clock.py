"""Time helpers: every timestamp in hoso is timezone-aware."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)
