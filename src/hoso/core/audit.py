"""Append-only audit log of every change: who, what, on which subject, masked before/after.

The table refuses UPDATE and DELETE with a trigger (see the first migration), so even a bug or
a compromised service account cannot rewrite history through the application's role.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Identity, Index, Text, func
from sqlalchemy.orm import Mapped, Session, mapped_column

from hoso.core.actor import Actor
from hoso.core.db import Base
from hoso.core.masking import mask


class AuditEvent(Base):
    """One change or sensitive read, with masked before/after values."""

    __tablename__ = "audit_event"
    __table_args__ = (Index(None, "workspace_id", "subject_type", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    workspace_id: Mapped[UUID | None]
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor_kind: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[UUID | None]
    actor_display: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text)
    subject_type: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[UUID | None]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    subject_type: str,
    subject_id: UUID | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit event in the caller's transaction, with personal data masked."""
    session.add(
        AuditEvent(
            workspace_id=actor.workspace_id,
            actor_kind=actor.kind.value,
            actor_id=actor.id,
            actor_display=actor.display,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            before=mask(before) if before is not None else None,
            after=mask(after) if after is not None else None,
        )
    )
