"""Spreadsheet import: plan a file, judge each row, apply it, undo a whole batch.

A row is matched to an existing customer by normalised phone, email or external id. It then
creates a customer, updates only the fields that differ (an import never erases a value:
empty cells change nothing, phones and emails are added, not replaced), leaves the customer
unchanged, or is rejected with reasons. The same judgement serves the dry-run preview and the
commit, so what the preview promises is what the commit does. Every applied row lands as a
source record (file and row), and the batch keeps what each row changed so it can be undone.
"""

import hashlib
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from hoso.core import audit, jobs, outbox
from hoso.core.actor import Actor, Permission
from hoso.core.clock import utcnow
from hoso.core.errors import FieldError
from hoso.engine.normalize import fold, nfc, normalize_email, normalize_vn_phone
from hoso.engine.tabular import (
    PRESETS,
    Column,
    ColumnMapping,
    ConvertedRow,
    RawRow,
    TabularError,
    Target,
    convert_row,
    detect_preset,
    open_table,
    suggest_mapping,
)
from hoso.ingest.errors import (
    ImportFileUnreadable,
    ImportMappingInvalid,
    ImportNotFound,
    ImportNotUndoable,
)
from hoso.ingest.models import ImportBatch, ImportPreset, ImportRow, ImportUpload
from hoso.profiles import queries as profile_queries
from hoso.profiles import service as profiles
from hoso.profiles.models import AttributeDefinition, Note, Profile, ProfileIdentifier
from hoso.profiles.schemas import (
    AttributeCreate,
    IdentifierCreate,
    NoteCreate,
    ProfileCreate,
    ProfileUpdate,
)

# Columns that standard import targets keep as custom fields, defined on first use:
# key -> (label_vi, label_en, type, category).
STANDARD_ATTRIBUTES: dict[str, tuple[str, str, str, str]] = {
    "total_spent": ("Tổng chi tiêu (nguồn)", "Total spent (source)", "number", "transactional"),
    "points": ("Điểm tích lũy", "Loyalty points", "integer", "transactional"),
    "loyalty_tier": ("Hạng thành viên", "Loyalty tier", "text", "transactional"),
    "created_at": ("Ngày tạo (nguồn)", "Created at (source)", "date", "transactional"),
    "company": ("Công ty", "Company", "text", "demographic"),
    "tax_code": ("Mã số thuế", "Tax code", "text", "identity"),
}
_SCALARS = ("full_name", "gender", "birth_date", "occupation")
# Columns that are identifiers of another system: kept as identifiers, used for matching.
IDENTIFIER_FIELDS = ("external_id", "zalo_id", "loyalty_card")
_ADDRESS_KEYS = ("line", "ward", "district", "province")


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """A file opened and mapped: everything needed to preview or commit it."""

    path: Path
    file_name: str
    sha256: str
    kind: str
    sheet: str
    header_row: int
    columns: list[Column]
    mapping: list[ColumnMapping]
    preset: str | None
    warnings: list[str]


@dataclass
class RowDecision:
    """What a row will do (preview) or did (commit)."""

    number: int
    outcome: str  # created | updated | unchanged | rejected | skipped (blank)
    raw: list[Any]
    profile_id: UUID | None = None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    create: ProfileCreate | None = None
    update: ProfileUpdate | None = None
    note: str | None = None
    new_identifiers: list[tuple[str, str]] = field(default_factory=list)  # (kind, value)


@dataclass
class _Context:
    """State across the rows of one run: in-file duplicates and cached definitions."""

    workspace_id: UUID
    dry_run: bool
    pending: dict[tuple[str, str], int] = field(default_factory=dict)  # key -> row number
    defined: set[str] = field(default_factory=set)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _custom_fields(session: Session, workspace_id: UUID) -> dict[str, tuple[str, str]]:
    return {
        d.key: (d.label_vi, d.label_en)
        for d in profile_queries.list_attributes(session, workspace_id=workspace_id)
    }


