"""Identity pages: the review queue, comparing two customers, merging, the merge log, settings."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from hoso.core.actor import Actor, Permission
from hoso.engine.normalize import fold
from hoso.http import DbSession
from hoso.identity import queries, service
from hoso.identity.errors import PairAlreadyDecided
from hoso.profiles import queries as profile_queries
from hoso.profiles import service as profiles
from hoso.profiles.models import Profile
from hoso.web.deps import CsrfChecked, CsrfForm, WebActor, flash, render

router = APIRouter(include_in_schema=False)

# Rows of the side-by-side comparison: (label key, how to read the value off a profile).
_COMPARE_ROWS: tuple[tuple[str, str], ...] = (
    ("field_full_name", "full_name"),
    ("field_gender", "gender"),
    ("field_birth_date", "birth_date"),
    ("field_phones", "phones"),
    ("field_emails", "emails"),
    ("section_identifiers", "identifiers"),
    ("field_addresses", "addresses"),
    ("field_occupation", "occupation"),
    ("identity_created", "created_at"),
)


def _value(profile: Profile, key: str) -> list[str]:
    """A profile's value for a comparison row, as display strings (empty when unknown)."""
    if key in {"phones", "emails"}:
        return [i.value for i in profile.identifiers if i.kind == key[:-1]]
    if key == "identifiers":
        return [
            f"{i.kind}: {i.value}"
            for i in profile.identifiers
            if i.kind not in {"phone", "email", "anonymous_id"}
        ]
    if key == "addresses":
        return [", ".join(p for p in (a.line, a.ward, a.province) if p) for a in profile.addresses]
    if key == "created_at":
        return [profile.created_at.date().isoformat()]
    value = getattr(profile, key)
    if value in (None, "", "unknown"):
        return []
    return [value.isoformat() if hasattr(value, "isoformat") else str(value)]


def _rows(left: Profile, right: Profile) -> list[dict[str, Any]]:
    rows = []
    for label, key in _COMPARE_ROWS:
        a, b = _value(left, key), _value(right, key)
        if key == "created_at":
            state = "info"
        elif not a or not b:
            state = "missing"
        elif {fold(v) for v in a} & {fold(v) for v in b}:
            state = "same"
        else:
            state = "differs"
        rows.append({"label": label, "key": key, "left": a, "right": b, "state": state})
    return rows


def _compare(
    request: Request,
    db: DbSession,
    actor: Actor,
    left: Profile,
    right: Profile,
    *,
    pair: Any = None,
    probability: float | None = None,
    explanation: list[dict[str, Any]] | None = None,
    action: str,
    reject_action: str | None = None,
) -> Response:
    stats = {
        p.id: profile_queries.order_stats(db, workspace_id=actor.workspace_id, profile_id=p.id)
        for p in (left, right)
    }
    return render(
        request,
        "identity/compare.html",
        {
            "left": left,
            "right": right,
            "rows": _rows(left, right),
            "stats": stats,
            "pair": pair,
            "probability": probability,
            "explanation": explanation or [],
            "action": action,
            "reject_action": reject_action,
            "can_merge": actor.can(Permission.PROFILES_MERGE),
            "pending": queries.count_pending(db, workspace_id=actor.workspace_id),
        },
        actor=actor,
    )


@router.get("/identity/review")
def review_queue(
    request: Request,
    db: DbSession,
    actor: WebActor,
    min_probability: Annotated[float, Query(ge=0, le=1)] = 0.0,
) -> Response:
    actor.require(Permission.PROFILES_READ)
    pairs = queries.list_pending(
        db, workspace_id=actor.workspace_id, limit=100, min_probability=min_probability
    )
    return render(
        request,
        "identity/review.html",
        {
            "pairs": pairs,
            "pending": queries.count_pending(db, workspace_id=actor.workspace_id),
            "min_probability": min_probability,
            "can_merge": actor.can(Permission.PROFILES_MERGE),
        },
        actor=actor,
    )


@router.get("/identity/pairs/{pair_id}")
def pair_page(pair_id: UUID, request: Request, db: DbSession, actor: WebActor) -> Response:
    pair = service.get_pair(db, actor=actor, pair_id=pair_id)
    loaded = profile_queries.load_profiles(
        db, workspace_id=actor.workspace_id, profile_ids=[pair.profile_a, pair.profile_b]
    )
    if len(loaded) != 2 or pair.status != "pending":
        flash(request, "identity_pair_gone")
        return RedirectResponse("/identity/review", status_code=303)
    return _compare(
        request,
        db,
        actor,
        loaded[0],
        loaded[1],
        pair=pair,
        probability=pair.probability,
        explanation=pair.explanation,
        action=f"/identity/pairs/{pair.id}/accept",
        reject_action=f"/identity/pairs/{pair.id}/reject",
    )


def _next(db: DbSession, actor: Actor, after: UUID) -> RedirectResponse:
    following = queries.next_pending_id(db, workspace_id=actor.workspace_id, after=after)
    target = f"/identity/pairs/{following}" if following else "/identity/review"
    return RedirectResponse(target, status_code=303)


@router.post("/identity/pairs/{pair_id}/accept")
def accept_pair(
    pair_id: UUID, request: Request, db: DbSession, actor: WebActor, form: CsrfForm
) -> Response:
    chosen = form.get("survivor")
    try:
        survivor = UUID(chosen) if isinstance(chosen, str) and chosen else None
    except ValueError:
        survivor = None
    try:
        service.accept_pair(db, actor=actor, pair_id=pair_id, survivor_id=survivor)
    except PairAlreadyDecided:
        flash(request, "identity_pair_gone")
    else:
        flash(request, "identity_merged_flash")
    return _next(db, actor, pair_id)


