"""Deduplicate a spreadsheet without a server: read, match, write clusters (``hoso dedupe``).

The file is read with :mod:`hoso.engine.tabular` exactly as an import reads it (header
detection, Vietnamese and English headers mapped automatically, ``--map`` overrides), each
row becomes a :class:`~hoso.engine.matching.record.MatchRecord`, a model is trained on the
file (or read from JSON), and :func:`~hoso.engine.matching.batch.resolve_batch` clusters
the rows. Outputs: a CSV ``record_id,cluster_id,match_probability,explanation``, optionally
the pairs to review, and a cleaned workbook with duplicates grouped. This is also how the
benchmarks drive the engine, so the interface stays stable.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from hoso.engine.matching.batch import BatchResult
from hoso.engine.matching.record import MatchRecord, prepare_record
from hoso.engine.normalize import fold
from hoso.engine.tabular import (
    CellValue,
    ColumnMapping,
    Target,
    convert_row,
    open_table,
    suggest_mapping,
)

__all__ = [
    "ERROR_CODES",
    "IDENTIFIER_TARGETS",
    "OUTPUT_HEADER",
    "DedupeError",
    "DedupeInput",
    "read_records",
    "write_clusters",
    "write_review",
    "write_workbook",
]

#: Every code a :class:`DedupeError` carries (each has a message in both languages).
ERROR_CODES: Final = frozenset(
    {
        "dedupe_empty_file",  # a header and no data row
        "dedupe_no_identifiers",  # no column, or no row, holds a phone, e-mail or other id
        "dedupe_unknown_column",  # --id-column or --map names no column of the file
        "dedupe_unknown_field",  # --map COLUMN=FIELD with an unknown field
        "dedupe_duplicate_id",  # the id column repeats a value
        "dedupe_missing_id",  # the id column is empty on a row
        "dedupe_bad_model",  # --model is not a model file
    }
)
#: Columns of the clusters CSV, in order.
OUTPUT_HEADER: Final = ("record_id", "cluster_id", "match_probability", "explanation")
#: Targets that carry a strong identifier.
IDENTIFIER_TARGETS: Final = frozenset(
    {Target.PHONE, Target.EMAIL, Target.EXTERNAL_ID, Target.ZALO_ID, Target.LOYALTY_CARD}
)
_FIELDS: Final = frozenset(t.value for t in Target)


class DedupeError(Exception):
    """The file cannot be deduplicated as asked.

    Attributes:
        code: One of :data:`ERROR_CODES`.
        details: JSON-able facts for the message.
    """

    def __init__(self, code: str, **details: object) -> None:
        if code not in ERROR_CODES:  # a programming error, not a user one
            raise ValueError(f"unknown dedupe error code {code!r}")
        self.code = code
        self.details: dict[str, object] = details
        super().__init__(f"{code}: {details}" if details else code)


@dataclass
class DedupeInput:
    """A file read for deduplication.

    Attributes:
        path: The file.
        header: Column headers, left to right.
        mapping: Where each column went.
        records: One prepared record per data row, in file order.
        rows: The rows' cells, in file order (for the cleaned workbook).
        numbers: The rows' numbers in the file.
        id_column: The index of the id column, if any.
        warnings: Codes of the reader's warnings (``blank_rows_skipped``...).
        problems: How many cells were left out as invalid (bad phones, dates...).
    """

    path: Path
    header: list[str]
    mapping: list[ColumnMapping]
    records: list[MatchRecord] = field(default_factory=list)
    rows: list[tuple[CellValue, ...]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    id_column: int | None = None
    warnings: list[str] = field(default_factory=list)
    problems: int = 0


def _find_column(header: Sequence[str], name: str) -> int:
    for index, text in enumerate(header):
        if text == name:
            return index
    folded = fold(name)
    for index, text in enumerate(header):
        if fold(text) == folded:
            return index
    raise DedupeError("dedupe_unknown_column", column=name, available=list(header))


def _apply_overrides(
    mapping: list[ColumnMapping],
    header: Sequence[str],
    overrides: Mapping[str, str],
    id_column: int | None,
) -> list[ColumnMapping]:
    targets = {m.column: m for m in mapping}
    explicit: set[int] = set()
    for column_name, field_name in overrides.items():
        index = _find_column(header, column_name)
        value = field_name.strip().lower()
        if value not in _FIELDS:
            raise DedupeError("dedupe_unknown_field", field=field_name, column=column_name)
        targets[index] = ColumnMapping(index, header[index], value, 1.0, "override")
        explicit.add(index)
    if id_column is not None and id_column not in explicit:
        # The row id identifies rows in the output; matching on it would make every row a
        # different customer. Map it explicitly (--map) when it is a real customer code.
        targets[id_column] = ColumnMapping(id_column, header[id_column], "ignore", 1.0, "id")
    return [targets[i] for i in sorted(targets)]


def read_records(
    path: Path,
    *,
    id_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    today: date | None = None,
    keep_rows: bool = False,
) -> DedupeInput:
    """Read a CSV/XLSX/XLS file into prepared records, mapping columns as an import does.

    Args:
        path: The file.
        id_column: Header of the column holding each row's id (default: the row number).
        overrides: ``COLUMN -> FIELD`` mappings that win over the automatic ones (FIELD is
            a :class:`~hoso.engine.tabular.Target` value, ``ignore`` included).
        sheet: Sheet name (default: the first visible one).
        header_row: Header row number (default: detected).
        today: Reference date for birth-date plausibility.
        keep_rows: Keep the rows' cells (for :func:`write_workbook`).

    Returns:
        The :class:`DedupeInput`.

    Raises:
        TabularError: The file cannot be read as a table.
        DedupeError: ``dedupe_empty_file``, ``dedupe_no_identifiers``,
            ``dedupe_unknown_column``, ``dedupe_unknown_field``, ``dedupe_duplicate_id``,
            ``dedupe_missing_id``.
    """
    today = today or date.today()  # noqa: DTZ011 - a birth-date sanity bound, not a timestamp
    with open_table(path, sheet=sheet, header_row=header_row) as table:
        header = [c.header for c in table.columns]
        id_index = _find_column(header, id_column) if id_column is not None else None
        mapping = suggest_mapping(table.columns, table.sample(20))
        mapping = _apply_overrides(mapping, header, overrides or {}, id_index)
        result = DedupeInput(path=path, header=header, mapping=mapping, id_column=id_index)
        seen: set[str] = set()
        for row in table.rows():
            record_id = _record_id(row.values, row.number, id_index)
            if record_id in seen:
                raise DedupeError("dedupe_duplicate_id", value=record_id, row=row.number)
            seen.add(record_id)
            converted = convert_row(row, mapping, today=today)
            result.problems += len(converted.problems)
            result.records.append(_record(record_id, converted.fields, today))
            result.numbers.append(row.number)
            if keep_rows:
                result.rows.append(row.values)
        result.warnings = list(table.warnings)
    if not result.records:
        raise DedupeError("dedupe_empty_file", file=path.name)
    mapped = {m.target for m in mapping}
    if not mapped & {t.value for t in IDENTIFIER_TARGETS} or not any(
        r.has_identifier for r in result.records
    ):
        raise DedupeError(
            "dedupe_no_identifiers",
            file=path.name,
            columns=", ".join(f"{m.header}→{m.target}" for m in mapping),
        )
    return result


def _record_id(values: Sequence[CellValue], number: int, id_index: int | None) -> str:
    if id_index is None:
        return str(number)
    cell = values[id_index] if id_index < len(values) else None
    text = "" if cell is None else str(cell).strip()
    if isinstance(cell, float) and cell.is_integer():
        text = str(int(cell))
    if not text:
        raise DedupeError("dedupe_missing_id", row=number)
    return text


def _record(record_id: str, fields: Mapping[str, object], today: date) -> MatchRecord:
    addresses = fields.get("addresses")
    address: Mapping[str, str] = {}
    if isinstance(addresses, list) and addresses:
        address = addresses[0]
    birth = fields.get("birth_date")
    identifiers = [
        (kind, str(value))
        for kind in ("external_id", "zalo_id", "loyalty_card")
        if (value := fields.get(kind))
    ]
    phones = fields.get("phones")
    emails = fields.get("emails")
    return prepare_record(
        record_id,
        full_name=_text(fields.get("full_name")),
        birth_date=date.fromisoformat(birth) if isinstance(birth, str) else None,
        gender=_text(fields.get("gender")),
        phones=[str(p) for p in phones] if isinstance(phones, list) else (),
        emails=[str(e) for e in emails] if isinstance(emails, list) else (),
        identifiers=identifiers,
        address=address.get("line"),
        ward=address.get("ward"),
        district=address.get("district"),
        province=address.get("province"),
        today=today,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _explanation(result: BatchResult, record_id: str, via: str | None, locale: str) -> str:
    if via is None:
        return ""
    return result.explain(record_id, via).explanation(locale=locale)


def write_clusters(path: Path, result: BatchResult, *, locale: str = "en") -> int:
    """Write ``record_id,cluster_id,match_probability,explanation``, one row per record.

    ``match_probability`` and ``explanation`` describe the merge that put the record in
    its cluster (empty for a record alone).

    Returns:
        Rows written.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(OUTPUT_HEADER)
        for a in result.assignments:
            probability = "" if a.probability is None else f"{a.probability:.6f}"
            explanation = _explanation(result, a.record_id, a.via, locale)
            writer.writerow([a.record_id, a.cluster_id, probability, explanation])
    return len(result.assignments)


