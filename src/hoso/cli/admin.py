"""Running and administering hoso: serve, demo, worker, database, staff, API keys."""

import sys
import threading
from typing import Annotated

import typer

from hoso import __version__
from hoso.cli.base import (
    _engine,
    _engine_or_exit,
    _fail,
    _say,
    _serve,
    _unit_of_work,
    app,
    db_app,
    key_app,
    user_app,
)
from hoso.core.config import get_settings
from hoso.core.errors import HosoError


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
    """Run background jobs (imports...) and apply collected events until interrupted."""
    import signal

    from hoso.core.db import make_session_factory
    from hoso.events.jobs import EventApplier
    from hoso.jobs.registry import CONSUMERS, HANDLERS
    from hoso.jobs.runner import WorkerThread

    settings = get_settings()
    engine = _engine_or_exit(settings)
    factory = make_session_factory(engine)
    thread = WorkerThread(factory, HANDLERS, consumers=CONSUMERS, poll_s=poll)
    applier = EventApplier(factory)  # landed events (issue #5), its own claim loop
    thread.start()
    applier.start()
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
        applier.stop()
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
