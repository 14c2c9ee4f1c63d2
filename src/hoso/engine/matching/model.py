"""The Fellegi-Sunter model: parameters per comparison level, serialisable to JSON.

A :class:`MatchModel` names its :class:`~hoso.engine.matching.settings.MatchSettings`
and holds what training estimated: the prior (probability that two random records are
the same customer), m and u per level, and term-frequency tables. It is stored per
workspace as JSON (:meth:`MatchModel.to_json`) and read back with
:meth:`MatchModel.from_json`; :func:`default_model` is the model of a workspace with too
little data to train.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from hoso.engine.matching.settings import VIETNAMESE, MatchSettings, get_settings

__all__ = [
    "MODEL_FORMAT",
    "Decision",
    "LevelParams",
    "MatchModel",
    "ModelError",
    "Thresholds",
    "decide",
    "default_model",
    "probability_to_weight",
    "weight_to_probability",
]

MODEL_FORMAT: Final = "hoso-match-model/1"
# Splink clamps m and u at this before taking logs (splink.internals.comparison_level).
_CLAMP: Final = 1e-300


class ModelError(ValueError):
    """A model that does not fit its settings, or JSON that is not a model."""


@dataclass(frozen=True, slots=True)
class LevelParams:
    """m and u of one level: P(level | same customer) and P(level | different customers)."""

    m: float
    u: float

    @property
    def weight(self) -> float:
        """log2(m/u), the level's match weight (clamped as Splink does)."""
        return math.log2(max(self.m, _CLAMP) / max(self.u, _CLAMP))


@dataclass(frozen=True, slots=True)
class MatchModel:
    """Trained (or default) parameters of a :class:`MatchSettings`.

    Attributes:
        settings: Name of the registered settings (``vn-2``).
        prior: Probability that two random records are the same customer.
        params: Per comparison name, one :class:`LevelParams` per non-null level, in level
            order (the null level has none: its weight is 0).
        tf: Term-frequency tables: column -> value -> share of records with that value.
        trained_on: How many records training saw (0 for the default model).
        seed: The random seed training used.
        notes: Free-form facts about training (EM iterations, warnings).
    """

    settings: str
    prior: float
    params: Mapping[str, tuple[LevelParams, ...]]
    tf: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    trained_on: int = 0
    seed: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def match_settings(self) -> MatchSettings:
        """The settings this model parameterises.

        Raises:
            ModelError: The settings are not registered in this process.
        """
        try:
            return get_settings(self.settings)
        except KeyError as exc:
            raise ModelError(f"unknown settings {self.settings!r}") from exc

    def level_params(self, comparison: str, level_index: int) -> LevelParams | None:
        """M and u of a level by its index in the comparison (``None`` for the null level)."""
        levels = self.match_settings.comparison(comparison).levels
        if levels[level_index].null:
            return None
        non_null = sum(1 for level in levels[:level_index] if not level.null)
        return self.params[comparison][non_null]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (see :meth:`to_json`)."""
        settings = self.match_settings
        comparisons: dict[str, list[dict[str, Any]]] = {}
        for comparison in settings.comparisons:
            levels = [level for level in comparison.levels if not level.null]
            comparisons[comparison.name] = [
                {"level": level.key, "m": p.m, "u": p.u}
                for level, p in zip(levels, self.params[comparison.name], strict=True)
            ]
        return {
            "format": MODEL_FORMAT,
            "settings": self.settings,
            "prior": self.prior,
            "comparisons": comparisons,
            "tf": {column: dict(table) for column, table in self.tf.items()},
            "trained_on": self.trained_on,
            "seed": self.seed,
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        """Serialise to JSON (floats round-trip exactly)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MatchModel:
        """Read a model written by :meth:`to_dict`.

        Raises:
            ModelError: Not a model, or its levels do not fit the named settings.
        """
        if data.get("format") != MODEL_FORMAT:
            raise ModelError(f"not a {MODEL_FORMAT} document")
        try:
            settings = get_settings(str(data["settings"]))
        except KeyError as exc:
            raise ModelError(f"unknown settings {data.get('settings')!r}") from exc
        params: dict[str, tuple[LevelParams, ...]] = {}
        stored = data["comparisons"]
        for comparison in settings.comparisons:
            keys = [level.key for level in comparison.levels if not level.null]
            levels = stored.get(comparison.name)
            if levels is None or [lv["level"] for lv in levels] != keys:
                raise ModelError(f"comparison {comparison.name!r} does not fit {settings.name}")
            params[comparison.name] = tuple(
                LevelParams(float(lv["m"]), float(lv["u"])) for lv in levels
            )
        return cls(
            settings=settings.name,
            prior=float(data["prior"]),
            params=params,
            tf={c: {str(k): float(v) for k, v in t.items()} for c, t in data["tf"].items()},
            trained_on=int(data.get("trained_on", 0)),
            seed=data.get("seed"),
            notes=tuple(data.get("notes", ())),
        )

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        """Read a model written by :meth:`to_json`.

        Raises:
            ModelError: Not a model, or its levels do not fit the named settings.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelError("not JSON") from exc
        if not isinstance(data, dict):
            raise ModelError("not a JSON object")
        return cls.from_dict(data)


def default_model(settings: MatchSettings = VIETNAMESE) -> MatchModel:
    """The model of a workspace with too little data to train: the settings' own m and u.

    The defaults are deliberately cautious: a shared phone with a different given name
    lands far below the merge threshold, and a name alone never reaches it.

    Examples:
        >>> model = default_model()
        >>> model.settings, model.trained_on
        ('vn-2', 0)
    """
    params = {
        c.name: tuple(LevelParams(level.m, level.u) for level in c.levels if not level.null)
        for c in settings.comparisons
    }
    return MatchModel(settings=settings.name, prior=settings.prior, params=params)


def probability_to_weight(probability: float) -> float:
    """log2 of the odds, as Splink's ``prob_to_match_weight``."""
    return math.log2(probability / (1 - probability))


def weight_to_probability(weight: float) -> float:
    """Inverse of :func:`probability_to_weight` (safe for large weights)."""
    if weight >= 0:
        return 1 / (1 + 2 ** (-weight))
    odds = 2**weight
    return odds / (1 + odds)


class Decision(StrEnum):
    """What to do with a pair."""

    MERGE = "merge"
    REVIEW = "review"
    IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Per-workspace thresholds on the match probability.

    Attributes:
        merge: At or above: merge automatically (if the guards allow).
        review: At or above (and below ``merge``): queue for a person to decide.
    """

    merge: float = 0.99
    review: float = 0.80

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.merge <= 1:
            raise ValueError("thresholds need 0 < review <= merge <= 1")


def decide(probability: float, thresholds: Thresholds) -> Decision:
    """Merge above one threshold, review between, ignore below.

    Examples:
        >>> decide(0.995, Thresholds()), decide(0.9, Thresholds()), decide(0.1, Thresholds())
        (<Decision.MERGE: 'merge'>, <Decision.REVIEW: 'review'>, <Decision.IGNORE: 'ignore'>)
    """
    if probability >= thresholds.merge:
        return Decision.MERGE
    if probability >= thresholds.review:
        return Decision.REVIEW
    return Decision.IGNORE
