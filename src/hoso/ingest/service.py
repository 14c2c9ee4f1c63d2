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
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from hoso.core import audit, jobs, outbox
from hoso.core.actor import Actor, Permission
from hoso.core.clock import utcnow
from hoso.engine.normalize import fold, nfc
from hoso.engine.tabular import (
    PRESETS,
    Column,
    ColumnMapping,
    TabularError,
    Target,
    detect_preset,
    open_table,
    suggest_mapping,
)
from hoso.identity import service as identity
from hoso.identity.models import IdentityMerge
from hoso.ingest.bulk import (
    OUTCOMES,
    STANDARD_ATTRIBUTES,
    ImportPlan,
    ImportRun,
    Preview,
    RowDecision,
    read_rows,
)
from hoso.ingest.errors import (
    ImportFileUnreadable,
    ImportMappingInvalid,
    ImportNotFound,
    ImportNotUndoable,
)
from hoso.ingest.models import ImportBatch, ImportPreset, ImportRow, ImportUpload
from hoso.profiles import bulk as profiles_bulk
from hoso.profiles import queries as profile_queries
from hoso.profiles import service as profiles
from hoso.profiles.bulk import SCALARS
from hoso.profiles.models import Note, Profile
from hoso.profiles.schemas import ProfileUpdate

UNDO_CHUNK_ROWS = 10_000

__all__ = [
    "STANDARD_ATTRIBUTES",
    "ImportPlan",
    "Preview",
    "RowDecision",
    "read_rows",
]


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


def preview_import(
    session: Session, *, actor: Actor, plan: ImportPlan, today: date, sample_size: int = 20
) -> Preview:
    """Judge every row without writing anything (the commit's judgement, chunk by chunk).

    A row repeating a customer an earlier row of the file would create is counted as an
    update of that row (``changes["same_as_row"]``).

    Raises:
        PermissionDenied: The actor may not write profiles.
        ImportFileUnreadable: The file became unreadable while reading it.
    """
    actor.require(Permission.PROFILES_WRITE)
    rejected: list[RowDecision] = []
    sample: list[RowDecision] = []

    skipped = 0

    def keep(decisions: list[RowDecision]) -> None:
        nonlocal skipped
        for decision in decisions:
            if decision.outcome == "rejected":
                rejected.append(decision)
            elif decision.outcome == "skipped":
                skipped += 1
            elif len(sample) < sample_size:
                sample.append(decision)

    counts = ImportRun(session, actor=actor, plan=plan, today=today).run(keep)
    return Preview(
        counts={**{o: counts.get(o, 0) for o in OUTCOMES}, "skipped": skipped},
        rejected=rejected,
        sample=sample,
    )


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


def import_rows(
    session: Session,
    *,
    actor: Actor,
    batch: ImportBatch,
    plan: ImportPlan,
    today: date,
    valid_rows_only: bool,
    progress: Callable[[int], None] | None = None,
) -> Counter[str]:
    """Judge and write every row of ``plan`` into ``batch``, chunk by chunk; return the counts.

    Everything happens in the caller's transaction, which the caller commits or rolls back as
    a whole (all or nothing: roll back when any row was rejected). ``progress`` gets the
    number of rows judged so far after each chunk.

    Raises:
        PermissionDenied: The actor may not write profiles.
        ImportFileUnreadable: The file could not be read to the end.
        ProfilesChanged: A customer the import updates was changed by someone else meanwhile.
    """
    actor.require(Permission.PROFILES_WRITE)
    run = ImportRun(
        session,
        actor=actor,
        plan=plan,
        today=today,
        batch_id=batch.id,
        stop_writing_on_reject=not valid_rows_only,
    )

    def report(_: list[RowDecision]) -> None:
        if progress is not None:
            progress(sum(run.counts.values()))

    # The batch row itself is not touched here: the progress reporter updates it from another
    # connection while this transaction runs, and a row lock held here would block it forever.
    return run.run(report)


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
    unmerged: int = 0


