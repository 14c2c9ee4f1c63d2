"""Transactional outbox: domain events written in the same transaction as the data.

Higher layers (workers, webhooks, segment refresh, identity resolution) read this table
through named consumers; lower domains never call them directly.

Each consumer keeps a cursor: the highest event id it has read, and the *gaps* below it —
ids it has not seen yet. Ids are taken when a row is inserted but become visible only when
its transaction commits, so a long transaction (an import) commits events with ids smaller
than ones already read; a plain "id > cursor" would skip them forever. Gaps are re-read on
every poll and delivered when they appear; a gap still empty after ``GAP_TIMEOUT`` belonged
to a transaction that rolled back and is forgotten. Delivery is therefore at least once per
consumer and in id order except for late commits; consumers must be idempotent.
"""

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Identity, Index, Text, and_, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from hoso.core.clock import utcnow
from hoso.core.db import Base

# How long an id may stay missing before the cursor gives up on it (its transaction rolled
# back). Longer than any transaction hoso runs: a million-row import commits in minutes.
GAP_TIMEOUT_S = 6 * 3600
# At most this many gaps are remembered; beyond it the oldest are given up early.
MAX_GAPS = 5000


class OutboxEvent(Base):
    """A domain event waiting for the workers."""

    __tablename__ = "outbox_event"
    __table_args__ = (Index(None, "id", postgresql_where="processed_at IS NULL"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    workspace_id: Mapped[UUID]
    topic: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]


class OutboxCursor(Base):
    """How far one consumer has read the outbox: the highest id, and the ids missing below."""

    __tablename__ = "outbox_cursor"

    consumer: Mapped[str] = mapped_column(Text, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # [[first_id, last_id, unix time first missed], ...]: id ranges not seen yet.
    gaps: Mapped[list[list[int]]] = mapped_column(JSONB, default=list, server_default="[]")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


def emit(session: Session, workspace_id: UUID, topic: str, **payload: Any) -> None:
    """Write a domain event to the outbox in the caller's transaction."""
    session.add(
        OutboxEvent(
            workspace_id=workspace_id,
            topic=topic,
            payload={k: str(v) if isinstance(v, UUID) else v for k, v in payload.items()},
        )
    )


@dataclass(frozen=True, slots=True)
class Delivered:
    """One event handed to a consumer."""

    id: int
    workspace_id: UUID
    topic: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Batch:
    """What one read of the outbox gave a consumer: how many events it passed, which were its."""

    scanned: int
    events: list[Delivered]


def _missing(lo: int, hi: int, seen: list[int], since: int) -> list[list[int]]:
    """The sub-ranges of [lo, hi] not in ``seen`` (sorted), each stamped ``since``."""
    out: list[list[int]] = []
    start = lo
    for got in seen:
        if got > start:
            out.append([start, got - 1, since])
        start = max(start, got + 1)
    if start <= hi:
        out.append([start, hi, since])
    return out


def consume(
    session: Session, consumer: str, topics: frozenset[str], *, limit: int = 500
) -> Batch | None:
    """Read the consumer's next events of ``topics`` and move its cursor past them.

    The cursor moves in the caller's transaction: if the caller's work fails and rolls back,
    the same events are delivered again. Returns None when another worker holds this
    consumer (its cursor row is locked); ``scanned`` is 0 when nothing new has arrived.
    Events of other topics are passed over (the cursor moves past them too).
    """
    session.execute(insert(OutboxCursor).values(consumer=consumer).on_conflict_do_nothing())
    cursor = session.scalars(
        select(OutboxCursor)
        .where(OutboxCursor.consumer == consumer)
        .with_for_update(skip_locked=True)
    ).first()
    if cursor is None:
        return None
    now = int(time.time())
    columns = (
        OutboxEvent.id,
        OutboxEvent.workspace_id,
        OutboxEvent.topic,
        OutboxEvent.payload,
        OutboxEvent.created_at,
    )
    gaps = [g for g in cursor.gaps if now - g[2] < GAP_TIMEOUT_S][-MAX_GAPS:]
    late = (
        session.execute(
            select(*columns)
            .where(or_(*(and_(OutboxEvent.id >= g[0], OutboxEvent.id <= g[1]) for g in gaps)))
            .order_by(OutboxEvent.id)
            .limit(limit)
        ).all()
        if gaps
        else []
    )
    fresh = session.execute(
        select(*columns)
        .where(OutboxEvent.id > cursor.last_id)
        .order_by(OutboxEvent.id)
        .limit(limit)
    ).all()
    late_ids = [r.id for r in late]
    remaining: list[list[int]] = []
    for lo, hi, since in gaps:
        remaining += _missing(lo, hi, [i for i in late_ids if lo <= i <= hi], since)
    if fresh:
        remaining += _missing(cursor.last_id + 1, fresh[-1].id, [r.id for r in fresh], now)
        cursor.last_id = fresh[-1].id
    rows = [*late, *fresh]
    if rows or remaining != cursor.gaps:
        cursor.gaps = remaining[-MAX_GAPS:]
        cursor.updated_at = utcnow()
        session.flush()
    events = [
        Delivered(r.id, r.workspace_id, r.topic, dict(r.payload), r.created_at)
        for r in rows
        if r.topic in topics
    ]
    return Batch(len(rows), events)
