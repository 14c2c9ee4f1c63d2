"""The record the matcher compares, and the one way to build it from raw values.

Everything that decides whether two records are one customer is computed here, once, from
the hoso normalisers: folded name words without honorifics, E.164 phones after the 2018
prefix conversion, e-mail match keys, 2025 province and ward codes. ``hoso dedupe``, the
database side and the benchmarks all call :func:`prepare_record`, so they normalise
identically. Raw values are kept for display; nothing here changes a stored value.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from hoso.engine.address import parse_address
from hoso.engine.normalize import (
    PhoneFlag,
    fold,
    nfc,
    normalize_email,
    normalize_vn_phone,
    parse_vn_date,
    parse_vn_name,
)
from hoso.engine.normalize.email import email_match_key
from hoso.engine.normalize.names import NameFlag

__all__ = [
    "IDENTIFIER_KINDS",
    "Dropped",
    "MatchRecord",
    "Row",
    "mark_shared",
    "prepare_record",
    "street_key",
    "to_row",
]

#: Strong identifier kinds besides phone and e-mail (one value identifies one customer).
IDENTIFIER_KINDS: Final = ("external_id", "zalo_id", "loyalty_card", "user_id", "anonymous_id")

# Values typed as filler in identifier columns, compared folded (phones and e-mails have
# their own placeholder detection in hoso.engine.normalize).
_JUNK_IDENTIFIERS: Final = frozenset(
    {
        "", "0", "00", "000", "0000", "1", "123", "1234", "12345", "123456", "na", "n a",
        "none", "null", "nil", "x", "xx", "xxx", "khong", "khong co", "chua co", "test",
        "unknown", "undefined", "guest", "khach le", "-",
    }
)  # fmt: skip
# Numbers that are valid but typed as filler far more often than they are anyone's phone.
_JUNK_PHONES: Final = frozenset({"+84987654321", "+84912345678", "+84909090909", "+84901234567"})

#: A flat row of the values the comparisons read (see :func:`to_row`).
Row = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Dropped:
    """A value left out of matching, and why.

    ``reason`` is ``placeholder``, ``invalid``, ``junk``, ``not_personal`` or
    ``organisation``.
    """

    kind: str
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """One source record, normalised for matching.

    Attributes:
        record_id: The caller's id (a source record id, a row number...), unique in a batch.
        full_name: The name exactly as given (display only).
        name_words: Folded words of the name, honorifics and digits left out, in order.
        family: Folded family name, if one could be placed.
        middle: Folded middle name(s), space-separated.
        given: Folded given name (the word people are called by).
        birth_date: Full birth date, if known.
        birth_year: Year of birth, also when only the year is known.
        gender: ``female``, ``male`` or ``other``; ``None`` when unknown.
        phones: E.164 numbers, legacy prefixes converted, placeholders and junk left out.
        emails: E-mail match keys (lower case, Gmail dots and ``+tags`` dropped), personal
            addresses only (no role, placeholder or disposable mailbox).
        identifiers: Other strong identifiers as sorted ``(kind, value)`` pairs.
        province: 2025 province code (NSO), if the address named one.
        ward: 2025 ward code (NSO), if exactly one fits.
        street: The street line folded for comparison (house number and street, see
            :func:`street_key`), when it names a house; ``None`` for a hamlet or a street
            without a number, and for an address used by too many records (see
            :func:`mark_shared`).
        address: The raw address line (display only).
        source: Where the record came from (``pos``, ``web``, a file name...), optional.
        dropped: Values left out of matching, and why.
        shared_phones: Those of ``phones`` known to be used by several people (a family
            phone, a shop's number): they compare at a weaker level and never merge on
            their own. Set by :func:`mark_shared` (batch) or ``prepare_record`` (stored
            identifiers flagged shared).
    """

    record_id: str
    full_name: str | None = None
    name_words: tuple[str, ...] = ()
    family: str | None = None
    middle: str | None = None
    given: str | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    gender: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    province: str | None = None
    ward: str | None = None
    street: str | None = None
    address: str | None = None
    source: str | None = None
    dropped: tuple[Dropped, ...] = field(default=(), compare=False)
    shared_phones: tuple[str, ...] = ()

    @property
    def has_identifier(self) -> bool:
        """Whether the record carries any phone, e-mail or other strong identifier."""
        return bool(self.phones or self.emails or self.identifiers)

    @property
    def usable(self) -> bool:
        """Whether the record can match anything at all (a name or an identifier)."""
        return bool(self.name_words or self.has_identifier)

    @property
    def address_key(self) -> tuple[str, str] | None:
        """``("address", "<ward>|<street>")``: the house, as shared values name it.

        ``None`` without a ward or a street line. Households share it, so it is never an
        identifier; an address carried by too many records (a shop's own address typed on
        walk-in orders) is marked shared and its street left out (:func:`mark_shared`).
        """
        if self.ward is None or self.street is None:
            return None
        return ("address", f"{self.ward}|{self.street}")

    def strong_identifiers(self) -> tuple[tuple[str, str], ...]:
        """Every strong identifier as ``(kind, value)``: phones, e-mails, then the others."""
        return (
            *(("phone", p) for p in self.phones),
            *(("email", e) for e in self.emails),
            *self.identifiers,
        )


def prepare_record(
    record_id: str,
    *,
    full_name: str | None = None,
    family_name: str | None = None,
    given_name: str | None = None,
    birth_date: date | str | None = None,
    gender: str | None = None,
    phones: Iterable[str | int | None] = (),
    emails: Iterable[str | None] = (),
    identifiers: Iterable[tuple[str, str | None]] = (),
    address: str | None = None,
    ward: str | None = None,
    district: str | None = None,
    province: str | None = None,
    province_code: str | None = None,
    ward_code: str | None = None,
    source: str | None = None,
    shared_phones: Iterable[str] = (),
    phones_e164: bool = False,
    today: date | None = None,
) -> MatchRecord:
    """Build a :class:`MatchRecord` from raw values, normalising each one for matching.

    Phones go through :func:`~hoso.engine.normalize.normalize_vn_phone` (a cell with
    several numbers gives all of them), e-mails through
    :func:`~hoso.engine.normalize.normalize_email` then
    :func:`~hoso.engine.normalize.email_match_key`, the name through
    :func:`~hoso.engine.normalize.parse_vn_name` (honorifics such as Chị, Anh, Cô, Chú,
    Bác, Em, Ông, Bà stripped) and :func:`~hoso.engine.normalize.fold`, the address through
    :func:`~hoso.engine.address.parse_address` (cached per distinct text). Placeholders,
    invalid values, junk identifiers and non-personal mailboxes are left out and listed in
    ``dropped``. Pass ``province_code``/``ward_code`` when the 2025 codes are already
    known (the database keeps them) to skip address parsing: ``address`` is then the
    street line as stored (what parsing left once the units were taken out).

    Args:
        record_id: The caller's id for this record.
        full_name: The whole name; else ``family_name`` and ``given_name`` are joined.
        family_name: A separate family-name column.
        given_name: A separate given-name column.
        birth_date: A date, or text in any Vietnamese format (``dd/mm/yyyy``, a year...).
        gender: ``female``/``male``/``other`` or a Vietnamese word (``Nữ``, ``Nam``).
        phones: Phone cells as written.
        emails: E-mail cells as written.
        identifiers: ``(kind, value)`` pairs, e.g. ``("external_id", "KH001")``.
        address: The address line (the street line alone when the codes are given).
        ward: A separate ward column.
        district: A separate (pre-2025) district column.
        province: A separate province column.
        province_code: The 2025 province code, when already known.
        ward_code: The 2025 ward code, when already known.
        source: Where the record comes from.
        shared_phones: Phones known to be shared by several people (the database flags
            them); any format.
        phones_e164: The phones are already E.164 as :func:`normalize_vn_phone` gives
            them (stored values): skip normalising them again (junk numbers are still left
            out). A batch of a million records saves about two minutes.
        today: Reference date for birth-date plausibility (default: no future check).

    Returns:
        The prepared record.

    Examples:
        >>> r = prepare_record("1", full_name="Chị Lan", phones=["01203123456"])
        >>> r.given, r.name_words, r.phones
        ('lan', ('lan',), ('+84703123456',))
        >>> prepare_record("2", phones=["0000000000"]).dropped[0].reason
        'placeholder'
    """
    dropped: list[Dropped] = []
    name = _name(full_name, family_name, given_name)
    family, middle, given, words, drop = (
        _name_fields(name) if name else (None, None, None, (), None)
    )
    if drop is not None:
        dropped.append(drop)

    day, year = _birth(birth_date, today)
    line = address
    if province_code is None and any((address, ward, district, province)):
        province_code, ward_code, line = _parse_address_cached(address, ward, district, province)
    own = _e164(phones, dropped) if phones_e164 else _phones(phones, dropped)
    shared = set(_phones(shared_phones, [])) & set(own)
    return MatchRecord(
        record_id=str(record_id),
        full_name=nfc(name) if name else None,
        name_words=words,
        family=family,
        middle=middle,
        given=given,
        birth_date=day,
        birth_year=year,
        gender=_gender(gender),
        phones=own,
        emails=_emails(emails, dropped),
        identifiers=_identifiers(identifiers, dropped),
        province=province_code or None,
        ward=ward_code or None,
        street=street_key(line),
        address=nfc(address) if address else None,
        source=source,
        dropped=tuple(dropped),
        shared_phones=tuple(sorted(shared)),
    )


def mark_shared(
    records: Iterable[MatchRecord], shared: Iterable[tuple[str, str]]
) -> list[MatchRecord]:
    """The records with ``shared_phones`` set from shared ``(kind, value)`` values.

    A shared ``address`` (see :attr:`MatchRecord.address_key`: a house on too many
    records to be a household's) clears the record's ``street``: the street line then
    says nothing, the pair compares by ward. Records with nothing shared are returned as
    they are (no copy).
    """
    phones: set[str] = set()
    addresses: set[str] = set()
    for kind, value in shared:
        if kind == "phone":
            phones.add(value)
        elif kind == "address":
            addresses.add(value)
    out = []
    for record in records:
        mine = tuple(p for p in record.phones if p in phones)
        key = record.address_key if addresses else None
        crowded = key is not None and key[1] in addresses
        if mine != record.shared_phones or crowded:
            street = None if crowded else record.street
            out.append(dataclasses.replace(record, shared_phones=mine, street=street))
        else:
            out.append(record)
    return out


# Names repeat a lot (a shop has a few thousand distinct spellings per hundred thousand
# customers): the folded parts of each distinct spelling are computed once, and their
# strings are shared by every record that has them.
_NameFields = tuple[str | None, str | None, str | None, tuple[str, ...], Dropped | None]


@functools.lru_cache(maxsize=200_000)
def _name_fields(name: str) -> _NameFields:
    r"""The folded parts of a name (see :func:`_read_name`).

    Control and format characters are read as spaces, as folding reads them: "MR\x1bA" is
    "MR A" (a title and a name), not one word that folds into two.
    """
    if any(unicodedata.category(c).startswith("C") for c in name):
        cleaned = "".join(" " if unicodedata.category(c).startswith("C") else c for c in name)
        family, middle, given, words, dropped = _read_name(cleaned)
        if dropped is not None:
            dropped = Dropped(dropped.kind, nfc(name), dropped.reason)
        return family, middle, given, words, dropped
    return _read_name(name)


def _read_name(name: str) -> _NameFields:
    # Words with digits are no name words: read the name without them, so that "X 0A" is
    # read as "X" (a placeholder) and not as a name of one word "x" with no given name.
    kept = [w for w in name.split() if not any(c.isdigit() for c in fold(w))]
    if len(kept) != len(name.split()):
        if not kept:
            return None, None, None, (), Dropped("name", nfc(name), "placeholder")
        family, middle, given, words, dropped = _read_name(" ".join(kept))
        if dropped is not None:
            dropped = Dropped(dropped.kind, nfc(name), dropped.reason)
        return family, middle, given, words, dropped
    parts = parse_vn_name(name)
    if parts.given is not None:
        words = tuple(sys.intern(w) for w in _words(parts.family, parts.middle, parts.given))
        middle = " ".join(_name_words(parts.middle)) or None
        return (
            _intern(_last_word(parts.family)),
            _intern(middle),
            _intern(_last_word(parts.given)),
            words,
            None,
        )
    if NameFlag.ORGANISATION in parts.flags:
        return None, None, None, (), Dropped("name", parts.full, "organisation")
    if parts.full:
        return None, None, None, (), Dropped("name", parts.full, "placeholder")
    return None, None, None, (), None


def _intern(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


def _e164(values: Iterable[str | int | None], dropped: list[Dropped]) -> tuple[str, ...]:
    out: set[str] = set()
    for value in values:
        if not value:
            continue
        text = sys.intern(str(value))
        if text in _JUNK_PHONES:
            dropped.append(Dropped("phone", text, "junk"))
        else:
            out.add(text)
    return tuple(sorted(out))


@functools.lru_cache(maxsize=65536)
def _parse_address_cached(
    address: str | None, ward: str | None, district: str | None, province: str | None
) -> tuple[str | None, str | None, str | None]:
    parsed = parse_address(address, ward=ward, district=district, province=province)
    return (
        parsed.province.code if parsed.province else None,
        parsed.ward.code if parsed.ward else None,
        parsed.line,
    )


# Words written around a house number that do not change the house: "Số 12 đường Lê Lợi"
# is "12 Lê Lợi". Folded, so "đường" and "Dương" are one word: both sides drop it alike.
_STREET_FILLER: Final = frozenset({"so", "sn", "duong", "d", "dc"})
# Units that number a hamlet, a neighbourhood or a road, not a house: "Thôn 3", "Tổ 5",
# "Khu phố 2", "Ấp 4", "QL 1A", "Km 12". A number after one of them is no house number;
# nor is one after "lộ" in "Quốc lộ 1A", "Tỉnh lộ 8" ("Lô 12" alone is a plot: a house).
_STREET_UNITS: Final = frozenset(
    {
        "thon", "ap", "xom", "to", "khu", "kp", "khom", "ban", "buon", "lang", "cum", "doi",
        "tdp", "pho", "kdc", "ql", "tl", "dt", "hl", "km",
    }
)  # fmt: skip
_ROADS: Final = frozenset({"quoc", "tinh", "huong"})


def _house_number(words: Sequence[str], index: int) -> bool:
    """Whether ``words[index]`` is a number numbering a house."""
    if not any(c.isdigit() for c in words[index]):
        return False
    before = words[index - 1] if index > 0 else None
    if before in _STREET_UNITS:
        return False
    return not (before == "lo" and index > 1 and words[index - 2] in _ROADS)


@functools.lru_cache(maxsize=65536)
def street_key(line: str | None) -> str | None:
    """The street line folded for comparison, if it names a house.

    Folded words (no diacritics, lower case), filler words such as "số" and "đường" left
    out. Only a line with a house number (a number not numbering a hamlet, a neighbourhood
    or a road) and a name is kept: "Thôn 3" or "Lê Lợi" alone are shared by hundreds of
    households and say nothing about who lives where.

    Examples:
        >>> street_key("Số 12 đường Lê Lợi"), street_key("12 Le Loi")
        ('12 le loi', '12 le loi')
        >>> street_key("Hẻm 45/2 Nguyễn Trãi")
        'hem 45 2 nguyen trai'
        >>> street_key("Thôn 3"), street_key("Tổ 5, khu phố 2"), street_key("Lê Lợi")
        (None, None, None)
    """
    if not line:
        return None
    words = [w for w in fold(line).split() if w not in _STREET_FILLER]
    house = any(_house_number(words, i) for i in range(len(words)))
    if not house or not any(word.isalpha() for word in words):
        return None
    return sys.intern(" ".join(words))


def _name(full: str | None, family: str | None, given: str | None) -> str | None:
    if full and nfc(full):
        return full
    joined = " ".join(p for p in (family, given) if p and nfc(p))
    return joined or None


def _name_words(text: str | None) -> list[str]:
    """Folded words of a name part; words with digits ("¼", "2") are not name words."""
    return [w for w in fold(text or "").split() if not any(c.isdigit() for c in w)]


def _last_word(text: str | None) -> str | None:
    words = _name_words(text)
    return words[-1] if words else None


def _words(family: str | None, middle: str | None, given: str | None) -> tuple[str, ...]:
    """Folded name words, family first whatever the order written."""
    return tuple(w for part in (family, middle, given) for w in _name_words(part))


def _birth(value: date | str | None, today: date | None) -> tuple[date | None, int | None]:
    if value is None:
        return None, None
    if isinstance(value, date):
        return value, value.year
    result = parse_vn_date(value, today=today, birth_date=today is not None)
    return result.value, result.year


_FEMALE: Final = frozenset({"female", "f", "nu", "nữ", "woman"})
_MALE: Final = frozenset({"male", "m", "nam", "man"})


def _gender(value: str | None) -> str | None:
    if not value:
        return None
    key = fold(value)
    if key in _FEMALE:
        return "female"
    if key in _MALE:
        return "male"
    if key in {"other", "khac"}:
        return "other"
    return None


def _phones(cells: Iterable[str | int | None], dropped: list[Dropped]) -> tuple[str, ...]:
    out: list[str] = []
    for cell in cells:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        result = normalize_vn_phone(cell)
        for item in (result, *result.secondary):
            raw = str(item.raw if item.raw is not None else cell)
            if PhoneFlag.PLACEHOLDER in item.flags:
                dropped.append(Dropped("phone", raw, "placeholder"))
            elif item.e164 is None:
                dropped.append(Dropped("phone", raw, "invalid"))
            elif PhoneFlag.NON_PERSONAL in item.flags:
                dropped.append(Dropped("phone", item.e164, "not_personal"))
            elif item.e164 in _JUNK_PHONES:
                dropped.append(Dropped("phone", item.e164, "junk"))
            elif item.e164 not in out:
                out.append(item.e164)
    return tuple(sorted(out))


def _emails(cells: Iterable[str | None], dropped: list[Dropped]) -> tuple[str, ...]:
    out: list[str] = []
    for cell in cells:
        if cell is None or not str(cell).strip():
            continue
        result = normalize_email(str(cell))
        for item in (result, *result.secondary):
            raw = item.raw or str(cell)
            if item.value is None:
                reason = "placeholder" if "placeholder" in item.flags else "invalid"
                dropped.append(Dropped("email", raw, reason))
            elif not item.is_personal:
                reason = "placeholder" if "placeholder" in item.flags else "not_personal"
                dropped.append(Dropped("email", item.value, reason))
            else:
                key = email_match_key(item.value)
                if key not in out:
                    out.append(key)
    return tuple(sorted(out))


def _identifiers(
    pairs: Iterable[tuple[str, str | None]], dropped: list[Dropped]
) -> tuple[tuple[str, str], ...]:
    out: set[tuple[str, str]] = set()
    for kind, value in pairs:
        if value is None:
            continue
        text = nfc(str(value))
        if not text:
            continue
        if fold(text) in _JUNK_IDENTIFIERS or not fold(text).strip("0"):
            dropped.append(Dropped(kind, text, "junk"))
            continue
        out.add((kind, text.casefold()))
    return tuple(sorted(out))


def _masks(phone: str) -> list[str]:
    """The number with each digit of its last nine in turn replaced by ``_``.

    Two numbers of the same length differ in exactly one of those digits iff they share a
    mask and are not equal: an SQL list overlap then finds one-digit typos.
    """
    head, tail = phone[:-9], phone[-9:]
    return [f"{head}{tail[:i]}_{tail[i + 1 :]}" for i in range(len(tail))]


def _blocks(phone: str) -> list[str]:
    """Three keys per number: its last nine digits in three blocks, one block masked each.

    A one-digit typo changes one block, so two numbers one digit apart share the key that
    masks it; three keys find what nine masks find, for blocking.
    """
    head, tail = phone[:-9], phone[-9:]
    a, b, c = tail[:3], tail[3:6], tail[6:]
    return [f"{head}{a}{b}___", f"{head}{a}___{c}", f"{head}___{b}{c}"]


def _swap(day: date | None) -> str | None:
    if day is None or day.day > 12 or day.day == day.month:
        return None
    return date(day.year, day.day, day.month).isoformat()


def to_row(record: MatchRecord) -> dict[str, object]:
    """Flatten a record into the columns the comparisons and blocking rules read.

    Empty lists become ``None`` so that SQL ``IS NULL`` tests and the pure scorer agree.

    Args:
        record: A prepared record.

    Returns:
        ``unique_id``, ``given``, ``family``, ``middle``, ``name_sorted`` (the name words
        sorted, space-joined), ``name_words``, ``birth_date`` (ISO), ``birth_swap`` (the
        date with day and month swapped, when that is a date), ``birth_year``, ``gender``,
        ``phones``, ``phone_masks``, ``phone_blocks`` (three typo-blocking keys per phone,
        see :func:`_blocks`), ``phone1`` (the first phone: Splink trains EM on scalar
        blocking columns only), ``own_phones`` (the phones not known to be shared),
        ``emails``, ``email_locals``, ``email1``, ``ids`` (``kind:value``), ``id_kinds``,
        ``province``, ``ward``, ``street``.
    """
    locals_ = sorted({e.rpartition("@")[0] for e in record.emails})
    masks = sorted({m for p in record.phones for m in _masks(p)})
    ids = [f"{k}:{v}" for k, v in record.identifiers]
    kinds = sorted({k for k, _ in record.identifiers})
    return {
        "unique_id": record.record_id,
        "given": record.given,
        "family": record.family,
        "middle": record.middle,
        "name_sorted": " ".join(sorted(record.name_words)) or None,
        "name_words": list(record.name_words) or None,
        "birth_date": record.birth_date.isoformat() if record.birth_date else None,
        "birth_swap": _swap(record.birth_date),
        "birth_year": record.birth_year,
        "gender": record.gender,
        "phones": list(record.phones) or None,
        "phone_masks": masks or None,
        "phone_blocks": sorted({k for p in record.phones for k in _blocks(p)}) or None,
        "phone1": record.phones[0] if record.phones else None,
        "own_phones": [p for p in record.phones if p not in record.shared_phones] or None,
        "emails": list(record.emails) or None,
        "email_locals": locals_ or None,
        "email1": record.emails[0] if record.emails else None,
        "ids": ids or None,
        "id_kinds": kinds or None,
        "province": record.province,
        "ward": record.ward,
        "street": record.street,
    }


#: DuckDB SQL computing ``phone_masks`` (see :func:`_masks`) from the ``phones`` column.
PHONE_MASKS_SQL: Final = (
    "nullif(list_sort(list_distinct(flatten(list_transform(phones, lambda p: "
    "list_transform(range(least(9, length(p))), lambda i: "
    "substr(p, 1, length(p) - least(9, length(p)) + i) || '_' || "
    "substr(p, length(p) - least(9, length(p)) + i + 2)))))), [])"
)
