import dataclasses
import doctest
from datetime import date, datetime

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hoso.engine.normalize import phone as phone_module
from hoso.engine.normalize.phone import (
    PhoneFlag,
    PhoneResult,
    PhoneType,
    looks_like_phone,
    normalize_vn_phone,
    phone_search_variants,
)

F = PhoneFlag
# phonenumbers loads metadata lazily; the first call can exceed hypothesis' deadline.
phone_settings = settings(max_examples=150, deadline=None)


def test_doctests() -> None:
    assert doctest.testmod(phone_module).failed == 0


# --- vietnam.md §1.6 test vectors, every one of them ------------------------------------------

SPEC_VECTORS: list[tuple[str, str | None, PhoneType | None, tuple[PhoneFlag, ...]]] = [
    ("0912 345 678", "+84912345678", PhoneType.MOBILE, ()),
    ("091.234.5678", "+84912345678", PhoneType.MOBILE, ()),
    ("84912345678", "+84912345678", PhoneType.MOBILE, ()),
    ("0084912345678", "+84912345678", PhoneType.MOBILE, ()),
    ("(+84) 0912-345-678", "+84912345678", PhoneType.MOBILE, ()),
    ("912345678", "+84912345678", PhoneType.MOBILE, ()),
    ("０９１２３４５６７８", "+84912345678", PhoneType.MOBILE, ()),
    ("0166 234 5678", "+84362345678", PhoneType.MOBILE, (F.LEGACY_MOBILE_CONVERTED,)),
    ("01662345678", "+84362345678", PhoneType.MOBILE, (F.LEGACY_MOBILE_CONVERTED,)),
    ("+841662345678", "+84362345678", PhoneType.MOBILE, (F.LEGACY_MOBILE_CONVERTED,)),
    ("841662345678", "+84362345678", PhoneType.MOBILE, (F.LEGACY_MOBILE_CONVERTED,)),
    ("1662345678", "+84362345678", PhoneType.MOBILE, (F.LEGACY_MOBILE_CONVERTED,)),
    ("0199 123 4567", "+84591234567", PhoneType.MOBILE, (F.LEGACY_MOBILE_CONVERTED,)),
    ("0188 1234567", "+84581234567", PhoneType.MOBILE, (F.LEGACY_MOBILE_CONVERTED,)),
    ("(028) 3812 3456", "+842838123456", PhoneType.FIXED_LINE, ()),
    ("04 3812 3456", "+842438123456", PhoneType.FIXED_LINE, (F.LEGACY_AREA_CODE_CONVERTED,)),
    ("(0511) 3 812 345", "+842363812345", PhoneType.FIXED_LINE, (F.LEGACY_AREA_CODE_CONVERTED,)),
    ("0650 3812345", "+842743812345", PhoneType.FIXED_LINE, (F.LEGACY_AREA_CODE_CONVERTED,)),
    ("0912345678 / 0987654321", "+84912345678", PhoneType.MOBILE, (F.MULTIPLE_NUMBERS,)),
    ("+1 650 253 0000", "+16502530000", PhoneType.FOREIGN, (F.FOREIGN,)),
    # Step 13 adds non_personal to service numbers (the §1.6 prototype stopped at step 12).
    ("1900 1234", "+8419001234", PhoneType.PREMIUM_RATE, (F.NON_PERSONAL,)),
    ("0123", None, None, (F.INVALID,)),
    ("09123456789", None, None, (F.INVALID,)),
]


@pytest.mark.parametrize(("raw", "e164", "kind", "flags"), SPEC_VECTORS)
def test_spec_vectors(
    raw: str, e164: str | None, kind: PhoneType | None, flags: tuple[PhoneFlag, ...]
) -> None:
    result = normalize_vn_phone(raw)
    assert result.raw == raw
    assert result.e164 == e164
    assert result.type == kind
    assert result.flags == flags


