"""Resolve customers: find who a customer may also be, decide, merge or queue for review.

Real time: each created or changed customer is turned into a match record, its blocking
keys are stored (``identity_block_key``) and looked up to find candidates among the stored
customers, each candidate is scored with the workspace's model (pure Python, see
``hoso.engine.matching``), and the guards decide: merge automatically, queue the pair for
review, or leave it. An identifier two clearly different people share is remembered as
shared, so it never merges anyone on its own again. Batch: the same over every customer of
a workspace, a chunk at a time, and training the workspace's own model.

Part of the identity write path: every merge goes through :func:`service.merge_profiles`.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hoso.core.actor import Actor
from hoso.core.clock import utcnow
from hoso.core.types import WorkspaceId
from hoso.engine.matching import (
    IDENTIFIER_KINDS,
    Decision,
    MatchModel,
    MatchRecord,
    PairScore,
    SharedIdentifier,
    Thresholds,
    blocking_keys,
    clearly_different,
    decide,
    default_model,
    mark_shared,
    merge_evidence,
    prepare_record,
    score_pair,
    train_model,
    within_kind_limits,
)
from hoso.identity import service
from hoso.identity.models import IdentityBlockKey, IdentityPair, IdentitySharedValue
from hoso.profiles import queries as profile_queries
from hoso.profiles.models import Profile, ProfileAddress, ProfileIdentifier

log = logging.getLogger(__name__)

# Candidates scored per customer; blocking keys are selective, so this only bounds the
# pathological case (a junk value that slipped through).
MAX_CANDIDATES = 200
# An identifier on more live customers than this is shared whoever they are.
MAX_PROFILES_PER_VALUE = 20
# Customer fields whose change can change who a customer matches.
MATCH_FIELDS = frozenset(
    {"full_name", "phones", "emails", "birth_date", "gender", "addresses", "external_ids"}
)


def record_of(profile: Profile, shared: Iterable[tuple[str, str]] = ()) -> MatchRecord:
    """The match record of a stored customer (identifiers and addresses loaded).

    ``shared`` are the workspace's shared identifiers among the customer's: a family phone
    then scores as the household's, not the person's.
    """
    identifiers = profile.identifiers
    address = next(iter(profile.addresses), None)
    phones = [i.value for i in identifiers if i.kind == "phone"]
    return prepare_record(
        str(profile.id),
        full_name=profile.full_name or None,
        birth_date=profile.birth_date,
        gender=None if profile.gender == "unknown" else profile.gender,
        phones=phones,
        phones_e164=True,
        shared_phones=[v for k, v in shared if k == "phone" and v in phones],
        emails=[i.value for i in identifiers if i.kind == "email"],
        identifiers=[(i.kind, i.value) for i in identifiers if i.kind in IDENTIFIER_KINDS],
        address=address.line if address else None,
        province_code=address.province_code if address else None,
        ward_code=address.ward_code if address else None,
    )


def _identifiers_of(profile: Profile) -> list[tuple[str, str]]:
    return [(i.kind, i.value) for i in profile.identifiers]


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json(v) for v in value]
    return value


def explanation_of(score: PairScore) -> list[dict[str, Any]]:
    """A score's explanation as JSON, for the decision record and the review screen."""
    return [
        {
            "comparison": c.comparison,
            "label": c.label,
            "label_vi": c.label_vi,
            "level": c.level,
            "level_label": c.level_label,
            "level_label_vi": c.level_label_vi,
            "left": _json(c.left),
            "right": _json(c.right),
            "weight": round(c.weight, 3),
            "agrees": c.agrees,
        }
        for c in score.comparisons
    ]


