from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hoso.core.db import Base
from hoso.core.ids import uuid7


class ImportUpload(Base):
    """A file uploaded through the UI, kept in PostgreSQL so any worker can read it."""

    __tablename__ = "import_upload"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(Text)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_by_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ImportBatch(Base):
    """One import of one sheet of one file: its mapping, progress and outcome counts."""

    __tablename__ = "import_batch"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending','running','committed','failed','undone')", name="status"
        ),
        CheckConstraint("mode IN ('all_or_nothing','valid_rows')", name="mode"),
        Index(None, "workspace_id", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(Text)
    file_kind: Mapped[str] = mapped_column(Text)
    sheet: Mapped[str] = mapped_column(Text, default="")
    header_row: Mapped[int]
    preset: Mapped[str | None] = mapped_column(Text)
    mapping: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    mode: Mapped[str] = mapped_column(Text, default="all_or_nothing")
    status: Mapped[str] = mapped_column(Text, default="pending")
    upload_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("import_upload.id", ondelete="SET NULL")
    )
    total_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    processed_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    created_count: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_count: Mapped[int] = mapped_column(default=0, server_default="0")
    unchanged_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rejected_count: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[dict[str, Any] | None]
    created_by_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
    undone_at: Mapped[datetime | None]


class ImportRow(Base):
    """What happened to one row: the outcome, the profile, the reasons, what changed."""

    __tablename__ = "import_row"
    __table_args__ = (
        CheckConstraint("outcome IN ('created','updated','unchanged','rejected')", name="outcome"),
        Index(None, "batch_id", "row_number", unique=True),
        Index(None, "profile_id"),
        # What a row did to which customer is history: a merge must not rewrite it (undoing
        # the import would otherwise act on the survivor).
        {"info": {"on_profile_merge": "keep"}},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    batch_id: Mapped[UUID] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))
    row_number: Mapped[int]
    outcome: Mapped[str] = mapped_column(Text)
    profile_id: Mapped[UUID | None] = mapped_column(ForeignKey("profile.id", ondelete="SET NULL"))
    source_record_id: Mapped[UUID | None] = mapped_column(ForeignKey("source_record.id"))
    raw: Mapped[list[Any]] = mapped_column(
        JSONB
    )  # the row's cells as read (JSON-able), for the rejected-rows file
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    changes: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'::jsonb")
    )


class ImportPreset(Base):
    """A column mapping a workspace saved under a name, reused for its next files."""

    __tablename__ = "import_preset"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    columns: Mapped[dict[str, Any]] = mapped_column(JSONB)  # folded header -> target
    created_by_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
