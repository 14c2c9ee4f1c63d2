from pathlib import Path

import pytest

from hoso.engine.tabular import CellValue, Column, TabularError, open_table
from hoso.engine.tabular.headers import detect_header
from hoso.engine.tabular.readers import Merge
from tests.engine.tabular.builders import write_csv, write_xlsx

TWO_ROW_SHEET: list[list[CellValue]] = [
    ["DANH SÁCH KHÁCH HÀNG THÁNG 10"],
    [],
    ["STT", "Họ và tên", "Địa chỉ", None, None, "SĐT"],
    [None, None, "Tỉnh/Thành", "Quận/Huyện", "Phường/Xã", None],
    [1, "Nguyễn Thị Lan", "Hà Nội", "Ba Đình", "Phúc Xá", "0903123456"],
    [2, "Trần Văn Bình", "TP HCM", "Quận 1", "Bến Nghé", "0912345678"],
]
TWO_ROW_HEADERS = [
    "STT",
    "Họ và tên",
    "Địa chỉ / Tỉnh/Thành",
    "Địa chỉ / Quận/Huyện",
    "Địa chỉ / Phường/Xã",
    "SĐT",
]


def headers(path: Path) -> tuple[tuple[int, ...], list[str], list[str]]:
    with open_table(path) as table:
        return table.header_rows, [c.header for c in table.columns], table.warnings


def test_title_rows_are_skipped(tmp_path: Path) -> None:
    rows = [
        ["DANH SÁCH KHÁCH HÀNG THÁNG 10"],
        ["Cửa hàng Hoa Mai", None, None, None, None, "Ngày xuất: 31/10/2026"],
        [],
        ["Mã KH", "Tên khách hàng", "Điện thoại", "Ngày sinh"],
        ["KH001", "Nguyễn Thị Lan", "0903123456", "05/03/1990"],
    ]
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": rows}, merges={"KH": ["A1:D1"]})
    rows_, names, warnings = headers(path)
    assert rows_ == (4,)
    assert names == ["Mã KH", "Tên khách hàng", "Điện thoại", "Ngày sinh"]
    assert warnings == []  # the merged title is above the header, not in it
    csv = write_csv(tmp_path / "kh.csv", rows)
    assert headers(csv)[:2] == ((4,), names)


def test_two_header_rows_with_merged_group_header(tmp_path: Path) -> None:
    merges = ["A1:F1", "C3:E3", "A3:A4", "B3:B4", "F3:F4"]
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": TWO_ROW_SHEET}, merges={"KH": merges})
    rows, names, warnings = headers(path)
    assert rows == (3, 4)
    assert names == TWO_ROW_HEADERS
    assert warnings == ["merged_header_cells", "multiple_header_rows"]
    with open_table(path) as table:
        assert table.header_row == 4
        assert table.columns[2] == Column(2, "Địa chỉ / Tỉnh/Thành", "Địa chỉ / Tỉnh/Thành")
        assert [r.number for r in table.rows()] == [5, 6]


def test_two_header_rows_without_merge_information(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kh.csv", TWO_ROW_SHEET)
    rows, names, warnings = headers(path)
    assert rows == (3, 4)
    assert names == TWO_ROW_HEADERS
    assert warnings == ["multiple_header_rows"]


def test_group_row_above_the_best_row_is_combined() -> None:
    rows: list[list[CellValue]] = [
        ["STT", "Thông tin", None, "Liên hệ", None],
        [None, "Họ tên", "Giới tính", "SĐT", "Email"],
        [1, "Lan", "Nữ", "0903123456", "lan@gmail.com"],
    ]
    merges = [Merge(1, 2, 1, 3), Merge(1, 4, 1, 5), Merge(1, 1, 2, 1)]
    layout = detect_header(rows, merges)
    assert layout.rows == (1, 2)
    assert [c.header for c in layout.columns] == [
        "STT",
        "Thông tin / Họ tên",
        "Thông tin / Giới tính",
        "Liên hệ / SĐT",
        "Liên hệ / Email",
    ]


def test_a_two_cell_line_above_the_header_is_not_a_group_row() -> None:
    rows: list[list[CellValue]] = [
        ["Cửa hàng Hoa Mai", "Tháng 10"],
        ["Họ tên", "SĐT", "Email"],
        ["Lan", "0903123456", "lan@gmail.com"],
    ]
    layout = detect_header(rows, [])
    assert layout.rows == (2,)
    assert [c.header for c in layout.columns] == ["Họ tên", "SĐT", "Email"]


def test_duplicate_and_empty_headers_are_made_unique(tmp_path: Path) -> None:
    rows = [
        ["SĐT", None, "SĐT", "sđt", "Họ  và\ntên", "Cột 2"],
        ["0903123456", "x", "0912345678", "0987654321", "Lan", "y"],
    ]
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": rows})
    with open_table(path) as table:
        assert [(c.header, c.raw_header) for c in table.columns] == [
            ("SĐT", "SĐT"),
            ("Cột 2", ""),
            ("SĐT (2)", "SĐT"),
            ("sđt (3)", "sđt"),
            ("Họ và tên", "Họ  và\ntên"),
            ("Cột 2 (2)", "Cột 2"),
        ]


def test_numbers_only_have_no_header_row(tmp_path: Path) -> None:
    rows = [["0903123456", "1250000"], ["0912345678", "99000"]]
    path = write_csv(tmp_path / "kh.csv", rows)
    with pytest.raises(TabularError) as caught:
        open_table(path)
    assert caught.value.code == "no_header_row"


def test_a_header_row_can_be_given(tmp_path: Path) -> None:
    rows = [["Bảng 1", "tháng 10"], ["Tên", "Số"], ["Lan", "0903123456"]]
    path = write_csv(tmp_path / "kh.csv", rows)
    with open_table(path, header_row=1) as table:
        assert [c.header for c in table.columns] == ["Bảng 1", "tháng 10"]
        assert [r.number for r in table.rows()] == [2, 3]
    with pytest.raises(TabularError) as caught:
        open_table(path, header_row=9)
    assert (caught.value.code, caught.value.details) == ("no_header_row", {"header_row": 9})


def test_single_column_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kh.csv", [["Số điện thoại"], ["0903123456"], ["0912345678"]])
    rows, names, _ = headers(path)
    assert (rows, names) == ((1,), ["Số điện thoại"])


def test_merged_cells_in_the_data_are_flagged(tmp_path: Path) -> None:
    rows = [["Họ tên", "Nhóm", "SĐT"], ["Lan", "VIP", "0903123456"], ["Bình", None, "0912345678"]]
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": rows}, merges={"KH": ["B2:B3"]})
    with open_table(path) as table:
        assert table.warnings == ["merged_data_cells"]
        # Only the first cell of a merged range holds the value, as in Excel.
        assert [r.values[1] for r in table.rows()] == ["VIP", None]