def test_spec_vector_ambiguous_old_hcmc_landline() -> None:
    result = normalize_vn_phone("0838123456", record_date=date(2016, 5, 1))
    assert result.e164 == "+84838123456"
    assert result.type == PhoneType.MOBILE
    assert result.flags == (F.AMBIGUOUS_PRE2017_LANDLINE,)


def test_spec_invalid_keeps_nsn_for_review() -> None:
    assert normalize_vn_phone("0123").nsn == "123"
    assert normalize_vn_phone("09123456789").nsn == "9123456789"


# --- Step by step ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "\u200b"])
def test_empty(raw: str | None) -> None:
    result = normalize_vn_phone(raw)
    assert result == PhoneResult(raw, None, None, (F.EMPTY,), None)
    assert not result.valid
    assert not result.is_personal


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        (912345678, "+84912345678"),
        (84912345678, "+84912345678"),
        (1662345678, "+84362345678"),
        (2838123456, "+842838123456"),
    ],
)
def test_int_input_from_numeric_excel_columns(raw: int, e164: str) -> None:
    result = normalize_vn_phone(raw)
    assert result.e164 == e164
    assert result.raw == str(raw)


def test_bool_is_not_a_phone() -> None:
    assert normalize_vn_phone(True).flags == (F.INVALID,)


@pytest.mark.parametrize(
    "raw", ["+84 91 234 5678", "tel:+84912345678", "0912 345 678 (Zalo)", "+84-912-345-678"]
)
def test_more_formats(raw: str) -> None:
    assert normalize_vn_phone(raw).e164 == "+84912345678"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("O912345678", "+84912345678"), ("0912 345 67O", "+84912345670"), ("o9l2", None)],
)
def test_letter_o_read_as_zero_only_in_numeric_strings(raw: str, e164: str | None) -> None:
    assert normalize_vn_phone(raw).e164 == e164


def test_letter_o_in_words_is_left_alone() -> None:
    # "hoặc"/"or" contain an o; splitting happens before the O→0 mapping.
    result = normalize_vn_phone("0912345678 hoặc 0987 123 456")
    assert [r.e164 for r in (result, *result.secondary)] == ["+84912345678", "+84987123456"]


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678 / 0987123456",
        "0912345678;0987123456",
        "0912345678, 0987123456",
        "0912345678 | 0987123456",
        "0912345678 hoặc 0987123456",
        "0912345678 HOAC 0987123456",
        "0912345678 or 0987123456",
        "0912345678 - 0987123456",
        "0912 345 678 – 0987 123 456",
    ],
)
def test_multiple_numbers(raw: str) -> None:
    result = normalize_vn_phone(raw)
    assert result.e164 == "+84912345678"
    assert result.flags == (F.MULTIPLE_NUMBERS,)
    assert result.raw == raw
    assert [s.e164 for s in result.secondary] == ["+84987123456"]
    assert result.secondary[0].flags == ()


def test_dash_inside_a_number_does_not_split() -> None:
    for raw in ("0912-345-678", "0912 - 345 - 678", "(028) 3812 - 3456"):
        result = normalize_vn_phone(raw)
        assert result.valid, raw
        assert result.secondary == ()


def test_multiple_numbers_first_valid_is_primary() -> None:
    result = normalize_vn_phone("0123 / 0987123456 / 04 3812 3456")
    assert result.e164 == "+84987123456"
    assert result.flags == (F.MULTIPLE_NUMBERS,)
    assert [(s.e164, s.flags) for s in result.secondary] == [
        (None, (F.INVALID,)),
        ("+842438123456", (F.LEGACY_AREA_CODE_CONVERTED,)),
    ]


def test_multiple_numbers_primary_keeps_its_own_flags() -> None:
    result = normalize_vn_phone("0166 234 5678 / 0912345678")
    assert result.flags == (F.MULTIPLE_NUMBERS, F.LEGACY_MOBILE_CONVERTED)


