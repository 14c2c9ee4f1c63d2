"""Vietnamese phone number normalisation (vietnam.md §1.6, steps 1–13).

``normalize_vn_phone`` turns whatever a shop typed into a spreadsheet cell into an E.164
identity key plus flags, on top of ``phonenumbers``:

* phonenumbers parses the pre-2018 11-digit mobile numbers but calls them invalid, and
  does not know the pre-2017 landline area codes, so both conversions happen here first;
* a pre-2017 ``08 xxxx xxxx`` HCMC landline is today a valid mobile number, so records
  older than the switch-over get a flag instead of a silent guess;
* service numbers (1800/1900/UAN) and placeholders are flagged, so identity resolution
  can leave them out.

The raw input is kept verbatim in the result; nothing here touches a network.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from hoso.engine.normalize.text import fold, nfc

__all__ = [
    "PhoneFlag",
    "PhoneResult",
    "PhoneType",
    "looks_like_phone",
    "normalize_vn_phone",
    "phone_search_variants",
]


class PhoneType(StrEnum):
    """What kind of line a valid number is."""

    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"
    TOLL_FREE = "toll_free"
    PREMIUM_RATE = "premium_rate"
    OTHER = "other"
    FOREIGN = "foreign"


class PhoneFlag(StrEnum):
    """Something worth knowing about how a phone value was read.

    Flags in a result are always in the declaration order below.
    """

    EMPTY = "empty"
    INVALID = "invalid"
    MULTIPLE_NUMBERS = "multiple_numbers"
    FOREIGN = "foreign"
    LEGACY_MOBILE_CONVERTED = "legacy_mobile_converted"
    LEGACY_AREA_CODE_CONVERTED = "legacy_area_code_converted"
    AMBIGUOUS_PRE2017_LANDLINE = "ambiguous_pre2017_landline"
    NON_PERSONAL = "non_personal"
    PLACEHOLDER = "placeholder"


_PERSONAL_TYPES = frozenset({PhoneType.MOBILE, PhoneType.FIXED_LINE, PhoneType.FOREIGN})


@dataclass(frozen=True, slots=True)
class PhoneResult:
    """The outcome of normalising one phone cell.

    Attributes:
        raw: The input exactly as given (an int is kept as its decimal string).
        e164: The identity key, e.g. ``+84912345678``; ``None`` unless valid.
        type: The line type of a valid number, else ``None``.
        flags: Observations, in :class:`PhoneFlag` declaration order, no duplicates.
        nsn: The national significant number as derived (after the country code, trunk
            ``0`` and any legacy conversion), kept for review even when invalid.
        secondary: The other numbers of a multi-number cell, in cell order.
    """

    raw: str | None
    e164: str | None
    type: PhoneType | None
    flags: tuple[PhoneFlag, ...]
    nsn: str | None
    secondary: tuple[PhoneResult, ...] = ()

    @property
    def valid(self) -> bool:
        """Whether the value is a valid number (it has an E.164 form)."""
        return self.e164 is not None

    @property
    def is_personal(self) -> bool:
        """Whether the number may identify a person (usable for identity resolution)."""
        return (
            self.valid
            and self.type in _PERSONAL_TYPES
            and PhoneFlag.NON_PERSONAL not in self.flags
            and PhoneFlag.PLACEHOLDER not in self.flags
        )

    @property
    def zns(self) -> str | None:
        """The form Zalo ZNS and most SMS APIs want (``84912345678``); Vietnamese numbers only."""
        if self.e164 is None or not self.e164.startswith("+84"):
            return None
        return self.e164[1:]

    @property
    def national(self) -> str | None:
        """The digits a caller in Vietnam dials, e.g. ``0912345678``; Vietnamese numbers only.

        This is phonenumbers' national format reduced to digits, so it has the trunk ``0``
        for mobile and fixed lines but not for 1800/1900 numbers (``19001234``), which are
        dialled without it.
        """
        if self.e164 is None or not self.e164.startswith("+84"):
            return None
        formatted = phonenumbers.format_number(
            phonenumbers.parse(self.e164), PhoneNumberFormat.NATIONAL
        )
        return "".join(c for c in formatted if c.isdigit())


# --- Tables (vietnam.md §1.3, §1.4) ---------------------------------------------------------

# 2018 mobile conversion: old 3-digit NSN prefix (without trunk 0) -> new 2-digit prefix.
_LEGACY_MOBILE: dict[str, str] = {
    # Viettel
    "162": "32", "163": "33", "164": "34", "165": "35",
    "166": "36", "167": "37", "168": "38", "169": "39",
    # MobiFone
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
    # VinaPhone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
    # Vietnamobile
    "186": "56", "188": "58",
    # Gmobile
    "199": "59",
}  # fmt: skip

# 2017 landline area-code change: old code -> new code, both without the trunk 0.
# The four provinces that kept their code (0210, 0211, 0218, 0219) are left out.
_LEGACY_AREA_CODES: dict[str, str] = {
    "76": "296", "64": "254", "281": "209", "240": "204", "781": "291", "241": "222",
    "75": "275", "56": "256", "650": "274", "651": "271", "62": "252", "780": "290",
    "710": "292", "26": "206", "511": "236", "500": "262", "501": "261", "230": "215",
    "25": "205", "72": "272", "38": "238", "61": "251", "67": "277", "59": "269",
    "351": "226", "4": "24", "39": "239", "320": "220", "31": "225", "711": "293",
    "8": "28", "218": "218", "321": "221", "58": "258", "77": "297", "60": "260",
    "231": "213", "63": "263", "20": "214", "350": "228", "211": "211", "30": "229",
    "68": "259", "210": "210", "57": "257", "52": "232", "510": "235", "55": "255",
    "33": "203", "53": "233", "79": "299", "22": "212", "66": "276", "36": "227",
    "280": "208", "37": "237", "54": "234", "73": "273", "74": "294", "27": "207",
    "70": "270", "29": "216", "219": "219",
}  # fmt: skip
_LEGACY_AREA_CODES = {old: new for old, new in _LEGACY_AREA_CODES.items() if old != new}
# Longest first, so "511" is tried before a shorter code could match.
_LEGACY_AREA_ORDER = sorted(_LEGACY_AREA_CODES, key=len, reverse=True)
# Hà Nội (04) and HCMC (08) had 8-digit subscriber numbers; everyone else 7.
_LONG_SUBSCRIBER_CODES = frozenset({"4", "8"})
# Old codes in the 03/05/07/08 blocks, reused for mobiles in 2018 (vietnam.md §1.4).
_COLLIDING_FIRST_DIGITS = frozenset("3578")
# From this day only the new landline codes worked anywhere (vietnam.md §1.4, phase 3).
_AREA_CODE_SWITCH = date(2017, 9, 1)

_TYPE_MAP: dict[int, PhoneType] = {
    PhoneNumberType.MOBILE: PhoneType.MOBILE,
    PhoneNumberType.FIXED_LINE: PhoneType.FIXED_LINE,
    PhoneNumberType.TOLL_FREE: PhoneType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: PhoneType.PREMIUM_RATE,
}
_SERVICE_TYPES = frozenset(
    {PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE, PhoneNumberType.UAN}
)

# Placeholder text seen in phone columns, compared on the folded form.
_PLACEHOLDER_TEXT = frozenset(
    {
        "", "khong co", "khong", "ko co", "kco", "k co", "chua co", "khong ro", "n a", "na",
        "none", "null", "nil", "no", "x", "xx", "xxx", "unknown", "chua cap nhat",
    }
)  # fmt: skip
# 0987654321 is also typed as filler, but it is a real Viettel number: not a placeholder.
_ASCENDING = "01234567890"
_MIN_PLACEHOLDER_DIGITS = 6

# Step 3: separators between several numbers in one cell.
_MULTI_SEPARATORS = re.compile(r"[/;,|\\]|\b(?:hoặc|hoac|or)\b", re.IGNORECASE)
# " - " between two numbers; a split is kept only if both sides have >= 6 digits.
_DASH_SEPARATOR = re.compile(r"\s+[-–—]\s*|\s*[-–—]\s+")
_MIN_DIGITS_PER_NUMBER = 6

# Step 13: a string is "otherwise numeric" if, apart from these, it is digits and O/o only.
_PHONE_PUNCTUATION = frozenset(" .-–—()+/")
_SEARCH_STRIP = frozenset(".-–—()")
_MIN_SEARCH_DIGITS = 7


def normalize_vn_phone(raw: str | int | None, *, record_date: date | None = None) -> PhoneResult:
    """Normalise one phone cell to E.164, Vietnam first (vietnam.md §1.6).

    Handles national, ``+84``/``84``/``0084`` and ``(+84) 0…`` forms, dots, dashes,
    full-width digits, a leading ``0`` lost to a numeric spreadsheet column (ints are
    accepted), the letter O typed for zero, pre-2018 11-digit mobiles, pre-2017 landline
    area codes, several numbers in one cell, foreign numbers with ``+`` or ``00``, and
    placeholders such as ``0000000000`` or ``không có``.

    Args:
        raw: The cell as read; ``None`` and blank strings give an ``empty`` result.
        record_date: When the value was recorded, if known. Before 2017-09-01 a number
            that could also be an old landline (e.g. ``08 3812 3456``) is kept as a mobile
            but flagged ``ambiguous_pre2017_landline``.

    Returns:
        A :class:`PhoneResult`; ``e164`` is ``None`` unless the number is valid.

    Examples:
        >>> normalize_vn_phone("091.234.5678").e164
        '+84912345678'
        >>> r = normalize_vn_phone("0166 234 5678")
        >>> r.e164, r.type.value, [f.value for f in r.flags]
        ('+84362345678', 'mobile', ['legacy_mobile_converted'])
        >>> normalize_vn_phone("04 3812 3456").e164
        '+842438123456'
        >>> r = normalize_vn_phone("0912345678 / 0987654321")
        >>> r.e164, r.secondary[0].e164
        ('+84912345678', '+84987654321')
        >>> normalize_vn_phone(912345678).national
        '0912345678'
    """
    if isinstance(raw, bool):  # bool is an int; a True/False cell is not a phone number
        return PhoneResult(str(raw), None, None, (PhoneFlag.INVALID,), None)
    raw_text = str(raw) if isinstance(raw, int) else raw
    if raw_text is None:
        return PhoneResult(None, None, None, (PhoneFlag.EMPTY,), None)
    # Step 2: full-width digits and compatibility forms to ASCII; invisible characters out.
    text = nfc(unicodedata.normalize("NFKC", raw_text))
    if not text:
        return PhoneResult(raw_text, None, None, (PhoneFlag.EMPTY,), None)
    if not any(c.isdigit() for c in text) and fold(text) in _PLACEHOLDER_TEXT:
        return PhoneResult(raw_text, None, None, (PhoneFlag.PLACEHOLDER,), None)
    # Step 3: several numbers in one cell.
    parts = _split_numbers(text)
    if len(parts) <= 1:
        return _normalize_single(raw_text, parts[0] if parts else text, record_date)
    results = [_normalize_single(part, part, record_date) for part in parts]
    primary = next((r for r in results if r.valid), results[0])
    seen = {primary.e164}
    secondary: list[PhoneResult] = []
    for result in results:
        if result is primary or (result.valid and result.e164 in seen):
            continue
        seen.add(result.e164)
        secondary.append(result)
    if not secondary:  # the same number written twice
        return _replace_raw(primary, raw_text)
    return PhoneResult(
        raw=raw_text,
        e164=primary.e164,
        type=primary.type,
        flags=_ordered({*primary.flags, PhoneFlag.MULTIPLE_NUMBERS}),
        nsn=primary.nsn,
        secondary=tuple(secondary),
    )


def phone_search_variants(raw: str) -> tuple[str, ...]:
    """Return the E.164 keys a search box should look up for a phone-like query.

    Usually one. A query that could be a pre-2017 landline as well as today's mobile
    (``08 3812 3456``) gives both readings, and a query holding several numbers gives
    each of them.

    Args:
        raw: What the user typed.

    Returns:
        Distinct E.164 strings, best reading first; empty if the query is not a valid
        phone number.

    Examples:
        >>> phone_search_variants("0912 345 678")
        ('+84912345678',)
        >>> phone_search_variants("08 3812 3456")
        ('+84838123456', '+842838123456')
        >>> phone_search_variants("lan")
        ()
    """
    result = normalize_vn_phone(raw)
    variants: list[str] = []
    for item in (result, *result.secondary):
        if item.e164 is None:
            continue
        variants.append(item.e164)
        if (
            item.type == PhoneType.MOBILE
            and item.nsn is not None
            and PhoneFlag.LEGACY_MOBILE_CONVERTED not in item.flags
        ):
            # Typed as a 10-digit mobile, it may be a pre-2017 landline still on file.
            landline = _legacy_landline(item.nsn)
            if landline is not None:
                variants.append(landline[0])
    return tuple(dict.fromkeys(variants))


def looks_like_phone(q: str) -> bool:
    """Tell whether a search query is probably a phone number rather than a name.

    Spaces, dots, dashes, parentheses and one leading ``+`` are ignored; what remains must
    be at least 7 digits (ASCII or full-width) and nothing else.

    Args:
        q: A search query.

    Returns:
        True if the query should be looked up as a phone number.

    Examples:
        >>> looks_like_phone("091.234.5678"), looks_like_phone("+84 912"), looks_like_phone("Lan")
        (True, False, False)
    """
    compact = "".join(c for c in q if not c.isspace() and c not in _SEARCH_STRIP)
    compact = compact.removeprefix("+").removeprefix("＋")
    return len(compact) >= _MIN_SEARCH_DIGITS and all(
        "0" <= c <= "9" or "０" <= c <= "９" for c in compact
    )


# --- Internals --------------------------------------------------------------------------------


_FLAG_ORDER = tuple(PhoneFlag)  # iterating the enum class itself is slow


def _ordered(flags: set[PhoneFlag]) -> tuple[PhoneFlag, ...]:
    if not flags:
        return ()
    return tuple(flag for flag in _FLAG_ORDER if flag in flags)


def _replace_raw(result: PhoneResult, raw: str) -> PhoneResult:
    return PhoneResult(raw, result.e164, result.type, result.flags, result.nsn, result.secondary)


def _digit_count(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _split_numbers(text: str) -> list[str]:
    """Step 3: split a cell into the parts that hold digits."""
    parts: list[str] = []
    for chunk in _MULTI_SEPARATORS.split(text):
        pieces = _DASH_SEPARATOR.split(chunk)
        merged = [pieces[0]]
        for piece in pieces[1:]:
            enough = _MIN_DIGITS_PER_NUMBER
            if _digit_count(merged[-1]) >= enough and _digit_count(piece) >= enough:
                merged.append(piece)
            else:
                merged[-1] = f"{merged[-1]}-{piece}"
        parts.extend(p.strip() for p in merged)
    return [p for p in parts if any(c.isdigit() for c in p)]


def _map_letter_o(text: str) -> str:
    """Step 13: read O/o as 0 when the string is otherwise digits and punctuation."""
    if "o" not in text.lower() or not any(c.isdigit() for c in text):
        return text
    if all(c.isdigit() or c in "oO" or c in _PHONE_PUNCTUATION for c in text):
        return text.replace("o", "0").replace("O", "0")
    return text


def _is_placeholder_digits(digits: str) -> bool:
    """All zeros, one repeated digit, or an ascending run like 0123456789."""
    core = digits.lstrip("0")
    if not core:
        return True
    if len(core) < _MIN_PLACEHOLDER_DIGITS:
        return False
    return len(set(core)) == 1 or core in _ASCENDING


def _phone_type(number: phonenumbers.PhoneNumber) -> tuple[PhoneType, bool]:
    """Map phonenumbers' type to ours; the bool says whether it is a service number."""
    kind = phonenumbers.number_type(number)
    return _TYPE_MAP.get(kind, PhoneType.OTHER), kind in _SERVICE_TYPES