@dataclass
class Matcher:
    """A workspace's model, thresholds and switches, loaded once per unit of work."""

    workspace_id: UUID
    model: MatchModel
    thresholds: Thresholds
    auto_merge: bool

    @classmethod
    def load(cls, session: Session, workspace_id: UUID) -> "Matcher":
        """The workspace's matcher: its trained model, or the default one."""
        settings = service.get_settings(session, workspace_id=workspace_id)
        model = default_model()
        if settings.model:
            try:
                model = MatchModel.from_dict(settings.model)
            except ValueError:
                log.warning("workspace %s: stored model unreadable, default used", workspace_id)
        return cls(
            workspace_id=workspace_id,
            model=model,
            thresholds=Thresholds(
                merge=settings.auto_merge_threshold, review=settings.review_threshold
            ),
            auto_merge=settings.auto_merge,
        )


@dataclass
class Outcome:
    """What resolving one customer did."""

    profile_id: UUID
    candidates: int = 0
    merged_with: UUID | None = None
    reviews: list[UUID] = field(default_factory=list)
    shared: list[tuple[str, str]] = field(default_factory=list)


def _store_keys(session: Session, workspace_id: UUID, profile_id: UUID, keys: set[str]) -> None:
    session.execute(delete(IdentityBlockKey).where(IdentityBlockKey.profile_id == profile_id))
    if keys:
        session.execute(
            insert(IdentityBlockKey)
            .values(
                [{"workspace_id": workspace_id, "key": k, "profile_id": profile_id} for k in keys]
            )
            .on_conflict_do_nothing()
        )


def _candidates(
    session: Session, workspace_id: UUID, profile_id: UUID, keys: set[str]
) -> list[Profile]:
    if not keys:
        return []
    ids = list(
        session.scalars(
            select(IdentityBlockKey.profile_id)
            .where(
                IdentityBlockKey.workspace_id == workspace_id,
                IdentityBlockKey.key.in_(keys),
                IdentityBlockKey.profile_id != profile_id,
            )
            .distinct()
            .limit(MAX_CANDIDATES)
        )
    )
    return profile_queries.load_profiles(session, workspace_id=workspace_id, profile_ids=ids)


def _shared(
    session: Session, workspace_id: UUID, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], SharedIdentifier]:
    wanted = list(set(keys))
    if not wanted:
        return {}
    rows = session.scalars(
        select(IdentitySharedValue).where(
            IdentitySharedValue.workspace_id == workspace_id,
            tuple_(IdentitySharedValue.kind, IdentitySharedValue.value).in_(wanted),
        )
    )
    return {
        (r.kind, r.value): SharedIdentifier(r.kind, r.value, r.reason, r.profiles) for r in rows
    }


def _holders(session: Session, workspace_id: UUID, kind: str, value: str) -> int:
    return (
        session.scalar(
            select(func.count(func.distinct(ProfileIdentifier.profile_id)))
            .join(Profile, Profile.id == ProfileIdentifier.profile_id)
            .where(
                ProfileIdentifier.workspace_id == workspace_id,
                ProfileIdentifier.kind == kind,
                ProfileIdentifier.value == value,
                Profile.deleted_at.is_(None),
            )
        )
        or 0
    )


def _mark_shared(session: Session, workspace_id: UUID, kind: str, value: str, reason: str) -> None:
    holders = _holders(session, workspace_id, kind, value)
    session.execute(
        insert(IdentitySharedValue)
        .values(workspace_id=workspace_id, kind=kind, value=value, reason=reason, profiles=holders)
        .on_conflict_do_update(
            index_elements=["workspace_id", "kind", "value"],
            set_={"profiles": holders},
        )
    )


def _queue(
    session: Session, workspace_id: UUID, a: UUID, b: UUID, score: PairScore, rule: str | None
) -> UUID:
    first, second = (a, b) if a < b else (b, a)
    explanation = explanation_of(score)
    row = session.execute(
        insert(IdentityPair)
        .values(
            workspace_id=workspace_id,
            profile_a=first,
            profile_b=second,
            status="pending",
            probability=score.probability,
            match_weight=score.match_weight,
            rule=rule,
            explanation=explanation,
        )
        .on_conflict_do_update(
            index_elements=["workspace_id", "profile_a", "profile_b"],
            set_={
                "status": "pending",
                "probability": score.probability,
                "match_weight": score.match_weight,
                "rule": rule,
                "explanation": explanation,
                "updated_at": utcnow(),
            },
            where=IdentityPair.status.in_(("pending", "obsolete")),
        )
        .returning(IdentityPair.id)
    ).first()
    return row[0] if row else first


