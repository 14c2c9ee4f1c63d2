import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hoso.engine.tabular import (
    CellValue,
    ColumnMapping,
    ConvertedRow,
    FieldProblem,
    RawRow,
    convert_row,
    open_table,
    parse_amount,
    parse_gender,
    suggest_mapping,
)
from tests.engine.tabular.builders import excel_datetime, write_xlsx

TODAY = date(2026, 11, 22)


def mapping(*targets: str) -> list[ColumnMapping]:
    return [ColumnMapping(i, f"c{i}", t, 1.0, "alias") for i, t in enumerate(targets)]


def convert(targets: tuple[str, ...], *values: CellValue) -> ConvertedRow:
    return convert_row(RawRow(7, values), mapping(*targets), today=TODAY)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nam", "male"), ("nam", "male"), ("M", "male"), ("male", "male"), ("anh", "male"),
        ("Nữ", "female"), ("nu", "female"), ("NỮ", "female"), ("F", "female"),
        ("female", "female"), ("chị", "female"), ("Khác", "other"), ("?", None), (1, None),
    ],
)  # fmt: skip
def test_parse_gender(raw: CellValue, expected: str | None) -> None:
    assert parse_gender(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.250.000", Decimal(1250000)),
        ("1,250,000 đ", Decimal(1250000)),
        ("1250000", Decimal(1250000)),
        ("1.250.000đ", Decimal(1250000)),
        ("1 250 000 VND", Decimal(1250000)),
        ("₫1,250,000", Decimal(1250000)),
        ("250k", Decimal(250000)),
        ("1,5 triệu", Decimal(1500000)),
        ("-50.000", Decimal(-50000)),
        ("1.250.000,50", Decimal("1250000.50")),
        ("1,250,000.50", Decimal("1250000.50")),
        ("12,5", Decimal("12.5")),
        (1250000, Decimal(1250000)),
        (99.5, Decimal("99.5")),
        ("liên hệ", None),
        ("1.2.3", None),
        (True, None),
    ],
)
def test_parse_amount(raw: CellValue, expected: Decimal | None) -> None:
    assert parse_amount(raw) == expected


def test_full_row() -> None:
    targets = (
        "external_id", "full_name", "gender", "birth_date", "phone", "phone", "email",
        "address_line", "ward", "district", "province", "total_spent", "points", "note",
        "occupation", "loyalty_tier", "company", "tax_code", "created_at", "custom:size_ao",
        "zalo_id", "loyalty_card", "ignore",
    )  # fmt: skip
    row = convert(
        targets,
        "KH001", " Nguyễn Thị Lan ", "Nữ", excel_datetime(1990, 3, 5), 903123456, "0912 345 678",
        "Lan.Nguyen@Gmail.com", "12 Lê Lợi", "Phường Bến Nghé", "Quận 1", "TP Hồ Chí Minh",
        "1.250.000 đ", "120", "Khách quen\nthích màu đỏ", "Giáo viên", "VIP", "Công ty A",
        "0312345678", "01/10/2024", "M", "8412345", "TV-0001", "bỏ qua",
    )  # fmt: skip
    assert row == ConvertedRow(
        number=7,
        fields={
            "full_name": "Nguyễn Thị Lan",
            "gender": "female",
            "birth_date": "1990-03-05",
            "occupation": "Giáo viên",
            "phones": ["903123456", "0912 345 678"],
            "emails": ["Lan.Nguyen@Gmail.com"],
            "addresses": [
                {
                    "line": "12 Lê Lợi",
                    "ward": "Phường Bến Nghé",
                    "district": "Quận 1",
                    "province": "TP Hồ Chí Minh",
                }
            ],
            "external_id": "KH001",
            "zalo_id": "8412345",
            "loyalty_card": "TV-0001",
            "note": "Khách quen\nthích màu đỏ",
            "attributes": {
                "total_spent": 1250000,
                "points": 120,
                "loyalty_tier": "VIP",
                "company": "Công ty A",
                "tax_code": "0312345678",
                "created_at": "2024-10-01",
                "size_ao": "M",
            },
        },
        problems=(),
        blank=False,
    )
    json.dumps(row.fields)  # JSON-able


