import doctest

import pytest

from hoso.engine.normalize import fold
from hoso.engine.tabular import (
    ALIASES,
    PRESETS,
    Column,
    ColumnMapping,
    RawRow,
    Target,
    detect_preset,
    match_alias,
    suggest_mapping,
)
from hoso.engine.tabular import aliases as aliases_module
from hoso.engine.tabular import convert as convert_module
from hoso.engine.tabular import model as model_module
from hoso.engine.tabular import readers as readers_module
from tests.engine.tabular.builders import excel_datetime


def columns(*headers: str) -> list[Column]:
    return [Column(i, h, h) for i, h in enumerate(headers)]


def targets(mappings: list[ColumnMapping]) -> list[str]:
    return [m.target for m in mappings]


@pytest.mark.parametrize("module", [aliases_module, convert_module, model_module, readers_module])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Họ và tên", Target.FULL_NAME),
        ("HO VA TEN", Target.FULL_NAME),
        ("Tên khách hàng", Target.FULL_NAME),
        ("Tên KH", Target.FULL_NAME),
        ("*Tên người nhận", Target.FULL_NAME),
        ("Customer Name", Target.FULL_NAME),
        ("SĐT", Target.PHONE),
        ("sdt", Target.PHONE),
        ("Số điện thoại", Target.PHONE),
        ("Di động", Target.PHONE),
        ("ĐTDĐ", Target.PHONE),
        ("Mobile", Target.PHONE),
        ("Phone number", Target.PHONE),
        ("E-mail", Target.EMAIL),
        ("Thư điện tử", Target.EMAIL),
        ("Ngày sinh", Target.BIRTH_DATE),
        ("Ngày sinh (dd/mm/yyyy)", Target.BIRTH_DATE),
        ("Date of birth", Target.BIRTH_DATE),
        ("Giới tính", Target.GENDER),
        ("Sex", Target.GENDER),
        ("Địa chỉ", Target.ADDRESS),
        ("Địa chỉ nhận hàng", Target.ADDRESS),
        ("Tỉnh/Thành", Target.PROVINCE),
        ("Tỉnh/Thành phố", Target.PROVINCE),
        ("Khu vực", Target.PROVINCE),
        ("Quận/Huyện", Target.DISTRICT),
        ("Phường/Xã", Target.WARD),
        ("Mã KH", Target.EXTERNAL_ID),
        ("Mã khách hàng", Target.EXTERNAL_ID),
        ("Customer ID", Target.EXTERNAL_ID),
        ("Tổng chi tiêu", Target.TOTAL_SPENT),
        ("Tổng tiền", Target.TOTAL_SPENT),
        ("Điểm", Target.POINTS),
        ("Điểm tích lũy", Target.POINTS),
        ("Ghi chú", Target.NOTE),
        ("Nghề nghiệp", Target.OCCUPATION),
        ("Ngày tạo", Target.CREATED_AT),
        ("Công ty", Target.COMPANY),
        ("MST", Target.TAX_CODE),
        ("Hạng thành viên", Target.LOYALTY_TIER),
        ("Nhóm khách hàng", Target.LOYALTY_TIER),
        ("Zalo ID", Target.ZALO_ID),
        ("Số thẻ thành viên", Target.LOYALTY_CARD),
        ("Địa chỉ / Quận/Huyện", Target.DISTRICT),
        ("Số điện thoại khách hàng", Target.PHONE),
        ("SĐT 2", Target.PHONE),
    ],
)
def test_aliases(header: str, target: Target) -> None:
    found = match_alias(header)
    assert found is not None
    assert found.target is target


@pytest.mark.parametrize("header", ["STT", "Mã đơn hàng", "Số lượng", "Cột 5", ""])
def test_unknown_headers(header: str) -> None:
    assert match_alias(header) is None


def test_alias_keys_are_folded() -> None:
    assert all(key == fold(key) for key in ALIASES)


def test_suggest_mapping_from_aliases() -> None:
    cols = columns(
        "STT", "Họ và tên", "SĐT", "Di động", "Email", "Ngày sinh", "Ghi chú", "Ghi chú 2"
    )
    mappings = suggest_mapping(cols, [])
    assert targets(mappings) == [
        "ignore",
        "full_name",
        "phone",
        "phone",
        "email",
        "birth_date",
        "note",
        "note",
    ]
    assert mappings[0] == ColumnMapping(0, "STT", "ignore", 0.0, "none")
    assert mappings[1].reason == "alias"
    assert mappings[1].confidence == pytest.approx(0.95)


