import doctest
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoso.engine.normalize import names as names_module
from hoso.engine.normalize.names import (
    FAMILY_NAMES,
    NameFlag,
    NameParts,
    name_tokens,
    parse_vn_name,
)
from hoso.engine.normalize.text import fold, nfc

F = NameFlag


def test_doctests() -> None:
    assert doctest.testmod(names_module).failed == 0


def parts(raw: str) -> tuple[str | None, str | None, str | None, str]:
    p = parse_vn_name(raw)
    return p.family, p.middle, p.given, p.order


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Thị Lan", ("Nguyễn", "Thị", "Lan", "vietnamese")),
        ("Nguyễn Đức Giang", ("Nguyễn", "Đức", "Giang", "vietnamese")),
        ("ĐẶNG VĂN ĐỨC", ("ĐẶNG", "VĂN", "ĐỨC", "vietnamese")),
        ("nguyen van hung", ("nguyen", "van", "hung", "vietnamese")),
        ("Nguyễn Phạm Ngọc Bảo Anh", ("Nguyễn", "Phạm Ngọc Bảo", "Anh", "vietnamese")),
        ("Trần Lê", ("Trần", None, "Lê", "vietnamese")),
        ("Nguyễn Văn", ("Nguyễn", None, "Văn", "vietnamese")),
        ("Chu Văn An", ("Chu", "Văn", "An", "vietnamese")),
        ("Lan", (None, None, "Lan", "single")),
        ("Nguyễn", (None, None, "Nguyễn", "single")),
    ],
)
def test_vietnamese_order(raw: str, expected: tuple[str | None, ...]) -> None:
    assert parts(raw) == expected
    assert F.REORDERED not in parse_vn_name(raw).flags


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lan Nguyen", ("Nguyen", None, "Lan", "western")),
        ("Hung Nguyen Van", ("Nguyen", "Van", "Hung", "western")),
        ("Lan Nguyễn Thị", ("Nguyễn", "Thị", "Lan", "western")),
        ("Lan Thi Nguyen", ("Nguyen", "Thi", "Lan", "western")),
        ("Hương Nguyễn", ("Nguyễn", None, "Hương", "western")),
        ("Duc Pham", ("Pham", None, "Duc", "western")),
        ("Lan Mai Thi", ("Mai", "Thi", "Lan", "western")),
    ],
)
def test_western_order_detected(raw: str, expected: tuple[str | None, ...]) -> None:
    result = parse_vn_name(raw)
    assert parts(raw) == expected
    assert result.flags == (F.REORDERED,)
    assert result.full == raw
    assert result.key == fold(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Hà, Mai, Dương … are also given names: "Thu Hà" is a given name, not "Hà, Thu".
        ("Thu Hà", ("Thu", None, "Hà", "vietnamese")),
        ("Thùy Dương", ("Thùy", None, "Dương", "vietnamese")),
        ("Ngọc Mai", ("Ngọc", None, "Mai", "vietnamese")),
        # Both ends are family names: keep the Vietnamese order.
        ("Lê Hoàng", ("Lê", None, "Hoàng", "vietnamese")),
        ("Hoàng Trần", ("Hoàng", None, "Trần", "vietnamese")),
    ],
)
def test_given_like_family_names_do_not_trigger_reordering(
    raw: str, expected: tuple[str | None, ...]
) -> None:
    assert parts(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Chị Lan", (None, None, "Lan", "single")),
        ("chị lan", (None, None, "lan", "single")),
        ("Chi Lan", (None, None, "Lan", "single")),
        ("Anh Tuấn", (None, None, "Tuấn", "single")),
        ("Em Hoa", (None, None, "Hoa", "single")),
        ("Cô Ba", (None, None, "Ba", "single")),
        ("Chú Tư", (None, None, "Tư", "single")),
        ("Bác Hai", (None, None, "Hai", "single")),
        ("Ông Nguyễn Văn Ba", ("Nguyễn", "Văn", "Ba", "vietnamese")),
        ("Bà Trần Thị Hoa", ("Trần", "Thị", "Hoa", "vietnamese")),
        ("A. Tuấn", (None, None, "Tuấn", "single")),
        ("c.Lan", (None, None, "Lan", "single")),
        ("Mr Hung Nguyen", ("Nguyen", None, "Hung", "western")),
        ("Mrs. Lan", (None, None, "Lan", "single")),
        ("MS Lan", (None, None, "Lan", "single")),
        ("Anh Mai", (None, None, "Mai", "single")),
    ],
)
def test_honorific_stripped_from_parts_not_from_full(
    raw: str, expected: tuple[str | None, ...]
) -> None:
    result = parse_vn_name(raw)
    assert parts(raw) == expected
    assert F.HONORIFIC_STRIPPED in result.flags
    assert result.full == raw
    assert result.key == fold(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Anh", (None, None, "Anh", "single")),  # nothing left after the honorific
        ("Bà", (None, None, "Bà", "single")),
        ("Nguyễn Anh Tuấn", ("Nguyễn", "Anh", "Tuấn", "vietnamese")),
        ("Anh Nguyễn", ("Nguyễn", None, "Anh", "western")),  # nobody is "anh" + family name
        ("Chu Lan", ("Chu", None, "Lan", "vietnamese")),  # Chu (family) is not chú
        ("Ông Lan", (None, None, "Lan", "single")),
        ("Annh Lan", ("Annh", None, "Lan", "vietnamese")),
        ("Emily Tran", ("Tran", None, "Emily", "western")),  # "Em" only as a word
    ],
)
def test_honorific_edge_cases(raw: str, expected: tuple[str | None, ...]) -> None:
    assert parts(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Công ty TNHH Hoa Mai",
        "CÔNG TY CỔ PHẦN ABC",
        "Cty Minh Phát",
        "DNTN Hưng Thịnh",
        "Doanh nghiệp tư nhân Lan",
        "Hộ kinh doanh Tuấn",
        "HKD Bảo An",
        "Shop Lan",
        "Lan shop",
        "Cửa hàng Bảo Ngọc",
        "Chi nhánh Hà Nội",
        "ABC JSC",
        "Viet Co., Ltd",
        "Minh Long Ltd.",
        "Saigon Company",
        "Acme Corp",
        "CP Dược Hậu Giang",
    ],
)
def test_organisation(raw: str) -> None:
    result = parse_vn_name(raw)
    assert F.ORGANISATION in result.flags
    assert (result.family, result.middle, result.given, result.order) == (
        None,
        None,
        None,
        "unknown",
    )
    assert result.full == nfc(raw)