@router.post("/identity/pairs/{pair_id}/reject", dependencies=[CsrfChecked])
def reject_pair(pair_id: UUID, request: Request, db: DbSession, actor: WebActor) -> Response:
    try:
        service.reject_pair(db, actor=actor, pair_id=pair_id)
    except PairAlreadyDecided:
        flash(request, "identity_pair_gone")
    else:
        flash(request, "identity_rejected_flash")
    return _next(db, actor, pair_id)


@router.post("/identity/review/accept-above", dependencies=[CsrfChecked])
def accept_above(
    request: Request,
    db: DbSession,
    actor: WebActor,
    min_probability: Annotated[float, Form(ge=0.5, le=1)],
) -> Response:
    merged = service.accept_pending_above(db, actor=actor, min_probability=min_probability)
    flash(request, "identity_bulk_flash", count=merged)
    return RedirectResponse("/identity/review", status_code=303)


@router.get("/identity/merges")
def merge_log(request: Request, db: DbSession, actor: WebActor) -> Response:
    actor.require(Permission.PROFILES_READ)
    merges = queries.recent_merges(db, workspace_id=actor.workspace_id)
    names = queries.names_of(
        db,
        workspace_id=actor.workspace_id,
        ids={m.survivor_id for m in merges} | {m.merged_id for m in merges},
    )
    return render(
        request,
        "identity/merges.html",
        {"merges": merges, "names": names, "can_merge": actor.can(Permission.PROFILES_MERGE)},
        actor=actor,
    )


@router.post("/identity/merges/{merge_id}/undo")
def undo_merge(
    merge_id: UUID, request: Request, db: DbSession, actor: WebActor, form: CsrfForm
) -> Response:
    reason = form.get("reason")
    merge = service.unmerge(
        db, actor=actor, merge_id=merge_id, reason=reason if isinstance(reason, str) else ""
    )
    flash(request, "identity_unmerged_flash")
    back = form.get("back")
    if isinstance(back, str) and back.startswith("/") and not back.startswith("//"):
        return RedirectResponse(back, status_code=303)
    return RedirectResponse(f"/customers/{merge.merged_id}", status_code=303)


@router.get("/customers/{profile_id}/merge")
def choose_merge(
    profile_id: UUID,
    request: Request,
    db: DbSession,
    actor: WebActor,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    actor.require(Permission.PROFILES_MERGE)
    profile = profiles.access_profile(db, actor=actor, profile_id=profile_id)
    query = q.strip() or profile.full_name
    hits = profile_queries.search_profiles(
        db, workspace_id=actor.workspace_id, query=query, limit=20
    )
    candidates = [h.profile for h in hits if h.profile.id != profile.id]
    return render(
        request,
        "identity/choose.html",
        {"p": profile, "q": q, "candidates": candidates},
        actor=actor,
    )


@router.get("/customers/{profile_id}/merge/{other_id}")
def compare_for_merge(
    profile_id: UUID, other_id: UUID, request: Request, db: DbSession, actor: WebActor
) -> Response:
    actor.require(Permission.PROFILES_MERGE)
    left = profiles.access_profile(db, actor=actor, profile_id=profile_id)
    right = profiles.access_profile(db, actor=actor, profile_id=other_id)
    probability, explanation = service.explain_pair(db, actor=actor, left=left, right=right)
    return _compare(
        request,
        db,
        actor,
        left,
        right,
        probability=probability,
        explanation=explanation,
        action=f"/customers/{profile_id}/merge/{other_id}",
    )


@router.post("/customers/{profile_id}/merge/{other_id}")
def merge_now(
    profile_id: UUID,
    other_id: UUID,
    request: Request,
    db: DbSession,
    actor: WebActor,
    form: CsrfForm,
) -> Response:
    chosen = form.get("survivor")
    survivor = other_id if chosen == str(other_id) else profile_id
    merged = profile_id if survivor == other_id else other_id
    left = profiles.access_profile(db, actor=actor, profile_id=survivor)
    right = profiles.access_profile(db, actor=actor, profile_id=merged)
    probability, explanation = service.explain_pair(db, actor=actor, left=left, right=right)
    service.merge_profiles(
        db,
        actor=actor,
        survivor_id=survivor,
        merged_id=merged,
        reason="manual",
        method="manual",
        probability=probability,
        explanation=explanation,
    )
    flash(request, "identity_merged_flash")
    return RedirectResponse(f"/customers/{survivor}", status_code=303)


@router.get("/identity/settings")
def settings_page(request: Request, db: DbSession, actor: WebActor) -> Response:
    actor.require(Permission.PROFILES_READ)
    settings = service.get_settings(db, workspace_id=actor.workspace_id)
    return render(
        request,
        "identity/settings.html",
        {
            "s": settings,
            "shared": queries.shared_values(db, workspace_id=actor.workspace_id),
            "can_configure": actor.can(Permission.PROFILES_MERGE),
        },
        actor=actor,
    )


@router.post("/identity/settings", dependencies=[CsrfChecked])
def save_settings(
    request: Request,
    db: DbSession,
    actor: WebActor,
    auto_merge_threshold: Annotated[float, Form(ge=0.5, le=1)],
    review_threshold: Annotated[float, Form(ge=0.05, le=1)],
    auto_merge: Annotated[bool, Form()] = False,
) -> Response:
    service.update_settings(
        db,
        actor=actor,
        auto_merge_threshold=auto_merge_threshold,
        review_threshold=review_threshold,
        auto_merge=auto_merge,
    )
    flash(request, "saved_flash")
    return RedirectResponse("/identity/settings", status_code=303)
