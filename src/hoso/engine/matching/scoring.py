"""Score a pair of records in pure Python, with an explanation a person can read.

:func:`score_pair` computes exactly what Splink's ``predict`` computes for the same pair
and model (prior + the weight of each comparison's level + term-frequency adjustments),
without a database round trip, so it can run inside a request. A differential test keeps
it equal to Splink's scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hoso.engine.matching.model import MatchModel, probability_to_weight, weight_to_probability
from hoso.engine.matching.record import MatchRecord, Row, to_row
from hoso.engine.matching.settings import Comparison

__all__ = ["ComparisonScore", "PairScore", "score_pair", "score_rows"]


@dataclass(frozen=True, slots=True)
class ComparisonScore:
    """How one field compared.

    Attributes:
        comparison: The comparison's id (``phone``).
        label: Its human name, English.
        label_vi: Its human name, Vietnamese.
        level: The level reached (``exact``, ``typo``, ``null``, ``else``...).
        level_label: The level's human label, English.
        level_label_vi: The level's human label, Vietnamese.
        level_index: The level's index in the comparison (0 = null level).
        left: The values compared, left record (column -> value).
        right: The values compared, right record.
        weight: log2 Bayes factor of the level, term-frequency adjustment included.
        tf_adjustment: The part of ``weight`` due to term frequencies.
        agrees: Whether the field counts as agreeing.
    """

    comparison: str
    label: str
    label_vi: str
    level: str
    level_label: str
    level_label_vi: str
    level_index: int
    left: dict[str, Any]
    right: dict[str, Any]
    weight: float
    tf_adjustment: float
    agrees: bool

    @property
    def bayes_factor(self) -> float:
        """2 ** weight: how many times likelier this outcome is for the same customer."""
        return float(2**self.weight)


@dataclass(frozen=True, slots=True)
class PairScore:
    """The score of a pair and why.

    Attributes:
        left_id: The left record's id.
        right_id: The right record's id.
        match_weight: Prior weight plus every comparison's weight.
        probability: The match probability, from ``match_weight``.
        prior_weight: log2 odds of the prior.
        comparisons: One :class:`ComparisonScore` per comparison, in settings order.
    """

    left_id: str
    right_id: str
    match_weight: float
    probability: float
    prior_weight: float
    comparisons: tuple[ComparisonScore, ...]

    def level(self, comparison: str) -> str:
        """The level key reached by ``comparison``."""
        for item in self.comparisons:
            if item.comparison == comparison:
                return item.level
        raise KeyError(comparison)

    def levels(self) -> dict[str, str]:
        """Comparison name -> level key reached (what the guards read)."""
        return {item.comparison: item.level for item in self.comparisons}

    def explanation(self, *, locale: str = "en") -> str:
        """One line: each comparison that carried weight, its level and weight, strongest first.

        Examples:
            ``phone: a phone in common (+15.5); given name: same given name (+5.1)``
        """
        parts = sorted(
            (c for c in self.comparisons if c.level != "null"),
            key=lambda c: -abs(c.weight),
        )
        return "; ".join(
            f"{c.label_vi if locale == 'vi' else c.label}: "
            f"{c.level_label_vi if locale == 'vi' else c.level_label} ({c.weight:+.1f})"
            for c in parts
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form for storage with a merge decision or for the review UI."""
        return {
            "left_id": self.left_id,
            "right_id": self.right_id,
            "match_weight": self.match_weight,
            "probability": self.probability,
            "prior_weight": self.prior_weight,
            "comparisons": [
                {
                    "comparison": c.comparison,
                    "label": c.label,
                    "label_vi": c.label_vi,
                    "level": c.level,
                    "level_label": c.level_label,
                    "level_label_vi": c.level_label_vi,
                    "left": c.left,
                    "right": c.right,
                    "weight": c.weight,
                    "bayes_factor": c.bayes_factor,
                    "tf_adjustment": c.tf_adjustment,
                    "agrees": c.agrees,
                }
                for c in self.comparisons
            ],
        }


def score_pair(model: MatchModel, left: MatchRecord, right: MatchRecord) -> PairScore:
    """Score two records with a model: match weight, probability and explanation.

    Pure Python and symmetric (``score_pair(m, a, b)`` and ``score_pair(m, b, a)`` have
    the same weight). Equal to Splink's ``predict`` on the same pair with the same model
    (term-frequency tables included) to floating-point rounding.

    Args:
        model: The workspace's model (or :func:`~hoso.engine.matching.model.default_model`).
        left: One record.
        right: The other.

    Returns:
        The :class:`PairScore`.

    Raises:
        ModelError: The model's settings are not registered.

    Examples:
        >>> from hoso.engine.matching import default_model, prepare_record
        >>> a = prepare_record("a", full_name="Nguyễn Thị Lan", phones=["0903 123 456"])
        >>> b = prepare_record("b", full_name="lan nguyen", phones=["+84 903123456"])
        >>> score = score_pair(default_model(), a, b)
        >>> score.level("phone"), score.level("given_name"), score.probability > 0.99
        ('exact', 'exact', True)
    """
    return score_rows(model, to_row(left), to_row(right))


