import doctest
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoso.engine.normalize import dates as dates_module
from hoso.engine.normalize.dates import DateFlag, DateResult, parse_vn_date

F = DateFlag
TODAY = date(2026, 11, 22)
MARCH_5 = date(1990, 3, 5)


def test_doctests() -> None:
    assert doctest.testmod(dates_module).failed == 0


@pytest.mark.parametrize(
    ("raw", "flags"),
    [
        ("05/03/1990", (F.AMBIGUOUS_DAY_MONTH,)),
        ("5/3/1990", (F.AMBIGUOUS_DAY_MONTH,)),
        ("05-03-1990", (F.AMBIGUOUS_DAY_MONTH,)),
        ("05.03.1990", (F.AMBIGUOUS_DAY_MONTH,)),
        (" 05 / 03 / 1990 ".replace(" ", ""), (F.AMBIGUOUS_DAY_MONTH,)),
        ("05/03/90", (F.AMBIGUOUS_DAY_MONTH, F.TWO_DIGIT_YEAR)),
        ("1990-03-05", ()),
        ("1990-3-5", ()),
        ("1990/03/05", ()),
        ("1990.03.05", ()),
        ("1990-03-05T10:20:30", ()),
        ("1990-03-05T23:59:59+07:00", ()),
        ("1990-03-05 00:00:00", ()),
        ("1990-03-05T10:20:30.123Z", ()),
        ("05/03/1990 00:00:00", (F.AMBIGUOUS_DAY_MONTH,)),
        ("05/03/1990 8:30 SA", (F.AMBIGUOUS_DAY_MONTH,)),
        ("19900305", ()),
        ("05031990", ()),
        ("ngày 05.03-1990", (F.AMBIGUOUS_DAY_MONTH,)),
        ("ngày 5 tháng 3 năm 1990", ()),
        ("Ngày 05 tháng 03 năm 1990", ()),
        ("NGAY 5 THANG 3 NAM 1990", ()),
        ("5 tháng 3, 1990", ()),
        ("5 thg 3, 1990", ()),
        ("05 Th03 1990", ()),
        ("05 th3 1990", ()),
        ("ngày 05/03/1990", (F.AMBIGUOUS_DAY_MONTH,)),
        ("sinh ngày 5 tháng 3 năm 1990", ()),
        ("Mar 5, 1990", ()),
        ("March 5, 1990", ()),
        ("March 5th, 1990", ()),
        ("5 March 1990", ()),
        ("5 Mar 1990", ()),
        ("5th of March 1990", ()),
        ("1990 March 5", ()),
        ("０５/０３/１９９０", (F.AMBIGUOUS_DAY_MONTH,)),
        ("32937", (F.EXCEL_SERIAL,)),
        ("32937.75", (F.EXCEL_SERIAL,)),
    ],
)
def test_formats_of_5_march_1990(raw: str, flags: tuple[DateFlag, ...]) -> None:
    result = parse_vn_date(raw, today=TODAY)
    assert result == DateResult(raw, MARCH_5, flags, 1990)


@pytest.mark.parametrize(
    ("raw", "value", "ambiguous"),
    [
        ("13/03/1990", date(1990, 3, 13), False),
        ("05/05/1990", date(1990, 5, 5), False),
        ("12/11/1990", date(1990, 11, 12), True),
        ("1/12/2020", date(2020, 12, 1), True),
        ("31/12/1990", date(1990, 12, 31), False),
    ],
)
def test_day_first_always(raw: str, value: date, ambiguous: bool) -> None:
    result = parse_vn_date(raw, today=TODAY)
    assert result.value == value
    assert (F.AMBIGUOUS_DAY_MONTH in result.flags) is ambiguous


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/1990",
        "29/02/1990",
        "30/02/2000",
        "00/03/1990",
        "05/00/1990",
        "05/13/1990",
        "03/13/1990",  # US order is not guessed
        "32/01/1990",
        "1990-02-30",
        "0000-01-01",
        "05/03/199",
        "ngày 31 tháng 2 năm 1990",
        "5 tháng 13, 1990",
        "Marc 5, 1990",
        "5 tháng 3",
        "tháng 3 tháng 4 1990",
        "5 6 March 1990",
        "hôm qua",
        "abc",
        "1990-03-05Tabc",
        "0",
        "-5",
        "60",  # Excel's 29 February 1900, which never existed
        "2958466",
        "012345",
    ],
)
def test_invalid(raw: str) -> None:
    assert parse_vn_date(raw, today=TODAY) == DateResult(raw, None, (F.INVALID,), None)