def _parse_valid(e164: str) -> tuple[str, phonenumbers.PhoneNumber] | None:
    """The canonical E.164 form and parsed number, if ``e164`` is a valid number."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    # Canonical: phonenumbers forgives a stray 0 after the country code ("+8406…").
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), number


# Step 9 asks phonenumbers whether "+84" + nsn is valid and what line it is. Its Vietnamese
# patterns all decide on the first four digits and the length alone ("1[46]0", "5(?:2[238]|59)",
# "121[0-3]", "1800", "2(?:0[3-9]|...)", then "\d{n}"), so the answer is memoised per block of
# (first four digits, length): phonenumbers runs once per block instead of once per number
# (~80 µs, the bulk of normalising a phone). tests/engine/test_phone_blocks.py checks every block.
_BLOCKS: dict[tuple[str, int], tuple[PhoneType, bool] | None] = {}
_BLOCK_DIGITS = 4


def _vn_valid(nsn: str) -> tuple[str, PhoneType, bool] | None:
    """(E.164, line type, is a service number) of a Vietnamese number, or None if invalid."""
    if not (nsn.isascii() and nsn.isdigit()) or nsn.startswith("0"):
        # phonenumbers reads a stray 0 after "+84" its own way: no shortcut.
        parsed = _parse_valid(f"+84{nsn}")
        return None if parsed is None else (parsed[0], *_phone_type(parsed[1]))
    block = (nsn[:_BLOCK_DIGITS], len(nsn))
    if block not in _BLOCKS:
        parsed = _parse_valid(f"+84{nsn}")
        if parsed is not None and parsed[0] != f"+84{nsn}":
            return (parsed[0], *_phone_type(parsed[1]))  # not the plain form: no shortcut
        _BLOCKS[block] = None if parsed is None else _phone_type(parsed[1])
    kind = _BLOCKS[block]
    return None if kind is None else (f"+84{nsn}", *kind)


def _legacy_landline(nsn: str) -> tuple[str, phonenumbers.PhoneNumber] | None:
    """Step 10: read ``nsn`` with a pre-2017 area code; the result if it is a valid landline."""
    for old in _LEGACY_AREA_ORDER:
        if not nsn.startswith(old):
            continue
        rest = nsn[len(old) :]
        if len(rest) != (8 if old in _LONG_SUBSCRIBER_CODES else 7):
            continue
        parsed = _parse_valid(f"+84{_LEGACY_AREA_CODES[old]}{rest}")
        if parsed is not None and phonenumbers.number_type(parsed[1]) == PhoneNumberType.FIXED_LINE:
            return parsed
    return None


def _matches_colliding_area_code(nsn: str) -> bool:
    """Step 11: whether ``nsn`` has the shape of an old landline in the 03/05/07/08 blocks."""
    for old in _LEGACY_AREA_ORDER:
        if old[0] in _COLLIDING_FIRST_DIGITS and nsn.startswith(old):
            expected = 8 if old in _LONG_SUBSCRIBER_CODES else 7
            if len(nsn) - len(old) == expected:
                return True
    return False


def _normalize_single(raw: str, text: str, record_date: date | None) -> PhoneResult:
    """Steps 4–13 for one number."""
    text = _map_letter_o(text)
    flags: set[PhoneFlag] = set()
    # Step 5 (moved up): strip to digits, remembering a leading "+".
    digits = "".join(c for c in text if c.isdigit())
    if not digits:
        return PhoneResult(raw, None, None, (PhoneFlag.INVALID,), None)
    first_significant = next(c for c in text if c == "+" or c.isdigit())
    has_plus = first_significant == "+"
    if not digits.strip("0"):  # 0000000000
        return _invalid(raw, digits, {PhoneFlag.PLACEHOLDER})
    # Step 4: international, not Vietnam. "00" is Vietnam's international prefix.
    if has_plus and not digits.startswith(("84", "0")):
        return _foreign(raw, digits)
    if not has_plus and digits.startswith("00") and not digits.startswith("0084"):
        foreign = _foreign(raw, digits[2:])
        if foreign.valid:
            return foreign  # else a stray 0 before a Vietnamese number: read on
    # Step 6: country code.
    if digits.startswith("0084"):
        nsn = digits[4:]
    elif digits.startswith("84") and (has_plus or len(digits) in (11, 12)):
        nsn = digits[2:]
    elif digits.startswith("84") and len(digits) == 10:
        return _invalid(raw, digits, flags)
    else:
        nsn = digits
    # Step 7: one trunk 0 (also "+84 0912…").
    nsn = nsn.removeprefix("0")
    if _is_placeholder_digits(nsn):  # 1111111111, 0123456789, 0999999999
        flags.add(PhoneFlag.PLACEHOLDER)
    given_nsn = nsn
    # Step 8: 2018 mobile conversion.
    if len(nsn) == 10 and nsn[:3] in _LEGACY_MOBILE:
        nsn = _LEGACY_MOBILE[nsn[:3]] + nsn[3:]
        flags.add(PhoneFlag.LEGACY_MOBILE_CONVERTED)
    # Step 9: validate.
    valid = _vn_valid(nsn)
    if valid is None:
        # Step 10: 2017 landline conversion, only for numbers that failed step 9.
        parsed = _legacy_landline(nsn)
        if parsed is None:
            # Step 12.
            return _invalid(raw, nsn, flags)
        flags.add(PhoneFlag.LEGACY_AREA_CODE_CONVERTED)
        e164 = parsed[0]
        phone_type, service = _phone_type(parsed[1])
    else:
        if (
            record_date is not None
            and _as_date(record_date) < _AREA_CODE_SWITCH
            and _matches_colliding_area_code(given_nsn)
        ):
            # Step 11: keep the mobile reading, but say it may be an old landline.
            flags.add(PhoneFlag.AMBIGUOUS_PRE2017_LANDLINE)
        e164, phone_type, service = valid
    if service:
        flags.add(PhoneFlag.NON_PERSONAL)
    return PhoneResult(raw, e164, phone_type, _ordered(flags), e164[3:])


def _foreign(raw: str, digits: str) -> PhoneResult:
    flags = {PhoneFlag.FOREIGN}
    if _is_placeholder_digits(digits):
        flags.add(PhoneFlag.PLACEHOLDER)
    try:
        number = phonenumbers.parse(f"+{digits}", None)
    except NumberParseException:
        return _invalid(raw, digits, flags)
    nsn = phonenumbers.national_significant_number(number)
    if not phonenumbers.is_valid_number(number):
        return _invalid(raw, nsn, flags)
    if phonenumbers.number_type(number) in _SERVICE_TYPES:
        flags.add(PhoneFlag.NON_PERSONAL)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return PhoneResult(raw, e164, PhoneType.FOREIGN, _ordered(flags), nsn)


def _invalid(raw: str, nsn: str, flags: set[PhoneFlag]) -> PhoneResult:
    flags.add(PhoneFlag.INVALID)
    return PhoneResult(raw, None, None, _ordered(flags), nsn or None)


def _as_date(value: date) -> date:
    # datetime is a date subclass, but comparing a datetime with a date raises TypeError.
    return value.date() if isinstance(value, datetime) else value
