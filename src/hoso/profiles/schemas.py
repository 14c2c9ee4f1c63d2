"""Request and response shapes of the profiles API (validated, never ORM models)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Gender = Literal["female", "male", "other", "unknown"]
IdentifierKind = Literal[
    "phone", "email", "external_id", "zalo_id", "loyalty_card", "anonymous_id", "user_id"
]
ShortText = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AddressIn(Model):
    label: ShortText | None = None
    line: ShortText | None = None
    ward: ShortText | None = None
    district: ShortText | None = None
    province: ShortText | None = None
    country: Annotated[str, StringConstraints(min_length=2, max_length=2)] = "VN"
    raw: Annotated[str, StringConstraints(max_length=1000)] | None = (
        None  # as the customer wrote it
    )


class ExternalIdIn(Model):
    kind: IdentifierKind = "external_id"
    namespace: ShortText | None = None
    value: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ProfileFields(Model):
    """Fields shared by create and update. Dates accept ISO and Vietnamese formats."""

    full_name: ShortText | None = None
    gender: Gender | None = None
    birth_date: Annotated[str, StringConstraints(max_length=40)] | date | None = None
    occupation: ShortText | None = None
    education: ShortText | None = None
    income_band: ShortText | None = None
    marital_status: ShortText | None = None
    household_size: int | None = None
    interests: list[Tag] | None = Field(default=None, max_length=50)
    favourite_products: list[Tag] | None = Field(default=None, max_length=50)
    favourite_brands: list[Tag] | None = Field(default=None, max_length=50)
    phones: list[Annotated[str, StringConstraints(max_length=60)]] | None = Field(
        default=None, max_length=20
    )
    emails: list[Annotated[str, StringConstraints(max_length=320)]] | None = Field(
        default=None, max_length=20
    )
    addresses: list[AddressIn] | None = Field(default=None, max_length=10)
    attributes: dict[str, Any] | None = None


class ProfileCreate(ProfileFields):
    external_ids: list[ExternalIdIn] = Field(default_factory=list, max_length=20)


class ProfileUpdate(ProfileFields):
    """PATCH: only the fields sent change; lists sent replace the whole list."""


class IdentifierRead(ReadModel):
    id: UUID
    kind: str
    value: str
    value_raw: str
    namespace: str | None
    flags: list[str]
    is_primary: bool
    source: str
    first_seen_at: datetime
    last_seen_at: datetime


class AddressRead(ReadModel):
    id: UUID
    label: str | None
    line: str | None
    ward: str | None
    district: str | None
    province: str | None
    country: str
    raw: str | None
    source: str
    province_code: str | None
    ward_code: str | None
    legacy_province: str | None
    legacy_ward: str | None
    admin_status: str | None
    ward_candidates: list[str]


class ProfileSummary(ReadModel):
    id: UUID
    full_name: str
    gender: str
    birth_date: date | None
    primary_phone: str | None
    primary_email: str | None
    created_at: datetime
    updated_at: datetime


class ProfileRead(ProfileSummary):
    family_name: str | None
    middle_name: str | None
    given_name: str | None
    occupation: str | None
    education: str | None
    income_band: str | None
    marital_status: str | None
    household_size: int | None
    interests: list[str]
    favourite_products: list[str]
    favourite_brands: list[str]
    attributes: dict[str, Any]
    field_sources: dict[str, Any]
    version: int
    identifiers: list[IdentifierRead]
    addresses: list[AddressRead]


class ProfileMatch(ProfileSummary):
    match: str  # how the search matched: phone, email, name_exact, name_prefix, name_contains


class ProfilePage(BaseModel):
    items: list[ProfileSummary]
    next_after: UUID | None


class SearchResults(BaseModel):
    query: str
    items: list[ProfileMatch]


class IdentifierCreate(Model):
    kind: IdentifierKind
    value: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    namespace: ShortText | None = None


class NoteCreate(Model):
    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


class NoteRead(ReadModel):
    id: UUID
    profile_id: UUID
    author_display: str
    body: str
    created_at: datetime


class InteractionCreate(Model):
    occurred_at: datetime | None = None
    channel: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    direction: Literal["inbound", "outbound"] | None = None
    summary: LongText = ""
    properties: dict[str, Any] = Field(default_factory=dict)


class InteractionRead(ReadModel):
    id: UUID
    profile_id: UUID
    occurred_at: datetime
    channel: str
    kind: str
    direction: str | None
    summary: str
    properties: dict[str, Any]
    source: str


class OrderItemIn(Model):
    sku: ShortText | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    quantity: Decimal = Field(gt=0, le=1_000_000)
    unit_price: Decimal = Field(ge=0, le=10**12)


class OrderCreate(Model):
    external_id: ShortText | None = None
    channel: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    store: ShortText | None = None
    status: Literal["pending", "completed", "cancelled", "refunded"] = "completed"
    ordered_at: datetime | None = None
    discount: Decimal = Field(default=Decimal(0), ge=0)
    payment_method: ShortText | None = None
    items: list[OrderItemIn] = Field(min_length=1, max_length=500)


class OrderItemRead(ReadModel):
    id: UUID
    sku: str | None
    name: str
    quantity: Decimal
    unit_price: Decimal
    line_total: Decimal


class OrderRead(ReadModel):
    id: UUID
    profile_id: UUID
    external_id: str | None
    channel: str
    store: str | None
    status: str
    ordered_at: datetime
    currency: str
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    payment_method: str | None
    items: list[OrderItemRead]


class TimelineEntry(BaseModel):
    id: UUID
    type: Literal["interaction", "order", "note"]
    at: datetime
    channel: str | None
    kind: str
    summary: str
    amount: Decimal | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class TimelinePage(BaseModel):
    items: list[TimelineEntry]
    next_before: str | None


AttributeType = Literal[
    "text", "number", "integer", "boolean", "date", "enum", "multi_enum", "email", "phone", "url"
]
Category = Literal[
    "identity",
    "demographic",
    "preference",
    "transactional",
    "technical",
    "engagement",
    "qualitative",
]
Sensitivity = Literal["public", "internal", "personal", "sensitive"]


class AttributeCreate(Model):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
    label_vi: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    label_en: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    type: AttributeType
    category: Category
    sensitivity: Sensitivity = "personal"
    purpose: LongText = ""
    retention_days: int | None = Field(default=None, ge=1, le=36500)
    options: list[Tag] = Field(default_factory=list, max_length=500)
    required: bool = False


class AttributeRead(ReadModel):
    id: UUID
    key: str
    label_vi: str
    label_en: str
    type: str
    category: str
    sensitivity: str
    purpose: str
    retention_days: int | None
    options: list[str]
    required: bool
