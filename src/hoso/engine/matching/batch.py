"""Train a model on a workspace's records, and resolve a whole batch into clusters.

:func:`train_model` runs Splink's unsupervised training (u by random sampling, then EM on
blocked pairs) on DuckDB in process. :func:`resolve_batch` scores every blocked pair
(Splink on DuckDB or Spark, or the pure scorer for small batches), decides each pair with
the thresholds and the guards, and clusters the merge decisions with a union-find that
refuses any union breaking a guard: review-level and shared-identifier edges never chain
records together, and no cluster grows past ``max_cluster_size``.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from hoso.engine.matching import columnar
from hoso.engine.matching.blocking import candidate_pairs
from hoso.engine.matching.guards import (
    GuardPolicy,
    SharedIdentifier,
    clearly_different,
    find_shared_identifiers,
    merge_evidence,
)
from hoso.engine.matching.model import (
    MatchModel,
    Thresholds,
    default_model,
)
from hoso.engine.matching.record import MatchRecord, mark_shared, to_row
from hoso.engine.matching.scoring import PairScore, score_pair, score_rows
from hoso.engine.matching.settings import VIETNAMESE, MatchSettings
from hoso.engine.matching.splink_bridge import (
    Backend,
    DuckDBOptions,
    Edge,
    duckdb_connection,
    level_indices,
    levels_by_weight,
    predict_edges,
    predict_table,
    train_parameters,
)

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "MIN_TRAINING_RECORDS",
    "Assignment",
    "BatchResult",
    "BatchWarning",
    "ReviewPair",
    "connected_components",
    "resolve_batch",
    "train_model",
    "train_rows",
]

#: Below this many records, :func:`train_model` returns the default model (with the data's
#: term frequencies): EM on a few hundred records mostly learns noise.
MIN_TRAINING_RECORDS: Final = 500
#: Batches up to this size are scored by the pure scorer when ``backend="auto"``.
PYTHON_BACKEND_MAX: Final = 2000
#: Edges whose records are built together when resolving from a table.
_WINDOW: Final = 50_000
#: :func:`train_model` trains on a deterministic sample of this many records at most.
TRAINING_SAMPLE: Final = 100_000


def train_model(
    records: Sequence[MatchRecord] | pa.Table,
    *,
    settings: MatchSettings = VIETNAMESE,
    seed: int = 42,
    max_pairs: float = 2e6,
    sample: int = TRAINING_SAMPLE,
    options: DuckDBOptions | None = None,
) -> MatchModel:
    """Train a model on a workspace's own records (unsupervised; no labels).

    Splink on DuckDB, in process: the prior from the settings' prior rules (for
    :data:`~hoso.engine.matching.settings.VIETNAMESE`: records sharing a phone and a given
    name, assumed to find 70 % of matches), u by random sampling of ``max_pairs`` pairs
    with ``seed`` (then corrected for the matches among random pairs), then one EM session
    per training rule of the settings (u fixed, m estimated). Term frequencies come from
    the records. With fewer than :data:`MIN_TRAINING_RECORDS` records, the default model
    is returned (without term frequencies: a handful of records says nothing about how
    common a name is). Larger inputs are sampled down to ``sample`` records.

    Args:
        records: The workspace's records, or their
            :func:`~hoso.engine.matching.columnar.records_table`.
        settings: Comparisons and rules.
        seed: Random seed for the sample and u sampling (same seed and records, same model,
            whatever their order).
        max_pairs: Pairs sampled for u.
        sample: Train on at most this many records.
        options: DuckDB resources (threads are forced to 1 for determinism).

    Returns:
        The trained model.

    Examples:
        >>> from hoso.engine.matching import prepare_record
        >>> model = train_model([prepare_record("1", full_name="Lan")])
        >>> model.trained_on, model.notes[0].startswith("too few records")
        (1, True)
    """
    if not isinstance(records, Sequence):
        records = columnar.TableRecords(records)
    if isinstance(records, columnar.TableRecords):
        ids = records.table.column("record_id").to_pylist()
    else:
        ids = [r.record_id for r in records]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    del ids
    if len(order) > sample:
        picked = random.Random(seed).sample(range(len(order)), sample)  # noqa: S311
        order = [order[i] for i in sorted(picked)]
    if isinstance(records, columnar.TableRecords):
        records.load(order)
    ordered = [records[i] for i in order]
    if len(ordered) < MIN_TRAINING_RECORDS:
        return train_rows([to_row(r) for r in ordered], settings=settings, seed=seed)
    # The rows of to_row, built in SQL (as the batch builds them), with the record ids.
    with duckdb_connection(options or DuckDBOptions()) as connection:
        connection.register("__hoso_base", columnar.base_table(ordered, with_ids=True))
        shared = columnar.find_shared(connection, "__hoso_base", ordered, GuardPolicy())
        phones = sorted(value for kind, value in shared if kind == "phone")
        houses = sorted(value for kind, value in shared if kind == "address")
        connection.register("__hoso_shared_phones", _strings_table(phones))
        connection.register("__hoso_shared_houses", _strings_table(houses))
        derived = columnar.derive_sql(
            "__hoso_base",
            "__hoso_shared_phones",
            uid="record_id",
            shared_addresses="__hoso_shared_houses",
        )
        table = connection.sql(f"{derived} order by b.{columnar.ROW}").to_arrow_table()
    return train_rows(table, settings=settings, seed=seed, max_pairs=max_pairs, options=options)


def train_rows(
    rows: Sequence[Mapping[str, object]] | pa.Table,
    *,
    settings: MatchSettings,
    seed: int = 42,
    max_pairs: float = 2e6,
    options: DuckDBOptions | None = None,
) -> MatchModel:
    """:func:`train_model` on rows already flattened (any settings, e.g. a benchmark's).

    The rows (or an Arrow table of them) are used in the order given: sort them for
    order-independence.
    """
    count = len(rows) if isinstance(rows, Sequence) else rows.num_rows
    if count < MIN_TRAINING_RECORDS:
        base = default_model(settings)
        # No term frequencies either: in a file of ten rows, "Lan" may be half the names.
        return MatchModel(
            settings=base.settings,
            prior=base.prior,
            params=base.params,
            trained_on=count,
            seed=seed,
            notes=(f"too few records to train ({count} < {MIN_TRAINING_RECORDS})",),
        )
    # Sampling and EM in several DuckDB threads can order rows differently from run to run;
    # one thread makes the same records and seed give the same model.
    opts = options or DuckDBOptions()
    opts = DuckDBOptions(
        threads=1, memory_limit=opts.memory_limit, temp_directory=opts.temp_directory
    )
    model, notes = train_parameters(
        rows,
        settings,
        seed=seed,
        max_pairs=max_pairs,
        options=opts,
        prior_rules=settings.prior_rules,
        prior_recall=settings.prior_recall,
    )
    return MatchModel(
        settings=model.settings,
        prior=model.prior,
        params=model.params,
        tf=model.tf,
        trained_on=model.trained_on,
        seed=seed,
        notes=tuple(notes),
    )


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one record landed.

    Attributes:
        record_id: The record.
        cluster_id: Its cluster: the smallest record id in the cluster.
        probability: The probability of the merge that put it there (``None`` alone).
        via: The record it was merged with by that edge.
        evidence: Why that merge was allowed (see
            :func:`~hoso.engine.matching.guards.merge_evidence`).
    """

    record_id: str
    cluster_id: str
    probability: float | None = None
    via: str | None = None
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewPair:
    """A pair for a person to decide.

    Attributes:
        left_id: One record.
        right_id: The other.
        probability: Match probability.
        reason: ``uncertain`` (between the thresholds), ``no_merge_evidence`` (high
            probability but only a name or a shared identifier), ``kind_limit:<kind>``,
            ``cluster_too_large``, ``conflicting_records`` (the merge would put two
            clearly different people in one cluster).
    """

    left_id: str
    right_id: str
    probability: float
    reason: str


@dataclass(frozen=True, slots=True)
class BatchWarning:
    """Something the caller must tell the user.

    Attributes:
        code: ``empty_input``, ``no_usable_identifiers`` (no record carries a phone,
            e-mail or other identifier), ``unusable_records`` (records with neither a name
            nor an identifier), ``shared_identifiers``, ``giant_cluster_refused``.
        details: JSON-able facts (counts, examples).
    """

    code: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchResult:
    """The outcome of :func:`resolve_batch`.

    Attributes:
        assignments: One per record, in input order.
        review: Pairs to review, most probable first.
        warnings: What went wrong or needs attention.
        shared: Shared identifiers found in the batch.
        stats: Counts and seconds per phase.
    """

    assignments: tuple[Assignment, ...]
    review: tuple[ReviewPair, ...]
    warnings: tuple[BatchWarning, ...]
    shared: Mapping[tuple[str, str], SharedIdentifier]
    stats: Mapping[str, float]
    _model: MatchModel | None = field(default=None, repr=False)
    _records: Sequence[MatchRecord] = field(default=(), repr=False)

    @property
    def clusters(self) -> dict[str, list[str]]:
        """Cluster id -> record ids (input order)."""
        out: dict[str, list[str]] = {}
        for assignment in self.assignments:
            out.setdefault(assignment.cluster_id, []).append(assignment.record_id)
        return out

    def explain(self, left_id: str, right_id: str) -> PairScore:
        """The full scored explanation of a pair of the batch (pure scorer, on demand)."""
        assert self._model is not None  # noqa: S101
        wanted = (left_id, right_id)
        pair = [self._records[i] for i, a in enumerate(self.assignments) if a.record_id in wanted]
        left, right = mark_shared(sorted(pair, key=lambda r: r.record_id != left_id), self.shared)
        return score_pair(self._model, left, right)


@dataclass(slots=True)
class _Edges:
    """Scored pairs as columns, strongest first (then by record ids), ``left`` < ``right``.

    ``left``/``right`` are positions in the batch; ``levels`` holds, per comparison, the
    level key reached by each pair.
    """

    left: list[int]
    right: list[int]
    probability: list[float]
    levels: list[list[str]]

    @classmethod
    def from_edges(cls, edges: Sequence[Edge], ids: Sequence[str], model: MatchModel) -> _Edges:
        position = {rid: i for i, rid in enumerate(ids)}
        ordered = [
            e
            if e.left < e.right
            else Edge(e.right, e.left, e.match_weight, e.probability, e.levels)
            for e in edges
        ]
        ordered.sort(key=lambda e: (-e.match_weight, e.left, e.right))
        comparisons = model.match_settings.comparisons
        return cls(
            left=[position[e.left] for e in ordered],
            right=[position[e.right] for e in ordered],
            probability=[e.probability for e in ordered],
            levels=[
                [comparison.levels[e.levels[k]].key for e in ordered]
                for k, comparison in enumerate(comparisons)
            ],
        )


def resolve_batch(
    records: Sequence[MatchRecord] | pa.Table,
    model: MatchModel | None = None,
    thresholds: Thresholds | None = None,
    *,
    backend: Backend | str = "auto",
    policy: GuardPolicy | None = None,
    options: DuckDBOptions | None = None,
    spark: Any = None,
    shared: Mapping[tuple[str, str], SharedIdentifier] | None = None,
) -> BatchResult:
    """Resolve a batch of records into clusters, review pairs and warnings.

    Pairs are blocked by the settings' rules and scored (``duckdb``: Splink on DuckDB in
    process; ``spark``: Splink's Spark backend with ``spark=SparkSession``; ``python``: the
    pure scorer; ``auto``: ``python`` up to 2,000 records, else ``duckdb``). Each pair at
    or above ``thresholds.review`` is decided: *merge* needs the merge threshold **and**
    merge evidence (:func:`~hoso.engine.matching.guards.merge_evidence`), else it is queued
    for review. Merges are applied strongest first with a union-find that refuses a union
    exceeding a per-kind limit or ``policy.max_cluster_size``, or joining two clearly
    different people (:func:`~hoso.engine.matching.guards.clearly_different`) through a
    chain; refused merges become review pairs. The result does not depend on the input order.

    On DuckDB the batch is columnar: the records' attributes are read once into Arrow,
    the shared identifiers are grouped, the comparison columns and one list of every
    blocking key are derived in SQL (see :mod:`~hoso.engine.matching.columnar`), and the
    scored pairs come back sorted, as columns.

    Args:
        records: The batch (record ids unique), or the Arrow table of
            :func:`~hoso.engine.matching.columnar.records_table` (a million records then
            never live as Python objects: only those the guards read are rebuilt).
        model: The model (default: :func:`~hoso.engine.matching.model.default_model`).
        thresholds: Merge and review thresholds.
        backend: ``auto``, ``python``, ``duckdb`` or ``spark``.
        policy: Guard settings.
        options: DuckDB resources.
        spark: A SparkSession for the ``spark`` backend.
        shared: Shared identifiers known beforehand (e.g. from the workspace); the batch's
            own are added.

    Returns:
        The :class:`BatchResult`.

    Raises:
        ValueError: Duplicate record ids, or an unknown backend.

    Examples:
        >>> from hoso.engine.matching import prepare_record
        >>> batch = [
        ...     prepare_record("1", full_name="Nguyễn Thị Lan", phones=["0903 123 456"]),
        ...     prepare_record("2", full_name="lan nguyen", phones=["+84 903123456"]),
        ...     prepare_record("3", full_name="Chị Lan", phones=["01203123456"]),
        ... ]
        >>> sorted({a.cluster_id for a in resolve_batch(batch).assignments})
        ['1']
    """
    # Hundreds of thousands of small objects, none in a reference cycle: the cyclic
    # collector would walk the whole heap again and again while they are built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _resolve(records, model, thresholds, backend, policy, options, spark, shared)
    finally:
        if collecting:
            gc.enable()


def _resolve(
    records: Sequence[MatchRecord] | pa.Table,
    model: MatchModel | None,
    thresholds: Thresholds | None,
    backend: Backend | str,
    policy: GuardPolicy | None,
    options: DuckDBOptions | None,
    spark: Any,
    shared: Mapping[tuple[str, str], SharedIdentifier] | None,
) -> BatchResult:
    model = model or default_model()
    thresholds = thresholds or Thresholds()
    policy = policy or GuardPolicy()
    table = None
    if not isinstance(records, Sequence):
        table, records = records, columnar.TableRecords(records)
    stats: dict[str, float] = {"records": float(len(records))}
    warnings: list[BatchWarning] = []
    if table is None:
        ids = [r.record_id for r in records]
        unusable = [r.record_id for r in records if not r.usable]
        identified = any(r.has_identifier for r in records)
    else:
        ids, unusable, identified = columnar.ids_and_usable(table)
    if len(set(ids)) != len(ids):
        raise ValueError("record ids must be unique in a batch")
    if not ids:
        warnings.append(BatchWarning("empty_input"))
        return BatchResult((), (), tuple(warnings), {}, stats, model, ())
    if unusable:
        warnings.append(
            BatchWarning("unusable_records", {"count": len(unusable), "examples": unusable[:5]})
        )
    if not identified:
        warnings.append(BatchWarning("no_usable_identifiers", {"records": len(records)}))

    chosen = _backend(backend, len(records))
    if chosen == "duckdb":
        found, all_shared, edges = _score_duckdb(
            records, table, ids, model, thresholds, policy, options, shared or {}, stats
        )
    else:
        started = time.perf_counter()
        found = find_shared_identifiers(records, policy)
        all_shared = {**(shared or {}), **found}
        # Phones used by several people compare at their own, weaker level.
        marked = mark_shared(records, all_shared)
        stats["guards_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        rows = [to_row(r) for r in marked]
        del marked
        stats["rows_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        if chosen == "python":
            scored = _python_edges(rows, model, thresholds.review)
        else:
            scored = predict_edges(
                rows, model, threshold=thresholds.review, backend=chosen, spark=spark
            )
        del rows
        edges = _Edges.from_edges(scored, ids, model)
        stats["score_seconds"] = time.perf_counter() - started
    stats["edges"] = float(len(edges.left))
    if found:
        examples = sorted(found.values(), key=lambda s: -s.records)[:5]
        warnings.append(
            BatchWarning(
                "shared_identifiers",
                {
                    "count": len(found),
                    "examples": [
                        {"kind": s.kind, "value": s.value, "records": s.records, "reason": s.reason}
                        for s in examples
                    ],
                },
            )
        )

    started = time.perf_counter()
    assignments, review, giant = _cluster(
        edges, records, ids, model, thresholds, policy, all_shared
    )
    stats["cluster_seconds"] = time.perf_counter() - started
    if giant:
        warnings.append(BatchWarning("giant_cluster_refused", giant))
    return BatchResult(
        assignments=assignments,
        review=review,
        warnings=tuple(warnings),
        shared=all_shared,
        stats=stats,
        _model=model,
        _records=records,
    )


def _score_duckdb(
    records: Sequence[MatchRecord],
    table: pa.Table | None,
    ids: list[str],
    model: MatchModel,
    thresholds: Thresholds,
    policy: GuardPolicy,
    options: DuckDBOptions | None,
    known: Mapping[tuple[str, str], SharedIdentifier],
    stats: dict[str, float],
) -> tuple[
    dict[tuple[str, str], SharedIdentifier], dict[tuple[str, str], SharedIdentifier], _Edges
]:
    """Guards, columns and Splink scoring in one DuckDB connection, columnar throughout."""
    import pyarrow as pa

    settings = model.match_settings
    with duckdb_connection(options or DuckDBOptions(), ordered=False) as connection:
        started = time.perf_counter()
        if table is None:
            connection.register("__hoso_base_arrow", columnar.base_table(records))
            connection.execute("create table __hoso_base as select * from __hoso_base_arrow")
            connection.unregister("__hoso_base_arrow")
        else:
            # The caller's table is read in place (no copy).
            connection.register("__hoso_base", columnar.with_positions(table))
        rows_seconds = time.perf_counter() - started

        started = time.perf_counter()
        found = columnar.find_shared(connection, "__hoso_base", records, policy)
        all_shared = {**known, **found}
        phones = sorted({value for kind, value in all_shared if kind == "phone"})
        houses = sorted({value for kind, value in all_shared if kind == "address"})
        connection.register("__hoso_shared_phones", _strings_table(phones))
        connection.register("__hoso_shared_houses", _strings_table(houses))
        stats["guards_seconds"] = time.perf_counter() - started

        started = time.perf_counter()
        wanted = sorted(
            {c for comparison in settings.comparisons for c in _sql_columns(comparison)}
        )
        quoted = ", ".join(f'"{c}"' for c in sorted({*wanted, "phone_blocks"}))
        derived = columnar.derive_sql(
            "__hoso_base", "__hoso_shared_phones", shared_addresses="__hoso_shared_houses"
        )
        connection.execute(
            f"create table __hoso_input as select {columnar.ROW}, {quoted} from ({derived})"
        )
        if table is None:
            connection.execute("drop table __hoso_base")
        else:
            connection.unregister("__hoso_base")
        # Every blocking key of every rule, one row each.
        connection.execute(
            f"create table __hoso_keys as select {columnar.ROW}, "
            f"unnest({columnar.block_keys_sql(settings)}) as key from __hoso_input"
        )
        stats["rows_seconds"] = rows_seconds + time.perf_counter() - started

        started = time.perf_counter()
        # Pairs sharing a blocking key of any rule, each once.
        connection.execute(
            f"create table __hoso_pairs as select distinct l.{columnar.ROW} as join_key_l, "
            f"r.{columnar.ROW} as join_key_r from __hoso_keys l join __hoso_keys r "
            f"on l.key = r.key and l.{columnar.ROW} < r.{columnar.ROW}"
        )
        connection.execute("drop table __hoso_keys")
        stats["pairs"] = float(_count(connection, "__hoso_pairs"))
        by_weight = levels_by_weight(model) is not None
        predictions = predict_table(
            connection,
            "__hoso_input",
            model,
            threshold=thresholds.review,
            pairs="__hoso_pairs",
        )
        connection.execute("drop view __hoso_blocked_pairs")
        connection.execute("drop table __hoso_pairs")
        connection.execute("drop table __hoso_input")
        connection.register(
            "__hoso_ids_arrow",
            pa.table({"row": pa.array(range(len(ids)), type=pa.int32()), "id": pa.array(ids)}),
        )
        connection.execute("create table __hoso_ids as select * from __hoso_ids_arrow")
        connection.unregister("__hoso_ids_arrow")
        prefix = "mw" if by_weight else "gamma"
        uid = settings.unique_id
        level_columns = [f'p."{prefix}_{c.name}"' for c in settings.comparisons]
        # Strongest first, then by record ids, each pair with its smaller record id left.
        arrow = connection.sql(
            f"""
            select case when l.id < r.id then l.row else r.row end as a,
                   case when l.id < r.id then r.row else l.row end as b,
                   p.match_probability, {", ".join(level_columns)}
            from {predictions} p
            join __hoso_ids l on l.row = p."{uid}_l"
            join __hoso_ids r on r.row = p."{uid}_r"
            order by p.match_weight desc, least(l.id, r.id), greatest(l.id, r.id)
            """
        ).to_arrow_table()
        levels = []
        for position, comparison in enumerate(settings.comparisons):
            indices = level_indices(
                arrow.column(3 + position), position, model, by_weight=by_weight
            )
            keys = pa.array([level.key for level in comparison.levels])
            levels.append(keys.take(indices).to_pylist())
        edges = _Edges(
            left=arrow.column("a").to_pylist(),
            right=arrow.column("b").to_pylist(),
            probability=arrow.column("match_probability").to_pylist(),
            levels=levels,
        )
        stats["score_seconds"] = time.perf_counter() - started
    return found, all_shared, edges


def _count(connection: Any, table: str) -> int:
    return int(connection.sql(f"select count(*) from {table}").fetchall()[0][0])


def _strings_table(values: Sequence[str]) -> pa.Table:
    import pyarrow as pa

    return pa.table({"value": pa.array(values, type=pa.string())})


def _sql_columns(comparison: Any) -> set[str]:
    """The row columns a comparison's SQL reads (``"x_l"``/``"x_r"``)."""
    import re

    names: set[str] = set()
    for level in comparison.levels:
        names.update(re.findall(r'"([a-z0-9_]+)_[lr]"', level.sql_for("duckdb")))
    return names


def _backend(backend: str, size: int) -> Backend:
    if backend == "auto":
        return "python" if size <= PYTHON_BACKEND_MAX else "duckdb"
    if backend not in ("python", "duckdb", "spark"):
        raise ValueError(f"unknown backend {backend!r}")
    return backend  # type: ignore[return-value]


def _python_edges(
    rows: Sequence[Mapping[str, object]], model: MatchModel, threshold: float
) -> list[Edge]:
    edges = []
    for i, j in candidate_pairs(rows, model.match_settings):
        score = score_rows(model, rows[i], rows[j])
        if score.probability >= threshold:
            edges.append(
                Edge(
                    left=score.left_id,
                    right=score.right_id,
                    match_weight=score.match_weight,
                    probability=score.probability,
                    levels=tuple(c.level_index for c in score.comparisons),
                )
            )
    return edges


class _Clusters:
    """Union-find keeping, per cluster, its size, identifiers and distinct people.

    Keys are positions in the batch. Per cluster: its size, its identifier values per
    kind, and one record per distinct (given name, birth date), to check that no two
    members are clearly different people. Only records that take part in a merge get
    entries (most of a million are alone).
    """

    def __init__(self, record: Callable[[int], MatchRecord], ids: Sequence[str]) -> None:
        self.record = record
        self.ids = ids
        self.parent: dict[int, int] = {}
        self.size: dict[int, int] = {}
        self.kinds: dict[int, dict[str, set[str]]] = {}
        self.people: dict[int, dict[tuple[object, ...], MatchRecord]] = {}

    def root(self, key: int) -> int:
        parent = self.parent
        if key not in parent:
            return key
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def _ensure(self, row: int) -> None:
        if row in self.parent:
            return
        record = self.record(row)
        self.parent[row] = row
        self.size[row] = 1
        self.people[row] = {_signature(record): record}
        # record.strong_identifiers(), grouped by kind.
        kinds: dict[str, set[str]] = {}
        if record.phones:
            kinds["phone"] = set(record.phones)
        if record.emails:
            kinds["email"] = set(record.emails)
        for kind, value in record.identifiers:
            kinds.setdefault(kind, set()).add(value)
        self.kinds[row] = kinds

    def blocked_by(self, a: int, b: int, policy: GuardPolicy) -> str | None:
        self._ensure(a)
        self._ensure(b)
        if self.size[a] + self.size[b] > policy.max_cluster_size:
            return "cluster_too_large"
        left, right = self.kinds[a], self.kinds[b]
        for kind in left.keys() & right.keys():
            limit = policy.kind_limits.get(kind)
            if limit is not None and len(left[kind] | right[kind]) > limit:
                return f"kind_limit:{kind}"
        for x in self.people[a].values():
            for y in self.people[b].values():
                if clearly_different(x, y):
                    return "conflicting_records"
        return None

    def union(self, a: int, b: int) -> None:
        keep, drop = (a, b) if self.ids[a] < self.ids[b] else (b, a)
        self.parent[drop] = keep
        self.size[keep] += self.size.pop(drop)
        merged = self.kinds.pop(drop)
        target = self.kinds[keep]
        for kind, values in merged.items():
            target.setdefault(kind, set()).update(values)
        people = self.people[keep]
        for signature, record in self.people.pop(drop).items():
            people.setdefault(signature, record)


def _signature(record: MatchRecord) -> tuple[object, ...]:
    return (record.given, record.birth_date, record.birth_year, record.name_words)


def _cluster(
    edges: _Edges,
    records: Sequence[MatchRecord],
    ids: Sequence[str],
    model: MatchModel,
    thresholds: Thresholds,
    policy: GuardPolicy,
    shared: Mapping[tuple[str, str], SharedIdentifier],
) -> tuple[tuple[Assignment, ...], tuple[ReviewPair, ...], dict[str, Any]]:
    names = [c.name for c in model.match_settings.comparisons]
    # From a table, the records of merge edges are built a window of edges at a time:
    # only those the clusters keep (one per distinct person) outlive their window.
    table = records if isinstance(records, columnar.TableRecords) else None
    window: dict[int, MatchRecord] = {}
    record = window.__getitem__ if table is not None else records.__getitem__
    clusters = _Clusters(record, ids)
    attached: dict[int, tuple[float | None, str | None, str | None]] = {}
    review: list[tuple[int, int, float, str]] = []
    refused_large = 0
    largest_refused: list[str] = []
    merge_at, review_at = thresholds.merge, thresholds.review
    for index, (x, y, probability, reached) in enumerate(
        zip(
            edges.left, edges.right, edges.probability, zip(*edges.levels, strict=True), strict=True
        )
    ):
        if table is not None and index % _WINDOW == 0:
            window.clear()
            end = index + _WINDOW
            rows = sorted(
                {
                    row
                    for a, b, p in zip(
                        edges.left[index:end],
                        edges.right[index:end],
                        edges.probability[index:end],
                        strict=True,
                    )
                    if p >= merge_at
                    for row in (a, b)
                }
            )
            window.update(zip(rows, table.build(rows), strict=True))
        # decide(), inlined: hundreds of thousands of edges.
        if probability < review_at:
            continue
        if probability < merge_at:
            review.append((x, y, probability, "uncertain"))
            continue
        a, b = clusters.root(x), clusters.root(y)
        if a == b:
            # Already together: a review pair inside one cluster would be dropped anyway.
            continue
        levels = dict(zip(names, reached, strict=True))
        evidence = merge_evidence(levels, record(x), record(y), shared)
        if evidence is None:
            review.append((x, y, probability, "no_merge_evidence"))
            continue
        blocked = clusters.blocked_by(a, b, policy)
        if blocked is not None:
            review.append((x, y, probability, blocked))
            if blocked == "cluster_too_large":
                refused_large += 1
                if not largest_refused:
                    largest_refused = [ids[x], ids[y]]
            continue
        clusters.union(a, b)
        attached.setdefault(x, (probability, ids[y], evidence))
        attached.setdefault(y, (probability, ids[x], evidence))
    # The clusters' identifiers and people are no longer needed: free them first.
    clusters.kinds.clear()
    clusters.people.clear()
    clusters.size.clear()
    window.clear()
    root = clusters.root
    assignments = []
    alone: tuple[float | None, str | None, str | None] = (None, None, None)
    for row, rid in enumerate(ids):
        joined, via, evidence = attached.get(row, alone)
        assignments.append(Assignment(rid, ids[root(row)], joined, via, evidence))
    kept_review = [
        ReviewPair(ids[x], ids[y], probability, reason)
        for x, y, probability, reason in review
        if root(x) != root(y)
    ]
    kept_review.sort(key=lambda p: (-p.probability, p.left_id, p.right_id))
    giant: dict[str, Any] = {}
    if refused_large:
        giant = {
            "refused_merges": refused_large,
            "max_cluster_size": policy.max_cluster_size,
            "example": largest_refused,
        }
    return tuple(assignments), tuple(kept_review), giant


def connected_components(
    ids: Iterable[str], edges: Iterable[Edge], threshold: float
) -> dict[str, str]:
    """Plain clustering: records joined by edges at or above ``threshold``, no guards.

    For settings without customer guards (a benchmark's); cluster ids are the smallest
    record id of each cluster.
    """
    parent = {i: i for i in ids}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for edge in edges:
        if edge.probability >= threshold:
            a, b = root(edge.left), root(edge.right)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {key: root(key) for key in parent}
