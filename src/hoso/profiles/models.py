from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hoso.core.db import Base
from hoso.core.ids import uuid7

WS_FK = "workspace.id"


class Profile(Base):
    """The golden customer profile: typed core fields plus custom attributes (jsonb)."""

    __tablename__ = "profile"
    __table_args__ = (
        # Keyset pagination and listing of live profiles.
        Index(
            "ix_profile_workspace_live", "workspace_id", "id", postgresql_where="deleted_at IS NULL"
        ),
        # Folded-name search: prefix (btree; the keys use the "C" collation, so one index
        # serves both LIKE 'prefix%' and ORDER BY) and substring/similarity (trigram).
        Index(
            "ix_profile_name_key_prefix",
            "workspace_id",
            "name_key",
            postgresql_where="deleted_at IS NULL",
        ),
        Index(
            "ix_profile_given_key_prefix",
            "workspace_id",
            "given_key",
            postgresql_where="deleted_at IS NULL",
        ),
        Index(
            "ix_profile_name_key_trgm",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
            postgresql_where="deleted_at IS NULL",
        ),
        CheckConstraint("gender IN ('female','male','other','unknown')", name="gender"),
        CheckConstraint(
            "household_size IS NULL OR household_size BETWEEN 1 AND 50", name="household_size"
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    # Identity
    full_name: Mapped[str] = mapped_column(Text, default="")
    family_name: Mapped[str | None] = mapped_column(Text)
    middle_name: Mapped[str | None] = mapped_column(Text)
    given_name: Mapped[str | None] = mapped_column(Text)
    # Folded full name, for matching only. Collation "C": byte order, which makes a plain btree
    # usable for LIKE 'prefix%' and for ORDER BY (a text_pattern_ops index cannot ORDER BY).
    name_key: Mapped[str] = mapped_column(Text(collation="C"), default="")
    # Folded "given family middle": finds "Nguyễn Thị Lan" from "lan" or "lan nguyen" by prefix.
    given_key: Mapped[str] = mapped_column(Text(collation="C"), default="", server_default="")
    gender: Mapped[str] = mapped_column(Text, default="unknown", server_default="unknown")
    birth_date: Mapped[date | None]
    # Demographics
    occupation: Mapped[str | None] = mapped_column(Text)
    education: Mapped[str | None] = mapped_column(Text)
    income_band: Mapped[str | None] = mapped_column(Text)
    marital_status: Mapped[str | None] = mapped_column(Text)
    household_size: Mapped[int | None]
    # Preferences
    interests: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'::text[]")
    )
    favourite_products: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'::text[]")
    )
    favourite_brands: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'::text[]")
    )
    # Custom fields, keyed by attribute_definition.key, validated by the service.
    attributes: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'::jsonb")
    )
    # Lineage: per field, which source record and source last set it, and when.
    field_sources: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'::jsonb")
    )
    # Data-quality flags of the profile's own values ("name_organisation", ...); identifiers
    # carry their own flags.
    quality_flags: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'::text[]")
    )
    primary_phone: Mapped[str | None] = mapped_column(Text)  # E.164, denormalised for lists
    primary_email: Mapped[str | None] = mapped_column(Text)
    owner_user_id: Mapped[UUID | None] = mapped_column(ForeignKey("app_user.id"))
    merged_into_id: Mapped[UUID | None] = mapped_column(ForeignKey("profile.id"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    deleted_at: Mapped[datetime | None]

    identifiers: Mapped[list["ProfileIdentifier"]] = relationship(
        lazy="raise_on_sql", order_by="ProfileIdentifier.id", viewonly=True
    )
    addresses: Mapped[list["ProfileAddress"]] = relationship(
        lazy="raise_on_sql", order_by="ProfileAddress.id", viewonly=True
    )


class ProfileIdentifier(Base):
    """A strong identifier of a profile: phone, email, external id, Zalo id, loyalty card."""

    __tablename__ = "profile_identifier"
    __table_args__ = (
        # The same value may sit on several profiles (a family phone): uniqueness is per profile.
        UniqueConstraint("profile_id", "kind", "value"),
        Index(None, "workspace_id", "kind", "value"),
        CheckConstraint(
            "kind IN ('phone','email','external_id','zalo_id','loyalty_card','anonymous_id',"
            "'user_id')",
            name="kind",
        ),
        # A merge moves only the identifiers the survivor does not already hold.
        {"info": {"on_profile_merge": {"unique": ["kind", "value"]}}},
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    profile_id: Mapped[UUID] = mapped_column(
        ForeignKey("profile.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)  # normalised: E.164, lower-cased email, ...
    value_raw: Mapped[str] = mapped_column(Text)  # exactly as given
    namespace: Mapped[str | None] = mapped_column(
        Text
    )  # for external ids: "kiotviet", "zalo-oa:..."
    flags: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'::text[]")
    )
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    source: Mapped[str] = mapped_column(Text)
    source_record_id: Mapped[UUID | None] = mapped_column(ForeignKey("source_record.id"))
    first_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProfileAddress(Base):
    """An address: as given (``raw``), and in the 2025 units with the pre-2025 ones kept."""

    __tablename__ = "profile_address"
    __table_args__ = (
        Index(None, "workspace_id", "province_code"),
        CheckConstraint(
            "admin_status IS NULL OR admin_status IN ('exact','converted','ambiguous','unknown')",
            name="admin_status",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    profile_id: Mapped[UUID] = mapped_column(
        ForeignKey("profile.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(Text)  # "home", "work", "shipping"
    line: Mapped[str | None] = mapped_column(Text)  # street and number
    ward: Mapped[str | None] = mapped_column(Text)  # 2025 ward when recognised, else as given
    district: Mapped[str | None] = mapped_column(Text)  # legacy (pre-2025) district, when given
    province: Mapped[str | None] = mapped_column(Text)  # 2025 province when recognised
    # The 2025 units by NSO code; codes were reused across the reform, so legacy units keep
    # their names. Conversion status: exact, converted, ambiguous (see candidates), unknown.
    province_code: Mapped[str | None] = mapped_column(Text)
    ward_code: Mapped[str | None] = mapped_column(Text)
    legacy_province: Mapped[str | None] = mapped_column(Text)
    legacy_ward: Mapped[str | None] = mapped_column(Text)
    admin_status: Mapped[str | None] = mapped_column(Text)
    ward_candidates: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'::text[]")
    )
    country: Mapped[str] = mapped_column(Text, default="VN", server_default="VN")
    raw: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AttributeDefinition(Base):
    """A custom field: typed, labelled in both languages, with purpose, sensitivity, retention."""

    __tablename__ = "attribute_definition"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        CheckConstraint(
            "type IN ('text','number','integer','boolean','date','enum','multi_enum','email',"
            "'phone','url')",
            name="type",
        ),
        CheckConstraint(
            "category IN ('identity','demographic','preference','transactional','technical',"
            "'engagement','qualitative')",
            name="category",
        ),
        CheckConstraint(
            "sensitivity IN ('public','internal','personal','sensitive')", name="sensitivity"
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)
    label_vi: Mapped[str] = mapped_column(Text)
    label_en: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    sensitivity: Mapped[str] = mapped_column(Text, default="personal", server_default="personal")
    purpose: Mapped[str] = mapped_column(Text, default="", server_default="")
    retention_days: Mapped[int | None]
    options: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'::text[]")
    )
    required: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SourceRecord(Base):
    """Every raw input exactly as received, so every value can name where it came from."""

    __tablename__ = "source_record"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", "idempotency_key"),
        Index(None, "profile_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(Text)  # "ui", "api", "pos:kiotviet", "excel:members.xlsx"
    source_ref: Mapped[str | None] = mapped_column(Text)  # row number, external id, file name
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor_id: Mapped[UUID | None]
    profile_id: Mapped[UUID | None] = mapped_column(ForeignKey("profile.id", ondelete="SET NULL"))


class Interaction(Base):
    """One thing that happened with a customer, on any channel: the timeline's rows."""

    __tablename__ = "interaction"
    __table_args__ = (Index(None, "profile_id", "occurred_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    profile_id: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    direction: Mapped[str | None] = mapped_column(Text)  # inbound / outbound
    summary: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any]] = mapped_column(
        default=dict, server_default=text("'{}'::jsonb")
    )
    source: Mapped[str] = mapped_column(Text)
    source_record_id: Mapped[UUID | None] = mapped_column(ForeignKey("source_record.id"))
    created_by_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("workspace_id", "sku"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Order(Base):
    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel", "external_id"),
        Index(None, "profile_id", "ordered_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    profile_id: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    store: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="completed")
    ordered_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(Text, default="VND", server_default="VND")
    subtotal: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    payment_method: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    source_record_id: Mapped[UUID | None] = mapped_column(ForeignKey("source_record.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    items: Mapped[list["OrderItem"]] = relationship(
        lazy="raise_on_sql", order_by="OrderItem.id", viewonly=True
    )


class OrderItem(Base):
    __tablename__ = "sales_order_item"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    order_id: Mapped[UUID] = mapped_column(
        ForeignKey("sales_order.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[UUID | None] = mapped_column(ForeignKey("product.id"))
    sku: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    line_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class Note(Base):
    __tablename__ = "note"
    __table_args__ = (Index(None, "profile_id", "created_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    profile_id: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    author_id: Mapped[UUID | None]
    author_display: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    deleted_at: Mapped[datetime | None]


class QualitySnapshot(Base):
    """One day's data-quality figures of a workspace, for the trend."""

    __tablename__ = "quality_snapshot"
    __table_args__ = (UniqueConstraint("workspace_id", "day"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    day: Mapped[date]
    profiles: Mapped[int]
    completeness: Mapped[float]
    problems: Mapped[dict[str, Any]]


class ProfileObservation(Base):
    """What one source said about one field of a customer, and when: survivorship's input.

    Scalar fields and custom fields (``attributes.<key>``) are observed here; identifiers and
    addresses carry their own source. Observations move with their profile's other rows when
    profiles are merged and back when the merge is undone.
    """

    __tablename__ = "profile_observation"
    __table_args__ = (Index(None, "profile_id", "field"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    workspace_id: Mapped[UUID] = mapped_column(ForeignKey(WS_FK, ondelete="CASCADE"))
    profile_id: Mapped[UUID] = mapped_column(ForeignKey("profile.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(Text)  # "full_name", "birth_date", "attributes.points"
    value: Mapped[Any] = mapped_column(JSONB, nullable=True)  # as stored on the profile
    source: Mapped[str] = mapped_column(Text)
    source_record_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("source_record.id", ondelete="SET NULL")
    )
    observed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    manual: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
