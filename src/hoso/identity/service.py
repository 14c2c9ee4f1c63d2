"""Identity resolution: the only write path for merges, unmerges and review decisions.

Identity decides *which* profiles are one customer and records every decision with who or
what made it, why, and the evidence (match probability and its explanation). The mechanism
of moving rows between profiles belongs to the profiles domain (``fold_profile`` /
``unfold_profile``); a merge here is that mechanism plus a durable, undoable decision.
"""

from typing import Any, Literal
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hoso.core import audit, jobs
from hoso.core.actor import Actor, ActorKind, Permission
from hoso.core.clock import utcnow
from hoso.core.errors import FieldError, ValidationFailed
from hoso.identity.errors import (
    MergeAlreadyUndone,
    MergeNotFound,
    PairAlreadyDecided,
    PairNotFound,
)
from hoso.identity.models import IdentityMerge, IdentityPair, IdentitySettings
from hoso.profiles import service as profiles
from hoso.profiles.errors import ProfileMergedAway, ProfileNotFound

Method = Literal["rule", "model", "manual", "event"]


def get_settings(session: Session, *, workspace_id: UUID) -> IdentitySettings:
    """The workspace's identity settings, created with the defaults on first use."""
    settings = session.get(IdentitySettings, workspace_id)
    if settings is None:
        session.execute(
            insert(IdentitySettings)
            .values(workspace_id=workspace_id, field_rules={})
            .on_conflict_do_nothing()
        )
        settings = session.get_one(IdentitySettings, workspace_id)
    return settings


def _trust(settings: IdentitySettings) -> dict[str, int] | None:
    return (
        {str(k): int(v) for k, v in settings.source_trust.items()}
        if settings.source_trust
        else None
    )


def _ordered(a: UUID, b: UUID) -> tuple[UUID, UUID]:
    return (a, b) if a < b else (b, a)


def find_pair(session: Session, *, workspace_id: UUID, a: UUID, b: UUID) -> IdentityPair | None:
    """The remembered pair of two profiles (in either order), or None."""
    first, second = _ordered(a, b)
    return session.scalar(
        select(IdentityPair).where(
            IdentityPair.workspace_id == workspace_id,
            IdentityPair.profile_a == first,
            IdentityPair.profile_b == second,
        )
    )


def _actor_id(actor: Actor) -> UUID | None:
    return actor.id if actor.kind is ActorKind.USER else None


def merge_profiles(
    session: Session,
    *,
    actor: Actor,
    survivor_id: UUID,
    merged_id: UUID,
    reason: str,
    method: Method = "manual",
    rule: str | None = None,
    probability: float | None = None,
    match_weight: float | None = None,
    explanation: list[dict[str, Any]] | None = None,
    evidence: dict[str, Any] | None = None,
) -> IdentityMerge:
    """Make two customers one, recording who decided, why and on what evidence.

    Every row of the merged customer (identifiers, timeline, orders, notes, source records,
    observations...) moves to the survivor, whose values are chosen again by survivorship.
    The decision keeps both profiles' snapshots and the moved rows, so :func:`unmerge` can
    restore both exactly. ``method`` is who decided: ``manual`` (a person), ``rule`` (an exact
    identifier), ``model`` (the probabilistic matcher) or ``event`` (an alias call).

    Raises:
        PermissionDenied: The actor may not merge profiles.
        ProfileNotFound: Either profile does not exist (or is deleted) in this workspace.
        ProfileMergedAway: Either profile was already merged into another.
        MergeWithItself: Both ids are the same.
    """
    settings = get_settings(session, workspace_id=actor.workspace_id)
    fold = profiles.fold_profile(
        session,
        actor=actor,
        survivor_id=survivor_id,
        merged_id=merged_id,
        field_rules=settings.field_rules or None,
        trust=_trust(settings),
    )
    decision = IdentityMerge(
        workspace_id=actor.workspace_id,
        survivor_id=survivor_id,
        merged_id=merged_id,
        method=method,
        rule=rule,
        probability=probability,
        match_weight=match_weight,
        explanation=explanation or [],
        reason=reason[:2000],
        evidence=evidence or {},
        actor_id=_actor_id(actor),
        actor_display=actor.display,
        snapshot=fold.snapshot,
        moved=fold.moved,
        survivor_version=fold.survivor.version,
    )
    session.add(decision)
    session.flush()
    first, second = _ordered(survivor_id, merged_id)
    session.execute(
        insert(IdentityPair)
        .values(
            workspace_id=actor.workspace_id,
            profile_a=first,
            profile_b=second,
            status="merged",
            probability=probability if probability is not None else 1.0,
            match_weight=match_weight,
            rule=rule,
            explanation=explanation or [],
            decided_at=utcnow(),
            decided_by_id=_actor_id(actor),
            decided_by_display=actor.display,
            merge_id=decision.id,
        )
        .on_conflict_do_update(
            index_elements=["workspace_id", "profile_a", "profile_b"],
            set_={
                "status": "merged",
                "decided_at": utcnow(),
                "decided_by_id": _actor_id(actor),
                "decided_by_display": actor.display,
                "merge_id": decision.id,
                "updated_at": utcnow(),
            },
        )
    )
    # Pending pairs that involved the merged profile now concern the survivor: re-resolution
    # will propose them again against it if they still look alike.
    for pair in session.scalars(
        select(IdentityPair).where(
            IdentityPair.workspace_id == actor.workspace_id,
            IdentityPair.status == "pending",
            or_(IdentityPair.profile_a == merged_id, IdentityPair.profile_b == merged_id),
        )
    ):
        pair.status, pair.updated_at = "obsolete", utcnow()
    audit.record(
        session,
        actor,
        "identity.merged",
        subject_type="identity_merge",
        subject_id=decision.id,
        after={
            "survivor_id": str(survivor_id),
            "merged_id": str(merged_id),
            "method": method,
            "rule": rule,
            "probability": probability,
            "reason": reason[:200],
        },
    )
    session.flush()
    return decision


