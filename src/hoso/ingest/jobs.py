"""Running an import: the job code owns the transactions (services only flush).

The whole file is imported in ONE transaction, a chunk of rows at a time (set-based, see
``hoso.ingest.bulk``). All-or-nothing (the default): if any row is refused, the transaction
is rolled back, nothing is written and the batch is recorded as failed. "Import the valid
rows" keeps the others. Progress is committed on its own connection after every chunk, so a
UI or CLI can show it while the import transaction is still open.
"""

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from hoso.core.actor import Actor
from hoso.core.clock import utcnow
from hoso.core.errors import HosoError
from hoso.core.types import WorkspaceId
from hoso.ingest import service
from hoso.ingest.errors import ImportHasRejectedRows, ImportNotCommittable
from hoso.ingest.models import ImportBatch

Progress = Callable[[int], None]


def run_import(
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    plan: service.ImportPlan,
    valid_rows_only: bool,
    today: date,
    progress: Progress | None = None,
    batch_id: UUID | None = None,
) -> UUID:
    """Commit ``plan`` as a new batch (or as the queued ``batch_id``); return the batch id.

    Raises:
        ImportHasRejectedRows: All-or-nothing mode and at least one row was refused; nothing
            was written (the batch is recorded as failed, with the count).
        ImportFileUnreadable: The file could not be read to the end; nothing was written.
        ProfilesChanged: A customer the import updates was saved by someone else meanwhile;
            nothing was written.
    """
    mode = "valid_rows" if valid_rows_only else "all_or_nothing"
    with factory.begin() as session:
        if batch_id is None:
            batch_id = service.start_batch(session, actor=actor, plan=plan, mode=mode).id
        else:
            session.execute(
                update(ImportBatch).where(ImportBatch.id == batch_id).values(status="running")
            )
    counts: dict[str, int] = {}
    try:
        with factory.begin() as session:
            # Read without locking: this transaction must not lock the batch row until it
            # finishes, because the progress reports update it from another connection.
            batch = session.get_one(ImportBatch, batch_id)
            counts = service.import_rows(
                session,
                actor=actor,
                batch=batch,
                plan=plan,
                today=today,
                valid_rows_only=valid_rows_only,
                progress=lambda done: _report(factory, batch_id, done, progress),
            )
            if counts.get("rejected") and not valid_rows_only:
                raise ImportHasRejectedRows(batch_id=str(batch_id), rejected=counts["rejected"])
            service.finish_batch(session, actor=actor, batch=batch, counts=counts)
    except Exception as exc:
        # Whatever stopped it, nothing of the import was committed: say so on the batch,
        # so it never stays "running" (a queued job would then skip it forever).
        error = (
            {"code": exc.code, **_jsonable(exc.details)}
            if isinstance(exc, HosoError)
            else {"code": "internal_error", "detail": repr(exc)[:500]}
        )
        with factory.begin() as session:
            session.execute(
                update(ImportBatch)
                .where(ImportBatch.id == batch_id)
                .values(status="failed", rejected_count=counts.get("rejected", 0), error=error)
            )
        raise
    return batch_id


def run_import_job(factory: sessionmaker[Session], payload: dict[str, Any]) -> None:
    """Job handler for ``import.run``: run a queued batch from its stored upload."""
    batch_id = UUID(str(payload["batch_id"]))
    with factory() as session:
        batch = session.get_one(ImportBatch, batch_id)
        if batch.status != "pending":
            return  # already run: a retried job must not import twice
        actor = _actor(session, batch, payload.get("user_id"))
        if batch.upload_id is None:
            raise ImportNotCommittable(batch_id=str(batch_id))
        upload = service.get_upload(session, actor=actor, upload_id=batch.upload_id)
        valid_rows_only = batch.mode == "valid_rows"
        with service.upload_file(upload) as path:
            plan = service.plan_from_batch(batch, path)
            session.rollback()
            try:
                run_import(
                    factory,
                    actor=actor,
                    plan=plan,
                    valid_rows_only=valid_rows_only,
                    today=utcnow().date(),
                    batch_id=batch_id,
                )
            except ImportHasRejectedRows:
                return  # recorded on the batch as failed; retrying would not change it


def _actor(session: Session, batch: ImportBatch, user_id: object) -> Actor:
    from hoso.workspaces import service as workspaces

    if user_id:
        user = workspaces.get_user(session, user_id=UUID(str(user_id)))
        if user.is_active and user.workspace_id == batch.workspace_id:
            return workspaces.actor_for_user(user)
    return Actor.system(WorkspaceId(batch.workspace_id), "import")


def _report(
    factory: sessionmaker[Session], batch_id: UUID, done: int, progress: Progress | None
) -> None:
    with factory.begin() as session:
        session.execute(
            update(ImportBatch).where(ImportBatch.id == batch_id).values(processed_rows=done)
        )
    if progress:
        progress(done)


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v)
        for k, v in details.items()
    }
