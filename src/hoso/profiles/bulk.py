"""Set-based writes of profiles: thousands of rows' changes in a handful of statements.

This is the profiles write path for bulk sources (imports), beside :mod:`hoso.profiles.service`
which writes one profile per call. Both apply the same rules (the same normalisers, name
keys, quality flags, address parsing into the 2025 units, attribute coercion, per-field
lineage, versions); here they run in Python over :class:`ProfileState` snapshots, and the
results are written with ``COPY`` and one ``UPDATE … FROM`` per chunk.

How a source's fields become profile writes lives in one place, :class:`Merge` and
:func:`plan_create` / :func:`plan_merge` (what would change, with the field errors) and
:meth:`BulkWriter.create` / :meth:`BulkWriter.merge` (apply it to the snapshot and queue the
rows). The semantics are additive: scalars change only when the source gives a different
non-empty value; phones, e-mails, external ids and addresses are added, never removed;
custom fields are coerced to their definitions and changed only when they differ.

Audit and outbox are the caller's: a bulk source records one audit event and one outbox
event for the whole batch, and keeps per-row changes itself (``import_row``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from psycopg import Connection as PgConnection
from sqlalchemy import text
from sqlalchemy.orm import Session

from hoso.core.actor import Actor
from hoso.core.clock import utcnow
from hoso.core.errors import Conflict, FieldError
from hoso.core.ids import uuid7_batch
from hoso.engine.normalize import EmailFlag, PhoneFlag, nfc
from hoso.engine.normalize.cached import cached_email, cached_fold, cached_name, cached_phone
from hoso.profiles.models import AttributeDefinition
from hoso.profiles.service import (
    NAME_QUALITY,
    _coerce_attribute,
    _normalise_address,
    address_raw,
)

__all__ = [
    "IDENTIFIER_FIELDS",
    "SCALARS",
    "BulkWriter",
    "Merge",
    "ProfileState",
    "ProfilesChanged",
    "find_by_keys",
    "fits",
    "index_probes",
    "load_states",
    "match_keys",
    "plan_create",
    "plan_merge",
    "raw_connection",
    "to_json",
    "trash",
]

SCALARS = ("full_name", "gender", "birth_date", "occupation")
# Identifiers of other systems a source may carry; kept as identifiers and matched on.
IDENTIFIER_FIELDS = ("external_id", "zalo_id", "loyalty_card")
_ADDRESS_KEYS = ("line", "ward", "district", "province")
# The API's limits (hoso.profiles.schemas); a value over them makes the row invalid.
_SHORT = 200
_PHONE_CHARS = 60
_EMAIL_CHARS = 320
_MAX_CONTACTS = 20
_RAW_ADDRESS = 1000


class ProfilesChanged(Conflict):
    """Profiles changed under a bulk write (another user saved them meanwhile)."""

    code = "profiles_changed_concurrently"


@dataclass(slots=True)
class ProfileState:
    """A profile as a bulk write sees it: loaded from the database or created in this run.

    ``identifiers`` holds every ``(kind, value)`` of the profile, in the order they were
    added; ``phones`` and ``emails`` their values; ``address_raws`` the addresses as given;
    ``notes`` the bodies of its live notes that the caller asked about or added.
    """

    id: UUID
    version: int
    is_new: bool
    full_name: str = ""
    family_name: str | None = None
    middle_name: str | None = None
    given_name: str | None = None
    name_key: str = ""
    given_key: str = ""
    gender: str = "unknown"
    birth_date: date | None = None
    occupation: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    field_sources: dict[str, Any] = field(default_factory=dict)
    quality_flags: list[str] = field(default_factory=list)
    primary_phone: str | None = None
    primary_email: str | None = None
    identifiers: dict[tuple[str, str], None] = field(default_factory=dict)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    address_raws: list[str | None] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)
    loaded_version: int = 0
    touched: bool = False  # has column changes to write (existing profiles only)


@dataclass(slots=True)
class Merge:
    """What a source's fields would change on a profile (or create), nothing applied yet.

    ``changes`` is the record kept for undo: per field ``{"before": …, "after": …}`` (phones
    and e-mails as sorted value lists, addresses as the raw texts, custom fields as
    ``attributes.<key>``), plus ``note`` and ``identifiers`` when added.
    """

    scalars: dict[str, Any] = field(default_factory=dict)
    phones: list[str] = field(default_factory=list)  # the cells, as given
    emails: list[str] = field(default_factory=list)
    address: dict[str, Any] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    note: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether applying it would change nothing."""
        return not (
            self.scalars
            or self.phones
            or self.emails
            or self.address
            or self.attributes
            or self.identifiers
            or self.note
        )


