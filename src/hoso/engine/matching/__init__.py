"""Identity matching (issue #4): is this record the same customer as that one?

The engine of identity resolution, with no database and no web code:

* :func:`prepare_record` builds a :class:`MatchRecord` from raw values with the hoso
  normalisers (the one way everybody normalises for matching);
* :class:`MatchModel` holds a Fellegi-Sunter model (prior, m/u per comparison level,
  term-frequency tables) as JSON; :func:`default_model` is the untrained start and
  :func:`train_model` trains one on a workspace's records with Splink on DuckDB;
* :func:`score_pair` scores two records in pure Python, with an explanation, exactly as
  Splink would;
* :func:`blocking_keys` gives the keys under which a record finds its candidates;
* the guards (:func:`find_shared_identifiers`, :func:`merge_evidence`, per-kind limits)
  and :func:`decide` turn a probability into merge / review / ignore;
* :func:`resolve_batch` clusters a whole batch (Splink on DuckDB or Spark, or the pure
  scorer), never chaining through review-level or shared-identifier edges.

See docs/identity-engine.md.
"""

from hoso.engine.matching.batch import (
    MIN_TRAINING_RECORDS,
    Assignment,
    BatchResult,
    BatchWarning,
    ReviewPair,
    resolve_batch,
    train_model,
)
from hoso.engine.matching.blocking import blocking_keys, candidate_pairs
from hoso.engine.matching.guards import (
    DEFAULT_KIND_LIMITS,
    GuardPolicy,
    SharedIdentifier,
    clearly_different,
    find_shared_identifiers,
    merge_evidence,
    within_kind_limits,
)
from hoso.engine.matching.model import (
    Decision,
    LevelParams,
    MatchModel,
    ModelError,
    Thresholds,
    decide,
    default_model,
)
from hoso.engine.matching.record import (
    IDENTIFIER_KINDS,
    Dropped,
    MatchRecord,
    mark_shared,
    prepare_record,
    to_row,
)
from hoso.engine.matching.scoring import ComparisonScore, PairScore, score_pair, score_rows
from hoso.engine.matching.settings import VIETNAMESE, MatchSettings, get_settings
from hoso.engine.matching.splink_bridge import DuckDBOptions

__all__ = [
    "DEFAULT_KIND_LIMITS",
    "IDENTIFIER_KINDS",
    "MIN_TRAINING_RECORDS",
    "VIETNAMESE",
    "Assignment",
    "BatchResult",
    "BatchWarning",
    "ComparisonScore",
    "Decision",
    "Dropped",
    "DuckDBOptions",
    "GuardPolicy",
    "LevelParams",
    "MatchModel",
    "MatchRecord",
    "MatchSettings",
    "ModelError",
    "PairScore",
    "ReviewPair",
    "SharedIdentifier",
    "Thresholds",
    "blocking_keys",
    "candidate_pairs",
    "clearly_different",
    "decide",
    "default_model",
    "find_shared_identifiers",
    "get_settings",
    "mark_shared",
    "merge_evidence",
    "prepare_record",
    "resolve_batch",
    "score_pair",
    "score_rows",
    "to_row",
    "train_model",
    "within_kind_limits",
]
