"""Turn one mapped row into the payload of a profile, with every problem found on the way.

The service still validates and normalises the payload (phones to E.164 and so on); this
module only decides which cell goes where, parses what only a spreadsheet writes (genders
as "Nữ", money as "1.250.000 đ", Excel dates) and reports values that cannot be used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from hoso.engine.normalize import DateFlag, EmailFlag, PhoneFlag, nfc
from hoso.engine.normalize.cached import cached_date, cached_email, cached_fold, cached_phone
from hoso.engine.tabular.aliases import Target
from hoso.engine.tabular.mapping import CUSTOM_PREFIX, ColumnMapping
from hoso.engine.tabular.model import CellValue, RawRow, is_empty

__all__ = ["ConvertedRow", "FieldProblem", "convert_row", "parse_amount", "parse_gender"]


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A value that cannot be imported as it is.

    Attributes:
        target: The target of its column.
        column: The column's 0-based index.
        code: A FieldError code of the profiles service: ``invalid_phone``,
            ``placeholder_phone``, ``invalid_email``, ``placeholder_email``,
            ``invalid_date``, ``birth_date_in_future``, ``birth_date_too_old``,
            ``invalid_number`` or ``invalid_gender``.
        value: The value as text.
    """

    target: str
    column: int
    code: str
    value: str


@dataclass(frozen=True, slots=True)
class ConvertedRow:
    """One row as a profile payload.

    Attributes:
        number: The row's number in the file.
        fields: JSON-able, keyed like the profile payload: ``full_name``, ``gender``
            (``female``/``male``/``other``/``unknown``), ``birth_date`` (ISO), ``occupation``,
            ``phones`` and ``emails`` (raw strings, only those that normalise validly),
            ``addresses`` (dicts with ``line``/``ward``/``district``/``province``),
            ``external_id``, ``zalo_id`` and ``loyalty_card`` (identifier values as text),
            ``note`` (a staff note to add) and ``attributes`` (custom fields by key, plus
            ``total_spent``, ``points``, ``loyalty_tier``, ``created_at``, ``company``,
            ``tax_code``). A key is present only when its cells held something usable.
        problems: Values left out, and why; a row can have fields and problems.
        blank: True when every mapped cell is empty (nothing to import).
    """

    number: int
    fields: dict[str, object]
    problems: tuple[FieldProblem, ...]
    blank: bool


_MALE: Final = frozenset(
    {"nam", "m", "male", "man", "boy", "trai", "con trai", "nam gioi", "anh", "ong", "mr"}
)
_FEMALE: Final = frozenset(
    {
        "nu", "f", "female", "woman", "girl", "gai", "con gai", "nu gioi", "chi", "ba", "co",
        "ms", "mrs", "miss",
    }
)  # fmt: skip
_OTHER: Final = frozenset({"khac", "other", "o"})

_CURRENCY: Final = re.compile(r"^(?:vnđ|vnd|đồng|dong|đ|₫)|(?:vnđ|vnd|đồng|dong|đ|₫|d)$")
_MULTIPLIERS: Final = (
    (re.compile(r"(?:triệu|trieu|tr|m)$"), Decimal(1_000_000)),
    (re.compile(r"(?:nghìn|nghin|ngàn|ngan|k)$"), Decimal(1_000)),
)
_PLAIN: Final = re.compile(r"\d+")
_GROUPED: Final = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
_GROUPED_DECIMAL: Final = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:,\d{3})+\.\d+")
_DECIMAL: Final = re.compile(r"\d+[.,]\d+")

_ADDRESS_PARTS: Final = {
    Target.ADDRESS.value: "line",
    Target.WARD.value: "ward",
    Target.DISTRICT.value: "district",
    Target.PROVINCE.value: "province",
}
_IDENTIFIERS: Final = frozenset(
    {Target.EXTERNAL_ID.value, Target.ZALO_ID.value, Target.LOYALTY_CARD.value}
)
_TEXT_ATTRIBUTES: Final = frozenset(
    {Target.LOYALTY_TIER.value, Target.COMPANY.value, Target.TAX_CODE.value}
)


def parse_gender(value: CellValue) -> str | None:
    """Read a gender cell.

    Args:
        value: The cell.

    Returns:
        ``"male"``, ``"female"`` or ``"other"``; ``None`` when not recognised.

    Examples:
        >>> parse_gender("Nữ"), parse_gender("anh"), parse_gender("F"), parse_gender("?")
        ('female', 'male', 'female', None)
    """
    if not isinstance(value, str):
        return None
    key = cached_fold(value)
    if key in _MALE:
        return "male"
    if key in _FEMALE:
        return "female"
    if key in _OTHER:
        return "other"
    return None


