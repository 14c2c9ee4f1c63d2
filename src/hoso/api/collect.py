"""The Segment-compatible collection endpoints at the server root: ``POST /v1/<call>``.

An SDK configured with ``host=<hoso url>`` works unchanged (segment-analytics-python,
rudder-sdk-python, analytics.js, raw HTTP). The hot path is written for throughput:

* the body is read with a size limit (gzip inflated with the same limit) and parsed with
  orjson; messages are checked by plain code (``hoso.engine.events.segment``), no models;
* the write key (Basic-auth username, or ``writeKey`` in the body) is looked up once and
  cached for a few seconds;
* landing is **group commit**: requests hand their messages to writer threads, which put
  every request waiting at that moment into one multi-row INSERT and one COMMIT, then
  answer each request. Nothing is acknowledged before its commit; under load, one commit
  serves many requests.

Answers follow what both SDKs need (shared/reference/ingestion.md §4.3): exactly ``200`` on
success; ``400`` with a JSON ``{code, message}`` for bad JSON or oversize (so rudder does not
retry); ``401`` for a bad write key; ``429`` with ``Retry-After`` when too many events wait;
``503`` when the database fails (both SDKs retry, and retries are deduped).
"""

import asyncio
import base64
import binascii
import logging
import queue
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hoso.core.clock import utcnow
from hoso.core.i18n import Locale, as_locale, message, negotiate
from hoso.engine.events.segment import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES
from hoso.engine.events.segment import read_request as read_segment_request
from hoso.events import service
from hoso.events.service import Batch, SourceKey

log = logging.getLogger(__name__)
CALLS = frozenset({"identify", "track", "page", "screen", "group", "alias", "batch", "import"})
_OK = b'{"success":true}'
_JSON = "application/json"
# Browsers send analytics.js events from the shop's own site: any origin may post (the write
# key, not the origin, says who is sending), and nothing is readable without a key.
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding",
    "Access-Control-Max-Age": "86400",
}


class _Problem(Exception):
    def __init__(
        self, status: int, code: str, headers: dict[str, str] | None = None, **params: Any
    ):
        super().__init__(code)
        self.status, self.code, self.headers, self.params = status, code, headers, params


@dataclass
class _Pending:
    batch: Batch
    loop: asyncio.AbstractEventLoop
    future: "asyncio.Future[None]"
    size: int


@dataclass
class LandingWriter:
    """Writer threads doing group commit: every request waiting becomes one transaction."""

    factory: Callable[[], sessionmaker[Session]]
    threads: int = 2
    max_group_events: int = 5000
    on_commit: Callable[[], None] | None = None
    _queue: "queue.SimpleQueue[_Pending | None]" = field(default_factory=queue.SimpleQueue)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _started: bool = False
    pending_events: int = 0
    groups: int = 0

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            for n in range(self.threads):
                worker = threading.Thread(target=self._run, name=f"hoso-landing-{n}", daemon=True)
                worker.start()
                self._workers.append(worker)

    def close(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then stop the threads."""
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join(timeout)
        self._workers.clear()
        self._started = False

    async def submit(self, batch: Batch) -> None:
        """Land one request's messages; return once they are committed."""
        if not self._started:
            self.start()
        loop = asyncio.get_running_loop()
        size = len(batch.landings) + len(batch.rejections)
        with self._lock:
            self.pending_events += size
        pending = _Pending(batch, loop, loop.create_future(), size)
        self._queue.put(pending)
        await pending.future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group, events = [first], first.size
            while events < self.max_group_events:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # keep the stop signal for this thread's next turn
                    break
                group.append(nxt)
                events += nxt.size
            self._write(group)

    def _write(self, group: list[_Pending]) -> None:
        try:
            with self.factory().begin() as session:
                service.land(session, batches=[p.batch for p in group])
        except Exception as exc:
            if len(group) > 1:
                # One request's data must not fail the others: write them one by one.
                for one in group:
                    self._write([one])
                return
            log.warning("landing %d events failed: %r", group[0].size, exc)
            self._done(group, exc)
            return
        self.groups += 1
        self._done(group, None)
        if self.on_commit is not None:
            self.on_commit()

    def _done(self, group: list[_Pending], exc: BaseException | None) -> None:
        with self._lock:
            self.pending_events -= sum(p.size for p in group)
        for p in group:
            p.loop.call_soon_threadsafe(_resolve, p.future, exc)


def _resolve(future: "asyncio.Future[None]", exc: BaseException | None) -> None:
    if future.done():  # the client went away; the events are stored all the same
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)