# --- reading ---------------------------------------------------------------------------


_PLANNER_OFF = ("enable_seqscan", "enable_bitmapscan", "enable_hashjoin", "enable_mergejoin")


@contextmanager
def index_probes(session: Session) -> Iterator[None]:
    """Make the statements inside probe indexes key by key, whatever the statistics say.

    During a big import the tables grow inside one transaction that autovacuum cannot see,
    so the planner keeps believing they are small: on a fresh database it scanned the whole
    profile table for every key of a chunk (quadratic in the file's length). The settings
    are transaction-local and put back afterwards.
    """
    previous = session.execute(
        text("SELECT " + ", ".join(f"current_setting('{name}')" for name in _PLANNER_OFF))
    ).one()
    session.execute(
        text("SELECT " + ", ".join(f"set_config('{name}', 'off', true)" for name in _PLANNER_OFF))
    )
    try:
        yield
    finally:
        session.execute(
            text(
                "SELECT "
                + ", ".join(
                    f"set_config('{name}', :v{i}, true)" for i, name in enumerate(_PLANNER_OFF)
                )
            ),
            {f"v{i}": value for i, value in enumerate(previous)},
        )


def find_by_keys(
    session: Session, *, workspace_id: UUID, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], set[UUID]]:
    """The live profiles holding each ``(kind, value)`` identifier, in one query."""
    unique = list(dict.fromkeys(keys))
    found: dict[tuple[str, str], set[UUID]] = {}
    if not unique:
        return found
    # One index probe per key, whatever the planner believes: right after a big import its
    # statistics are stale, and it then merge-joined a sort of the workspace's whole
    # identifier index for every chunk (the LATERAL subquery with OFFSET 0 is not flattened).
    rows = session.execute(
        text(
            "SELECT k.kind, k.value, m.profile_id"
            " FROM unnest(CAST(:kinds AS text[]), CAST(:vals AS text[])) AS k(kind, value)"
            " CROSS JOIN LATERAL (SELECT pi.profile_id FROM profile_identifier pi"
            "  WHERE pi.workspace_id = :ws AND pi.kind = k.kind AND pi.value = k.value"
            "  OFFSET 0) m"
            " CROSS JOIN LATERAL (SELECT 1 FROM profile p WHERE p.id = m.profile_id"
            "  AND p.deleted_at IS NULL OFFSET 0) live"
        ),
        {"kinds": [k for k, _ in unique], "vals": [v for _, v in unique], "ws": workspace_id},
    )
    for kind, value, profile_id in rows.all():
        found.setdefault((kind, value), set()).add(profile_id)
    return found


