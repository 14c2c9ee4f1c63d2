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

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hoso.core.actor import Actor
from hoso.core.clock import utcnow
from hoso.core.types import WorkspaceId
from hoso.engine.matching import (
    IDENTIFIER_KINDS,
    Decision,
    GuardPolicy,
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
from hoso.profiles.models import Profile, ProfileIdentifier

log = logging.getLogger(__name__)

# Candidates scored per customer; blocking keys are selective, so this only bounds the
# pathological case (a junk value that slipped through).
MAX_CANDIDATES = 200
# Customers read per blocking key: a key on this many says nothing (a shared hotline).
BUCKET_LIMIT = 50
# Customers at one house beyond which it is no household's (a shop's own address typed on
# walk-in orders): its street line no longer counts, as in batch.
ADDRESS_LIMIT = GuardPolicy().max_records_per_address
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
                # A model trained for older comparison settings (an upgrade changed them):
                # match with the default model now, and train a new one in the background.
                log.warning("workspace %s: stored model unreadable, retraining", workspace_id)
                service.retire_model(session, workspace_id=workspace_id)
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
    """Replace a customer's blocking keys (one statement: keys gone are deleted, new added)."""
    session.execute(
        text(
            'WITH wanted AS (SELECT unnest(CAST(:keys AS text[])) COLLATE "C" AS key),'
            " gone AS (DELETE FROM identity_block_key b WHERE b.profile_id = :pid"
            " AND b.key NOT IN (SELECT key FROM wanted))"
            " INSERT INTO identity_block_key (workspace_id, key, profile_id)"
            " SELECT :ws, key, :pid FROM wanted ON CONFLICT DO NOTHING"
        ),
        {"keys": sorted(keys), "pid": profile_id, "ws": workspace_id},
    )


def _candidates(
    session: Session, workspace_id: UUID, profile_id: UUID, keys: set[str]
) -> tuple[list[UUID], list[tuple[str, str]]]:
    """Customers sharing a key, and the identifiers whose key is shared by too many.

    Each key's bucket is read to ``BUCKET_LIMIT`` rows at most: a full bucket (a shop's
    hotline typed on thousands of orders) tells nothing about who a customer is, so it is
    skipped, and its phone or e-mail is reported to be marked shared.
    """
    if not keys:
        return [], []
    rows = session.execute(
        text(
            "SELECT k.key, b.profile_id FROM unnest(CAST(:keys AS text[])) AS k(key)"
            " CROSS JOIN LATERAL (SELECT profile_id FROM identity_block_key"
            ' WHERE workspace_id = :ws AND key = k.key COLLATE "C" AND profile_id <> :pid'
            " LIMIT :cap) AS b"
        ),
        {"keys": sorted(keys), "ws": workspace_id, "pid": profile_id, "cap": BUCKET_LIMIT},
    ).all()
    buckets: dict[str, list[UUID]] = {}
    for key, other in rows:
        buckets.setdefault(key, []).append(other)
    crowded = [k for k, members in buckets.items() if len(members) >= BUCKET_LIMIT]
    ids = list(
        dict.fromkeys(
            m for k, members in sorted(buckets.items()) if k not in crowded for m in members
        )
    )[:MAX_CANDIDATES]
    flagged = []
    for key in crowded:
        name, _, value = key.partition("=")
        if name in {"own_phones", "phones"}:
            flagged.append(("phone", value))
        elif name == "emails":
            flagged.append(("email", value))
    return ids, flagged


def _shared(
    session: Session, workspace_id: UUID, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], SharedIdentifier]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.execute(
        text(
            "SELECT kind, value, reason, profiles FROM identity_shared_value"
            " WHERE workspace_id = :ws AND (kind, value) IN"
            " (SELECT * FROM unnest(CAST(:kinds AS text[]), CAST(:values AS text[])))"
        ),
        {"ws": workspace_id, "kinds": [k for k, _ in wanted], "values": [v for _, v in wanted]},
    )
    return {
        (r.kind, r.value): SharedIdentifier(r.kind, r.value, r.reason, r.profiles) for r in rows
    }