class Collector:
    """The collection endpoint's state: write-key cache, the writer, the limits."""

    def __init__(self, state: Any, *, key_ttl_s: float = 5.0) -> None:
        self._state = state
        self.key_ttl_s = key_ttl_s
        self.max_pending_events = 50_000
        self.retry_after_s = 1
        self.landed = threading.Event()  # set after each commit: wakes the applier
        self.writer = LandingWriter(self._factory, on_commit=self.landed.set)
        self._keys: dict[str, tuple[SourceKey | None, float]] = {}

    def _factory(self) -> sessionmaker[Session]:
        factory: sessionmaker[Session] = self._state.session_factory
        return factory

    def invalidate(self) -> None:
        """Forget cached write keys (after a rotation or a disable in this process)."""
        self._keys.clear()

    async def source(self, write_key: str) -> SourceKey | None:
        cached = self._keys.get(write_key)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        found = await run_in_threadpool(self._lookup, write_key)
        if len(self._keys) > 10_000:
            self._keys.clear()  # bounded: unknown keys must not grow it forever
        self._keys[write_key] = (found, now + self.key_ttl_s)
        return found

    def _lookup(self, write_key: str) -> SourceKey | None:
        with self._factory()() as session:
            return service.find_source_by_write_key(session, write_key=write_key)

    def close(self) -> None:
        self.writer.close()


def _basic_user(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = decoded.partition(":")[0]  # "<writeKey>:" (also accepted without the colon)
    return user or None


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _Problem(400, "payload_too_large", limit_kb=limit // 1024)
    encoding = (request.headers.get("content-encoding") or "identity").strip().lower()
    if encoding not in {"identity", "gzip"}:
        raise _Problem(400, "unsupported_encoding", encoding=encoding[:20])
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Problem(400, "payload_too_large", limit_kb=limit // 1024)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error:
            raise _Problem(400, "malformed_json") from None
        if len(raw) > limit or inflater.unconsumed_tail:
            raise _Problem(400, "payload_too_large", limit_kb=limit // 1024)
    return raw


def _locale(request: Request) -> Locale:
    settings = getattr(request.app.state, "settings", None)
    default = as_locale(getattr(settings, "default_locale", None))
    return negotiate(request.headers.get("accept-language"), default)


def _error(request: Request, problem: _Problem) -> Response:
    body = {
        "code": problem.code,
        "message": message(problem.code, _locale(request), problem.params),
        **problem.params,
    }
    headers = {**_CORS, **(problem.headers or {})}
    return Response(orjson.dumps(body), problem.status, headers, media_type=_JSON)


async def collect(request: Request) -> Response:
    """Accept one Segment call (``/v1/track``...) or a batch (``/v1/batch``)."""
    call = request.path_params["call"]
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=_CORS)
    if call not in CALLS:
        return _error(request, _Problem(404, "route_not_found"))
    collector: Collector = request.app.state.collector
    try:
        return await _collect(request, collector, call)
    except _Problem as problem:
        return _error(request, problem)


async def _collect(request: Request, collector: Collector, call: str) -> Response:
    received_at = utcnow()
    if collector.writer.pending_events > collector.max_pending_events:
        retry = str(collector.retry_after_s)
        raise _Problem(429, "events_overloaded", {"Retry-After": retry}, retry_after=retry)
    single = call not in {"batch", "import"}
    raw = await _body(request, MAX_EVENT_BYTES if single else MAX_BATCH_BYTES)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _Problem(400, "malformed_json") from None
    parsed = read_segment_request(body, received_at=received_at, type_=call if single else None)
    if isinstance(parsed, str):
        if parsed == "batch_too_many_events":
            raise _Problem(400, parsed, limit=MAX_BATCH_EVENTS)
        raise _Problem(400, parsed)
    write_key = _basic_user(request.headers.get("authorization")) or parsed.write_key
    source = await collector.source(write_key) if write_key else None
    if source is None:
        raise _Problem(401, "invalid_write_key", {"WWW-Authenticate": 'Basic realm="hoso"'})
    try:
        await collector.writer.submit(
            Batch(source, received_at, parsed.landings, parsed.rejections)
        )
    except Exception:
        raise _Problem(503, "unavailable", {"Retry-After": "1"}) from None
    return Response(_OK, 200, _CORS, media_type=_JSON)


def install(app: FastAPI) -> Collector:
    """Mount the collection endpoints on ``app`` and give it a collector."""
    collector = Collector(app.state)
    app.state.collector = collector
    app.router.routes.insert(0, Route("/v1/{call}", collect, methods=["POST", "OPTIONS"]))
    return collector
