"""Survivorship: which of the values sources gave for a field becomes the golden value.

Every write to a profile records what its source said (an *observation*: value, source,
when, and whether a person typed it). When several records become one customer (a merge),
or a customer's values are recomputed, each field's golden value is chosen from its
observations by an ordered list of rules. Each rule keeps only the observations it prefers;
the first rule after which a single value remains decides, and is reported, so the UI can say
*why* a value won ("manual edit", "most trusted source", ...).

Pure: no database, no clock.
"""

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

from hoso.engine.normalize import fold, nfc


class Rule(StrEnum):
    """A survivorship rule; each narrows the candidates to the ones it prefers."""

    MANUAL = "manual"  # a staff member's edit wins over any source
    TRUSTED_SOURCE = "trusted_source"  # the source ranked highest by the workspace
    MOST_COMPLETE = "most_complete"  # the fullest form (diacritics, more name parts...)
    MOST_FREQUENT = "most_frequent"  # the value most sources agree on
    MOST_RECENT = "most_recent"  # the latest observation


@dataclass(frozen=True, slots=True)
class Observation:
    """What one source said about one field of a customer, and when."""

    ref: str  # the observation's id, for lineage and a deterministic last tie-break
    value: Any
    source: str  # "ui", "api", "import:members.xlsx", "event:website", "pos:kiotviet"
    observed_at: datetime
    manual: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    """The golden value of a field, the observation it came from, and the rule that chose."""

    observation: Observation
    rule: Rule | None  # None when every source agreed
    supporting: tuple[str, ...]  # refs of every observation that gave the same value

    @property
    def value(self) -> Any:
        """The chosen value."""
        return self.observation.value


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule.MANUAL,
    Rule.TRUSTED_SOURCE,
    Rule.MOST_COMPLETE,
    Rule.MOST_RECENT,
)
# Per field, where the default order is wrong. Birth dates and genders are facts many sources
# repeat (agreement beats recency); names are best in their fullest form.
FIELD_RULES: dict[str, tuple[Rule, ...]] = {
    "full_name": (Rule.MANUAL, Rule.TRUSTED_SOURCE, Rule.MOST_COMPLETE, Rule.MOST_RECENT),
    "birth_date": (Rule.MANUAL, Rule.MOST_FREQUENT, Rule.TRUSTED_SOURCE, Rule.MOST_RECENT),
    "gender": (Rule.MANUAL, Rule.MOST_FREQUENT, Rule.TRUSTED_SOURCE, Rule.MOST_RECENT),
}
# Source patterns (fnmatch) and their trust; unlisted sources rank 0. A workspace may
# override: a shop whose POS is careless can rank its Excel list above it.
DEFAULT_TRUST: dict[str, int] = {
    "ui": 30,
    "pos:*": 20,
    "import:*": 20,
    "api": 10,
    "event:*": 5,
}
_EMPTY: tuple[Any, ...] = (None, "", "unknown", [], {})


def rules_for(field: str, overrides: Mapping[str, Sequence[str]] | None = None) -> tuple[Rule, ...]:
    """The rules of ``field``: the workspace's override, else the field's default order.

    Unknown rule names in an override are ignored; MOST_RECENT is always appended, so a
    choice is always made.

    Examples:
        >>> rules_for("birth_date")[1]
        <Rule.MOST_FREQUENT: 'most_frequent'>
    """
    given = (overrides or {}).get(field)
    if given is None:
        rules = FIELD_RULES.get(field, DEFAULT_RULES)
    else:
        rules = tuple(Rule(r) for r in given if r in Rule.__members__.values())
    return rules if Rule.MOST_RECENT in rules else (*rules, Rule.MOST_RECENT)


def trust_of(source: str, trust: Mapping[str, int] | None = None) -> int:
    """The trust of a source: the highest matching pattern's, 0 when none matches.

    Examples:
        >>> trust_of("pos:kiotviet")
        20
        >>> trust_of("event:website", {"event:*": 50})
        50
    """
    table = DEFAULT_TRUST if trust is None else trust
    return max((v for pattern, v in table.items() if fnmatchcase(source, pattern)), default=0)


def completeness(value: Any) -> tuple[int, int, int]:
    """How full a value's form is: diacritics kept, more words, longer; higher is fuller.

    "Nguyễn Thị Lan" beats "nguyen thi lan" (diacritics), which beats "Lan" (words).
    """
    if not isinstance(value, str):
        return (0, 0, 0)
    text = nfc(value)
    has_marks = int(fold(text) != text.casefold())
    # Proper case: a name typed all lower or all upper is a worse form of the same name.
    proper = int(text != text.lower() and text != text.upper())
    return (has_marks + proper, len(text.split()), len(text))


def _key(value: Any) -> Any:
    """Values that are the same for survivorship: strings compare in display form."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return tuple(_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _key(v)) for k, v in value.items()))
    return value


def _narrow(
    candidates: list[Observation], score: Callable[[Observation], Any]
) -> list[Observation]:
    best = max(score(o) for o in candidates)
    return [o for o in candidates if score(o) == best]


def choose(
    observations: Sequence[Observation],
    rules: Sequence[Rule] = DEFAULT_RULES,
    *,
    trust: Mapping[str, int] | None = None,
) -> Choice | None:
    """Pick a field's golden value from what the sources said; None when none said anything.

    Empty values (None, "", "unknown") are not candidates: a source that does not know a
    customer's birth date does not erase it.

    Examples:
        >>> from datetime import datetime, UTC
        >>> t = lambda d: datetime(2026, 1, d, tzinfo=UTC)
        >>> obs = [Observation("1", "lan nguyen", "event:web", t(3)),
        ...        Observation("2", "Nguyễn Thị Lan", "pos:kiotviet", t(1))]
        >>> c = choose(obs, rules_for("full_name"))
        >>> (c.value, c.rule)
        ('Nguyễn Thị Lan', <Rule.TRUSTED_SOURCE: 'trusted_source'>)
    """
    candidates = [o for o in observations if o.value not in _EMPTY]
    if not candidates:
        return None
    by_value = Counter(_key(o.value) for o in candidates)
    decided_by: Rule | None = None  # None: every source gave the same value
    for rule in rules:
        if len({_key(o.value) for o in candidates}) == 1:
            break
        decided_by = rule  # a rule that leaves one value is the one that decided
        if rule is Rule.MANUAL:
            candidates = _narrow(candidates, lambda o: o.manual)
        elif rule is Rule.TRUSTED_SOURCE:
            candidates = _narrow(candidates, lambda o: trust_of(o.source, trust))
        elif rule is Rule.MOST_COMPLETE:
            candidates = _narrow(candidates, lambda o: completeness(o.value))
        elif rule is Rule.MOST_FREQUENT:
            candidates = _narrow(candidates, lambda o: by_value[_key(o.value)])
        else:
            candidates = _narrow(candidates, lambda o: o.observed_at)
    if len({_key(o.value) for o in candidates}) > 1:
        decided_by = Rule.MOST_RECENT  # same instant: the later-written observation wins
    winner = max(candidates, key=lambda o: (o.observed_at, o.ref))
    supporting = tuple(
        sorted(
            o.ref
            for o in observations
            if o.value not in _EMPTY and _key(o.value) == _key(winner.value)
        )
    )
    return Choice(observation=winner, rule=decided_by, supporting=supporting)
