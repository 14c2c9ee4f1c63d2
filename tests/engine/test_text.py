import doctest
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoso.engine.normalize import text as text_module
from hoso.engine.normalize.text import fold, is_blank, nfc

# Vietnamese letters in both cases, plus ASCII, digits, punctuation and odd whitespace, so
# generated strings look like real names and addresses instead of random code points.
VIETNAMESE = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)
ALPHABET = VIETNAMESE + VIETNAMESE.upper() + "0123456789 .,-_/'()\t\n\u00a0\u200b０９Ａ"
vietnamese_text = st.text(alphabet=ALPHABET, max_size=40)
any_text = st.one_of(vietnamese_text, st.text(max_size=40))


def test_doctests() -> None:
    assert doctest.testmod(text_module).failed == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Thị Lan", "nguyen thi lan"),
        ("ĐẶNG VĂN ĐỨC", "dang van duc"),
        ("Đặng Văn Đức", "dang van duc"),
        ("Huỳnh Thị Ánh Tuyết", "huynh thi anh tuyet"),
        ("Lê Hữu Ưng", "le huu ung"),
        ("Thuỷ", "thuy"),
        ("Thủy", "thuy"),
        ("Hoà", "hoa"),
        ("  Nguyễn---Văn...A  ", "nguyen van a"),
        ("Công ty TNHH A.B.C", "cong ty tnhh a b c"),
        ("snake_case", "snake case"),
        ("ＡＢＣ　１２３", "abc 123"),
        ("Straße", "strasse"),
        ("!!!", ""),
        ("", ""),
    ],
)
def test_fold_examples(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_fold_same_for_nfc_and_nfd_input() -> None:
    name = "Nguyễn Thị Thủy Đặng"
    nfd = unicodedata.normalize("NFD", name)
    assert nfd != name
    assert fold(nfd) == fold(name) == "nguyen thi thuy dang"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Nguyễn   Thị\tLan \n", "Nguyễn Thị Lan"),
        (unicodedata.normalize("NFD", "Nguyễn"), "Nguyễn"),
        ("ĐẶNG Văn", "ĐẶNG Văn"),
        ("Lan\u200b Anh\ufeff", "Lan Anh"),
        ("a\u00a0\u00a0b", "a b"),
        ("", ""),
    ],
)
def test_nfc_examples(raw: str, expected: str) -> None:
    assert nfc(raw) == expected


def test_nfc_output_is_nfc() -> None:
    assert unicodedata.is_normalized("NFC", nfc(unicodedata.normalize("NFD", "Thủy")))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, True),
        ("", True),
        ("   ", True),
        ("\t\n\u00a0\u200b", True),
        ("-", False),
        ("a", False),
    ],
)
def test_is_blank(raw: str | None, expected: bool) -> None:
    assert is_blank(raw) is expected


@settings(max_examples=300)
@given(any_text)
def test_fold_is_idempotent(s: str) -> None:
    assert fold(fold(s)) == fold(s)


@settings(max_examples=300)
@given(any_text)
def test_fold_is_invariant_under_normalisation_forms(s: str) -> None:
    key = fold(s)
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        assert fold(unicodedata.normalize(form, s)) == key


@settings(max_examples=300)
@given(any_text)
def test_fold_output_shape(s: str) -> None:
    key = fold(s)
    assert key == key.strip()
    assert "  " not in key
    assert all(c == " " or c.isalnum() for c in key)
    assert not any(unicodedata.category(c).startswith("M") for c in key)
    assert "đ" not in key
    assert key == key.casefold()


@settings(max_examples=300)
@given(vietnamese_text)
def test_fold_of_vietnamese_is_ascii(s: str) -> None:
    assert fold(s).isascii()


@settings(max_examples=300)
@given(any_text)
def test_nfc_is_idempotent_and_keeps_letters(s: str) -> None:
    once = nfc(s)
    assert nfc(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert once == once.strip()
    assert "  " not in once
    assert fold(once) == fold(s)


@settings(max_examples=200)
@given(any_text)
def test_is_blank_agrees_with_nfc(s: str) -> None:
    assert is_blank(s) == (nfc(s) == "")
