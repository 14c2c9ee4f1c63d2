import doctest
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoso.engine.matching import (
    GuardPolicy,
    MatchRecord,
    Thresholds,
    default_model,
    prepare_record,
    resolve_batch,
    train_model,
)
from hoso.engine.matching import batch as batch_module
from hoso.engine.matching.synthetic import generate, to_match_record


def test_doctests() -> None:
    assert doctest.testmod(batch_module).failed == 0


def _clusters(records: list[MatchRecord], **kwargs: object) -> list[set[str]]:
    result = resolve_batch(records, **kwargs)  # type: ignore[arg-type]
    return sorted((set(ids) for ids in result.clusters.values()), key=sorted)


@pytest.mark.parametrize("backend", ["python", "duckdb"])
def test_a_household_at_one_house(backend: str) -> None:
    """The father's counter record without a phone joins him; nobody else does."""
    house = "45 Trần Hưng Đạo, Phường Cửa Nam, Hà Nội"
    records = [
        prepare_record("father", full_name="Nguyễn Văn Hùng", phones=["0912 000 111"],
                       birth_date="12/05/1965", address=house),
        prepare_record("counter", full_name="NGUYEN VAN HUNG", address="45 Tran Hung Dao, "
                       "Cua Nam, Ha Noi"),
        prepare_record("mother", full_name="Trần Thị Hoa", phones=["0912 000 111"],
                       birth_date="03/02/1968", address=house),
        prepare_record("son", full_name="Nguyễn Văn Nam", phones=["0912000111"], address=house),
        prepare_record("namesake", full_name="Nguyễn Văn Hùng", phones=["0988 222 333"],
                       address="47 Trần Hưng Đạo, Phường Cửa Nam, Hà Nội"),
    ]  # fmt: skip
    result = resolve_batch(records, backend=backend)
    clusters = sorted((set(ids) for ids in result.clusters.values()), key=sorted)
    assert clusters == [{"counter", "father"}, {"mother"}, {"namesake"}, {"son"}]
    counter = next(a for a in result.assignments if a.record_id == "counter")
    assert counter.evidence == "full_name_and_street"


@pytest.mark.parametrize("backend", ["python", "duckdb"])
def test_the_quality_bars(
    backend: str,
    lan_trio: list[MatchRecord],
    mother_daughter: list[MatchRecord],
    namesakes: list[MatchRecord],
) -> None:
    records = [*lan_trio, *mother_daughter, *namesakes]
    clusters = _clusters(records, backend=backend)
    assert {"pos-1", "web-1", "xls-1"} in clusters
    assert {"mother"} in clusters
    assert {"daughter"} in clusters
    assert {"hung-1"} in clusters
    assert {"hung-2"} in clusters


def test_assignment_says_why(lan_trio: list[MatchRecord]) -> None:
    result = resolve_batch(lan_trio)
    by_id = {a.record_id: a for a in result.assignments}
    assert by_id["web-1"].cluster_id == "pos-1"
    assert by_id["web-1"].via == "pos-1"
    assert by_id["web-1"].evidence == "identifier"
    assert by_id["xls-1"].evidence == "phone_typo"
    probability = by_id["xls-1"].probability
    assert probability is not None
    assert probability >= 0.99
    explained = result.explain("xls-1", by_id["xls-1"].via or "")
    assert explained.level("phone") == "typo"


def test_review_pairs_do_not_chain() -> None:
    # a-b and b-c are each only reviewable (a shared phone and a name): no cluster forms.
    a = prepare_record("a", full_name="Lan", phones=["0903123456"])
    b = prepare_record("b", full_name="Lan", phones=["0903123456", "0988111222"])
    c = prepare_record("c", full_name="Lan", phones=["0988111222"])
    d = prepare_record("d", full_name="Mai", phones=["0903123456"], birth_date="1950")
    result = resolve_batch([a, b, c, d], thresholds=Thresholds(merge=0.9999999, review=0.5))
    assert len(result.clusters) == 4
    assert result.review


def test_a_junk_phone_never_makes_a_giant_cluster() -> None:
    rng = random.Random(3)
    people = [("Nguyễn Thị Lan", "Lan"), ("Trần Văn Hùng", "Hùng"), ("Lê Thị Mai", "Mai")]
    records = [
        prepare_record(
            f"r{i}",
            full_name=rng.choice(people)[0],
            phones=["0909 123 000"],  # a valid number typed for every walk-in customer
            birth_date=f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(1950, 2005)}",
        )
        for i in range(300)
    ]
    result = resolve_batch(records, backend="duckdb")
    assert max(len(ids) for ids in result.clusters.values()) < 10
    assert any(w.code == "shared_identifiers" for w in result.warnings)


