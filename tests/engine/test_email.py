import doctest
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoso.engine.normalize import email as email_module
from hoso.engine.normalize.email import (
    EmailFlag,
    EmailResult,
    email_match_key,
    looks_like_email,
    normalize_email,
)

F = EmailFlag


def test_doctests() -> None:
    assert doctest.testmod(email_module).failed == 0


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("lan.nguyen@gmail.com", "lan.nguyen@gmail.com"),
        ("  Lan.Nguyen@GMAIL.COM \n", "lan.nguyen@gmail.com"),
        ("lan.nguyen+shop@gmail.com", "lan.nguyen+shop@gmail.com"),  # kept; see match key
        ("u@xn--bcher-kva.de", "u@bücher.de"),
        ("U@Bücher.DE", "u@bücher.de"),
        (unicodedata.normalize("NFD", "nguyễn@gmail.com"), "nguyễn@gmail.com"),
        ("mailto:Lan@Gmail.com", "lan@gmail.com"),
        ("<lan@gmail.com>", "lan@gmail.com"),
        ("lan@công-ty.vn", "lan@công-ty.vn"),
    ],
)
def test_normalised_value(raw: str, value: str) -> None:
    result = normalize_email(raw)
    assert result.value == value
    assert result.raw == raw
    assert result.flags == ()
    assert result.valid
    assert result.is_personal


@pytest.mark.parametrize("raw", [None, "", "   ", "\u200b"])
def test_empty(raw: str | None) -> None:
    assert normalize_email(raw) == EmailResult(raw, None, (F.EMPTY,))


@pytest.mark.parametrize(
    "raw",
    ["lan", "lan@", "@gmail.com", "lan@gmail", "lan..nguyen@gmail.com", "lan@@gmail.com",
     "lan nguyen@gmail.com", "lan@localhost", "lan@x.invalid", "0912345678"],
)  # fmt: skip
def test_invalid(raw: str) -> None:
    result = normalize_email(raw)
    assert result == EmailResult(raw, None, (F.INVALID,))
    assert not result.valid
    assert not result.is_personal


@pytest.mark.parametrize("raw", ["không có", "Khong co", "n/a", "-", "none", "chưa có"])
def test_placeholder_text(raw: str) -> None:
    assert normalize_email(raw) == EmailResult(raw, None, (F.PLACEHOLDER,))


@pytest.mark.parametrize(
    "raw",
    [
        "test@test.com",
        "a@a.com",
        "abc@abc.vn",
        "noemail@gmail.com",
        "no-email@shop.vn",
        "khongco@gmail.com",
        "khongco+1@gmail.com",
        "lan@example.com",
        "lan@example.org",
        "lan@example.net",
        "TEST@gmail.com",
    ],
)
def test_placeholder_addresses_are_valid_but_not_personal(raw: str) -> None:
    result = normalize_email(raw)
    assert result.valid
    assert F.PLACEHOLDER in result.flags
    assert not result.is_personal


@pytest.mark.parametrize(
    "raw",
    [
        "info@shop.vn",
        "admin@shop.vn",
        "sales@shop.vn",
        "contact@shop.vn",
        "support@shop.vn",
        "lienhe@shop.vn",
        "hotro@shop.vn",
        "ketoan@shop.vn",
        "noreply@shop.vn",
        "no-reply@shop.vn",
        "Info+web@Shop.vn",
    ],
)
def test_role_accounts(raw: str) -> None:
    result = normalize_email(raw)
    assert result.valid
    assert result.flags == (F.ROLE_ACCOUNT,)
    assert not result.is_personal


@pytest.mark.parametrize(
    "raw",
    [
        "lan@mailinator.com",
        "lan@10minutemail.com",
        "lan@guerrillamail.com",
        "lan@yopmail.com",
        "lan@temp-mail.org",
        "lan@trashmail.com",
        "lan@inbox.mailinator.com",
    ],
)
def test_disposable(raw: str) -> None:
    result = normalize_email(raw)
    assert result.valid
    assert result.flags == (F.DISPOSABLE,)
    assert not result.is_personal


@pytest.mark.parametrize(
    "raw", ["lan@notmailinator.com", "information@shop.vn", "lan@example.com.vn", "an@ab.com"]
)
def test_near_misses_are_personal(raw: str) -> None:
    assert normalize_email(raw).is_personal


def test_flags_combine_in_declaration_order() -> None:
    assert normalize_email("info@yopmail.com").flags == (F.ROLE_ACCOUNT, F.DISPOSABLE)
    assert normalize_email("test@example.com").flags == (F.PLACEHOLDER,)