def parse_amount(value: CellValue) -> Decimal | None:
    """Read a number as shops write it: ``1.250.000``, ``1,250,000 đ``, ``1,5tr``, ``250k``.

    A single ``.`` or ``,`` followed by exactly three digits groups thousands (VND has no
    decimals in practice); ``1.250.000,50`` and ``1,250,000.50`` are read with decimals.

    Args:
        value: The cell.

    Returns:
        The number, or ``None`` if the cell is not one.

    Examples:
        >>> [str(parse_amount(v)) for v in ("1.250.000", "1,250,000 đ", "1250000", "1,5tr")]
        ['1250000', '1250000', '1250000', '1500000.0']
        >>> parse_amount("liên hệ") is None
        True
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        try:
            return Decimal(str(value))
        except InvalidOperation:  # pragma: no cover - clean_cell never keeps nan/inf
            return None
    if not isinstance(value, str):
        return None
    text = "".join(nfc(value).casefold().split())
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = text.strip("-+()")
    text = _CURRENCY.sub("", text)
    multiplier = Decimal(1)
    for pattern, factor in _MULTIPLIERS:
        if pattern.search(text):
            text, multiplier = pattern.sub("", text), factor
            break
    number = _number(text)
    if number is None:
        return None
    number *= multiplier
    return -number if negative else number


def _number(text: str) -> Decimal | None:
    if _PLAIN.fullmatch(text):
        return Decimal(text)
    if _GROUPED.fullmatch(text):
        return Decimal(text.replace(".", "").replace(",", ""))
    if _GROUPED_DECIMAL.fullmatch(text):
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
        group_mark = "," if decimal_mark == "." else "."
        return Decimal(text.replace(group_mark, "").replace(decimal_mark, "."))
    if _DECIMAL.fullmatch(text):
        return Decimal(text.replace(",", "."))
    return None


def _text(value: CellValue) -> str:
    if isinstance(value, datetime):
        return (
            value.isoformat() if value.time() != datetime.min.time() else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return "" if value is None else str(value)


def _json_value(value: CellValue) -> object:
    if isinstance(value, date):  # datetime too
        return _text(value)
    return value


class _Builder:
    """Collects a row's fields and problems."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.fields: dict[str, object] = {}
        self.problems: list[FieldProblem] = []
        self.names: dict[str, str] = {}
        self.phones: list[str] = []
        self.emails: list[str] = []
        self.address: dict[str, str] = {}
        self.identifiers: dict[str, str] = {}
        self.notes: list[str] = []
        self.attributes: dict[str, object] = {}

    def problem(self, mapping: ColumnMapping, code: str, value: CellValue) -> None:
        self.problems.append(FieldProblem(mapping.target, mapping.column, code, _text(value)))

    def add(self, mapping: ColumnMapping, value: CellValue) -> None:
        target = mapping.target
        if target.startswith(CUSTOM_PREFIX):
            self.attributes[target.removeprefix(CUSTOM_PREFIX)] = _json_value(value)
        elif target in (Target.FULL_NAME, Target.FAMILY_NAME, Target.GIVEN_NAME):
            self.names[target] = nfc(_text(value))
        elif target == Target.GENDER:
            self._gender(mapping, value)
        elif target == Target.BIRTH_DATE:
            self._birth_date(mapping, value)
        elif target == Target.PHONE:
            self._phone(mapping, value)
        elif target == Target.EMAIL:
            self._email(mapping, value)
        elif target in _ADDRESS_PARTS:
            self.address[_ADDRESS_PARTS[target]] = nfc(_text(value))
        elif target in _IDENTIFIERS:
            self.identifiers[target] = nfc(_text(value))
        elif target == Target.NOTE:
            self.notes.append(_text(value))
        elif target == Target.OCCUPATION:
            self.fields["occupation"] = nfc(_text(value))
        elif target == Target.TOTAL_SPENT:
            self._number(mapping, value, whole=True)
        elif target == Target.POINTS:
            self._number(mapping, value, whole=False)
        elif target == Target.CREATED_AT:
            self._created_at(mapping, value)
        elif target in _TEXT_ATTRIBUTES:
            self.attributes[target] = nfc(_text(value))

    def _gender(self, mapping: ColumnMapping, value: CellValue) -> None:
        gender = parse_gender(value)
        if gender is None:
            self.problem(mapping, "invalid_gender", value)
            gender = "unknown"
        self.fields["gender"] = gender

    def _birth_date(self, mapping: ColumnMapping, value: CellValue) -> None:
        raw = value.date() if isinstance(value, datetime) else value
        if isinstance(raw, bool):
            self.problem(mapping, "invalid_date", value)
            return
        result = cached_date(raw, self.today, birth_date=True)
        if result.value is not None:
            self.fields["birth_date"] = result.value.isoformat()
        elif DateFlag.FUTURE in result.flags:
            self.problem(mapping, "birth_date_in_future", value)
        elif DateFlag.TOO_OLD in result.flags:
            self.problem(mapping, "birth_date_too_old", value)
        else:
            self.problem(mapping, "invalid_date", value)

    def _created_at(self, mapping: ColumnMapping, value: CellValue) -> None:
        if isinstance(value, date):  # a datetime's time of day is dropped: the field is a date
            day = value.date() if isinstance(value, datetime) else value
            self.attributes[Target.CREATED_AT.value] = day.isoformat()
            return
        if isinstance(value, bool):
            self.problem(mapping, "invalid_date", value)
            return
        result = cached_date(value, self.today)
        if result.value is None:
            self.problem(mapping, "invalid_date", value)
        else:
            self.attributes[Target.CREATED_AT.value] = result.value.isoformat()

    def _phone(self, mapping: ColumnMapping, value: CellValue) -> None:
        raw = _text(value)
        result = cached_phone(value if isinstance(value, int | str) else raw)
        if PhoneFlag.PLACEHOLDER in result.flags:
            self.problem(mapping, "placeholder_phone", value)
        elif not result.valid:
            self.problem(mapping, "invalid_phone", value)
        elif raw not in self.phones:
            self.phones.append(raw)

    def _email(self, mapping: ColumnMapping, value: CellValue) -> None:
        raw = _text(value)
        result = cached_email(raw)
        if EmailFlag.PLACEHOLDER in result.flags:
            self.problem(mapping, "placeholder_email", value)
        elif not result.valid:
            self.problem(mapping, "invalid_email", value)
        elif raw not in self.emails:
            self.emails.append(raw)

    def _number(self, mapping: ColumnMapping, value: CellValue, *, whole: bool) -> None:
        amount = parse_amount(value)
        if amount is None:
            self.problem(mapping, "invalid_number", value)
            return
        integral = amount.to_integral_value(rounding=ROUND_HALF_UP)
        self.attributes[mapping.target] = (
            int(integral) if whole or amount == integral else float(amount)
        )

    def build(self) -> dict[str, object]:
        fields: dict[str, object] = {}
        full_name = self.names.get(Target.FULL_NAME) or " ".join(
            part
            for part in (self.names.get(Target.FAMILY_NAME), self.names.get(Target.GIVEN_NAME))
            if part
        )
        if full_name:
            fields["full_name"] = full_name
        fields.update(self.fields)
        if self.phones:
            fields["phones"] = self.phones
        if self.emails:
            fields["emails"] = self.emails
        if self.address:
            fields["addresses"] = [_split_region(self.address)]
        fields.update(self.identifiers)
        if self.notes:
            fields["note"] = "\n".join(self.notes)
        if self.attributes:
            fields["attributes"] = self.attributes
        return fields


