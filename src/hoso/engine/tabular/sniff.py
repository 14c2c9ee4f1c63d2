"""What a file is, from its first bytes (never its name), and which encoding a text file uses."""

from __future__ import annotations

import codecs
import io
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from xlrd.compdoc import CompDoc, CompDocError

from hoso.engine.tabular.errors import TabularError
from hoso.engine.tabular.model import FileKind

__all__ = ["Sniffed", "detect", "sniff"]

_OLE2: Final = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Formats people upload by mistake, recognised so the message can name them.
_FOREIGN_MAGIC: Final = (
    (b"%PDF", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"RIFF", "riff"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"{\\rtf", "rtf"),
)
_SAMPLE_BYTES: Final = 64 * 1024
_CHUNK: Final = 64 * 1024
# Vietnamese Windows files are Windows-1258; cp1252 is the last resort (vietnam.md, issue 3).
_SINGLE_BYTE_ENCODINGS: Final = ("cp1258", "cp1252")
# Control characters that never appear in a text export (tab, CR, LF and FF are fine).
_BINARY_CONTROLS: Final = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f"}
_MAX_CONTROL_RATIO: Final = 0.01


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The kind of a file and, for text, the encoding to read it with.

    Attributes:
        kind: CSV, XLSX or XLS.
        encoding: A Python codec name for CSV (``utf-8-sig``, ``utf-16``, ``cp1258`` …),
            else ``None``.
    """

    kind: FileKind
    encoding: str | None = None


def sniff(path: Path) -> FileKind:
    """Tell what a file is from its bytes, whatever its name says.

    A zip archive holding ``xl/workbook.xml`` is XLSX; an OLE2 compound document holding a
    ``Workbook`` (or ``Book``) stream is XLS; anything else that decodes as text is CSV.

    Args:
        path: The file.

    Returns:
        The file's kind.

    Raises:
        TabularError: ``empty_file``, ``not_a_spreadsheet`` (with ``details["detected"]``
            when the format is recognised, e.g. ``"pdf"``, ``"docx"``), ``truncated_file``,
            ``password_protected`` or ``encoding_unknown``.
    """
    return detect(path).kind


def detect(path: Path) -> Sniffed:
    """Like :func:`sniff`, also returning the encoding of a text file.

    Args:
        path: The file.

    Returns:
        The kind, and the encoding for CSV.

    Raises:
        TabularError: As :func:`sniff`.
    """
    with path.open("rb") as f:
        head = f.read(_SAMPLE_BYTES)
    if not head:
        raise TabularError("empty_file")
    if head.startswith(_ZIP):
        return _zip_kind(path)
    if head.startswith(_OLE2):
        return _ole2_kind(path)
    for magic, name in _FOREIGN_MAGIC:
        if head.startswith(magic):
            raise TabularError("not_a_spreadsheet", detected=name)
    return Sniffed(FileKind.CSV, _text_encoding(path, head))


def _zip_kind(path: Path) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        # A zip whose central directory (at its end) is missing: cut short in transit.
        raise TabularError("truncated_file", kind="xlsx") from error
    if "xl/workbook.xml" in names:
        return Sniffed(FileKind.XLSX)
    if "xl/workbook.bin" in names:
        detected = "xlsb"
    elif "word/document.xml" in names:
        detected = "docx"
    elif "ppt/presentation.xml" in names:
        detected = "pptx"
    elif "content.xml" in names and "mimetype" in names:
        detected = "opendocument"
    else:
        detected = "zip"
    raise TabularError("not_a_spreadsheet", detected=detected)


def _ole2_kind(path: Path) -> Sniffed:
    """An OLE2 compound document: an .xls, an encrypted .xlsx, or a Word/PowerPoint file."""
    data = path.read_bytes()  # .xls is read whole anyway (xlrd), and capped at 65,536 rows
    try:
        names = {entry.name for entry in CompDoc(data, logfile=io.StringIO()).dirlist}
    except (CompDocError, IndexError, ValueError, struct.error) as error:
        raise TabularError("truncated_file", kind="xls") from error
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        # Excel saves a password-protected .xlsx as an OLE2 file holding the encrypted zip.
        raise TabularError("password_protected")
    if names & {"Workbook", "Book"}:
        return Sniffed(FileKind.XLS)
    if "WordDocument" in names:
        detected = "doc"
    elif "PowerPoint Document" in names:
        detected = "ppt"
    else:
        detected = "ole2"
    raise TabularError("not_a_spreadsheet", detected=detected)


def _text_encoding(path: Path, head: bytes) -> str:
    """Pick the codec of a text file; raise if the bytes are not text at all."""
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif (bom_less := _bomless_utf16(head)) is not None:
        encoding = bom_less
    else:
        if b"\x00" in head:
            raise TabularError("not_a_spreadsheet", detected="binary")
        encoding = ""
    if encoding and _decodes(path, encoding):
        _check_text(head, encoding)
        return encoding
    if encoding:  # a BOM or a UTF-16 shape, and the rest does not decode
        raise TabularError("encoding_unknown", encoding=encoding)
    for candidate in ("utf-8", *_SINGLE_BYTE_ENCODINGS):
        if _decodes(path, candidate):
            _check_text(head, candidate)
            return candidate
    raise TabularError("encoding_unknown")


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: mostly-ASCII text has a NUL in every other byte."""
    sample = head[: len(head) - len(head) % 2][:4096]
    if len(sample) < 8:
        return None
    even_nuls = sample[0::2].count(0) / (len(sample) / 2)
    odd_nuls = sample[1::2].count(0) / (len(sample) / 2)
    if odd_nuls > 0.7 and even_nuls < 0.1:
        return "utf-16-le"
    if even_nuls > 0.7 and odd_nuls < 0.1:
        return "utf-16-be"
    return None


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes strictly; read in chunks, so memory stays flat."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with path.open("rb") as f:
        try:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _check_text(head: bytes, encoding: str) -> None:
    """Refuse binary that happens to decode (single-byte codecs decode almost anything)."""
    text = head.decode(encoding, errors="ignore")
    if not text:
        return
    start = text.lstrip("\ufeff \t\r\n")[:2048].casefold()
    if start.startswith("<") and ("<html" in start or "<table" in start):
        # "Excel" exports of some web systems are HTML tables saved as .xls.
        raise TabularError("not_a_spreadsheet", detected="html")
    if start.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in start:
        raise TabularError("not_a_spreadsheet", detected="xml_spreadsheet_2003")
    controls = sum(1 for c in text if c in _BINARY_CONTROLS)
    if "\x00" in text or controls / len(text) > _MAX_CONTROL_RATIO:
        raise TabularError("not_a_spreadsheet", detected="binary")
