"""The ``hoso`` command: serve, demo, database and user administration."""

import logging
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hoso import __version__
from hoso.core.config import Settings, get_settings
from hoso.core.errors import ErrorKind, HosoError, ValidationFailed
from hoso.core.i18n import ERRORS, as_locale, message

if TYPE_CHECKING:
    from hoso.core.actor import Actor

app = typer.Typer(
    name="hoso",
    help="hoso: hồ sơ khách hàng — Customer Data Platform for Vietnamese SMEs.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database: migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="apikey")

EXIT = {
    ErrorKind.INVALID: 2,
    ErrorKind.NOT_FOUND: 3,
    ErrorKind.CONFLICT: 4,
    ErrorKind.FORBIDDEN: 5,
    ErrorKind.UNAUTHENTICATED: 5,
    ErrorKind.UNAVAILABLE: 6,
}


def _say(text: str) -> None:
    typer.echo(text)


def _fail(exc: HosoError, settings: Settings) -> typer.Exit:
    locale = as_locale(settings.default_locale)
    typer.echo(message(exc.code, locale, exc.details), err=True)
    reason = exc.details.get("reason")
    if isinstance(reason, str) and reason in ERRORS:
        typer.echo(f"  {message(reason, locale, exc.details)}", err=True)
    if isinstance(exc, ValidationFailed):
        for err in exc.errors:
            typer.echo(f"  {err.field}: {message(err.code, locale, err.params)}", err=True)
    return typer.Exit(EXIT[exc.kind])


def _engine(settings: Settings) -> Engine:
    from hoso.bootstrap import database_url, import_all_models
    from hoso.core.db import make_engine
    from hoso.migrate import upgrade

    import_all_models()
    engine = make_engine(database_url(settings), pool_size=settings.db_pool_size)
    upgrade(engine)
    return engine


def _engine_or_exit(settings: Settings) -> Engine:
    """The migrated database, or the command ends with the error in the user's language."""
    try:
        return _engine(settings)
    except HosoError as exc:
        raise _fail(exc, settings) from exc


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    from hoso.core.db import make_session_factory

    engine = _engine(settings)
    try:
        with make_session_factory(engine).begin() as session:
            yield session
    except HosoError as exc:
        raise _fail(exc, settings) from exc
    finally:
        engine.dispose()


def _serve(settings: Settings, host: str, port: int, engine: Engine | None = None) -> None:
    import signal

    import uvicorn

    from hoso.app import create_app

    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the
    # previous handler. With Python's default the process dies by the signal and skips its
    # exit handlers, leaving the embedded PostgreSQL running; exiting normally lets the last
    # hoso process stop it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    application = create_app(settings, engine=engine, migrate=engine is None)
    with suppress(KeyboardInterrupt):
        uvicorn.run(application, host=host, port=port, log_level="info", proxy_headers=True)


@app.command()
def version() -> None:
    """Print the version."""
    _say(__version__)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the web UI and API (embedded PostgreSQL unless HOSO_DATABASE_URL is set)."""
    settings = get_settings()
    engine = _engine_or_exit(settings)
    _say(f"hoso {__version__}: http://{host}:{port}/")
    _serve(settings, host, port, engine)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    customers: Annotated[int, typer.Option(help="Demo customers to generate.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 2026,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server after loading.")
    ] = True,
) -> None:
    """Load a demo shop with Vietnamese customers (once), then serve it."""
    from hoso.core.db import make_session_factory
    from hoso.workflows.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo

    settings = get_settings()
    try:
        engine = _engine(settings)
        with make_session_factory(engine).begin() as session:

            def progress(done: int, total: int) -> None:
                width = 30
                filled = width * done // max(total, 1)
                sys.stderr.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
                sys.stderr.flush()
                if done == total:
                    sys.stderr.write("\n")

            _say("Đang tạo dữ liệu mẫu / loading demo data…")
            summary = load_demo(session, seed=seed, customers=customers, progress=progress)
    except HosoError as exc:
        raise _fail(exc, settings) from exc
    if summary.created:
        _say(
            f"Demo: {summary.customers} khách hàng / customers, {summary.orders} đơn hàng / "
            f"orders, {summary.interactions} tương tác / interactions."
        )
    else:
        _say("Dữ liệu mẫu đã có sẵn / demo data already loaded.")
    _say("")
    _say(f"  Mở / open:        http://{host}:{port}/")
    _say(f"  Email:            {DEMO_EMAIL}")
    _say(f"  Mật khẩu / pass:  {DEMO_PASSWORD}")
    _say("")
    if serve_after:
        _serve(settings, host, port, engine)
    else:
        engine.dispose()


@app.command()
def worker(
    poll: Annotated[float, typer.Option(help="Seconds between polls of an empty queue.")] = 1.0,
) -> None:
    """Run background jobs (imports...) until interrupted; several may run at once."""
    import signal

    from hoso.core.db import make_session_factory
    from hoso.jobs.registry import HANDLERS
    from hoso.jobs.runner import WorkerThread

    settings = get_settings()
    engine = _engine_or_exit(settings)
    thread = WorkerThread(make_session_factory(engine), HANDLERS, poll_s=poll)
    thread.start()
    _say("hoso worker: đang chạy / running (Ctrl+C để dừng / to stop)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        thread.stop()
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations up to the newest."""
    _engine_or_exit(get_settings()).dispose()
    _say("Cơ sở dữ liệu đã cập nhật / database is up to date.")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(prompt=True, help="Login email.")],
    name: Annotated[str, typer.Option(prompt="Tên hiển thị / display name")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, envvar="HOSO_NEW_USER_PASSWORD"
        ),
    ],
    role: Annotated[
        str, typer.Option(help="owner, admin, manager, sales, support, marketing or viewer.")
    ] = "owner",
    workspace: Annotated[
        str | None, typer.Option(help="Workspace slug (default: the first; created if none).")
    ] = None,
    workspace_name: Annotated[str, typer.Option(help="Name for a new workspace.")] = "Cửa hàng",
) -> None:
    """Create a staff account (an owner by default)."""
    from hoso.core.actor import Role
    from hoso.workspaces import service as workspaces

    settings = get_settings()
    try:
        chosen = Role(role)
    except ValueError:
        typer.echo(f"role: {role}?", err=True)
        raise typer.Exit(2) from None
    with _unit_of_work(settings) as session:
        ws = (
            workspaces.find_workspace_by_slug(session, slug=workspace)
            if workspace
            else workspaces.first_workspace(session)
        )
        if ws is None:
            ws = workspaces.create_workspace(session, name=workspace_name, slug=workspace)
        user = workspaces.create_user(
            session,
            workspace_id=ws.id,
            email=email,
            password=password,
            display_name=name,
            role=chosen,
        )
        _say(f"Đã tạo / created: {user.email} ({user.role}) trong / in {ws.slug}")


