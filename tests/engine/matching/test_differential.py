"""The pure scorer equals Splink's own scoring of the same pairs with the same model."""

import random

import pytest

from hoso.engine.matching import (
    MatchModel,
    default_model,
    find_shared_identifiers,
    mark_shared,
    prepare_record,
    score_rows,
    to_row,
)
from hoso.engine.matching.blocking import candidate_pairs
from hoso.engine.matching.model import LevelParams
from hoso.engine.matching.splink_bridge import predict_edges, term_frequencies
from hoso.engine.matching.synthetic import generate, to_match_record

# The synthetic sample plus pairs reaching the rarest levels.
RECORDS = [
    *(to_match_record(r) for r in generate(250, seed=17)),
    prepare_record("x1", full_name="Lan", phones=["0911000111"], birth_date="1990"),
    prepare_record("x2", full_name="Lan", phones=["0911000111"], birth_date="1991"),
    prepare_record("x3", full_name="Mai", phones=["0911000222"], emails=["mai.le@gmail.com"]),
    prepare_record("x4", full_name="Mai", phones=["0911000222"], emails=["maile@yahoo.com"]),
    prepare_record("x5", full_name="Hoa", phones=["0911000333"], birth_date="1960"),
    prepare_record("x6", full_name="Vy", phones=["0911000333"], birth_date="2001"),
    prepare_record("x7", full_name="An", phones=["0911000444"], emails=["an@gmail.com"]),
    prepare_record("x8", full_name="An", phones=["0911000444"], emails=["binh@yahoo.com"]),
    prepare_record("x9", full_name="Tú", phones=["0911000555"], province_code="01"),
    prepare_record("x10", full_name="Tú", phones=["0911000555"], province_code="79"),
    prepare_record("x11", full_name="Nguyễn Văn An", phones=["0911000666"]),
    prepare_record("x12", full_name="Nguyễn Minh An", phones=["0911000666"]),
    prepare_record("x13", full_name="Trần Văn Bình", phones=["0911000777"]),
    prepare_record("x14", full_name="Lê Văn Bình", phones=["0911000777"]),
    prepare_record("x15", full_name="Cúc", phones=["0911000888"], birth_date="01/01/1950"),
    prepare_record("x16", full_name="Cúc", phones=["0911000888"], birth_date="01/01/1990"),
    prepare_record("x17", full_name="Kim", phones=["0911000999"], gender="Nam"),
    prepare_record("x18", full_name="Kim", phones=["0911000999"], gender="Nữ"),
    # Same ward, a house number on one side only (the generator writes whole addresses).
    prepare_record("x19", full_name="Loan", phones=["0911001000"], address="12 Lê Lợi",
                   province_code="79", ward_code="26743"),
    prepare_record("x20", full_name="Loan", phones=["0911001000"], address="Lê Lợi",
                   province_code="79", ward_code="26743"),
]  # fmt: skip
# Phones used by clearly different people are marked shared, as resolve_batch does.
ROWS = [to_row(r) for r in mark_shared(RECORDS, find_shared_identifiers(RECORDS))]


def _random_model(seed: int) -> MatchModel:
    """A model far from the defaults: random m and u, the data's term frequencies."""
    rng = random.Random(seed)
    base = default_model()
    params = {
        name: tuple(LevelParams(rng.uniform(0.001, 1), rng.uniform(1e-7, 1)) for _ in levels)
        for name, levels in base.params.items()
    }
    tf = term_frequencies(ROWS, base.match_settings.tf_columns)
    # A value missing from the table (a new given name) must get no adjustment on both sides.
    tf["given"].pop(next(iter(tf["given"])))
    return MatchModel(base.settings, rng.uniform(1e-5, 1e-2), params, tf)


