from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hoso.engine.survivorship import (
    Observation,
    Rule,
    choose,
    completeness,
    rules_for,
    trust_of,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def obs(
    ref: str, value: object, source: str = "api", days: int = 0, manual: bool = False
) -> Observation:
    return Observation(ref, value, source, T0 + timedelta(days=days), manual)


def test_nothing_observed_gives_nothing() -> None:
    assert choose([]) is None
    assert choose([obs("1", None), obs("2", ""), obs("3", "unknown")]) is None


def test_agreement_needs_no_rule() -> None:
    choice = choose([obs("1", "Lan", days=1), obs("2", "Lan", days=2)])
    assert choice is not None
    assert choice.value == "Lan"
    assert choice.rule is None
    assert choice.supporting == ("1", "2")


def test_manual_edit_wins_over_a_newer_source() -> None:
    choice = choose(
        [obs("1", "Kế toán", "ui", days=1, manual=True), obs("2", "Giáo viên", "pos:x", days=9)],
        rules_for("occupation"),
    )
    assert choice is not None
    assert (choice.value, choice.rule) == ("Kế toán", Rule.MANUAL)


def test_trusted_source_then_recency() -> None:
    observations = [obs("1", "A", "event:web", days=5), obs("2", "B", "pos:kiotviet", days=1)]
    choice = choose(observations, rules_for("occupation"))
    assert choice is not None
    assert (choice.value, choice.rule) == ("B", Rule.TRUSTED_SOURCE)
    flat = choose(observations, rules_for("occupation"), trust={})
    assert flat is not None
    assert (flat.value, flat.rule) == ("A", Rule.MOST_RECENT)


def test_names_prefer_the_fullest_form() -> None:
    choice = choose(
        [obs("1", "lan nguyen", "api", days=3), obs("2", "Nguyễn Thị Lan", "api", days=1)],
        rules_for("full_name"),
    )
    assert choice is not None
    assert (choice.value, choice.rule) == ("Nguyễn Thị Lan", Rule.MOST_COMPLETE)
    assert completeness("Nguyễn Thị Lan") > completeness("NGUYEN THI LAN")
    assert completeness("Nguyễn Thị Lan") > completeness("Lan")
    assert completeness(None) == (0, 0, 0)


def test_birth_dates_follow_the_majority() -> None:
    choice = choose(
        [
            obs("1", "1990-03-05", "api", days=1),
            obs("2", "1990-03-05", "event:web", days=2),
            obs("3", "1990-05-03", "api", days=9),
        ],
        rules_for("birth_date"),
    )
    assert choice is not None
    assert (choice.value, choice.rule) == ("1990-03-05", Rule.MOST_FREQUENT)


def test_workspace_overrides() -> None:
    assert rules_for("occupation", {"occupation": ["most_frequent", "bogus"]}) == (
        Rule.MOST_FREQUENT,
        Rule.MOST_RECENT,
    )
    assert trust_of("pos:sapo") == 20
    assert trust_of("somewhere") == 0
    assert trust_of("event:app", {"event:*": 99, "*": 1}) == 99


def test_lists_and_dicts_compare_by_content() -> None:
    choice = choose([obs("1", ["a", "b"], days=1), obs("2", ["a", "b"], days=2)])
    assert choice is not None
    assert choice.rule is None
    mixed = choose([obs("1", {"k": 1}, days=1), obs("2", {"k": 2}, days=2)])
    assert mixed is not None
    assert mixed.value == {"k": 2}


def test_same_instant_ties_break_deterministically() -> None:
    choice = choose([obs("a", "X"), obs("b", "Y")], (Rule.MOST_RECENT,))
    assert choice is not None
    assert (choice.value, choice.rule) == ("Y", Rule.MOST_RECENT)


values = st.sampled_from(["Lan", "lan", "Nguyễn Thị Lan", "Hoa", None, ""])
sources = st.sampled_from(["ui", "api", "pos:a", "import:b.xlsx", "event:web", "other"])
observations = st.lists(
    st.builds(
        Observation,
        ref=st.uuids().map(str),
        value=values,
        source=sources,
        observed_at=st.integers(0, 30).map(lambda d: T0 + timedelta(days=d)),
        manual=st.booleans(),
    ),
    max_size=8,
    unique_by=lambda o: o.ref,
)


@given(observations, st.randoms())
def test_choice_does_not_depend_on_order(items: list[Observation], rnd: object) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = choose(items, rules_for("full_name")), choose(shuffled, rules_for("full_name"))
    assert (first and first.observation) == (second and second.observation)


@given(observations)
def test_the_choice_is_one_of_the_observations(items: list[Observation]) -> None:
    choice = choose(items, rules_for("full_name"))
    real = [o for o in items if o.value not in (None, "")]
    if not real:
        assert choice is None
    else:
        assert choice is not None
        assert choice.observation in real
        assert choice.observation.ref in choice.supporting
        manual_values = {o.value for o in real if o.manual}
        if manual_values:
            assert choice.value in manual_values  # a person's edit is never overruled