@key_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="What the key is for.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(help="Permission, repeatable (default: read and write profiles)."),
    ] = None,
    workspace: Annotated[
        str | None, typer.Option(help="Workspace slug (default: the first).")
    ] = None,
) -> None:
    """Issue an API key; the secret is printed once."""
    from hoso.core.actor import Actor
    from hoso.core.types import WorkspaceId
    from hoso.workspaces import service as workspaces

    settings = get_settings()
    scopes = scope or [
        "profiles:read",
        "profiles:write",
        "notes:write",
        "interactions:write",
        "orders:write",
    ]
    with _unit_of_work(settings) as session:
        ws = (
            workspaces.find_workspace_by_slug(session, slug=workspace)
            if workspace
            else workspaces.first_workspace(session)
        )
        if ws is None:
            typer.echo("No workspace: run `hoso user create` first.", err=True)
            raise typer.Exit(3)
        issued = workspaces.create_api_key(
            session,
            workspace_id=ws.id,
            name=name,
            scopes=scopes,
            actor=Actor.system(WorkspaceId(ws.id), "cli"),
        )
        _say(issued.secret)


def _workspace_actor(session: Session, workspace: str | None, who: str) -> "Actor":
    from hoso.core.actor import Actor
    from hoso.core.types import WorkspaceId
    from hoso.workspaces import service as workspaces

    ws = (
        workspaces.find_workspace_by_slug(session, slug=workspace)
        if workspace
        else workspaces.first_workspace(session)
    )
    if ws is None:
        typer.echo("Chưa có không gian làm việc / no workspace: run `hoso user create`.", err=True)
        raise typer.Exit(3)
    return Actor.system(WorkspaceId(ws.id), who)


def _bar(total: int) -> "Callable[[int], None]":
    def show(done: int) -> None:
        width = 30
        filled = width * min(done, total) // max(total, 1)
        sys.stderr.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        if done >= total:
            sys.stderr.write("\n")

    return show


