"""The data-quality page: how complete the customer data is and what needs fixing."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hoso.core.actor import Permission
from hoso.core.clock import utcnow
from hoso.http import DbSession
from hoso.profiles import quality
from hoso.web.deps import CsrfForm, WebActor, flash, render
from hoso.workspaces import service as workspaces

router = APIRouter(include_in_schema=False)


@router.get("/quality")
def quality_page(request: Request, db: DbSession, actor: WebActor) -> Response:
    actor.require(Permission.PROFILES_READ)
    workspace = workspaces.get_workspace(db, workspace_id=actor.workspace_id)
    required = quality.required_fields(workspace.required_fields)
    figures = quality.report(db, workspace_id=actor.workspace_id, required=required)
    quality.record_snapshot(db, workspace_id=actor.workspace_id, figures=figures)
    today = utcnow().date()
    if not figures.trend or figures.trend[-1][0] != today:  # the snapshot just written
        figures.trend.append((today, figures.completeness))
    return render(
        request,
        "quality.html",
        {
            "q": figures,
            "requirable": quality.REQUIRABLE,
            "can_configure": actor.can(Permission.ATTRIBUTES_MANAGE),
        },
        actor=actor,
    )


@router.post("/quality/required")
def set_required(request: Request, db: DbSession, actor: WebActor, form: CsrfForm) -> Response:
    fields = [str(v) for v in form.getlist("required")]
    workspaces.set_required_fields(db, actor=actor, fields=fields)
    flash(request, "saved_flash")
    return RedirectResponse("/quality", status_code=303)
