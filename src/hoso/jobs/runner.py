"""Run jobs: one claim, one handler call, one result, each in its own transaction.

``hoso worker`` runs this loop in its own process; ``hoso serve`` also runs one worker thread
by default so a single-machine shop needs nothing else. Handlers are idempotent and take ids.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hoso.core import jobs
from hoso.core.errors import ErrorKind, HosoError

log = logging.getLogger(__name__)
Handler = Callable[[sessionmaker[Session], dict[str, Any]], None]


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


class WorkerThread(threading.Thread):
    """A daemon thread polling the queue until stopped."""

    def __init__(
        self, factory: sessionmaker[Session], handlers: dict[str, Handler], *, poll_s: float = 1.0
    ) -> None:
        super().__init__(name="hoso-worker", daemon=True)
        self._factory, self._handlers, self._poll_s = factory, handlers, poll_s
        self._stop_requested = threading.Event()

    def run(self) -> None:
        """Poll until stopped; a failing loop iteration is logged, never fatal."""
        while not self._stop_requested.is_set():
            try:
                ran = run_one(self._factory, self._handlers)
            except Exception:
                log.exception("worker loop error")
                ran = False
            if not ran:
                self._stop_requested.wait(self._poll_s)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait for the current job to finish."""
        self._stop_requested.set()
        self.join(timeout)