def load_states(
    session: Session,
    *,
    workspace_id: UUID,
    profile_ids: Iterable[UUID],
    note_bodies: Iterable[str] = (),
) -> dict[UUID, ProfileState]:
    """Snapshots of live profiles with their identifiers, addresses and matching notes."""
    ids = list(dict.fromkeys(profile_ids))
    if not ids:
        return {}
    params = {"ids": ids, "ws": workspace_id}
    states: dict[UUID, ProfileState] = {}
    for row in session.execute(
        text(
            "SELECT p.id, p.version, p.full_name, p.family_name, p.middle_name, p.given_name,"
            " p.name_key, p.given_key, p.gender, p.birth_date, p.occupation, p.attributes,"
            " p.field_sources, p.quality_flags, p.primary_phone, p.primary_email"
            " FROM unnest(CAST(:ids AS uuid[])) AS k(id) CROSS JOIN LATERAL (SELECT * FROM"
            "  profile p WHERE p.id = k.id AND p.workspace_id = :ws AND p.deleted_at IS NULL"
            "  OFFSET 0) p"
        ),
        params,
    ).all():
        states[row[0]] = ProfileState(
            id=row[0],
            version=row[1],
            is_new=False,
            full_name=row[2],
            family_name=row[3],
            middle_name=row[4],
            given_name=row[5],
            name_key=row[6],
            given_key=row[7],
            gender=row[8],
            birth_date=row[9],
            occupation=row[10],
            attributes=dict(row[11] or {}),
            field_sources=dict(row[12] or {}),
            quality_flags=list(row[13] or []),
            primary_phone=row[14],
            primary_email=row[15],
            loaded_version=row[1],
        )
    for profile_id, kind, value in session.execute(
        text(
            "SELECT i.profile_id, i.kind, i.value FROM unnest(CAST(:ids AS uuid[])) AS k(id)"
            " CROSS JOIN LATERAL (SELECT * FROM profile_identifier WHERE profile_id = k.id"
            "  OFFSET 0) i ORDER BY i.profile_id, i.id"
        ),
        params,
    ).all():
        state = states.get(profile_id)
        if state is not None:
            state.identifiers[(kind, value)] = None
            if kind == "phone":
                state.phones.append(value)
            elif kind == "email":
                state.emails.append(value)
    for profile_id, raw in session.execute(
        text(
            "SELECT a.profile_id, a.raw FROM unnest(CAST(:ids AS uuid[])) AS k(id)"
            " CROSS JOIN LATERAL (SELECT * FROM profile_address WHERE profile_id = k.id"
            "  OFFSET 0) a ORDER BY a.profile_id, a.id"
        ),
        params,
    ).all():
        if profile_id in states:
            states[profile_id].address_raws.append(raw)
    bodies = list(set(note_bodies))
    if bodies:
        for profile_id, body in session.execute(
            text(
                "SELECT n.profile_id, n.body FROM unnest(CAST(:ids AS uuid[])) AS k(id)"
                " CROSS JOIN LATERAL (SELECT * FROM note WHERE profile_id = k.id"
                "  AND body = ANY(CAST(:bodies AS text[])) AND deleted_at IS NULL OFFSET 0) n"
            ),
            {**params, "bodies": bodies},
        ).all():
            if profile_id in states:
                states[profile_id].notes.add(body)
    return states


