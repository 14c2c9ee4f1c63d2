"""Find the header row(s) of a sheet and turn them into clean, unique column names.

Real files rarely start with their headers on row 1. Shops put a title above them
("DANH SÁCH KHÁCH HÀNG THÁNG 10", merged across the table), a shop name and a date, and
sometimes two header rows: a group header merged over its sub-headers ("Địa chỉ" over
"Tỉnh/Thành | Quận/Huyện | Phường/Xã"). This module scores the first rows, picks the header
row, and combines a group row with its sub-header row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from hoso.engine.normalize import looks_like_email, looks_like_phone, nfc
from hoso.engine.tabular.aliases import match_alias
from hoso.engine.tabular.errors import TabularError
from hoso.engine.tabular.model import CellValue, Column, is_empty
from hoso.engine.tabular.readers import Merge

__all__ = ["SCAN_ROWS", "HeaderLayout", "detect_header", "explicit_header"]

SCAN_ROWS: Final = 30
"""How many rows from the top are considered as header candidates."""

_MAX_HEADER_CHARS: Final = 80
_NUMBER_LIKE: Final = re.compile(r"[-+]?[\d.,\s]*\d[\d.,\s]*(?:đ|₫|vnd|vnđ|%)?", re.IGNORECASE)
_DATE_LIKE: Final = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ t].*)?", re.IGNORECASE)
_ALIAS_WEIGHT: Final = 3.0
_DATA_PENALTY: Final = 2.0

Row = Sequence[CellValue]


@dataclass(frozen=True, slots=True)
class HeaderLayout:
    """Where the headers are and what they say.

    Attributes:
        rows: The 1-based numbers of the header rows (one or two), in order.
        columns: One per column of the table.
        warnings: Stable codes: ``merged_header_cells``, ``multiple_header_rows``,
            ``merged_data_cells``.
    """

    rows: tuple[int, ...]
    columns: list[Column]
    warnings: tuple[str, ...]

    @property
    def last_row(self) -> int:
        """The number of the last header row; data starts below it."""
        return self.rows[-1]


def _is_data_like(value: CellValue) -> bool:
    """A value that is data rather than a column name: a number, a date, a phone, an email."""
    if not isinstance(value, str):
        return value is not None
    return bool(
        _NUMBER_LIKE.fullmatch(value)
        or _DATE_LIKE.fullmatch(value)
        or looks_like_phone(value)
        or (looks_like_email(value) and " " not in value)
    )


@dataclass(frozen=True, slots=True)
class _RowScore:
    filled: int
    texts: int
    data: int
    aliases: int

    @property
    def score(self) -> float:
        return self.aliases * _ALIAS_WEIGHT + self.texts - self.data * _DATA_PENALTY

    @property
    def header_like(self) -> bool:
        """Only short text cells, at least one of them a known header or two of any kind."""
        return self.data == 0 and (self.aliases >= 1 or self.texts >= 2)


def _score(row: Row) -> _RowScore:
    filled = texts = data = aliases = 0
    for value in row:
        if is_empty(value):
            continue
        filled += 1
        if _is_data_like(value) or (isinstance(value, str) and len(value) > _MAX_HEADER_CHARS):
            data += 1
            continue
        texts += 1
        if match_alias(str(value)) is not None:
            aliases += 1
    return _RowScore(filled, texts, data, aliases)


def _width(row: Row) -> int:
    """1 + the index of the last non-empty cell (0 for a blank row)."""
    for index in range(len(row) - 1, -1, -1):
        if not is_empty(row[index]):
            return index + 1
    return 0


def _cell(row: Row, index: int) -> CellValue:
    return row[index] if index < len(row) else None


def _is_candidate(score: _RowScore, widest: int) -> bool:
    if score.filled >= 2:
        return score.texts >= score.data and (score.aliases >= 1 or score.texts >= 2)
    # One filled cell is a title ("DANH SÁCH KHÁCH HÀNG"), unless the sheet is one column.
    return score.filled == 1 and widest <= 1 and score.aliases == 1


def detect_header(rows: Sequence[Row], merges: Sequence[Merge]) -> HeaderLayout:
    """Find the header row(s) among the first rows of a sheet.

    Each of the first :data:`SCAN_ROWS` rows is scored: +3 per cell that is a known header
    (see :mod:`~hoso.engine.tabular.aliases`), +1 per other short text cell, -2 per cell
    that looks like data (number, date, phone, e-mail). Rows with a single filled cell
    (titles, even merged across) do not qualify. The best row wins; among equals, the
    first. Then the row just below (or above) is combined with it when it holds
    sub-headers under a group header (see :func:`_two_rows`).

    Args:
        rows: The first rows of the sheet (row 1 first), cleaned. Rows past
            :data:`SCAN_ROWS` are only used to see how wide the data is.
        merges: The sheet's merged ranges (empty when unknown).

    Returns:
        The header layout.

    Raises:
        TabularError: ``no_header_row`` when no row qualifies.
    """
    scan = list(rows[:SCAN_ROWS])
    widest = max((_width(row) for row in rows), default=0)
    scores = [_score(row) for row in scan]
    best: int | None = None
    for index, score in enumerate(scores):
        if _is_candidate(score, widest) and (best is None or score.score > scores[best].score):
            best = index
    if best is None:
        raise TabularError("no_header_row", scanned_rows=len(scan))
    header_rows = [best]
    if best + 1 < len(rows) and _two_rows(rows, best, merges):
        header_rows.append(best + 1)
    elif best > 0 and _two_rows(rows, best - 1, merges):
        header_rows.insert(0, best - 1)
    # Lines above the header (a shop's address far to the right) do not widen the table.
    table_width = max((_width(row) for row in rows[header_rows[0] :]), default=0)
    return _layout(rows, [index + 1 for index in header_rows], merges, table_width)


def explicit_header(rows: Sequence[Row], header_row: int, merges: Sequence[Merge]) -> HeaderLayout:
    """Use the row the user chose as the single header row.

    Args:
        rows: The first rows of the sheet, cleaned (at least up to ``header_row``).
        header_row: Its 1-based number.
        merges: The sheet's merged ranges.

    Returns:
        The header layout.

    Raises:
        TabularError: ``no_header_row`` when that row does not exist or is blank.
    """
    if header_row < 1 or header_row > len(rows) or _width(rows[header_row - 1]) == 0:
        raise TabularError("no_header_row", header_row=header_row)
    widest = max((_width(row) for row in rows[header_row - 1 :]), default=0)
    return _layout(rows, [header_row], merges, widest)


def _two_rows(rows: Sequence[Row], top_index: int, merges: Sequence[Merge]) -> bool:
    """Whether rows ``top_index`` and ``top_index + 1`` are a group row over sub-headers.

    Both must look like headers (short text, no data), the top one with at least two filled
    cells (so a title is never taken for a group). Then either a range merged across
    columns in the top row has sub-headers below it, or, when merges are unknown (CSV,
    or a file whose merges could not be read), a sub-header sits under an empty top cell
    that continues a group to its left, some top header stands alone (merged down, its
    cell below empty), and at least one sub-header is a known header.
    """
    top, bottom = rows[top_index], rows[top_index + 1]
    top_score, bottom_score = _score(top), _score(bottom)
    if top_score.filled < 2 or not top_score.header_like or not bottom_score.header_like:
        return False
    top_number = top_index + 1
    for merge in merges:
        spans_columns = merge.min_row == top_number and merge.max_col > merge.min_col
        under = range(merge.min_col - 1, merge.max_col)
        if spans_columns and any(not is_empty(_cell(bottom, c)) for c in under):
            return True
    if bottom_score.aliases == 0:
        return False
    width = max(_width(top), _width(bottom))
    continues_group = alone = False
    for index in range(width):
        above, below = _cell(top, index), _cell(bottom, index)
        if not is_empty(below) and is_empty(above) and _group_start(top, index) is not None:
            continues_group = True
        if not is_empty(above) and is_empty(below):
            alone = True
    return continues_group and alone


def _group_start(top: Row, index: int) -> int | None:
    """The column of the nearest filled top cell at or left of ``index``."""
    for column in range(index, -1, -1):
        if not is_empty(_cell(top, column)):
            return column
    return None


def _header_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def _layout(
    rows: Sequence[Row], header_rows: list[int], merges: Sequence[Merge], widest: int
) -> HeaderLayout:
    warnings: list[str] = []
    first, last = header_rows[0], header_rows[-1]
    header_merges = [m for m in merges if m.min_row <= last and m.max_row >= first]
    if header_merges:
        warnings.append("merged_header_cells")
    if any(m.min_row > last for m in merges):
        warnings.append("merged_data_cells")
    width = max(widest, *(_width(rows[n - 1]) for n in header_rows))
    raw: list[str]
    if len(header_rows) == 1:
        raw = [_header_text(_cell(rows[first - 1], i)) for i in range(width)]
    else:
        warnings.append("multiple_header_rows")
        raw = _combine(rows[first - 1], rows[last - 1], first, header_merges, width)
    return HeaderLayout(tuple(header_rows), _columns(raw), tuple(warnings))


def _combine(
    top: Row, bottom: Row, top_number: int, merges: Sequence[Merge], width: int
) -> list[str]:
    """Join a group row and its sub-header row: ``"Địa chỉ / Tỉnh/Thành"``."""
    group_of: dict[int, str] = {}
    for merge in merges:
        if merge.min_row == top_number and merge.max_col > merge.min_col:
            text = _header_text(_cell(top, merge.min_col - 1))
            for column in range(merge.min_col - 1, merge.max_col):
                group_of[column] = text
    combined: list[str] = []
    for index in range(width):
        above, below = _header_text(_cell(top, index)), _header_text(_cell(bottom, index))
        group = group_of.get(index) or above
        if not group and below and not merges:
            start = _group_start(top, index)
            # Without merges, a group extends right over empty top cells with sub-headers.
            if start is not None and all(
                not is_empty(_cell(bottom, c)) for c in range(start, index + 1)
            ):
                group = _header_text(_cell(top, start))
        if not below:
            combined.append(group)
        elif group and nfc(group).casefold() != nfc(below).casefold():
            combined.append(f"{group} / {below}")
        else:
            combined.append(below)
    return combined


def _columns(raw_headers: list[str]) -> list[Column]:
    """Clean headers (NFC, single spaces), name empty ones and number duplicates."""
    used: set[str] = set()
    columns: list[Column] = []
    for index, raw in enumerate(raw_headers):
        base = nfc(raw) or f"Cột {index + 1}"
        header, n = base, 1
        while header.casefold() in used:
            n += 1
            header = f"{base} ({n})"
        used.add(header.casefold())
        columns.append(Column(index=index, header=header, raw_header=raw))
    return columns
