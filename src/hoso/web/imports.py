"""Import pages: upload a spreadsheet, check the mapping and every row, run it, undo it."""

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from hoso.core.actor import Actor, Permission
from hoso.core.clock import utcnow
from hoso.core.i18n import Locale, message
from hoso.engine.tabular import PRESETS, Target
from hoso.http import DbSession, ui_locale
from hoso.ingest import service as ingest
from hoso.ingest.export import write_table
from hoso.ingest.service import ImportPlan, Preview, RowDecision
from hoso.profiles import queries as profile_queries
from hoso.web.deps import CsrfForm, WebActor, check_csrf, current_actor, flash, render
from hoso.web.i18n import UI, t

router = APIRouter(include_in_schema=False)
PREVIEW_ROWS = 100


@router.get("/imports")
def list_imports(request: Request, db: DbSession, actor: WebActor) -> Response:
    actor.require(Permission.PROFILES_WRITE)
    context = {"batches": ingest.list_batches(db, actor=actor), **_preset_choices(db, actor)}
    return render(request, "imports/list.html", context, actor=actor)


def _preset_choices(db: DbSession, actor: Actor) -> dict[str, Any]:
    return {"builtin_presets": PRESETS, "saved_presets": ingest.list_presets(db, actor=actor)}


@router.post("/imports")
async def upload(request: Request) -> Response:
    # Async so the multipart body is read here; the database work runs in the threadpool.
    async with request.form(max_files=1) as form:  # closes the spooled upload afterwards
        return await run_in_threadpool(_upload, request, form)


def _upload(request: Request, form: FormData) -> Response:
    factory = request.app.state.session_factory
    with factory.begin() as db:
        check_csrf(request, form)
        actor = current_actor(request, db)
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return _list_with_error(request, db, actor, "empty_file")
        content = file.file.read(ingest.MAX_UPLOAD_BYTES + 1)
        stored = ingest.store_upload(db, actor=actor, file_name=file.filename, content=content)
        preset = form.get("preset")
        query = f"?preset={quote(preset)}" if isinstance(preset, str) and preset else ""
        return RedirectResponse(f"/imports/uploads/{stored.id}{query}", status_code=303)


def _list_with_error(request: Request, db: DbSession, actor: Actor, code: str) -> Response:
    return render(
        request,
        "imports/list.html",
        {
            "batches": ingest.list_batches(db, actor=actor),
            "error": message(code, ui_locale(request)),
            **_preset_choices(db, actor),
        },
        status=422,
        actor=actor,
    )


def _targets(db: DbSession, actor: Actor) -> list[str]:
    custom = [
        f"custom:{d.key}"
        for d in profile_queries.list_attributes(db, workspace_id=actor.workspace_id)
    ]
    return [t.value for t in Target] + custom


def _overrides(form: FormData | None) -> dict[str, str]:
    if form is None:
        return {}
    return {
        key.removeprefix("map__"): str(value)
        for key, value in form.items()
        if key.startswith("map__") and isinstance(value, str)
    }


def _plan_and_preview(
    request: Request, db: DbSession, actor: Actor, upload_id: UUID, form: FormData | None
) -> tuple[ImportPlan, Preview, Any]:
    upload = ingest.get_upload(db, actor=actor, upload_id=upload_id)
    params = form if form is not None else request.query_params
    with ingest.upload_file(upload) as path:
        plan = _plan(db, actor, upload, path, params, form)
        preview = ingest.preview_import(
            db, actor=actor, plan=plan, today=utcnow().date(), sample_size=10
        )
    return plan, preview, upload


def _plan(
    db: DbSession, actor: Actor, upload: Any, path: Path, params: Any, form: FormData | None
) -> ImportPlan:
    """Plan the upload with the chosen sheet, preset and column overrides.

    The mapping is also saved under a name when the user asked for it.
    """
    plan = ingest.plan_import(
        db,
        actor=actor,
        path=path,
        file_name=upload.file_name,
        sheet=str(params.get("sheet") or "") or None,
        preset=str(params.get("preset") or "") or None,
        overrides=_overrides(form),
    )
    if form is not None and str(form.get("save_as") or "").strip():
        ingest.save_preset(db, actor=actor, name=str(form["save_as"]), mapping=plan.mapping)
    return plan


def _reason_text(decision: RowDecision, locale: Locale) -> list[str]:
    out = []
    for reason in decision.reasons:
        params = {**reason.get("params", {})}
        params.setdefault("value", "")
        field = str(reason["field"]).split(".")[0]
        name = t(f"target_{field}", locale) if f"target_{field}" in UI else field
        text = message(str(reason["code"]), locale, params)
        out.append(text if field == "row" else f"{name}: {text}")
    return out