def resolve_profile(session: Session, matcher: Matcher, profile_id: UUID) -> Outcome:
    """Match one customer against the workspace's others and act on what is found.

    Merges at most once (with the likeliest candidate allowed to merge); the survivor is
    resolved again when its merge reaches the outbox, so a customer found in three places
    ends as one. Pairs a person rejected, or a merge that was undone, are never merged or
    proposed again.
    """
    outcome = Outcome(profile_id=profile_id)
    workspace_id = matcher.workspace_id
    profile = profile_queries.load_profile(
        session, workspace_id=workspace_id, profile_id=profile_id
    )
    if profile is None:
        session.execute(delete(IdentityBlockKey).where(IdentityBlockKey.profile_id == profile_id))
        return outcome
    shared = _shared(session, workspace_id, _identifiers_of(profile))
    record = record_of(profile, shared)
    keys = blocking_keys(record, matcher.model.match_settings)
    _store_keys(session, workspace_id, profile.id, keys)
    if not record.usable:
        return outcome
    candidates = _candidates(session, workspace_id, profile.id, keys)
    outcome.candidates = len(candidates)
    if not candidates:
        return outcome
    shared.update(
        _shared(session, workspace_id, [k for c in candidates for k in _identifiers_of(c)])
    )
    decided = {
        (row.profile_a, row.profile_b)
        for row in session.execute(
            select(IdentityPair.profile_a, IdentityPair.profile_b).where(
                IdentityPair.workspace_id == workspace_id,
                IdentityPair.status.in_(("rejected", "merged")),
                (IdentityPair.profile_a == profile.id) | (IdentityPair.profile_b == profile.id),
            )
        )
    }
    merges: list[tuple[float, Profile, PairScore, str]] = []
    for candidate in candidates:
        pair_key = (min(profile.id, candidate.id), max(profile.id, candidate.id))
        if pair_key in decided:
            continue
        other = record_of(candidate, shared)
        common = set(record.strong_identifiers()) & set(other.strong_identifiers())
        for kind, value in common:
            if (kind, value) in shared:
                continue
            if clearly_different(record, other):
                reason = "distinct_people"
            elif _holders(session, workspace_id, kind, value) > MAX_PROFILES_PER_VALUE:
                reason = "too_many"
            else:
                continue
            _mark_shared(session, workspace_id, kind, value, reason)
            shared[(kind, value)] = SharedIdentifier(kind, value, reason, 2)
            outcome.shared.append((kind, value))
        score = score_pair(matcher.model, record, other)
        decision = decide(score.probability, matcher.thresholds)
        if decision is Decision.IGNORE:
            continue
        evidence = merge_evidence(score.levels(), record, other, shared)
        union: dict[str, set[str]] = {}
        for kind, value in (*record.strong_identifiers(), *other.strong_identifiers()):
            union.setdefault(kind, set()).add(value)
        if within_kind_limits(union) is not None:
            evidence = None  # e.g. two different Zalo ids: a person must look
        if decision is Decision.MERGE and evidence is not None and matcher.auto_merge:
            merges.append((score.probability, candidate, score, evidence))
        else:
            outcome.reviews.append(
                _queue(session, workspace_id, profile.id, candidate.id, score, evidence)
            )
    if merges:
        probability, candidate, score, evidence = max(merges, key=lambda m: (m[0], m[1].id))
        survivor, merged = sorted((profile, candidate), key=lambda p: (p.created_at, p.id))
        service.merge_profiles(
            session,
            actor=Actor.system(WorkspaceId(workspace_id), "identity"),
            survivor_id=survivor.id,
            merged_id=merged.id,
            reason="automatic",
            method="model",
            rule=f"evidence:{evidence}",
            probability=probability,
            match_weight=score.match_weight,
            explanation=explanation_of(score),
        )
        outcome.merged_with = candidate.id
    return outcome


