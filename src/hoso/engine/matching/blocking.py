"""Blocking keys: which stored records a new record is compared with.

Real-time matching cannot score a record against every profile. Each record has a small
set of *blocking keys*, plain strings; a record is compared with the stored records that
share at least one key (an index lookup). The keys are exactly the batch blocking rules of
the settings, so real-time and batch find the same candidate pairs.

For :data:`~hoso.engine.matching.settings.VIETNAMESE` the keys are:

* ``own_phones=+84903123456``: each phone not known to be shared;
* ``phones+given=+84903123456|lan``: each phone (shared ones too) with the given name;
* ``emails=lan@gmail.com``: each e-mail match key;
* ``ids=external_id:kh001``: each other identifier;
* ``given+birth_date=lan|1990-05-02``: given name and full birth date;
* ``name_sorted+birth_date=lan nguyen thi|1990-05-02``: all name words (any order) and
  full birth date (a name written in Western order has another given name);
* ``name_sorted+ward=lan nguyen thi|26740``: all name words (any order) and 2025 ward;
* ``given+ward+street=lan|26740|12 le loi``: given name at a house (a middle name left out
  on one side);
* ``given+phone_blocks=lan|+84903___456``: given name and a phone with one of its three
  last blocks of three digits masked (three per phone: finds one-digit typos).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from hoso.engine.matching.record import MatchRecord, Row, to_row
from hoso.engine.matching.settings import VIETNAMESE, BlockingRule, MatchSettings

__all__ = ["blocking_keys", "candidate_pairs", "row_keys"]


def rule_keys(rule: BlockingRule, row: Row) -> list[str]:
    """The keys of ``row`` under one rule, as ``col+col=value|value``."""
    values: list[list[str]] = []
    for column in rule.columns:
        value = row.get(column)
        if value is None:
            return []
        if column in rule.explode:
            assert isinstance(value, list)  # noqa: S101
            values.append([str(v) for v in value])
        else:
            values.append([str(value)])
    combos = [""]
    for options in values:
        combos = [f"{c}|{o}" if c else o for c in combos for o in options]
    prefix = "+".join(rule.columns)
    return [f"{prefix}={c}" for c in combos]


def row_keys(row: Row, settings: MatchSettings = VIETNAMESE) -> set[str]:
    """Every blocking key of a flattened row."""
    keys: set[str] = set()
    for rule in settings.blocking:
        keys.update(rule_keys(rule, row))
    return keys


def blocking_keys(record: MatchRecord, settings: MatchSettings = VIETNAMESE) -> set[str]:
    """The blocking keys of a record: store them, and look candidates up by them.

    Args:
        record: A prepared record.
        settings: The settings whose blocking rules apply.

    Returns:
        Plain strings; two records are candidates when they share one.

    Examples:
        >>> from hoso.engine.matching import prepare_record
        >>> r = prepare_record("1", full_name="Nguyễn Thị Lan", phones=["0903 123 456"],
        ...                    birth_date="02/05/1990")
        >>> for key in sorted(k for k in blocking_keys(r) if "blocks" not in k):
        ...     print(key)
        given+birth_date=lan|1990-05-02
        own_phones=+84903123456
        phones+given=+84903123456|lan
    """
    return row_keys(to_row(record), settings)


def candidate_pairs(
    rows: Iterable[Row], settings: MatchSettings = VIETNAMESE
) -> Iterator[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of rows sharing a blocking key, each pair once."""
    buckets: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        for key in row_keys(row, settings):
            buckets.setdefault(key, []).append(index)
    seen: set[tuple[int, int]] = set()
    for key in sorted(buckets):
        members = buckets[key]
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                pair = (a, b) if a < b else (b, a)
                if pair not in seen:
                    seen.add(pair)
                    yield pair