def _examples(preview: Preview, columns: int) -> dict[int, list[str]]:
    """Up to three values per column from the first rows, to check the mapping by eye."""
    examples: dict[int, list[str]] = {i: [] for i in range(columns)}
    for decision in [*preview.sample, *preview.rejected][:20]:
        for index, value in enumerate(decision.raw[:columns]):
            if value not in (None, "") and len(examples[index]) < 3:
                examples[index].append(str(value))
    return examples


def _render_preview(
    request: Request, db: DbSession, actor: Actor, upload_id: UUID, form: FormData | None
) -> Response:
    plan, preview, upload = _plan_and_preview(request, db, actor, upload_id, form)
    locale = ui_locale(request)
    return render(
        request,
        "imports/preview.html",
        {
            "upload": upload,
            "plan": plan,
            "preview": preview,
            "examples": _examples(preview, len(plan.columns)),
            "targets": _targets(db, actor),
            "rejected": [
                (d.number, _reason_text(d, locale)) for d in preview.rejected[:PREVIEW_ROWS]
            ],
            "valid_rows": bool(form and form.get("valid_rows")),
        },
        actor=actor,
    )


@router.get("/imports/uploads/{upload_id}")
def preview_upload(upload_id: UUID, request: Request, db: DbSession, actor: WebActor) -> Response:
    return _render_preview(request, db, actor, upload_id, None)


@router.post("/imports/uploads/{upload_id}/preview")
def repreview_upload(
    upload_id: UUID, request: Request, db: DbSession, actor: WebActor, form: CsrfForm
) -> Response:
    return _render_preview(request, db, actor, upload_id, form)


@router.post("/imports/uploads/{upload_id}/commit")
def commit_upload(upload_id: UUID, db: DbSession, actor: WebActor, form: CsrfForm) -> Response:
    upload = ingest.get_upload(db, actor=actor, upload_id=upload_id)
    with ingest.upload_file(upload) as path:
        plan = _plan(db, actor, upload, path, form, form)
    batch = ingest.queue_import(
        db, actor=actor, plan=plan, upload=upload, valid_rows_only=bool(form.get("valid_rows"))
    )
    return RedirectResponse(f"/imports/{batch.id}", status_code=303)


def _batch_context(db: DbSession, actor: Actor, batch_id: UUID) -> dict[str, Any]:
    batch = ingest.get_batch(db, actor=actor, batch_id=batch_id)
    return {"batch": batch, "active": batch.status in {"pending", "running"}}


@router.get("/imports/{batch_id}")
def batch_page(batch_id: UUID, request: Request, db: DbSession, actor: WebActor) -> Response:
    template = "imports/_status.html" if request.headers.get("hx-request") else "imports/batch.html"
    return render(request, template, _batch_context(db, actor, batch_id), actor=actor)


@router.get("/imports/{batch_id}/rejected.xlsx")
def rejected_file(batch_id: UUID, request: Request, db: DbSession, actor: WebActor) -> Response:
    batch = ingest.get_batch(db, actor=actor, batch_id=batch_id)
    rows = ingest.rejected_rows(db, actor=actor, batch_id=batch_id)
    locale = ui_locale(request)
    headers = [m["header"] for m in sorted(batch.mapping, key=lambda m: m["column"])]
    width = max([len(headers), *(len(r.raw) for r in rows)])
    header = [
        "Dòng" if locale == "vi" else "Row",
        *(headers + [f"#{i + 1}" for i in range(len(headers), width)]),
        "Lý do" if locale == "vi" else "Reason",
    ]
    decisions = [
        RowDecision(number=r.row_number, outcome="rejected", raw=r.raw, reasons=r.reasons)
        for r in rows
    ]
    table = [
        [d.number, *d.raw, *([""] * (width - len(d.raw))), "; ".join(_reason_text(d, locale))]
        for d in decisions
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rejected.xlsx"
        write_table(path, header, table)
        data = path.read_bytes()
    name = f"bi-tu-choi-{batch.file_name.rsplit('.', 1)[0]}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.post("/imports/{batch_id}/undo")
def undo(
    batch_id: UUID, request: Request, db: DbSession, actor: WebActor, form: CsrfForm
) -> Response:
    del form  # the dependency checked its CSRF token
    result = ingest.undo_batch(db, actor=actor, batch_id=batch_id)
    flash(
        request,
        "import_undone_flash",
        removed=result.removed,
        restored=result.restored,
        unmerged=result.unmerged,
        skipped=sum(1 for item in result.skipped if item["reason"] == "changed"),
        gone=sum(1 for item in result.skipped if item["reason"] == "deleted"),
    )
    return RedirectResponse(f"/imports/{batch_id}", status_code=303)
