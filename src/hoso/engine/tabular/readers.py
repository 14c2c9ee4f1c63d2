"""Row sources: CSV, XLSX and XLS files as streams of cleaned rows.

Every source yields *all* rows of a sheet from row 1, blank ones included (as empty tuples
or tuples of ``None``), so that position in the stream is the row number the user sees.
CSV and XLSX are streamed (memory stays flat however long the file); XLS is read whole by
xlrd, which is fine because the format stops at 65,536 rows.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import struct
import warnings
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Final, Protocol

import openpyxl
import python_calamine
import xlrd
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from xlrd.biffh import (
    XL_CELL_BOOLEAN,
    XL_CELL_DATE,
    XL_CELL_ERROR,
    XLRDError,
    error_text_from_code,
)
from xlrd.compdoc import CompDocError
from xlrd.xldate import XLDateError, xldate_as_datetime

from hoso.engine.tabular.errors import TabularError
from hoso.engine.tabular.model import CellValue, FileKind, SheetInfo, clean_cell
from hoso.engine.tabular.sniff import Sniffed

__all__ = ["CALAMINE_MAX_BYTES", "Merge", "Source", "open_source", "sniff_delimiter"]

Row = tuple[CellValue, ...]

DELIMITERS: Final = (",", ";", "\t", "|")
_DELIMITER_SAMPLE_CHARS: Final = 64 * 1024
_DELIMITER_SAMPLE_RECORDS: Final = 50
_MAIN_NS: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS: Final = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MERGE_CELL: Final = re.compile(
    rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]+)(\d+):([A-Za-z]+)(\d+)\""
)
_MERGE_SCAN_CHUNK: Final = 1 << 20
_MAX_MERGES: Final = 10_000
# Workbooks up to this size are read by calamine (an .xlsx compresses its cells about ten
# times: 40 MB is roughly a million customer rows); larger ones are streamed by openpyxl.
CALAMINE_MAX_BYTES: Final = 40 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Merge:
    """A merged range, 1-based and inclusive, as Excel shows it (``C3:E3``)."""

    min_row: int
    min_col: int
    max_row: int
    max_col: int


class Source(Protocol):
    """A file opened for reading rows."""

    kind: FileKind
    encoding: str | None
    delimiter: str | None

    def sheets(self) -> list[SheetInfo]:
        """The sheets, in workbook order."""
        ...

    def iter_rows(self, sheet: str) -> Generator[Row, None, None]:
        """Every row of ``sheet`` from row 1, cleaned; a new stream on every call."""
        ...

    def merges(self, sheet: str) -> list[Merge]:
        """The merged ranges of ``sheet`` (empty when the format has none)."""
        ...

    def formulas_without_values(self, sheet: str, max_rows: int) -> bool:
        """Whether a formula cell in the first ``max_rows`` rows has no cached value."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


def open_source(path: Path, sniffed: Sniffed) -> Source:
    """Open ``path`` as the kind :func:`~hoso.engine.tabular.sniff.detect` found.

    Args:
        path: The file.
        sniffed: Its kind and encoding.

    Returns:
        A row source.

    Raises:
        TabularError: ``truncated_file``, ``password_protected`` or ``not_a_spreadsheet``
            when the workbook cannot be opened.
    """
    if sniffed.kind is FileKind.CSV:
        assert sniffed.encoding is not None  # noqa: S101 - detect() always sets it for CSV
        return CsvSource(path, sniffed.encoding)
    if sniffed.kind is FileKind.XLSX:
        return XlsxSource(path)
    return XlsSource(path)


# --- CSV ------------------------------------------------------------------------------------


