"""JSON API for identity resolution: merges, unmerges, the review queue, lineage."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from hoso.api.deps import CurrentActor
from hoso.core.actor import Permission
from hoso.http import DbSession
from hoso.identity import queries, service
from hoso.identity.schemas import (
    FieldLineage,
    LineageValue,
    MergeCreate,
    MergePage,
    MergeRead,
    PairAccept,
    PairPage,
    PairRead,
    SourceValue,
    UnmergeRequest,
)
from hoso.profiles import service as profiles

router = APIRouter(tags=["identity"])


@router.post("/identity/merges", status_code=status.HTTP_201_CREATED)
def merge(body: MergeCreate, db: DbSession, actor: CurrentActor) -> MergeRead:
    """Merge one customer into another; every row moves and the merge can be undone."""
    decision = service.merge_profiles(
        db,
        actor=actor,
        survivor_id=body.survivor_id,
        merged_id=body.merged_id,
        reason=body.reason,
        method="manual",
    )
    return MergeRead.model_validate(decision)


@router.get("/identity/merges")
def list_merges(db: DbSession, actor: CurrentActor, profile_id: UUID | None = None) -> MergePage:
    """The latest merges, or those a customer took part in."""
    actor.require(Permission.PROFILES_READ)
    rows = (
        queries.merges_of(db, workspace_id=actor.workspace_id, profile_id=profile_id)
        if profile_id
        else queries.recent_merges(db, workspace_id=actor.workspace_id)
    )
    return MergePage(items=[MergeRead.model_validate(m) for m in rows])


@router.get("/identity/merges/{merge_id}")
def get_merge(merge_id: UUID, db: DbSession, actor: CurrentActor) -> MergeRead:
    """One merge decision: who decided, why, with what probability and explanation."""
    return MergeRead.model_validate(service.get_merge(db, actor=actor, merge_id=merge_id))


@router.post("/identity/merges/{merge_id}/undo")
def undo_merge(
    merge_id: UUID, db: DbSession, actor: CurrentActor, body: UnmergeRequest | None = None
) -> MergeRead:
    """Undo a merge: both customers come back exactly as they were."""
    decision = service.unmerge(
        db, actor=actor, merge_id=merge_id, reason=body.reason if body else ""
    )
    return MergeRead.model_validate(decision)


@router.get("/identity/pairs")
def list_pairs(
    db: DbSession,
    actor: CurrentActor,
    min_probability: Annotated[float, Query(ge=0, le=1)] = 0.0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PairPage:
    """Pairs of customers waiting for review, most likely first."""
    actor.require(Permission.PROFILES_READ)
    views = queries.list_pending(
        db, workspace_id=actor.workspace_id, limit=limit, min_probability=min_probability
    )
    return PairPage(items=[PairRead.model_validate(v.pair) for v in views])


@router.post("/identity/pairs/{pair_id}/accept")
def accept_pair(
    pair_id: UUID, db: DbSession, actor: CurrentActor, body: PairAccept | None = None
) -> MergeRead:
    """The two are one customer: merge them."""
    decision = service.accept_pair(
        db, actor=actor, pair_id=pair_id, survivor_id=body.survivor_id if body else None
    )
    return MergeRead.model_validate(decision)


@router.post("/identity/pairs/{pair_id}/reject")
def reject_pair(pair_id: UUID, db: DbSession, actor: CurrentActor) -> PairRead:
    """The two are different people: never propose or merge them again."""
    return PairRead.model_validate(service.reject_pair(db, actor=actor, pair_id=pair_id))


@router.get("/profiles/{profile_id}/lineage")
def lineage(profile_id: UUID, db: DbSession, actor: CurrentActor) -> list[FieldLineage]:
    """Per field, every value a source gave, when, and which one survivorship chose."""
    profile = profiles.access_profile(db, actor=actor, profile_id=profile_id)
    settings = service.get_settings(db, workspace_id=actor.workspace_id)
    choices = profiles.golden_choices(
        db,
        profile_id=profile.id,
        field_rules=settings.field_rules or None,
        trust=settings.source_trust or None,
    )
    out = []
    for field, (choice, rows) in sorted(choices.items()):
        values: dict[str, LineageValue] = {}
        for row in rows:
            entry = values.setdefault(
                repr(row.value), LineageValue(value=row.value, chosen=False, sources=[])
            )
            entry.sources.append(
                SourceValue(
                    source=row.source,
                    observed_at=row.observed_at,
                    manual=row.manual,
                    source_record_id=row.source_record_id,
                )
            )
            entry.chosen = entry.chosen or str(row.id) in choice.supporting
        out.append(
            FieldLineage(
                field=field,
                rule=choice.rule.value if choice.rule else None,
                values=list(values.values()),
            )
        )
    return out