@pytest.mark.parametrize("seed", [1, 2])
def test_pure_scores_equal_splink_scores(seed: int) -> None:
    model = _random_model(seed)
    edges = predict_edges(ROWS, model, threshold=0.0, backend="duckdb")
    by_id = {str(row["unique_id"]): row for row in ROWS}
    expected_pairs = {
        tuple(sorted((str(ROWS[i]["unique_id"]), str(ROWS[j]["unique_id"]))))
        for i, j in candidate_pairs(ROWS)
    }
    assert {tuple(sorted((e.left, e.right))) for e in edges} == expected_pairs
    assert len(edges) > 250
    levels_seen: set[tuple[int, ...]] = set()
    for edge in edges:
        score = score_rows(model, by_id[edge.left], by_id[edge.right])
        assert score.match_weight == pytest.approx(edge.match_weight, abs=1e-9), edge
        assert tuple(c.level_index for c in score.comparisons) == edge.levels
        assert score.probability == pytest.approx(edge.probability, abs=1e-12)
        levels_seen.add(edge.levels)
    # The sample exercises many combinations of levels, and every level.
    assert len(levels_seen) > 50
    for position, comparison in enumerate(model.match_settings.comparisons):
        reached = {levels[position] for levels in levels_seen}
        assert reached == set(range(len(comparison.levels))), comparison.name


def test_levels_are_read_from_gammas_when_two_levels_weigh_the_same() -> None:
    """Splink's weights identify levels unless two share a weight; then its level columns."""
    from hoso.engine.matching.splink_bridge import levels_by_weight

    base = _random_model(3)
    params = dict(base.params)
    given = list(params["given_name"])
    given[3] = LevelParams(0.2, 0.2)  # weight 0, as the null level's
    params["given_name"] = tuple(given)
    model = MatchModel(base.settings, base.prior, params, base.tf)
    assert levels_by_weight(base) is not None
    assert levels_by_weight(model) is None
    by_id = {str(row["unique_id"]): row for row in ROWS}
    for edge in predict_edges(ROWS, model, threshold=0.0, backend="duckdb"):
        score = score_rows(model, by_id[edge.left], by_id[edge.right])
        assert tuple(c.level_index for c in score.comparisons) == edge.levels


def test_columnar_batch_columns_keys_and_shared_equal_the_row_path() -> None:
    """The batch's SQL columns, blocking keys and shared identifiers equal the Python ones."""
    import duckdb
    import pyarrow as pa

    from hoso.engine.matching.blocking import row_keys
    from hoso.engine.matching.columnar import base_table, block_keys_sql, derive_sql, find_shared
    from hoso.engine.matching.guards import GuardPolicy

    records = [
        *RECORDS,
        prepare_record(
            "y1",
            full_name="Lan",
            phones=["0903123456", "0903123457"],
            emails=["x.y+tag@gmail.com", "xy@yahoo.com"],
            identifiers=[("external_id", "a:b"), ("zalo_id", "z1")],
            birth_date="12/03/1990",
        ),
        prepare_record("y2", full_name="Lan", phones=["0903123456"], birth_date="03/12/1990"),
        # A house on two records: shared under the policy below, its street left out.
        prepare_record(
            "y3", full_name="Hoa", address="12 Lê Lợi", province_code="79", ward_code="26743"
        ),
        prepare_record(
            "y4", full_name="Mai", address="45 Trần Phú", province_code="79", ward_code="26743"
        ),
    ]
    connection = duckdb.connect()
    connection.register("base", base_table(records))
    policy = GuardPolicy(max_records_per_value=3, max_records_per_address=1)
    shared = find_shared(connection, "base", records, policy)
    expected = find_shared_identifiers(records, policy)
    assert shared == expected
    assert list(shared) == list(expected)  # the same order: warnings list the first ones
    assert any(s.reason == "too_many_records" for s in shared.values())
    assert ("address", "26743|12 le loi") in shared
    phones = [v for k, v in shared if k == "phone"]
    houses = [v for k, v in shared if k == "address"]
    connection.register("sp", pa.table({"value": pa.array(phones, type=pa.string())}))
    connection.register("sa", pa.table({"value": pa.array(houses, type=pa.string())}))
    query = f"select *, {block_keys_sql(default_model().match_settings)} as keys from "
    derived = derive_sql("base", "sp", masks=True, shared_addresses="sa")
    table = connection.sql(f"{query} ({derived}) order by unique_id").to_arrow_table()
    marked = mark_shared(records, shared)
    for position, (record, row) in enumerate(zip(marked, table.to_pylist(), strict=True)):
        keys = row.pop("keys")
        assert row == {**to_row(record), "unique_id": position}
        assert set(keys) == row_keys(to_row(record))
