"""E-mail address normalisation: syntax check, display/identity form, and flags.

Syntax is checked with ``email_validator`` and deliverability never (no DNS, no network).
The normalised ``value`` keeps Gmail dots and ``+tags``; :func:`email_match_key` is the
looser key for matching.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email

from hoso.engine.normalize.text import fold, nfc

__all__ = ["EmailFlag", "EmailResult", "email_match_key", "looks_like_email", "normalize_email"]


class EmailFlag(StrEnum):
    """Something worth knowing about an e-mail value.

    Flags in a result are always in the declaration order below.
    """

    EMPTY = "empty"
    INVALID = "invalid"
    PLACEHOLDER = "placeholder"
    ROLE_ACCOUNT = "role_account"
    DISPOSABLE = "disposable"
    MULTIPLE = "multiple"


_NOT_PERSONAL = frozenset({EmailFlag.PLACEHOLDER, EmailFlag.ROLE_ACCOUNT, EmailFlag.DISPOSABLE})


@dataclass(frozen=True, slots=True)
class EmailResult:
    """The outcome of normalising one e-mail cell.

    Attributes:
        raw: The input exactly as given.
        value: The normalised address (NFC, lower case, Unicode domain); ``None`` unless
            the syntax is valid.
        flags: Observations, in :class:`EmailFlag` declaration order, no duplicates.
        secondary: The other addresses of a multi-address cell, in cell order.
    """

    raw: str | None
    value: str | None
    flags: tuple[EmailFlag, ...]
    secondary: tuple[EmailResult, ...] = ()

    @property
    def valid(self) -> bool:
        """Whether the address is syntactically valid."""
        return self.value is not None

    @property
    def is_personal(self) -> bool:
        """Whether the address may identify a person (no placeholder, role or disposable)."""
        return self.valid and not _NOT_PERSONAL.intersection(self.flags)


# Local parts (before any "+tag") that stand for "no e-mail" or a test entry.
_PLACEHOLDER_LOCALS = frozenset(
    {
        "test", "test1", "test123", "testing", "noemail", "no-email", "no.email", "nomail",
        "no-mail", "none", "null", "nil", "na", "n.a", "khongco", "khong", "khongcoemail",
        "khongcomail", "chuaco", "email", "mail", "abc", "abcd", "asdf", "xxx", "xyz", "fake",
        "dummy", "sample", "example", "123", "1234", "123456",
    }
)  # fmt: skip
# Domains reserved for documentation (RFC 2606) or only ever typed as filler.
_PLACEHOLDER_DOMAINS = frozenset({"example.com", "example.org", "example.net", "test.com"})
# "a@a.com", "abc@abc.vn": a short local part repeating the domain name.
_MAX_ECHO_LOCAL = 3
# Non-address text seen in e-mail columns, compared on the folded form.
_PLACEHOLDER_TEXT = frozenset(
    {"", "khong co", "khong", "ko co", "chua co", "n a", "na", "none", "null", "no", "x", "xxx"}
)

_ROLE_LOCALS = frozenset(
    {
        "info", "admin", "administrator", "sales", "contact", "support", "lienhe", "hotro",
        "ketoan", "noreply", "no-reply", "donotreply", "do-not-reply", "cskh", "webmaster",
        "postmaster", "hostmaster", "billing", "marketing", "office", "hello", "kinhdoanh",
        "tuyendung", "hr",
    }
)  # fmt: skip

# A small, deliberately conservative list of well-known throwaway-mailbox services.
_DISPOSABLE_DOMAINS = frozenset(
    {
        "mailinator.com", "10minutemail.com", "10minutemail.net", "guerrillamail.com",
        "guerrillamail.net", "guerrillamail.org", "guerrillamailblock.com", "sharklasers.com",
        "grr.la", "yopmail.com", "yopmail.fr", "yopmail.net", "temp-mail.org", "temp-mail.io",
        "tempmail.com", "tempmail.net", "tempmailo.com", "trashmail.com", "trashmail.de",
        "trashmail.net", "throwawaymail.com", "getnada.com", "nada.email", "maildrop.cc",
        "dispostable.com", "fakeinbox.com", "mintemail.com", "mohmal.com", "emailondeck.com",
        "spamgourmet.com", "mailnesia.com", "mytemp.email", "tempr.email", "discard.email",
        "moakt.com", "burnermail.io",
    }
)  # fmt: skip

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# Separators between several addresses in one cell (only used when there are several "@").
_MULTI_SEPARATORS = re.compile(r"[\s,;|/]+")


def normalize_email(raw: str | None) -> EmailResult:
    """Normalise one e-mail cell.

    The syntax is checked with ``email_validator`` (``check_deliverability=False``: no DNS
    query, ever). The value is NFC, stripped and lower-cased, with an internationalised
    domain in its Unicode form (``xn--bcher-kva.de`` → ``bücher.de``). Gmail dots and
    ``+tags`` are kept; use :func:`email_match_key` to compare addresses.

    Several addresses in one cell are split on whitespace, ``, ; | /``; the first valid one
    becomes the value and the others go to ``secondary``.

    Args:
        raw: The cell as read; ``None`` and blank strings give an ``empty`` result.

    Returns:
        An :class:`EmailResult`; ``value`` is ``None`` unless the syntax is valid.

    Examples:
        >>> normalize_email("  Lan.Nguyen@GMAIL.com ").value
        'lan.nguyen@gmail.com'
        >>> [f.value for f in normalize_email("info@shop.vn").flags]
        ['role_account']
        >>> r = normalize_email("a@x.vn; b@y.vn")
        >>> r.value, r.secondary[0].value, [f.value for f in r.flags]
        ('a@x.vn', 'b@y.vn', ['multiple'])
        >>> normalize_email("không có").flags[0].value
        'placeholder'
    """
    if raw is None:
        return EmailResult(None, None, (EmailFlag.EMPTY,))
    text = nfc(raw)
    if not text:
        return EmailResult(raw, None, (EmailFlag.EMPTY,))
    if "@" not in text and fold(text) in _PLACEHOLDER_TEXT:
        return EmailResult(raw, None, (EmailFlag.PLACEHOLDER,))
    if text.count("@") <= 1:
        return _normalize_single(raw, text)
    parts = [p for p in _MULTI_SEPARATORS.split(text) if "@" in p]
    if len(parts) <= 1:
        return _normalize_single(raw, text)
    results = [_normalize_single(part, part) for part in parts]
    primary = next((r for r in results if r.valid), results[0])
    seen = {primary.value}
    secondary: list[EmailResult] = []
    for result in results:
        if result is primary or (result.valid and result.value in seen):
            continue
        seen.add(result.value)
        secondary.append(result)
    if not secondary:  # the same address written twice
        return EmailResult(raw, primary.value, primary.flags)
    return EmailResult(
        raw, primary.value, _ordered({*primary.flags, EmailFlag.MULTIPLE}), tuple(secondary)
    )


def email_match_key(value: str) -> str:
    """Return the key under which two addresses count as the same mailbox.

    Lower-cases the address; for Gmail (``gmail.com`` and its alias ``googlemail.com``,
    both mapped to ``gmail.com``) also drops the dots and any ``+tag`` of the local part,
    because Gmail delivers all of those to one mailbox. Other providers treat them
    differently, so their addresses are only lower-cased.

    Args:
        value: An address, normally :attr:`EmailResult.value`.

    Returns:
        The matching key.

    Examples:
        >>> email_match_key("Lan.Nguyen+shop@googlemail.com")
        'lannguyen@gmail.com'
        >>> email_match_key("lan.nguyen+shop@yahoo.com")
        'lan.nguyen+shop@yahoo.com'
    """
    address = unicodedata.normalize("NFC", value.strip()).lower()
    local, at, domain = address.rpartition("@")
    if not at or domain not in _GMAIL_DOMAINS:
        return address
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@gmail.com"


def looks_like_email(q: str) -> bool:
    """Tell whether a search query should be looked up as an e-mail address.

    Args:
        q: A search query.

    Returns:
        True if the query contains an ``@``.

    Examples:
        >>> looks_like_email("lan@"), looks_like_email("Lan")
        (True, False)
    """
    return "@" in q


_FLAG_ORDER = tuple(EmailFlag)  # iterating the enum class itself is slow


def _ordered(flags: set[EmailFlag]) -> tuple[EmailFlag, ...]:
    if not flags:
        return ()
    return tuple(flag for flag in _FLAG_ORDER if flag in flags)


# email_validator costs ~80 µs an address, mostly on the domain. For the common shape (an
# ASCII dot-atom local part of letters, digits, "_", "+", "-" and single inner dots), whether
# the address is valid and how it normalises depends on the domain alone (and the lengths),
# so the validator checks each domain once, on a stand-in local part; anything else goes to
# the validator whole. tests/engine/test_email.py compares both on generated addresses.
_SIMPLE_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")
_MAX_LOCAL = 64
_MAX_ADDRESS = 254
_DOMAINS: dict[str, str | None] = {}
_MAX_DOMAINS = 10_000


def _validated(candidate: str) -> str | None:
    """The validator's normalised form of ``candidate``, or None if it is not valid."""
    local, at, domain = candidate.rpartition("@")
    if (
        at
        and candidate.isascii()
        and len(local) <= _MAX_LOCAL
        and len(candidate) <= _MAX_ADDRESS
        and _SIMPLE_LOCAL.fullmatch(local)
    ):
        if domain not in _DOMAINS:
            if len(_DOMAINS) >= _MAX_DOMAINS:
                _DOMAINS.clear()
            try:
                checked = validate_email(f"a@{domain}", check_deliverability=False)
            except EmailNotValidError:
                _DOMAINS[domain] = None
            else:
                _DOMAINS[domain] = checked.domain
        normalized_domain = _DOMAINS[domain]
        return None if normalized_domain is None else f"{local}@{normalized_domain}"
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@functools.lru_cache(maxsize=4096)
def _disposable(domain: str) -> bool:
    return any(domain == d or domain.endswith(f".{d}") for d in _DISPOSABLE_DOMAINS)


def _normalize_single(raw: str, text: str) -> EmailResult:
    candidate = text.strip("<>")
    if candidate[:7].lower() == "mailto:":
        candidate = candidate[7:]
    normalized = _validated(candidate)
    if normalized is None:
        return EmailResult(raw, None, (EmailFlag.INVALID,))
    value = unicodedata.normalize("NFC", normalized.lower())
    local, _, domain = value.rpartition("@")
    base_local = local.split("+", 1)[0]
    flags: set[EmailFlag] = set()
    if (
        base_local in _PLACEHOLDER_LOCALS
        or domain in _PLACEHOLDER_DOMAINS
        or (len(base_local) <= _MAX_ECHO_LOCAL and base_local == domain.split(".", 1)[0])
    ):
        flags.add(EmailFlag.PLACEHOLDER)
    if base_local in _ROLE_LOCALS:
        flags.add(EmailFlag.ROLE_ACCOUNT)
    if _disposable(domain):
        flags.add(EmailFlag.DISPOSABLE)
    return EmailResult(raw, value, _ordered(flags))
