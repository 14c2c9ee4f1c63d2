"""Suggest, for each column of a table, the profile field it feeds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from hoso.engine.normalize import fold, normalize_email, normalize_vn_phone, parse_vn_date
from hoso.engine.normalize.dates import DateFlag
from hoso.engine.tabular.aliases import Target, header_keys, match_alias
from hoso.engine.tabular.model import CellValue, Column, RawRow, is_empty
from hoso.engine.tabular.presets import PRESETS, Preset, preset_target

__all__ = ["CUSTOM_PREFIX", "MULTI_TARGETS", "ColumnMapping", "suggest_mapping"]

CUSTOM_PREFIX: Final = "custom:"
MULTI_TARGETS: Final = frozenset({Target.PHONE.value, Target.EMAIL.value, Target.NOTE.value})
"""Targets several columns may feed (every other target takes one column at most)."""

_CONFIDENCE_CUSTOM: Final = 1.0
_CONFIDENCE_PRESET: Final = 0.98
_CONFIDENCE_ALIAS: Final = 0.95
_CONFIDENCE_CONTENT: Final = 0.7
_CONTENT_THRESHOLD: Final = 0.8
_MIN_CONTENT_VALUES: Final = 2
# Header words hinting that a column of dates is a birth date ("Ngày SN", "bday").
_BIRTH_HINTS: Final = frozenset({"sinh", "sn", "ns", "birth", "birthday", "bday", "dob"})
_GENDER_WORDS: Final = frozenset(
    {"nam", "nu", "male", "female", "m", "f", "trai", "gai", "khac", "other"}
)
_BARE_GIVEN_NAME: Final = fold("tên")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Where one column goes.

    Attributes:
        column: The column's 0-based index.
        header: The column's (clean) header.
        target: A :class:`Target` value or ``"custom:<key>"``.
        confidence: From 0 (no idea) to 1 (a custom field's exact name).
        reason: ``"custom_field"``, ``"preset"``, ``"alias"``, ``"content"`` or ``"none"``.
    """

    column: int
    header: str
    target: str
    confidence: float
    reason: str


def suggest_mapping(
    columns: list[Column],
    sample: list[RawRow],
    *,
    custom_fields: Mapping[str, tuple[str, str]] | None = None,
    preset: str | None = None,
) -> list[ColumnMapping]:
    """Map every column to a target, with how sure the guess is and why.

    For each column, in order of precedence: a custom field whose key or label (either
    language) equals the header, folded → ``"custom:<key>"``; the preset's header table;
    the alias dictionary (:mod:`~hoso.engine.tabular.aliases`); and, for columns still
    unmatched, the sample's content (≥ 80% valid phones → phone, e-mails → email,
    gender words → gender, dates → birth date only when the header hints at a birth).
    A bare ``"Tên"`` is the given name when a ``"Họ"`` column is present, else the full
    name. Every target except phone, email and note takes at most one column: the most
    confident wins (the leftmost among equals) and the others are ignored.

    Args:
        columns: The table's columns.
        sample: Some data rows (the first 20 are plenty).
        custom_fields: The workspace's custom fields: key → (Vietnamese label, English label).
        preset: A key of :data:`~hoso.engine.tabular.presets.PRESETS`.

    Returns:
        One mapping per column, in column order.

    Raises:
        KeyError: ``preset`` is not a known preset.
    """
    chosen_preset = PRESETS[preset] if preset is not None else None
    custom = _custom_lookup(custom_fields or {})
    mappings: list[ColumnMapping] = []
    for column in columns:
        values = [row.values[column.index] for row in sample if column.index < len(row.values)]
        mappings.append(_suggest_one(column, values, custom, chosen_preset))
    mappings = _resolve_bare_given_name(mappings, columns)
    return _one_column_per_target(mappings)