@pytest.mark.parametrize("raw", ["Shopee Lan", "Nguyễn Cường", "Cao Thị Ltda", "Công Lý"])
def test_organisation_markers_match_whole_words_only(raw: str) -> None:
    assert F.ORGANISATION not in parse_vn_name(raw).flags


@pytest.mark.parametrize(
    "raw",
    ["không có", "Khách lẻ", "khach le", "KHÁCH LẺ 01", "Khách hàng", "test", "n/a", "xxx",
     "abc", "---", "?"],
)  # fmt: skip
def test_placeholder(raw: str) -> None:
    result = parse_vn_name(raw)
    assert F.PLACEHOLDER in result.flags
    assert result.order == "unknown"
    assert result.given is None


@pytest.mark.parametrize("raw", [None, "", "   ", "\u200b"])
def test_empty(raw: str | None) -> None:
    assert parse_vn_name(raw) == NameParts("", None, None, None, "", "unknown", (F.EMPTY,))


def test_digits_are_flagged_and_left_out_of_the_parts() -> None:
    result = parse_vn_name("Anh Tuấn - 0912345678")
    assert result.flags == (F.HONORIFIC_STRIPPED, F.HAS_DIGITS)
    assert (result.family, result.given, result.order) == (None, "Tuấn", "single")
    assert result.full == "Anh Tuấn - 0912345678"
    assert result.key == "anh tuan 0912345678"

    only_digits = parse_vn_name("0912345678")
    assert only_digits.flags == (F.HAS_DIGITS,)
    assert only_digits.order == "unknown"


