"""Background work of identity resolution: the outbox consumer and the resolve/train jobs.

Created and changed customers reach identity resolution through the outbox (topics below):
a few are resolved right in the consumer's transaction; many (an import, a whole workspace)
become a job that resolves them a chunk at a time, committing each chunk.
"""

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hoso.core import jobs
from hoso.core.db import Base
from hoso.core.outbox import Delivered
from hoso.identity import resolve
from hoso.profiles.models import Profile

log = logging.getLogger(__name__)

TOPICS = frozenset(
    {
        "profile.created",
        "profile.updated",
        "profile.merged",
        "profile.unmerged",
        "import.committed",
        "events.profiles_changed",
    }
)
# Customers resolved inside the consumer's own transaction; more go to a job.
INLINE_LIMIT = 200
CHUNK = 500


def _profiles_of(event: Delivered) -> list[UUID]:
    payload = event.payload
    if event.topic == "profile.updated":
        fields = set(payload.get("fields") or [])
        if fields and not fields & resolve.MATCH_FIELDS:
            return []
    ids = [payload.get("profile_id"), payload.get("survivor_id")]
    ids += list(payload.get("profile_ids") or [])
    return [UUID(str(i)) for i in ids if i]


def handle_outbox(session: Session, events: list[Delivered]) -> None:
    """Resolve the customers the events are about (or queue a job when there are many)."""
    by_workspace: dict[UUID, list[UUID]] = {}
    for event in events:
        if event.topic == "import.committed":
            jobs.enqueue(
                session,
                "identity.resolve",
                workspace_id=event.workspace_id,
                workspace=str(event.workspace_id),
                batch_id=event.payload.get("batch_id"),
            )
            continue
        by_workspace.setdefault(event.workspace_id, []).extend(_profiles_of(event))
    for workspace_id, ids in by_workspace.items():
        unique = list(dict.fromkeys(ids))
        if len(unique) > INLINE_LIMIT:
            jobs.enqueue(
                session,
                "identity.resolve",
                workspace_id=workspace_id,
                workspace=str(workspace_id),
                profile_ids=[str(i) for i in unique],
            )
        elif unique:
            resolve.resolve_profiles(session, workspace_id=workspace_id, profile_ids=unique)


def _batch_profiles(session: Session, batch_id: str) -> list[UUID]:
    # The import's rows are read by table name: ingest sits above identity in the layers,
    # and all identity needs from it is which customers a committed batch touched.
    rows = Base.metadata.tables.get("import_row")
    if rows is None:  # pragma: no cover - the ingest models are always registered
        return []
    return list(
        dict.fromkeys(
            session.scalars(
                select(rows.c.profile_id)
                .where(
                    rows.c.batch_id == UUID(batch_id),
                    rows.c.outcome.in_(("created", "updated")),
                    rows.c.profile_id.is_not(None),
                )
                .order_by(rows.c.row_number)
            )
        )
    )


def run_resolve_job(
    factory: sessionmaker[Session],
    payload: dict[str, Any],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Resolve the customers of an import batch, a list, or else a whole workspace.

    Commits every ``CHUNK`` customers; returns how many were resolved.
    """
    workspace_id = UUID(str(payload["workspace"]))
    with factory() as session:
        if payload.get("batch_id"):
            ids = _batch_profiles(session, str(payload["batch_id"]))
        elif payload.get("profile_ids"):
            ids = [UUID(str(i)) for i in payload["profile_ids"]]
        else:
            ids = list(
                session.scalars(
                    select(Profile.id)
                    .where(Profile.workspace_id == workspace_id, Profile.deleted_at.is_(None))
                    .order_by(Profile.id)
                )
            )
    done = 0
    for start in range(0, len(ids), CHUNK):
        with factory.begin() as session:
            resolve.resolve_profiles(
                session, workspace_id=workspace_id, profile_ids=ids[start : start + CHUNK]
            )
        done += len(ids[start : start + CHUNK])
        if progress is not None:
            progress(done, len(ids))
    return done


def run_job(factory: sessionmaker[Session], payload: dict[str, Any]) -> None:
    """The job queue's entry point for ``identity.resolve``."""
    run_resolve_job(factory, payload)


def run_train_job(factory: sessionmaker[Session], payload: dict[str, Any]) -> None:
    """Train the workspace's model (``identity.train``), then re-resolve everyone with it."""
    workspace_id = UUID(str(payload["workspace"]))
    with factory.begin() as session:
        model = resolve.train(session, workspace_id=workspace_id)
        log.info("workspace %s: model trained on %s records", workspace_id, model.trained_on)
    if payload.get("resolve", True):
        run_resolve_job(factory, {"workspace": str(workspace_id)})
