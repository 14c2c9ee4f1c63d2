"""Request and response shapes of the identity API (validated, never ORM models)."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Reason = Annotated[str, StringConstraints(max_length=2000)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MergeCreate(Model):
    """Merge ``merged_id`` into ``survivor_id``."""

    survivor_id: UUID
    merged_id: UUID
    reason: Reason = ""


class UnmergeRequest(Model):
    reason: Reason = ""


class Comparison(BaseModel):
    """How one field compared: the level reached and its weight (log2 Bayes factor)."""

    comparison: str
    label: str
    label_vi: str
    level: str
    level_label: str
    level_label_vi: str
    left: dict[str, Any] = Field(default_factory=dict)
    right: dict[str, Any] = Field(default_factory=dict)
    weight: float | None = None
    agrees: bool


class MergeRead(ReadModel):
    id: UUID
    survivor_id: UUID
    merged_id: UUID
    status: Literal["active", "undone"]
    method: Literal["rule", "model", "manual", "event"]
    rule: str | None
    probability: float | None
    match_weight: float | None
    explanation: list[Comparison]
    reason: str
    actor_display: str
    created_at: datetime
    undone_at: datetime | None
    undone_by_display: str | None
    undo_reason: str | None


class MergePage(BaseModel):
    items: list[MergeRead]


class PairRead(ReadModel):
    id: UUID
    profile_a: UUID
    profile_b: UUID
    status: Literal["pending", "merged", "rejected", "obsolete"]
    probability: float
    match_weight: float | None
    rule: str | None
    explanation: list[Comparison]
    created_at: datetime
    decided_at: datetime | None
    decided_by_display: str | None


class PairPage(BaseModel):
    items: list[PairRead]


class PairAccept(Model):
    """Which of the two customers to keep (default: the older)."""

    survivor_id: UUID | None = None


class SourceValue(BaseModel):
    source: str
    observed_at: datetime
    manual: bool
    source_record_id: UUID | None


class LineageValue(BaseModel):
    value: Any
    chosen: bool
    sources: list[SourceValue]


class FieldLineage(BaseModel):
    """Every value the sources gave for a field, and the survivorship rule that chose."""

    field: str
    rule: str | None
    values: list[LineageValue]
