"""Customer profiles: the only write path for profiles, identifiers, notes, timeline and orders.

Every write validates with the pure normalisers, lands the raw input as a source record,
records per-field lineage, appends to the audit log and emits an outbox event, all in the
caller's transaction. Services flush; the edge commits.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Column, Table, delete, literal, select, update
from sqlalchemy.orm import Session

from hoso.core import audit, outbox
from hoso.core.actor import Actor, ActorKind, Permission
from hoso.core.clock import utcnow
from hoso.core.db import Base, translate_integrity_errors
from hoso.core.errors import FieldError, ValidationFailed
from hoso.engine.address import ConversionStatus, parse_address
from hoso.engine.normalize import (
    DateFlag,
    EmailFlag,
    EmailResult,
    NameFlag,
    PhoneFlag,
    PhoneResult,
    fold,
    nfc,
    normalize_email,
    normalize_vn_phone,
    parse_vn_date,
    parse_vn_name,
)
from hoso.engine.survivorship import Choice, choose, rules_for
from hoso.engine.survivorship import Observation as SurvivorObservation
from hoso.profiles import queries
from hoso.profiles.errors import (
    AttributeKeyTaken,
    IdentifierNotFound,
    MergeWithItself,
    OrderExternalIdTaken,
    ProfileMergedAway,
    ProfileNotFound,
    StaleProfile,
)
from hoso.profiles.models import (
    AttributeDefinition,
    Interaction,
    Note,
    Order,
    OrderItem,
    Product,
    Profile,
    ProfileAddress,
    ProfileIdentifier,
    ProfileObservation,
    SourceRecord,
)
from hoso.profiles.schemas import (
    AttributeCreate,
    IdentifierCreate,
    InteractionCreate,
    NoteCreate,
    OrderCreate,
    ProfileCreate,
    ProfileFields,
    ProfileUpdate,
)

SCALAR_FIELDS = (
    "full_name",
    "gender",
    "birth_date",
    "occupation",
    "education",
    "income_band",
    "marital_status",
    "household_size",
    "interests",
    "favourite_products",
    "favourite_brands",
)
# Fields whose every value is kept as an observation of its source (identifiers and
# addresses carry their own source; custom fields are observed as "attributes.<key>").
OBSERVED_FIELDS = frozenset(SCALAR_FIELDS)
_R = TypeVar("_R", PhoneResult, EmailResult)
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
_TRUE = {"true", "1", "yes", "có", "co", "x"}
_FALSE = {"false", "0", "no", "không", "khong"}


@dataclass
class _Clean:
    """A validated change: only the keys present were sent."""

    scalars: dict[str, Any] = field(default_factory=dict)
    phones: list[PhoneResult] | None = None
    emails: list[EmailResult] | None = None
    addresses: list[dict[str, Any]] | None = None
    attributes: dict[str, Any] | None = None
    date_quality: set[str] = field(default_factory=set)


def _today() -> date:
    return utcnow().date()


def _validate_contacts(
    raws: list[str],
    errors: list[FieldError],
    *,
    name: str,
    normalise: Callable[[str], _R],
    value_of: Callable[[_R], str | None],
    placeholder: str,
) -> list[_R]:
    """Normalise phones or emails; several in one cell all count; duplicates collapse."""
    results: dict[str, _R] = {}
    for i, raw in enumerate(raws):
        if not raw.strip():
            continue
        parsed: _R = normalise(raw)
        if placeholder in parsed.flags:
            errors.append(FieldError(f"{name}.{i}", f"placeholder_{name[:-1]}", {"value": raw}))
        elif value_of(parsed) is None:
            errors.append(FieldError(f"{name}.{i}", f"invalid_{name[:-1]}", {"value": raw}))
        else:
            for one in (parsed, *parsed.secondary):
                value = value_of(one)
                if value is not None:
                    results.setdefault(value, one)
    return list(results.values())


def _validate_phones(raws: list[str], errors: list[FieldError]) -> list[PhoneResult]:
    return _validate_contacts(
        raws,
        errors,
        name="phones",
        normalise=normalize_vn_phone,
        value_of=lambda r: r.e164,
        placeholder=PhoneFlag.PLACEHOLDER,
    )


def _validate_emails(raws: list[str], errors: list[FieldError]) -> list[EmailResult]:
    return _validate_contacts(
        raws,
        errors,
        name="emails",
        normalise=normalize_email,
        value_of=lambda r: r.value,
        placeholder=EmailFlag.PLACEHOLDER,
    )


def _validate_birth_date(
    raw: str | date, errors: list[FieldError], quality: set[str]
) -> date | None:
    result = parse_vn_date(raw, today=_today(), birth_date=True)
    if result.value is not None:
        quality.update(DATE_QUALITY[f] for f in result.flags if f in DATE_QUALITY)
        return result.value
    if DateFlag.FUTURE in result.flags:
        errors.append(FieldError("birth_date", "birth_date_in_future", {"value": str(raw)}))
    elif DateFlag.TOO_OLD in result.flags:
        errors.append(FieldError("birth_date", "birth_date_too_old", {"value": str(raw)}))
    else:
        errors.append(FieldError("birth_date", "invalid_date", {"value": str(raw)}))
    return None


def _coerce_attribute(
    definition: AttributeDefinition, value: Any, errors: list[FieldError]
) -> tuple[bool, Any]:
    path = f"attributes.{definition.key}"

    def bad() -> tuple[bool, Any]:
        errors.append(
            FieldError(path, "invalid_attribute_value", {"type": definition.type, "value": value})
        )
        return False, None

    kind = definition.type
    if kind == "text":
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            return bad()
        text = nfc(str(value))
        return (True, text) if len(text) <= 5000 else bad()
    if kind in {"number", "integer"}:
        if isinstance(value, bool):
            return bad()
        try:
            number = Decimal(str(value).replace(",", "").strip())
        except ArithmeticError:
            return bad()
        if not number.is_finite():
            return bad()
        if kind == "integer":
            return (True, int(number)) if number == number.to_integral_value() else bad()
        return True, float(number)
    if kind == "boolean":
        if isinstance(value, bool):
            return True, value
        folded = str(value).strip().lower()
        if folded in _TRUE:
            return True, True
        return (True, False) if folded in _FALSE else bad()
    if kind == "date":
        parsed = parse_vn_date(
            value if isinstance(value, str | int | float) else str(value), today=_today()
        )
        return (True, parsed.value.isoformat()) if parsed.value else bad()
    if kind == "enum":
        return (True, value) if isinstance(value, str) and value in definition.options else bad()
    if kind == "multi_enum":
        if isinstance(value, list) and all(
            isinstance(v, str) and v in definition.options for v in value
        ):
            return True, sorted(set(value))
        return bad()
    if kind == "email":
        email = normalize_email(str(value))
        return (True, email.value) if email.value else bad()
    if kind == "phone":
        phone = normalize_vn_phone(str(value))
        return (True, phone.e164) if phone.e164 else bad()
    if kind == "url":
        return (True, str(value)) if isinstance(value, str) and _URL.match(value) else bad()
    return bad()


def _validate_attributes(
    session: Session, workspace_id: UUID, raw: dict[str, Any], errors: list[FieldError]
) -> dict[str, Any]:
    definitions = {
        d.key: d
        for d in session.scalars(
            select(AttributeDefinition).where(
                AttributeDefinition.workspace_id == workspace_id,
                AttributeDefinition.key.in_(list(raw)),
            )
        )
    }
    cleaned: dict[str, Any] = {}
    for key, value in raw.items():
        definition = definitions.get(key)
        if definition is None:
            errors.append(FieldError(f"attributes.{key}", "unknown_attribute", {"key": key}))
            continue
        if value is None or value == "":
            cleaned[key] = None
            continue
        ok, coerced = _coerce_attribute(definition, value, errors)
        if ok:
            cleaned[key] = coerced
    return cleaned


def coerce_attributes(
    session: Session, *, workspace_id: UUID, values: dict[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """Coerce custom field values to their defined types, as a write would store them.

    Returns the coerced values (``None`` means "remove") and the errors for the others.
    """
    errors: list[FieldError] = []
    return _validate_attributes(session, workspace_id, values, errors), errors


def _validate(
    session: Session, workspace_id: UUID, fields: ProfileFields, *, creating: bool
) -> _Clean:
    sent = fields.model_fields_set
    errors: list[FieldError] = []
    clean = _Clean()
    for name in SCALAR_FIELDS:
        if name in sent:
            clean.scalars[name] = getattr(fields, name)
    if "full_name" in sent:
        clean.scalars["full_name"] = nfc(fields.full_name or "")
    if "gender" in sent and fields.gender is None:
        clean.scalars["gender"] = "unknown"
    for name in ("interests", "favourite_products", "favourite_brands"):
        if name in sent:
            clean.scalars[name] = list(dict.fromkeys(nfc(v) for v in (getattr(fields, name) or [])))
    if "birth_date" in sent:
        raw = fields.birth_date
        clean.scalars["birth_date"] = (
            None
            if raw is None or raw == ""
            else _validate_birth_date(raw, errors, clean.date_quality)
        )
    if (
        "household_size" in sent
        and fields.household_size is not None
        and not (1 <= fields.household_size <= 50)
    ):
        errors.append(FieldError("household_size", "out_of_range", {"min": 1, "max": 50}))
    if "phones" in sent:
        clean.phones = _validate_phones(fields.phones or [], errors)
    if "emails" in sent:
        clean.emails = _validate_emails(fields.emails or [], errors)
    if "addresses" in sent:
        clean.addresses = [
            {k: (nfc(v) if isinstance(v, str) else v) for k, v in a.model_dump().items()}
            for a in fields.addresses or []
        ]
    if "attributes" in sent and fields.attributes:
        clean.attributes = _validate_attributes(session, workspace_id, fields.attributes, errors)
    if (
        creating
        and not (clean.scalars.get("full_name") or clean.phones or clean.emails)
        and not any(e.field.startswith(("phones", "emails")) for e in errors)
    ):
        errors.append(FieldError("full_name", "profile_needs_name_or_contact"))
    if errors:
        raise ValidationFailed(errors)
    return clean


def _land(
    session: Session,
    actor: Actor,
    *,
    source: str,
    payload: dict[str, Any],
    idempotency_key: str | None = None,
    source_ref: str | None = None,
    profile_id: UUID | None = None,
) -> SourceRecord:
    record = SourceRecord(
        workspace_id=actor.workspace_id,
        profile_id=profile_id,
        source=source,
        source_ref=source_ref,
        idempotency_key=idempotency_key,
        payload=payload,
        actor_id=actor.id,
    )
    session.add(record)
    session.flush()
    return record


NAME_QUALITY = {
    NameFlag.PLACEHOLDER: "name_placeholder",
    NameFlag.ORGANISATION: "name_organisation",
    NameFlag.HAS_DIGITS: "name_has_digits",
}
DATE_QUALITY = {
    DateFlag.AMBIGUOUS_DAY_MONTH: "birth_date_ambiguous",
    DateFlag.TWO_DIGIT_YEAR: "birth_date_two_digit_year",
}


def _set_quality(profile: Profile, prefix: str, flags: set[str]) -> None:
    """Replace the profile's quality flags that start with ``prefix``."""
    kept = [f for f in profile.quality_flags or [] if not f.startswith(prefix)]
    profile.quality_flags = sorted({*kept, *flags})


