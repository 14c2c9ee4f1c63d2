import doctest
from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hoso.engine.matching import prepare_record, to_row
from hoso.engine.matching import record as record_module


def test_doctests() -> None:
    assert doctest.testmod(record_module).failed == 0


@pytest.mark.parametrize(
    ("raw", "given", "family", "words"),
    [
        ("Nguyễn Thị Lan", "lan", "nguyen", ("nguyen", "thi", "lan")),
        ("lan nguyen", "lan", "nguyen", ("nguyen", "lan")),
        ("Chị Lan", "lan", None, ("lan",)),
        ("Anh Tuấn", "tuan", None, ("tuan",)),
        ("Cô Hoa", "hoa", None, ("hoa",)),
        ("Hung Nguyen Van", "hung", "nguyen", ("nguyen", "van", "hung")),
        ("NGUYỄN VĂN HÙNG", "hung", "nguyen", ("nguyen", "van", "hung")),
    ],
)
def test_names_fold_and_lose_honorifics(
    raw: str, given: str, family: str | None, words: tuple[str, ...]
) -> None:
    record = prepare_record("1", full_name=raw)
    assert (record.given, record.family, record.name_words) == (given, family, words)
    assert record.full_name == raw  # kept exactly as given


def test_family_and_given_columns_are_joined() -> None:
    record = prepare_record("1", family_name="Trần Thị", given_name="Mai")
    assert record.full_name == "Trần Thị Mai"
    assert record.given == "mai"


def test_phones_are_e164_after_the_2018_conversion() -> None:
    record = prepare_record("1", phones=["0903 123 456", "01203123456", "+84 903123456"])
    assert record.phones == ("+84703123456", "+84903123456")


def test_junk_and_placeholders_are_dropped_and_listed() -> None:
    record = prepare_record(
        "1",
        phones=["0000000000", "0987654321", "abc", "1800 1090"],
        emails=["info@shop.vn", "test@example.com", "khong co"],
        identifiers=[("external_id", "0"), ("external_id", "n/a"), ("zalo_id", "")],
    )
    assert record.phones == ()
    assert record.emails == ()
    assert record.identifiers == ()
    reasons = {(d.kind, d.reason) for d in record.dropped}
    assert ("phone", "placeholder") in reasons
    assert ("phone", "junk") in reasons
    assert ("phone", "invalid") in reasons
    assert ("email", "not_personal") in reasons
    assert ("email", "placeholder") in reasons
    assert ("external_id", "junk") in reasons
    assert not record.has_identifier


def test_gmail_addresses_compare_by_mailbox() -> None:
    a = prepare_record("1", emails=["Lan.Nguyen+shop@GMAIL.com"])
    b = prepare_record("2", emails=["lannguyen@googlemail.com"])
    assert a.emails == b.emails == ("lannguyen@gmail.com",)


def test_birth_dates_in_vietnamese_formats() -> None:
    assert prepare_record("1", birth_date="02/05/1990").birth_date == date(1990, 5, 2)
    only_year = prepare_record("1", birth_date="1990")
    assert (only_year.birth_date, only_year.birth_year) == (None, 1990)


def test_address_gives_2025_codes() -> None:
    record = prepare_record("1", address="12 Lê Lợi, Phường Bến Nghé, Quận 1, TP.HCM")
    assert (record.province, record.ward) == ("79", "26740")
    known = prepare_record("1", address="whatever", province_code="01", ward_code="00004")
    assert (known.province, known.ward) == ("01", "00004")


def test_the_street_line_is_kept_when_it_names_a_house() -> None:
    parsed = prepare_record("1", address="Số 12 đường Lê Lợi, Phường Bến Nghé, Quận 1, TP.HCM")
    assert (parsed.ward, parsed.street) == ("26740", "12 le loi")
    assert parsed.address_key == ("address", "26740|12 le loi")
    # Stored values: the codes are known and the address is the street line alone.
    stored = prepare_record("2", address="12 Le Loi", province_code="79", ward_code="26740")
    assert stored.street == "12 le loi"
    assert to_row(stored)["street"] == "12 le loi"
    # No house: the province alone, a street without a number, a hamlet.
    assert prepare_record("3", address="Thành phố Hà Nội").street is None
    assert prepare_record("4", address="Lê Lợi, Phường Bến Nghé, TP.HCM").street is None
    assert prepare_record("5", address="Thôn 3, Xã Xuân Quế, Đồng Nai").address_key is None


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("12 Lê Lợi", "12 le loi"),
        ("Số 12, Đường Lê Lợi", "12 le loi"),
        ("SN 12 LE LOI", "12 le loi"),
        ("Hẻm 45/2 Nguyễn Trãi", "hem 45 2 nguyen trai"),
        ("Ngõ 5 Phố Huế", "ngo 5 pho hue"),
        ("Phòng 1203, Chung cư Hoàng Anh", "phong 1203 chung cu hoang anh"),
        ("Số 5, Thôn 3", "5 thon 3"),
        ("Thôn 3", None),
        ("Tổ 5, Khu phố 2", None),
        ("Ấp 4", None),
        ("Km 12, Quốc lộ 1A", None),
        ("Lê Lợi", None),
        ("12", None),
        ("", None),
        (None, None),
    ],
)
def test_street_key(line: str | None, key: str | None) -> None:
    assert record_module.street_key(line) == key


def test_organisations_are_not_people() -> None:
    record = prepare_record("1", full_name="Công ty TNHH Hoa Mai", phones=["0903123456"])
    assert record.name_words == ()
    assert record.dropped[0].reason == "organisation"


def test_row_has_null_for_empty_lists_and_masks_for_typos() -> None:
    row = to_row(prepare_record("1", full_name="Lan", phones=["0903123456"]))
    assert row["emails"] is None
    assert row["ids"] is None
    masks = row["phone_masks"]
    assert isinstance(masks, list)
    assert "+84_03123456" in masks
    assert len(masks) == 9
    swapped = to_row(prepare_record("1", birth_date="02/05/1990"))
    assert swapped["birth_swap"] == "1990-02-05"
    assert to_row(prepare_record("1", birth_date="20/05/1990"))["birth_swap"] is None


@given(st.text(max_size=40))
def test_preparing_a_name_never_fails_and_its_words_are_stable(name: str) -> None:
    once = prepare_record("1", full_name=name)
    assert all(w == w.strip() and w for w in once.name_words)
    # Spacing changes nothing.
    spaced = prepare_record("1", full_name=" ".join(name.split()) or None)
    assert spaced.name_words == once.name_words
    # Its folded words read again give no new word. The order may change ("A:AU" is one
    # word, "a au" reads as Âu A), and a word folded into a title may go: "Ánh Vũ" is a
    # name, "anh vu" is "anh" (a title) Vũ.
    again = prepare_record("1", full_name=" ".join(once.name_words) or None)
    assert not Counter(again.name_words) - Counter(once.name_words)


@pytest.mark.parametrize(
    ("name", "words", "given"),
    [
        ("X\r0A", (), None),  # the digits gone, "X" alone is a placeholder
        ("MR\x1bA", ("a",), "a"),  # read as its folded words: "Mr" is a title
        ("Chị Lan 2", ("lan",), "lan"),  # a shop's second Lan: the number is no name
        ("Nguyễn Văn 2 An", ("nguyen", "van", "an"), "an"),
    ],
)
def test_names_with_digits_or_glued_titles_read_as_their_words(
    name: str, words: tuple[str, ...], given: str | None
) -> None:
    record = prepare_record("1", full_name=name)
    assert (record.name_words, record.given) == (words, given)
