"""What every ``hoso`` command shares: the Typer app, errors, database, workspace."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hoso.core.config import Settings
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