def score_rows(model: MatchModel, left: Row, right: Row) -> PairScore:
    """:func:`score_pair` on rows already flattened by :func:`to_row` (for batch loops)."""
    compiled = _compile(model)
    total = compiled.prior_weight
    items: list[ComparisonScore] = []
    for comparison, weights, tf_levels in compiled.comparisons:
        index = comparison.level_index(left, right)
        level = comparison.levels[index]
        weight = weights[index]
        tf_adjustment = 0.0
        tf_level = tf_levels[index]
        if tf_level is not None:
            tf_adjustment = _tf_adjustment(model, tf_level[0], tf_level[1], left, right)
            weight += tf_adjustment
        total += weight
        items.append(
            ComparisonScore(
                comparison=comparison.name,
                label=comparison.label,
                label_vi=comparison.label_vi,
                level=level.key,
                level_label=level.label,
                level_label_vi=level.label_vi,
                level_index=index,
                left={c: left.get(c) for c in comparison.columns},
                right={c: right.get(c) for c in comparison.columns},
                weight=weight,
                tf_adjustment=tf_adjustment,
                agrees=level.agrees,
            )
        )
    uid = compiled.unique_id
    return PairScore(
        left_id=str(left[uid]),
        right_id=str(right[uid]),
        match_weight=total,
        probability=weight_to_probability(total),
        prior_weight=compiled.prior_weight,
        comparisons=tuple(items),
    )


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A model's weights laid out by level index, computed once per model."""

    prior_weight: float
    unique_id: str
    # Per comparison: the comparison, the weight of each level (0 for the null level), and
    # for levels with term frequencies the column and the u of its exact-match level.
    comparisons: tuple[
        tuple[Comparison, tuple[float, ...], tuple[tuple[str, float] | None, ...]], ...
    ]


_COMPILED: dict[int, tuple[MatchModel, _Compiled]] = {}


def _compile(model: MatchModel) -> _Compiled:
    cached = _COMPILED.get(id(model))
    if cached is not None and cached[0] is model:
        return cached[1]
    settings = model.match_settings
    comparisons = []
    for comparison in settings.comparisons:
        weights: list[float] = []
        tf_levels: list[tuple[str, float] | None] = []
        for index, level in enumerate(comparison.levels):
            params = model.level_params(comparison.name, index)
            weights.append(0.0 if params is None else params.weight)
            if params is not None and level.tf_column is not None:
                exact = model.level_params(
                    comparison.name, _exact_level_index(comparison, level.tf_column)
                )
                assert exact is not None  # noqa: S101
                tf_levels.append((level.tf_column, exact.u))
            else:
                tf_levels.append(None)
        comparisons.append((comparison, tuple(weights), tuple(tf_levels)))
    compiled = _Compiled(
        prior_weight=probability_to_weight(model.prior),
        unique_id=settings.unique_id,
        comparisons=tuple(comparisons),
    )
    if len(_COMPILED) > 64:  # models are few per process; keep the cache small
        _COMPILED.clear()
    _COMPILED[id(model)] = (model, compiled)
    return compiled


def _tf_adjustment(model: MatchModel, column: str, exact_u: float, left: Row, right: Row) -> float:
    """Splink's term-frequency adjustment (``ComparisonLevel._tf_adjustment_sql``).

    ``log2(u of the exact level) - log2(max(tf_left, tf_right))``, 0 when neither value
    is in the model's table.
    """
    table = model.tf.get(column, {})
    tf_left = table.get(str(left[column])) if left.get(column) is not None else None
    tf_right = table.get(str(right[column])) if right.get(column) is not None else None
    if tf_left is None and tf_right is None:
        return 0.0
    tf = max(v for v in (tf_left, tf_right) if v is not None)
    return math.log2(exact_u) - math.log2(tf)


def _exact_level_index(comparison: Comparison, column: str) -> int:
    for index, level in enumerate(comparison.levels):
        if level.sql == f'"{column}_l" = "{column}_r"':
            return index
    raise ValueError(f"{comparison.name}: no exact-match level on {column}")