def test_the_same_number_twice_is_one_number() -> None:
    result = normalize_vn_phone("0912345678 / +84 912 345 678")
    assert result.e164 == "+84912345678"
    assert result.flags == ()
    assert result.secondary == ()


def test_only_one_part_with_digits_is_not_multiple() -> None:
    result = normalize_vn_phone("0912345678 / không")
    assert result.e164 == "+84912345678"
    assert result.flags == ()


def test_no_valid_number_in_multi_cell() -> None:
    result = normalize_vn_phone("0123 / 0456")
    assert result.e164 is None
    assert result.flags == (F.INVALID, F.MULTIPLE_NUMBERS)
    assert result.nsn == "123"
    assert [s.nsn for s in result.secondary] == ["456"]


@pytest.mark.parametrize(
    ("raw", "e164", "flags"),
    [
        ("+1 650 253 0000", "+16502530000", (F.FOREIGN,)),
        ("001 650 253 0000", "+16502530000", (F.FOREIGN,)),
        ("+44 20 7946 0958", "+442079460958", (F.FOREIGN,)),
        ("+65 6123 4567", "+6561234567", (F.FOREIGN,)),
        ("+1 800 253 0000", "+18002530000", (F.FOREIGN, F.NON_PERSONAL)),
        ("+1 123", None, (F.INVALID, F.FOREIGN)),
        ("+999 123456", None, (F.INVALID, F.FOREIGN)),
    ],
)
def test_foreign(raw: str, e164: str | None, flags: tuple[PhoneFlag, ...]) -> None:
    result = normalize_vn_phone(raw)
    assert result.e164 == e164
    assert result.flags == flags
    assert result.type == (PhoneType.FOREIGN if e164 else None)


def test_plus_followed_by_trunk_zero_is_vietnamese() -> None:
    assert normalize_vn_phone("+0912345678").e164 == "+84912345678"


def test_double_zero_that_is_not_a_valid_foreign_number_is_read_as_vietnamese() -> None:
    result = normalize_vn_phone("0 0912345678")
    assert result.e164 == "+84912345678"
    assert result.flags == ()


@pytest.mark.parametrize(
    ("raw", "flags"),
    [
        ("84912345678", ()),  # 11 digits: country code
        ("845123456", ()),  # 9 digits: national 084…, never strip 84
        ("8491234567", (F.INVALID,)),  # 10 digits starting 84
        ("+84 0912345678", ()),
    ],
)
def test_country_code_rules(raw: str, flags: tuple[PhoneFlag, ...]) -> None:
    result = normalize_vn_phone(raw)
    assert result.flags == flags
    if raw == "845123456":
        assert result.e164 == "+84845123456"


LEGACY_MOBILE = {
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37",
    "168": "38", "169": "39", "120": "70", "121": "79", "122": "77", "126": "76",
    "128": "78", "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
    "186": "56", "188": "58", "199": "59",
}  # fmt: skip


@phone_settings
@given(
    st.sampled_from(sorted(LEGACY_MOBILE)),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
    st.sampled_from(["0{}", "+84{}", "84{}", "{}", "0084{}"]),
)
def test_legacy_mobile_conversion(old: str, tail: str, template: str) -> None:
    result = normalize_vn_phone(template.format(old + tail))
    expected = f"+84{LEGACY_MOBILE[old]}{tail}"
    assert result.e164 == expected
    assert result.type == PhoneType.MOBILE
    assert F.LEGACY_MOBILE_CONVERTED in result.flags
    assert result.nsn == expected[3:]