def resolve_profiles(
    session: Session, *, workspace_id: UUID, profile_ids: Sequence[UUID]
) -> list[Outcome]:
    """Resolve several customers of one workspace (each in a savepoint of its own)."""
    matcher = Matcher.load(session, workspace_id)
    outcomes = []
    for profile_id in dict.fromkeys(profile_ids):
        with session.begin_nested():
            outcomes.append(resolve_profile(session, matcher, profile_id))
    return outcomes


def explain(
    session: Session, *, workspace_id: UUID, left: Profile, right: Profile
) -> tuple[float, list[dict[str, Any]]]:
    """The match probability of two customers with the workspace's model, and why."""
    matcher = Matcher.load(session, workspace_id)
    shared = _shared(session, workspace_id, _identifiers_of(left) + _identifiers_of(right))
    score = score_pair(matcher.model, record_of(left, shared), record_of(right, shared))
    return score.probability, explanation_of(score)


def records(
    session: Session, *, workspace_id: UUID, after: UUID | None = None, limit: int = 5000
) -> list[MatchRecord]:
    """Match records of live customers in id order, straight from SQL (no ORM objects)."""
    identifiers = (
        select(func.array_agg(func.concat(ProfileIdentifier.kind, "\x1f", ProfileIdentifier.value)))
        .where(ProfileIdentifier.profile_id == Profile.id)
        .scalar_subquery()
    )
    address = (
        select(ProfileAddress.line, ProfileAddress.province_code, ProfileAddress.ward_code)
        .where(ProfileAddress.profile_id == Profile.id)
        .order_by(ProfileAddress.id)
        .limit(1)
        .lateral()
    )
    query = (
        select(
            Profile.id,
            Profile.full_name,
            Profile.birth_date,
            Profile.gender,
            identifiers.label("identifiers"),
            address.c.line,
            address.c.province_code,
            address.c.ward_code,
        )
        .outerjoin(address, literal(True))
        .where(Profile.workspace_id == workspace_id, Profile.deleted_at.is_(None))
        .order_by(Profile.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Profile.id > after)
    out = []
    for row in session.execute(query):
        pairs = [tuple(item.split("\x1f", 1)) for item in row.identifiers or []]
        out.append(
            prepare_record(
                str(row.id),
                full_name=row.full_name or None,
                birth_date=row.birth_date,
                gender=None if row.gender == "unknown" else row.gender,
                phones=[v for k, v in pairs if k == "phone"],
                phones_e164=True,
                emails=[v for k, v in pairs if k == "email"],
                identifiers=[(k, v) for k, v in pairs if k in IDENTIFIER_KINDS],
                address=row.line,
                province_code=row.province_code,
                ward_code=row.ward_code,
            )
        )
    return out


def train(session: Session, *, workspace_id: UUID, limit: int = 100_000) -> MatchModel:
    """Train the workspace's model on (up to ``limit``) live customers and store it."""
    sample: list[MatchRecord] = []
    after: UUID | None = None
    while len(sample) < limit:
        chunk = records(session, workspace_id=workspace_id, after=after, limit=5000)
        if not chunk:
            break
        sample.extend(chunk)
        after = UUID(chunk[-1].record_id)
    shared = session.execute(
        select(IdentitySharedValue.kind, IdentitySharedValue.value).where(
            IdentitySharedValue.workspace_id == workspace_id
        )
    ).all()
    model = train_model(mark_shared(sample[:limit], [(k, v) for k, v in shared]))
    settings = service.get_settings(session, workspace_id=workspace_id)
    settings.model = model.to_dict()
    settings.model_trained_at = utcnow()
    settings.model_records = model.trained_on
    settings.updated_at = utcnow()
    session.flush()
    return model