def test_problems_are_reported_and_the_rest_kept() -> None:
    targets = ("full_name", "phone", "phone", "email", "email", "gender", "total_spent", "points")
    row = convert(
        targets, "Lan", "0000000000", "12345", "test@test.com", "lan@", "xyz", "liên hệ", "nhiều"
    )
    assert row.fields == {"full_name": "Lan", "gender": "unknown"}
    assert row.problems == (
        FieldProblem("phone", 1, "placeholder_phone", "0000000000"),
        FieldProblem("phone", 2, "invalid_phone", "12345"),
        FieldProblem("email", 3, "placeholder_email", "test@test.com"),
        FieldProblem("email", 4, "invalid_email", "lan@"),
        FieldProblem("gender", 5, "invalid_gender", "xyz"),
        FieldProblem("total_spent", 6, "invalid_number", "liên hệ"),
        FieldProblem("points", 7, "invalid_number", "nhiều"),
    )
    assert not row.blank


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("31/02/1990", "invalid_date"),
        ("1990", "invalid_date"),  # a year alone is not a birth date
        ("05/03/2030", "birth_date_in_future"),
        (excel_datetime(1850, 1, 1), "birth_date_too_old"),
    ],
)
def test_birth_date_problems(value: CellValue, code: str) -> None:
    row = convert(("full_name", "birth_date"), "Lan", value)
    assert row.problems[0].code == code
    assert "birth_date" not in row.fields


def test_full_name_from_family_and_given_names() -> None:
    row = convert(("family_name", "given_name", "phone"), "Nguyễn Thị", "Lan", "0903123456")
    assert row.fields["full_name"] == "Nguyễn Thị Lan"
    whole = convert(("full_name", "family_name", "given_name"), "Trần Lan", "Nguyễn", "Lan")
    assert whole.fields["full_name"] == "Trần Lan"


def test_kiotviet_region_is_split_into_province_and_district() -> None:
    row = convert(
        ("address_line", "province", "ward"),
        "12 Lê Lợi",
        "Hà Nội - Quận Tây Hồ",
        "Phường Thụy Khuê",
    )
    assert row.fields["addresses"] == [
        {
            "line": "12 Lê Lợi",
            "province": "Hà Nội",
            "district": "Quận Tây Hồ",
            "ward": "Phường Thụy Khuê",
        }
    ]


def test_blank_when_only_ignored_columns_hold_something() -> None:
    row = convert(("ignore", "full_name", "phone"), 1, None, "")
    assert row == ConvertedRow(7, {}, (), blank=True)


def test_empty_cells_add_no_keys() -> None:
    row = convert(("full_name", "gender", "birth_date", "email"), "Lan", None, None, None)
    assert row.fields == {"full_name": "Lan"}


def test_end_to_end_from_a_workbook(tmp_path: Path) -> None:
    rows = [
        ["DANH SÁCH KHÁCH HÀNG"],
        ["Mã KH", "Họ tên", "SĐT", "Giới tính", "Ngày sinh", "Tổng tiền"],
        ["KH1", "Nguyễn Thị Lan", 903123456, "Nữ", excel_datetime(1990, 3, 5), 1250000],
        ["KH2", "Trần Văn Bình", "0912345678", "Nam", "05/03/1985", "2.000.000"],
    ]
    path = write_xlsx(tmp_path / "kh.xlsx", {"KH": rows}, merges={"KH": ["A1:F1"]})
    with open_table(path) as table:
        mappings = suggest_mapping(table.columns, table.sample())
        converted = [convert_row(row, mappings, today=TODAY) for row in table.rows()]
    assert [c.number for c in converted] == [3, 4]
    assert converted[0].fields["phones"] == ["903123456"]
    assert converted[1].fields["birth_date"] == "1985-03-05"
    assert converted[1].fields["attributes"] == {"total_spent": 2000000}
    assert all(not c.problems for c in converted)
