"""The unit table: counts, structure, provenance, licence, and that loading stays lazy."""

import doctest
import gzip
import json
from importlib import resources

import pytest

from hoso.engine.address import data as data_module
from hoso.engine.address import data_source, provinces
from hoso.engine.address.data import key_of, load
from tests.engine.address.fresh import run_python

# vietnam.md §2.1: the 34 units of 2025 by NSO code.
PROVINCES_2025 = {
    "01": "Thành phố Hà Nội",
    "04": "Tỉnh Cao Bằng",
    "08": "Tỉnh Tuyên Quang",
    "11": "Tỉnh Điện Biên",
    "12": "Tỉnh Lai Châu",
    "14": "Tỉnh Sơn La",
    "15": "Tỉnh Lào Cai",
    "19": "Tỉnh Thái Nguyên",
    "20": "Tỉnh Lạng Sơn",
    "22": "Tỉnh Quảng Ninh",
    "24": "Tỉnh Bắc Ninh",
    "25": "Tỉnh Phú Thọ",
    "31": "Thành phố Hải Phòng",
    "33": "Tỉnh Hưng Yên",
    "37": "Tỉnh Ninh Bình",
    "38": "Tỉnh Thanh Hóa",
    "40": "Tỉnh Nghệ An",
    "42": "Tỉnh Hà Tĩnh",
    "44": "Tỉnh Quảng Trị",
    "46": "Thành phố Huế",
    "48": "Thành phố Đà Nẵng",
    "51": "Tỉnh Quảng Ngãi",
    "52": "Tỉnh Gia Lai",
    "56": "Tỉnh Khánh Hòa",
    "66": "Tỉnh Đắk Lắk",
    "68": "Tỉnh Lâm Đồng",
    "75": "Tỉnh Đồng Nai",
    "79": "Thành phố Hồ Chí Minh",
    "80": "Tỉnh Tây Ninh",
    "82": "Tỉnh Đồng Tháp",
    "86": "Tỉnh Vĩnh Long",
    "91": "Tỉnh An Giang",
    "92": "Thành phố Cần Thơ",
    "96": "Tỉnh Cà Mau",
}

