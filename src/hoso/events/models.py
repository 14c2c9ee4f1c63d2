"""Event collection tables (issue #5).

``event_landed`` is the hot table: the accept path writes it with one multi-row statement per
group of requests, so it carries no foreign keys (each would cost an index probe per row) and
only the indexes dedupe, processing and the realtime page need. See docs/adr/0006.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hoso.core.db import Base
from hoso.core.ids import uuid7

SOURCE_KINDS = ("website", "app", "pos", "server")


class EventSource(Base):
    """Where events come from (a website, an app, a POS): one write key each."""

    __tablename__ = "event_source"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        UniqueConstraint("write_key"),
        CheckConstraint("kind IN ('website','app','pos','server')", name="kind"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, default="website", server_default="website")
    # A write key is a publishable identifier (it sits in every page of a website), not a
    # secret: it is stored as is, so the sources page can show the snippet to copy.
    write_key: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    rotated_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]


class LandedEvent(Base):
    """One accepted event exactly as received, committed before the 200; applied later."""

    __tablename__ = "event_landed"
    __table_args__ = (
        # Dedupe: a retried event or batch (same source and messageId) is never stored twice.
        # Unbounded in time (Segment promises 24 h).
        UniqueConstraint("source_id", "message_id"),
        # The processing queue: only unapplied rows are in it, so it stays small.
        Index("ix_event_landed_pending", "id", postgresql_where=text("applied_at IS NULL")),
        # The realtime page reads the last 30 minutes; BRIN costs almost nothing on insert.
        Index("ix_event_landed_received_at", "received_at", postgresql_using="brin"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    workspace_id: Mapped[UUID]
    source_id: Mapped[UUID]
    message_id: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(Text)
    anonymous_id: Mapped[str | None] = mapped_column(Text)
    event: Mapped[str | None] = mapped_column(Text)  # the track event's name
    original_timestamp: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    # Skew-corrected: received_at - (sent_at - original_timestamp); the timeline's time.
    timestamp: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    applied_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class DeadLetter(Base):
    """An event that parsed but could not be landed or applied, with the reason; replayable."""

    __tablename__ = "event_dead_letter"
    __table_args__ = (
        UniqueConstraint("source_id", "message_id"),
        Index(
            "ix_event_dead_letter_open",
            "workspace_id",
            "id",
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    workspace_id: Mapped[UUID]
    source_id: Mapped[UUID]
    message_id: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)  # an error code with vi/en text in hoso.core.i18n
    detail: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    payload: Mapped[dict[str, Any]]  # the event as received ({"_raw": value} if not an object)
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    landed_id: Mapped[int | None] = mapped_column(BigInteger)  # set for processing failures
    attempts: Mapped[int] = mapped_column(default=1, server_default="1")
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)  # "replayed", "discarded"


class Account(Base):
    """A company account a customer belongs to (Segment ``group``)."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("workspace_id", "group_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    group_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    # Per trait, the event time that last set it: a late event never overwrites a newer value.
    trait_times: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'::jsonb")
    )
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AccountMember(Base):
    """A customer's link to a company account."""

    __tablename__ = "account_member"
    __table_args__ = (
        UniqueConstraint("account_id", "profile_id"),
        # A merge moves the merged customer's memberships the survivor does not have yet.
        {"info": {"on_profile_merge": {"unique": ["account_id"]}}},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    account_id: Mapped[UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    profile_id: Mapped[UUID] = mapped_column(
        ForeignKey("profile.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    first_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())


class StitchRequest(Base):
    """Two profiles that events showed to be one customer, and what became of the merge.

    Written when stitching needs a merge (alias of two profiles, an anonymous visitor
    identified as a customer who already has a profile); the applier then merges them through
    identity resolution (``status`` merged, ``merge_id``) or records why it could not.
    """

    __tablename__ = "event_stitch"
    __table_args__ = (
        UniqueConstraint("survivor_id", "merged_id"),
        CheckConstraint("status IN ('pending','merged','refused')", name="status"),
        # The record of a decision about two profiles: it never moves with either.
        {"info": {"on_profile_merge": "keep"}},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    survivor_id: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    merged_id: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)  # "alias", "identify"
    evidence: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(Text, default="pending", server_default="pending")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    decided_at: Mapped[datetime | None]
    merge_id: Mapped[UUID | None]  # the identity_merge decision, once merged
    error: Mapped[str | None] = mapped_column(Text)