@pytest.mark.parametrize(
    "raw",
    [
        "lan@gmail.com; hung@yahoo.com",
        "lan@gmail.com, hung@yahoo.com",
        "lan@gmail.com / hung@yahoo.com",
        "lan@gmail.com hung@yahoo.com",
        "lan@gmail.com|hung@yahoo.com",
        "Lan@Gmail.com\nhung@yahoo.com",
    ],
)
def test_multiple(raw: str) -> None:
    result = normalize_email(raw)
    assert result.raw == raw
    assert result.value == "lan@gmail.com"
    assert result.flags == (F.MULTIPLE,)
    assert [(s.value, s.flags) for s in result.secondary] == [("hung@yahoo.com", ())]
    assert result.is_personal


def test_multiple_takes_first_valid_and_keeps_the_rest() -> None:
    result = normalize_email("lan@ ; info@shop.vn ; hung@yahoo.com")
    assert result.value == "info@shop.vn"
    assert result.flags == (F.ROLE_ACCOUNT, F.MULTIPLE)
    assert [s.value for s in result.secondary] == [None, "hung@yahoo.com"]


def test_the_same_address_twice_is_one_address() -> None:
    result = normalize_email("lan@gmail.com; LAN@gmail.com")
    assert result.value == "lan@gmail.com"
    assert result.flags == ()
    assert result.secondary == ()


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("Lan.Nguyen@gmail.com", "lannguyen@gmail.com"),
        ("lan.nguyen+shopee@gmail.com", "lannguyen@gmail.com"),
        ("l.a.n@googlemail.com", "lan@gmail.com"),
        ("lan.nguyen+shopee@yahoo.com", "lan.nguyen+shopee@yahoo.com"),
        ("Lan.Nguyen@Company.VN", "lan.nguyen@company.vn"),
        ("not-an-email", "not-an-email"),
    ],
)
def test_email_match_key(value: str, key: str) -> None:
    assert email_match_key(value) == key


def test_match_key_joins_what_value_keeps_apart() -> None:
    a = normalize_email("lan.nguyen@gmail.com").value
    b = normalize_email("LanNguyen+zalo@gmail.com").value
    assert a is not None
    assert b is not None
    assert a != b
    assert email_match_key(a) == email_match_key(b)


@pytest.mark.parametrize(
    ("query", "expected"), [("lan@", True), ("@gmail", True), ("lan", False), ("", False)]
)
def test_looks_like_email(query: str, expected: bool) -> None:
    assert looks_like_email(query) is expected


@settings(max_examples=200)
@given(st.emails())
def test_normalising_the_value_again_changes_nothing(address: str) -> None:
    result = normalize_email(address)
    if result.value is None:
        return
    assert normalize_email(result.value).value == result.value
    assert email_match_key(email_match_key(result.value)) == email_match_key(result.value)


@settings(max_examples=200)
@given(st.one_of(st.emails(), st.text(max_size=40)))
def test_result_invariants(raw: str) -> None:
    result = normalize_email(raw)
    assert result.raw == raw
    for item in (result, *result.secondary):
        assert list(item.flags) == sorted(set(item.flags), key=list(EmailFlag).index)
        if item.value is not None:
            assert item.value == item.value.lower()
            assert item.value == item.value.strip()
            assert unicodedata.is_normalized("NFC", item.value)
            assert F.INVALID not in item.flags
        else:
            assert {F.EMPTY, F.INVALID, F.PLACEHOLDER} & set(item.flags)


# --- the validator shortcut (one validation per domain) -----------------------------------


def _full_validator(candidate: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


_LOCAL_CHARS = st.text(alphabet="abcXYZ019._+-'!#", min_size=0, max_size=70)
_DOMAIN = st.sampled_from(
    [
        "gmail.com", "GMAIL.COM", "yahoo.com.vn", "xn--bcher-kva.de", "bücher.de", "b.c",
        "localhost", "gmail", "-x.com", "x-.com", "a..com", "example.test", "shop.vn.",
        "1.2.3.4", "[1.2.3.4]", "x" * 63 + ".com", "x" * 64 + ".com",
        ".".join(["abcdefghij" * 6] * 4) + ".vn",
    ]
)  # fmt: skip


@given(local=_LOCAL_CHARS, domain=_DOMAIN)
@settings(max_examples=400, deadline=None)
def test_the_shortcut_agrees_with_the_validator(local: str, domain: str) -> None:
    candidate = f"{local}@{domain}"
    assert email_module._validated(candidate) == _full_validator(candidate)
