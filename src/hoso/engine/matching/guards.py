"""Deterministic guards: what may never merge, whatever the probability says.

Learned from Segment's and PostHog's identity rules and from Vietnamese shops:

* junk and placeholder values never identify anyone (left out by
  :func:`~hoso.engine.matching.record.prepare_record`);
* an identifier seen on records that are clearly different people (a family phone, a
  shop's own number typed on every order) is *shared*: it never merges on its own;
* per-kind limits: a customer has at most one Zalo id, one user id...; a merge that would
  exceed a limit is refused;
* a house (street line and ward) carried by too many records is no household's (a shop's
  own address typed on walk-in orders): its street line is left out like a shared phone;
* a name alone never merges anyone, and a shared identifier alone never does either.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from hoso.engine.matching.record import MatchRecord
from hoso.engine.matching.settings import levenshtein

__all__ = [
    "DEFAULT_KIND_LIMITS",
    "GuardPolicy",
    "SharedIdentifier",
    "clearly_different",
    "find_shared_identifiers",
    "first_different_pair",
    "merge_evidence",
    "within_kind_limits",
]

#: How many distinct values of a kind one customer may have (Segment's "limits").
DEFAULT_KIND_LIMITS: Final[Mapping[str, int]] = {
    "phone": 5,
    "email": 5,
    "external_id": 5,
    "zalo_id": 1,
    "user_id": 1,
    "loyalty_card": 2,
    "anonymous_id": 50,
}
# Records carrying one identifier beyond which it is shared whoever they are (a shop's
# hotline typed on every order): compared per kind.
_MAX_RECORDS_PER_VALUE: Final = 200
# Records at one house beyond which it is no household's (a shop's, an office's, a
# dormitory's): a family of five with several records each stays below.
_MAX_RECORDS_PER_ADDRESS: Final = 30
_MAX_SIGNATURES: Final = 40
_MIN_TYPO_LENGTH: Final = 4
_YEAR_SLACK: Final = 1


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """The guards' settings (per workspace if needed).

    Attributes:
        kind_limits: Max distinct values of a kind in one cluster.
        max_records_per_value: An identifier on more records than this is shared.
        max_records_per_address: A house (ward and street line) on more records than
            this is shared: its street line no longer counts.
        max_cluster_size: A cluster may not grow beyond this many records; larger ones
            are refused and reported (a junk value slipped through).
    """

    kind_limits: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_KIND_LIMITS))
    max_records_per_value: int = _MAX_RECORDS_PER_VALUE
    max_records_per_address: int = _MAX_RECORDS_PER_ADDRESS
    max_cluster_size: int = 100


@dataclass(frozen=True, slots=True)
class SharedIdentifier:
    """An identifier that several distinct people use.

    Attributes:
        kind: ``phone``, ``email``, ``external_id``... or ``address`` (a house, see
            :attr:`~hoso.engine.matching.record.MatchRecord.address_key`).
        value: The normalised value.
        reason: ``different_people`` (two records on it are clearly not one person) or
            ``too_many_records``.
        records: How many records carry it.
        example: Two record ids that are clearly different people (when that is the reason).
    """

    kind: str
    value: str
    reason: str
    records: int
    example: tuple[str, str] | None = None


def given_compatible(a: MatchRecord, b: MatchRecord) -> bool:
    """Whether two given names may belong to one person (equal, a typo, or among the words).

    A missing given name is compatible with anything.
    """
    if a.given is None or b.given is None:
        return True
    if a.given == b.given or a.given in b.name_words or b.given in a.name_words:
        return True
    shortest = min(len(a.given), len(b.given))
    return shortest >= _MIN_TYPO_LENGTH and levenshtein(a.given, b.given) <= 1


def birth_compatible(a: MatchRecord, b: MatchRecord) -> bool:
    """Whether two birth dates may belong to one person.

    Equal, day and month swapped, or a year apart at most; a missing one is compatible.
    """
    if a.birth_year is None or b.birth_year is None:
        return True
    if a.birth_date is not None and b.birth_date is not None:
        x, y = a.birth_date, b.birth_date
        if x == y or (x.year == y.year and x.day == y.month and x.month == y.day):
            return True
    return abs(a.birth_year - b.birth_year) <= _YEAR_SLACK


def clearly_different(a: MatchRecord, b: MatchRecord) -> bool:
    """Whether two records are clearly two people: their given names or birth dates differ.

    Examples:
        >>> from hoso.engine.matching import prepare_record
        >>> mother = prepare_record("1", full_name="Nguyễn Thị Hoa", birth_date="1968")
        >>> daughter = prepare_record("2", full_name="Trần Thị Mai", birth_date="1995")
        >>> clearly_different(mother, daughter)
        True
    """
    return not given_compatible(a, b) or not birth_compatible(a, b)


def find_shared_identifiers(
    records: Iterable[MatchRecord], policy: GuardPolicy | None = None
) -> dict[tuple[str, str], SharedIdentifier]:
    """Find the identifiers used by several distinct people in a batch.

    An identifier is shared when two records carrying it are :func:`clearly_different`,
    or when more than ``policy.max_records_per_value`` records carry it. A house
    (``address``) is shared only when more than ``policy.max_records_per_address`` records
    carry it: a household's members are clearly different people by nature.

    Args:
        records: The batch.
        policy: Guard settings.

    Returns:
        ``(kind, value)`` -> :class:`SharedIdentifier`, for the shared ones only.
    """
    policy = policy or GuardPolicy()
    groups: dict[tuple[str, str], list[MatchRecord]] = defaultdict(list)
    houses: Counter[tuple[str, str]] = Counter()
    for record in records:
        for key in record.strong_identifiers():
            groups[key].append(record)
        house = record.address_key
        if house is not None:
            houses[house] += 1
    shared: dict[tuple[str, str], SharedIdentifier] = {}
    for key, count in houses.items():
        if count > policy.max_records_per_address:
            shared[key] = SharedIdentifier(*key, "too_many_records", count)
    for key, group in groups.items():
        if len(group) < 2:
            continue
        if len(group) > policy.max_records_per_value:
            shared[key] = SharedIdentifier(*key, "too_many_records", len(group))
            continue
        example = _different_pair(group)
        if example is not None:
            shared[key] = SharedIdentifier(*key, "different_people", len(group), example)
    return shared


def _different_pair(group: list[MatchRecord]) -> tuple[str, str] | None:
    by_signature: dict[tuple[object, ...], MatchRecord] = {}
    for record in group:
        signature = (record.given, record.birth_date, record.birth_year, record.name_words)
        by_signature.setdefault(signature, record)
    return first_different_pair(list(by_signature.values()))


def first_different_pair(distinct: list[MatchRecord]) -> tuple[str, str] | None:
    """Two of the records that are :func:`clearly_different` (the first by record id).

    ``distinct`` holds one record per (given name, birth date, birth year, name words)
    among those carrying an identifier; only the first ones by record id are compared.
    """
    distinct = sorted(distinct, key=lambda r: r.record_id)
    if len(distinct) > _MAX_SIGNATURES:
        distinct = distinct[:_MAX_SIGNATURES]
    for i, a in enumerate(distinct):
        for b in distinct[i + 1 :]:
            if clearly_different(a, b):
                return (a.record_id, b.record_id)
    return None


def merge_evidence(
    levels: Mapping[str, str],
    left: MatchRecord,
    right: MatchRecord,
    shared: Mapping[tuple[str, str], SharedIdentifier] | None = None,
) -> str | None:
    """Why a pair may merge automatically, or ``None`` when it may at most be reviewed.

    "The same full name" below is the same family, middle and given names, or the same
    three or more name words in another order ("Lan Nguyễn Thị"). A pair may merge when it
    has one of:

    * ``identifier``: a phone, e-mail or other identifier in common that is not shared;
    * ``phone_typo``: phones one digit apart with the same given name (or the same name
      words in another order) and no contradicting birth date;
    * ``shared_identifier_and_name``: a shared identifier in common, the same given name,
      and the same birth date (or the same family name, no middle name contradicting, and
      no birth date contradicting: missing, or the same year);
    * ``name_birth_ward``: the same given name, birth date (or the same with day and
      month swapped) and ward (whatever the house);
    * ``full_name_and_birth_date``: the same full name and the same full birth date (or
      the same with day and month swapped);
    * ``full_name_and_street``: the same full name (or the same family and given names
      with a middle name missing on one side: "Nguyễn Hùng" and "Nguyễn Văn Hùng") at the
      same house (the same house number and street in the same ward), no birth date
      known on one side or the same, and no different gender. Members of one household
      have different given names (Vietnamese families do not give a child a parent's or
      a sibling's name), so the same name at the same house is one person; namesakes live
      at other houses. A house on too many records (a shop's own address) does not
      count. A middle name missing is not enough with a birth date alone: a generated
      file of 36,000 records already holds a "Nguyễn Phương" born on the day another
      "Nguyễn Thị Phương" was.

    The probability must still reach the merge threshold (term frequencies make that
    harder for the commonest names). A name alone, or a shared identifier alone, is never
    enough, and a ward is too large to stand for a house.

    Args:
        levels: Comparison name -> level key reached (:meth:`PairScore.levels`).
        left: The left record.
        right: The right record.
        shared: Shared identifiers of the batch or workspace.

    Returns:
        The evidence code, or ``None``.
    """
    shared = shared or {}
    common = _common_identifiers(left, right)
    if any(key not in shared for key in common):
        return "identifier"
    given = levels.get("given_name")
    same_given = given in {"exact", "reordered"}
    birth = levels.get("birth_date")
    birth_agrees = birth in {"exact", "swap"}
    birth_ok = birth in {"exact", "swap", "null", "year", "year_close"}
    if levels.get("phone") == "typo" and same_given and birth_ok:
        return "phone_typo"
    family = levels.get("family_name") in {"family_middle", "middle_missing"}
    if common and same_given and (birth_agrees or (family and birth in {"null", "year"})):
        return "shared_identifier_and_name"
    address = levels.get("address")
    if same_given and birth_agrees and address in {"street", "other_street", "ward"}:
        return "name_birth_ward"
    # Reordered: every name word the same; three or more, so a middle name is among them.
    full_name = (given == "exact" and levels.get("family_name") == "family_middle") or (
        given == "reordered" and min(len(left.name_words), len(right.name_words)) >= 3
    )
    if full_name and birth_agrees:
        return "full_name_and_birth_date"
    if (
        (full_name or (same_given and family))
        and address == "street"
        and birth in {"exact", "swap", "null"}
        and levels.get("gender") != "else"
    ):
        return "full_name_and_street"
    return None


def _common_identifiers(left: MatchRecord, right: MatchRecord) -> list[tuple[str, str]]:
    """The strong identifiers two records share (cheap: the tuples are tiny)."""
    common = [("phone", p) for p in left.phones if p in right.phones]
    common.extend(("email", e) for e in left.emails if e in right.emails)
    common.extend(i for i in left.identifiers if i in right.identifiers)
    return common


def within_kind_limits(
    values: Mapping[str, set[str]], limits: Mapping[str, int] | None = None
) -> str | None:
    """The first kind whose number of distinct values exceeds its limit, else ``None``.

    Args:
        values: kind -> distinct values in a would-be cluster.
        limits: kind -> max (missing kinds are unlimited).
    """
    limits = DEFAULT_KIND_LIMITS if limits is None else limits
    for kind, seen in sorted(values.items()):
        limit = limits.get(kind)
        if limit is not None and len(seen) > limit:
            return kind
    return None
