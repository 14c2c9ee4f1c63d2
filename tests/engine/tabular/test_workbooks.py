from datetime import date
from pathlib import Path

import openpyxl
import pytest

from hoso.engine.tabular import FileKind, RawRow, SheetInfo, TabularError, list_sheets, open_table
from tests.engine.tabular.builders import excel_datetime, patch_xlsx_sheet, write_xls, write_xlsx

HEADER = ["Họ và tên", "SĐT", "Ngày sinh", "Tổng chi tiêu"]


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_sheets_hidden_and_very_hidden_are_flagged(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "kh.xlsx",
        {"Nháp": [["x"]], "Khách hàng": [HEADER], "Cấu hình": [["y"]]},
        hidden=["Nháp"],
        very_hidden=["Cấu hình"],
    )
    assert list_sheets(path) == [
        SheetInfo("Nháp", hidden=True, index=0),
        SheetInfo("Khách hàng", hidden=False, index=1),
        SheetInfo("Cấu hình", hidden=True, index=2),
    ]


def test_default_sheet_is_the_first_visible_one(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "kh.xlsx",
        {"Nháp": [["Tên", "SĐT"], ["ẩn", "0900000000"]], "KH": [HEADER, ["Lan", None, None, 1]]},
        hidden=["Nháp"],
    )
    with open_table(path) as table:
        assert table.kind is FileKind.XLSX
        assert table.sheet == "KH"
        assert table.warnings == ["hidden_sheet_skipped"]
        assert [c.header for c in table.columns] == HEADER
    with open_table(path, sheet="Nháp") as table:  # a hidden sheet can still be asked for
        assert table.sample()[0].values == ("ẩn", "0900000000")
        assert table.warnings == []
    with open_table(path, sheet=" kh ") as table:  # case and surrounding spaces ignored
        assert table.sheet == "KH"


