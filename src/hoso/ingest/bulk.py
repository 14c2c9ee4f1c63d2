"""The set-based import path: a file is judged and written a chunk of rows at a time.

Each chunk (:data:`CHUNK_ROWS` rows) is read and converted in Python (normalisers memoised
per distinct value), matched against the workspace in one query, judged row by row in
Python in file order (against snapshots of the matched profiles, which earlier rows of the
chunk may have changed), then written with ``COPY`` (new profiles, identifiers, addresses,
notes, source records, the rows' outcomes) and one ``UPDATE … FROM`` for changed profiles
(:mod:`hoso.profiles.bulk`). Memory holds one chunk, whatever the file's length.

Commit and preview share the judgement:

* **commit** writes each chunk before reading the next, so later chunks match the customers
  earlier rows created (one transaction: the caller commits or rolls back the whole file);
* **preview** writes nothing: rows that repeat a customer an earlier row would create are
  found through a temporary table of those rows' keys, and shown as updates of that row.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hoso.core.actor import Actor
from hoso.core.errors import FieldError
from hoso.core.ids import uuid7_batch
from hoso.engine.normalize import nfc
from hoso.engine.tabular import (
    Column,
    ColumnMapping,
    ConvertedRow,
    RawRow,
    TabularError,
    convert_row,
    open_table,
)
from hoso.ingest.errors import ImportFileUnreadable
from hoso.profiles import bulk as profiles_bulk
from hoso.profiles import service as profiles
from hoso.profiles.models import AttributeDefinition
from hoso.profiles.schemas import AttributeCreate

# Rows per chunk: big enough that per-statement costs vanish, small enough that a chunk's
# Python objects stay a few megabytes.
CHUNK_ROWS = 5_000
# Past this many rows, addresses are parsed in a worker process (starting one costs about a
# second, and parsing an address about half a millisecond).
ADDRESS_WORKER_AFTER_ROWS = 20_000

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
OUTCOMES = ("created", "updated", "unchanged", "rejected")


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


@dataclass
class Preview:
    """A dry run: counts per outcome, and the rows worth showing (rejected first)."""

    counts: dict[str, int]
    rejected: list[RowDecision]
    sample: list[RowDecision]


def read_rows(plan: ImportPlan, *, today: date) -> Generator[tuple[RawRow, ConvertedRow]]:
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


def _reasons(problems: list[FieldError]) -> list[dict[str, Any]]:
    return [
        {"field": p.field, "code": p.code, **({"params": p.params} if p.params else {})}
        for p in problems
    ]


@dataclass(slots=True)
class _Row:
    decision: RowDecision
    fields: dict[str, Any]
    problems: list[FieldError]
    keys: list[tuple[str, str]]
    note: str | None
    source_record_id: UUID | None = None


class _Writer:
    """Writes one chunk in a thread, so that reading the next chunk overlaps with it.

    The thread has the session to itself until :meth:`finish`: the other thread only reads
    the file meanwhile.
    """

    def __init__(self, run: ImportRun, rows: list[_Row]) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._target, args=(run, rows), daemon=True)
        self.thread.start()

    def _target(self, run: ImportRun, rows: list[_Row]) -> None:
        try:
            run.write(rows)
        except BaseException as exc:  # re-raised by finish() in the import's thread
            self.error = exc

    def finish(self) -> None:
        """Wait for the write; raise what stopped it."""
        self.thread.join()
        if self.error is not None:
            raise self.error


def _address_pool() -> Executor | None:
    """One worker process to parse addresses in, when the machine has a core to spare."""
    if (os.cpu_count() or 1) < 2:
        return None
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


class ImportRun:
    """One pass over a file: preview (``writer`` is None) or commit.

    Args:
        session: The transaction everything happens in; nothing is committed here.
        actor: Who imports (the source records and notes name them).
        plan: The file and its mapping.
        today: The reference date for birth dates.
        batch_id: The batch the rows' outcomes are recorded under (commit only).
        stop_writing_on_reject: All-or-nothing: once a row is rejected nothing will be kept,
            so later chunks are only judged (like a preview), not written.
    """

    def __init__(
        self,
        session: Session,
        *,
        actor: Actor,
        plan: ImportPlan,
        today: date,
        batch_id: UUID | None = None,
        stop_writing_on_reject: bool = False,
    ) -> None:
        self.session = session
        self.actor = actor
        self.plan = plan
        self.today = today
        self.batch_id = batch_id
        self.writing = batch_id is not None
        self.stop_writing_on_reject = stop_writing_on_reject
        self.header = [c.header for c in plan.columns]
        self.source = f"import:{plan.file_name}"
        self.namespace = plan.preset or "import"
        self.counts: Counter[str] = Counter()
        self.writer = profiles_bulk.BulkWriter(
            actor=actor, source=self.source, namespace=self.namespace
        )
        self.definitions: dict[str, AttributeDefinition] = {
            d.key: d
            for d in session.scalars(
                select(AttributeDefinition).where(
                    AttributeDefinition.workspace_id == actor.workspace_id
                )
            )
        }
        self._pending_table: str | None = None

    # -- driving --

    def run(
        self,
        on_chunk: Callable[[list[RowDecision]], None] | None = None,
    ) -> Counter[str]:
        """Judge (and write) every row; ``on_chunk`` sees each chunk's decisions.

        While a chunk is written (by a thread that mostly waits on PostgreSQL), the next one
        is read and converted; for big files addresses are parsed in a worker process.
        """
        rows = read_rows(self.plan, today=self.today)
        read = 0
        try:
            prepared = self._read(rows)
            while prepared:
                read += len(prepared)
                if self.writing and self.writer.pool is None and read > ADDRESS_WORKER_AFTER_ROWS:
                    self.writer.pool = _address_pool()
                live, created_keys = self._judge(prepared)
                writer = _Writer(self, live) if self.writing else None
                try:
                    following = self._read(rows)  # meanwhile, the chunk is being written
                finally:
                    if writer is not None:
                        writer.finish()
                if writer is None:
                    self._remember_pending(created_keys)
                elif self.stop_writing_on_reject and self.counts["rejected"]:
                    self.writing = False  # nothing will be kept: judge the rest only
                if on_chunk is not None:
                    on_chunk([r.decision for r in prepared])
                prepared = following
        finally:
            rows.close()
            if self.writer.pool is not None:
                self.writer.pool.shutdown(cancel_futures=True)
                self.writer.pool = None
        self._drop_pending()
        return self.counts

    def _read(self, rows: Iterator[tuple[RawRow, ConvertedRow]]) -> list[_Row]:
        """The next chunk, read and converted (pure Python: no database)."""
        return [
            self._prepare(raw, converted) for raw, converted in itertools.islice(rows, CHUNK_ROWS)
        ]

    def _judge(self, rows: list[_Row]) -> tuple[list[_Row], list[tuple[str, str, int]]]:
        live = [r for r in rows if r.decision.outcome != "skipped"]
        self._define_standard_attributes(live)
        keys = [k for r in live for k in r.keys]
        with profiles_bulk.index_probes(self.session):
            db = profiles_bulk.find_by_keys(
                self.session, workspace_id=self.actor.workspace_id, keys=keys
            )
            states = profiles_bulk.load_states(
                self.session,
                workspace_id=self.actor.workspace_id,
                profile_ids=[p for ids in db.values() for p in ids],
                note_bodies=[r.note for r in live if r.note],
            )
            pending = {} if self.writing else self._pending(keys)
        overlay: dict[tuple[str, str], set[UUID]] = {}
        created_keys: list[tuple[str, str, int]] = []
        for row in live:
            self._decide(row, db, overlay, states, pending, created_keys)
            self.counts[row.decision.outcome] += 1
        if self.writing:
            self.session.flush()  # attribute definitions, before another thread writes
            self.writer.parse_addresses()
        return live, created_keys

    def write(self, rows: list[_Row]) -> None:
        """Write a judged chunk: the profiles' rows, then the rows' outcomes."""
        self.writer.flush(self.session)
        self._record(rows)

    # -- one row --

    def _prepare(self, raw: RawRow, converted: ConvertedRow) -> _Row:
        cells = [_json_cell(v) for v in raw.values]
        decision = RowDecision(number=converted.number, outcome="rejected", raw=cells)
        if converted.blank:
            decision.outcome = "skipped"  # nothing mapped in this row: neither counted nor kept
            return _Row(decision, {}, [], [], None)
        fields: dict[str, Any] = dict(converted.fields)
        problems = [FieldError(p.target, p.code, {"value": p.value}) for p in converted.problems]
        note = nfc(str(fields["note"])) if fields.get("note") else None
        return _Row(decision, fields, problems, profiles_bulk.match_keys(fields), note)

    def _decide(
        self,
        row: _Row,
        db: dict[tuple[str, str], set[UUID]],
        overlay: dict[tuple[str, str], set[UUID]],
        states: dict[UUID, profiles_bulk.ProfileState],
        pending: dict[tuple[str, str], int],
        created_keys: list[tuple[str, str, int]],
    ) -> None:
        decision = row.decision
        matches: set[UUID] = set()
        for key in row.keys:
            matches |= db.get(key, set())
            matches |= overlay.get(key, set())
        if len(matches) > 1:
            decision.reasons = [
                {
                    "field": "row",
                    "code": "ambiguous_match",
                    "params": {"profiles": sorted(str(m) for m in matches)},
                }
            ]
            return
        payload = {
            "row": decision.number,
            "cells": dict(zip(self.header, decision.raw, strict=False)),
        }
        ref = f"row {decision.number}"
        if matches:
            state = states[next(iter(matches))]
            decision.profile_id = state.id
            merge = profiles_bulk.plan_merge(
                state, row.fields, definitions=self.definitions, note=row.note
            )
            problems = row.problems + merge.errors
            if problems:
                decision.reasons = _reasons(problems)
                return
            if merge.empty:
                decision.outcome = "unchanged"
                return
            if not profiles_bulk.fits(row.fields):
                decision.reasons = [{"field": "row", "code": "invalid_row"}]
                return
            decision.outcome, decision.changes = "updated", merge.changes
            if self.writing:
                row.source_record_id = self.writer.merge(
                    state, merge, source_ref=ref, payload=payload
                )
                for key in profiles_bulk.match_keys(row.fields):
                    overlay.setdefault(key, set()).add(state.id)
            return
        earlier = sorted({pending[k] for k in row.keys if k in pending})
        if earlier:
            # In a preview, an earlier row of this file will have created the customer.
            decision.outcome = "updated"
            decision.changes = {"same_as_row": {"before": None, "after": earlier[0]}}
            return
        if row.problems:
            decision.reasons = _reasons(row.problems)
            return
        merge = profiles_bulk.plan_create(row.fields, definitions=self.definitions, note=row.note)
        if merge.errors:
            decision.reasons = _reasons(merge.errors)
            return
        if not profiles_bulk.fits(row.fields):
            decision.reasons = [{"field": "row", "code": "invalid_row"}]
            return
        decision.outcome = "created"
        if self.writing:
            state, row.source_record_id = self.writer.create(merge, source_ref=ref, payload=payload)
            decision.profile_id = state.id
            states[state.id] = state
            for key in row.keys:
                overlay.setdefault(key, set()).add(state.id)
        else:
            for key in row.keys:
                pending.setdefault(key, decision.number)
                created_keys.append((*key, decision.number))

    # -- standard attributes --

    def _define_standard_attributes(self, rows: list[_Row]) -> None:
        """Define the standard import fields (points, total spent...) the first time they occur.

        A preview defines nothing: it judges the values against the definition a commit would
        create.
        """
        wanted = {
            k
            for r in rows
            for k in (r.fields.get("attributes") or {})
            if k in STANDARD_ATTRIBUTES and k not in self.definitions
        }
        for key in sorted(wanted):
            label_vi, label_en, kind, category = STANDARD_ATTRIBUTES[key]
            data = AttributeCreate.model_validate(
                {
                    "key": key,
                    "label_vi": label_vi,
                    "label_en": label_en,
                    "type": kind,
                    "category": category,
                    "sensitivity": "internal",
                    "purpose": "Imported from the customer's files",
                }
            )
            if self.writing:
                self.definitions[key] = profiles.define_attribute(
                    self.session, actor=Actor.system(self.actor.workspace_id, "import"), data=data
                )
            else:
                self.definitions[key] = AttributeDefinition(
                    workspace_id=self.actor.workspace_id, **data.model_dump()
                )

    # -- outcomes --

    def _record(self, rows: list[_Row]) -> None:
        """Write the chunk's row outcomes (``import_row``) with one COPY."""
        if not rows:
            return
        conn = profiles_bulk.raw_connection(self.session)
        ids = uuid7_batch(len(rows))
        json = profiles_bulk.to_json
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY import_row (id, workspace_id, batch_id, row_number, outcome, profile_id,"
                " source_record_id, raw, reasons, changes) FROM STDIN"
            ) as copy,
        ):
            for new_id, row in zip(ids, rows, strict=True):
                d = row.decision
                copy.write_row(
                    (
                        new_id,
                        self.actor.workspace_id,
                        self.batch_id,
                        d.number,
                        d.outcome,
                        d.profile_id,
                        row.source_record_id,
                        json(d.raw),
                        json(d.reasons),
                        json(d.changes),
                    )
                )

    # -- preview: keys of the customers earlier rows would create --

    def _pending(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        if self._pending_table is None or not keys:
            return {}
        unique = list(dict.fromkeys(keys))
        found = self.session.execute(
            text(
                "SELECT k.kind, k.value, m.row_number"
                " FROM unnest(CAST(:kinds AS text[]), CAST(:vals AS text[])) AS k(kind, value)"
                f" CROSS JOIN LATERAL (SELECT min(p.row_number) AS row_number"
                f"  FROM {self._pending_table} p WHERE p.kind = k.kind AND p.value = k.value"
                "  OFFSET 0) m WHERE m.row_number IS NOT NULL"
            ),
            {"kinds": [k for k, _ in unique], "vals": [v for _, v in unique]},
        )
        return {(kind, value): number for kind, value, number in found}

    def _remember_pending(self, keys: list[tuple[str, str, int]]) -> None:
        if not keys:
            return
        conn = profiles_bulk.raw_connection(self.session)
        with conn.cursor() as cur:
            if self._pending_table is None:
                self._pending_table = f"hoso_import_pending_{secrets.token_hex(4)}"
                cur.execute(
                    f"CREATE TEMP TABLE {self._pending_table}"
                    " (kind text, value text, row_number int) ON COMMIT DROP"
                )
                cur.execute(f"CREATE INDEX ON {self._pending_table} (kind, value)")
            with cur.copy(
                f"COPY {self._pending_table} (kind, value, row_number) FROM STDIN"
            ) as copy:
                for key in keys:
                    copy.write_row(key)

    def _drop_pending(self) -> None:
        if self._pending_table is not None:
            self.session.execute(text(f"DROP TABLE IF EXISTS {self._pending_table}"))
            self._pending_table = None
