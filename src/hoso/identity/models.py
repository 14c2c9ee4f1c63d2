"""Identity resolution tables (issue #4): settings, merges, candidate pairs, shared values."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hoso.core.db import Base
from hoso.core.ids import uuid7

WS_FK = "workspace.id"
# Rows of these tables name profiles but are about the merge itself: a merge never moves them.
KEEP_ON_MERGE = {"on_profile_merge": "keep"}


class IdentitySettings(Base):
    """A workspace's matching settings: thresholds, the trained model, survivorship."""

    __tablename__ = "identity_settings"
    __table_args__ = (
        CheckConstraint(
            "review_threshold > 0 AND review_threshold <= auto_merge_threshold "
            "AND auto_merge_threshold <= 1",
            name="thresholds",
        ),
    )

    workspace_id: Mapped[UUID] = mapped_column(
        ForeignKey(WS_FK, ondelete="CASCADE"), primary_key=True
    )
    # Merge automatically at or above the first, queue for review at or above the second.
    auto_merge_threshold: Mapped[float] = mapped_column(default=0.99, server_default="0.99")
    review_threshold: Mapped[float] = mapped_column(default=0.8, server_default="0.8")
    auto_merge: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # The Fellegi-Sunter model trained on this workspace (hoso.engine.matching), as JSON.
    model: Mapped[dict[str, Any] | None]
    model_trained_at: Mapped[datetime | None]
    model_records: Mapped[int | None]
    # Survivorship: per field, rule names in order; source pattern -> trust.
    field_rules: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'::jsonb")
    )
    source_trust: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class IdentityMerge(Base):
    """One merge decision: who or what decided, why, with what evidence, and how to undo it.

    ``snapshot`` holds both profiles as they were; ``moved`` lists, per table, the rows that
    went from the merged profile to the survivor. Undoing moves exactly those rows back.
    """

    __tablename__ = "identity_merge"
    __table_args__ = (
        CheckConstraint("status IN ('active','undone')", name="status"),
        CheckConstraint("method IN ('rule','model','manual','event')", name="method"),
        Index(None, "workspace_id", "created_at"),
        Index(None, "survivor_id"),
        Index(None, "merged_id"),
        {"info": KEEP_ON_MERGE},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    survivor_id: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    merged_id: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(Text, default="active", server_default="active")
    method: Mapped[str] = mapped_column(Text)  # rule | model | manual | event
    rule: Mapped[str | None] = mapped_column(Text)  # e.g. "exact:email", "event:alias"
    probability: Mapped[float | None]
    match_weight: Mapped[float | None]
    explanation: Mapped[list[Any]] = mapped_column(
        JSONB,
        default=list,
        server_default=text("'[]'::jsonb"),
    )
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'::jsonb")
    )
    actor_id: Mapped[UUID | None]
    actor_display: Mapped[str] = mapped_column(Text, default="", server_default="")
    snapshot: Mapped[dict[str, Any]]
    moved: Mapped[dict[str, Any]]
    survivor_version: Mapped[int]  # the survivor's version right after the merge
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[UUID | None]
    undone_by_display: Mapped[str | None] = mapped_column(Text)
    undo_reason: Mapped[str | None] = mapped_column(Text)


class IdentityPair(Base):
    """Two profiles the matcher found alike: waiting for review, or a remembered decision.

    ``profile_a`` < ``profile_b``. A rejected pair (a reviewer said "different people", or a
    merge of the two was undone) is never merged automatically again.
    """

    __tablename__ = "identity_pair"
    __table_args__ = (
        UniqueConstraint("workspace_id", "profile_a", "profile_b"),
        CheckConstraint("profile_a < profile_b", name="ordered"),
        CheckConstraint(
            "status IN ('pending','merged','rejected','obsolete')",
            name="status",
        ),
        Index(
            "ix_identity_pair_pending",
            "workspace_id",
            "probability",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(None, "profile_b"),
        {"info": KEEP_ON_MERGE},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    profile_a: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    profile_b: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(Text, default="pending", server_default="pending")
    probability: Mapped[float]
    match_weight: Mapped[float | None]
    rule: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[list[Any]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[UUID | None]
    decided_by_display: Mapped[str | None] = mapped_column(Text)
    merge_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("identity_merge.id", ondelete="SET NULL")
    )


class IdentitySharedValue(Base):
    """An identifier value that never merges on its own.

    Seen on several distinct people (a family phone, a shop's info@ mailbox), or blocked as
    junk by a person.
    """

    __tablename__ = "identity_shared_value"
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "value"),
        CheckConstraint("status IN ('shared','blocked')", name="status"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="shared", server_default="shared")
    reason: Mapped[str] = mapped_column(Text)  # stable code: distinct_people, role_mailbox...
    profiles: Mapped[int] = mapped_column(default=0, server_default="0")
    detected_at: Mapped[datetime] = mapped_column(server_default=func.now())
    decided_by_display: Mapped[str | None] = mapped_column(Text)


class IdentityBlockKey(Base):
    """The blocking keys of a live profile, for real-time candidate lookup (index only).

    Maintained by identity resolution for every profile it resolves; a profile's keys are
    replaced whenever it is resolved again.
    """

    __tablename__ = "identity_block_key"
    __table_args__ = (Index(None, "profile_id"), {"info": KEEP_ON_MERGE})

    workspace_id: Mapped[UUID] = mapped_column(
        ForeignKey(WS_FK, ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(Text(collation="C"), primary_key=True)
    profile_id: Mapped[UUID] = mapped_column(
        ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True
    )
