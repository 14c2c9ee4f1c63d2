import tracemalloc
from pathlib import Path

import pytest

from hoso.engine.tabular import FileKind, RawRow, TabularError, open_table
from hoso.engine.tabular.readers import sniff_delimiter
from tests.engine.tabular.builders import write_csv

HEADER = ["Họ và tên", "SĐT", "Tổng chi tiêu"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [HEADER, ["Nguyễn Thị Lan", "0903 123 456", "1,250,000"], ["Trần B", "0912345678", "0"]]
    path = write_csv(tmp_path / "kh.txt", rows, delimiter=delimiter)
    with open_table(path) as table:
        assert table.kind is FileKind.CSV
        assert table.delimiter == delimiter
        assert [c.header for c in table.columns] == HEADER
        assert table.sample()[0].values == ("Nguyễn Thị Lan", "0903 123 456", "1,250,000")


def test_semicolon_wins_over_commas_inside_numbers() -> None:
    sample = "Họ tên;SĐT;Tổng\nLan;0903;1,250,000\nBình;0912;2,000\n"
    assert sniff_delimiter(sample) == ";"


def test_quoted_fields_with_newlines_are_one_row(tmp_path: Path) -> None:
    rows = [
        ["Họ và tên", "Ghi chú", "SĐT"],
        ["Lan", 'Khách quen\nthích "hàng mới"', "0903123456"],
        ["Bình", "", "0912345678"],
    ]
    path = write_csv(tmp_path / "kh.csv", rows)
    with open_table(path) as table:
        assert list(table.rows()) == [
            RawRow(2, ("Lan", 'Khách quen\nthích "hàng mới"', "0903123456")),
            RawRow(3, ("Bình", None, "0912345678")),
        ]


def test_values_are_stripped_and_nfc_and_numbers_stay_text(tmp_path: Path) -> None:
    rows = [HEADER, ["  Nguye\u0302\u0303n Lan  ", " 0903123456 ", "   "]]
    path = write_csv(tmp_path / "kh.csv", rows)
    with open_table(path) as table:
        [row] = table.sample()
    assert row.values == ("Nguyễn Lan", "0903123456", None)


def test_data_under_an_empty_header_gets_a_column(tmp_path: Path) -> None:
    path = tmp_path / "kh.csv"
    path.write_text("Họ tên,SĐT\nLan\nBình,0912345678,VIP\n", encoding="utf-8")
    with open_table(path) as table:
        assert [c.header for c in table.columns] == ["Họ tên", "SĐT", "Cột 3"]
        assert [r.values for r in table.rows()] == [
            ("Lan", None, None),
            ("Bình", "0912345678", "VIP"),
        ]
        assert table.warnings == []


def test_cells_right_of_the_last_column_far_down_are_cut_with_a_warning(tmp_path: Path) -> None:
    lines = [
        "Họ tên,SĐT",
        *(f"Khách {i},09031234{i % 100:02d}" for i in range(300)),
        "Lan,0903,VIP",
    ]
    path = tmp_path / "kh.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open_table(path) as table:
        assert len(table.columns) == 2
        assert list(table.rows())[-1].values == ("Lan", "0903")
        assert table.warnings == ["cells_outside_columns"]


def test_blank_rows_are_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "kh.csv"
    path.write_text("Họ tên,SĐT\nLan,0903\n,\n\nBình,0912\n,\n", encoding="utf-8")
    with open_table(path) as table:
        assert table.warnings == []
        assert [r.number for r in table.rows()] == [2, 5]
        assert table.warnings == ["blank_rows_skipped"]


def test_header_only_file_opens_and_is_empty(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kh.csv", [HEADER])
    with open_table(path) as table:
        assert table.is_empty()
        assert list(table.rows()) == []
        assert [c.header for c in table.columns] == HEADER


def test_whitespace_only_file_has_no_data_rows(tmp_path: Path) -> None:
    path = tmp_path / "kh.csv"
    path.write_text("\n ,  ,\n\n", encoding="utf-8")
    with pytest.raises(TabularError) as caught:
        open_table(path)
    assert caught.value.code == "no_data_rows"


def test_sheet_name_for_a_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kh.csv", [HEADER, ["Lan", "0903", "1"]])
    with open_table(path, sheet="") as table:
        assert table.sheet == ""
    with pytest.raises(TabularError) as caught:
        open_table(path, sheet="Sheet1")
    assert caught.value.code == "sheet_not_found"
    assert caught.value.details == {"sheet": "Sheet1", "available": [""]}


def test_rows_can_stream_twice_and_the_table_closes(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kh.csv", [HEADER, ["Lan", "0903", "1"], ["Bình", "0912", "2"]])
    table = open_table(path)
    first, second = list(table.rows()), list(table.rows())
    assert first == second
    assert len(first) == 2
    table.close()
    table.close()
    with pytest.raises(ValueError, match="closed"):
        next(table.rows())


def test_200k_rows_stream_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("Họ và tên,SĐT,Email,Địa chỉ\r\n")
        for i in range(200_000):
            f.write(f'Nguyễn Thị Lan {i},09{i:08d},lan{i}@gmail.com,"{i} Lê Lợi, Quận 1"\r\n')
    assert path.stat().st_size > 12_000_000
    tracemalloc.start()
    try:
        with open_table(path) as table:
            count = 0
            last = None
            for row in table.rows():
                count += 1
                last = row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert last is not None
    assert last.number == 200_001
    assert last.values[0] == "Nguyễn Thị Lan 199999"
    # The file is ~14 MB; streaming keeps the peak at a few hundred kilobytes.
    assert peak < 2_000_000, peak
