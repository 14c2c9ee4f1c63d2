"""Everything that talks to Splink: settings dicts, input tables, training, prediction.

Splink (MIT) runs the Fellegi-Sunter model as SQL on DuckDB in process, or on Spark by
configuration. This module turns :class:`MatchSettings` and :class:`MatchModel` into
Splink settings, rows into an Arrow table, and Splink's outputs back into plain Python.
Splink and DuckDB are imported lazily: importing :mod:`hoso.engine.matching` stays cheap
for the pure scorer.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from hoso.engine.matching.model import LevelParams, MatchModel, default_model
from hoso.engine.matching.settings import (
    DUCKDB_MACROS,
    BlockingRule,
    Dialect,
    MatchSettings,
    quote_for,
)

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = [
    "Backend",
    "DuckDBOptions",
    "Edge",
    "duckdb_connection",
    "predict_edges",
    "predict_table",
    "rows_to_arrow",
    "splink_settings",
    "term_frequencies",
    "train_parameters",
]

Backend = Literal["python", "duckdb", "spark"]
_LIST_COLUMNS: Final = frozenset(
    {
        "name_words",
        "phones",
        "own_phones",
        "phone_masks",
        "phone_blocks",
        "emails",
        "email_locals",
        "ids",
        "id_kinds",
    }
)
_INT_COLUMNS: Final = frozenset({"birth_year"})
# EM on fewer blocked pairs than this learns noise (and Splink fails on none).
_MIN_EM_PAIRS: Final = 50


@dataclass(frozen=True, slots=True)
class DuckDBOptions:
    """How DuckDB may use this machine.

    Attributes:
        threads: Worker threads (default: all cores).
        memory_limit: e.g. ``"1.5GB"`` (default: DuckDB's, 80 % of RAM).
        temp_directory: Where DuckDB spills when over ``memory_limit``.
    """

    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: str | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """A scored candidate pair.

    Attributes:
        left: Left record id.
        right: Right record id.
        match_weight: Total match weight.
        probability: Match probability.
        levels: Level index reached per comparison, in settings order.
    """

    left: str
    right: str
    match_weight: float
    probability: float
    levels: tuple[int, ...]


def _level_dict(level: Any, params: LevelParams | None, dialect: Dialect) -> dict[str, Any]:
    out: dict[str, Any] = {"sql_condition": level.sql_for(dialect), "label_for_charts": level.key}
    if level.null:
        out["is_null_level"] = True
    elif params is not None:
        out["m_probability"] = params.m
        out["u_probability"] = params.u
    if level.tf_column is not None:
        out["tf_adjustment_column"] = level.tf_column
        out["tf_adjustment_weight"] = 1.0
    return out


def _blocking_dict(rule: BlockingRule, dialect: Dialect) -> dict[str, Any]:
    condition = quote_for(" AND ".join(f'l."{c}" = r."{c}"' for c in rule.columns), dialect)
    out: dict[str, Any] = {"blocking_rule": condition, "sql_dialect": dialect}
    if rule.explode:
        out["arrays_to_explode"] = list(rule.explode)
    return out


def splink_settings(
    model: MatchModel,
    *,
    dialect: Dialect = "duckdb",
    link_type: str = "dedupe_only",
    blocking: Sequence[BlockingRule] | None = None,
    retain: bool = False,
    by_weight: bool = False,
) -> dict[str, Any]:
    """A Splink settings dict carrying the model's parameters.

    Args:
        model: The model.
        dialect: ``duckdb`` or ``spark``.
        link_type: Splink's link type.
        blocking: Prediction blocking rules (default: the settings' own).
        retain: Keep the intermediate columns (weights per comparison) in predictions.
        by_weight: Output the weights per comparison (``mw_*``) instead of the matching
            columns and levels: much less to materialise; the level is read back from its
            weight (:func:`levels_by_weight`).
    """
    settings = model.match_settings
    comparisons = []
    for comparison in settings.comparisons:
        levels = []
        for index, level in enumerate(comparison.levels):
            params = None if level.null else model.level_params(comparison.name, index)
            levels.append(_level_dict(level, params, dialect))
        comparisons.append(
            {
                "output_column_name": comparison.name,
                "comparison_levels": levels,
                "comparison_description": comparison.label,
            }
        )
    rules = settings.blocking if blocking is None else blocking
    return {
        "link_type": link_type,
        "probability_two_random_records_match": model.prior,
        "unique_id_column_name": settings.unique_id,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [_blocking_dict(r, dialect) for r in rules],
        # Splink 5 only outputs the level columns (gamma_*) with the matching columns.
        "retain_matching_columns": not by_weight,
        "retain_intermediate_calculation_columns": retain or by_weight,
        "em_convergence": 0.0001,
        "max_iterations": 25,
    }


def rows_to_arrow(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> pa.Table:
    """An Arrow table of the rows (lists as ``list<string>``, years as ``int64``)."""
    import pyarrow as pa

    arrays = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        if column in _LIST_COLUMNS:
            arrays[column] = pa.array(values, type=pa.list_(pa.string()))
        elif column in _INT_COLUMNS:
            arrays[column] = pa.array(values, type=pa.int64())
        else:
            arrays[column] = pa.array(values, type=pa.string())
    return pa.table(arrays)


def term_frequencies(
    rows: Sequence[Mapping[str, object]], columns: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Share of non-null rows holding each value, per column (Splink's tf tables)."""
    return {column: _frequencies([row.get(column) for row in rows]) for column in columns}


def _frequencies(values: Sequence[object]) -> dict[str, float]:
    counts = Counter(str(v) for v in values if v is not None)
    total = sum(counts.values())
    return {value: n / total for value, n in counts.items()} if total else {}


@contextmanager
def duckdb_connection(
    options: DuckDBOptions, *, ordered: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with ``options`` (spilling to a private directory).

    ``ordered=False`` lets DuckDB drop insertion order (less memory) when results are
    sorted explicitly.
    """
    import shutil
    import tempfile

    import duckdb

    config: dict[str, Any] = {}
    if options.threads is not None:
        config["threads"] = options.threads
    if options.memory_limit is not None:
        config["memory_limit"] = options.memory_limit
    # DuckDB spills to ".tmp" in the current directory by default: never in the user's.
    scratch = None
    if options.temp_directory is None:
        scratch = tempfile.mkdtemp(prefix="hoso-duckdb-")
    config["temp_directory"] = options.temp_directory or scratch
    if not ordered:
        # Results are re-sorted by us; letting DuckDB drop insertion order saves memory.
        config["preserve_insertion_order"] = False
    connection = duckdb.connect(":memory:", config=config)
    for macro in DUCKDB_MACROS:
        connection.execute(macro)
    try:
        yield connection
    finally:
        connection.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _quiet_splink() -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)


def _columns(settings: MatchSettings, rows: Sequence[Mapping[str, object]]) -> list[str]:
    return list(rows[0].keys()) if rows else [settings.unique_id]


def train_parameters(
    rows: Sequence[Mapping[str, object]] | pa.Table,
    settings: MatchSettings,
    *,
    seed: int,
    max_pairs: float,
    options: DuckDBOptions,
    prior_rules: Sequence[BlockingRule] = (),
    prior_recall: float = 0.7,
) -> tuple[MatchModel, list[str]]:
    """Train m, u and the prior on DuckDB with Splink; see :func:`train_model`.

    ``rows`` are flattened records, or an Arrow table of the same columns (the batch
    path builds it in SQL).
    """
    from splink import DuckDBAPI, Linker

    _quiet_splink()
    notes: list[str] = []
    start = default_model(settings)
    arrow = rows_to_arrow(rows, _columns(settings, rows)) if isinstance(rows, Sequence) else rows
    with duckdb_connection(options) as connection:
        api = DuckDBAPI(connection)
        connection.register("__hoso_train_arrow", arrow)
        connection.execute("create table __hoso_train as select * from __hoso_train_arrow")
        connection.unregister("__hoso_train_arrow")
        table = api.register("__hoso_train")
        linker = Linker(table, splink_settings(start, dialect="duckdb"), log_level=None)
        if prior_rules:
            linker.training.estimate_probability_two_random_records_match(
                [_block(r) for r in prior_rules], recall=prior_recall
            )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in settings.training:
            pairs = _blocked_pair_count(connection, "__hoso_train", rule)
            if pairs < _MIN_EM_PAIRS:
                notes.append(f"EM on {'+'.join(rule.columns)} skipped: {pairs} pairs")
                continue
            linker.training.estimate_parameters_using_expectation_maximisation(
                _block(rule), estimate_without_term_frequencies=True
            )
        trained = linker.misc.save_model_to_json()
    tf = {
        column: _frequencies(
            arrow.column(column).to_pylist() if column in arrow.column_names else []
        )
        for column in settings.tf_columns
    }
    model = _model_from_splink(trained, settings, start, tf, arrow.num_rows)
    return _correct_u(model, floor=0.5 / max_pairs), notes


def _blocked_pair_count(
    connection: duckdb.DuckDBPyConnection, table: str, rule: BlockingRule
) -> int:
    """Pairs a rule blocks together (lists: each element a key, as ``rule_keys``)."""
    columns = ", ".join(f'"{c}"' for c in rule.columns)
    query = f"select {columns} from {table}"
    for column in rule.explode:
        others = "".join(f'"{c}", ' for c in rule.columns if c != column)
        query = f'select {others}unnest("{column}") as "{column}" from ({query})'
    condition = " and ".join(f'"{c}" is not null' for c in rule.columns)
    counted = f"select count(*) as n from ({query}) where {condition} group by all"
    total = connection.sql(f"select coalesce(sum(n * (n - 1) // 2), 0) from ({counted})")
    return int(total.fetchall()[0][0])


def _correct_u(model: MatchModel, *, floor: float) -> MatchModel:
    """Take the matches out of u.

    Random sampling estimates u as the share of *all* random pairs reaching a level, but
    a share ``prior`` of those pairs are matches, which reach it with probability m. In a
    shop's file with many duplicates this inflates u of the strong levels (a phone in
    common) several times over. The share among non-matches is
    ``(u_observed - prior * m) / (1 - prior)``, floored at half a sampled pair.
    """
    prior = model.prior
    params = {
        name: tuple(LevelParams(p.m, max((p.u - prior * p.m) / (1 - prior), floor)) for p in levels)
        for name, levels in model.params.items()
    }
    return MatchModel(
        settings=model.settings,
        prior=prior,
        params=params,
        tf=model.tf,
        trained_on=model.trained_on,
        seed=model.seed,
        notes=model.notes,
    )


def _block(rule: BlockingRule) -> Any:
    from splink import block_on

    return block_on(*rule.columns, arrays_to_explode=list(rule.explode) or None)


def _model_from_splink(
    trained: Mapping[str, Any],
    settings: MatchSettings,
    start: MatchModel,
    tf: dict[str, dict[str, float]],
    trained_on: int,
) -> MatchModel:
    by_name = {c["output_column_name"]: c for c in trained["comparisons"]}
    params: dict[str, tuple[LevelParams, ...]] = {}
    for comparison in settings.comparisons:
        stored = list(by_name[comparison.name]["comparison_levels"])
        fitted: list[LevelParams] = []
        non_null = [
            (level, lv)
            for level, lv in zip(comparison.levels, stored, strict=True)
            if not level.null
        ]
        for index, (_level, lv) in enumerate(non_null):
            fallback = start.params[comparison.name][index]
            m = lv.get("m_probability")
            u = lv.get("u_probability")
            fitted.append(
                LevelParams(
                    float(m) if m is not None else fallback.m,
                    float(u) if u is not None else fallback.u,
                )
            )
        params[comparison.name] = tuple(fitted)
    return MatchModel(
        settings=settings.name,
        prior=float(trained["probability_two_random_records_match"]),
        params=params,
        tf=tf,
        trained_on=trained_on,
    )


def predict_edges(
    rows: Sequence[Mapping[str, object]],
    model: MatchModel,
    *,
    threshold: float,
    backend: Backend,
    options: DuckDBOptions | None = None,
    spark: Any = None,
    right_rows: Sequence[Mapping[str, object]] | None = None,
) -> list[Edge]:
    """Score every blocked pair with Splink and keep those at or above ``threshold``.

    Args:
        rows: Flattened records (the left dataset when linking).
        right_rows: A second dataset: link the two (Splink ``link_only``) instead of
            deduplicating ``rows``.
        model: The model (its tf tables are registered, so Splink scores as the pure
            scorer does).
        threshold: Minimum match probability kept.
        backend: ``duckdb`` or ``spark``.
        options: DuckDB resources.
        spark: A ``SparkSession`` (``spark`` backend).
    """
    if backend == "spark":
        return _predict_spark(rows, model, threshold=threshold, spark=spark)
    from splink import DuckDBAPI, Linker

    _quiet_splink()
    settings = model.match_settings
    with duckdb_connection(options or DuckDBOptions(), ordered=False) as connection:
        api = DuckDBAPI(connection)
        table = api.register(rows_to_arrow(rows, _columns(settings, rows)))
        if right_rows is None:
            settings_dict = splink_settings(
                model, dialect="duckdb", by_weight=levels_by_weight(model) is not None
            )
            linker = Linker(table, settings_dict, log_level=None)
        else:
            right = api.register(rows_to_arrow(right_rows, _columns(settings, right_rows)))
            linker = Linker(
                [table, right],
                splink_settings(model, dialect="duckdb", link_type="link_only"),
                log_level=None,
            )
        # Always the model's tables (empty ones too): else Splink computes term
        # frequencies from this batch and no longer scores as the pure scorer does.
        for column in settings.tf_columns:
            tf_table = _tf_arrow(column, model.tf.get(column, {}))
            registered = api.register(tf_table, table_name=f"__hoso_tf_{column}")
            linker.table_management.register_term_frequency_lookup(registered, column)
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        lookups = levels_by_weight(model) if right_rows is None else None
        wanted = _edge_columns(settings, by_weight=lookups is not None)
        # Only the columns we read leave DuckDB.
        arrow = connection.sql(
            f"select {', '.join(wanted)} from {predictions.physical_name}"
        ).to_arrow_table()
    return _edges(arrow, settings, lookups)


def predict_table(
    connection: duckdb.DuckDBPyConnection,
    table_name: str,
    model: MatchModel,
    *,
    threshold: float,
    pairs: str,
) -> str:
    """Score given pairs of a table already in DuckDB; the name of Splink's predictions.

    The table holds the columns the comparisons read, with integer unique ids; ``pairs``
    names a table of the candidate pairs (``join_key_l`` < ``join_key_r``, each once),
    registered as Splink's blocked pairs: the batch path blocks itself, on one exploded
    list of every key. The predictions hold the ids, ``match_weight``,
    ``match_probability`` and, per comparison, ``mw_<name>`` (when
    :func:`levels_by_weight` can read levels back) or ``gamma_<name>``.
    """
    from splink import DuckDBAPI, Linker

    _quiet_splink()
    settings = model.match_settings
    api = DuckDBAPI(connection)
    table = api.register(table_name)
    by_weight = levels_by_weight(model) is not None
    linker = Linker(
        table,
        splink_settings(model, dialect="duckdb", blocking=(), by_weight=by_weight),
        log_level=None,
    )
    for column in settings.tf_columns:
        tf_table = _tf_arrow(column, model.tf.get(column, {}))
        registered = api.register(tf_table, table_name=f"__hoso_tf_{column}")
        linker.table_management.register_term_frequency_lookup(registered, column)
    # Splink reads a match key per pair (which rule found it): one constant, not stored.
    connection.execute(
        f"create or replace view __hoso_blocked_pairs as select '0' as match_key, "
        f"join_key_l, join_key_r from {pairs}"
    )
    linker.table_management.register_blocked_pairs_for_predict(api.register("__hoso_blocked_pairs"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    return str(predictions.physical_name)


def level_indices(
    column: Any, comparison_position: int, model: MatchModel, *, by_weight: bool
) -> Any:
    """An Arrow column of level indices from Splink's ``mw_`` (or ``gamma_``) column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    comparison = model.match_settings.comparisons[comparison_position]
    if by_weight:
        lookups = levels_by_weight(model)
        assert lookups is not None  # noqa: S101
        lookup = lookups[comparison_position]
        weights = pa.array(list(lookup.keys()), type=pa.float64())
        indices = pa.array(list(lookup.values()), type=pa.int64())
    else:
        gammas = range(-1, len(comparison.levels) - 1)
        weights = pa.array(list(gammas), type=column.type)
        indices = pa.array([_gamma_to_index(comparison.levels, g) for g in gammas])
    positions = pc.index_in(column, value_set=weights)
    if positions.null_count:
        raise ValueError(f"unknown level in {comparison.name}")
    return pc.take(indices, positions)


def _edge_columns(settings: MatchSettings, *, by_weight: bool = False) -> list[str]:
    uid = settings.unique_id
    prefix = "mw" if by_weight else "gamma"
    return [
        f'"{uid}_l"',
        f'"{uid}_r"',
        "match_weight",
        "match_probability",
        *(f'"{prefix}_{c.name}"' for c in settings.comparisons),
    ]


def levels_by_weight(model: MatchModel) -> list[dict[float, int]] | None:
    """Per comparison, each level's weight (before term frequencies) -> its index.

    Splink writes each level's weight into its SQL as a float literal, so the weight it
    outputs identifies the level exactly, unless two levels of a comparison have the same
    weight: then ``None`` (read the levels themselves).
    """
    lookups = []
    for comparison in model.match_settings.comparisons:
        lookup: dict[float, int] = {}
        for index in range(len(comparison.levels)):
            params = model.level_params(comparison.name, index)
            weight = 0.0 if params is None else params.weight
            if weight in lookup:
                return None
            lookup[weight] = index
        lookups.append(lookup)
    return lookups


def _tf_arrow(column: str, tf: Mapping[str, float]) -> pa.Table:
    import pyarrow as pa

    return pa.table(
        {
            column: pa.array(list(tf.keys()), type=pa.string()),
            f"tf_{column}": pa.array(list(tf.values()), type=pa.float64()),
        }
    )


def _edges(
    arrow: pa.Table, settings: MatchSettings, by_weight: list[dict[float, int]] | None = None
) -> list[Edge]:
    uid = settings.unique_id
    lefts = arrow.column(f"{uid}_l").to_pylist()
    rights = arrow.column(f"{uid}_r").to_pylist()
    weights = arrow.column("match_weight").to_pylist()
    probabilities = arrow.column("match_probability").to_pylist()
    levels_by_comparison = []
    for position, comparison in enumerate(settings.comparisons):
        if by_weight is not None:
            level_weights = arrow.column(f"mw_{comparison.name}").to_pylist()
            levels_by_comparison.append([by_weight[position][w] for w in level_weights])
            continue
        lookup = {
            gamma: _gamma_to_index(comparison.levels, gamma)
            for gamma in range(-1, len(comparison.levels) - 1)
        }
        gammas = arrow.column(f"gamma_{comparison.name}").to_pylist()
        levels_by_comparison.append([lookup[g] for g in gammas])
    return [
        Edge(str(left), str(right), float(weight), float(probability), levels)
        for left, right, weight, probability, levels in zip(
            lefts,
            rights,
            weights,
            probabilities,
            zip(*levels_by_comparison, strict=True),
            strict=True,
        )
    ]


def _gamma_to_index(levels: Sequence[Any], gamma: int) -> int:
    """Splink numbers levels -1 (null) then n-1 .. 0 (else) from the top; we use 0..n."""
    if gamma == -1:
        return next(i for i, level in enumerate(levels) if level.null)
    non_null = [i for i, level in enumerate(levels) if not level.null]
    return non_null[len(non_null) - 1 - gamma]


def _predict_spark(
    rows: Sequence[Mapping[str, object]], model: MatchModel, *, threshold: float, spark: Any
) -> list[Edge]:
    """The same prediction on Spark (``SparkAPI``), for batches beyond one machine."""
    from splink import Linker, SparkAPI

    _quiet_splink()
    if spark is None:
        raise ValueError("the spark backend needs a SparkSession (spark=...)")
    settings = model.match_settings
    if spark.sparkContext.getCheckpointDir() is None:
        # Splink's Spark backend checkpoints intermediate tables; a local default.
        import tempfile

        spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="hoso-spark-"))
    api = SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
    # pyspark 4 takes Arrow tables directly, with their schema (lists, empty tables).
    frame = spark.createDataFrame(rows_to_arrow(rows, _columns(settings, rows)))
    table = api.register(frame)
    linker = Linker(table, splink_settings(model, dialect="spark"), log_level=None)
    for column in settings.tf_columns:
        tf_frame = spark.createDataFrame(_tf_arrow(column, model.tf.get(column, {})))
        registered = api.register(tf_frame, table_name=f"__hoso_tf_{column}")
        linker.table_management.register_term_frequency_lookup(registered, column)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    frame = predictions.as_spark_dataframe().selectExpr(
        *(c.replace('"', "`") for c in _edge_columns(settings))
    )
    return _edges(pa_from_spark(frame), settings)


def pa_from_spark(frame: Any) -> pa.Table:
    """A small Spark result as an Arrow table (via pandas, which pyspark requires)."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)


def cpu_count() -> int:
    """Cores available to this process."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
