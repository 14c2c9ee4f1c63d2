import doctest
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoso.engine.matching import (
    Decision,
    MatchModel,
    MatchRecord,
    ModelError,
    Thresholds,
    decide,
    default_model,
    find_shared_identifiers,
    mark_shared,
    prepare_record,
    score_pair,
)
from hoso.engine.matching import model as model_module
from hoso.engine.matching import scoring as scoring_module
from hoso.engine.matching.model import LevelParams


def test_doctests() -> None:
    assert doctest.testmod(scoring_module).failed == 0
    assert doctest.testmod(model_module).failed == 0


def test_the_lan_trio_scores_high(lan_trio: list[MatchRecord]) -> None:
    pos, web, excel = lan_trio
    model = default_model()
    assert score_pair(model, pos, web).probability >= 0.99
    typo = score_pair(model, pos, excel)
    assert typo.level("phone") == "typo"  # 0120 312 3456 is 070 312 3456 since 2018
    assert typo.level("given_name") == "exact"
    assert typo.probability >= 0.99


def test_mother_and_daughter_score_low(mother_daughter: list[MatchRecord]) -> None:
    # Batch and real time mark the family phone shared before scoring (they are clearly
    # two people): the phone and the house then both say "one household", not "one person".
    family = mark_shared(mother_daughter, find_shared_identifiers(mother_daughter))
    score = score_pair(default_model(), *family)
    assert score.level("phone") == "shared"
    assert score.level("address") == "street"  # one house: the household's
    assert score.level("given_name") == "else"
    assert score.probability < 0.5


def test_namesakes_score_low(namesakes: list[MatchRecord]) -> None:
    score = score_pair(default_model(), *namesakes)
    assert score.level("given_name") == "exact"
    assert score.level("family_name") == "family_middle"
    assert score.probability < 0.01


def test_a_name_alone_stays_below_review() -> None:
    a = prepare_record("a", full_name="Nguyễn Thị Lan")
    b = prepare_record("b", full_name="Nguyễn Thị Lan")
    assert score_pair(default_model(), a, b).probability < Thresholds().review


def test_day_and_month_swapped_is_its_own_level() -> None:
    a = prepare_record("a", full_name="Lê Văn Nam", birth_date="03/04/1990")
    b = prepare_record("b", full_name="Le Van Nam", birth_date="04/03/1990")
    assert score_pair(default_model(), a, b).level("birth_date") == "swap"


def test_reordered_and_unaccented_names_agree() -> None:
    a = prepare_record("a", full_name="Nguyễn Minh Khoa")
    b = prepare_record("b", full_name="Khoa Nguyen Minh")
    assert score_pair(default_model(), a, b).level("given_name") in {"exact", "reordered"}


def test_explanation_lists_weights_strongest_first(lan_trio: list[MatchRecord]) -> None:
    score = score_pair(default_model(), lan_trio[0], lan_trio[1])
    text = score.explanation()
    assert text.startswith("Phone: a phone in common (+")
    assert "Số điện thoại: trùng số điện thoại" in score.explanation(locale="vi")
    data = score.to_dict()
    json.dumps(data)  # JSON-able for storage with a merge decision
    weights = sum(c["weight"] for c in data["comparisons"])
    assert math.isclose(data["prior_weight"] + weights, score.match_weight)
    phone = next(c for c in data["comparisons"] if c["comparison"] == "phone")
    assert phone["left"] == {"phones": ["+84903123456"]}
    assert phone["bayes_factor"] == pytest.approx(2 ** phone["weight"])


def test_term_frequencies_weaken_common_given_names() -> None:
    base = default_model()
    model = MatchModel(
        settings=base.settings,
        prior=base.prior,
        params=base.params,
        tf={"given": {"lan": 0.08, "thoa": 0.0005}, "family": {}},
    )
    common = score_pair(
        model, prepare_record("a", full_name="Lan"), prepare_record("b", full_name="Chị Lan")
    )
    rare = score_pair(
        model, prepare_record("a", full_name="Thoa"), prepare_record("b", full_name="Cô Thoa")
    )
    assert common.comparisons[0].tf_adjustment < 0 < rare.comparisons[0].tf_adjustment
    assert common.match_weight < rare.match_weight


def test_model_json_round_trip() -> None:
    base = default_model()
    params = {
        k: tuple(LevelParams(p.m * 0.9, p.u * 1.1) for p in v) for k, v in base.params.items()
    }
    model = MatchModel(
        base.settings, 0.000123, params, {"given": {"lan": 0.1}}, trained_on=10, seed=3
    )
    again = MatchModel.from_json(model.to_json())
    assert again == model
    assert json.loads(model.to_json())["format"] == "hoso-match-model/1"


@pytest.mark.parametrize(
    "text",
    ["[]", "not json", '{"format": "other"}', '{"format": "hoso-match-model/1", "settings": "x"}'],
)
def test_model_json_errors(text: str) -> None:
    with pytest.raises(ModelError):
        MatchModel.from_json(text)


def test_model_json_must_fit_its_settings() -> None:
    data = default_model().to_dict()
    data["comparisons"]["phone"] = data["comparisons"]["phone"][:1]
    with pytest.raises(ModelError, match="phone"):
        MatchModel.from_dict(data)


def test_decide() -> None:
    thresholds = Thresholds(merge=0.95, review=0.6)
    assert decide(0.95, thresholds) == Decision.MERGE
    assert decide(0.7, thresholds) == Decision.REVIEW
    assert decide(0.59, thresholds) == Decision.IGNORE
    with pytest.raises(ValueError, match="thresholds"):
        Thresholds(merge=0.5, review=0.9)


names = st.sampled_from(
    ["Nguyễn Thị Lan", "lan nguyen", "Chị Lan", "Trần Văn Hùng", "Hung Tran", None, "Mai"]
)
phones = st.lists(
    st.sampled_from(["0903123456", "0903123457", "01203123456", "0988222333"]), max_size=2
)
births = st.sampled_from([None, "01/02/1990", "02/01/1990", "1990", "1991", "15/09/1992"])
emails = st.lists(
    st.sampled_from(["lan@gmail.com", "l.a.n@gmail.com", "lan@yahoo.com"]), max_size=1
)


@st.composite
def records(draw: st.DrawFn) -> MatchRecord:
    return prepare_record(
        draw(st.sampled_from(["a", "b", "c"])),
        full_name=draw(names),
        phones=draw(phones),
        birth_date=draw(births),
        emails=draw(emails),
        gender=draw(st.sampled_from([None, "Nam", "Nữ"])),
        identifiers=draw(
            st.lists(st.sampled_from([("zalo_id", "z1"), ("zalo_id", "z2")]), max_size=1)
        ),
    )


@settings(max_examples=200)
@given(records(), records())
def test_scoring_is_symmetric(a: MatchRecord, b: MatchRecord) -> None:
    model = default_model()
    forward, backward = score_pair(model, a, b), score_pair(model, b, a)
    assert forward.match_weight == pytest.approx(backward.match_weight, abs=1e-12)
    assert [c.level for c in forward.comparisons] == [c.level for c in backward.comparisons]
    assert 0 <= forward.probability <= 1