@app.command("import")
def import_file(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="An .xlsx, .xls or .csv file."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Preview only; write nothing.")
    ] = False,
    preset: Annotated[
        str | None, typer.Option(help="Column preset: kiotviet, sapo, haravan, shopee.")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet name (default: first visible).")] = None,
    header_row: Annotated[
        int | None, typer.Option(help="Header row number (default: detected).")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="COLUMN=TARGET, repeatable (e.g. 'SĐT 2=phone', 'Ghi chú=ignore')."
        ),
    ] = None,
    valid_rows: Annotated[
        bool, typer.Option("--valid-rows", help="Import the valid rows even if some are rejected.")
    ] = False,
    save_preset: Annotated[
        str | None, typer.Option(help="Save this file's column mapping under a name.")
    ] = None,
    rejected_out: Annotated[
        Path | None,
        typer.Option(help="Write rejected rows with a reason column to this .xlsx or .csv."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Import customers from a spreadsheet: preview, then create or update (idempotent)."""
    import json

    from hoso.core.clock import utcnow
    from hoso.core.db import make_session_factory
    from hoso.ingest import jobs
    from hoso.ingest import service as ingest

    settings = get_settings()
    locale = as_locale(settings.default_locale)
    overrides: dict[str, str] = {}
    for item in map_ or []:
        column, sep, target = item.rpartition("=")
        if not sep or not column:
            typer.echo(f"--map {item}: COLUMN=TARGET?", err=True)
            raise typer.Exit(2)
        overrides[column.strip()] = target.strip()
    today = utcnow().date()
    engine = None
    try:
        engine = _engine(settings)
        factory = make_session_factory(engine)
        with factory() as session:
            actor = _workspace_actor(session, workspace, "cli:import")
            plan = ingest.plan_import(
                session,
                actor=actor,
                path=path,
                sheet=sheet,
                header_row=header_row,
                preset=preset,
                overrides=overrides,
            )
            preview = ingest.preview_import(session, actor=actor, plan=plan, today=today)
            session.rollback()
        if save_preset:
            with factory.begin() as session:
                ingest.save_preset(session, actor=actor, name=save_preset, mapping=plan.mapping)
        report: dict[str, object] = {
            "file": plan.file_name,
            "sheet": plan.sheet,
            "header_row": plan.header_row,
            "preset": plan.preset,
            "warnings": plan.warnings,
            "mapping": [
                {"column": m.column + 1, "header": m.header, "target": m.target, "reason": m.reason}
                for m in plan.mapping
            ],
            "counts": preview.counts,
            "committed": False,
            "batch_id": None,
            "rejected": [_rejected_json(d, locale) for d in preview.rejected],
        }
        if rejected_out and preview.rejected:
            _write_rejected(rejected_out, plan, preview.rejected, locale)
        blocked = bool(preview.rejected) and not valid_rows
        if not dry_run and not blocked:
            total = sum(v for k, v in preview.counts.items() if k != "skipped")
            batch_id = jobs.run_import(
                factory,
                actor=actor,
                plan=plan,
                valid_rows_only=valid_rows,
                today=today,
                progress=None if as_json else _bar(total),
            )
            with factory() as session:
                batch = ingest.get_batch(session, actor=actor, batch_id=batch_id)
                report["counts"] = {
                    "created": batch.created_count,
                    "updated": batch.updated_count,
                    "unchanged": batch.unchanged_count,
                    "rejected": batch.rejected_count,
                    "skipped": preview.counts.get("skipped", 0),
                }
            report["committed"], report["batch_id"] = True, str(batch_id)
    except HosoError as exc:
        raise _fail(exc, settings) from exc
    finally:
        if engine is not None:
            engine.dispose()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        _print_import(report, dry_run=dry_run, blocked=blocked)
    if blocked and not dry_run:
        raise typer.Exit(2)


def _rejected_json(decision: object, locale: str) -> dict[str, object]:
    from hoso.ingest.service import RowDecision

    assert isinstance(decision, RowDecision)  # noqa: S101
    return {
        "row": decision.number,
        "reasons": [
            {
                **r,
                "message": message(
                    str(r["code"]),
                    as_locale(locale),
                    {**r.get("params", {}), "value": r.get("params", {}).get("value", "")},
                ),
            }
            for r in decision.reasons
        ],
    }


def _write_rejected(path: Path, plan: object, rejected: Sequence[object], locale: str) -> None:
    from hoso.ingest.export import write_table
    from hoso.ingest.service import ImportPlan

    assert isinstance(plan, ImportPlan)  # noqa: S101
    reason = "Lý do" if locale == "vi" else "Reason"
    row_label = "Dòng" if locale == "vi" else "Row"
    header = [row_label, *[c.header for c in plan.columns], reason]
    rows = []
    for decision in rejected:
        info = _rejected_json(decision, locale)
        reasons = info["reasons"]
        assert isinstance(reasons, list)  # noqa: S101
        rows.append(
            [
                info["row"],
                *getattr(decision, "raw", []),
                "; ".join(f"{r['field']}: {r['message']}" for r in reasons),
            ]
        )
    write_table(path, header, rows)


def _print_import(report: dict[str, object], *, dry_run: bool, blocked: bool) -> None:
    counts = report["counts"]
    assert isinstance(counts, dict)  # noqa: S101
    _say(
        f"Tệp / file: {report['file']}  (sheet: {report['sheet'] or '-'}, "
        f"dòng tiêu đề / header row: {report['header_row']}, preset: {report['preset'] or '-'})"
    )
    mapping = report["mapping"]
    assert isinstance(mapping, list)  # noqa: S101
    for m in mapping:
        _say(f"  {m['column']:>3}. {m['header']:<30} → {m['target']}")
    _say(
        f"Tạo mới / created: {counts.get('created', 0)}   "
        f"Cập nhật / updated: {counts.get('updated', 0)}   "
        f"Không đổi / unchanged: {counts.get('unchanged', 0)}   "
        f"Bị từ chối / rejected: {counts.get('rejected', 0)}"
    )
    rejected = report["rejected"]
    assert isinstance(rejected, list)  # noqa: S101
    for item in rejected[:50]:
        for reason in item["reasons"]:
            _say(f"  dòng / row {item['row']}: {reason['field']}: {reason['message']}")
    if len(rejected) > 50:
        _say(f"  … {len(rejected) - 50} more / còn nữa (--rejected-out FILE.xlsx)")
    if dry_run:
        _say("Chạy thử: chưa ghi gì / dry run: nothing written.")
    elif blocked:
        _say(
            "Không nhập gì vì có dòng bị từ chối; sửa tệp hoặc dùng --valid-rows. / "
            "Nothing imported because some rows were rejected; fix them or use --valid-rows."
        )
    else:
        _say(f"Đã nhập / imported. Hoàn tác / undo: hoso undo-import {report['batch_id']}")


@app.command("undo-import")
def undo_import(
    batch_id: Annotated[str, typer.Argument(help="The batch id printed by `hoso import`.")],
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Undo an import: remove the customers it created, restore the fields it changed."""
    from uuid import UUID

    from hoso.ingest import service as ingest

    settings = get_settings()
    try:
        batch_uuid = UUID(batch_id)
    except ValueError:
        typer.echo(f"batch id? {batch_id}", err=True)
        raise typer.Exit(2) from None
    with _unit_of_work(settings) as session:
        actor = _workspace_actor(session, workspace, "cli:undo-import")
        result = ingest.undo_batch(session, actor=actor, batch_id=batch_uuid)
        _say(
            f"Đã hoàn tác / undone: {result.removed} khách hàng gỡ bỏ / removed, "
            f"{result.restored} khôi phục / restored."
        )
        for item in result.skipped:
            _say(
                f"  dòng / row {item['row']}: {item['field']} đã bị sửa sau khi nhập, giữ nguyên "
                "/ changed since the import, kept"
            )


@app.command("export")
def export(
    path: Annotated[Path, typer.Argument(dir_okay=False, help="Output .csv or .xlsx file.")],
    query: Annotated[
        str | None, typer.Option("--q", help="Only the customers this search finds.")
    ] = None,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Export customers (all, or a search result) to CSV or Excel."""
    from hoso.ingest.export import export_profiles

    settings = get_settings()
    with _unit_of_work(settings) as session:
        actor = _workspace_actor(session, workspace, "cli:export")
        count = export_profiles(
            session, actor=actor, path=path, locale=as_locale(settings.default_locale), query=query
        )
    _say(f"Đã xuất / exported {count} → {path}")


def main() -> None:
    """Entry point of the ``hoso`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