# vietnam.md §2.1: which pre-2025 provinces each 2025 one absorbed (by name).
MERGED_FROM = {
    "08": {"Hà Giang", "Tuyên Quang"},
    "15": {"Lào Cai", "Yên Bái"},
    "19": {"Bắc Kạn", "Thái Nguyên"},
    "24": {"Bắc Giang", "Bắc Ninh"},
    "25": {"Hòa Bình", "Phú Thọ", "Vĩnh Phúc"},
    "31": {"Hải Dương", "Hải Phòng"},
    "33": {"Hưng Yên", "Thái Bình"},
    "37": {"Hà Nam", "Nam Định", "Ninh Bình"},
    "44": {"Quảng Bình", "Quảng Trị"},
    "48": {"Đà Nẵng", "Quảng Nam"},
    "51": {"Quảng Ngãi", "Kon Tum"},
    "52": {"Bình Định", "Gia Lai"},
    "56": {"Khánh Hòa", "Ninh Thuận"},
    "66": {"Phú Yên", "Đắk Lắk"},
    "68": {"Bình Thuận", "Đắk Nông", "Lâm Đồng"},
    "75": {"Bình Phước", "Đồng Nai"},
    "79": {"Bình Dương", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh"},
    "80": {"Tây Ninh", "Long An"},
    "82": {"Tiền Giang", "Đồng Tháp"},
    "86": {"Bến Tre", "Trà Vinh", "Vĩnh Long"},
    "91": {"An Giang", "Kiên Giang"},
    "92": {"Cần Thơ", "Hậu Giang", "Sóc Trăng"},
    "96": {"Bạc Liêu", "Cà Mau"},
}


def bare(name: str) -> str:
    return name.removeprefix("Tỉnh ").removeprefix("Thành phố ")


def test_doctests() -> None:
    assert doctest.testmod(data_module).failed == 0


def test_counts() -> None:
    ix = load()
    assert len(ix.provinces) == 34
    assert len(ix.wards) == 3321
    assert len(ix.legacy_provinces) == 63
    assert len(ix.legacy_districts) == 696
    assert len(ix.legacy_wards) == 10035
    kinds = [w.type_word for w in ix.wards.values()]
    assert (kinds.count("Xã"), kinds.count("Phường"), kinds.count("Đặc khu")) == (2621, 687, 13)
    assert sum(1 for w in ix.legacy_wards.values() if len(w.targets) > 1) == 471


def test_provinces_are_the_34_of_2025() -> None:
    assert {p.code: p.name for p in provinces()} == PROVINCES_2025
    assert [p.code for p in provinces()] == sorted(PROVINCES_2025)


def test_legacy_provinces_went_where_the_reform_says() -> None:
    ix = load()
    absorbed: dict[str, set[str]] = {}
    for p in ix.legacy_provinces.values():
        absorbed.setdefault(p.new_code, set()).add(bare(p.name))
    assert set(absorbed) == set(PROVINCES_2025)
    for code, names in absorbed.items():
        assert names == MERGED_FROM.get(code, {bare(PROVINCES_2025[code])}), code


def test_every_old_ward_goes_to_2025_wards_of_its_2025_province() -> None:
    ix = load()
    covered: set[str] = set()
    for w in ix.legacy_wards.values():
        assert w.targets, w.code
        assert len(set(w.targets)) == len(w.targets)
        for t in w.targets:
            assert ix.wards[t].province.code == w.province.new_code, (w.code, t)
        covered.update(w.targets)
        assert w.district is not None
        assert w.district.province is w.province
    # Every 2025 ward comes from some old ward, except the đặc khu made of old island districts.
    islands = {t for d in ix.legacy_districts.values() for t in d.targets} - covered
    assert covered | islands == set(ix.wards)
    assert {ix.wards[t].name for t in islands} <= {
        "Đặc khu Bạch Long Vĩ",
        "Đặc khu Cồn Cỏ",
        "Đặc khu Hoàng Sa",
        "Đặc khu Lý Sơn",
        "Đặc khu Côn Đảo",
    }


def test_codes_keep_their_era() -> None:
    ix = load()
    # Code 15 was Yên Bái and is now Lào Cai; old Lào Cai was 10.
    assert ix.legacy_provinces["15"].name == "Tỉnh Yên Bái"
    assert ix.provinces["15"].name == "Tỉnh Lào Cai"
    assert ix.legacy_provinces["10"].new_code == "15"
    # An old ward code may be reused by a different 2025 ward.
    assert ix.legacy_wards["26740"].name == "Phường Bến Nghé"
    assert ix.wards["26740"].name == "Phường Sài Gòn"


def test_type_words_are_spelled_officially() -> None:
    ix = load()
    names = [w.name for w in ix.legacy_wards.values()]
    names += [d.name for d in ix.legacy_districts.values()]
    assert not [n for n in names if n.startswith(("Thị Trấn ", "Thị Xã ", "Thành Phố "))]
    assert all(w.type_word for w in (*ix.wards.values(), *ix.legacy_wards.values()))


def test_source_and_licence_travel_with_the_data() -> None:
    source = data_source()
    assert source["package"] == "vietnamadminunits"
    assert source["version"] == "1.0.4"
    assert source["licence"] == "MIT"
    assert "Permission is hereby granted, free of charge" in source["licence_text"]
    assert source["counts"]["legacy_wards_split"] == 471
    with pytest.raises(TypeError):
        source["licence"] = "GPL"  # type: ignore[index]
    folder = resources.files("hoso.engine.address").joinpath("data")
    notice = folder.joinpath("NOTICE.txt").read_text(encoding="utf-8")
    assert "vietnamadminunits 1.0.4" in notice
    assert "MIT License" in notice


def test_data_file_is_small_and_deterministic_json() -> None:
    blob = resources.files("hoso.engine.address").joinpath("data", "units.json.gz").read_bytes()
    assert len(blob) < 2_000_000
    assert blob[4:8] == b"\0\0\0\0"  # gzip mtime 0: rebuilt files are byte-identical
    table = json.loads(gzip.decompress(blob))
    assert table["format"] == 1
    assert set(table) == {
        "format",
        "source",
        "provinces",
        "wards",
        "legacy_provinces",
        "legacy_districts",
        "legacy_wards",
        "legacy_district_groups",
    }


def test_hue_city_divided_before_2025_is_found() -> None:
    ix = load()
    hue = ix.district_alias_keys["hue"]
    assert sorted(d.name for d in hue) == ["Quận Phú Xuân", "Quận Thuận Hóa"]


@pytest.mark.parametrize(
    ("words", "key"),
    [
        (["my", "dinh", "1"], "midinh1"),
        (["phuong", "05"], "phuong5"),
        (["quy", "nhon"], "quinhon"),
        (["nguyen", "du"], "nguyendu"),
        (["thuy"], "thuy"),
        (["yen", "bai"], "yenbai"),
    ],
)
def test_key_of(words: list[str], key: str) -> None:
    assert key_of(words) == key


def test_import_is_cheap_and_loads_nothing() -> None:
    code = (
        "import sys\n"
        "import hoso.engine.address as a\n"
        "from hoso.engine.address import data\n"
        "assert data.load.cache_info().currsize == 0\n"
        "heavy = {'phonenumbers', 'email_validator', 'hoso.engine.normalize', 'gzip', 'json'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
        "print('ok')\n"
    )
    # Importing loads no table and no heavy module (the time it takes is not asserted).
    assert run_python(code).strip() == "ok"
