"""Read side of event collection: the realtime board, dead letters, stitches (SQL first)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from hoso.core.clock import utcnow
from hoso.events.models import DeadLetter, EventSource, LandedEvent, StitchRequest

TYPES = ("identify", "track", "page", "screen", "group", "alias")


@dataclass(frozen=True, slots=True)
class Minute:
    """Events received in one minute, by type."""

    at: datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        """All events of the minute."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Recent:
    """One of the latest events."""

    id: int
    type: str
    event: str | None
    user_id: str | None
    anonymous_id: str | None
    source: str
    timestamp: datetime
    received_at: datetime
    applied: bool


@dataclass(frozen=True, slots=True)
class Board:
    """The realtime board: the last minutes, the latest events, the processing lag."""

    minutes: list[Minute]
    latest: list[Recent]
    received: int
    by_type: dict[str, int]
    pending: int
    lag_seconds: float
    dead_letters: int
    stitches: int

    @property
    def peak(self) -> int:
        """The busiest minute's count (scales the chart)."""
        return max((m.total for m in self.minutes), default=0)


def board(session: Session, *, workspace_id: UUID, minutes: int = 30) -> Board:
    """The last ``minutes`` of events of a workspace, the latest 20, and the processing lag."""
    now = utcnow()
    start = (now - timedelta(minutes=minutes - 1)).replace(second=0, microsecond=0)
    bucket = func.date_trunc("minute", LandedEvent.received_at)
    per_minute: dict[datetime, dict[str, int]] = {}
    for at, kind, count in session.execute(
        select(bucket, LandedEvent.type, func.count())
        .where(LandedEvent.workspace_id == workspace_id, LandedEvent.received_at >= start)
        .group_by(bucket, LandedEvent.type)
    ):
        per_minute.setdefault(at, {})[kind] = count
    series = [
        Minute(start + timedelta(minutes=i), per_minute.get(start + timedelta(minutes=i), {}))
        for i in range(minutes)
    ]
    by_type: dict[str, int] = {}
    for m in series:
        for kind, count in m.counts.items():
            by_type[kind] = by_type.get(kind, 0) + count
    latest = [
        Recent(*row)
        for row in session.execute(
            select(
                LandedEvent.id,
                LandedEvent.type,
                LandedEvent.event,
                LandedEvent.user_id,
                LandedEvent.anonymous_id,
                EventSource.name,
                LandedEvent.timestamp,
                LandedEvent.received_at,
                LandedEvent.applied_at.is_not(None),
            )
            .join(EventSource, EventSource.id == LandedEvent.source_id)
            .where(LandedEvent.workspace_id == workspace_id)
            .order_by(LandedEvent.id.desc())
            .limit(20)
        )
    ]
    row = session.execute(
        select(func.count(), func.min(LandedEvent.received_at)).where(
            LandedEvent.applied_at.is_(None), LandedEvent.workspace_id == workspace_id
        )
    ).one()
    pending: int = row[0]
    oldest: datetime | None = row[1]
    dead = session.scalar(
        select(func.count())
        .select_from(DeadLetter)
        .where(DeadLetter.workspace_id == workspace_id, DeadLetter.resolved_at.is_(None))
    )
    stitches = session.scalar(
        select(func.count())
        .select_from(StitchRequest)
        .where(
            StitchRequest.workspace_id == workspace_id,
            StitchRequest.status.in_(("pending", "refused")),
        )
    )
    return Board(
        minutes=series,
        latest=latest,
        received=sum(by_type.values()),
        by_type=by_type,
        pending=int(pending),
        lag_seconds=(now - oldest).total_seconds() if oldest is not None else 0.0,
        dead_letters=int(dead or 0),
        stitches=int(stitches or 0),
    )


def list_dead_letters(
    session: Session, *, workspace_id: UUID, open_only: bool = True, limit: int = 200
) -> list[tuple[DeadLetter, str]]:
    """Dead letters with their source's name, newest first."""
    query = (
        select(DeadLetter, EventSource.name)
        .join(EventSource, EventSource.id == DeadLetter.source_id)
        .where(DeadLetter.workspace_id == workspace_id)
        .order_by(DeadLetter.id.desc())
        .limit(limit)
    )
    if open_only:
        query = query.where(DeadLetter.resolved_at.is_(None))
    return [(d, name) for d, name in session.execute(query)]


def processing_lag(session: Session) -> dict[str, Any]:
    """Across workspaces: pending events and the age of the oldest (the benchmark reads it)."""
    pending, oldest = session.execute(
        text("SELECT count(*), min(received_at) FROM event_landed WHERE applied_at IS NULL")
    ).one()
    return {
        "pending": int(pending),
        "lag_seconds": (utcnow() - oldest).total_seconds() if oldest is not None else 0.0,
    }