def match_keys(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``(kind, value)`` identifiers a source's fields would match a profile on.

    Phones (every number of a cell) in E.164, e-mails normalised, and the values of
    ``external_id``, ``zalo_id`` and ``loyalty_card``.
    """
    keys: list[tuple[str, str]] = []
    for raw in fields.get("phones") or []:
        phone = cached_phone(raw)
        keys.extend(("phone", p.e164) for p in (phone, *phone.secondary) if p.e164)
    for raw in fields.get("emails") or []:
        email = cached_email(raw)
        keys.extend(("email", e.value) for e in (email, *email.secondary) if e.value)
    keys.extend((kind, str(fields[kind]).strip()) for kind in IDENTIFIER_FIELDS if fields.get(kind))
    return keys


def trash(session: Session, *, workspace_id: UUID, profile_ids: list[UUID]) -> int:
    """Move live profiles to the trash in one statement; returns how many moved.

    Like :func:`hoso.profiles.service.delete_profile` (soft delete, version bumped,
    identifiers kept for a restore), without a per-profile audit event: the caller records
    one for the whole set.
    """
    if not profile_ids:
        return 0
    result = session.execute(
        text(
            "UPDATE profile SET deleted_at = now(), updated_at = now(), version = version + 1"
            " WHERE id = ANY(CAST(:ids AS uuid[])) AND workspace_id = :ws"
            " AND deleted_at IS NULL"
        ),
        {"ids": profile_ids, "ws": workspace_id},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- planning --------------------------------------------------------------------------


def _address(fields: Mapping[str, Any]) -> dict[str, Any] | None:
    for address in fields.get("addresses") or []:
        if any(address.get(k) for k in _ADDRESS_KEYS):
            parts = {k: (nfc(str(address[k])) if address.get(k) else None) for k in _ADDRESS_KEYS}
            return {**parts, "raw": address_raw(parts)}
    return None


def _valid_contacts(raws: Iterable[str], kind: str) -> list[tuple[str, str, list[str]]]:
    """(value, raw, flags) of every valid number or address of the cells, first wins."""
    out: dict[str, tuple[str, str, list[str]]] = {}
    for raw in raws:
        if not raw.strip():
            continue
        if kind == "phone":
            phone = cached_phone(raw)
            if PhoneFlag.PLACEHOLDER in phone.flags:
                continue
            for one in (phone, *phone.secondary):
                if one.e164 is not None and one.e164 not in out:
                    out[one.e164] = (one.e164, one.raw or "", [f.value for f in one.flags])
        else:
            email = cached_email(raw)
            if EmailFlag.PLACEHOLDER in email.flags:
                continue
            for e in (email, *email.secondary):
                if e.value is not None and e.value not in out:
                    out[e.value] = (e.value, e.raw or "", [f.value for f in e.flags])
    return list(out.values())


def _coerce(
    definitions: Mapping[str, AttributeDefinition], wanted: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    coerced: dict[str, Any] = {}
    for key, value in wanted.items():
        definition = definitions.get(key)
        if definition is None:
            errors.append(FieldError(f"attributes.{key}", "unknown_attribute", {"key": key}))
            continue
        ok, result = _coerce_attribute(definition, value, errors)
        if ok:
            coerced[key] = result
    return coerced, errors


def _wanted_attributes(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (fields.get("attributes") or {}).items() if v not in (None, "")}


def fits(fields: Mapping[str, Any]) -> bool:
    """Whether the fields are within the API's limits (lengths, counts)."""
    for key in ("full_name", "occupation"):
        if len(str(fields.get(key) or "")) > _SHORT:
            return False
    phones, emails = fields.get("phones") or [], fields.get("emails") or []
    if len(phones) > _MAX_CONTACTS or any(len(str(p)) > _PHONE_CHARS for p in phones):
        return False
    if len(emails) > _MAX_CONTACTS or any(len(str(e)) > _EMAIL_CHARS for e in emails):
        return False
    address = _address(fields)
    if address and (
        any(len(address[k] or "") > _SHORT for k in _ADDRESS_KEYS)
        or len(address["raw"]) > _RAW_ADDRESS
    ):
        return False
    return all(len(str(fields.get(k) or "").strip()) <= _SHORT for k in IDENTIFIER_FIELDS)


def plan_create(
    fields: Mapping[str, Any],
    *,
    definitions: Mapping[str, AttributeDefinition],
    note: str | None = None,
) -> Merge:
    """What creating a profile from ``fields`` would write (``errors`` if it cannot)."""
    merge = Merge()
    for key in SCALARS:
        value = fields.get(key)
        if value not in (None, "", "unknown"):
            merge.scalars[key] = nfc(str(value)) if key == "full_name" else value
    merge.phones = list(fields.get("phones") or [])
    merge.emails = list(fields.get("emails") or [])
    if not (merge.scalars.get("full_name") or merge.phones or merge.emails):
        merge.errors.append(FieldError("full_name", "profile_needs_name_or_contact"))
        return merge
    merge.address = _address(fields)
    merge.attributes, merge.errors = _coerce(definitions, _wanted_attributes(fields))
    merge.identifiers = [
        (kind, str(fields[kind]).strip()) for kind in IDENTIFIER_FIELDS if fields.get(kind)
    ]
    merge.note = note
    return merge


def plan_merge(
    state: ProfileState,
    fields: Mapping[str, Any],
    *,
    definitions: Mapping[str, AttributeDefinition],
    note: str | None = None,
) -> Merge:
    """What merging ``fields`` into ``state`` would change (additively), and its errors."""
    merge = Merge()
    changes = merge.changes
    for key in SCALARS:
        value = fields.get(key)
        if value in (None, "", "unknown"):
            continue
        current = getattr(state, key)
        if isinstance(current, date):
            current = current.isoformat()
        if key == "full_name":
            value = nfc(str(value))
        if value != current:
            merge.scalars[key] = value
            changes[key] = {"before": current, "after": value}
    for kind, have in (("phone", state.phones), ("email", state.emails)):
        raws = fields.get(f"{kind}s") or []
        if not raws:
            continue
        new = [c for c in _valid_contacts(raws, kind) if c[0] not in have]
        if new:
            values = set(have)
            changes[f"{kind}s"] = {
                "before": sorted(values),
                "after": sorted(values | {c[0] for c in new}),
            }
            setattr(merge, f"{kind}s", list(raws))
    address = _address(fields)
    # Addresses compare as the customer wrote them: stored parts are normalised (2025 units),
    # so comparing parts would see a change on every re-import.
    known = {cached_fold(r or "") for r in state.address_raws}
    if address and cached_fold(address["raw"]) not in known:
        merge.address = address
        existing = list(state.address_raws)
        changes["addresses"] = {"before": existing, "after": [*existing, address["raw"]]}
    wanted = _wanted_attributes(fields)
    if wanted:
        coerced, merge.errors = _coerce(definitions, wanted)
        for key, value in coerced.items():
            if state.attributes.get(key) != value:
                merge.attributes[key] = value
                changes[f"attributes.{key}"] = {
                    "before": state.attributes.get(key),
                    "after": value,
                }
    if note and note not in state.notes:
        merge.note = note
    merge.identifiers = [
        (kind, str(fields[kind]).strip())
        for kind in IDENTIFIER_FIELDS
        if fields.get(kind) and (kind, str(fields[kind]).strip()) not in state.identifiers
    ]
    if merge.note:
        changes["note"] = {"before": None, "after": merge.note}
    if merge.identifiers:
        changes["identifiers"] = {"before": None, "after": [list(i) for i in merge.identifiers]}
    return merge


# --- writing ---------------------------------------------------------------------------


AddressKey = tuple[str | None, str | None, str | None, str | None]  # line, ward, district, province
# Parsed addresses by their parts, for the whole process: shops repeat streets and wards.
_PARSED: dict[AddressKey, dict[str, Any]] = {}
_PARSED_MAX = 1 << 16


def parse_addresses(keys: list[AddressKey]) -> list[dict[str, Any]]:
    """Parse addresses into the 2025 units exactly as the profiles service does.

    A top-level function so that a worker process can run it (see ``BulkWriter.pool``).
    """
    return [
        _normalise_address(
            {"line": k[0], "ward": k[1], "district": k[2], "province": k[3], "country": "VN"}
        )
        for k in keys
    ]


def raw_connection(session: Session) -> PgConnection[Any]:
    """The psycopg connection under the session's transaction (for ``COPY``)."""
    return cast("PgConnection[Any]", session.connection().connection.dbapi_connection)


def to_json(value: Any) -> str:
    """Compact JSON text for a ``jsonb`` column written by ``COPY`` (dates as ISO)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(type(value).__name__)


class BulkWriter:
    """Applies merges to snapshots and queues the rows; :meth:`flush` writes them.

    One writer serves one source (``source``, e.g. ``import:khach.csv``) in one transaction.
    """

    def __init__(self, *, actor: Actor, source: str, namespace: str) -> None:
        self.actor = actor
        self.source = source
        self.namespace = namespace
        self._ids: list[UUID] = []
        self._new: list[ProfileState] = []
        self._touched: dict[UUID, ProfileState] = {}
        self._records: list[tuple[Any, ...]] = []
        self._identifiers: list[tuple[Any, ...]] = []
        self._addresses: list[tuple[Any, ...]] = []
        self._notes: list[tuple[Any, ...]] = []
        # (profile, field, value as stored, source record): survivorship's observations.
        self._observations: list[tuple[UUID, str, Any, UUID]] = []
        self._at = utcnow().isoformat()
        # A process pool that parses addresses while this process goes on (set by the caller
        # for big files; addresses are parsed here when it is None).
        self.pool: Executor | None = None
        self._parsing: tuple[list[AddressKey], Future[list[dict[str, Any]]]] | None = None

    def new_id(self) -> UUID:
        """A fresh UUIDv7 (drawn in batches)."""
        if not self._ids:
            self._ids = uuid7_batch(4096)
            self._ids.reverse()
        return self._ids.pop()

    def _record(self, profile_id: UUID, source_ref: str, payload: dict[str, Any]) -> UUID:
        record_id = self.new_id()
        self._records.append(
            (record_id, self.source, source_ref, to_json(payload), self.actor.id, profile_id)
        )
        return record_id

    def create(
        self, merge: Merge, *, source_ref: str, payload: dict[str, Any]
    ) -> tuple[ProfileState, UUID]:
        """Create a profile from a planned merge; returns its state and source record id."""
        state = ProfileState(id=self.new_id(), version=1, is_new=True)
        record_id = self._record(state.id, source_ref, payload)
        self._apply(state, merge, record_id, creating=True)
        self._new.append(state)
        return state, record_id

    def merge(
        self, state: ProfileState, merge: Merge, *, source_ref: str, payload: dict[str, Any]
    ) -> UUID:
        """Apply a planned merge to a profile; returns the source record id."""
        record_id = self._record(state.id, source_ref, payload)
        self._apply(state, merge, record_id, creating=False)
        if not state.is_new:
            state.touched = True
            self._touched[state.id] = state
        return record_id

    def _apply(self, state: ProfileState, merge: Merge, record_id: UUID, *, creating: bool) -> None:
        after: list[str] = []
        for name, value in merge.scalars.items():
            if name == "full_name":
                parts = cached_name(value)
                kept = [f for f in state.quality_flags if not f.startswith("name_")]
                flags = {NAME_QUALITY[f] for f in parts.flags if f in NAME_QUALITY}
                state.quality_flags = sorted({*kept, *flags})
                state.full_name, state.family_name = parts.full, parts.family
                state.middle_name, state.given_name = parts.middle, parts.given
                state.name_key = parts.key
                state.given_key = cached_fold(
                    " ".join(p for p in (parts.given, parts.family, parts.middle) if p)
                )
            elif name == "birth_date":
                state.birth_date = date.fromisoformat(value)
                # An imported date arrives as ISO (the reader parsed the cell), which carries
                # no day/month ambiguity: the service clears the flags the same way.
                state.quality_flags = [
                    f for f in state.quality_flags if not f.startswith("birth_date_")
                ]
            else:
                setattr(state, name, value)
            after.append(name)
            stored = state.full_name if name == "full_name" else value
            self._observations.append((state.id, name, stored, record_id))
        for kind, raws in (("phone", merge.phones), ("email", merge.emails)):
            have = state.phones if kind == "phone" else state.emails
            added = False
            for contact, raw, contact_flags in _valid_contacts(raws, kind):
                if contact in have:
                    continue
                primary = not have and getattr(state, f"primary_{kind}") is None
                self._identifiers.append(
                    (state.id, kind, contact, raw, None, contact_flags, primary, record_id)
                )
                if primary:
                    setattr(state, f"primary_{kind}", contact)
                have.append(contact)
                state.identifiers[(kind, contact)] = None
                added = True
            if added:
                after.append(f"{kind}s")
        if merge.address is not None:
            address = merge.address
            key: AddressKey = (
                address["line"], address["ward"], address["district"], address["province"]
            )  # fmt: skip
            self._addresses.append((state.id, key, address["raw"] or None))
            state.address_raws.append(address["raw"])
            after.append("addresses")
        if merge.attributes:
            attributes = dict(state.attributes)
            for attribute, value in merge.attributes.items():
                attributes[attribute] = value
                after.append(f"attributes.{attribute}")
                self._observations.append((state.id, f"attributes.{attribute}", value, record_id))
            state.attributes = attributes
        for kind, value in merge.identifiers:
            namespace = self.namespace if kind == "external_id" else None
            self._identifiers.append(
                (state.id, kind, value, value, namespace, [], False, record_id)
            )
            state.identifiers[(kind, value)] = None
        if merge.note:
            self._notes.append((state.id, merge.note))
            state.notes.add(merge.note)
        if after:
            stamp = {"source": self.source, "source_record_id": str(record_id), "at": self._at}
            sources = dict(state.field_sources)
            for name in after:
                sources[name] = stamp
            state.field_sources = sources
            if not creating:
                state.version += 1

    def parse_addresses(self) -> None:
        """Start parsing the queued addresses not parsed before (in the pool, if any)."""
        missing = list(dict.fromkeys(k for _, k, _ in self._addresses if k not in _PARSED))
        if not missing:
            return
        if self.pool is None:
            self._remember(missing, parse_addresses(missing))
        else:
            self._parsing = (missing, self.pool.submit(parse_addresses, missing))

    def _remember(self, keys: list[AddressKey], results: list[dict[str, Any]]) -> None:
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.clear()
        _PARSED.update(zip(keys, results, strict=True))

    def _address_rows(self) -> list[tuple[Any, ...]]:
        if self._parsing is not None:
            keys, future = self._parsing
            self._parsing = None
            self._remember(keys, future.result())
        self.parse_addresses()  # anything queued since (or parsed before a cache reset)
        rows = []
        for profile_id, key, raw in self._addresses:
            parts = dict(zip(_ADDRESS_KEYS, key, strict=True)) | _PARSED[key]
            rows.append(
                (
                    profile_id,
                    parts.get("line"),
                    parts.get("ward"),
                    parts.get("district"),
                    parts.get("province"),
                    parts.get("province_code"),
                    parts.get("ward_code"),
                    parts.get("legacy_province"),
                    parts.get("legacy_ward"),
                    parts.get("admin_status"),
                    list(parts.get("ward_candidates") or []),
                    raw,
                )
            )
        return rows

    def flush(self, session: Session) -> None:
        """Write everything queued since the last flush (inside the caller's transaction).

        Raises:
            ProfilesChanged: A profile this writer updates was changed by someone else since
                it was loaded (its version moved); nothing of the batch should be kept.
        """
        session.flush()
        conn = raw_connection(session)
        ws = self.actor.workspace_id
        author, display = self.actor.id, self.actor.display
        with conn.cursor() as cur:
            if self._new:
                with cur.copy(
                    "COPY profile (id, workspace_id, full_name, family_name, middle_name,"
                    " given_name, name_key, given_key, gender, birth_date, occupation,"
                    " attributes, field_sources, quality_flags, primary_phone, primary_email,"
                    " version) FROM STDIN"
                ) as copy:
                    for s in self._new:
                        copy.write_row(
                            (
                                s.id, ws, s.full_name, s.family_name, s.middle_name,
                                s.given_name, s.name_key, s.given_key, s.gender, s.birth_date,
                                s.occupation, to_json(s.attributes), to_json(s.field_sources),
                                s.quality_flags, s.primary_phone, s.primary_email, s.version,
                            )
                        )  # fmt: skip
            if self._records:
                with cur.copy(
                    "COPY source_record (id, workspace_id, source, source_ref, payload,"
                    " actor_id, profile_id) FROM STDIN"
                ) as copy:
                    for r in self._records:
                        copy.write_row((r[0], ws, *r[1:]))
            if self._identifiers:
                ids = uuid7_batch(len(self._identifiers))
                with cur.copy(
                    "COPY profile_identifier (id, workspace_id, profile_id, kind, value,"
                    " value_raw, namespace, flags, is_primary, source, source_record_id)"
                    " FROM STDIN"
                ) as copy:
                    for new_id, i in zip(ids, self._identifiers, strict=True):
                        copy.write_row((new_id, ws, *i[:7], self.source, i[7]))
            if self._notes:
                ids = uuid7_batch(len(self._notes))
                with cur.copy(
                    "COPY note (id, workspace_id, profile_id, author_id, author_display, body)"
                    " FROM STDIN"
                ) as copy:
                    for new_id, (profile_id, body) in zip(ids, self._notes, strict=True):
                        copy.write_row((new_id, ws, profile_id, author, display, body))
            if self._observations:
                ids = uuid7_batch(len(self._observations))
                with cur.copy(
                    "COPY profile_observation (id, workspace_id, profile_id, field, value,"
                    " source, source_record_id, observed_at) FROM STDIN"
                ) as copy:
                    for new_id, (profile_id, name, value, record_id) in zip(
                        ids, self._observations, strict=True
                    ):
                        copy.write_row(
                            (new_id, ws, profile_id, name, to_json(value), self.source,
                             record_id, self._at)
                        )  # fmt: skip
            if self._touched:
                self._update(cur)
            if self._addresses:
                # Last, so that a pool has parsed them while the rest was written.
                addresses = self._address_rows()
                ids = uuid7_batch(len(addresses))
                with cur.copy(
                    "COPY profile_address (id, workspace_id, profile_id, line, ward, district,"
                    " province, province_code, ward_code, legacy_province, legacy_ward,"
                    " admin_status, ward_candidates, raw, source) FROM STDIN"
                ) as copy:
                    for new_id, a in zip(ids, addresses, strict=True):
                        copy.write_row((new_id, ws, *a, self.source))
        self._new, self._records, self._identifiers = [], [], []
        self._addresses, self._notes, self._observations = [], [], []
        for state in self._touched.values():
            state.loaded_version, state.touched = state.version, False
        self._touched = {}

    def _update(self, cur: Any) -> None:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS hoso_bulk_profile_update ("
            " id uuid PRIMARY KEY, expected int, version int, full_name text,"
            ' family_name text, middle_name text, given_name text, name_key text COLLATE "C",'
            ' given_key text COLLATE "C", gender text, birth_date date, occupation text,'
            " attributes jsonb, field_sources jsonb, quality_flags text[],"
            " primary_phone text, primary_email text) ON COMMIT DROP"
        )
        cur.execute("TRUNCATE hoso_bulk_profile_update")
        with cur.copy("COPY hoso_bulk_profile_update FROM STDIN") as copy:
            for s in self._touched.values():
                copy.write_row(
                    (
                        s.id, s.loaded_version, s.version, s.full_name, s.family_name,
                        s.middle_name, s.given_name, s.name_key, s.given_key, s.gender,
                        s.birth_date, s.occupation, to_json(s.attributes), to_json(s.field_sources),
                        s.quality_flags, s.primary_phone, s.primary_email,
                    )
                )  # fmt: skip
        cur.execute(
            "UPDATE profile p SET version = u.version, full_name = u.full_name,"
            " family_name = u.family_name, middle_name = u.middle_name,"
            " given_name = u.given_name, name_key = u.name_key, given_key = u.given_key,"
            " gender = u.gender, birth_date = u.birth_date, occupation = u.occupation,"
            " attributes = u.attributes, field_sources = u.field_sources,"
            " quality_flags = u.quality_flags, primary_phone = u.primary_phone,"
            " primary_email = u.primary_email, updated_at = now()"
            " FROM hoso_bulk_profile_update u"
            " WHERE p.id = u.id AND p.version = u.expected AND p.deleted_at IS NULL"
        )
        if cur.rowcount != len(self._touched):
            raise ProfilesChanged(expected=len(self._touched), updated=cur.rowcount)