def _holders(session: Session, workspace_id: UUID, kind: str, value: str) -> int:
    """How many live customers hold a value (counted up to 1,000: it is shown, not used)."""
    holders = (
        select(ProfileIdentifier.profile_id)
        .join(Profile, Profile.id == ProfileIdentifier.profile_id)
        .where(
            ProfileIdentifier.workspace_id == workspace_id,
            ProfileIdentifier.kind == kind,
            ProfileIdentifier.value == value,
            Profile.deleted_at.is_(None),
        )
        .limit(1000)
        .subquery()
    )
    return session.scalar(select(func.count()).select_from(holders)) or 0


def _mark_shared(
    session: Session,
    workspace_id: UUID,
    kind: str,
    value: str,
    reason: str,
    holders: int | None = None,
) -> None:
    if holders is None:
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


@dataclass
class Match:
    """What matching one customer found: the pair to merge, if any (acted on separately)."""

    outcome: Outcome
    merge: tuple[UUID, UUID, float, PairScore, str] | None = None  # survivor, merged, p...


def match_profile(session: Session, matcher: Matcher, profile_id: UUID) -> Match:
    """Find who a customer may also be: store its keys, score candidates, queue reviews.

    Works on match records built in SQL (no ORM objects): one query for the customer, one
    for its candidates through the blocking keys (each key's bucket read to a bound; a key
    shared by too many customers says nothing and is skipped), one for the shared values
    and one for pairs already decided. Reviews and shared identifiers are written here; the
    merge, if any, is left to :func:`act`.
    """
    outcome = Outcome(profile_id=profile_id)
    found = Match(outcome)
    workspace_id = matcher.workspace_id
    mine = records(session, workspace_id=workspace_id, ids=[profile_id])
    if not mine:
        session.execute(delete(IdentityBlockKey).where(IdentityBlockKey.profile_id == profile_id))
        return found
    house = mine[0].address_key
    shared = _shared(session, workspace_id, [*mine[0].strong_identifiers(), *_some(house)])
    if house is not None and house not in shared:
        living = _living_at(session, workspace_id, profile_id, house)
        if living >= ADDRESS_LIMIT:  # a shop's or an office's address, not a household's
            _mark_shared(session, workspace_id, *house, "too_many", holders=living + 1)
            shared[house] = SharedIdentifier(*house, "too_many", living + 1)
            outcome.shared.append(house)
    record = mark_shared(mine, shared)[0]
    keys = blocking_keys(record, matcher.model.match_settings)
    # The house is stored to count who lives there, never to look candidates up by.
    _store_keys(session, workspace_id, profile_id, keys | {_house_key(h) for h in _some(house)})
    if not record.usable:
        return found
    candidate_ids, crowded = _candidates(session, workspace_id, profile_id, keys)
    for kind, value in crowded:
        if (kind, value) not in shared:
            _mark_shared(session, workspace_id, kind, value, "too_many")
            shared[(kind, value)] = SharedIdentifier(kind, value, "too_many", BUCKET_LIMIT)
            outcome.shared.append((kind, value))
    outcome.candidates = len(candidate_ids)
    if not candidate_ids:
        return found
    others = records(session, workspace_id=workspace_id, ids=candidate_ids)
    shared.update(
        _shared(session, workspace_id, [k for o in others for k in o.strong_identifiers()])
    )
    record = mark_shared([record], shared)[0]
    others = mark_shared(others, shared)
    decided = {
        (row.profile_a, row.profile_b)
        for row in session.execute(
            select(IdentityPair.profile_a, IdentityPair.profile_b).where(
                IdentityPair.workspace_id == workspace_id,
                IdentityPair.status.in_(("rejected", "merged")),
                (IdentityPair.profile_a == profile_id) | (IdentityPair.profile_b == profile_id),
            )
        )
    }
    merges: list[tuple[float, UUID, PairScore, str]] = []
    for other in others:
        other_id = UUID(other.record_id)
        if (min(profile_id, other_id), max(profile_id, other_id)) in decided:
            continue
        common = set(record.strong_identifiers()) & set(other.strong_identifiers())
        for kind, value in common:
            if (kind, value) in shared or not clearly_different(record, other):
                continue
            _mark_shared(session, workspace_id, kind, value, "distinct_people")
            shared[(kind, value)] = SharedIdentifier(kind, value, "distinct_people", 2)
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
            merges.append((score.probability, other_id, score, evidence))
        else:
            outcome.reviews.append(
                _queue(session, workspace_id, profile_id, other_id, score, evidence)
            )
    if merges:
        probability, other_id, score, evidence = max(merges, key=lambda m: (m[0], m[1]))
        survivor, merged = _first_seen(session, profile_id, other_id)
        found.merge = (survivor, merged, probability, score, evidence)
    return found