def test_leap_day_is_valid_in_leap_years() -> None:
    assert parse_vn_date("29/02/2000", today=TODAY).value == date(2000, 2, 29)


@pytest.mark.parametrize("raw", [None, "", "   ", "\u200b"])
def test_empty(raw: str | None) -> None:
    assert parse_vn_date(raw, today=TODAY) == DateResult(raw, None, (F.EMPTY,), None)


@pytest.mark.parametrize(
    ("raw", "birth_date", "today", "year"),
    [
        # Birth dates: yy after this year's yy is last century.
        ("05/03/90", True, TODAY, 1990),
        ("05/03/27", True, TODAY, 1927),
        ("05/03/26", True, TODAY, 2026),
        ("05/03/00", True, TODAY, 2000),
        ("05/03/05", True, date(2004, 1, 1), 1905),
        # Other dates: up to ten years ahead is this century.
        ("05/03/36", False, TODAY, 2036),
        ("05/03/37", False, TODAY, 1937),
        ("05/03/90", False, TODAY, 1990),
        ("05/03/05", False, TODAY, 2005),
        ("05/03/99", False, date(1995, 6, 1), 1999),
        ("05/03/05", False, date(1995, 6, 1), 2005),
        ("05/03/06", False, date(1995, 6, 1), 1906),
    ],
)
def test_two_digit_year_pivot(raw: str, birth_date: bool, today: date, year: int) -> None:
    result = parse_vn_date(raw, today=today, birth_date=birth_date)
    assert F.TWO_DIGIT_YEAR in result.flags
    assert result.year == year
    assert result.value == date(year, 3, 5)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (36526, date(2000, 1, 1)),
        (45658, date(2025, 1, 1)),
        (45658.999, date(2025, 1, 1)),
        (2958465, date(9999, 12, 31)),
        ("45658", date(2025, 1, 1)),
        ("45658.5", date(2025, 1, 1)),
        ("45658,5", date(2025, 1, 1)),
    ],
)
def test_excel_serial(raw: int | float | str, value: date) -> None:
    result = parse_vn_date(raw, today=TODAY)
    assert result.value == value
    assert F.EXCEL_SERIAL in result.flags
    assert result.raw == str(raw)


@pytest.mark.parametrize("raw", [60, 0, -1, 0.5, 2958466, float("nan"), float("inf"), True])
def test_invalid_numbers(raw: float) -> None:
    result = parse_vn_date(raw, today=TODAY)
    assert result.value is None
    assert result.flags == (F.INVALID,)


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        ("1990", 1990),
        (1990, 1990),
        (1990.0, 1990),
        ("năm 1990", 1990),
        ("03/1990", 1990),
        ("3-1990", 1990),
        ("1990-03", 1990),
        ("1990/3", 1990),
        ("tháng 3 năm 1990", 1990),
        ("tháng 03/1990", 1990),
        ("Th03 1990", 1990),
        ("March 1990", 1990),
    ],
)
def test_partial(raw: str | int | float, year: int) -> None:
    result = parse_vn_date(raw, today=TODAY)
    assert result == DateResult(str(raw), None, (F.PARTIAL,), year)


def test_partial_month_must_exist() -> None:
    assert parse_vn_date("13/1990", today=TODAY).flags == (F.INVALID,)


def test_date_and_datetime_objects() -> None:
    assert parse_vn_date(MARCH_5, today=TODAY) == DateResult("1990-03-05", MARCH_5, (), 1990)
    moment = datetime(1990, 3, 5, 23, 30, tzinfo=timezone(timedelta(hours=7)))
    result = parse_vn_date(moment, today=TODAY)
    assert result.value == MARCH_5
    assert result.raw == moment.isoformat()
    assert type(result.value) is date


@pytest.mark.parametrize(
    ("raw", "flags", "value"),
    [
        ("23/11/2026", (F.FUTURE,), date(2026, 11, 23)),
        ("22/11/2026", (), date(2026, 11, 22)),
        ("22/11/1906", (), date(1906, 11, 22)),
        ("21/11/1906", (F.TOO_OLD,), date(1906, 11, 21)),
        ("2030", (F.FUTURE, F.PARTIAL), None),
        ("1900", (F.TOO_OLD, F.PARTIAL), None),
        ("1906", (F.PARTIAL,), None),  # part of 1906 is within 120 years
        ("11/2026", (F.PARTIAL,), None),
        ("12/2026", (F.FUTURE, F.PARTIAL), None),
        ("1", (F.EXCEL_SERIAL, F.TOO_OLD), date(1900, 1, 1)),
    ],
)
def test_future_and_too_old_are_flagged(
    raw: str, flags: tuple[DateFlag, ...], value: date | None
) -> None:
    result = parse_vn_date(raw, today=TODAY)
    assert result.flags == flags
    assert result.value == value


