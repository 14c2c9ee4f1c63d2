"""Event collection benchmark: /v1/batch under concurrent clients, then a kill -9 run.

Two phases against real processes (``hoso serve`` and ``hoso worker`` started as child
processes on a fresh database; the load generator is this process):

* ``accept``: ``--clients`` keep-alive HTTP clients send ``/v1/batch`` requests of
  ``--batch`` events (a shop's mix: page 30 %, Product Viewed/Added 50 %, identify 15 %,
  Order Completed 5 %, 2,000 customers half of them anonymous at first) for ``--seconds``.
  Figures: events/s accepted (200 = committed), request latency p50/p99, events/s applied
  to profiles by the worker meanwhile, the lag when the load stops and how long the worker
  then takes to drain it. In the same run, the **floor**: the same number of events of the
  same shape written with one raw ``COPY`` into a copy of ``event_landed`` (same indexes).
* ``kill``: the same load of page and track events (one timeline row each), with retries
  (a failed or unanswered request is sent again, same messageIds, until it gets a 200);
  after a third of the time the server is killed with SIGKILL and restarted, after two
  thirds the worker is. Then: **lost** = events acknowledged with 200 that are not landed,
  or landed but without their timeline row once the worker drained; **duplicated** =
  messageIds landed twice or applied twice. Both must be 0.

Usage::

    python bench/events_bench.py                  # 60 s per phase (the issue's run)
    python bench/events_bench.py --seconds 10     # quick look
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from hoso.bootstrap import import_all_models
from hoso.core.actor import Actor, Role
from hoso.core.db import make_engine, make_session_factory
from hoso.core.embedded import with_database
from hoso.core.types import WorkspaceId
from hoso.events import service
from hoso.migrate import upgrade
from hoso.workspaces import service as workspaces

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
UA = (
    b"Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/131.0.0.0 Mobile Safari/537.36"
)
NAMES = ["Nguyễn Thị Lan", "Trần Văn Minh", "Lê Hoàng Anh", "Phạm Ngọc Bảo Trâm", "Võ Thị Hồng"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------------------- event shapes


class Events:
    """Generates Segment messages as bytes (cheap: the load generator shares the 2 cores)."""

    def __init__(self, run: str, *, seed: int, customers: int = 2000, simple: bool = False):
        self.run, self.rng, self.customers, self.simple = (
            run,
            random.Random(seed),
            customers,
            simple,
        )
        self.counter = 0
        self._lock = threading.Lock()

    def _ids(self, n: int) -> range:
        with self._lock:
            start = self.counter
            self.counter += n
        return range(start, start + n)

    def message(self, n: int) -> tuple[str, bytes]:
        rng = self.rng
        c = rng.randrange(self.customers)
        mid = f"{self.run}-{n}"
        ts = datetime.now(UTC).isoformat()
        who = (
            b'"anonymousId":"anon-%d"' % c
            if c % 2 and not self.simple
            else b'"userId":"user-%d","anonymousId":"anon-%d"' % (c, c)
        )
        if self.simple:
            who = b'"anonymousId":"anon-%d"' % c
        context = (
            b'"context":{"ip":"113.161.%d.%d","userAgent":"%s","locale":"vi-VN",'
            % (c % 250, c // 250 % 250, UA)  # a customer keeps one address, as a visitor does
            + b'"library":{"name":"analytics-python","version":"2.4.0"}}'
        )
        roll = rng.random()
        if self.simple:
            roll = roll * 0.8  # page or track only
        if roll < 0.3:
            body = (
                b'"type":"page","name":"S\xe1\xba\xa3n ph\xe1\xba\xa9m %d","properties":{"url":"https://shop.vn/p/%d?utm_source=zalo"}'
                % (
                    n % 500,
                    n % 500,
                )
            )
        elif roll < 0.8:
            event = b"Product Viewed" if roll < 0.6 else b"Product Added"
            body = (
                b'"type":"track","event":"%s","properties":{"product_id":"SP-%d","price":%d,"currency":"VND"}'
                % (
                    event,
                    n % 500,
                    rng.randrange(50, 2000) * 1000,
                )
            )
        elif roll < 0.95:
            name = NAMES[c % len(NAMES)].encode()
            body = (
                b'"type":"identify","userId":"user-%d","traits":{"name":"%s","email":"kh%d@shop.vn","phone":"09%08d"}'
                % (
                    c,
                    name,
                    c,
                    c,
                )
            )
            who = b'"anonymousId":"anon-%d"' % c
        else:
            body = (
                b'"type":"track","userId":"user-%d","event":"Order Completed","properties":'
                b'{"order_id":"%s","currency":"VND","products":[{"sku":"SP-%d",'
                b'"name":"\xc3\x81o","price":250000,"quantity":2}]}'
                % (
                    c,
                    mid.encode(),
                    n % 500,
                )
            )
            who = b'"anonymousId":"anon-%d"' % c
        return mid, b'{"messageId":"%s","timestamp":"%s",%s,%s,%s}' % (
            mid.encode(),
            ts.encode(),
            who,
            body,
            context,
        )

    def batch(self, size: int) -> tuple[list[str], bytes]:
        ids, parts = [], []
        for n in self._ids(size):
            mid, raw = self.message(n)
            ids.append(mid)
            parts.append(raw)
        sent = datetime.now(UTC).isoformat().encode()
        return ids, b'{"batch":[' + b",".join(parts) + b'],"sentAt":"' + sent + b'"}'


# ---------------------------------------------------------------------------- processes


@dataclass
class Servers:
    url: str
    database_url: str
    port: int
    env: dict[str, str]
    serve: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    logs: list[Any] = field(default_factory=list)

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(OUT / f"events-{args[0]}-{len(self.logs)}.log", "wb")  # noqa: SIM115
        self.logs.append(log)
        return subprocess.Popen(
            [PYTHON, "-m", "hoso", *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def start_serve(self) -> None:
        self.serve = self._spawn("serve", "--port", str(self.port))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("hoso serve did not start")

    def start_worker(self) -> None:
        self.worker = self._spawn("worker", "--poll", "0.2")

    def kill(self, which: str) -> None:
        proc = getattr(self, which)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        for proc in (self.serve, self.worker):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        for log in self.logs:
            log.close()


# ---------------------------------------------------------------------------- load


@dataclass
class Load:
    accepted_events: int = 0
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(
    port: int,
    key: str,
    events: Events,
    load: Load,
    *,
    until: float,
    batch: int,
    retry: bool,
) -> None:
    auth = "Basic " + __import__("base64").b64encode(f"{key}:".encode()).decode()
    headers = {"Content-Type": "application/json", "Authorization": auth}
    conn: http.client.HTTPConnection | None = None
    pending: tuple[list[str], bytes] | None = None
    while time.monotonic() < until or (retry and pending is not None):
        if pending is None:
            pending = events.batch(batch)
        ids, body = pending
        started = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/v1/batch", body, headers)
            response = conn.getresponse()
            response.read()
            status = str(response.status)
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            if conn is not None:
                conn.close()
            conn = None
        elapsed = time.perf_counter() - started
        with load.lock:
            load.requests += 1
            if status == "200":
                load.accepted_events += len(ids)
                load.latencies.append(elapsed)
                if retry:
                    load.acked.update(ids)
            else:
                load.errors[status] = load.errors.get(status, 0) + 1
        if status == "200" or not retry:
            pending = None
        elif status in {"429", "503"} or status.endswith("Error") or status.startswith("Remote"):
            time.sleep(0.2)
        if retry and time.monotonic() > until + 120:
            break  # never loop for ever
    if conn is not None:
        conn.close()


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _pending(dsn: str) -> tuple[int, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE applied_at IS NULL), count(*) FROM event_landed"
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)


def _pending_only(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM event_landed WHERE applied_at IS NULL").fetchone()
        return int(row[0]) if row else 0


def _drain(dsn: str, limit_s: float = 600) -> float:
    started = time.monotonic()
    while _pending_only(dsn) and time.monotonic() - started < limit_s:
        time.sleep(0.5)
    return time.monotonic() - started


def run_load(
    servers: Servers,
    key: str,
    events: Events,
    *,
    seconds: float,
    clients: int,
    batch: int,
    retry: bool,
    chaos: bool = False,
) -> tuple[Load, float, list[tuple[float, int]]]:
    load = Load()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_client,
            args=(servers.port, key, events, load),
            kwargs={"until": until, "batch": batch, "retry": retry},
            daemon=True,
        )
        for _ in range(clients)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    samples: list[tuple[float, int]] = []
    killed_serve = killed_worker = False
    while any(t.is_alive() for t in threads):
        now = time.monotonic() - started
        if now <= seconds + 1:
            samples.append((now, _pending_only(servers.database_url)))
        if chaos and not killed_serve and now > seconds / 3:
            print(f"  kill -9 hoso serve at {now:.1f} s; restarting")
            servers.kill("serve")
            servers.start_serve()
            killed_serve = True
        if chaos and not killed_worker and now > 2 * seconds / 3:
            print(f"  kill -9 hoso worker at {now:.1f} s; restarting")
            servers.kill("worker")
            servers.start_worker()
            killed_worker = True
        time.sleep(1.0)
    if chaos and not killed_worker:  # the load ended first (a slow restart): kill it now,
        print("  kill -9 hoso worker after the load; restarting")  # with events pending
        servers.kill("worker")
        servers.start_worker()
    return load, time.monotonic() - started, samples


# ---------------------------------------------------------------------------- floor


def copy_floor(dsn: str, events: Events, count: int, batch: int) -> float:
    """Raw COPY of ``count`` events of the same shape into a copy of event_landed."""
    rows: list[tuple[Any, ...]] = []
    ws, src = secrets.token_hex(16), secrets.token_hex(16)
    for _ in range(0, count, batch):
        _, body = events.batch(batch)
        rows.extend(
            (
                ws,
                src,
                item["messageId"],
                item["type"],
                item.get("userId"),
                item.get("anonymousId"),
                item.get("event"),
                item["timestamp"],
                item["timestamp"],
                item["timestamp"],
                item["timestamp"],
                json.dumps(item, ensure_ascii=False),
            )
            for item in json.loads(body)["batch"]
        )
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE TABLE bench_copy (LIKE event_landed INCLUDING DEFAULTS INCLUDING IDENTITY"
            " INCLUDING INDEXES)"
        )
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY bench_copy (workspace_id, source_id, message_id, type, user_id, anonymous_id,"
                " event, original_timestamp, sent_at, received_at, timestamp, payload) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return len(rows) / elapsed


# ---------------------------------------------------------------------------- main


def _setup(url: str) -> tuple[str, str]:
    import_all_models()
    engine = make_engine(url, pool_size=2)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        ws = workspaces.create_workspace(session, name="Bench Shop")
        workspaces.create_user(
            session,
            workspace_id=ws.id,
            email="owner@bench.vn",
            password=secrets.token_urlsafe(16),
            display_name="Owner",
            role=Role.OWNER,
        )
        actor = Actor.system(WorkspaceId(ws.id), "bench")
        accept = service.create_source(session, actor=actor, name="accept", kind="website")
        kill = service.create_source(session, actor=actor, name="kill", kind="app")
        keys = accept.write_key, kill.write_key
    engine.dispose()
    return keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--phase", choices=["all", "accept", "kill"], default="all")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    name = f"hoso_bench_events_{secrets.token_hex(4)}"
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_database(args.database_url, name)
    port = _free_port()
    env = {
        **os.environ,
        "HOSO_DATABASE_URL": dsn,
        "HOSO_RUN_WORKER": "false",
        "HOSO_SECRET_KEY": "bench-" + secrets.token_hex(16),
    }
    servers = Servers(f"http://127.0.0.1:{port}", dsn, port, env)
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(),
        "args": vars(args),
        "cpus": os.cpu_count(),
    }
    failed = False
    try:
        accept_key, kill_key = _setup(dsn)
        servers.start_serve()
        servers.start_worker()
        if args.phase in {"all", "accept"}:
            print(
                f"accept: {args.clients} clients x {args.batch} events, {args.seconds:.0f} s;"
                f" load {_load()}"
            )
            events = Events("a", seed=args.seed)
            load, elapsed, samples = run_load(
                servers,
                accept_key,
                events,
                seconds=args.seconds,
                clients=args.clients,
                batch=args.batch,
                retry=False,
            )
            pending_end, landed = _pending(dsn)
            drain = _drain(dsn)
            load_after = _load()
            accepted_rate = load.accepted_events / args.seconds
            applied_during = landed - pending_end
            floor = copy_floor(dsn, Events("f", seed=args.seed), load.accepted_events, args.batch)
            lag_end = samples[-1][1] if samples else 0
            r = {
                "accepted_events": load.accepted_events,
                "landed_rows": landed,
                "requests": load.requests,
                "errors": load.errors,
                "accepted_per_s": accepted_rate,
                "p50_ms": _percentile(load.latencies, 50) * 1000,
                "p99_ms": _percentile(load.latencies, 99) * 1000,
                "max_ms": max(load.latencies, default=0) * 1000,
                "applied_during_load_per_s": applied_during / elapsed,
                "pending_at_end": pending_end,
                "drain_s": drain,
                "applied_overall_per_s": landed / (elapsed + drain),
                "copy_floor_per_s": floor,
                "load_before_after": load_after,
                "pending_samples": samples,
            }
            result["accept"] = r
            if landed != load.accepted_events:
                print(f"  CHECK FAILED: {load.accepted_events} acknowledged, {landed} landed")
                failed = True
            print(
                f"  accepted {load.accepted_events:,} events in {load.requests:,} requests "
                f"({accepted_rate:,.0f} events/s), errors {load.errors}\n"
                f"  latency p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms,"
                f" max {r['max_ms']:.1f} ms\n"
                f"  applied during load {r['applied_during_load_per_s']:,.0f} events/s; "
                f"lag at end {pending_end:,} events (sampled {lag_end:,}), "
                f"drained in {drain:.1f} s; "
                f"overall applied {r['applied_overall_per_s']:,.0f} events/s\n"
                f"  raw COPY floor of the same events: {floor:,.0f} events/s\n"
                f"  load average (1/5/15 min) after: {load_after}"
            )
        if args.phase in {"all", "kill"}:
            print(
                f"kill: retries, kill -9 of serve and worker, {args.seconds:.0f} s; load {_load()}"
            )
            events = Events("k", seed=args.seed + 1, simple=True)
            load, elapsed, _ = run_load(
                servers,
                kill_key,
                events,
                seconds=args.seconds,
                clients=args.clients,
                batch=args.batch,
                retry=True,
                chaos=True,
            )
            drain = _drain(dsn)
            with psycopg.connect(dsn, autocommit=True) as conn:
                landed_ids = {
                    r[0]
                    for r in conn.execute(
                        "SELECT message_id FROM event_landed l JOIN event_source s"
                        " ON s.id = l.source_id WHERE s.name = 'kill'"
                    )
                }
                dup_landed = conn.execute(
                    "SELECT count(*) FROM (SELECT message_id FROM event_landed"
                    " GROUP BY source_id, message_id HAVING count(*) > 1) d"
                ).fetchone()[0]  # type: ignore[index]
                applied: dict[str, int] = dict(
                    conn.execute(
                        "SELECT properties->>'message_id', count(*) FROM interaction"
                        " WHERE source = 'events:kill' GROUP BY 1"
                    ).fetchall()
                )
            lost_landing = len(load.acked - landed_ids)
            lost_applied = len(load.acked - set(applied))
            dup_applied = sum(1 for n in applied.values() if n > 1)
            r = {
                "acknowledged": len(load.acked),
                "landed": len(landed_ids),
                "requests": load.requests,
                "errors": load.errors,
                "lost_acknowledged_not_landed": lost_landing,
                "lost_not_applied": lost_applied,
                "duplicated_landed": dup_landed,
                "duplicated_applied": dup_applied,
                "drain_s": drain,
                "elapsed_s": elapsed,
                "load_after": _load(),
            }
            result["kill"] = r
            print(
                f"  acknowledged {len(load.acked):,} events ({load.requests:,} requests, "
                f"failed attempts {load.errors}); landed {len(landed_ids):,}\n"
                f"  lost: {lost_landing} acknowledged but not landed, {lost_applied} not applied; "
                f"duplicated: {dup_landed} landed twice, {dup_applied} applied twice\n"
                f"  load average after: {r['load_after']}"
            )
            if lost_landing or lost_applied or dup_landed or dup_applied:
                failed = True
    finally:
        servers.stop()
        if not args.keep:
            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"events-{stamp}.json").write_text(json.dumps(result, indent=2, default=str))
    print(f"written bench/out/events-{stamp}.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
