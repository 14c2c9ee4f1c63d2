from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from hoso.core import jobs
from hoso.core.db import make_session_factory
from hoso.core.errors import InvalidInput, Unavailable
from hoso.core.jobs import Job
from hoso.jobs.runner import run_one, run_until_empty


def test_a_job_runs_once_and_is_done(session_factory: sessionmaker[Session], db: Session) -> None:
    seen: list[dict[str, Any]] = []
    jobs.enqueue(db, "test.echo", workspace_id=None, value=1)
    db.commit()
    handlers = {"test.echo": lambda _factory, payload: seen.append(payload)}
    assert run_until_empty(session_factory, handlers) == 1
    assert seen == [{"value": 1}]
    assert db.scalars(select(Job.status)).one() == "done"
    assert run_one(session_factory, handlers) is False


def _fail_with(exc: Exception) -> Any:
    def handler(_factory: object, _payload: object) -> None:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("exc", "status"),
    [(Unavailable(), "queued"), (InvalidInput(), "failed"), (RuntimeError("boom"), "queued")],
)
def test_failures_retry_only_when_worth_it(
    session_factory: sessionmaker[Session], db: Session, exc: Exception, status: str
) -> None:
    job = jobs.enqueue(db, "test.fail", workspace_id=None)
    db.commit()
    assert run_one(session_factory, {"test.fail": _fail_with(exc)}) is True
    db.refresh(job)
    assert (job.status, job.attempts) == (status, 1)
    assert job.error


def test_attempts_are_bounded(session_factory: sessionmaker[Session], db: Session) -> None:
    job = jobs.enqueue(db, "test.fail", workspace_id=None, max_attempts=2)
    db.commit()
    handlers = {"test.fail": _fail_with(RuntimeError("boom"))}
    for _ in range(2):
        db.execute(update(Job).values(run_after=Job.created_at))  # due now
        db.commit()
        run_one(session_factory, handlers)
    db.refresh(job)
    assert (job.status, job.attempts) == ("failed", 2)


@pytest.fixture
def committed_job(engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        jobs.enqueue(session, "test.locked", workspace_id=None)
    yield factory
    with factory.begin() as session:
        session.execute(delete(Job).where(Job.kind == "test.locked"))


def test_a_claimed_job_is_skipped_by_other_workers(committed_job: sessionmaker[Session]) -> None:
    with committed_job.begin() as first:
        claimed = jobs.claim(first, worker="a", kinds=["test.locked"])
        assert claimed is not None
        with committed_job.begin() as second:  # another connection, while the row is locked
            assert jobs.claim(second, worker="b", kinds=["test.locked"]) is None
