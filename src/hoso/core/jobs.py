"""The job queue: a PostgreSQL table claimed with ``FOR UPDATE SKIP LOCKED``.

Services enqueue in the caller's transaction (a job exists only if the data it works on was
committed); workers (``hoso.jobs``) claim one job at a time. Several worker processes or
threads can share the queue; a job whose worker died is claimed again once its lease expires.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, Index, Text, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from hoso.core.clock import utcnow
from hoso.core.db import Base
from hoso.core.ids import uuid7

LEASE = timedelta(minutes=30)


class Job(Base):
    """One unit of background work: a kind, JSON arguments (ids, never objects), a state."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("status IN ('queued','running','done','failed')", name="status"),
        Index("ix_job_ready", "run_after", postgresql_where=text("status IN ('queued','running')")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID | None]
    kind: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(Text, default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(default=3, server_default="3")
    run_after: Mapped[datetime] = mapped_column(server_default=func.now())
    lease_until: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]


def enqueue(
    session: Session,
    kind: str,
    *,
    workspace_id: UUID | None,
    max_attempts: int = 3,
    **payload: Any,
) -> Job:
    """Add a job in the caller's transaction; it becomes visible to workers on commit."""
    job = Job(
        workspace_id=workspace_id,
        kind=kind,
        max_attempts=max_attempts,
        payload={k: str(v) if isinstance(v, UUID) else v for k, v in payload.items()},
    )
    session.add(job)
    session.flush()
    return job


def claim(session: Session, *, worker: str, kinds: list[str]) -> Job | None:
    """Take the oldest ready job (queued, or running with an expired lease), or None."""
    now = utcnow()
    job = session.scalars(
        select(Job)
        .where(
            Job.kind.in_(kinds),
            Job.run_after <= now,
            (Job.status == "queued") | ((Job.status == "running") & (Job.lease_until < now)),
        )
        .order_by(Job.run_after, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job is None:
        return None
    job.status, job.worker, job.lease_until = "running", worker, now + LEASE
    job.attempts += 1
    session.flush()
    return job


def finish(
    session: Session, job_id: UUID, *, error: str | None = None, retry_in: timedelta | None = None
) -> None:
    """Record a job's end: done, failed for good, or queued again after ``retry_in``."""
    job = session.get_one(Job, job_id, with_for_update=True)
    if error is None:
        job.status, job.error = "done", None
        job.finished_at = utcnow()
    elif retry_in is not None and job.attempts < job.max_attempts:
        job.status, job.error, job.run_after = "queued", error, utcnow() + retry_in
    else:
        job.status, job.error = "failed", error
        job.finished_at = utcnow()
    job.lease_until = None
    session.flush()