# Old code (with trunk 0) -> new code, the whole vietnam.md §1.4 table.
LEGACY_AREA = {
    "076": "0296", "064": "0254", "0281": "0209", "0240": "0204", "0781": "0291",
    "0241": "0222", "075": "0275", "056": "0256", "0650": "0274", "0651": "0271",
    "062": "0252", "0780": "0290", "0710": "0292", "026": "0206", "0511": "0236",
    "0500": "0262", "0501": "0261", "0230": "0215", "025": "0205", "072": "0272",
    "038": "0238", "061": "0251", "067": "0277", "059": "0269", "0351": "0226",
    "04": "024", "039": "0239", "0320": "0220", "031": "0225", "0711": "0293",
    "08": "028", "0321": "0221", "058": "0258", "077": "0297", "060": "0260",
    "0231": "0213", "063": "0263", "020": "0214", "0350": "0228", "030": "0229",
    "068": "0259", "057": "0257", "052": "0232", "0510": "0235", "055": "0255",
    "033": "0203", "053": "0233", "079": "0299", "022": "0212", "066": "0276",
    "036": "0227", "0280": "0208", "037": "0237", "054": "0234", "073": "0273",
    "074": "0294", "027": "0207", "070": "0270", "029": "0216",
}  # fmt: skip


@phone_settings
@given(
    st.sampled_from(sorted(LEGACY_AREA)),
    st.text(alphabet="3456", min_size=1, max_size=1),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
)
def test_legacy_area_code_conversion(old: str, first: str, rest: str) -> None:
    subscriber = (first + rest)[: 8 if old in ("04", "08") else 7]
    result = normalize_vn_phone(f"({old}) {subscriber}")
    converted = f"+84{LEGACY_AREA[old][1:]}{subscriber}"
    if result.flags == (F.LEGACY_AREA_CODE_CONVERTED,):
        assert result.e164 == converted
        assert result.type == PhoneType.FIXED_LINE
    else:
        # Only the old 03x/05x/07x/08 codes can be read as today's mobiles (step 9 wins).
        assert old[1] in "3578"
        assert result.type == PhoneType.MOBILE
        assert result.e164 == f"+84{old[1:]}{subscriber}"
        assert phone_search_variants(f"{old}{subscriber}")[1] == converted


def test_kept_area_codes_are_valid_as_is() -> None:
    for code in ("0210", "0211", "0218", "0219"):
        result = normalize_vn_phone(f"{code} 3812345")
        assert result.e164 == f"+84{code[1:]}3812345"
        assert result.flags == ()


def test_legacy_area_code_conversion_spec_examples() -> None:
    assert normalize_vn_phone("061 3812345").e164 == "+842513812345"
    assert normalize_vn_phone("(08) 3812 3456").e164 == "+84838123456"  # a mobile today


@pytest.mark.parametrize(
    ("raw", "record_date", "ambiguous"),
    [
        ("0838123456", date(2016, 5, 1), True),
        ("0838123456", datetime(2017, 8, 31, 23, 59), True),  # noqa: DTZ001
        ("0838123456", date(2017, 9, 1), False),
        ("0838123456", None, False),
        ("0313 812 345", date(2015, 1, 1), True),  # old Hải Phòng 031
        ("0563 812 345", date(2015, 1, 1), True),  # old Bình Định 056
        ("0553 812 345", date(2015, 1, 1), False),  # old Quảng Ngãi 055: no mobile, converted
        ("0773 812 345", date(2015, 1, 1), True),  # old Kiên Giang 077
        ("0912345678", date(2015, 1, 1), False),  # 09x was never a landline code
        ("0166 234 5678", date(2015, 1, 1), False),
        ("04 3812 3456", date(2015, 1, 1), False),  # converted, not ambiguous
    ],
)
def test_ambiguous_pre2017_landline(raw: str, record_date: date | None, ambiguous: bool) -> None:
    result = normalize_vn_phone(raw, record_date=record_date)
    assert result.valid
    assert (F.AMBIGUOUS_PRE2017_LANDLINE in result.flags) is ambiguous
    if ambiguous:
        assert result.type == PhoneType.MOBILE


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("1900 1234", PhoneType.PREMIUM_RATE),
        ("1900 123456", PhoneType.PREMIUM_RATE),
        ("1800 1234", PhoneType.TOLL_FREE),
        ("1800 123456", PhoneType.TOLL_FREE),
        ("199 2345", PhoneType.OTHER),  # UAN
    ],
)
def test_service_numbers_are_non_personal(raw: str, kind: PhoneType) -> None:
    result = normalize_vn_phone(raw)
    assert result.valid
    assert result.type == kind
    assert result.flags == (F.NON_PERSONAL,)
    assert not result.is_personal


