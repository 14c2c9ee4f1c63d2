"""Profile writes from the event stream: set-based, one statement per kind of row per chunk.

Part of the profiles domain's single write path (it sits beside ``service`` so the per-row
use cases and the bulk ones share the same rules): the events domain decides *what* happened,
these functions write profiles, identifiers, timeline rows, orders, source records, the audit
log and the outbox, with lineage. They flush, never commit.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from hoso.core.audit import AuditEvent
from hoso.core.clock import utcnow
from hoso.core.db import insert_json_rows
from hoso.core.errors import FieldError
from hoso.core.ids import uuid7
from hoso.core.masking import mask
from hoso.core.outbox import OutboxEvent
from hoso.engine.events.spec import STATUS_RANK, OrderSpec, ProfileTraits
from hoso.engine.normalize import (
    EmailFlag,
    PhoneFlag,
    nfc,
    normalize_email,
    normalize_vn_phone,
    parse_vn_date,
)
from hoso.profiles.models import (
    AttributeDefinition,
    Interaction,
    Order,
    OrderItem,
    Product,
    Profile,
    ProfileIdentifier,
    ProfileObservation,
    SourceRecord,
)
from hoso.profiles.service import OBSERVED_FIELDS, _coerce_attribute, _set_name


@dataclass(frozen=True, slots=True)
class Contact:
    """A normalised phone or email from traits; ``usable`` is False for junk values."""

    kind: str
    value: str
    raw: str
    flags: tuple[str, ...]
    usable: bool


@lru_cache(maxsize=65_536)
def contact(kind: str, raw: str) -> Contact | None:
    """Normalise a phone or email trait; ``None`` when it is not a phone or email at all.

    Cached: customers send the same traits again and again, and phone parsing is not cheap.
    """
    if kind == "email":
        email = normalize_email(raw)
        if email.value is None:
            return None
        flags = tuple(f.value for f in email.flags)
        return Contact("email", email.value, raw, flags, EmailFlag.PLACEHOLDER not in email.flags)
    phone = normalize_vn_phone(raw)
    if phone.e164 is None:
        return None
    flags = tuple(f.value for f in phone.flags)
    return Contact("phone", phone.e164, raw, flags, PhoneFlag.PLACEHOLDER not in phone.flags)


@dataclass(slots=True)
class NewIdentifier:
    """An identifier to attach to a profile."""

    profile_id: UUID
    kind: str
    value: str
    raw: str
    source: str
    flags: tuple[str, ...] = ()
    namespace: str | None = None
    source_record_id: UUID | None = None


def create_profiles(
    session: Session, *, workspace_id: UUID, ids: list[UUID], source_of: dict[UUID, str]
) -> None:
    """Create empty profiles (their identifiers and traits follow), audited and announced."""
    if not ids:
        return
    now = utcnow()
    _insert(
        session,
        Profile,
        [
            {
                "id": pid,
                "workspace_id": workspace_id,
                "full_name": "",
                "name_key": "",
                "created_at": now,
                "updated_at": now,
            }
            for pid in ids
        ],
    )
    _audit(
        session,
        workspace_id,
        [("profile.created", pid, source_of[pid], {"source": source_of[pid]}) for pid in ids],
    )
    _emit(session, workspace_id, "profile.created", [{"profile_id": str(pid)} for pid in ids])


def add_identifiers(session: Session, *, workspace_id: UUID, rows: list[NewIdentifier]) -> None:
    """Attach identifiers; one a profile already holds only has its ``last_seen_at`` moved."""
    # One statement cannot touch the same row twice (ON CONFLICT DO UPDATE refuses it).
    unique = {(r.profile_id, r.kind, r.value): r for r in rows}
    if not unique:
        return
    now = utcnow()
    _insert(
        session,
        ProfileIdentifier,
        [
            {
                "id": uuid7(),
                "workspace_id": workspace_id,
                "profile_id": r.profile_id,
                "kind": r.kind,
                "value": r.value,
                "value_raw": r.raw,
                "namespace": r.namespace,
                "flags": list(r.flags),
                "is_primary": False,
                "source": r.source,
                "source_record_id": r.source_record_id,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for r in unique.values()
        ],
        "ON CONFLICT ON CONSTRAINT uq_profile_identifier_profile_id_kind_value "
        "DO UPDATE SET last_seen_at = excluded.last_seen_at",
    )


def land_source_records(
    session: Session, *, workspace_id: UUID, rows: list[dict[str, Any]]
) -> dict[str, UUID]:
    """Keep the raw input of profile-changing events; return their ids by idempotency key.

    Each row: ``source``, ``idempotency_key`` (the messageId), ``payload``, ``profile_id``.
    """
    if not rows:
        return {}
    now = utcnow()
    _insert(
        session,
        SourceRecord,
        [
            {
                "id": uuid7(),
                "workspace_id": workspace_id,
                "source_ref": None,
                "received_at": now,
                **r,
            }
            for r in rows
        ],
        "ON CONFLICT ON CONSTRAINT uq_source_record_workspace_id_source_idempotency_key DO NOTHING",
    )
    found = session.execute(
        select(SourceRecord.idempotency_key, SourceRecord.id).where(
            SourceRecord.workspace_id == workspace_id,
            SourceRecord.idempotency_key.in_([r["idempotency_key"] for r in rows]),
        )
    )
    return {str(key): rid for key, rid in found}


@dataclass(slots=True)
class TraitChange:
    """Traits one event set on a profile, at the event's (skew-corrected) time."""

    at: datetime
    traits: ProfileTraits
    source: str
    source_record_id: UUID | None
    contacts: list[Contact] = field(default_factory=list)