def _set_name(profile: Profile, full_name: str) -> None:
    parts = parse_vn_name(full_name)
    _set_quality(profile, "name_", {NAME_QUALITY[f] for f in parts.flags if f in NAME_QUALITY})
    profile.full_name = parts.full
    profile.family_name = parts.family
    profile.middle_name = parts.middle
    profile.given_name = parts.given
    profile.name_key = parts.key
    profile.given_key = fold(" ".join(p for p in (parts.given, parts.family, parts.middle) if p))


def _sync_identifiers(
    session: Session,
    profile: Profile,
    *,
    kind: str,
    wanted: list[tuple[str, str, list[str]]],
    source: str,
    record: SourceRecord,
    new: bool,
) -> list[str]:
    """Make the profile's identifiers of ``kind`` exactly ``wanted`` (value, raw, flags).

    Returns the values that changed (added or removed), for the audit log.
    """
    existing = (
        {}
        if new
        else {
            i.value: i
            for i in session.scalars(
                select(ProfileIdentifier).where(
                    ProfileIdentifier.profile_id == profile.id, ProfileIdentifier.kind == kind
                )
            )
        }
    )
    now = utcnow()
    changed: list[str] = []
    wanted_values = [w[0] for w in wanted]
    for value, identifier in existing.items():
        if value not in wanted_values:
            session.delete(identifier)
            changed.append(value)
    for position, (value, raw, flags) in enumerate(wanted):
        current = existing.get(value)
        if current is None:
            session.add(
                ProfileIdentifier(
                    workspace_id=profile.workspace_id,
                    profile_id=profile.id,
                    kind=kind,
                    value=value,
                    value_raw=raw,
                    flags=flags,
                    is_primary=position == 0,
                    source=source,
                    source_record_id=record.id,
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
            changed.append(value)
        else:
            current.is_primary = position == 0
            current.last_seen_at = now
    return changed


def _apply(
    session: Session,
    profile: Profile,
    clean: _Clean,
    *,
    source: str,
    record: SourceRecord,
    new: bool = False,
    manual: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply a validated change; return (before, after) of what actually changed.

    ``new`` skips the reads of existing identifiers and addresses a new profile cannot have.
    Every changed scalar or custom field is also recorded as an observation of its source
    (``manual`` when a staff member typed it), survivorship's input.
    """
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in clean.scalars.items():
        old = getattr(profile, name)
        if old == value:
            continue
        before[name], after[name] = old, value
        if name == "full_name":
            _set_name(profile, value)
        else:
            setattr(profile, name, value)
        if name == "birth_date":
            _set_quality(profile, "birth_date_", clean.date_quality)
    if clean.phones is not None:
        wanted = [(p.e164 or "", p.raw or "", [f.value for f in p.flags]) for p in clean.phones]
        if _sync_identifiers(
            session, profile, kind="phone", wanted=wanted, source=source, record=record, new=new
        ):
            before["phones"] = [profile.primary_phone] if profile.primary_phone else []
            after["phones"] = [w[0] for w in wanted]
        profile.primary_phone = wanted[0][0] if wanted else None
    if clean.emails is not None:
        wanted = [(e.value or "", e.raw or "", [f.value for f in e.flags]) for e in clean.emails]
        if _sync_identifiers(
            session, profile, kind="email", wanted=wanted, source=source, record=record, new=new
        ):
            before["emails"] = [profile.primary_email] if profile.primary_email else []
            after["emails"] = [w[0] for w in wanted]
        profile.primary_email = wanted[0][0] if wanted else None
    if clean.addresses is not None:
        old_addresses = (
            []
            if new
            else session.scalars(
                select(ProfileAddress).where(ProfileAddress.profile_id == profile.id)
            ).all()
        )
        wanted_addresses = []
        for given in clean.addresses:
            address = dict(given)
            raw = address.pop("raw", None) or address_raw(address)
            wanted_addresses.append((raw, {**address, **_normalise_address(address)}))
        old_view = [_address_view(a) for a in old_addresses]
        # Compared in normalised form: the edit form shows the 2025 names, and saving it
        # unchanged must not count as a change.
        new_view = [{k: a.get(k) for k in _ADDRESS_VIEW} for _, a in wanted_addresses]
        if old_view != new_view:
            if old_addresses:
                session.execute(
                    delete(ProfileAddress).where(ProfileAddress.profile_id == profile.id)
                )
            for raw, address in wanted_addresses:
                session.add(
                    ProfileAddress(
                        workspace_id=profile.workspace_id,
                        profile_id=profile.id,
                        raw=raw or None,
                        source=source,
                        **address,
                    )
                )
            before["addresses"], after["addresses"] = old_view, new_view
    if clean.attributes is not None:
        attributes = dict(profile.attributes or {})
        for key, value in clean.attributes.items():
            if attributes.get(key) == value:
                continue
            before[f"attributes.{key}"] = attributes.get(key)
            after[f"attributes.{key}"] = value
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        profile.attributes = attributes
    if after:
        now = utcnow()
        stamp = {"source": source, "source_record_id": str(record.id), "at": now.isoformat()}
        sources = dict(profile.field_sources or {})
        for name in after:
            sources[name] = stamp
        profile.field_sources = sources
        session.add_all(
            ProfileObservation(
                workspace_id=profile.workspace_id,
                profile_id=profile.id,
                field=name,
                value=_json(value),
                source=source,
                source_record_id=record.id,
                observed_at=now,
                manual=manual,
            )
            for name, value in after.items()
            if name in OBSERVED_FIELDS or name.startswith("attributes.")
        )
    return before, after


def is_manual(actor: Actor, source: str) -> bool:
    """Whether a write is a staff member's own edit (survivorship's "manual edit wins")."""
    return actor.kind is ActorKind.USER and source == "ui"


def _normalise_address(parts: dict[str, Any]) -> dict[str, Any]:
    """The 2025 units of an address (offline), keeping the pre-2025 units it used.

    Unrecognised addresses keep their parts as given, with the status ``unknown``.
    """
    if (parts.get("country") or "VN") != "VN":
        return {}
    result = parse_address(
        parts.get("line"),
        ward=parts.get("ward"),
        district=parts.get("district"),
        province=parts.get("province"),
    )
    if result.status is ConversionStatus.UNKNOWN:
        return {"admin_status": result.status.value}
    return {
        "line": result.line,
        "ward": result.ward.name if result.ward else None,
        "ward_code": result.ward.code if result.ward else None,
        "province": result.province.name if result.province else parts.get("province"),
        "province_code": result.province.code if result.province else None,
        "district": result.legacy_district,
        "legacy_province": result.legacy_province,
        "legacy_ward": result.legacy_ward or (parts.get("ward") if not result.ward else None),
        "admin_status": result.status.value,
        "ward_candidates": [c.code for c in result.candidates],
    }


def address_raw(parts: dict[str, Any]) -> str:
    """An address as the customer gave it, from its parts ("12 Lê Lợi, Bến Nghé, Q1, HCM")."""
    return ", ".join(
        str(parts[k]) for k in ("line", "ward", "district", "province") if parts.get(k)
    )


_ADDRESS_VIEW = ("label", "line", "ward", "district", "province", "country")


def _address_view(address: ProfileAddress) -> dict[str, Any]:
    return {k: getattr(address, k) for k in _ADDRESS_VIEW}


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def get_profile(session: Session, *, workspace_id: UUID, profile_id: UUID) -> Profile:
    """Return a live profile of the workspace.

    Raises:
        ProfileNotFound: No such profile, another workspace's, or deleted.
    """
    profile = session.get(Profile, profile_id)
    if profile is None or profile.workspace_id != workspace_id or profile.deleted_at is not None:
        raise ProfileNotFound(profile_id=str(profile_id))
    return profile


def access_profile(session: Session, *, actor: Actor, profile_id: UUID) -> Profile:
    """Return a profile with identifiers and addresses loaded, if the actor may read it.

    Raises:
        PermissionDenied: The actor may not read profiles.
        ProfileNotFound: No such live profile in the actor's workspace.
    """
    actor.require(Permission.PROFILES_READ)
    profile = queries.load_profile(session, workspace_id=actor.workspace_id, profile_id=profile_id)
    if profile is None:
        raise ProfileNotFound(profile_id=str(profile_id))
    return profile


def create_profile(
    session: Session,
    *,
    actor: Actor,
    data: ProfileCreate,
    source: str = "api",
    idempotency_key: str | None = None,
    source_ref: str | None = None,
    raw_payload: dict[str, Any] | None = None,
) -> Profile:
    """Create a customer profile from validated input; a replayed idempotency key is a no-op.

    ``raw_payload`` is what the source sent, when it differs from ``data`` (an imported row's
    cells); it is kept on the source record, with ``source_ref`` (e.g. "row 12").

    Raises:
        PermissionDenied: The actor may not write profiles.
        ValidationFailed: One or more fields are invalid; nothing is written.
    """
    actor.require(Permission.PROFILES_WRITE)
    if idempotency_key:
        previous = session.scalar(
            select(SourceRecord.profile_id).where(
                SourceRecord.workspace_id == actor.workspace_id,
                SourceRecord.source == source,
                SourceRecord.idempotency_key == idempotency_key,
            )
        )
        if previous is not None:
            return access_profile(session, actor=actor, profile_id=previous)
    clean = _validate(session, actor.workspace_id, data, creating=True)
    profile = Profile(
        workspace_id=actor.workspace_id,
        full_name="",
        name_key="",
        given_key="",
        gender="unknown",
        attributes={},
        field_sources={},
    )
    session.add(profile)
    session.flush()
    record = _land(
        session,
        actor,
        source=source,
        payload=raw_payload or data.model_dump(mode="json", exclude_unset=True),
        idempotency_key=idempotency_key,
        source_ref=source_ref,
        profile_id=profile.id,
    )
    _, after = _apply(
        session,
        profile,
        clean,
        source=source,
        record=record,
        new=True,
        manual=is_manual(actor, source),
    )
    for ext in data.external_ids:
        session.add(
            ProfileIdentifier(
                workspace_id=profile.workspace_id,
                profile_id=profile.id,
                kind=ext.kind,
                value=ext.value.strip(),
                value_raw=ext.value,
                namespace=ext.namespace,
                source=source,
                source_record_id=record.id,
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "profile.created",
        subject_type="profile",
        subject_id=profile.id,
        after=_json(after),
    )
    outbox.emit(session, actor.workspace_id, "profile.created", profile_id=profile.id)
    return access_profile(session, actor=actor, profile_id=profile.id)


def update_profile(
    session: Session,
    *,
    actor: Actor,
    profile_id: UUID,
    data: ProfileUpdate,
    source: str = "api",
    expected_version: int | None = None,
    source_ref: str | None = None,
    raw_payload: dict[str, Any] | None = None,
) -> Profile:
    """Change the fields sent; lists sent replace the whole list.

    Raises:
        PermissionDenied: The actor may not write profiles.
        ProfileNotFound: No such live profile in the actor's workspace.
        StaleProfile: ``expected_version`` is not the current version.
        ValidationFailed: One or more fields are invalid; nothing is written.
    """
    actor.require(Permission.PROFILES_WRITE)
    profile = get_profile(session, workspace_id=actor.workspace_id, profile_id=profile_id)
    if expected_version is not None and profile.version != expected_version:
        raise StaleProfile(profile_id=str(profile_id), version=profile.version)
    clean = _validate(session, actor.workspace_id, data, creating=False)
    record = _land(
        session,
        actor,
        source=source,
        payload=raw_payload or data.model_dump(mode="json", exclude_unset=True),
        source_ref=source_ref,
        profile_id=profile.id,
    )
    before, after = _apply(
        session, profile, clean, source=source, record=record, manual=is_manual(actor, source)
    )
    if after:
        profile.version += 1
        profile.updated_at = utcnow()
        audit.record(
            session,
            actor,
            "profile.updated",
            subject_type="profile",
            subject_id=profile.id,
            before=_json(before),
            after=_json(after),
        )
        outbox.emit(
            session,
            actor.workspace_id,
            "profile.updated",
            profile_id=profile.id,
            fields=sorted(after),
        )
    session.flush()
    return access_profile(session, actor=actor, profile_id=profile.id)


def delete_profile(session: Session, *, actor: Actor, profile_id: UUID) -> None:
    """Soft-delete a profile (it moves to the trash; identifiers are kept for restore).

    Raises:
        PermissionDenied: The actor may not delete profiles.
        ProfileNotFound: No such live profile in the actor's workspace.
    """
    actor.require(Permission.PROFILES_DELETE)
    profile = get_profile(session, workspace_id=actor.workspace_id, profile_id=profile_id)
    profile.deleted_at = utcnow()
    profile.version += 1
    audit.record(
        session,
        actor,
        "profile.deleted",
        subject_type="profile",
        subject_id=profile.id,
        before={"full_name": profile.full_name},
    )
    outbox.emit(session, actor.workspace_id, "profile.deleted", profile_id=profile.id)
    session.flush()


def add_identifier(
    session: Session,
    *,
    actor: Actor,
    profile_id: UUID,
    data: IdentifierCreate,
    source: str = "api",
) -> ProfileIdentifier:
    """Attach one identifier (normalised) to a profile; re-adding refreshes ``last_seen_at``.

    Raises:
        PermissionDenied: The actor may not write profiles.
        ProfileNotFound: No such live profile in the actor's workspace.
        ValidationFailed: The phone or email is invalid.
    """
    actor.require(Permission.PROFILES_WRITE)
    profile = get_profile(session, workspace_id=actor.workspace_id, profile_id=profile_id)
    errors: list[FieldError] = []
    flags: list[str] = []
    if data.kind == "phone":
        phones = _validate_phones([data.value], errors)
        value = phones[0].e164 if phones else ""
        flags = [f.value for f in phones[0].flags] if phones else []
    elif data.kind == "email":
        emails = _validate_emails([data.value], errors)
        value = emails[0].value if emails else ""
        flags = [f.value for f in emails[0].flags] if emails else []
    else:
        value = data.value.strip()
    if errors:
        raise ValidationFailed([FieldError("value", e.code, e.params) for e in errors])
    assert value  # noqa: S101 - a valid result always has a value
    record = _land(
        session, actor, source=source, payload=data.model_dump(mode="json"), profile_id=profile.id
    )
    known = session.scalar(
        select(ProfileIdentifier).where(
            ProfileIdentifier.profile_id == profile.id,
            ProfileIdentifier.kind == data.kind,
            ProfileIdentifier.value == value,
        )
    )
    if known is not None:
        known.last_seen_at = utcnow()
        session.flush()
        return known
    is_first = (data.kind == "phone" and profile.primary_phone is None) or (
        data.kind == "email" and profile.primary_email is None
    )
    identifier = ProfileIdentifier(
        workspace_id=profile.workspace_id,
        profile_id=profile.id,
        kind=data.kind,
        value=value,
        value_raw=data.value,
        namespace=data.namespace,
        flags=flags,
        is_primary=is_first,
        source=source,
        source_record_id=record.id,
    )
    session.add(identifier)
    if is_first and data.kind == "phone":
        profile.primary_phone = value
    elif is_first and data.kind == "email":
        profile.primary_email = value
    profile.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "identifier.added",
        subject_type="profile",
        subject_id=profile.id,
        after={"kind": data.kind, "value": value},
    )
    outbox.emit(
        session,
        actor.workspace_id,
        "profile.updated",
        profile_id=profile.id,
        fields=[f"{data.kind}s"],
    )
    return identifier


def remove_identifier(
    session: Session, *, actor: Actor, profile_id: UUID, identifier_id: UUID
) -> None:
    """Detach an identifier from a profile.

    Raises:
        PermissionDenied: The actor may not write profiles.
        ProfileNotFound: No such live profile in the actor's workspace.
        IdentifierNotFound: The identifier is not on this profile.
    """
    actor.require(Permission.PROFILES_WRITE)
    profile = get_profile(session, workspace_id=actor.workspace_id, profile_id=profile_id)
    identifier = session.get(ProfileIdentifier, identifier_id)
    if identifier is None or identifier.profile_id != profile.id:
        raise IdentifierNotFound(identifier_id=str(identifier_id))
    session.delete(identifier)
    session.flush()
    if identifier.kind in {"phone", "email"}:
        remaining = session.scalars(
            select(ProfileIdentifier)
            .where(
                ProfileIdentifier.profile_id == profile.id,
                ProfileIdentifier.kind == identifier.kind,
            )
            .order_by(ProfileIdentifier.is_primary.desc(), ProfileIdentifier.id)
        ).first()
        if remaining is not None:
            remaining.is_primary = True
        setattr(profile, f"primary_{identifier.kind}", remaining.value if remaining else None)
    profile.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "identifier.removed",
        subject_type="profile",
        subject_id=profile.id,
        before={"kind": identifier.kind, "value": identifier.value},
    )
    session.flush()


def add_note(session: Session, *, actor: Actor, profile_id: UUID, data: NoteCreate) -> Note:
    """Add a staff note to a profile.

    Raises:
        PermissionDenied: The actor may not write notes.
        ProfileNotFound: No such live profile in the actor's workspace.
    """
    actor.require(Permission.NOTES_WRITE)
    profile = get_profile(session, workspace_id=actor.workspace_id, profile_id=profile_id)
    note = Note(
        workspace_id=profile.workspace_id,
        profile_id=profile.id,
        author_id=actor.id,
        author_display=actor.display,
        body=nfc(data.body) if "\n" not in data.body else data.body.strip(),
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor,
        "note.created",
        subject_type="profile",
        subject_id=profile.id,
        after={"note_id": str(note.id)},
    )
    return note


def add_interaction(
    session: Session,
    *,
    actor: Actor,
    profile_id: UUID,
    data: InteractionCreate,
    source: str = "api",
) -> Interaction:
    """Log an interaction (call, chat, visit, complaint...) on the customer's timeline.

    Raises:
        PermissionDenied: The actor may not write interactions.
        ProfileNotFound: No such live profile in the actor's workspace.
    """
    actor.require(Permission.INTERACTIONS_WRITE)
    profile = get_profile(session, workspace_id=actor.workspace_id, profile_id=profile_id)
    record = _land(
        session, actor, source=source, payload=data.model_dump(mode="json"), profile_id=profile.id
    )
    interaction = Interaction(
        workspace_id=profile.workspace_id,
        profile_id=profile.id,
        occurred_at=data.occurred_at or utcnow(),
        channel=data.channel.strip().lower(),
        kind=data.kind.strip().lower(),
        direction=data.direction,
        summary=data.summary,
        properties=data.properties,
        source=source,
        source_record_id=record.id,
        created_by_id=actor.id,
    )
    session.add(interaction)
    session.flush()
    audit.record(
        session,
        actor,
        "interaction.created",
        subject_type="profile",
        subject_id=profile.id,
        after={"interaction_id": str(interaction.id), "kind": interaction.kind},
    )
    outbox.emit(
        session,
        actor.workspace_id,
        "interaction.created",
        profile_id=profile.id,
        interaction_id=interaction.id,
    )
    return interaction


def create_order(
    session: Session, *, actor: Actor, profile_id: UUID, data: OrderCreate, source: str = "api"
) -> Order:
    """Record an order with its items; totals are computed here, never trusted from input.

    Raises:
        PermissionDenied: The actor may not write orders.
        ProfileNotFound: No such live profile in the actor's workspace.
        OrderExternalIdTaken: An order with this channel and external id exists.
        ValidationFailed: The discount exceeds the subtotal.
    """
    actor.require(Permission.ORDERS_WRITE)
    profile = get_profile(session, workspace_id=actor.workspace_id, profile_id=profile_id)
    subtotal = sum((i.quantity * i.unit_price for i in data.items), Decimal(0))
    if data.discount > subtotal:
        raise ValidationFailed([FieldError("discount", "discount_exceeds_subtotal")])
    record = _land(
        session,
        actor,
        source=source,
        payload=data.model_dump(mode="json"),
        source_ref=data.external_id,
        profile_id=profile.id,
    )
    skus = {i.sku for i in data.items if i.sku}
    products = (
        {
            p.sku: p.id
            for p in session.scalars(
                select(Product).where(
                    Product.workspace_id == profile.workspace_id, Product.sku.in_(skus)
                )
            )
        }
        if skus
        else {}
    )
    order = Order(
        workspace_id=profile.workspace_id,
        profile_id=profile.id,
        external_id=data.external_id,
        channel=data.channel.strip().lower(),
        store=data.store,
        status=data.status,
        ordered_at=data.ordered_at or utcnow(),
        subtotal=subtotal,
        discount=data.discount,
        total=subtotal - data.discount,
        payment_method=data.payment_method,
        source=source,
        source_record_id=record.id,
    )
    session.add(order)
    with translate_integrity_errors(
        {
            "uq_sales_order_workspace_id_channel_external_id": lambda: OrderExternalIdTaken(
                external_id=data.external_id, channel=data.channel
            )
        }
    ):
        session.flush()
    for item in data.items:
        session.add(
            OrderItem(
                workspace_id=profile.workspace_id,
                order_id=order.id,
                product_id=products.get(item.sku) if item.sku else None,
                sku=item.sku,
                name=nfc(item.name),
                quantity=item.quantity,
                unit_price=item.unit_price,
                line_total=item.quantity * item.unit_price,
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "order.created",
        subject_type="profile",
        subject_id=profile.id,
        after={"order_id": str(order.id), "total": str(order.total)},
    )
    outbox.emit(
        session, actor.workspace_id, "order.created", profile_id=profile.id, order_id=order.id
    )
    loaded = queries.load_order(session, order_id=order.id)
    assert loaded is not None  # noqa: S101 - just written
    return loaded


def define_attribute(
    session: Session, *, actor: Actor, data: AttributeCreate
) -> AttributeDefinition:
    """Define a custom field for the workspace.

    Raises:
        PermissionDenied: The actor may not manage attributes.
        AttributeKeyTaken: The key is already defined.
        ValidationFailed: An enum without options.
    """
    actor.require(Permission.ATTRIBUTES_MANAGE)
    if data.type in {"enum", "multi_enum"} and not data.options:
        raise ValidationFailed([FieldError("options", "enum_needs_options")])
    definition = AttributeDefinition(workspace_id=actor.workspace_id, **data.model_dump())
    session.add(definition)
    with translate_integrity_errors(
        {"uq_attribute_definition_workspace_id_key": lambda: AttributeKeyTaken(key=data.key)}
    ):
        session.flush()
    audit.record(
        session,
        actor,
        "attribute.defined",
        subject_type="attribute",
        subject_id=definition.id,
        after=data.model_dump(mode="json"),
    )
    return definition


# --- Survivorship, merging and unmerging (identity resolution decides; this is the mechanism)

_STATE_SKIP = frozenset({"id", "workspace_id", "created_at"})


def _profile_state(profile: Profile) -> dict[str, Any]:
    """Every column of a profile that a merge may change, as JSON."""
    return {
        c.key: _json(getattr(profile, c.key))
        for c in Profile.__table__.columns
        if c.key not in _STATE_SKIP
    }


def _restore_state(profile: Profile, state: dict[str, Any]) -> None:
    """Set a profile's columns back to a state taken by ``_profile_state``."""
    for column in Profile.__table__.columns:
        if column.key in _STATE_SKIP or column.key not in state:
            continue
        value = state[column.key]
        if value is not None:
            kind = column.type.python_type
            if kind is date:
                value = date.fromisoformat(value)
            elif kind is datetime:
                value = datetime.fromisoformat(value)
            elif kind is UUID:
                value = UUID(value)
        setattr(profile, column.key, value)


def _field_value(field: str, value: Any) -> Any:
    """An observation's JSON value as the profile column holds it."""
    if value is None:
        return None
    if field == "birth_date":
        return date.fromisoformat(value)
    return value


def _current_value(profile: Profile, field: str) -> Any:
    if field.startswith("attributes."):
        return (profile.attributes or {}).get(field.removeprefix("attributes."))
    return getattr(profile, field)


def _observed_now(profile: Profile) -> list[tuple[str, Any]]:
    """The profile's non-empty observed fields and their values, as observations hold them."""
    fields: list[tuple[str, Any]] = [
        (name, _json(getattr(profile, name))) for name in sorted(OBSERVED_FIELDS)
    ]
    fields += [(f"attributes.{k}", v) for k, v in sorted((profile.attributes or {}).items())]
    return [(f, v) for f, v in fields if v not in (None, "", "unknown", [])]


def ensure_observations(session: Session, *, profile: Profile) -> int:
    """Give every current value of a profile that no observation explains one of its own.

    Profiles written before observations existed (or by a path that did not record them)
    would otherwise lose those values to survivorship. The observation takes the source and
    time that ``field_sources`` remembers, else the profile's own creation. Returns how many
    were added.
    """
    have = {
        row[0]
        for row in session.execute(
            select(ProfileObservation.field).where(ProfileObservation.profile_id == profile.id)
        )
    }
    added = 0
    for name, value in _observed_now(profile):
        if name in have:
            continue
        stamp = (profile.field_sources or {}).get(name) or {}
        at = stamp.get("at")
        record = stamp.get("source_record_id")
        session.add(
            ProfileObservation(
                workspace_id=profile.workspace_id,
                profile_id=profile.id,
                field=name,
                value=value,
                source=stamp.get("source") or "unknown",
                source_record_id=UUID(record) if record else None,
                observed_at=datetime.fromisoformat(at) if at else profile.created_at,
                manual=stamp.get("source") == "ui",
            )
        )
        added += 1
    if added:
        session.flush()
    return added


def _observations(session: Session, profile_id: UUID) -> dict[str, list[ProfileObservation]]:
    grouped: dict[str, list[ProfileObservation]] = {}
    for row in session.scalars(
        select(ProfileObservation)
        .where(ProfileObservation.profile_id == profile_id)
        .order_by(ProfileObservation.observed_at, ProfileObservation.id)
    ):
        grouped.setdefault(row.field, []).append(row)
    return grouped


def golden_choices(
    session: Session,
    *,
    profile_id: UUID,
    field_rules: dict[str, Any] | None = None,
    trust: dict[str, int] | None = None,
) -> dict[str, tuple[Choice, list[ProfileObservation]]]:
    """Per observed field: the survivorship choice and every observation it chose among."""
    result: dict[str, tuple[Choice, list[ProfileObservation]]] = {}
    for name, rows in _observations(session, profile_id).items():
        choice = choose(
            [
                SurvivorObservation(str(o.id), o.value, o.source, o.observed_at, o.manual)
                for o in rows
            ],
            rules_for(name, field_rules),
            trust=trust,
        )
        if choice is not None:
            result[name] = (choice, rows)
    return result


_CLEARED: dict[str, Any] = {
    "gender": "unknown",
    "interests": [],
    "favourite_products": [],
    "favourite_brands": [],
}


def _apply_golden(
    session: Session,
    profile: Profile,
    *,
    field_rules: dict[str, Any] | None,
    trust: dict[str, int] | None,
    clear_unsupported: bool = False,
) -> dict[str, tuple[Any, Any]]:
    """Set each observed field to its survivorship choice; return {field: (before, after)}.

    With ``clear_unsupported``, a value no remaining observation supports is cleared (after
    an unmerge took its observations away); the name is never cleared.
    """
    changed: dict[str, tuple[Any, Any]] = {}
    sources = dict(profile.field_sources or {})
    attributes = dict(profile.attributes or {})
    choices = golden_choices(session, profile_id=profile.id, field_rules=field_rules, trust=trust)
    if clear_unsupported:
        for name, value in _observed_now(profile):
            if name in choices or name == "full_name":
                continue
            changed[name] = (value, None)
            sources.pop(name, None)
            if name.startswith("attributes."):
                attributes.pop(name.removeprefix("attributes."), None)
            else:
                setattr(profile, name, _CLEARED.get(name))
    for name, (choice, rows) in choices.items():
        value = _field_value(name, choice.value)
        before = _current_value(profile, name)
        if before == value:
            continue
        changed[name] = (_json(before), choice.value)
        if name.startswith("attributes."):
            attributes[name.removeprefix("attributes.")] = value
        elif name == "full_name":
            _set_name(profile, value)
        else:
            setattr(profile, name, value)
        chosen = next(o for o in rows if str(o.id) == choice.observation.ref)
        sources[name] = {
            "source": chosen.source,
            "source_record_id": str(chosen.source_record_id) if chosen.source_record_id else None,
            "at": chosen.observed_at.isoformat(),
            "rule": choice.rule.value if choice.rule else None,
        }
    profile.attributes = attributes
    profile.field_sources = sources
    return changed


def recompute_golden(
    session: Session,
    *,
    actor: Actor,
    profile_id: UUID,
    field_rules: dict[str, Any] | None = None,
    trust: dict[str, int] | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Recompute a customer's golden values from what its sources said (survivorship).

    Returns the fields that changed, with their values before and after.

    Raises:
        PermissionDenied: The actor may not write profiles.
        ProfileNotFound: No such live profile in the actor's workspace.
    """
    actor.require(Permission.PROFILES_WRITE)
    profile = get_profile(session, workspace_id=actor.workspace_id, profile_id=profile_id)
    ensure_observations(session, profile=profile)
    changed = _apply_golden(session, profile, field_rules=field_rules, trust=trust)
    if changed:
        profile.version += 1
        profile.updated_at = utcnow()
        audit.record(
            session,
            actor,
            "profile.recomputed",
            subject_type="profile",
            subject_id=profile.id,
            before=_json({k: v[0] for k, v in changed.items()}),
            after=_json({k: v[1] for k, v in changed.items()}),
        )
        outbox.emit(
            session,
            actor.workspace_id,
            "profile.updated",
            profile_id=profile.id,
            fields=sorted(changed),
        )
    session.flush()
    return changed


def _profile_references() -> list[tuple[Table, Column[Any], list[str]]]:
    """Every table column that names a profile and moves with it on a merge.

    Found from the metadata, so a table a later domain adds (consents, segment memberships,
    events) moves too without this code knowing it. A table opts out with
    ``info={"on_profile_merge": "keep"}``; ``info={"on_profile_merge": {"unique": [...]}}``
    moves only the rows the survivor does not already have (same values in those columns).
    """
    found: list[tuple[Table, Column[Any], list[str]]] = []
    for table in Base.metadata.sorted_tables:
        policy = table.info.get("on_profile_merge", "move")
        if table.name == "profile" or policy == "keep":
            continue
        unique = list(policy.get("unique", [])) if isinstance(policy, dict) else []
        found.extend(
            (table, column, unique)
            for column in table.columns
            if any(fk.column.table.name == "profile" for fk in column.foreign_keys)
        )
    return found


def _move_rows(
    session: Session, *, from_id: UUID, to_id: UUID, only: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """Point rows at ``to_id``: all of ``from_id``'s, or exactly the ids in ``only``."""
    moved: dict[str, list[str]] = {}
    for table, column, unique in _profile_references():
        key = f"{table.name}.{column.key}"
        statement = update(table).values({column.key: to_id}).returning(table.c.id)
        if only is not None:
            ids = [UUID(i) for i in only.get(key, [])]
            if not ids:
                continue
            statement = statement.where(table.c.id.in_(ids))
        else:
            statement = statement.where(column == from_id)
            if unique:
                twin = table.alias("twin")
                statement = statement.where(
                    ~select(literal(1))
                    .select_from(twin)
                    .where(
                        twin.c[column.key] == to_id,
                        *(twin.c[u] == table.c[u] for u in unique),
                    )
                    .exists()
                )
        ids_moved = [str(r[0]) for r in session.execute(statement)]
        if ids_moved:
            moved[key] = ids_moved
    return moved


def _lock_profiles(session: Session, workspace_id: UUID, ids: list[UUID]) -> dict[UUID, Profile]:
    rows = session.scalars(
        select(Profile)
        .where(Profile.id.in_(ids), Profile.workspace_id == workspace_id)
        .order_by(Profile.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {p.id: p for p in rows}


@dataclass(frozen=True, slots=True)
class Fold:
    """What folding one profile into another did: enough to undo it exactly."""

    survivor: Profile
    merged: Profile
    snapshot: dict[str, Any]
    moved: dict[str, list[str]]


def fold_profile(
    session: Session,
    *,
    actor: Actor,
    survivor_id: UUID,
    merged_id: UUID,
    field_rules: dict[str, Any] | None = None,
    trust: dict[str, int] | None = None,
) -> Fold:
    """Fold one customer into another: every row of the merged one moves to the survivor.

    The survivor's values are then chosen by survivorship among both customers'
    observations. The merged profile is kept, hidden (``merged_into_id``), with a snapshot of
    both profiles and the list of moved rows for :func:`unfold_profile`. Identity resolution
    decides *whether* to merge and records the decision; this is the mechanism.

    Raises:
        PermissionDenied: The actor may not merge profiles.
        ProfileNotFound: Either profile is missing in this workspace or deleted.
        ProfileMergedAway: Either profile was already merged into another.
        MergeWithItself: Both ids are the same.
    """
    actor.require(Permission.PROFILES_MERGE)
    if survivor_id == merged_id:
        raise MergeWithItself(profile_id=str(survivor_id))
    locked = _lock_profiles(session, actor.workspace_id, [survivor_id, merged_id])
    for pid in (survivor_id, merged_id):
        profile = locked.get(pid)
        if profile is None:
            raise ProfileNotFound(profile_id=str(pid))
        if profile.merged_into_id is not None:
            raise ProfileMergedAway(profile_id=str(pid), merged_into=str(profile.merged_into_id))
        if profile.deleted_at is not None:
            raise ProfileNotFound(profile_id=str(pid))
    survivor, merged = locked[survivor_id], locked[merged_id]
    for profile in (survivor, merged):
        ensure_observations(session, profile=profile)
    primaries = [
        str(i)
        for i in session.scalars(
            select(ProfileIdentifier.id).where(
                ProfileIdentifier.profile_id == merged.id, ProfileIdentifier.is_primary
            )
        )
    ]
    survivor_state, merged_state = _profile_state(survivor), _profile_state(merged)
    snapshot: dict[str, Any] = {
        "survivor": survivor_state,
        "merged": merged_state,
        "merged_primary_identifiers": primaries,
    }
    kept_primary = set(
        session.scalars(
            select(ProfileIdentifier.kind).where(
                ProfileIdentifier.profile_id == survivor.id, ProfileIdentifier.is_primary
            )
        )
    )
    moved = _move_rows(session, from_id=merged.id, to_id=survivor.id)
    moved_identifiers = moved.get("profile_identifier.profile_id", [])
    if moved_identifiers and kept_primary:
        # The survivor keeps its own primary phone and email; the merged one's primaries of
        # a kind the survivor lacked stay primary.
        session.execute(
            update(ProfileIdentifier)
            .where(
                ProfileIdentifier.id.in_([UUID(i) for i in moved_identifiers]),
                ProfileIdentifier.kind.in_(kept_primary),
            )
            .values(is_primary=False)
        )
    session.expire(survivor)
    _apply_golden(session, survivor, field_rules=field_rules, trust=trust)
    survivor.primary_phone = survivor.primary_phone or merged.primary_phone
    survivor.primary_email = survivor.primary_email or merged.primary_email
    survivor.owner_user_id = survivor.owner_user_id or merged.owner_user_id
    if (
        survivor.birth_date is not None
        and survivor.birth_date == merged.birth_date
        and survivor_state["birth_date"] != merged_state["birth_date"]
    ):
        # The birth date came from the merged customer: so do its quality flags.
        flags = {f for f in merged.quality_flags or [] if f.startswith("birth_date_")}
        _set_quality(survivor, "birth_date_", flags)
    survivor.version += 1
    survivor.updated_at = merged.deleted_at = utcnow()
    merged.merged_into_id = survivor.id
    merged.version += 1
    session.flush()
    audit.record(
        session,
        actor,
        "profile.merged",
        subject_type="profile",
        subject_id=survivor.id,
        after={"merged_id": str(merged.id), "moved": {k: len(v) for k, v in moved.items()}},
    )
    outbox.emit(
        session,
        actor.workspace_id,
        "profile.merged",
        profile_id=survivor.id,
        merged_id=merged.id,
    )
    return Fold(survivor=survivor, merged=merged, snapshot=snapshot, moved=moved)


def live_profile_id(session: Session, *, workspace_id: UUID, profile_id: UUID) -> UUID | None:
    """The live profile a (possibly merged) profile now lives in; None if deleted."""
    seen: set[UUID] = set()
    current: UUID | None = profile_id
    while current is not None and current not in seen:
        seen.add(current)
        row = session.execute(
            select(Profile.merged_into_id, Profile.deleted_at).where(
                Profile.id == current, Profile.workspace_id == workspace_id
            )
        ).first()
        if row is None:
            return None
        if row.merged_into_id is None:
            return current if row.deleted_at is None else None
        current = row.merged_into_id
    return None


def unfold_profile(
    session: Session,
    *,
    actor: Actor,
    survivor_id: UUID,
    merged_id: UUID,
    snapshot: dict[str, Any],
    moved: dict[str, list[str]],
    survivor_version: int,
    field_rules: dict[str, Any] | None = None,
    trust: dict[str, int] | None = None,
) -> tuple[Profile, Profile | None]:
    """Undo :func:`fold_profile`: the moved rows go back and the merged profile returns.

    The merged profile is restored from its snapshot. The survivor too, when nothing changed
    it since the merge; otherwise its values are recomputed from its remaining observations,
    so later edits survive. If the survivor was itself merged into a third profile since, the
    rows come back from wherever they are now and that profile is recomputed. Returns the
    restored profile and the (live) survivor.

    Raises:
        PermissionDenied: The actor may not merge profiles.
        ProfileNotFound: The merged profile no longer exists.
    """
    actor.require(Permission.PROFILES_MERGE)
    holder_id = live_profile_id(session, workspace_id=actor.workspace_id, profile_id=survivor_id)
    ids = [merged_id] + ([holder_id] if holder_id and holder_id != merged_id else [])
    locked = _lock_profiles(session, actor.workspace_id, ids)
    merged = locked.get(merged_id)
    if merged is None:
        raise ProfileNotFound(profile_id=str(merged_id))
    holder = locked.get(holder_id) if holder_id else None
    if holder is not None:
        # Values written since the merge by a path that kept no observation keep one now.
        ensure_observations(session, profile=holder)
    _move_rows(session, from_id=survivor_id, to_id=merged_id, only=moved)
    primaries = [UUID(i) for i in snapshot.get("merged_primary_identifiers", [])]
    if primaries:
        session.execute(
            update(ProfileIdentifier)
            .where(ProfileIdentifier.id.in_(primaries), ProfileIdentifier.profile_id == merged_id)
            .values(is_primary=True)
        )
    version = merged.version
    _restore_state(merged, snapshot["merged"])
    merged.version = version + 1
    merged.updated_at = utcnow()
    if holder is not None:
        session.expire(holder)
        if holder.id == survivor_id and holder.version == survivor_version:
            version = holder.version
            _restore_state(holder, snapshot["survivor"])
            holder.version = version + 1
        else:
            _apply_golden(
                session, holder, field_rules=field_rules, trust=trust, clear_unsupported=True
            )
            holder.version += 1
            for kind in ("phone", "email"):
                values = {
                    i.value
                    for i in session.scalars(
                        select(ProfileIdentifier).where(
                            ProfileIdentifier.profile_id == holder.id,
                            ProfileIdentifier.kind == kind,
                        )
                    )
                }
                if getattr(holder, f"primary_{kind}") not in values:
                    setattr(holder, f"primary_{kind}", min(values) if values else None)
        holder.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "profile.unmerged",
        subject_type="profile",
        subject_id=merged.id,
        after={"from": str(holder.id) if holder else None},
    )
    outbox.emit(
        session,
        actor.workspace_id,
        "profile.unmerged",
        profile_id=merged.id,
        survivor_id=holder.id if holder else None,
    )
    return merged, holder
