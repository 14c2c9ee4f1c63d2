"""Event collection commands (issue #5): ``hoso source ...`` and ``hoso events ...``."""

from typing import Annotated

import typer

from hoso.cli.base import _say, _unit_of_work, _workspace_actor, app
from hoso.core.config import get_settings

source_app = typer.Typer(
    help="Event sources (website, app, POS): write keys for the Segment-compatible API.",
    no_args_is_help=True,
)
events_app = typer.Typer(
    help="Collected events: processing and dead letters.", no_args_is_help=True
)
app.add_typer(source_app, name="source")
app.add_typer(events_app, name="events")

Workspace = Annotated[str | None, typer.Option(help="Workspace slug (default: the first).")]


@source_app.command("create")
def source_create(
    name: Annotated[str, typer.Argument(help="What sends the events, e.g. 'Website'.")],
    kind: Annotated[str, typer.Option(help="website, app, pos or server.")] = "website",
    workspace: Workspace = None,
) -> None:
    """Create a source and print its write key."""
    from hoso.events import service

    with _unit_of_work(get_settings()) as session:
        actor = _workspace_actor(session, workspace, "cli")
        source = service.create_source(session, actor=actor, name=name, kind=kind)
        _say(source.write_key)


@source_app.command("list")
def source_list(workspace: Workspace = None) -> None:
    """List the sources: name, kind, state and write key."""
    from hoso.events import service

    with _unit_of_work(get_settings()) as session:
        actor = _workspace_actor(session, workspace, "cli")
        for source in service.list_sources(session, actor=actor):
            state = "on" if source.enabled else "off"
            _say(f"{source.name}\t{source.kind}\t{state}\t{source.write_key}")


@source_app.command("rotate")
def source_rotate(
    name: Annotated[str, typer.Argument(help="The source's name.")],
    workspace: Workspace = None,
) -> None:
    """Give a source a new write key (printed); the old key stops working."""
    from hoso.events import service

    with _unit_of_work(get_settings()) as session:
        actor = _workspace_actor(session, workspace, "cli")
        _say(service.rotate_write_key(session, actor=actor, source=name).write_key)


@source_app.command("disable")
def source_disable(
    name: Annotated[str, typer.Argument(help="The source's name.")],
    workspace: Workspace = None,
) -> None:
    """Stop applying a source's events (they are kept as dead letters, replayable)."""
    from hoso.events import service

    with _unit_of_work(get_settings()) as session:
        actor = _workspace_actor(session, workspace, "cli")
        service.set_source_enabled(session, actor=actor, source=name, enabled=False)
        _say(f"{name}: off")


@source_app.command("enable")
def source_enable(
    name: Annotated[str, typer.Argument(help="The source's name.")],
    workspace: Workspace = None,
) -> None:
    """Accept and apply a source's events again."""
    from hoso.events import service

    with _unit_of_work(get_settings()) as session:
        actor = _workspace_actor(session, workspace, "cli")
        service.set_source_enabled(session, actor=actor, source=name, enabled=True)
        _say(f"{name}: on")


@events_app.command("apply")
def events_apply() -> None:
    """Apply every landed event now (the server's applier thread does this continuously)."""
    from hoso.cli.base import _engine_or_exit
    from hoso.core.db import make_session_factory
    from hoso.events.jobs import apply_until_idle

    engine = _engine_or_exit(get_settings())
    try:
        done = apply_until_idle(make_session_factory(engine))
    finally:
        engine.dispose()
    _say(f"Đã xử lý / applied: {done}")


@events_app.command("replay")
def events_replay(workspace: Workspace = None) -> None:
    """Replay every dead letter a replay can cure (disabled source, failed processing)."""
    from hoso.events import service

    with _unit_of_work(get_settings()) as session:
        actor = _workspace_actor(session, workspace, "cli")
        counts = service.replay_all(session, actor=actor)
    for outcome, n in sorted(counts.items()):
        _say(f"{outcome}: {n}")