def _newer(profile: Profile, name: str, at: datetime) -> bool:
    """Whether an event at ``at`` may set ``name``: last writer wins, by event time."""
    stamp = (profile.field_sources or {}).get(name)
    if not stamp:
        return True
    previous = stamp.get("event_at") or stamp.get("at")
    try:
        return previous is None or datetime.fromisoformat(previous) <= at
    except ValueError:
        return True


def apply_traits(
    session: Session,
    *,
    workspace_id: UUID,
    changes: dict[UUID, list[TraitChange]],
) -> int:
    """Apply identify traits to profiles, oldest event first; a late event never overwrites.

    Contacts (email, phone) are added, not replaced: an event never removes what a customer
    gave elsewhere. Custom traits are kept when a custom field with that key is defined.
    Each value set is also an observation of its source at the event's time, for
    survivorship when customers are merged. Returns how many profiles changed.
    """
    if not changes:
        return 0
    profiles = {
        p.id: p
        for p in session.scalars(
            select(Profile).where(Profile.id.in_(list(changes)), Profile.deleted_at.is_(None))
        )
    }
    keys = {k for cs in changes.values() for c in cs for k in (c.traits.extra or {})}
    definitions = (
        {
            d.key: d
            for d in session.scalars(
                select(AttributeDefinition).where(
                    AttributeDefinition.workspace_id == workspace_id,
                    AttributeDefinition.key.in_(keys),
                )
            )
        }
        if keys
        else {}
    )
    audits: list[tuple[str, UUID, str, dict[str, Any]]] = []
    observations: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    identifiers: list[NewIdentifier] = []
    now = utcnow()
    for pid, profile_changes in changes.items():
        profile = profiles.get(pid)
        if profile is None:
            continue
        after: dict[str, Any] = {}
        sources = dict(profile.field_sources or {})
        for change in sorted(profile_changes, key=lambda c: c.at):
            stamp = {
                "source": change.source,
                "source_record_id": str(change.source_record_id)
                if change.source_record_id
                else None,
                "at": now.isoformat(),
                "event_at": change.at.isoformat(),
            }
            set_here = _apply_one(profile, change, definitions, after)
            for contact_ in change.contacts:
                if not contact_.usable:
                    continue
                identifiers.append(
                    NewIdentifier(
                        pid,
                        contact_.kind,
                        contact_.value,
                        contact_.raw,
                        change.source,
                        contact_.flags,
                        source_record_id=change.source_record_id,
                    )
                )
                primary = f"primary_{contact_.kind}"
                if getattr(profile, primary) is None:
                    setattr(profile, primary, contact_.value)
                    after[f"{contact_.kind}s"] = [contact_.value]
                    set_here.append(f"{contact_.kind}s")
            for name in set_here:
                sources[name] = stamp
                if name in OBSERVED_FIELDS or name.startswith("attributes."):
                    observations.append(
                        {
                            "id": uuid7(),
                            "workspace_id": workspace_id,
                            "profile_id": pid,
                            "field": name,
                            "value": _observed(profile, name),
                            "source": change.source,
                            "source_record_id": change.source_record_id,
                            "observed_at": change.at,  # survivorship's "most recent" is event time
                            "manual": False,
                        }
                    )
        if after:
            profile.field_sources = sources
            profile.version += 1
            profile.updated_at = now
            audits.append(
                ("profile.updated", pid, profile_changes[-1].source, mask(_jsonable(after)))
            )
            updated.append({"profile_id": str(pid), "fields": sorted(after)})
    session.flush()
    add_identifiers(session, workspace_id=workspace_id, rows=identifiers)
    _insert(session, ProfileObservation, observations)
    _audit(session, workspace_id, audits)
    _emit(session, workspace_id, "profile.updated", updated)
    return len(updated)


