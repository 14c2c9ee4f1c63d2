"""Memoised normalisers for bulk work (imports): the same results, computed once per value.

A customer file repeats values a lot (birth dates, names, the same phone written in a row's
cells and then looked up again to match the row), and the normalisers are pure functions of
their arguments returning frozen results, so a bounded per-process cache is safe. The
bounds keep memory flat however long the file.
"""

from __future__ import annotations

import functools
from datetime import date

from hoso.engine.normalize.dates import DateResult, parse_vn_date
from hoso.engine.normalize.email import EmailResult, normalize_email
from hoso.engine.normalize.names import NameParts, parse_vn_name
from hoso.engine.normalize.phone import PhoneResult, normalize_vn_phone
from hoso.engine.normalize.text import fold

__all__ = ["cached_date", "cached_email", "cached_fold", "cached_name", "cached_phone"]

# Phones and e-mails are mostly distinct per customer: the cache serves the second and third
# look-up of the same cell within a chunk, so it only needs to span a few chunks.
_CONTACTS = 1 << 16
_DATES = 1 << 15  # every birth date of 120 years is 43,830 values; a file uses far fewer
_NAMES = 1 << 16


@functools.lru_cache(maxsize=_CONTACTS, typed=True)  # 903123456 (a number cell) is not "903123456"
def cached_phone(raw: str | int) -> PhoneResult:
    """:func:`~hoso.engine.normalize.normalize_vn_phone`, memoised.

    Examples:
        >>> cached_phone("0903 123 456").e164
        '+84903123456'
    """
    return normalize_vn_phone(raw)


@functools.lru_cache(maxsize=_CONTACTS)
def cached_email(raw: str) -> EmailResult:
    """:func:`~hoso.engine.normalize.normalize_email`, memoised.

    Examples:
        >>> cached_email("Lan@Gmail.com").value
        'lan@gmail.com'
    """
    return normalize_email(raw)


@functools.lru_cache(maxsize=_DATES, typed=True)  # an Excel serial 33303 is not 33303.5
def cached_date(
    raw: str | int | float | date, today: date, *, birth_date: bool = False
) -> DateResult:
    """:func:`~hoso.engine.normalize.parse_vn_date`, memoised.

    Examples:
        >>> cached_date("05/03/1990", date(2026, 1, 1), birth_date=True).value
        datetime.date(1990, 3, 5)
    """
    return parse_vn_date(raw, today=today, birth_date=birth_date)


@functools.lru_cache(maxsize=_NAMES)
def cached_name(raw: str) -> NameParts:
    """:func:`~hoso.engine.normalize.parse_vn_name`, memoised.

    Examples:
        >>> cached_name("Nguyễn Thị Lan").given
        'Lan'
    """
    return parse_vn_name(raw)


@functools.lru_cache(maxsize=_NAMES)
def cached_fold(text: str) -> str:
    """:func:`~hoso.engine.normalize.fold`, memoised.

    Examples:
        >>> cached_fold("Đà Nẵng")
        'da nang'
    """
    return fold(text)