def plan_import(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    file_name: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    preset: str | None = None,
    overrides: dict[str, str] | None = None,
) -> ImportPlan:
    """Open a spreadsheet, find its header row and map its columns.

    ``overrides`` maps a column (its header, or its 1-based position) to a target
    (``phone``, ``ignore``, ``custom:<key>``...), replacing the suggestion.

    Raises:
        PermissionDenied: The actor may not write profiles.
        ImportFileUnreadable: The file is not a readable spreadsheet (``reason`` says why).
        ImportMappingInvalid: An override names an unknown column or target.
    """
    actor.require(Permission.PROFILES_WRITE)
    custom = _custom_fields(session, actor.workspace_id)
    saved = find_preset(session, actor=actor, name=preset) if preset else None
    if preset and saved is None and preset not in PRESETS:
        raise ImportMappingInvalid(preset=preset)
    try:
        with open_table(path, sheet=sheet, header_row=header_row) as table:
            columns = list(table.columns)
            chosen = None if saved else (preset or detect_preset(columns))
            mapping = suggest_mapping(
                columns, table.sample(50), custom_fields=custom, preset=chosen
            )
            info = (table.kind.value, table.sheet, table.header_row, list(table.warnings))
    except TabularError as exc:
        raise ImportFileUnreadable(reason=exc.code, **exc.details) from exc
    if saved is not None:
        remembered = {
            c.header: saved.columns[fold(c.header)]
            for c in columns
            if fold(c.header) in saved.columns
        }
        mapping = _apply_overrides(columns, mapping, remembered, set(custom))
        chosen = saved.name
    if overrides:
        mapping = _apply_overrides(columns, mapping, overrides, set(custom))
    return ImportPlan(
        path=path,
        file_name=file_name or path.name,
        sha256=_sha256(path),
        kind=info[0],
        sheet=info[1],
        header_row=info[2],
        columns=columns,
        mapping=mapping,
        preset=chosen,
        warnings=info[3],
    )


def _apply_overrides(
    columns: list[Column],
    mapping: list[ColumnMapping],
    overrides: dict[str, str],
    custom: set[str],
) -> list[ColumnMapping]:
    targets = {t.value for t in Target}
    by_index = {m.column: m for m in mapping}
    for ref, target in overrides.items():
        column = next(
            (c for c in columns if c.header == ref or (ref.isdigit() and c.index == int(ref) - 1)),
            None,
        )
        if column is None:
            raise ImportMappingInvalid(column=ref)
        if target not in targets and not (
            target.startswith("custom:") and target.removeprefix("custom:") in custom
        ):
            raise ImportMappingInvalid(column=ref, target=target)
        by_index[column.index] = ColumnMapping(
            column=column.index, header=column.header, target=target, confidence=1.0, reason="user"
        )
    return [by_index[c.index] for c in columns if c.index in by_index]


def find_preset(session: Session, *, actor: Actor, name: str) -> ImportPreset | None:
    """The workspace's saved mapping with this name, or None."""
    return session.scalar(
        select(ImportPreset).where(
            ImportPreset.workspace_id == actor.workspace_id, ImportPreset.name == name.strip()
        )
    )


def list_presets(session: Session, *, actor: Actor) -> list[ImportPreset]:
    """The workspace's saved mappings, by name."""
    actor.require(Permission.PROFILES_READ)
    return list(
        session.scalars(
            select(ImportPreset)
            .where(ImportPreset.workspace_id == actor.workspace_id)
            .order_by(ImportPreset.name)
        )
    )


def save_preset(
    session: Session, *, actor: Actor, name: str, mapping: list[ColumnMapping]
) -> ImportPreset:
    """Save (or replace) a named mapping: each header, folded, with its target.

    Raises:
        PermissionDenied: The actor may not write profiles.
        ImportMappingInvalid: The name is empty or a built-in preset's.
    """
    actor.require(Permission.PROFILES_WRITE)
    clean = nfc(name)[:100]
    if not clean or clean.casefold() in PRESETS:
        raise ImportMappingInvalid(preset=name)
    columns = {fold(m.header): m.target for m in mapping}
    preset = find_preset(session, actor=actor, name=clean)
    if preset is None:
        preset = ImportPreset(
            workspace_id=actor.workspace_id, name=clean, columns=columns, created_by_id=actor.id
        )
        session.add(preset)
    else:
        preset.columns, preset.updated_at = columns, utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "import.preset_saved",
        subject_type="import_preset",
        subject_id=preset.id,
        after={"name": clean, "columns": len(columns)},
    )
    return preset


