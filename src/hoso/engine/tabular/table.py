"""Open a sheet of a CSV, XLSX or XLS file as a table: header columns and streamed rows."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Generator
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from hoso.engine.tabular.errors import TabularError
from hoso.engine.tabular.headers import SCAN_ROWS, HeaderLayout, detect_header, explicit_header
from hoso.engine.tabular.model import CellValue, Column, FileKind, RawRow, SheetInfo, is_empty
from hoso.engine.tabular.readers import Source, open_source
from hoso.engine.tabular.sniff import detect

__all__ = ["Table", "list_sheets", "open_table"]

# Rows read past the header candidates, to see how wide the data is.
_WIDTH_ROWS: Final = 200
# Formula cells without a cached value are looked for in this many rows.
_FORMULA_CHECK_ROWS: Final = 1_000


def list_sheets(path: Path) -> list[SheetInfo]:
    """List the sheets of a workbook, hidden ones flagged; a CSV file has one, named ``""``.

    Args:
        path: The file.

    Returns:
        The sheets, in workbook order.

    Raises:
        TabularError: When the file cannot be read (see :func:`~hoso.engine.tabular.sniff`).
    """
    source = open_source(path, detect(path))
    try:
        return source.sheets()
    finally:
        source.close()


class Table:
    """One sheet of a file, opened: its columns, and its data rows as a stream.

    Use it as a context manager (``with open_table(path) as table:``) or call
    :meth:`close`. :meth:`rows` can be called any number of times: each call reads the
    file again from the start, so a preview and a later commit can both stream it.

    Attributes:
        kind: What the file is.
        sheet: The sheet's name (``""`` for CSV).
        encoding: The text encoding (CSV only), e.g. ``"utf-8"``, ``"cp1258"``.
        delimiter: The field delimiter (CSV only).
        header_rows: The 1-based numbers of the header rows (one or two).
        header_row: The number of the last header row; data starts below it.
        columns: The columns, left to right.
        warnings: Stable codes of things the user should know, in the order found:
            ``hidden_sheet_skipped``, ``encoding_fallback_cp1252``, ``merged_header_cells``,
            ``multiple_header_rows``, ``merged_data_cells``,
            ``formulas_without_cached_values`` (looked for in the first 1,000 rows),
            ``blank_rows_skipped`` and ``cells_outside_columns`` (these two are also added
            while :meth:`rows` streams, when met).
        sheets: Every sheet of the file.
    """

    def __init__(
        self,
        source: Source,
        *,
        sheet: str,
        sheets: list[SheetInfo],
        layout: HeaderLayout,
        warnings: list[str],
    ) -> None:
        self._source = source
        self.kind: FileKind = source.kind
        self.sheet = sheet
        self.sheets = sheets
        self.encoding: str | None = source.encoding
        self.delimiter: str | None = source.delimiter
        self.header_rows: tuple[int, ...] = layout.rows
        self.header_row: int = layout.last_row
        self.columns: list[Column] = layout.columns
        self.warnings: list[str] = warnings
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the file. Idempotent."""
        if not self._closed:
            self._closed = True
            self._source.close()

    def _warn(self, code: str) -> None:
        if code not in self.warnings:
            self.warnings.append(code)

    def rows(self) -> Generator[RawRow, None, None]:
        """Stream the data rows below the header, skipping fully blank rows.

        Values are padded with ``None`` (or cut) to the number of columns. Blank rows
        between data rows add the warning ``blank_rows_skipped``; values right of the last
        column add ``cells_outside_columns``.

        Yields:
            The rows, in file order.

        Raises:
            TabularError: When the file turns out to be damaged further down
                (``truncated_file``) or was closed.
        """
        if self._closed:
            raise ValueError("table is closed")
        width = len(self.columns)
        stream = self._source.iter_rows(self.sheet)
        try:
            blank_run = False
            for number, values in enumerate(stream, start=1):
                if number <= self.header_row:
                    continue
                if all(is_empty(value) for value in values):
                    blank_run = True
                    continue
                if blank_run:  # a gap inside the data; trailing blank rows say nothing
                    self._warn("blank_rows_skipped")
                    blank_run = False
                yield RawRow(number, _fit(values, width, self))
        finally:
            stream.close()

    def sample(self, n: int = 20) -> list[RawRow]:
        """Return the first ``n`` data rows (fewer if the table is shorter).

        Args:
            n: How many rows.

        Returns:
            The rows.
        """
        rows = self.rows()
        try:
            return list(itertools.islice(rows, n))
        finally:
            rows.close()

    def is_empty(self) -> bool:
        """Tell whether the table has no data row (a header-only file opens fine).

        Returns:
            True when :meth:`rows` yields nothing.
        """
        return not self.sample(1)