def _observed(profile: Profile, name: str) -> Any:
    """A field's value as observations hold it (JSON: dates as ISO text)."""
    if name.startswith("attributes."):
        return (profile.attributes or {}).get(name.removeprefix("attributes."))
    value = getattr(profile, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _apply_one(
    profile: Profile,
    change: TraitChange,
    definitions: dict[str, AttributeDefinition],
    after: dict[str, Any],
) -> list[str]:
    traits = change.traits
    set_here: list[str] = []
    if traits.full_name and _newer(profile, "full_name", change.at):
        name = nfc(traits.full_name)
        if name != profile.full_name:
            _set_name(profile, name)
            after["full_name"] = name
            set_here.append("full_name")
    if traits.gender and _newer(profile, "gender", change.at) and traits.gender != profile.gender:
        profile.gender = traits.gender
        after["gender"] = traits.gender
        set_here.append("gender")
    if traits.birth_date and _newer(profile, "birth_date", change.at):
        parsed = parse_vn_date(traits.birth_date, today=utcnow().date(), birth_date=True)
        if parsed.value is not None and parsed.value != profile.birth_date:
            profile.birth_date = parsed.value
            after["birth_date"] = parsed.value
            set_here.append("birth_date")
    extra = {k: v for k, v in (traits.extra or {}).items() if k in definitions}
    if extra:
        attributes = dict(profile.attributes or {})
        for key, value in extra.items():
            name = f"attributes.{key}"
            if value is None or not _newer(profile, name, change.at):
                continue
            errors: list[FieldError] = []
            ok, coerced = _coerce_attribute(definitions[key], value, errors)
            if ok and attributes.get(key) != coerced:
                attributes[key] = coerced
                after[name] = coerced
                set_here.append(name)
        profile.attributes = attributes
    return set_here


def record_interactions(
    session: Session, *, workspace_id: UUID, rows: list[dict[str, Any]]
) -> None:
    """Add timeline rows: ``profile_id, occurred_at, channel, kind, summary, properties, source``.

    One interaction per event; the outbox gets one ``interaction.created`` per chunk and
    profile rather than per row (a page view is not worth a message each).
    """
    if not rows:
        return
    _insert(
        session,
        Interaction,
        [
            {
                "id": uuid7(),
                "workspace_id": workspace_id,
                "direction": None,
                "source_record_id": None,
                "created_by_id": None,
                **r,
            }
            for r in rows
        ],
    )
    per_profile: dict[str, int] = {}
    for r in rows:
        per_profile[str(r["profile_id"])] = per_profile.get(str(r["profile_id"]), 0) + 1
    _emit(
        session,
        workspace_id,
        "interaction.created",
        [{"profile_id": pid, "count": n} for pid, n in per_profile.items()],
    )


@dataclass(frozen=True, slots=True)
class OrderChange:
    """What one e-commerce event says about an order."""

    profile_id: UUID
    spec: OrderSpec
    channel: str
    at: datetime
    source: str
    replace_items: bool  # Order Completed / Order Updated carry the full list of products
    placed: bool  # Order Completed: the order's time is this event's


def upsert_orders(session: Session, *, workspace_id: UUID, changes: list[OrderChange]) -> int:
    """Create or update the orders e-commerce events describe; totals are computed here.

    Set-based: one read of the orders concerned, one upsert of the products, then one write
    per kind of row. Events are applied in order; the status only moves forward (pending,
    completed, cancelled, refunded), so events arriving out of order end in the right state.
    Returns how many orders were created.
    """
    if not changes:
        return 0
    keys = {(c.channel, c.spec.external_id) for c in changes}
    existing = {
        (o.channel, o.external_id): o
        for o in session.scalars(
            select(Order)
            .where(
                Order.workspace_id == workspace_id,
                Order.external_id.in_({k[1] for k in keys}),
                Order.channel.in_({k[0] for k in keys}),
            )
            .with_for_update()
        )
    }
    products = _products(session, workspace_id, changes)
    now = utcnow()
    new: dict[tuple[str, str], dict[str, Any]] = {}
    items: dict[UUID, list[dict[str, Any]]] = {}
    touched: dict[UUID, tuple[str, UUID, str, bool]] = {}
    for change in changes:
        key = (change.channel, change.spec.external_id)
        spec = change.spec
        order = existing.get(key)
        state: Any = order if order is not None else new.get(key)
        created = state is None
        if state is None:
            state = {
                "id": uuid7(),
                "workspace_id": workspace_id,
                "profile_id": change.profile_id,
                "external_id": spec.external_id,
                "channel": change.channel,
                "store": None,
                "status": spec.status or "pending",
                "ordered_at": change.at,
                "currency": spec.currency,
                "subtotal": Decimal(0),
                "discount": Decimal(0),
                "total": Decimal(0),
                "payment_method": None,
                "source": change.source,
                "source_record_id": None,
                "created_at": now,
            }
            new[key] = state
        order_id = state["id"] if isinstance(state, dict) else state.id
        status = state["status"] if isinstance(state, dict) else state.status
        if spec.status and STATUS_RANK[spec.status] > STATUS_RANK.get(status, 0):
            status = spec.status
        values: dict[str, Any] = {"status": status}
        if change.placed:
            values["ordered_at"] = change.at
        if (change.replace_items or created) and spec.lines:
            items[order_id] = [
                {
                    "id": uuid7(),
                    "workspace_id": workspace_id,
                    "order_id": order_id,
                    "product_id": products.get(line.sku) if line.sku else None,
                    "sku": line.sku,
                    "name": nfc(line.name),
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "line_total": line.quantity * line.unit_price,
                }
                for line in spec.lines
            ]
            values.update(
                subtotal=spec.subtotal,
                discount=spec.discount,
                total=spec.subtotal - spec.discount,
                currency=spec.currency,
            )
        for name, value in values.items():
            if isinstance(state, dict):
                state[name] = value
            else:
                setattr(state, name, value)
        profile_id = state["profile_id"] if isinstance(state, dict) else state.profile_id
        first = touched.get(order_id)
        touched[order_id] = (
            change.source,
            profile_id,
            status,
            first[3] if first else created,
        )
    _insert(session, Order, list(new.values()))
    replaced = [oid for oid in items if oid not in {n["id"] for n in new.values()}]
    if replaced:
        session.execute(delete(OrderItem).where(OrderItem.order_id.in_(replaced)))
    _insert(session, OrderItem, [row for rows in items.values() for row in rows])
    session.flush()
    _audit(
        session,
        workspace_id,
        [
            (
                "order.created" if created else "order.updated",
                profile_id,
                source,
                {"order_id": str(oid), "status": status},
            )
            for oid, (source, profile_id, status, created) in touched.items()
        ],
    )
    _emit(
        session,
        workspace_id,
        "order.changed",
        [
            {"profile_id": str(profile_id), "order_id": str(oid), "created": created}
            for oid, (_, profile_id, _, created) in touched.items()
        ],
    )
    return len(new)


def _products(session: Session, workspace_id: UUID, changes: list[OrderChange]) -> dict[str, UUID]:
    """Product ids by sku, creating the products orders name for the first time."""
    lines = {line.sku: line for c in changes for line in c.spec.lines if line.sku}
    if not lines:
        return {}
    _insert(
        session,
        Product,
        [
            {
                "id": uuid7(),
                "workspace_id": workspace_id,
                "sku": sku,
                "name": nfc(line.name),
                "category": line.category,
                "brand": line.brand,
                "price": line.unit_price,
                "created_at": utcnow(),
            }
            for sku, line in lines.items()
        ],
        "ON CONFLICT ON CONSTRAINT uq_product_workspace_id_sku DO NOTHING",
    )
    found = session.execute(
        select(Product.sku, Product.id).where(
            Product.workspace_id == workspace_id, Product.sku.in_(list(lines))
        )
    )
    return {row[0]: row[1] for row in found}


def _insert(session: Session, model: Any, rows: list[dict[str, Any]], suffix: str = "") -> int:
    table: Table = model.__table__
    return insert_json_rows(session, table, rows, suffix=suffix)


def _audit(
    session: Session,
    workspace_id: UUID,
    entries: list[tuple[str, UUID, str, dict[str, Any]]],
) -> None:
    _insert(
        session,
        AuditEvent,
        [
            {
                "workspace_id": workspace_id,
                "actor_kind": "system",
                "actor_id": None,
                "actor_display": display,
                "action": action,
                "subject_type": "profile",
                "subject_id": subject,
                "before": None,
                "after": after,
            }
            for action, subject, display, after in entries
        ],
    )


def _emit(session: Session, workspace_id: UUID, topic: str, payloads: list[dict[str, Any]]) -> None:
    now = utcnow()
    _insert(
        session,
        OutboxEvent,
        [
            {"workspace_id": workspace_id, "topic": topic, "payload": p, "created_at": now}
            for p in payloads
        ],
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}