def test_punctuation_around_words_is_trimmed_in_parts() -> None:
    result = parse_vn_name("Nguyễn Văn Hùng, (Hà Nội)")
    assert result.family == "Nguyễn"
    assert result.given == "Nội"
    assert result.middle == "Văn Hùng Hà"


def test_full_is_nfc_and_keeps_case_and_diacritics() -> None:
    raw = unicodedata.normalize("NFD", "  NGUYỄN   thị  Thuỷ ")
    result = parse_vn_name(raw)
    assert result.full == "NGUYỄN thị Thuỷ"
    assert unicodedata.is_normalized("NFC", result.full)
    assert result.key == "nguyen thi thuy"
    assert result.given == "Thuỷ"


def test_family_names_are_folded_and_cover_the_common_ones() -> None:
    assert len(FAMILY_NAMES) >= 100
    assert all(name == fold(name) and " " not in name for name in FAMILY_NAMES)
    for name in ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Đặng", "Đỗ", "Ứng", "Âu"):
        assert fold(name) in FAMILY_NAMES
    assert "thi" not in FAMILY_NAMES
    assert "lan" not in FAMILY_NAMES


@pytest.mark.parametrize(
    ("key", "tokens"),
    [
        ("nguyen thi lan", ("nguyen", "thi", "lan")),
        ("Nguyễn  Thị-Lan", ("nguyen", "thi", "lan")),
        ("", ()),
    ],
)
def test_name_tokens(key: str, tokens: tuple[str, ...]) -> None:
    assert name_tokens(key) == tokens


VIETNAMESE_WORDS = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Thị", "Văn", "Ngọc", "Thanh", "Minh", "Lan",
    "Hùng", "Hương", "Đức", "Thủy", "Mai", "Hà", "Anh", "Chị", "Ông", "Khách", "lẻ", "Shop",
    "0912", "Mr.", "-", "nguyen", "HUNG", "Bảo", "Đặng", "Lý",
]  # fmt: skip
names = st.one_of(
    st.lists(st.sampled_from(VIETNAMESE_WORDS), max_size=6).map(" ".join),
    st.text(max_size=30),
)


@settings(max_examples=300)
@given(names)
def test_invariants(raw: str) -> None:
    result = parse_vn_name(raw)
    assert result.full == nfc(raw)
    assert result.key == fold(result.full)
    assert list(result.flags) == sorted(set(result.flags), key=list(NameFlag).index)
    words = set(result.full.split())
    for part in (result.family, result.middle, result.given):
        if part is not None:
            assert part
            assert part == nfc(part)
            assert not any(c.isdigit() for c in part)
            assert all(any(w in word for word in words) for w in part.split())
    if result.family is not None:
        assert result.given is not None
    if result.middle is not None:
        assert result.family is not None
    assert (result.order == "western") == (F.REORDERED in result.flags)
    assert (result.order == "single") == (result.given is not None and result.family is None)


@settings(max_examples=300)
@given(names)
def test_parsing_the_full_form_again_gives_the_same_result(raw: str) -> None:
    result = parse_vn_name(raw)
    assert parse_vn_name(result.full) == result
    assert parse_vn_name(unicodedata.normalize("NFD", raw)) == result


@pytest.mark.parametrize(
    ("raw", "family", "given"),
    [
        ("Nguyễn Kim Vân", "Nguyễn", "Vân"),
        ("Nguyễn Diệu Vân", "Nguyễn", "Vân"),
        ("Phạm Thị Kim Vân", "Phạm", "Vân"),
        ("Hung Nguyen Van", "Nguyen", "Hung"),
        ("Hùng Nguyễn Văn", "Nguyễn", "Hùng"),
    ],
)
def test_given_name_van_is_not_the_middle_marker(raw: str, family: str, given: str) -> None:
    parts = parse_vn_name(raw)
    assert (parts.family, parts.given) == (family, given)
