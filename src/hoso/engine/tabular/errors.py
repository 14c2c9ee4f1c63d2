"""The one exception of the tabular engine, with a stable code for the edges to translate."""

from __future__ import annotations

from typing import Final

__all__ = ["ERROR_CODES", "TabularError"]

# Every code a TabularError can carry. The edges map each one to a message in both languages.
ERROR_CODES: Final = frozenset(
    {
        "empty_file",  # zero bytes
        "not_a_spreadsheet",  # a PDF, an image, a Word file, random binary, HTML...
        "truncated_file",  # an .xlsx or .xls that was cut short (incomplete download or copy)
        "password_protected",  # an encrypted workbook
        "encoding_unknown",  # text in no encoding we can read
        "sheet_not_found",  # the sheet asked for does not exist
        "no_header_row",  # no row in the first rows looks like column headers
        "no_data_rows",  # the sheet holds nothing at all
    }
)


class TabularError(Exception):
    """A file cannot be read as a table.

    Attributes:
        code: One of :data:`ERROR_CODES`; stable, for the edges to translate.
        details: JSON-able facts for the message (e.g. ``{"sheet": "KH", "available": [...]}``).
    """

    def __init__(self, code: str, **details: object) -> None:
        if code not in ERROR_CODES:  # a programming error, not a user one
            raise ValueError(f"unknown tabular error code {code!r}")
        self.code = code
        self.details: dict[str, object] = details
        super().__init__(f"{code}: {details}" if details else code)