def undo_batch(session: Session, *, actor: Actor, batch_id: UUID) -> UndoResult:
    """Undo a committed import: its new customers go to the trash, changed fields go back.

    A field someone changed again after the import is kept as it is and reported. New
    customers are trashed together (one audit event for the batch, ``import.undone``, with
    the counts); each updated customer is restored through the profiles service.

    Raises:
        PermissionDenied: The actor may not delete profiles.
        ImportNotFound: No such batch in this workspace.
        ImportNotUndoable: The batch is not committed (or already undone).
    """
    actor.require(Permission.PROFILES_DELETE)
    batch = get_batch(session, actor=actor, batch_id=batch_id)
    if batch.status != "committed":
        raise ImportNotUndoable(batch_id=str(batch_id), status=batch.status)
    skipped: list[dict[str, Any]] = []
    unmerged = _unmerge_created(session, actor=actor, batch=batch)
    # Customers the import created go to the trash together, a chunk at a time; the later
    # rows of the same file that updated them need no restoring.
    removed = 0
    after_row = 0
    while True:
        created = session.execute(
            select(ImportRow.row_number, ImportRow.profile_id)
            .where(
                ImportRow.batch_id == batch.id,
                ImportRow.outcome == "created",
                ImportRow.row_number > after_row,
            )
            .order_by(ImportRow.row_number)
            .limit(UNDO_CHUNK_ROWS)
        ).all()
        if not created:
            break
        after_row = created[-1][0]
        removed += profiles_bulk.trash(
            session,
            workspace_id=batch.workspace_id,
            profile_ids=[p for _, p in created if p is not None],
        )
    restored = 0
    rows = session.scalars(
        select(ImportRow)
        .where(
            ImportRow.batch_id == batch.id,
            ImportRow.outcome == "updated",
            ~ImportRow.profile_id.in_(
                select(ImportRow.profile_id).where(
                    ImportRow.batch_id == batch.id,
                    ImportRow.outcome == "created",
                    ImportRow.profile_id.is_not(None),
                )
            ),
        )
        .order_by(ImportRow.row_number.desc())
    ).all()
    for row in rows:
        if row.profile_id is None:
            continue
        # A customer merged since the import carries its fields in the survivor.
        live = profiles.live_profile_id(
            session, workspace_id=batch.workspace_id, profile_id=row.profile_id
        )
        profile = (
            profile_queries.load_profile(session, workspace_id=batch.workspace_id, profile_id=live)
            if live is not None
            else None
        )
        if profile is None:
            skipped.append({"row": row.row_number, "field": "*", "reason": "deleted"})
            continue
        restore, conflicts = _restore_payload(profile, row)
        skipped.extend({"row": row.row_number, "field": f, "reason": "changed"} for f in conflicts)
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
        after={
            "removed": removed,
            "restored": restored,
            "skipped": len(skipped),
            "unmerged": unmerged,
        },
    )
    outbox.emit(session, actor.workspace_id, "import.undone", batch_id=batch.id)
    session.flush()
    return UndoResult(removed=removed, restored=restored, skipped=skipped, unmerged=unmerged)


def _unmerge_created(session: Session, *, actor: Actor, batch: ImportBatch) -> int:
    """Undo the merges that joined a customer this import created with one it did not.

    Without this, trashing the created customers would miss those merged into an existing
    customer since, and the import's values would stay on the survivor. Each merge is undone
    (latest first) exactly as a person would from the merge history, so the existing
    customer gets back what it was; then the created customer is trashed with the others.
    Merges between two customers the import created need nothing: the survivor is trashed.
    """
    created = select(ImportRow.profile_id).where(
        ImportRow.batch_id == batch.id,
        ImportRow.outcome == "created",
        ImportRow.profile_id.is_not(None),
    )
    merges = session.execute(
        select(IdentityMerge.id)
        .where(
            IdentityMerge.workspace_id == batch.workspace_id,
            IdentityMerge.status == "active",
            IdentityMerge.merged_id.in_(created) | IdentityMerge.survivor_id.in_(created),
            ~(IdentityMerge.merged_id.in_(created) & IdentityMerge.survivor_id.in_(created)),
        )
        .order_by(IdentityMerge.created_at.desc(), IdentityMerge.id.desc())
    ).scalars()
    count = 0
    for merge_id in list(merges):
        identity.unmerge(
            session, actor=actor, merge_id=merge_id, reason=f"import undone: {batch.file_name}"
        )
        count += 1
    return count


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


def _restore_payload(profile: Profile, row: ImportRow) -> tuple[dict[str, Any], list[str]]:
    restore: dict[str, Any] = {}
    conflicts: list[str] = []
    attributes: dict[str, Any] = {}
    for name, change in row.changes.items():
        before, after = change.get("before"), change.get("after")
        if name in SCALARS:
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
