"""Write test files (CSV, XLSX, XLS, OLE2) into a temporary directory; no binary fixtures."""

from __future__ import annotations

import re
import struct
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import xlwt  # type: ignore[import-untyped]

# Test rows mix types freely (mypy infers list[object] for them).
Rows = Sequence[Any]

# Vietnamese tone marks: Windows-1258 writes them as combining characters after the letter.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def excel_datetime(year: int, month: int, day: int) -> datetime:
    """A date cell as openpyxl and xlrd give it: a naive datetime (Excel has no time zones)."""
    return datetime(year, month, day)  # noqa: DTZ001


def to_cp1258(text: str) -> bytes:
    """Encode like a Vietnamese Windows program: precomposed vowel, combining tone mark."""
    out: list[str] = []
    base: list[str] = []
    tones: list[str] = []

    def flush() -> None:
        if base:
            out.append(unicodedata.normalize("NFC", "".join(base)) + "".join(tones))
        base.clear()
        tones.clear()

    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            (tones if char in _TONE_MARKS else base).append(char)
        else:
            flush()
            base.append(char)
    flush()
    return "".join(out).encode("cp1258")


def write_csv(
    path: Path, rows: Rows, *, delimiter: str = ",", encoding: str = "utf-8", bom: bool = False
) -> Path:
    """Write rows as delimited text; fields with a delimiter, quote or newline are quoted."""
    lines = []
    for row in rows:
        fields = []
        for value in row:
            text = "" if value is None else str(value)
            if any(c in text for c in (delimiter, '"', "\n", "\r")):
                text = '"' + text.replace('"', '""') + '"'
            fields.append(text)
        lines.append(delimiter.join(fields))
    text = "\r\n".join(lines) + "\r\n"
    data = to_cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    if bom:
        prefix = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}
        data = prefix[encoding] + data
    path.write_bytes(data)
    return path


def write_xlsx(
    path: Path,
    sheets: dict[str, Rows],
    *,
    hidden: Sequence[str] = (),
    very_hidden: Sequence[str] = (),
    merges: dict[str, Sequence[str]] | None = None,
) -> Path:
    """Write a workbook with openpyxl (formulas get no cached value, as from any library)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        if name in hidden:
            sheet.sheet_state = "hidden"
        if name in very_hidden:
            sheet.sheet_state = "veryHidden"
        for ref in (merges or {}).get(name, ()):
            sheet.merge_cells(ref)
    workbook.save(path)
    return path


def patch_xlsx_sheet(path: Path, sheet_member: str, old: str, new: str) -> Path:
    """Rewrite text in one member of an .xlsx (to write what Excel writes, not openpyxl)."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    text = members[sheet_member].decode()
    assert re.search(re.escape(old), text), f"{old!r} not in {sheet_member}"
    members[sheet_member] = text.replace(old, new).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def write_xls(
    path: Path,
    sheets: dict[str, Rows],
    *,
    hidden: Sequence[str] = (),
    merges: dict[str, Sequence[tuple[int, int, int, int, str]]] | None = None,
) -> Path:
    """Write an Excel 97-2003 workbook with xlwt; merges are (r1, r2, c1, c2, text), 0-based."""
    workbook = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for name, rows in sheets.items():
        sheet = workbook.add_sheet(name)
        merged_cells = set()
        for r1, r2, c1, c2, text in (merges or {}).get(name, ()):
            sheet.write_merge(r1, r2, c1, c2, text)
            merged_cells |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None or (r, c) in merged_cells:
                    continue
                if hasattr(value, "year"):
                    sheet.write(r, c, value, date_style)
                else:
                    sheet.write(r, c, value)
        if name in hidden:
            sheet.visibility = 1
    workbook.save(str(path))
    return path


_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def write_ole2(path: Path, streams: dict[str, bytes]) -> Path:
    """Write a minimal OLE2 compound document (as Word, old Excel or encrypted Office use).

    Streams are padded to 4,096 bytes so they live in ordinary sectors (no mini stream).
    """
    sector = 512
    items = [(name, data.ljust(max(len(data), 4096), b"\0")) for name, data in streams.items()]
    fat = [_FAT, _END]
    body, starts, next_sector = b"", [], 2
    for _, data in items:
        count = -(-len(data) // sector)
        starts.append(next_sector)
        fat += [*range(next_sector + 1, next_sector + count), _END]
        next_sector += count
        body += data.ljust(count * sector, b"\0")
    assert len(fat) <= 128
    assert len(items) <= 3
    fat_sector = struct.pack("<128I", *(fat + [_FREE] * (128 - len(fat))))

    def entry(
        name: str,
        kind: int,
        *,
        child: int = _FREE,
        right: int = _FREE,
        start: int = _END,
        size: int = 0,
    ) -> bytes:
        raw = name.encode("utf-16-le")
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw) + 2 if name else 0, kind, 1)
            + struct.pack("<III", _FREE, right, child)
            + b"\0" * 36
            + struct.pack("<II", start, size)
            + b"\0" * 4
        )

    entries = [entry("Root Entry", 5, child=1)]
    for i, ((name, data), start) in enumerate(zip(items, starts, strict=True)):
        right = i + 2 if i + 1 < len(items) else _FREE
        entries.append(entry(name, 2, right=right, start=start, size=len(data)))
    directory = b"".join(entries).ljust(sector, b"\0")
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<109I", 0, *([_FREE] * 108))
    )
    assert len(header) == sector
    path.write_bytes(header + fat_sector + directory + body)
    return path


def truncate(path: Path, fraction: float = 0.5) -> Path:
    """Cut a file short, as an interrupted download does."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path