def read_rows(plan: ImportPlan, *, today: date) -> Iterator[tuple[RawRow, ConvertedRow]]:
    """Stream the plan's data rows, each with its conversion to profile fields.

    Raises:
        ImportFileUnreadable: The file became unreadable while streaming (e.g. truncated).
    """
    try:
        with open_table(plan.path, sheet=plan.sheet or None, header_row=plan.header_row) as table:
            for raw in table.rows():
                yield raw, convert_row(raw, plan.mapping, today=today)
    except TabularError as exc:
        raise ImportFileUnreadable(reason=exc.code, **exc.details) from exc


def _json_cell(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _keys(fields: dict[str, Any]) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for raw in fields.get("phones") or []:
        phone = normalize_vn_phone(raw)
        keys.extend(("phone", p.e164) for p in (phone, *phone.secondary) if p.e164)
    for raw in fields.get("emails") or []:
        email = normalize_email(raw)
        keys.extend(("email", e.value) for e in (email, *email.secondary) if e.value)
    keys.extend((kind, str(fields[kind]).strip()) for kind in IDENTIFIER_FIELDS if fields.get(kind))
    return keys


def _match(session: Session, workspace_id: UUID, keys: list[tuple[str, str]]) -> set[UUID]:
    if not keys:
        return set()
    rows = session.execute(
        select(ProfileIdentifier.profile_id)
        .join(Profile, Profile.id == ProfileIdentifier.profile_id)
        .where(
            ProfileIdentifier.workspace_id == workspace_id,
            tuple_(ProfileIdentifier.kind, ProfileIdentifier.value).in_(keys),
            Profile.deleted_at.is_(None),
        )
        .distinct()
    )
    return {r[0] for r in rows}


def _address(fields: dict[str, Any]) -> dict[str, Any] | None:
    for address in fields.get("addresses") or []:
        if any(address.get(k) for k in _ADDRESS_KEYS):
            return {k: (nfc(str(address[k])) if address.get(k) else None) for k in _ADDRESS_KEYS}
    return None


def _address_payload(address: Any) -> dict[str, Any]:
    """An existing address as an update payload entry, keeping its original raw text."""
    return {
        "label": address.label,
        "line": address.line,
        "ward": address.ward,
        "district": address.district,
        "province": address.province,
        "country": address.country,
        "raw": address.raw,
    }


def _create_payload(fields: dict[str, Any], namespace: str) -> dict[str, Any]:
    payload: dict[str, Any] = {k: fields[k] for k in _SCALARS if fields.get(k)}
    for key in ("phones", "emails"):
        if fields.get(key):
            payload[key] = list(fields[key])
    address = _address(fields)
    if address:
        payload["addresses"] = [address]
    if fields.get("attributes"):
        payload["attributes"] = {
            k: v for k, v in fields["attributes"].items() if v not in (None, "")
        }
    ids = [
        {
            "kind": kind,
            "namespace": namespace if kind == "external_id" else None,
            "value": str(fields[kind]).strip(),
        }
        for kind in IDENTIFIER_FIELDS
        if fields.get(kind)
    ]
    if ids:
        payload["external_ids"] = ids
    return payload


def _diff(
    session: Session, profile: Profile, fields: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[FieldError]]:
    """Fields of the row that differ from the profile: (update payload, changes, errors)."""
    update: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for key in _SCALARS:
        value = fields.get(key)
        if value in (None, "", "unknown"):
            continue
        current = getattr(profile, key)
        if isinstance(current, date):
            current = current.isoformat()
        if key == "full_name":
            value = nfc(str(value))
        if value != current:
            update[key] = value
            changes[key] = {"before": current, "after": value}
    for kind in ("phones", "emails"):
        raws = list(fields.get(kind) or [])
        if not raws:
            continue
        have = [i for i in profile.identifiers if i.kind == kind[:-1]]
        values = {i.value for i in have}
        new_keys = [k for k in _keys({kind: raws}) if k[1] not in values]
        if new_keys:
            update[kind] = [i.value_raw for i in have] + raws
            changes[kind] = {
                "before": sorted(values),
                "after": sorted(values | {k[1] for k in new_keys}),
            }
    address = _address(fields)
    if address:
        # Addresses compare as the customer wrote them: stored parts are normalised (2025
        # units), so comparing parts would see a change on every re-import.
        raw = profiles.address_raw(address)
        existing = [a.raw for a in profile.addresses]
        if fold(raw) not in {fold(r or "") for r in existing}:
            keep = [_address_payload(a) for a in profile.addresses]
            update["addresses"] = [*keep, {**address, "raw": raw}]
            changes["addresses"] = {"before": existing, "after": [*existing, raw]}
    errors: list[FieldError] = []
    wanted = {k: v for k, v in (fields.get("attributes") or {}).items() if v not in (None, "")}
    if wanted:
        coerced, errors = profiles.coerce_attributes(
            session, workspace_id=profile.workspace_id, values=wanted
        )
        current = profile.attributes or {}
        differing = {k: wanted[k] for k, v in coerced.items() if current.get(k) != v}
        if differing:
            update["attributes"] = differing
            for key in differing:
                changes[f"attributes.{key}"] = {"before": current.get(key), "after": coerced[key]}
    return update, changes, errors


def _reasons(problems: list[FieldError]) -> list[dict[str, Any]]:
    return [
        {"field": p.field, "code": p.code, **({"params": p.params} if p.params else {})}
        for p in problems
    ]


def _ensure_attributes(session: Session, actor: Actor, ctx: _Context, keys: set[str]) -> None:
    """Define the standard import fields (points, total spent...) the first time they occur."""
    missing = keys - ctx.defined
    if not missing:
        return
    existing = set(
        session.scalars(
            select(AttributeDefinition.key).where(
                AttributeDefinition.workspace_id == ctx.workspace_id,
                AttributeDefinition.key.in_(missing),
            )
        )
    )
    for key in sorted(missing - existing):
        if key in STANDARD_ATTRIBUTES and not ctx.dry_run:
            label_vi, label_en, kind, category = STANDARD_ATTRIBUTES[key]
            profiles.define_attribute(
                session,
                actor=Actor.system(actor.workspace_id, "import"),
                data=AttributeCreate.model_validate(
                    {
                        "key": key,
                        "label_vi": label_vi,
                        "label_en": label_en,
                        "type": kind,
                        "category": category,
                        "sensitivity": "internal",
                        "purpose": "Imported from the customer's files",
                    }
                ),
            )
    ctx.defined |= keys


def decide(
    session: Session,
    *,
    actor: Actor,
    ctx: _Context,
    raw: RawRow,
    row: ConvertedRow,
    namespace: str,
) -> RowDecision:
    """Judge one row against the workspace (and the rows before it in the same file)."""
    cells = [_json_cell(v) for v in raw.values]
    decision = RowDecision(number=row.number, outcome="rejected", raw=cells)
    fields: dict[str, Any] = dict(row.fields)
    problems = [FieldError(p.target, p.code, {"value": p.value}) for p in row.problems]
    if row.blank:
        decision.outcome = "skipped"  # nothing mapped in this row: neither counted nor kept
        return decision
    attribute_keys = set((fields.get("attributes") or {}).keys())
    _ensure_attributes(session, actor, ctx, attribute_keys & set(STANDARD_ATTRIBUTES))
    keys = _keys(fields)
    matches = _match(session, ctx.workspace_id, keys)
    pending = sorted({ctx.pending[k] for k in keys if k in ctx.pending})
    if len(matches) > 1:
        decision.reasons = [
            {
                "field": "row",
                "code": "ambiguous_match",
                "params": {"profiles": sorted(str(m) for m in matches)},
            }
        ]
        return decision
    decision.note = nfc(str(fields["note"])) if fields.get("note") else None
    if matches:
        profile = profile_queries.load_profile(
            session, workspace_id=ctx.workspace_id, profile_id=next(iter(matches))
        )
        assert profile is not None  # noqa: S101 - matched on a live profile just now
        update, changes, attribute_errors = _diff(session, profile, fields)
        problems += attribute_errors
        decision.profile_id = profile.id
        if decision.note and _has_note(session, profile.id, decision.note):
            decision.note = None
        known = {(i.kind, i.value) for i in profile.identifiers}
        decision.new_identifiers = [
            (kind, str(fields[kind]).strip())
            for kind in IDENTIFIER_FIELDS
            if fields.get(kind) and (kind, str(fields[kind]).strip()) not in known
        ]
        if problems:
            decision.reasons = _reasons(problems)
            return decision
        if not update and not decision.note and not decision.new_identifiers:
            decision.outcome = "unchanged"
            return decision
        try:
            decision.update = ProfileUpdate.model_validate(update)
        except ValueError:
            decision.reasons = [{"field": "row", "code": "invalid_row"}]
            return decision
        decision.outcome, decision.changes = "updated", changes
        if decision.note:
            decision.changes["note"] = {"before": None, "after": decision.note}
        if decision.new_identifiers:
            decision.changes["identifiers"] = {
                "before": None,
                "after": [list(i) for i in decision.new_identifiers],
            }
        return decision
    if pending and ctx.dry_run:
        # In a preview, an earlier row of this file will have created the customer.
        decision.outcome = "updated"
        decision.changes = {"same_as_row": {"before": None, "after": pending[0]}}
        return decision
    if problems:
        decision.reasons = _reasons(problems)
        return decision
    payload = _create_payload(fields, namespace)
    if not (payload.get("full_name") or payload.get("phones") or payload.get("emails")):
        decision.reasons = [{"field": "full_name", "code": "profile_needs_name_or_contact"}]
        return decision
    try:
        decision.create = ProfileCreate.model_validate(payload)
    except ValueError:
        decision.reasons = [{"field": "row", "code": "invalid_row"}]
        return decision
    decision.outcome = "created"
    for key in keys:
        ctx.pending.setdefault(key, row.number)
    return decision


def _has_note(session: Session, profile_id: UUID, body: str) -> bool:
    return (
        session.scalar(
            select(Note.id)
            .where(Note.profile_id == profile_id, Note.body == body, Note.deleted_at.is_(None))
            .limit(1)
        )
        is not None
    )


def new_context(actor: Actor, *, dry_run: bool) -> _Context:
    """Per-run state for ``decide``."""
    return _Context(workspace_id=actor.workspace_id, dry_run=dry_run)


@dataclass
class Preview:
    """A dry run: counts per outcome, and the rows worth showing (rejected first)."""

    counts: dict[str, int]
    rejected: list[RowDecision]
    sample: list[RowDecision]


def preview_import(
    session: Session, *, actor: Actor, plan: ImportPlan, today: date, sample_size: int = 20
) -> Preview:
    """Judge every row without writing anything.

    Raises:
        PermissionDenied: The actor may not write profiles.
        ImportFileUnreadable: The file became unreadable while reading it.
    """
    actor.require(Permission.PROFILES_WRITE)
    ctx = new_context(actor, dry_run=True)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0, "skipped": 0}
    rejected: list[RowDecision] = []
    sample: list[RowDecision] = []
    namespace = plan.preset or "import"
    for raw, row in read_rows(plan, today=today):
        decision = decide(session, actor=actor, ctx=ctx, raw=raw, row=row, namespace=namespace)
        counts[decision.outcome] += 1
        if decision.outcome == "rejected":
            rejected.append(decision)
        elif len(sample) < sample_size and decision.outcome != "skipped":
            sample.append(decision)
    return Preview(counts=counts, rejected=rejected, sample=sample)


MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def store_upload(session: Session, *, actor: Actor, file_name: str, content: bytes) -> ImportUpload:
    """Keep an uploaded file until it is imported.

    Raises:
        PermissionDenied: The actor may not write profiles.
        ImportFileUnreadable: The file is empty or larger than the limit.
    """
    actor.require(Permission.PROFILES_WRITE)
    if not content:
        raise ImportFileUnreadable(reason="empty_file")
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImportFileUnreadable(reason="file_too_large", limit_mb=MAX_UPLOAD_BYTES >> 20)
    upload = ImportUpload(
        workspace_id=actor.workspace_id,
        file_name=Path(file_name).name or "upload",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        created_by_id=actor.id,
    )
    session.add(upload)
    session.flush()
    return upload


def get_upload(session: Session, *, actor: Actor, upload_id: UUID) -> ImportUpload:
    """Return an upload of the actor's workspace.

    Raises:
        ImportNotFound: No such upload in this workspace.
    """
    actor.require(Permission.PROFILES_WRITE)
    upload = session.get(ImportUpload, upload_id)
    if upload is None or upload.workspace_id != actor.workspace_id:
        raise ImportNotFound(batch_id=str(upload_id))
    return upload


@contextmanager
def upload_file(upload: ImportUpload) -> Iterator[Path]:
    """The upload as a temporary file (readers need a path), removed afterwards."""
    suffix = Path(upload.file_name).suffix[:10]
    with tempfile.TemporaryDirectory(prefix="hoso-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(upload.content)
        yield path


def queue_import(
    session: Session,
    *,
    actor: Actor,
    plan: ImportPlan,
    upload: ImportUpload,
    valid_rows_only: bool,
) -> ImportBatch:
    """Record a pending batch for an uploaded file and queue the job that runs it.

    Raises:
        PermissionDenied: The actor may not write profiles.
    """
    batch = start_batch(
        session,
        actor=actor,
        plan=plan,
        mode="valid_rows" if valid_rows_only else "all_or_nothing",
        status="pending",
    )
    batch.upload_id = upload.id
    jobs.enqueue(
        session,
        "import.run",
        workspace_id=actor.workspace_id,
        max_attempts=1,
        batch_id=batch.id,
        user_id=actor.id,
    )
    session.flush()
    return batch


def plan_from_batch(batch: ImportBatch, path: Path) -> ImportPlan:
    """The plan a batch was queued with, over the file at ``path``.

    Raises:
        ImportFileUnreadable: The file cannot be read any more.
    """
    try:
        with open_table(path, sheet=batch.sheet or None, header_row=batch.header_row) as table:
            columns = list(table.columns)
    except TabularError as exc:
        raise ImportFileUnreadable(reason=exc.code, **exc.details) from exc
    mapping = [
        ColumnMapping(
            column=m["column"],
            header=m["header"],
            target=m["target"],
            confidence=1.0,
            reason="saved",
        )
        for m in batch.mapping
    ]
    return ImportPlan(
        path=path,
        file_name=batch.file_name,
        sha256=batch.file_sha256,
        kind=batch.file_kind,
        sheet=batch.sheet,
        header_row=batch.header_row,
        columns=columns,
        mapping=mapping,
        preset=batch.preset,
        warnings=[],
    )


def start_batch(
    session: Session, *, actor: Actor, plan: ImportPlan, mode: str, status: str = "running"
) -> ImportBatch:
    """Record a new import batch for ``plan``.

    Raises:
        PermissionDenied: The actor may not write profiles.
    """
    actor.require(Permission.PROFILES_WRITE)
    batch = ImportBatch(
        workspace_id=actor.workspace_id,
        file_name=plan.file_name,
        file_sha256=plan.sha256,
        file_kind=plan.kind,
        sheet=plan.sheet,
        header_row=plan.header_row,
        preset=plan.preset,
        mapping=[
            {"column": m.column, "header": m.header, "target": m.target} for m in plan.mapping
        ],
        mode=mode,
        status=status,
        created_by_id=actor.id,
    )
    session.add(batch)
    session.flush()
    audit.record(
        session,
        actor,
        "import.started",
        subject_type="import",
        subject_id=batch.id,
        after={"file": plan.file_name, "mode": mode},
    )
    return batch


def apply_decision(
    session: Session,
    *,
    actor: Actor,
    batch: ImportBatch,
    decision: RowDecision,
    header: list[str],
) -> None:
    """Carry out a row's decision inside the caller's transaction and record its outcome.

    Raises:
        ValidationFailed: The profiles service refused the row (the preview could not know).
    """
    source = f"import:{batch.file_name}"
    raw_payload = {"row": decision.number, "cells": dict(zip(header, decision.raw, strict=False))}
    source_record_id = None
    if decision.outcome == "created" and decision.create is not None:
        profile = profiles.create_profile(
            session,
            actor=actor,
            data=decision.create,
            source=source,
            source_ref=f"row {decision.number}",
            raw_payload=raw_payload,
        )
        decision.profile_id = profile.id
    elif decision.outcome == "updated" and decision.profile_id and decision.update is not None:
        if decision.update.model_fields_set:
            profiles.update_profile(
                session,
                actor=actor,
                profile_id=decision.profile_id,
                data=decision.update,
                source=source,
                source_ref=f"row {decision.number}",
                raw_payload=raw_payload,
            )
        for kind, value in decision.new_identifiers:
            profiles.add_identifier(
                session,
                actor=actor,
                profile_id=decision.profile_id,
                source=source,
                data=IdentifierCreate.model_validate(
                    {
                        "kind": kind,
                        "value": value,
                        "namespace": batch.preset or "import" if kind == "external_id" else None,
                    }
                ),
            )
    if decision.note and decision.profile_id and decision.outcome != "rejected":
        profiles.add_note(
            session,
            actor=actor,
            profile_id=decision.profile_id,
            data=NoteCreate(body=decision.note),
        )
    if decision.outcome in {"created", "updated"} and decision.profile_id:
        source_record_id = profile_queries.latest_source_record_id(
            session, profile_id=decision.profile_id, source=source
        )
    session.add(
        ImportRow(
            workspace_id=batch.workspace_id,
            batch_id=batch.id,
            row_number=decision.number,
            outcome=decision.outcome,
            profile_id=decision.profile_id,
            source_record_id=source_record_id,
            raw=decision.raw,
            reasons=decision.reasons,
            changes=decision.changes,
        )
    )
    # The batch row itself is not touched here: the progress reporter updates it from another
    # connection while this transaction runs, and a row lock held here would block it forever.


def finish_batch(
    session: Session, *, actor: Actor, batch: ImportBatch, counts: Mapping[str, int]
) -> ImportBatch:
    """Mark a batch committed with its outcome counts, and announce it."""
    for outcome in ("created", "updated", "unchanged", "rejected"):
        setattr(batch, f"{outcome}_count", counts.get(outcome, 0))
    batch.processed_rows = batch.total_rows = sum(
        counts.get(o, 0) for o in ("created", "updated", "unchanged", "rejected")
    )
    batch.status = "committed"
    batch.finished_at = utcnow()
    audit.record(
        session,
        actor,
        "import.committed",
        subject_type="import",
        subject_id=batch.id,
        after={
            "created": batch.created_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "rejected": batch.rejected_count,
        },
    )
    outbox.emit(session, actor.workspace_id, "import.committed", batch_id=batch.id)
    session.flush()
    return batch


def get_batch(session: Session, *, actor: Actor, batch_id: UUID) -> ImportBatch:
    """Return an import batch of the actor's workspace.

    Raises:
        PermissionDenied: The actor may not read profiles.
        ImportNotFound: No such batch in this workspace.
    """
    actor.require(Permission.PROFILES_READ)
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.workspace_id != actor.workspace_id:
        raise ImportNotFound(batch_id=str(batch_id))
    return batch


@dataclass(frozen=True, slots=True)
class UndoResult:
    """What undoing a batch did, and what it could not safely restore."""

    removed: int
    restored: int
    skipped: list[dict[str, Any]]


def undo_batch(session: Session, *, actor: Actor, batch_id: UUID) -> UndoResult:
    """Undo a committed import: its new customers go to the trash, changed fields go back.

    A field someone changed again after the import is kept as it is and reported.

    Raises:
        PermissionDenied: The actor may not delete profiles.
        ImportNotFound: No such batch in this workspace.
        ImportNotUndoable: The batch is not committed (or already undone).
    """
    actor.require(Permission.PROFILES_DELETE)
    batch = get_batch(session, actor=actor, batch_id=batch_id)
    if batch.status != "committed":
        raise ImportNotUndoable(batch_id=str(batch_id), status=batch.status)
    removed = restored = 0
    skipped: list[dict[str, Any]] = []
    rows = session.scalars(
        select(ImportRow)
        .where(ImportRow.batch_id == batch.id, ImportRow.outcome.in_(("created", "updated")))
        .order_by(ImportRow.row_number.desc())
    ).all()
    for row in rows:
        if row.profile_id is None:
            continue
        profile = profile_queries.load_profile(
            session, workspace_id=batch.workspace_id, profile_id=row.profile_id
        )
        if profile is None:
            continue
        if row.outcome == "created":
            profiles.delete_profile(session, actor=actor, profile_id=profile.id)
            removed += 1
            continue
        restore, conflicts = _restore_payload(profile, row)
        skipped.extend({"row": row.row_number, "field": f} for f in conflicts)
        if restore:
            profiles.update_profile(
                session,
                actor=actor,
                profile_id=profile.id,
                data=ProfileUpdate.model_validate(restore),
                source=f"undo:{batch.file_name}",
                source_ref=f"row {row.row_number}",
            )
            restored += 1
        _remove_note(session, profile.id, row.changes.get("note"))
        for kind, value in (row.changes.get("identifiers") or {}).get("after") or []:
            identifier = next(
                (i for i in profile.identifiers if i.kind == kind and i.value == value), None
            )
            if identifier is not None:
                profiles.remove_identifier(
                    session, actor=actor, profile_id=profile.id, identifier_id=identifier.id
                )
    batch.status = "undone"
    batch.undone_at = utcnow()
    audit.record(
        session,
        actor,
        "import.undone",
        subject_type="import",
        subject_id=batch.id,
        after={"removed": removed, "restored": restored, "skipped": len(skipped)},
    )
    outbox.emit(session, actor.workspace_id, "import.undone", batch_id=batch.id)
    session.flush()
    return UndoResult(removed=removed, restored=restored, skipped=skipped)


def _restore_payload(profile: Profile, row: ImportRow) -> tuple[dict[str, Any], list[str]]:
    restore: dict[str, Any] = {}
    conflicts: list[str] = []
    attributes: dict[str, Any] = {}
    for name, change in row.changes.items():
        before, after = change.get("before"), change.get("after")
        if name in _SCALARS:
            current = getattr(profile, name)
            current = current.isoformat() if isinstance(current, date) else current
            if current == after:
                restore[name] = before
            else:
                conflicts.append(name)
        elif name in {"phones", "emails"}:
            kind = name[:-1]
            added = set(after) - set(before)
            keep = [
                i.value_raw for i in profile.identifiers if i.kind == kind and i.value not in added
            ]
            restore[name] = keep
        elif name == "addresses":
            added = {fold(r or "") for r in after} - {fold(r or "") for r in before}
            restore[name] = [
                _address_payload(a) for a in profile.addresses if fold(a.raw or "") not in added
            ]
        elif name.startswith("attributes."):
            key = name.removeprefix("attributes.")
            if (profile.attributes or {}).get(key) == after:
                attributes[key] = before
            else:
                conflicts.append(name)
    if attributes:
        restore["attributes"] = attributes
    return restore, conflicts


def _remove_note(session: Session, profile_id: UUID, change: dict[str, Any] | None) -> None:
    if not change:
        return
    note = session.scalars(
        select(Note)
        .where(
            Note.profile_id == profile_id,
            Note.body == change.get("after"),
            Note.deleted_at.is_(None),
        )
        .order_by(Note.created_at.desc())
    ).first()
    if note is not None:
        note.deleted_at = utcnow()


def list_batches(session: Session, *, actor: Actor, limit: int = 50) -> list[ImportBatch]:
    """The workspace's imports, newest first.

    Raises:
        PermissionDenied: The actor may not read profiles.
    """
    actor.require(Permission.PROFILES_READ)
    return list(
        session.scalars(
            select(ImportBatch)
            .where(ImportBatch.workspace_id == actor.workspace_id)
            .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
            .limit(limit)
        )
    )


def rejected_rows(session: Session, *, actor: Actor, batch_id: UUID) -> list[ImportRow]:
    """The rows a batch rejected, in file order.

    Raises:
        ImportNotFound: No such batch in this workspace.
    """
    batch = get_batch(session, actor=actor, batch_id=batch_id)
    return list(
        session.scalars(
            select(ImportRow)
            .where(ImportRow.batch_id == batch.id, ImportRow.outcome == "rejected")
            .order_by(ImportRow.row_number)
        )
    )