def test_each_single_target_takes_one_column_the_best() -> None:
    cols = columns(
        "Tên khách hàng", "Họ và tên", "Khách hàng / Họ tên", "Địa chỉ", "Địa chỉ giao hàng"
    )
    mappings = suggest_mapping(cols, [])
    assert targets(mappings) == ["full_name", "ignore", "ignore", "address_line", "ignore"]
    assert mappings[1].reason == "none"


def test_bare_ten_is_given_name_only_next_to_ho() -> None:
    assert targets(suggest_mapping(columns("Họ", "Tên", "SĐT"), [])) == [
        "family_name",
        "given_name",
        "phone",
    ]
    assert targets(suggest_mapping(columns("Tên", "SĐT"), [])) == ["full_name", "phone"]


def test_custom_fields_by_key_or_label() -> None:
    custom = {"size_ao": ("Size áo", "Shirt size"), "so_thich": ("Sở thích", "Hobbies")}
    cols = columns("Size áo", "SHIRT SIZE", "so_thich", "Hạng")
    mappings = suggest_mapping(cols, [], custom_fields=custom)
    assert targets(mappings) == ["custom:size_ao", "ignore", "custom:so_thich", "loyalty_tier"]
    assert mappings[0].reason == "custom_field"


def test_custom_field_wins_over_an_alias() -> None:
    custom = {"hang_vip": ("Hạng thành viên", "Member tier")}
    [mapping] = suggest_mapping(columns("Hạng thành viên"), [], custom_fields=custom)
    assert (mapping.target, mapping.reason) == ("custom:hang_vip", "custom_field")


def rows(*values: tuple[object, ...]) -> list[RawRow]:
    return [RawRow(i + 2, v) for i, v in enumerate(values)]  # type: ignore[arg-type]


def test_content_sniffing_for_unnamed_columns() -> None:
    cols = columns("Cột A", "Cột B", "Cột C", "Liên lạc", "Ngày SN", "Ngày mua")
    sample = rows(
        ("0903123456", "lan@gmail.com", "Nữ", 912345678, excel_datetime(1990, 3, 5), "01/10/2026"),
        ("0912 345 678", "binh@yahoo.com", "Nam", "0987654321", "05/03/1985", "02/10/2026"),
        ("+84 987 654 321", "chi@hoso.vn", "nữ", None, "12/12/2000", "03/10/2026"),
    )
    mappings = suggest_mapping(cols, sample)
    assert targets(mappings) == ["phone", "email", "gender", "phone", "birth_date", "ignore"]
    assert {m.reason for m in mappings[:5]} == {"content"}
    assert all(0 < m.confidence < 0.95 for m in mappings[:5])


def test_content_needs_80_percent() -> None:
    sample = rows(("0903123456",), ("hello",), ("0912345678",), ("n/a",), ("0987654321",))
    [mapping] = suggest_mapping(columns("Cột A"), sample)
    assert (mapping.target, mapping.reason) == ("ignore", "none")


def test_preset_mapping_overrides_aliases() -> None:
    cols = columns(
        "Mã đơn hàng", "Người Mua", "Tên Người nhận", "Số điện thoại", "TP / Quận / Huyện", "Quận"
    )
    mappings = suggest_mapping(cols, [], preset="shopee")
    assert targets(mappings) == ["ignore", "external_id", "full_name", "phone", "district", "ward"]
    assert {m.reason for m in mappings} == {"preset"}
    without = suggest_mapping(cols, [])
    assert targets(without)[5] == "district"  # a bare "Quận" is a district elsewhere
    with pytest.raises(KeyError):
        suggest_mapping(cols, [], preset="nope")


def test_presets_are_honest() -> None:
    assert {"kiotviet", "sapo", "haravan", "shopee"} <= set(PRESETS)
    for name, preset in PRESETS.items():
        assert preset.name == name
        assert not preset.confirmed  # no real export file has been seen yet
        assert len(preset.source) > 80
        assert all(key == fold(key) for key in preset.columns)
        assert all(target in {t.value for t in Target} for target in preset.columns.values())


def test_detect_preset() -> None:
    kiotviet = columns(
        "Loại khách", "Mã khách hàng", "Tên khách hàng", "Điện thoại", "Địa chỉ",
        "Khu vực giao hàng", "Phường/Xã", "Nợ cần thu hiện tại", "Tổng bán (Không import)",
    )  # fmt: skip
    shopee = columns("Mã đơn hàng", "Ngày đặt hàng", "Người Mua", "Tên Người nhận", "Số điện thoại")
    plain = columns("Mã khách hàng", "Tên khách hàng", "Điện thoại", "Địa chỉ", "Ghi chú")
    assert detect_preset(kiotviet) == "kiotviet"
    assert detect_preset(shopee) == "shopee"
    assert detect_preset(plain) is None
    assert targets(suggest_mapping(kiotviet, [], preset="kiotviet"))[5] == "province"