def _split_region(address: dict[str, str]) -> dict[str, str]:
    """KiotViet's "Khu vực" holds "Hà Nội - Quận Tây Hồ": province and district in one."""
    province = address.get("province", "")
    if " - " in province and not address.get("district"):
        head, tail = province.split(" - ", 1)
        return {**address, "province": head.strip(), "district": tail.strip()}
    return address


def convert_row(row: RawRow, mapping: Sequence[ColumnMapping], *, today: date) -> ConvertedRow:
    """Convert a data row into a profile payload, following a column mapping.

    Empty cells add nothing (so re-importing an updated file only changes what it holds).
    Phones and e-mails that do not normalise validly, unreadable dates, genders and numbers
    are left out and reported as problems; the rest of the row is kept. The full name is
    built from the family and given names when no column holds it whole.

    Args:
        row: The row.
        mapping: One mapping per column (columns without one are ignored).
        today: The reference date for birth-date checks.

    Returns:
        The converted row.
    """
    builder = _Builder(today)
    blank = True
    for column_mapping in mapping:
        if column_mapping.target == Target.IGNORE or column_mapping.column >= len(row.values):
            continue
        value = row.values[column_mapping.column]
        if is_empty(value):
            continue
        blank = False
        builder.add(column_mapping, value)
    if blank:
        return ConvertedRow(row.number, {}, (), blank=True)
    return ConvertedRow(row.number, builder.build(), tuple(builder.problems), blank=False)