def get_merge(session: Session, *, actor: Actor, merge_id: UUID) -> IdentityMerge:
    """Return a merge decision of the actor's workspace.

    Raises:
        PermissionDenied: The actor may not read profiles.
        MergeNotFound: No such merge in this workspace.
    """
    actor.require(Permission.PROFILES_READ)
    merge = session.get(IdentityMerge, merge_id)
    if merge is None or merge.workspace_id != actor.workspace_id:
        raise MergeNotFound(merge_id=str(merge_id))
    return merge


def unmerge(session: Session, *, actor: Actor, merge_id: UUID, reason: str = "") -> IdentityMerge:
    """Undo a merge: both customers back as they were, and never merged automatically again.

    Raises:
        PermissionDenied: The actor may not merge profiles.
        MergeNotFound: No such merge in this workspace.
        MergeAlreadyUndone: The merge was already undone.
    """
    actor.require(Permission.PROFILES_MERGE)
    merge = get_merge(session, actor=actor, merge_id=merge_id)
    session.refresh(merge, with_for_update=True)
    if merge.status != "active":
        raise MergeAlreadyUndone(merge_id=str(merge_id))
    settings = get_settings(session, workspace_id=actor.workspace_id)
    profiles.unfold_profile(
        session,
        actor=actor,
        survivor_id=merge.survivor_id,
        merged_id=merge.merged_id,
        snapshot=merge.snapshot,
        moved=merge.moved,
        survivor_version=merge.survivor_version,
        field_rules=settings.field_rules or None,
        trust=_trust(settings),
    )
    merge.status = "undone"
    merge.undone_at = utcnow()
    merge.undone_by_id = _actor_id(actor)
    merge.undone_by_display = actor.display
    merge.undo_reason = reason[:2000]
    pair = find_pair(
        session, workspace_id=actor.workspace_id, a=merge.survivor_id, b=merge.merged_id
    )
    if pair is not None:
        # Undoing a merge says "these are different people": remember it.
        pair.status, pair.updated_at = "rejected", utcnow()
        pair.decided_at, pair.decided_by_id = utcnow(), _actor_id(actor)
        pair.decided_by_display = actor.display
    audit.record(
        session,
        actor,
        "identity.unmerged",
        subject_type="identity_merge",
        subject_id=merge.id,
        after={"reason": reason[:200]},
    )
    session.flush()
    return merge


def get_pair(session: Session, *, actor: Actor, pair_id: UUID) -> IdentityPair:
    """Return a candidate pair of the actor's workspace.

    Raises:
        PermissionDenied: The actor may not read profiles.
        PairNotFound: No such pair in this workspace.
    """
    actor.require(Permission.PROFILES_READ)
    pair = session.get(IdentityPair, pair_id)
    if pair is None or pair.workspace_id != actor.workspace_id:
        raise PairNotFound(pair_id=str(pair_id))
    return pair


def accept_pair(
    session: Session, *, actor: Actor, pair_id: UUID, survivor_id: UUID | None = None
) -> IdentityMerge:
    """A reviewer says the two are one customer: merge them (the older survives by default).

    Raises:
        PermissionDenied: The actor may not merge profiles.
        PairNotFound: No such pair in this workspace.
        PairAlreadyDecided: The pair is no longer waiting for review.
    """
    actor.require(Permission.PROFILES_MERGE)
    pair = get_pair(session, actor=actor, pair_id=pair_id)
    if pair.status != "pending":
        raise PairAlreadyDecided(pair_id=str(pair_id), status=pair.status)
    survivor = survivor_id if survivor_id in (pair.profile_a, pair.profile_b) else pair.profile_a
    merged = pair.profile_b if survivor == pair.profile_a else pair.profile_a
    return merge_profiles(
        session,
        actor=actor,
        survivor_id=survivor,
        merged_id=merged,
        reason="review",
        method="manual",
        rule=pair.rule,
        probability=pair.probability,
        match_weight=pair.match_weight,
        explanation=pair.explanation,
        evidence={"pair_id": str(pair.id)},
    )


