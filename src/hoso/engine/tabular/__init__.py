"""Read spreadsheets for import: CSV, XLSX and XLS files as streamed, mapped rows.

Pure: files are read, nothing is written and no database or web library is imported.

* :func:`sniff` tells what a file is from its bytes; :func:`list_sheets` lists its sheets.
* :func:`open_table` opens a sheet: detects the header row(s) and streams the data rows
  (:class:`Table`), with memory flat however long the file.
* :func:`suggest_mapping` guesses the profile field of each column (aliases in Vietnamese
  and English, :data:`PRESETS` of POS exports, custom fields, the cells' content);
  :func:`detect_preset` recognises a known export.
* :func:`convert_row` turns a row into a profile payload plus the problems found.

Every failure is a :class:`TabularError` with a stable ``code``.
"""

from hoso.engine.tabular.aliases import ALIASES, Target, match_alias
from hoso.engine.tabular.convert import (
    ConvertedRow,
    FieldProblem,
    convert_row,
    parse_amount,
    parse_gender,
)
from hoso.engine.tabular.errors import ERROR_CODES, TabularError
from hoso.engine.tabular.mapping import CUSTOM_PREFIX, ColumnMapping, suggest_mapping
from hoso.engine.tabular.model import CellValue, Column, FileKind, RawRow, SheetInfo
from hoso.engine.tabular.presets import PRESETS, Preset, detect_preset
from hoso.engine.tabular.sniff import sniff
from hoso.engine.tabular.table import Table, list_sheets, open_table

__all__ = [
    "ALIASES",
    "CUSTOM_PREFIX",
    "ERROR_CODES",
    "PRESETS",
    "CellValue",
    "Column",
    "ColumnMapping",
    "ConvertedRow",
    "FieldProblem",
    "FileKind",
    "Preset",
    "RawRow",
    "SheetInfo",
    "Table",
    "TabularError",
    "Target",
    "convert_row",
    "detect_preset",
    "list_sheets",
    "match_alias",
    "open_table",
    "parse_amount",
    "parse_gender",
    "sniff",
    "suggest_mapping",
]