def write_review(path: Path, result: BatchResult, *, locale: str = "en") -> int:
    """Write the pairs to review: ``left_id,right_id,match_probability,reason,explanation``.

    Returns:
        Rows written.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["left_id", "right_id", "match_probability", "reason", "explanation"])
        for pair in result.review:
            explanation = result.explain(pair.left_id, pair.right_id).explanation(locale=locale)
            writer.writerow(
                [pair.left_id, pair.right_id, f"{pair.probability:.6f}", pair.reason, explanation]
            )
    return len(result.review)


_WORKBOOK_LABELS: Final[dict[str, dict[str, str]]] = {
    "vi": {
        "sheet": "Khách hàng",
        "cluster": "Nhóm",
        "size": "Số bản ghi trong nhóm",
        "probability": "Xác suất trùng",
        "phones": "SĐT chuẩn hoá",
        "emails": "Email chuẩn hoá",
        "review": "Cần xem lại",
        "left": "Bản ghi 1",
        "right": "Bản ghi 2",
        "reason": "Lý do",
        "explanation": "Giải thích",
    },
    "en": {
        "sheet": "Customers",
        "cluster": "Cluster",
        "size": "Records in cluster",
        "probability": "Match probability",
        "phones": "Phones (E.164)",
        "emails": "E-mails (normalised)",
        "review": "To review",
        "left": "Record 1",
        "right": "Record 2",
        "reason": "Reason",
        "explanation": "Explanation",
    },
}


def write_workbook(
    path: Path, data: DedupeInput, result: BatchResult, *, locale: str = "vi"
) -> int:
    """Write a cleaned workbook: every row with its cluster, duplicates grouped together.

    Sheet 1 holds the file's columns plus the cluster, its size, the merge probability and
    the normalised phones and e-mails, sorted so that the rows of one customer are
    adjacent (largest clusters first) and outlined as a group; sheet 2 the pairs to review.

    Returns:
        Data rows written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    labels = _WORKBOOK_LABELS["vi" if locale == "vi" else "en"]
    by_id = {a.record_id: a for a in result.assignments}
    sizes: dict[str, int] = {}
    for a in result.assignments:
        sizes[a.cluster_id] = sizes.get(a.cluster_id, 0) + 1
    order = sorted(
        range(len(data.records)),
        key=lambda i: (
            -sizes[by_id[data.records[i].record_id].cluster_id],
            by_id[data.records[i].record_id].cluster_id,
            i,
        ),
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101
    sheet.title = labels["sheet"]
    sheet.append(
        [*data.header, labels["cluster"], labels["size"], labels["probability"],
         labels["phones"], labels["emails"]]
    )  # fmt: skip
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    shade = PatternFill("solid", fgColor="EEF3FB")
    previous: str | None = None
    band = False
    for row_number, index in enumerate(order, start=2):
        record = data.records[index]
        assignment = by_id[record.record_id]
        cells = list(data.rows[index]) if data.rows else [None] * len(data.header)
        size = sizes[assignment.cluster_id]
        sheet.append(
            [
                *cells,
                assignment.cluster_id,
                size,
                assignment.probability,
                ", ".join(record.phones),
                ", ".join(record.emails),
            ]
        )
        if assignment.cluster_id != previous:
            band = not band
            previous = assignment.cluster_id
        if size > 1:
            if band:
                for cell in sheet[row_number]:
                    cell.fill = shade
            if assignment.record_id != assignment.cluster_id:
                sheet.row_dimensions[row_number].outline_level = 1
    review = workbook.create_sheet(labels["review"])
    review.append(
        [labels["left"], labels["right"], labels["probability"], labels["reason"],
         labels["explanation"]]
    )  # fmt: skip
    for pair in result.review:
        text = result.explain(pair.left_id, pair.right_id).explanation(locale=locale)
        review.append([pair.left_id, pair.right_id, pair.probability, pair.reason, text])
    workbook.save(path)
    return len(order)


def summary(data: DedupeInput, result: BatchResult) -> dict[str, Any]:
    """Counts for the command's report."""
    clusters = result.clusters
    duplicates = sum(len(ids) - 1 for ids in clusters.values())
    return {
        "file": data.path.name,
        "records": len(data.records),
        "clusters": len(clusters),
        "duplicates_merged": duplicates,
        "largest_cluster": max((len(ids) for ids in clusters.values()), default=0),
        "review_pairs": len(result.review),
        "shared_identifiers": len(result.shared),
        "cells_left_out": data.problems,
        "mapping": [
            {"column": m.column + 1, "header": m.header, "target": m.target, "reason": m.reason}
            for m in data.mapping
        ],
    }
