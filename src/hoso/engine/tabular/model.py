"""Value types shared by the readers, the header detector and the mapper."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeAlias

__all__ = ["CellValue", "Column", "FileKind", "RawRow", "SheetInfo", "clean_cell", "is_empty"]

CellValue: TypeAlias = str | int | float | bool | date | datetime | None


class FileKind(StrEnum):
    """What a file really is, decided from its bytes, never from its name."""

    CSV = "csv"
    XLSX = "xlsx"
    XLS = "xls"


@dataclass(frozen=True, slots=True)
class SheetInfo:
    """One sheet of a workbook (a CSV file has one, named ``""``).

    Attributes:
        name: The sheet's name as shown on its tab.
        hidden: Whether the sheet is hidden or "very hidden" in Excel.
        index: Its 0-based position in the workbook.
    """

    name: str
    hidden: bool
    index: int


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row, values as read (see :func:`clean_cell`).

    Attributes:
        number: The 1-based row number as the user sees it in Excel (for a CSV file, the
            record number, counting the header row; a quoted field with line breaks is still
            one row).
        values: One value per column, padded with ``None`` or truncated to the header width.
    """

    number: int
    values: tuple[CellValue, ...]


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the table.

    Attributes:
        index: 0-based column position (column A is 0).
        header: The cleaned header: NFC, single spaces, never empty (``"Cột 5"`` for an empty
            header), unique within the table (``"SĐT (2)"`` for a second ``"SĐT"``).
        raw_header: The header text as found; two header rows are joined with ``" / "``.
    """

    index: int
    header: str
    raw_header: str


def clean_cell(value: object) -> CellValue:
    """Return a cell value in the form every reader hands out.

    The only changes made to what the file holds: strings are NFC-normalised and stripped
    of surrounding whitespace (inner line breaks are kept), and an empty string becomes
    ``None``, so an empty cell is ``None`` whatever the format; a float that is a whole
    number becomes an ``int`` (Excel stores every number as a float, so a phone typed as
    ``903123456`` must not come back as ``903123456.0``); a time of day or a duration,
    which no profile field takes, becomes its ISO text. Anything else is returned as is.

    Args:
        value: A value from the csv module, openpyxl or xlrd.

    Returns:
        The cleaned value.

    Examples:
        >>> clean_cell("  Nguye\u0302\u0303n  "), clean_cell(903123456.0), clean_cell("  ")
        ('Nguyễn', 903123456, None)
    """
    if isinstance(value, str):
        text = value.strip() if value.isascii() else unicodedata.normalize("NFC", value).strip()
        return text or None
    if isinstance(value, bool | int | datetime | date) or value is None:
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, time | timedelta):
        return str(value) if isinstance(value, timedelta) else value.isoformat()
    return str(value)


def is_empty(value: CellValue) -> bool:
    """Tell whether a cleaned cell holds nothing."""
    return value is None or value == ""
