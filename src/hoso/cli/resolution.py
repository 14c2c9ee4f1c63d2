"""Identity resolution on a workspace: ``hoso identity train``, ``hoso identity resolve``."""

from collections.abc import Callable
from typing import Annotated

import typer

from hoso.cli.base import _bar, _engine_or_exit, _say, _workspace_actor, app
from hoso.core.config import get_settings

identity_app = typer.Typer(
    help="Identity resolution: find and merge duplicate customers.", no_args_is_help=True
)
app.add_typer(identity_app, name="identity")


@identity_app.command("train")
def train(
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Train the workspace's matching model on its own customers (no labels needed)."""
    from hoso.core.db import make_session_factory
    from hoso.identity import resolve

    engine = _engine_or_exit(get_settings())
    try:
        with make_session_factory(engine).begin() as session:
            actor = _workspace_actor(session, workspace, "cli:identity")
            model = resolve.train(session, workspace_id=actor.workspace_id)
    finally:
        engine.dispose()
    _say(
        f"Đã học từ / trained on {model.trained_on} khách hàng / customers"
        + (f" ({'; '.join(model.notes)})" if model.notes else "")
    )


@identity_app.command("resolve")
def resolve_all(
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    train_first: Annotated[
        bool, typer.Option("--train", help="Train the model on the workspace first.")
    ] = False,
) -> None:
    """Match every customer of the workspace: merge the sure pairs, queue the others."""
    from sqlalchemy import func, select

    from hoso.core.db import make_session_factory
    from hoso.identity import jobs, resolve
    from hoso.identity.models import IdentityMerge, IdentityPair

    engine = _engine_or_exit(get_settings())
    factory = make_session_factory(engine)
    try:
        with factory.begin() as session:
            actor = _workspace_actor(session, workspace, "cli:identity")
            if train_first:
                model = resolve.train(session, workspace_id=actor.workspace_id)
                _say(f"Đã học từ / trained on {model.trained_on} khách hàng / customers")
            merges_before = session.scalar(
                select(func.count())
                .select_from(IdentityMerge)
                .where(
                    IdentityMerge.workspace_id == actor.workspace_id,
                    IdentityMerge.status == "active",
                )
            )
        bar: list[Callable[[int], None]] = []

        def progress(done: int, count: int) -> None:
            if not bar:
                bar.append(_bar(count))
            bar[0](done)

        done = jobs.run_resolve_job(
            factory, {"workspace": str(actor.workspace_id)}, progress=progress
        )
        with factory() as session:
            merges = session.scalar(
                select(func.count())
                .select_from(IdentityMerge)
                .where(
                    IdentityMerge.workspace_id == actor.workspace_id,
                    IdentityMerge.status == "active",
                )
            )
            pending = session.scalar(
                select(func.count())
                .select_from(IdentityPair)
                .where(
                    IdentityPair.workspace_id == actor.workspace_id,
                    IdentityPair.status == "pending",
                )
            )
    finally:
        engine.dispose()
    _say(
        f"Đã xét / resolved {done} khách hàng / customers: "
        f"{(merges or 0) - (merges_before or 0)} lần gộp mới / new merges, "
        f"{pending or 0} cặp cần xem / pairs to review."
    )
