"""Date parsing for Vietnamese data.

Day-first numerals, Vietnamese and English month words, Excel serial numbers, partial
dates (year or month/year only), and plausibility flags for birth dates.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from hoso.engine.normalize.text import fold, is_blank

__all__ = ["DateFlag", "DateResult", "parse_vn_date"]


class DateFlag(StrEnum):
    """Something worth knowing about a date value.

    Flags in a result are always in the declaration order below.
    """

    EMPTY = "empty"
    INVALID = "invalid"
    AMBIGUOUS_DAY_MONTH = "ambiguous_day_month"
    TWO_DIGIT_YEAR = "two_digit_year"
    EXCEL_SERIAL = "excel_serial"
    FUTURE = "future"
    TOO_OLD = "too_old"
    PARTIAL = "partial"


@dataclass(frozen=True, slots=True)
class DateResult:
    """The outcome of parsing one date cell.

    Attributes:
        raw: The input as given; non-strings as text (a date as ISO, a number as ``str()``).
        value: The date; ``None`` if empty, invalid, partial, or an implausible birth date.
        flags: Observations, in :class:`DateFlag` declaration order, no duplicates.
        year: The year when known (also for partial dates); ``None`` when the value is
            invalid or was rejected as a birth date.
    """

    raw: str | None
    value: date | None
    flags: tuple[DateFlag, ...]
    year: int | None


# Vietnam has used UTC+07:00 all year since 1975, with no daylight saving.
_VIETNAM = timezone(timedelta(hours=7))
_MAX_AGE_YEARS = 120

# Excel's 1900 date system: serial 1 = 1900-01-01; 60 is Excel's fictitious 1900-02-29.
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_EXCEL_FAKE_LEAP_DAY = 60
_EXCEL_EPOCH = date(1899, 12, 31)
# A bare number in this range is a year ("năm sinh 1990"), not a serial (which would be a
# date in 1904–1906, never seen in our data).
_YEAR_ONLY_RANGE = range(1800, 2201)

_TIME_SUFFIX = re.compile(
    r"(?:t|\s+)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:z|[+-]\d{2}(?::?\d{2})?|am|pm|sa|ch)?$"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_YMD = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
_MY = re.compile(r"(\d{1,2})[-/.](\d{4})")
_YM = re.compile(r"(\d{4})[-/.](\d{1,2})")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)")
_MONTH_ABBREVIATION = re.compile(r"thg?(\d{1,2})")  # "Th03", "thg3"

_ENGLISH_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
# Words that carry no date information: "ngày", "năm", "sinh ngày", "vào", "of".
_FILLER_WORDS = frozenset({"ngay", "nam", "sinh", "vao", "of", "the"})
_MONTH_WORDS = frozenset({"thang", "thg"})


def parse_vn_date(
    raw: str | int | float | date | datetime | None,
    *,
    today: date | None = None,
    birth_date: bool = False,
) -> DateResult:
    """Parse a date the way Vietnamese data writes it.

    Accepted: ``dd/mm/yyyy`` with ``/``, ``-`` or ``.`` (day first, always; ``05/03/1990``
    is 5 March and flagged ``ambiguous_day_month``), ``d/m/yy`` (flagged
    ``two_digit_year``), ``yyyy-mm-dd`` and ISO date-times (the date as written),
    ``yyyy/mm/dd``, ``yyyymmdd``, ``ngày 5 tháng 3 năm 1990``, ``5 tháng 3, 1990``,
    ``05 Th03 1990``, ``Mar 5, 1990``, ``5 March 1990``, year-only and month/year values
    (flagged ``partial``), Excel serial numbers (1900 date system, flagged
    ``excel_serial``), and ``date``/``datetime`` objects. A bare number from 1800 to 2200 is
    read as a year, not as a serial.

    Two-digit years: for a birth date, ``yy`` after this year's ``yy`` means 19yy, else
    20yy; for other dates, 20yy up to ten years ahead, else 19yy.

    Args:
        raw: The cell as read.
        today: The reference date for two-digit years and the ``future``/``too_old``
            flags; defaults to today's date in Vietnam.
        birth_date: Whether the value is a date of birth. Then a future date or one more
            than 120 years ago is flagged and also rejected (``value`` and ``year`` None).

    Returns:
        A :class:`DateResult`.

    Examples:
        >>> ref = date(2026, 11, 22)
        >>> r = parse_vn_date("05/03/1990", today=ref)
        >>> r.value, [f.value for f in r.flags]
        (datetime.date(1990, 3, 5), ['ambiguous_day_month'])
        >>> parse_vn_date("ngày 5 tháng 3 năm 1990", today=ref).value
        datetime.date(1990, 3, 5)
        >>> parse_vn_date(32937, today=ref).value
        datetime.date(1990, 3, 5)
        >>> r = parse_vn_date("31/02/1990", today=ref)
        >>> r.value, [f.value for f in r.flags]
        (None, ['invalid'])
        >>> r = parse_vn_date("1990", today=ref)
        >>> r.value, r.year, [f.value for f in r.flags]
        (None, 1990, ['partial'])
    """
    if raw is None:
        return DateResult(None, None, (DateFlag.EMPTY,), None)
    raw_text = raw if isinstance(raw, str) else _as_text(raw)
    if isinstance(raw, str) and is_blank(raw):
        return DateResult(raw_text, None, (DateFlag.EMPTY,), None)
    reference = today if today is not None else datetime.now(_VIETNAM).date()
    if isinstance(reference, datetime):
        reference = reference.date()
    parsed = _parse(raw, reference, birth_date=birth_date)
    if parsed is None:
        return DateResult(raw_text, None, (DateFlag.INVALID,), None)
    flags, year, month, day = parsed
    try:
        earliest = date(year, 1 if month is None else month, 1 if day is None else day)
        latest = earliest if day is not None else _last_day(year, 12 if month is None else month)
    except ValueError:  # 31/02, month 13, year 0 …
        return DateResult(raw_text, None, (DateFlag.INVALID,), None)
    if earliest > reference:
        flags.add(DateFlag.FUTURE)
    if latest < _years_before(reference, _MAX_AGE_YEARS):
        flags.add(DateFlag.TOO_OLD)
    if birth_date and flags & {DateFlag.FUTURE, DateFlag.TOO_OLD}:
        return DateResult(raw_text, None, _ordered(flags), None)
    return DateResult(raw_text, earliest if day is not None else None, _ordered(flags), year)


# (flags, year, month, day); month/day None for partial dates. None means invalid.
_Parsed = tuple[set[DateFlag], int, int | None, int | None]


def _ordered(flags: set[DateFlag]) -> tuple[DateFlag, ...]:
    return tuple(flag for flag in DateFlag if flag in flags)


def _last_day(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)


def _as_text(raw: int | float | date) -> str:
    return raw.isoformat() if isinstance(raw, date) else str(raw)


def _parse(raw: str | int | float | date, today: date, *, birth_date: bool) -> _Parsed | None:
    if isinstance(raw, datetime):
        return _from_date(raw.date())
    if isinstance(raw, date):
        return _from_date(raw)
    if isinstance(raw, bool):  # a TRUE/FALSE cell
        return None
    if isinstance(raw, int | float):
        return _from_number(raw)
    text = " ".join(unicodedata.normalize("NFKC", raw).split()).casefold()
    return _from_text(text, today, birth_date=birth_date)


def _from_date(value: date) -> _Parsed:
    return set(), value.year, value.month, value.day


def _from_number(number: float) -> _Parsed | None:
    if not math.isfinite(number) or number < 1:
        return None
    serial = math.floor(number)  # a fraction is the time of day
    if serial in _YEAR_ONLY_RANGE and serial == number:
        return {DateFlag.PARTIAL}, serial, None, None
    if serial > _EXCEL_MAX_SERIAL or serial == _EXCEL_FAKE_LEAP_DAY:
        return None
    # Excel counts a 29 February 1900 that never was; later serials are one day ahead.
    value = _EXCEL_EPOCH + timedelta(days=serial - (serial > _EXCEL_FAKE_LEAP_DAY))
    return {DateFlag.EXCEL_SERIAL}, value.year, value.month, value.day


def _from_text(text: str, today: date, *, birth_date: bool) -> _Parsed | None:
    text = _TIME_SUFFIX.sub("", text).strip()
    if _NUMBER.fullmatch(text):
        return _from_numeric_text(text)
    if match := _YMD.fullmatch(text):
        return set(), int(match[1]), int(match[3]), int(match[4])
    if match := _DMY.fullmatch(text):
        return _day_first(match[1], match[3], match[4], today, birth_date=birth_date)
    if match := _MY.fullmatch(text):
        return {DateFlag.PARTIAL}, int(match[2]), int(match[1]), None
    if match := _YM.fullmatch(text):
        return {DateFlag.PARTIAL}, int(match[1]), int(match[2]), None
    return _from_words(fold(text), today, birth_date=birth_date)


def _from_numeric_text(text: str) -> _Parsed | None:
    compact = text.replace(",", ".")
    if len(compact) == 8 and compact.isdigit():
        # yyyymmdd when that is a real date in a plausible year, else ddmmyyyy.
        year, month, day = int(compact[:4]), int(compact[4:6]), int(compact[6:])
        if year in _YEAR_ONLY_RANGE and _is_date(year, month, day):
            return set(), year, month, day
        return set(), int(compact[4:]), int(compact[2:4]), int(compact[:2])
    if compact.startswith("0"):  # Excel serials have no leading zero
        return None
    return _from_number(float(compact))


def _day_first(
    day_text: str, month_text: str, year_text: str, today: date, *, birth_date: bool
) -> _Parsed:
    flags: set[DateFlag] = set()
    day, month, year = int(day_text), int(month_text), int(year_text)
    if day <= 12 and month <= 12 and day != month:
        flags.add(DateFlag.AMBIGUOUS_DAY_MONTH)
    if len(year_text) == 2:
        flags.add(DateFlag.TWO_DIGIT_YEAR)
        year = _expand_two_digit_year(year, today, birth_date=birth_date)
    return flags, year, month, day


def _expand_two_digit_year(yy: int, today: date, *, birth_date: bool) -> int:
    """Expand ``yy`` within a 100-year window.

    Birth dates: the window ends this year (in 2026: 1927–2026). Other dates: it ends ten
    years from now (in 2026: 1937–2036).
    """
    year = today.year - today.year % 100 + yy
    latest = today.year if birth_date else today.year + 10
    if year > latest:
        return year - 100
    if year <= latest - 100:
        return year + 100
    return year


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _from_words(folded: str, today: date, *, birth_date: bool) -> _Parsed | None:
    """Vietnamese and English forms, on the folded text ("ngay 5 thang 3 nam 1990")."""
    numbers: list[str] = []
    month: int | None = None
    words = [w for w in folded.split() if w not in _FILLER_WORDS]
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word in _MONTH_WORDS:  # "tháng 3", "thg 3"
            if month is not None or index >= len(words) or not words[index].isdigit():
                return None
            month = int(words[index])
            index += 1
        elif (named := _month_name(word)) is not None:  # "March", "Th03"
            if month is not None:
                return None
            month = named
        elif word.isdigit():
            numbers.append(word)
        elif ordinal := _ORDINAL.fullmatch(word):
            numbers.append(ordinal[1])
        else:
            return None
    if month is None:
        # "ngày 05/03/1990" and "05 03 1990": the numeric forms with words around them.
        if len(numbers) == 3:
            if len(numbers[0]) == 4:
                return set(), int(numbers[0]), int(numbers[1]), int(numbers[2])
            if len(numbers[2]) in (2, 4):
                day, month_text, year = numbers
                return _day_first(day, month_text, year, today, birth_date=birth_date)
        if len(numbers) == 1 and len(numbers[0]) == 4:
            return {DateFlag.PARTIAL}, int(numbers[0]), None, None
        return None
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) > 1 or len(years) + len(days) != len(numbers):
        return None
    if not days:
        return {DateFlag.PARTIAL}, int(years[0]), month, None
    return set(), int(years[0]), month, int(days[0])


def _month_name(word: str) -> int | None:
    if word in _ENGLISH_MONTHS:
        return _ENGLISH_MONTHS[word]
    if match := _MONTH_ABBREVIATION.fullmatch(word):
        return int(match[1])
    return None