def sniff_delimiter(sample: str) -> str:
    r"""Pick the delimiter among ``,`` ``;`` tab ``|`` that splits the sample most regularly.

    Each candidate parses the sample (quotes respected); the winner is the one for which
    the largest share of the records has the same number of fields (more than one), then
    the one giving more fields.

    Args:
        sample: The beginning of the file, decoded.

    Returns:
        The delimiter; ``","`` when nothing splits.

    Examples:
        >>> sniff_delimiter("Họ tên;SĐT;Tổng\nLan;0903 123 456;1,250,000\n")
        ';'
    """
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        counts: list[int] = []
        records = 0
        reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
        try:
            for record in reader:
                if not any(field.strip() for field in record):
                    continue
                records += 1
                if sum(1 for field in record if field.strip()) > 1:
                    counts.append(len(record))
                if records >= _DELIMITER_SAMPLE_RECORDS:
                    break
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=lambda n: (counts.count(n), n))
        score = (counts.count(mode) / records, mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


class CsvSource:
    """A delimited text file, streamed through the csv module."""

    kind = FileKind.CSV

    def __init__(self, path: Path, encoding: str) -> None:
        self._path = path
        self.encoding: str | None = encoding
        with path.open(encoding=encoding, newline="") as f:
            sample = f.read(_DELIMITER_SAMPLE_CHARS)
            if f.read(1):  # more follows: drop the last, possibly cut, line
                sample = sample[: sample.rfind("\n") + 1] or sample
        self.delimiter: str | None = sniff_delimiter(sample)

    def sheets(self) -> list[SheetInfo]:
        return [SheetInfo(name="", hidden=False, index=0)]

    def iter_rows(self, sheet: str) -> Generator[Row, None, None]:
        del sheet  # a CSV file has a single, unnamed sheet
        with self._path.open(encoding=self.encoding, newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter or ",")
            try:
                for record in reader:
                    yield tuple(clean_cell(field) for field in record)
            except csv.Error as error:
                raise TabularError(
                    "not_a_spreadsheet", detected="malformed_csv", row=reader.line_num
                ) from error

    def merges(self, sheet: str) -> list[Merge]:
        del sheet
        return []

    def formulas_without_values(self, sheet: str, max_rows: int) -> bool:
        del sheet, max_rows
        return False

    def close(self) -> None:
        return None


# --- XLSX -----------------------------------------------------------------------------------


def _load_xlsx(file: IO[bytes]) -> openpyxl.Workbook:
    """Load a workbook for streaming (read-only, cached values instead of formulas).

    A file object, not a path, is given to openpyxl: with a path it refuses any name that
    does not end in .xlsx, and uploads are often named otherwise.
    """
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it drops; none of them matter here.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(file, read_only=True, data_only=True, keep_links=False)
    except zipfile.BadZipFile as error:
        raise TabularError("truncated_file", kind="xlsx") from error
    except (KeyError, ET.ParseError, EOFError, zlib.error, ValueError, OSError) as error:
        # A zip whose members are cut or missing (a broken or partial workbook).
        raise TabularError("truncated_file", kind="xlsx", reason=str(error)) from error


class XlsxSource:
    """An Office Open XML workbook, read by calamine (Rust) and, failing that, by openpyxl.

    calamine reads a sheet about ten times faster than openpyxl's streaming mode (a
    100,000-row customer list in seconds rather than half a minute), but holds the sheet's
    cells in memory while it is read (tens of megabytes for the largest sheets Excel
    allows). Workbooks it cannot read, and files larger than :data:`CALAMINE_MAX_BYTES`
    (whose cells could take hundreds of megabytes), are streamed by openpyxl. Merged cells
    and formulas without a cached value are found in the sheet's XML either way.
    """

    kind = FileKind.XLSX
    encoding: str | None = None
    delimiter: str | None = None

    def __init__(self, path: Path) -> None:
        self._path = path
        self._calamine: python_calamine.CalamineWorkbook | None = None
        self._fallback: OpenpyxlXlsxSource | None = None
        if path.stat().st_size <= CALAMINE_MAX_BYTES:
            try:
                self._calamine = python_calamine.CalamineWorkbook.from_path(str(path))
                self._sheets = [
                    SheetInfo(
                        name=meta.name,
                        hidden=meta.visible != python_calamine.SheetVisibleEnum.Visible,
                        index=i,
                    )
                    for i, meta in enumerate(self._calamine.sheets_metadata)
                    if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
                ]
            except Exception:
                self._close_calamine()
        if self._calamine is None:
            self._fallback = OpenpyxlXlsxSource(path)
            self._sheets = self._fallback.sheets()

    def _close_calamine(self) -> None:
        if self._calamine is not None:
            self._calamine.close()
            self._calamine = None

    def sheets(self) -> list[SheetInfo]:
        return list(self._sheets)

    def iter_rows(self, sheet: str) -> Generator[Row, None, None]:
        if self._fallback is not None:
            yield from self._fallback.iter_rows(sheet)
            return
        assert self._calamine is not None  # noqa: S101 - one of the two is open
        try:
            data = self._calamine.get_sheet_by_name(sheet)
            start = data.start or (0, 0)
            rows = data.iter_rows()
        except Exception as error:
            raise TabularError("truncated_file", kind="xlsx", reason=str(error)) from error
        # calamine's rows start at row 1 but at the first column holding something; the
        # columns before it are blank, and column positions must be the ones Excel shows.
        pad = (None,) * start[1]
        for row in rows:
            yield pad + tuple(_calamine_cell(value) for value in row)

    def merges(self, sheet: str) -> list[Merge]:
        return _xml_merges(self._path, sheet)

    def formulas_without_values(self, sheet: str, max_rows: int) -> bool:
        return _xml_formulas_without_values(self._path, sheet, max_rows)

    def close(self) -> None:
        self._close_calamine()
        if self._fallback is not None:
            self._fallback.close()


def _calamine_cell(value: object) -> CellValue:
    """A calamine value as openpyxl and xlrd give it: a date cell is a ``datetime``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - Excel has no zone
    return clean_cell(value)


def _xml_merges(path: Path, sheet: str) -> list[Merge]:
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_member(archive, sheet)
            if member is None:
                return []
            with archive.open(member) as stream:
                return _scan_merges(stream)
    except (zipfile.BadZipFile, zlib.error, KeyError, ET.ParseError, EOFError, OSError):
        return []  # merges only refine header detection; never fail on them


def _xml_formulas_without_values(path: Path, sheet: str, max_rows: int) -> bool:
    """Look for ``<c><f>…</f></c>`` without a ``<v>`` in the sheet's first rows.

    openpyxl's ``data_only`` mode and calamine both give such a cell as empty, exactly like
    an empty one, so the sheet's XML is read directly (first ``max_rows`` rows only).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_member(archive, sheet)
            if member is None:
                return False
            with archive.open(member) as stream:
                return _formula_without_value(stream, max_rows)
    except (zipfile.BadZipFile, zlib.error, KeyError, ET.ParseError, EOFError, OSError):
        return False


class OpenpyxlXlsxSource:
    """An Office Open XML workbook, streamed by openpyxl in read-only mode.

    The workbook is loaded once (which reads its shared strings) and kept open until
    :meth:`close`; every :meth:`iter_rows` call opens a new stream over the sheet's XML.
    """

    kind = FileKind.XLSX
    encoding: str | None = None
    delimiter: str | None = None

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file = path.open("rb")
        try:
            self._workbook = _load_xlsx(self._file)
        except BaseException:
            self._file.close()
            raise
        self._sheets = [
            SheetInfo(name=ws.title, hidden=ws.sheet_state != "visible", index=i)
            for i, ws in enumerate(self._workbook.worksheets)
        ]

    def sheets(self) -> list[SheetInfo]:
        return list(self._sheets)

    def iter_rows(self, sheet: str) -> Generator[Row, None, None]:
        worksheet = self._workbook[sheet]
        assert isinstance(worksheet, ReadOnlyWorksheet)  # noqa: S101 - read_only=True
        # A wrong <dimension> (common in files written by other tools) would cut rows or
        # columns short; forget it and read what the sheet really holds.
        worksheet.reset_dimensions()
        try:
            for row in worksheet.iter_rows(values_only=True):
                yield tuple(clean_cell(value) for value in row)
        except (
            zipfile.BadZipFile,
            zlib.error,
            ET.ParseError,
            EOFError,
            struct.error,
            KeyError,
        ) as error:
            raise TabularError("truncated_file", kind="xlsx", reason=str(error)) from error

    def merges(self, sheet: str) -> list[Merge]:
        return _xml_merges(self._path, sheet)

    def formulas_without_values(self, sheet: str, max_rows: int) -> bool:
        return _xml_formulas_without_values(self._path, sheet, max_rows)

    def close(self) -> None:
        self._workbook.close()
        self._file.close()


def _formula_without_value(stream: IO[bytes], max_rows: int) -> bool:
    rows = 0
    for _, element in ET.iterparse(stream, events=("end",)):  # noqa: S314 - see _sheet_member
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "c":
            children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
            value = children.get("v")
            if "f" in children and (value is None or not (value.text or "").strip()):
                return True
            element.clear()
        elif tag == "row":
            element.clear()
            rows += 1
            if rows >= max_rows:
                break
    return False


def _sheet_member(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding ``sheet``'s XML, from workbook.xml and its relationships."""
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 - expat >= 2.4 limits entity expansion
    rel_id = None
    for element in workbook.iter(f"{_MAIN_NS}sheet"):
        if element.get("name") == sheet:
            rel_id = element.get(f"{_REL_NS}id")
            break
    if rel_id is None:
        return None
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return None


def _scan_merges(stream: IO[bytes]) -> list[Merge]:
    """Find ``<mergeCell ref="C3:E3"/>`` in a sheet's XML without parsing its rows.

    The ``<mergeCells>`` element follows all the rows, so the stream is read to its end,
    a chunk at a time (memory stays flat), looking only for that element.
    """
    tail = b""
    found = False
    collected = b""
    while chunk := stream.read(_MERGE_SCAN_CHUNK):
        window = tail + chunk
        if not found:
            start = window.find(b"mergeCells")
            if start < 0:
                tail = window[-32:]
                continue
            found = True
            window = window[max(0, start - 16) :]
        collected += window
        tail = b""
    merges: list[Merge] = []
    for match in _MERGE_CELL.finditer(collected):
        first_col, first_row, last_col, last_row = match.groups()
        merges.append(
            Merge(
                min_row=int(first_row),
                min_col=_column_number(first_col),
                max_row=int(last_row),
                max_col=_column_number(last_col),
            )
        )
        if len(merges) >= _MAX_MERGES:
            break
    return merges


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


# --- XLS ------------------------------------------------------------------------------------


class XlsSource:
    """A BIFF (Excel 97-2003) workbook, read whole by xlrd."""

    kind = FileKind.XLS
    encoding: str | None = None
    delimiter: str | None = None

    def __init__(self, path: Path) -> None:
        log = io.StringIO()
        try:
            try:
                self._book = xlrd.open_workbook(str(path), logfile=log, formatting_info=True)
            except NotImplementedError:  # formatting_info is not implemented for old BIFF
                self._book = xlrd.open_workbook(str(path), logfile=log)
        except XLRDError as error:
            message = str(error)
            if "encrypted" in message.casefold():
                raise TabularError("password_protected") from error
            if "find workbook" in message.casefold():
                raise TabularError("not_a_spreadsheet", detected="ole2") from error
            raise TabularError("truncated_file", kind="xls", reason=message) from error
        except (CompDocError, IndexError, ValueError, struct.error, EOFError) as error:
            raise TabularError("truncated_file", kind="xls", reason=str(error)) from error

    def sheets(self) -> list[SheetInfo]:
        return [
            SheetInfo(name=sheet.name, hidden=sheet.visibility != 0, index=i)
            for i, sheet in enumerate(self._book.sheets())
        ]

    def iter_rows(self, sheet: str) -> Generator[Row, None, None]:
        worksheet = self._book.sheet_by_name(sheet)
        for index in range(worksheet.nrows):
            yield tuple(self._value(cell) for cell in worksheet.row(index))

    def _value(self, cell: xlrd.sheet.Cell) -> CellValue:
        if cell.ctype == XL_CELL_DATE and isinstance(cell.value, float):
            try:
                return xldate_as_datetime(cell.value, self._book.datemode)
            except (XLDateError, ValueError, OverflowError):
                return clean_cell(cell.value)
        if cell.ctype == XL_CELL_BOOLEAN:
            return bool(cell.value)
        if cell.ctype == XL_CELL_ERROR and isinstance(cell.value, int):
            return error_text_from_code.get(cell.value, "#ERROR")
        return clean_cell(cell.value)

    def merges(self, sheet: str) -> list[Merge]:
        worksheet = self._book.sheet_by_name(sheet)
        # xlrd: (first_row, last_row_exclusive, first_col, last_col_exclusive), 0-based.
        return [
            Merge(min_row=r0 + 1, min_col=c0 + 1, max_row=r1, max_col=c1)
            for r0, r1, c0, c1 in worksheet.merged_cells
        ]

    def formulas_without_values(self, sheet: str, max_rows: int) -> bool:
        del sheet, max_rows  # BIFF stores a result with every formula
        return False

    def close(self) -> None:
        self._book.release_resources()