@pytest.mark.parametrize(
    ("raw", "flags"),
    [
        ("23/11/2026", (F.FUTURE,)),
        ("21/11/1906", (F.TOO_OLD,)),
        ("2030", (F.FUTURE, F.PARTIAL)),
        ("05/03/1800", (F.AMBIGUOUS_DAY_MONTH, F.TOO_OLD)),
    ],
)
def test_implausible_birth_dates_are_rejected(raw: str, flags: tuple[DateFlag, ...]) -> None:
    result = parse_vn_date(raw, today=TODAY, birth_date=True)
    assert result == DateResult(raw, None, flags, None)


def test_plausible_birth_date_is_kept() -> None:
    result = parse_vn_date("05/03/1990", today=TODAY, birth_date=True)
    assert result.value == MARCH_5


def test_today_defaults_to_a_real_date() -> None:
    result = parse_vn_date("01/01/3000")
    assert result.flags == (F.FUTURE,)
    assert result.value == date(3000, 1, 1)


def test_today_may_be_a_datetime() -> None:
    now = datetime(2026, 11, 22, 12, 0)  # noqa: DTZ001
    assert parse_vn_date("23/11/2026", today=now).flags == (F.FUTURE,)


# --- Properties --------------------------------------------------------------------------------

plausible_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=300)
@given(plausible_dates, st.sampled_from(["/", "-", "."]))
def test_dd_mm_yyyy_round_trips(day: date, sep: str) -> None:
    raw = day.strftime(f"%d{sep}%m{sep}%Y")
    result = parse_vn_date(raw, today=TODAY)
    assert result.value == day
    assert result.year == day.year
    ambiguous = day.day <= 12 and day.month <= 12 and day.day != day.month
    assert (F.AMBIGUOUS_DAY_MONTH in result.flags) is ambiguous


@settings(max_examples=200)
@given(plausible_dates)
def test_other_formats_round_trip(day: date) -> None:
    for raw in (
        day.isoformat(),
        f"{day.day}/{day.month}/{day.year}",
        f"ngày {day.day} tháng {day.month} năm {day.year}",
        day.strftime("%B %d, %Y"),
        day.strftime("%d %b %Y"),
        day.strftime("%Y%m%d"),
    ):
        assert parse_vn_date(raw, today=TODAY).value == day, raw


@settings(max_examples=200)
@given(
    st.one_of(
        st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
        st.dates(min_value=date(1904, 11, 1), max_value=date(1906, 2, 1)),
    )
)
def test_excel_serial_matches_the_1900_date_system(day: date) -> None:
    # From 1 March 1900 on, Excel's serial is the day count from 30 December 1899.
    serial = (day - date(1899, 12, 30)).days
    if serial in range(1800, 2201):  # read as a bare year instead (1904-12-04 … 1906-01-08)
        assert parse_vn_date(serial, today=TODAY).flags[-1] == F.PARTIAL
    else:
        assert parse_vn_date(serial, today=TODAY).value == day
    assert parse_vn_date(float(serial) + 0.25, today=TODAY).value == day


@settings(max_examples=200)
@given(st.dates())
def test_a_parsed_value_parses_to_itself(day: date) -> None:
    result = parse_vn_date(day, today=TODAY)
    assert result.value == day
    assert parse_vn_date(day.isoformat(), today=TODAY).value == day


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(alphabet="0123456789/-.: tháng năm ngày", max_size=25),
        st.text(max_size=20),
        st.integers(-10, 3_000_000),
        st.floats(allow_nan=True, allow_infinity=True),
        st.dates(),
    ),
    st.booleans(),
)
def test_result_invariants(raw: str | int | float | date, birth_date: bool) -> None:
    result = parse_vn_date(raw, today=TODAY, birth_date=birth_date)
    assert list(result.flags) == sorted(set(result.flags), key=list(DateFlag).index)
    if result.value is not None:
        assert result.year == result.value.year
        assert not {F.EMPTY, F.INVALID, F.PARTIAL} & set(result.flags)
        if birth_date:
            assert result.value <= TODAY
    else:
        assert {F.EMPTY, F.INVALID, F.PARTIAL, F.FUTURE, F.TOO_OLD} & set(result.flags)
    if F.INVALID in result.flags or F.EMPTY in result.flags:
        assert len(result.flags) == 1
        assert result.year is None
