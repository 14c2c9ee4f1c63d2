"""Event pages: sources (write keys, SDK snippet), the realtime board, dead letters."""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hoso.core.actor import Permission
from hoso.core.errors import ValidationFailed
from hoso.core.i18n import message
from hoso.events import queries, service
from hoso.events.models import SOURCE_KINDS
from hoso.http import DbSession, ui_locale
from hoso.web.deps import CsrfForm, WebActor, flash, render

router = APIRouter(include_in_schema=False)


def _forget_keys(request: Request) -> None:
    # The collection endpoint caches write keys for a few seconds; a change made here takes
    # effect at once in this process (other processes within the cache's lifetime).
    collector: Any = getattr(request.app.state, "collector", None)
    if collector is not None:
        collector.invalidate()


def _host(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/sources")
def sources_page(request: Request, db: DbSession, actor: WebActor) -> Response:
    return _sources(request, db, actor)


def _sources(
    request: Request,
    db: DbSession,
    actor: WebActor,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "events/sources.html",
        {
            "sources": service.list_sources(db, actor=actor),
            "kinds": SOURCE_KINDS,
            "host": _host(request),
            "errors": errors or {},
            "form": form or {},
        },
        actor=actor,
        status=status,
    )


@router.post("/sources")
def create_source(request: Request, db: DbSession, actor: WebActor, form: CsrfForm) -> Response:
    name, kind = str(form.get("name") or ""), str(form.get("kind") or "website")
    try:
        source = service.create_source(db, actor=actor, name=name, kind=kind)
    except ValidationFailed as exc:
        locale = ui_locale(request)
        errors = {e.field: message(e.code, locale, e.params) for e in exc.errors}
        return _sources(
            request, db, actor, errors=errors, form={"name": name, "kind": kind}, status=422
        )
    flash(request, "source_created_flash")
    return RedirectResponse(f"/sources#source-{source.id}", status_code=303)


@router.post("/sources/{source_id}/rotate")
def rotate(
    request: Request, source_id: UUID, db: DbSession, actor: WebActor, form: CsrfForm
) -> Response:
    del form  # checked by the dependency
    service.rotate_write_key(db, actor=actor, source=source_id)
    _forget_keys(request)
    flash(request, "source_rotated_flash")
    return RedirectResponse(f"/sources#source-{source_id}", status_code=303)


@router.post("/sources/{source_id}/{action}")
def toggle(
    request: Request,
    source_id: UUID,
    action: str,
    db: DbSession,
    actor: WebActor,
    form: CsrfForm,
) -> Response:
    del form
    if action not in {"enable", "disable"}:
        return RedirectResponse("/sources", status_code=303)
    service.set_source_enabled(db, actor=actor, source=source_id, enabled=action == "enable")
    _forget_keys(request)
    return RedirectResponse(f"/sources#source-{source_id}", status_code=303)


@router.get("/events/live")
def live(request: Request, db: DbSession, actor: WebActor) -> Response:
    actor.require(Permission.PROFILES_READ)
    board = queries.board(db, workspace_id=actor.workspace_id)
    return render(request, "events/live.html", {"b": board}, actor=actor)


@router.get("/events/live/panel")
def live_panel(request: Request, db: DbSession, actor: WebActor) -> Response:
    actor.require(Permission.PROFILES_READ)
    board = queries.board(db, workspace_id=actor.workspace_id)
    return render(request, "events/_board.html", {"b": board}, actor=actor)


@router.get("/events/dead-letters")
def dead_letters(request: Request, db: DbSession, actor: WebActor) -> Response:
    actor.require(Permission.PROFILES_READ)
    show_all = request.query_params.get("all") == "1"
    letters = queries.list_dead_letters(db, workspace_id=actor.workspace_id, open_only=not show_all)
    locale = ui_locale(request)
    return render(
        request,
        "events/dead_letters.html",
        {
            "letters": [(d, name, message(d.reason, locale, d.detail)) for d, name in letters],
            "replayable": service.REPLAYABLE,
            "show_all": show_all,
            "can_write": actor.can(Permission.PROFILES_WRITE),
        },
        actor=actor,
    )


@router.post("/events/dead-letters/replay")
def replay_all(request: Request, db: DbSession, actor: WebActor, form: CsrfForm) -> Response:
    del form
    counts = service.replay_all(db, actor=actor)
    flash(request, "dead_letters_replayed_flash" if counts else "dead_letters_none_flash")
    return RedirectResponse("/events/dead-letters", status_code=303)


@router.post("/events/dead-letters/{dead_letter_id}/{action}")
def dead_letter_action(
    request: Request,
    dead_letter_id: int,
    action: str,
    db: DbSession,
    actor: WebActor,
    form: CsrfForm,
) -> Response:
    del form
    if action == "replay":
        outcome = service.replay_dead_letter(db, actor=actor, dead_letter_id=dead_letter_id)
        flash(
            request,
            "dead_letter_replayed_flash"
            if outcome in {"landed", "requeued"}
            else "dead_letter_still_failing_flash",
        )
    elif action == "discard":
        service.discard_dead_letter(db, actor=actor, dead_letter_id=dead_letter_id)
    return RedirectResponse("/events/dead-letters", status_code=303)