def _custom_lookup(custom_fields: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for key, (label_vi, label_en) in custom_fields.items():
        for name in (key, label_vi, label_en):
            folded = fold(name)
            if folded:
                lookup.setdefault(folded, f"{CUSTOM_PREFIX}{key}")
    return lookup


def _suggest_one(
    column: Column,
    values: Sequence[CellValue],
    custom: Mapping[str, str],
    preset: Preset | None,
) -> ColumnMapping:
    def mapped(target: str, confidence: float, reason: str) -> ColumnMapping:
        return ColumnMapping(column.index, column.header, target, round(confidence, 3), reason)

    keys = header_keys(column.header)
    for key, confidence in keys:
        if key in custom:
            return mapped(custom[key], _CONFIDENCE_CUSTOM * confidence, "custom_field")
    if preset is not None:
        target = preset_target(preset, column.header)
        if target is not None:
            return mapped(target, _CONFIDENCE_PRESET, "preset")
    alias = match_alias(column.header)
    if alias is not None:
        return mapped(alias.target.value, _CONFIDENCE_ALIAS * alias.confidence, "alias")
    content = _from_content(column, values)
    if content is not None:
        return mapped(content[0].value, content[1], "content")
    return mapped(Target.IGNORE.value, 0.0, "none")


def _share(values: Sequence[CellValue], test: Callable[[CellValue], bool]) -> float | None:
    """The share of non-empty values passing ``test``; ``None`` with too few values."""
    filled = [value for value in values if not is_empty(value)]
    if len(filled) < min(_MIN_CONTENT_VALUES, len(values)) or not filled:
        return None
    return sum(1 for value in filled if test(value)) / len(filled)


def _is_phone(value: CellValue) -> bool:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return False
    result = normalize_vn_phone(value)
    return result.valid and result.is_personal


def _is_email(value: CellValue) -> bool:
    return isinstance(value, str) and "@" in value and normalize_email(value).valid


def _is_date(value: CellValue) -> bool:
    if isinstance(value, date):
        return True
    if not isinstance(value, str):
        return False
    result = parse_vn_date(value)
    return result.value is not None and DateFlag.EXCEL_SERIAL not in result.flags


def _is_gender(value: CellValue) -> bool:
    return isinstance(value, str) and fold(value) in _GENDER_WORDS


def _from_content(column: Column, values: Sequence[CellValue]) -> tuple[Target, float] | None:
    checks: list[tuple[Target, Callable[[CellValue], bool]]] = [
        (Target.EMAIL, _is_email),
        (Target.PHONE, _is_phone),
        (Target.GENDER, _is_gender),
    ]
    for target, test in checks:
        share = _share(values, test)
        if share is not None and share >= _CONTENT_THRESHOLD:
            return target, _CONFIDENCE_CONTENT * share
    share = _share(values, _is_date)
    if share is not None and share >= _CONTENT_THRESHOLD:
        words = set(fold(column.header).split())
        if words & _BIRTH_HINTS:
            return Target.BIRTH_DATE, _CONFIDENCE_CONTENT * share
    return None


def _resolve_bare_given_name(
    mappings: list[ColumnMapping], columns: list[Column]
) -> list[ColumnMapping]:
    """A bare "Tên" column is the given name next to a "Họ" column, else the whole name."""
    if any(m.target == Target.FAMILY_NAME.value for m in mappings):
        return mappings
    bare = {c.index for c in columns if header_keys(c.header)[0][0] == _BARE_GIVEN_NAME}
    return [
        replace(m, target=Target.FULL_NAME.value)
        if m.column in bare and m.target == Target.GIVEN_NAME.value and m.reason == "alias"
        else m
        for m in mappings
    ]


def _one_column_per_target(mappings: list[ColumnMapping]) -> list[ColumnMapping]:
    winners: dict[str, ColumnMapping] = {}
    for mapping in mappings:
        if mapping.target == Target.IGNORE.value or mapping.target in MULTI_TARGETS:
            continue
        best = winners.get(mapping.target)
        if best is None or mapping.confidence > best.confidence:
            winners[mapping.target] = mapping
    return [
        mapping
        if mapping.target in MULTI_TARGETS
        or mapping.target == Target.IGNORE.value
        or winners[mapping.target] is mapping
        else replace(mapping, target=Target.IGNORE.value, confidence=0.0, reason="none")
        for mapping in mappings
    ]