def _fit(values: tuple[CellValue, ...], width: int, table: Table) -> tuple[CellValue, ...]:
    if len(values) == width:
        return values
    if len(values) < width:
        return values + (None,) * (width - len(values))
    if any(not is_empty(value) for value in values[width:]):
        table._warn("cells_outside_columns")
    return values[:width]


def _choose_sheet(sheets: list[SheetInfo], wanted: str | None, kind: FileKind) -> SheetInfo:
    if wanted is None:
        visible = [s for s in sheets if not s.hidden]
        return visible[0] if visible else sheets[0]
    if kind is FileKind.CSV and wanted == "":
        return sheets[0]
    for sheet in sheets:
        if sheet.name == wanted:
            return sheet
    folded = unicodedata.normalize("NFC", wanted).strip().casefold()
    for sheet in sheets:
        if unicodedata.normalize("NFC", sheet.name).strip().casefold() == folded:
            return sheet
    raise TabularError("sheet_not_found", sheet=wanted, available=[s.name for s in sheets])


def open_table(path: Path, *, sheet: str | None = None, header_row: int | None = None) -> Table:
    """Open a sheet of a CSV, XLSX or XLS file as a table.

    The file's kind comes from its bytes (:func:`~hoso.engine.tabular.sniff.sniff`).
    Without ``sheet``, the first visible sheet is used (warning ``hidden_sheet_skipped``
    when the workbook has hidden sheets). Without ``header_row``, the header row is
    detected (:func:`~hoso.engine.tabular.headers.detect_header`), including two header
    rows under a merged group header.

    A sheet with a header and no data opens fine: :meth:`Table.rows` yields nothing and
    :meth:`Table.is_empty` is true. A sheet with nothing in it at all raises
    ``no_data_rows``.

    Args:
        path: The file.
        sheet: A sheet name (matched exactly, then ignoring case and surrounding spaces).
        header_row: The 1-based number of the header row, to override detection.

    Returns:
        The open table; close it (or use it in a ``with`` block).

    Raises:
        TabularError: ``empty_file``, ``not_a_spreadsheet``, ``truncated_file``,
            ``password_protected``, ``encoding_unknown``, ``sheet_not_found``,
            ``no_header_row`` or ``no_data_rows``.
    """
    sniffed = detect(path)
    source = open_source(path, sniffed)
    try:
        sheets = source.sheets()
        if not sheets:
            raise TabularError("no_data_rows")
        chosen = _choose_sheet(sheets, sheet, source.kind)
        warnings: list[str] = []
        if sheet is None and any(s.hidden for s in sheets):
            warnings.append("hidden_sheet_skipped")
        if source.encoding == "cp1252":
            warnings.append("encoding_fallback_cp1252")
        scan_rows = SCAN_ROWS + _WIDTH_ROWS if header_row is None else header_row + _WIDTH_ROWS
        head = _head(source, chosen.name, scan_rows)
        merges = source.merges(chosen.name)
        if header_row is None:
            layout = detect_header(head, merges)
        else:
            layout = explicit_header(head, header_row, merges)
        warnings.extend(layout.warnings)
        if source.formulas_without_values(chosen.name, _FORMULA_CHECK_ROWS):
            warnings.append("formulas_without_cached_values")
        return Table(source, sheet=chosen.name, sheets=sheets, layout=layout, warnings=warnings)
    except BaseException:
        source.close()
        raise


def _head(source: Source, sheet: str, count: int) -> list[tuple[CellValue, ...]]:
    """The first ``count`` rows; if all are blank, make sure the sheet holds anything at all."""
    stream = source.iter_rows(sheet)
    try:
        head = list(itertools.islice(stream, count))
        if any(not is_empty(value) for row in head for value in row):
            return head
        if any(any(not is_empty(value) for value in row) for row in stream):
            raise TabularError("no_header_row", scanned_rows=len(head))
        raise TabularError("no_data_rows")
    finally:
        stream.close()