def test_a_cluster_past_the_size_limit_is_refused_and_reported() -> None:
    records = [
        prepare_record(f"r{i}", full_name="Nguyễn Thị Lan", phones=["0903123456"]) for i in range(8)
    ]
    result = resolve_batch(records, policy=GuardPolicy(max_cluster_size=5))
    assert max(len(ids) for ids in result.clusters.values()) == 5
    warning = next(w for w in result.warnings if w.code == "giant_cluster_refused")
    assert warning.details["max_cluster_size"] == 5
    assert any(p.reason == "cluster_too_large" for p in result.review)


def test_per_kind_limits_refuse_a_second_zalo_id() -> None:
    same = {"full_name": "Lan", "phones": ["0903123456"], "emails": ["lan@gmail.com"]}
    a = prepare_record("a", **same, birth_date="1990", identifiers=[("zalo_id", "z1")])  # type: ignore[arg-type]
    b = prepare_record("b", **same, birth_date="1990", identifiers=[("zalo_id", "z2")])  # type: ignore[arg-type]
    result = resolve_batch([a, b])
    assert len(result.clusters) == 2
    assert [p.reason for p in result.review] == ["kind_limit:zalo_id"]


def test_empty_and_unusable_input_is_reported() -> None:
    empty = resolve_batch([])
    assert [w.code for w in empty.warnings] == ["empty_input"]
    assert empty.assignments == ()
    names_only = resolve_batch([prepare_record("1", full_name="Lan"), prepare_record("2")])
    codes = [w.code for w in names_only.warnings]
    assert "no_usable_identifiers" in codes
    assert "unusable_records" in codes
    assert len(names_only.clusters) == 2


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        resolve_batch([prepare_record("1"), prepare_record("1")])


SAMPLE = [to_match_record(r) for r in generate(120, seed=5)]


@settings(max_examples=15, deadline=None)
@given(st.randoms(use_true_random=False))
def test_clustering_does_not_depend_on_input_order(rnd: random.Random) -> None:
    shuffled = SAMPLE[:]
    rnd.shuffle(shuffled)
    baseline = resolve_batch(SAMPLE, backend="python")
    again = resolve_batch(shuffled, backend="python")
    assert {a.record_id: a.cluster_id for a in again.assignments} == {
        a.record_id: a.cluster_id for a in baseline.assignments
    }
    assert again.review == baseline.review


def test_duckdb_and_python_backends_agree() -> None:
    model = default_model()
    python = resolve_batch(SAMPLE, model, backend="python")
    duckdb = resolve_batch(SAMPLE, model, backend="duckdb")
    assert {a.record_id: a.cluster_id for a in python.assignments} == {
        a.record_id: a.cluster_id for a in duckdb.assignments
    }
    assert [(p.left_id, p.right_id) for p in python.review] == [
        (p.left_id, p.right_id) for p in duckdb.review
    ]


def test_training_is_deterministic_and_learns() -> None:
    records = [to_match_record(r, parse_addresses=False) for r in generate(400, seed=11)]
    assert len(records) >= 500
    first = train_model(records, seed=7, max_pairs=2e5)
    second = train_model(list(reversed(records)), seed=7, max_pairs=2e5)
    assert first.to_json() == second.to_json()
    assert first.trained_on == len(records)
    assert first.params != default_model().params
    phone = first.params["phone"][0]
    assert phone.m > 0.5
    assert phone.u < 0.001


def test_a_table_of_records_resolves_and_trains_as_the_records() -> None:
    import pyarrow as pa

    from hoso.engine.matching.columnar import records_table

    records = [to_match_record(r, parse_addresses=False) for r in generate(400, seed=11)]
    table = pa.concat_tables([records_table(records[:300]), records_table(records[300:])])
    assert train_model(table, seed=7, max_pairs=2e5).to_json() == (
        train_model(records, seed=7, max_pairs=2e5).to_json()
    )
    model = default_model()
    from_records = resolve_batch(records, model, backend="duckdb")
    from_table = resolve_batch(table, model, backend="duckdb")
    assert from_table.assignments == from_records.assignments
    assert from_table.review == from_records.review
    assert from_table.shared == from_records.shared
    assert [w.code for w in from_table.warnings] == [w.code for w in from_records.warnings]
    pair = next(a for a in from_table.assignments if a.via is not None)
    assert from_table.explain(pair.record_id, pair.via or "") == from_records.explain(
        pair.record_id, pair.via or ""
    )
