"""Transactional outbox: domain events written in the same transaction as the data.

Higher layers (workers, webhooks, segment refresh) read this table; lower domains never call
them directly.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Identity, Index, Text, func
from sqlalchemy.orm import Mapped, Session, mapped_column

from hoso.core.db import Base


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


def emit(session: Session, workspace_id: UUID, topic: str, **payload: Any) -> None:
    """Write a domain event to the outbox in the caller's transaction."""
    session.add(
        OutboxEvent(
            workspace_id=workspace_id,
            topic=topic,
            payload={k: str(v) if isinstance(v, UUID) else v for k, v in payload.items()},
        )
    )