def reject_pair(session: Session, *, actor: Actor, pair_id: UUID) -> IdentityPair:
    """A reviewer says the two are different people: never propose or merge them again.

    Raises:
        PermissionDenied: The actor may not merge profiles.
        PairNotFound: No such pair in this workspace.
        PairAlreadyDecided: The pair is no longer waiting for review.
    """
    actor.require(Permission.PROFILES_MERGE)
    pair = get_pair(session, actor=actor, pair_id=pair_id)
    if pair.status != "pending":
        raise PairAlreadyDecided(pair_id=str(pair_id), status=pair.status)
    pair.status = "rejected"
    pair.decided_at = pair.updated_at = utcnow()
    pair.decided_by_id = _actor_id(actor)
    pair.decided_by_display = actor.display
    audit.record(
        session,
        actor,
        "identity.pair_rejected",
        subject_type="identity_pair",
        subject_id=pair.id,
        after={"profile_a": str(pair.profile_a), "profile_b": str(pair.profile_b)},
    )
    session.flush()
    return pair


def update_settings(
    session: Session,
    *,
    actor: Actor,
    auto_merge_threshold: float,
    review_threshold: float,
    auto_merge: bool,
) -> IdentitySettings:
    """Change when customers are merged automatically and when a pair goes to review.

    Raises:
        PermissionDenied: The actor may not merge profiles.
        ValidationFailed: The review threshold is above the merge threshold, or out of range.
    """
    actor.require(Permission.PROFILES_MERGE)
    errors = []
    if not 0.5 <= auto_merge_threshold <= 1:
        errors.append(FieldError("auto_merge_threshold", "out_of_range", {"min": 0.5, "max": 1}))
    if not 0 < review_threshold <= auto_merge_threshold:
        errors.append(
            FieldError("review_threshold", "out_of_range", {"min": 0, "max": auto_merge_threshold})
        )
    if errors:
        raise ValidationFailed(errors)
    settings = get_settings(session, workspace_id=actor.workspace_id)
    before = {
        "auto_merge_threshold": settings.auto_merge_threshold,
        "review_threshold": settings.review_threshold,
        "auto_merge": settings.auto_merge,
    }
    settings.auto_merge_threshold = auto_merge_threshold
    settings.review_threshold = review_threshold
    settings.auto_merge = auto_merge
    settings.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "identity.settings_changed",
        subject_type="workspace",
        subject_id=actor.workspace_id,
        before=before,
        after={
            "auto_merge_threshold": auto_merge_threshold,
            "review_threshold": review_threshold,
            "auto_merge": auto_merge,
        },
    )
    session.flush()
    return settings


BULK_LIMIT = 500


def accept_pending_above(session: Session, *, actor: Actor, min_probability: float) -> int:
    """Accept every pair waiting for review at or above a probability (at most 500 at once).

    Pairs whose customers were merged meanwhile are skipped. Returns how many were merged.

    Raises:
        PermissionDenied: The actor may not merge profiles.
    """
    actor.require(Permission.PROFILES_MERGE)
    ids = list(
        session.scalars(
            select(IdentityPair.id)
            .where(
                IdentityPair.workspace_id == actor.workspace_id,
                IdentityPair.status == "pending",
                IdentityPair.probability >= min_probability,
            )
            .order_by(IdentityPair.probability.desc(), IdentityPair.id)
            .limit(BULK_LIMIT)
        )
    )
    merged = 0
    for pair_id in ids:
        pair = session.get_one(IdentityPair, pair_id)
        if pair.status != "pending":
            continue  # made obsolete by an earlier merge of this batch
        try:
            with session.begin_nested():
                accept_pair(session, actor=actor, pair_id=pair_id)
        except (ProfileNotFound, ProfileMergedAway):
            pair.status, pair.updated_at = "obsolete", utcnow()
            continue
        merged += 1
    return merged


def retire_model(session: Session, *, workspace_id: UUID) -> None:
    """Drop a stored model that no longer loads and queue training a new one.

    After an upgrade that changes the comparisons, the workspace matches with the default
    model until its own is trained again (``identity.train`` without re-resolving: the
    customers already resolved stay as they are).
    """
    settings = get_settings(session, workspace_id=workspace_id)
    settings.model = None
    jobs.enqueue(
        session,
        "identity.train",
        workspace_id=workspace_id,
        max_attempts=1,
        workspace=str(workspace_id),
        resolve=False,
    )
    session.flush()


def queue_training(session: Session, *, actor: Actor) -> None:
    """Queue training the workspace's model on its customers, then re-resolving them all.

    Raises:
        PermissionDenied: The actor may not merge profiles.
    """
    actor.require(Permission.PROFILES_MERGE)
    jobs.enqueue(
        session,
        "identity.train",
        workspace_id=actor.workspace_id,
        max_attempts=1,
        workspace=str(actor.workspace_id),
    )
    audit.record(
        session,
        actor,
        "identity.training_queued",
        subject_type="workspace",
        subject_id=actor.workspace_id,
    )