@pytest.mark.parametrize(
    "raw", ["không có", "KHONG CO", "ko có", "n/a", "N/A", "-", "--", "x", "none", "chưa có"]
)
def test_text_placeholders(raw: str) -> None:
    result = normalize_vn_phone(raw)
    assert result == PhoneResult(raw, None, None, (F.PLACEHOLDER,), None)


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("0000000000", False),
        ("0", False),
        ("0123456789", False),
        ("123456789", False),
        ("1234567890", True),  # 0123 → 083: a valid mobile, but still a placeholder
        ("1111111111", False),
        ("0999999999", True),
        ("+84 999 999 999", True),
    ],
)
def test_digit_placeholders(raw: str, valid: bool) -> None:
    result = normalize_vn_phone(raw)
    assert F.PLACEHOLDER in result.flags
    assert result.valid is valid
    assert not result.is_personal


def test_ordinary_numbers_are_not_placeholders() -> None:
    for raw in ("0912345678", "0987654321", "0345678901", "0988888881", "028 3812 3456"):
        assert F.PLACEHOLDER not in normalize_vn_phone(raw).flags, raw


def test_result_properties() -> None:
    mobile = normalize_vn_phone("0912 345 678")
    assert mobile.valid
    assert mobile.is_personal
    assert mobile.zns == "84912345678"
    assert mobile.national == "0912345678"

    landline = normalize_vn_phone("04 3812 3456")
    assert landline.is_personal
    assert landline.national == "02438123456"
    assert landline.zns == "842438123456"

    premium = normalize_vn_phone("1900 1234")
    assert premium.valid
    assert not premium.is_personal
    assert premium.national == "19001234"  # dialled without the trunk 0

    foreign = normalize_vn_phone("+1 650 253 0000")
    assert foreign.is_personal
    assert foreign.zns is None
    assert foreign.national is None

    invalid = normalize_vn_phone("0123")
    assert not invalid.valid
    assert not invalid.is_personal
    assert invalid.zns is None
    assert invalid.national is None


def test_voip_is_valid_but_not_personal() -> None:
    result = normalize_vn_phone("0672 123 456")
    assert result.valid
    assert result.type == PhoneType.OTHER
    assert not result.is_personal


def test_result_is_frozen() -> None:
    result = normalize_vn_phone("0912345678")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.e164 = "x"  # type: ignore[misc]


# --- Search helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variants"),
    [
        ("0912 345 678", ("+84912345678",)),
        ("01662345678", ("+84362345678",)),
        ("08 3812 3456", ("+84838123456", "+842838123456")),
        ("0313 812 345", ("+84313812345", "+842253812345")),
        ("0912345678 / 0987123456", ("+84912345678", "+84987123456")),
        ("+1 650 253 0000", ("+16502530000",)),
        ("0123", ()),
        ("Nguyễn Lan", ()),
        ("", ()),
    ],
)
def test_phone_search_variants(query: str, variants: tuple[str, ...]) -> None:
    assert phone_search_variants(query) == variants


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("0912345678", True),
        ("091.234.5678", True),
        ("(028) 3812-3456", True),
        ("+84 912 345 678", True),
        ("０９１２３４５６７８", True),
        ("1234567", True),
        ("123456", False),
        ("+84 912", False),
        ("Lan 0912345678", False),
        ("lan@gmail.com", False),
        ("²³⁴⁵⁶⁷⁸", False),
        ("++0912345678", False),
        ("", False),
    ],
)
def test_looks_like_phone(query: str, expected: bool) -> None:
    assert looks_like_phone(query) is expected


