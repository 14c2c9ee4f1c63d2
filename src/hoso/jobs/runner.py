"""Run jobs: one claim, one handler call, one result, each in its own transaction.

``hoso worker`` runs this loop in its own process; ``hoso serve`` also runs one worker thread
by default so a single-machine shop needs nothing else. Handlers are idempotent and take ids.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hoso.core import jobs, outbox
from hoso.core.errors import ErrorKind, HosoError

log = logging.getLogger(__name__)
Handler = Callable[[sessionmaker[Session], dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Consumer:
    """A reader of the outbox: its name (its cursor), the topics it wants, its handler.

    The handler runs in the transaction that moves the cursor, so its effects and the
    cursor commit together: a failure delivers the same events again.
    """

    name: str
    topics: frozenset[str]
    handle: Callable[[Session, list[outbox.Delivered]], None]
    batch: int = 500


def worker_name() -> str:
    """Who holds a job's lease: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_one(factory: sessionmaker[Session], handlers: dict[str, Handler]) -> bool:
    """Claim and run one job; return whether there was one."""
    with factory.begin() as session:
        job = jobs.claim(session, worker=worker_name(), kinds=sorted(handlers))
        if job is None:
            return False
        job_id, kind, payload = job.id, job.kind, dict(job.payload)
    try:
        handlers[kind](factory, payload)
    except HosoError as exc:
        # Unavailable is worth retrying; every other domain error is final (STYLE.md).
        retry = timedelta(seconds=30) if exc.kind is ErrorKind.UNAVAILABLE else None
        with factory.begin() as session:
            jobs.finish(session, job_id, error=f"{exc.code}: {exc.details}", retry_in=retry)
        return True
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, kind)
        with factory.begin() as session:
            jobs.finish(session, job_id, error=repr(exc), retry_in=timedelta(minutes=1))
        return True
    with factory.begin() as session:
        jobs.finish(session, job_id)
    return True


def run_until_empty(factory: sessionmaker[Session], handlers: dict[str, Handler]) -> int:
    """Run jobs until none is ready; return how many ran (tests and the CLI use this)."""
    count = 0
    while run_one(factory, handlers):
        count += 1
    return count


def run_consumer(factory: sessionmaker[Session], consumer: Consumer) -> int:
    """Give the consumer its next events; return how many outbox events it passed."""
    with factory.begin() as session:
        batch = outbox.consume(session, consumer.name, consumer.topics, limit=consumer.batch)
        if batch is None or batch.scanned == 0:
            return 0
        if batch.events:
            consumer.handle(session, batch.events)
        return batch.scanned


def drain_consumers(factory: sessionmaker[Session], consumers: Sequence[Consumer]) -> int:
    """Run every consumer until none has anything new; return the events passed."""
    total = 0
    while True:
        passed = sum(run_consumer(factory, c) for c in consumers)
        if not passed:
            return total
        total += passed


class WorkerThread(threading.Thread):
    """A daemon thread polling the queue until stopped."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        handlers: dict[str, Handler],
        *,
        consumers: Sequence[Consumer] = (),
        poll_s: float = 1.0,
    ) -> None:
        super().__init__(name="hoso-worker", daemon=True)
        self._factory, self._handlers, self._poll_s = factory, handlers, poll_s
        self._consumers = tuple(consumers)
        self._stop_requested = threading.Event()

    def run(self) -> None:
        """Poll until stopped; a failing loop iteration is logged, never fatal.

        Jobs come first; when none is ready, the outbox consumers get a turn.
        """
        while not self._stop_requested.is_set():
            try:
                ran = run_one(self._factory, self._handlers)
                if not ran:
                    ran = sum(run_consumer(self._factory, c) for c in self._consumers) > 0
            except Exception:
                log.exception("worker loop error")
                ran = False
            if not ran:
                self._stop_requested.wait(self._poll_s)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait for the current job to finish."""
        self._stop_requested.set()
        self.join(timeout)