def _first_seen(session: Session, a: UUID, b: UUID) -> tuple[UUID, UUID]:
    """The two customers, the one created first (it survives a merge) first."""
    first = session.scalar(
        text("SELECT id FROM profile WHERE id IN (:a, :b) ORDER BY created_at, id LIMIT 1"),
        {"a": a, "b": b},
    )
    return (a, b) if first == a else (b, a)


def _some(value: tuple[str, str] | None) -> list[tuple[str, str]]:
    return [] if value is None else [value]


def _house_key(house: tuple[str, str]) -> str:
    """The stored key of a house (``address=<ward>|<street>``): counted, never looked up."""
    return f"{house[0]}={house[1]}"


def _living_at(
    session: Session, workspace_id: UUID, profile_id: UUID, house: tuple[str, str]
) -> int:
    """How many other customers' stored keys name a house (counted up to ``ADDRESS_LIMIT``).

    One indexed probe of ``identity_block_key`` per resolved customer with a house.
    """
    return int(
        session.scalar(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM identity_block_key"
                ' WHERE workspace_id = :ws AND key = :key COLLATE "C" AND profile_id <> :pid'
                " LIMIT :cap) AS k"
            ),
            {"ws": workspace_id, "key": _house_key(house), "pid": profile_id, "cap": ADDRESS_LIMIT},
        )
        or 0
    )


def act(session: Session, matcher: Matcher, found: Match) -> Outcome:
    """Carry out what :func:`match_profile` decided: the automatic merge, if any."""
    if found.merge is not None:
        survivor, merged, probability, score, evidence = found.merge
        service.merge_profiles(
            session,
            actor=Actor.system(WorkspaceId(matcher.workspace_id), "identity"),
            survivor_id=survivor,
            merged_id=merged,
            reason="automatic",
            method="model",
            rule=f"evidence:{evidence}",
            probability=probability,
            match_weight=score.match_weight,
            explanation=explanation_of(score),
        )
        found.outcome.merged_with = merged if survivor == found.outcome.profile_id else survivor
    return found.outcome


def resolve_profile(session: Session, matcher: Matcher, profile_id: UUID) -> Outcome:
    """Match one customer against the workspace's others and act on what is found.

    Merges at most once (with the likeliest candidate allowed to merge); the survivor is
    resolved again when its merge reaches the outbox, so a customer found in three places
    ends as one. Pairs a person rejected, or a merge that was undone, are never merged or
    proposed again.
    """
    return act(session, matcher, match_profile(session, matcher, profile_id))


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


# Plain SQL: built once, no per-call statement construction (the real-time path reads a
# handful of customers per call, where SQLAlchemy's expression building cost more than the
# query itself).
_RECORDS_SQL = (
    "SELECT p.id, p.full_name, p.birth_date, p.gender,"
    " (SELECT array_agg(i.kind || chr(31) || i.value) FROM profile_identifier i"
    "  WHERE i.profile_id = p.id) AS identifiers,"
    " a.line, a.province_code, a.ward_code"
    " FROM profile p LEFT JOIN LATERAL (SELECT line, province_code, ward_code"
    "  FROM profile_address WHERE profile_id = p.id ORDER BY id LIMIT 1) a ON TRUE"
    " WHERE p.workspace_id = :ws AND p.deleted_at IS NULL AND {where}"
    " ORDER BY p.id LIMIT :limit"
)


def records(
    session: Session,
    *,
    workspace_id: UUID,
    after: UUID | None = None,
    limit: int = 5000,
    ids: Sequence[UUID] | None = None,
) -> list[MatchRecord]:
    """Match records of live customers in id order, straight from SQL (no ORM objects).

    ``ids`` picks the customers; otherwise the next ``limit`` after ``after``.
    """
    params: dict[str, Any] = {"ws": workspace_id, "limit": limit}
    if ids is not None:
        where, params["ids"] = "p.id = ANY(CAST(:ids AS uuid[]))", list(ids)
    elif after is not None:
        where, params["after"] = "p.id > :after", after
    else:
        where = "TRUE"
    query = text(_RECORDS_SQL.format(where=where))
    out = []
    for row in session.execute(query, params):
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