# --- Properties --------------------------------------------------------------------------------


def _is_valid_mobile(nsn: str) -> bool:
    number = phonenumbers.parse(f"+84{nsn}")
    return phonenumbers.is_valid_number(number) and (
        phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    )


MOBILE_PREFIXES = [
    "32", "33", "34", "35", "36", "37", "38", "39", "52", "56", "58", "59", "70", "76", "77",
    "78", "79", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91", "92", "93",
    "94", "96", "97", "98", "99",
]  # fmt: skip
mobile_nsns = st.builds(
    str.__add__,
    st.sampled_from(MOBILE_PREFIXES),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
).filter(_is_valid_mobile)


def _formats(nsn: str) -> list[str | int]:
    national = "0" + nsn
    return [
        national,
        f"+84{nsn}",
        f"84{nsn}",
        f"0084{nsn}",
        nsn,
        int(nsn),
        f"{national[:4]} {national[4:7]} {national[7:]}",
        f"{national[:3]}.{national[3:6]}.{national[6:]}",
        f"{national[:4]}-{national[4:7]}-{national[7:]}",
        f"(+84) {national}",
        f"+84 {nsn[:2]} {nsn[2:5]} {nsn[5:]}",
        national.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        f" {national}\t",
    ]


@phone_settings
@given(mobile_nsns)
def test_every_format_of_a_mobile_gives_the_same_e164(nsn: str) -> None:
    for raw in _formats(nsn):
        result = normalize_vn_phone(raw)
        assert result.e164 == f"+84{nsn}", raw
        assert result.type == PhoneType.MOBILE
        assert result.nsn == nsn
        assert result.national == "0" + nsn
        assert result.zns == "84" + nsn


phone_like = st.one_of(
    st.text(alphabet="0123456789 +-.()/", max_size=30),
    st.builds(
        str.__add__,
        st.sampled_from(["0", "+84", "84", "0084", "", "+"]),
        st.text("0123456789", min_size=6, max_size=12),
    ),
    st.integers(min_value=0, max_value=10**13),
    st.text(max_size=20),
)


@phone_settings
@given(phone_like)
@example("84006900000")  # phonenumbers forgives "+8406…"; our e164 must still be canonical
@example("00912345678")
def test_normalising_the_output_again_changes_nothing(raw: str | int) -> None:
    result = normalize_vn_phone(raw)
    for item in (result, *result.secondary):
        if item.e164 is None:
            continue
        again = normalize_vn_phone(item.e164)
        assert again.e164 == item.e164
        assert again.type == item.type
        if item.national is not None:
            assert normalize_vn_phone(item.national).e164 == item.e164


@phone_settings
@given(phone_like, st.one_of(st.none(), st.dates()))
def test_result_invariants(raw: str | int, record_date: date | None) -> None:
    result = normalize_vn_phone(raw, record_date=record_date)
    for item in (result, *result.secondary):
        assert len(set(item.flags)) == len(item.flags)
        assert list(item.flags) == sorted(item.flags, key=list(PhoneFlag).index)
        assert item.valid == (item.type is not None)
        if not item.valid:
            assert {PhoneFlag.EMPTY, PhoneFlag.INVALID, PhoneFlag.PLACEHOLDER} & set(item.flags)
        if item.valid:
            assert item.e164 is not None
            assert phonenumbers.is_valid_number(phonenumbers.parse(item.e164))
            assert PhoneFlag.INVALID not in item.flags
        if item.is_personal:
            assert item.type in (PhoneType.MOBILE, PhoneType.FIXED_LINE, PhoneType.FOREIGN)
    assert result.raw == str(raw)
    assert all(not s.secondary for s in result.secondary)
