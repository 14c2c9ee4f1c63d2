"""calamine (the fast reader) and openpyxl (its fallback) must read a workbook identically."""

from datetime import date, time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine

from hoso.engine.tabular import open_table, readers
from tests.engine.tabular.builders import excel_datetime


def workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.title = "Nháp"
    hidden.sheet_state = "hidden"
    hidden.append(["x"])
    sheet = book.create_sheet("Khách hàng")
    sheet["B1"] = "DANH SÁCH KHÁCH HÀNG 2024"
    sheet["B3"], sheet["C3"], sheet["E3"] = "Họ và tên", "Liên hệ", "Ngày sinh"
    sheet.merge_cells("C3:D3")
    sheet["C4"], sheet["D4"] = "SĐT", "Email"
    sheet.append([None, "Nguyễn Thị Lan", 903123456, "lan@gmail.com", excel_datetime(1990, 3, 5)])
    sheet.append([None, "  Trần Văn Bình ", "0912345678", None, date(1985, 12, 1)])
    sheet.append([])
    sheet.append([None, "Lê Thị Mai", 84913222111.0, "MAI@YAHOO.COM", "05/03/1990"])
    sheet.append([None, "Đỗ Minh Khoa", True, 12.5, time(8, 30)])
    book.save(path)
    return path


def read(path: Path) -> tuple[Any, ...]:
    with open_table(path) as table:
        return (
            table.sheet,
            table.header_rows,
            [(c.index, c.header, c.raw_header) for c in table.columns],
            list(table.rows()),
            list(table.warnings),
        )


def test_calamine_and_openpyxl_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = workbook(tmp_path / "kh.xlsx")
    fast = read(path)
    monkeypatch.setattr(readers, "CALAMINE_MAX_BYTES", 0)  # too big for calamine: openpyxl
    assert read(path) == fast
    sheet, header_rows, columns, rows, warnings = fast
    assert (sheet, header_rows) == ("Khách hàng", (3, 4))
    assert [c[1] for c in columns][1:4] == ["Họ và tên", "Liên hệ / SĐT", "Liên hệ / Email"]
    assert rows[0].number == 5
    assert rows[0].values[1:] == (
        "Nguyễn Thị Lan", 903123456, "lan@gmail.com", excel_datetime(1990, 3, 5)
    )  # fmt: skip
    assert rows[2].number == 8  # the blank row 7 still counts
    assert "hidden_sheet_skipped" in warnings


def test_a_workbook_calamine_refuses_is_read_by_openpyxl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = workbook(tmp_path / "kh.xlsx")
    expected = read(path)

    def refuse(*_args: object) -> object:
        raise python_calamine.CalamineError("unsupported")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", refuse)
    assert read(path) == expected