def test_sheet_not_found(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": [HEADER]})
    with pytest.raises(TabularError) as caught:
        open_table(path, sheet="Khách")
    assert caught.value.code == "sheet_not_found"
    assert caught.value.details == {"sheet": "Khách", "available": ["KH"]}


def test_xlsx_values_dates_numbers_and_text(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["Nguyễn Thị Lan", 903123456, excel_datetime(1990, 3, 5), 1250000],
        ["Trần Văn Bình", "0912345678", date(1985, 12, 1), 99.5],
        ["Lê C", "  0903 123 456 ", "05/03/1990", True],
    ]
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": rows})
    with open_table(path) as table:
        assert list(table.rows()) == [
            RawRow(2, ("Nguyễn Thị Lan", 903123456, excel_datetime(1990, 3, 5), 1250000)),
            RawRow(3, ("Trần Văn Bình", "0912345678", excel_datetime(1985, 12, 1), 99.5)),
            RawRow(4, ("Lê C", "0903 123 456", "05/03/1990", True)),
        ]


def test_integral_floats_from_excel_come_back_as_int(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": [["Tên", "SĐT"], ["Lan", 903123456]]})
    # Excel may store the number as a float; it must not come back as 903123456.0.
    patch_xlsx_sheet(path, "xl/worksheets/sheet1.xml", "<v>903123456</v>", "<v>9.03123456E8</v>")
    with open_table(path) as table:
        [row] = table.sample()
    assert row.values == ("Lan", 903123456)
    assert isinstance(row.values[1], int)


def test_formulas_use_cached_values_and_warn_when_there_are_none(tmp_path: Path) -> None:
    rows = [["Tên", "Điểm", "Tổng chi tiêu"], ["Lan", 10, "=B2*1000"]]
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": rows})  # openpyxl stores no cached value
    with open_table(path) as table:
        assert table.sample()[0].values == ("Lan", 10, None)
        assert "formulas_without_cached_values" in table.warnings
    # As saved by Excel: the formula with its cached result.
    patch_xlsx_sheet(
        path, "xl/worksheets/sheet1.xml", "<f>B2*1000</f><v />", "<f>B2*1000</f><v>10000</v>"
    )
    with open_table(path) as table:
        assert table.sample()[0].values == ("Lan", 10, 10000)
        assert "formulas_without_cached_values" not in table.warnings


def test_wrong_dimension_tag_does_not_cut_columns(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "kh.xlsx", {"KH": [["Tên", "SĐT", "Email"], ["Lan", "0903", "a@b.vn"]]}
    )
    patch_xlsx_sheet(
        path, "xl/worksheets/sheet1.xml", '<dimension ref="A1:C2"', '<dimension ref="A1:A1"'
    )
    with open_table(path) as table:
        assert [c.header for c in table.columns] == ["Tên", "SĐT", "Email"]
        assert table.sample()[0].values == ("Lan", "0903", "a@b.vn")


def test_empty_sheet_has_no_data_rows_and_header_only_is_empty(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "kh.xlsx", {"Trống": [], "KH": [HEADER]})
    with pytest.raises(TabularError) as caught:
        open_table(path, sheet="Trống")
    assert caught.value.code == "no_data_rows"
    with open_table(path, sheet="KH") as table:
        assert table.is_empty()


def test_xlsx_rows_stream_twice(tmp_path: Path) -> None:
    rows = [HEADER, *([f"Khách {i}", f"09031234{i:02d}", None, i] for i in range(50))]
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": rows})
    with open_table(path) as table:
        preview = table.sample(5)
        everything = list(table.rows())
        assert everything[:5] == preview
        assert len(everything) == 50
        assert everything[-1].number == 51


def test_xlsx_row_numbers_count_blank_rows_as_excel_does(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["B3"], sheet["C3"] = "Họ tên", "SĐT"
    sheet["B4"], sheet["C4"] = "Lan", "0903123456"
    sheet["B9"], sheet["C9"] = "Bình", "0912345678"
    path = tmp_path / "kh.xlsx"
    workbook.save(path)
    with open_table(path) as table:
        assert table.header_row == 3
        assert [c.header for c in table.columns] == ["Cột 1", "Họ tên", "SĐT"]
        assert [(r.number, r.values[1]) for r in table.rows()] == [(4, "Lan"), (9, "Bình")]
        assert table.warnings == ["blank_rows_skipped"]


# --- XLS ----------------------------------------------------------------------------------------


def test_xls_values_sheets_and_dates(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["Nguyễn Thị Lan", 903123456, date(1990, 3, 5), 1250000],
        ["Trần Văn Bình", "0912345678", "05/03/1990", 99.5],
    ]
    path = write_xls(tmp_path / "kh.xls", {"Ẩn": [["x"]], "KH": rows}, hidden=["Ẩn"])
    assert [(s.name, s.hidden) for s in list_sheets(path)] == [("Ẩn", True), ("KH", False)]
    with open_table(path) as table:
        assert table.kind is FileKind.XLS
        assert table.sheet == "KH"
        assert table.warnings == ["hidden_sheet_skipped"]
        assert list(table.rows()) == [
            RawRow(2, ("Nguyễn Thị Lan", 903123456, excel_datetime(1990, 3, 5), 1250000)),
            RawRow(3, ("Trần Văn Bình", "0912345678", "05/03/1990", 99.5)),
        ]
        assert isinstance(table.sample()[0].values[1], int)


def test_xls_two_header_rows_from_merged_cells(tmp_path: Path) -> None:
    rows = [
        [],
        [],
        [None, None, None, None, None, "SĐT"],
        [None, None, "Tỉnh/Thành", "Quận/Huyện", "Phường/Xã", None],
        [1, "Nguyễn Thị Lan", "Hà Nội", "Ba Đình", "Phúc Xá", "0903123456"],
    ]
    merges = [
        (0, 0, 0, 5, "DANH SÁCH KHÁCH HÀNG THÁNG 10"),
        (2, 3, 0, 0, "STT"),
        (2, 3, 1, 1, "Họ và tên"),
        (2, 2, 2, 4, "Địa chỉ"),
    ]
    path = write_xls(tmp_path / "kh.xls", {"KH": rows}, merges={"KH": merges})
    with open_table(path) as table:
        assert table.header_rows == (3, 4)
        assert [c.header for c in table.columns] == [
            "STT",
            "Họ và tên",
            "Địa chỉ / Tỉnh/Thành",
            "Địa chỉ / Quận/Huyện",
            "Địa chỉ / Phường/Xã",
            "SĐT",
        ]
        assert "merged_header_cells" in table.warnings
        assert "multiple_header_rows" in table.warnings
        assert table.sample()[0].number == 5
