"""Search benchmark: phone lookup and unaccented name search on 1M profiles / 3M identifiers.

Creates a throw-away database, migrates it with hoso's migrations, bulk-loads generated
Vietnamese customers with COPY, then measures ``GET /api/v1/profiles/search`` on the real app
(uvicorn, in-process, localhost) against the same queries run without HTTP:

* ``api``   - HTTP round trip through uvicorn/FastAPI (auth, search, JSON, commit);
* ``app``   - the endpoint's work in-process, no HTTP: session, API-key auth, search,
              response model and JSON, commit;
* ``orm``   - ``hoso.profiles.queries.search_profiles`` in a Session (no auth, no JSON);
* ``sql``   - the exact statements ``search_profiles`` emitted (captured from SQLAlchemy),
              replayed with plain psycopg on an autocommit connection;
* ``floor`` - a hand-written minimal SQL query for the same need (pre-normalised input).

The five are interleaved per query, in a rotating order, so machine noise hits them alike.

Usage::

    python bench/search_bench.py [--profiles 1000000] [--requests 2000] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import secrets
import socket
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from hoso.app import create_app
from hoso.bootstrap import import_all_models
from hoso.core.actor import Role
from hoso.core.config import Settings
from hoso.core.db import make_engine, make_session_factory
from hoso.core.embedded import with_database
from hoso.engine.normalize import fold, normalize_vn_phone, parse_vn_name, phone_search_variants
from hoso.migrate import upgrade
from hoso.profiles import queries
from hoso.profiles.schemas import ProfileMatch, ProfileSummary, SearchResults
from hoso.workflows.demo_data import _FAMILY, _GIVEN, _MIDDLE, _PREFIXES
from hoso.workspaces import service as workspaces

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
OUT_DIR = Path(__file__).resolve().parent / "out"
TABLES = ("profile", "profile_identifier")
METHODS = ("api", "app", "orm", "sql", "floor")
KINDS = ("phone", "name")
SEARCH_LIMIT = 20  # the endpoint's default page
GOALS_P99_MS = {"phone": 30.0, "name": 80.0}
GOAL_RATIO = 2.0
CHUNK = 5_000  # profiles generated (and held in memory) at a time

PHONE_FORMATS = ("0903 123 456", "+84903123456", "84-903-123-456", "0903.123.456", "903123456")
NAME_STYLES = ("full", "family_middle_initial", "given", "given_family")
EMAIL_DOMAINS = (
    ("gmail.com", 70),
    ("yahoo.com", 12),
    ("hotmail.com", 6),
    ("icloud.com", 5),
    ("outlook.com", 4),
    ("fpt.vn", 3),
)

# Floors: the least SQL that answers the same question, fed already-normalised input.
FLOOR_PHONE = (
    "SELECT p.id, p.full_name, p.primary_phone FROM profile_identifier i"
    " JOIN profile p ON p.id = i.profile_id"
    " WHERE i.workspace_id = %s AND i.kind = 'phone' AND i.value = ANY(%s)"
    " AND p.deleted_at IS NULL LIMIT %s"
)
FLOOR_NAME = (
    "SELECT id, full_name, primary_phone FROM profile"
    " WHERE workspace_id = %s AND deleted_at IS NULL AND name_key LIKE %s"
    " ORDER BY name_key LIMIT %s"
)


# --- data generation ---------------------------------------------------------------------------


class FastUuid7:
    """UUIDv7-shaped, strictly increasing ids, cheap enough for millions of rows.

    48-bit millisecond timestamp, version 7, a 12-bit sequence, variant 10, then 62 bits that
    start at a random value and count up. The millisecond advances every 4096 ids, so a 4M-row
    load runs about a second "into the future", which nothing here cares about.
    """

    def __init__(self, rng: random.Random) -> None:
        self._ms = time.time_ns() // 1_000_000
        self._low = 0b10 << 62 | rng.getrandbits(61)
        self._n = 0

    def next_hex(self) -> str:
        """Return the next id as 32 hex digits (PostgreSQL's uuid input accepts this)."""
        n = self._n
        self._n = n + 1
        high = (self._ms + (n >> 12)) << 16 | 0x7000 | (n & 0xFFF)
        return f"{high:016x}{self._low + n:016x}"


fold_cached = cache(fold)


@cache
def name_fields(full_name: str) -> tuple[str | None, str | None, str | None, str, str]:
    """(family, middle, given, name_key, given_key) exactly as profiles.service computes them."""
    parts = parse_vn_name(full_name)
    given_key = fold(" ".join(p for p in (parts.given, parts.family, parts.middle) if p))
    return parts.family, parts.middle, parts.given, parts.key, given_key


class PhonePool:
    """Unique, valid Vietnamese mobile numbers drawn with the real prefix weights.

    Per prefix, the n-th number is ``(n * 7_654_321 + offset) mod 10^7``: a permutation of the
    7-digit subscriber space (the multiplier is prime to 10^7), so numbers never repeat and
    look random. Ranges that ``normalize_vn_phone`` does not read back as the same mobile
    number (phonenumbers knows 089 only from 0896, and 099 not in 0992-0993) are skipped;
    validity is probed per 2-digit block after the prefix.
    """

    _MULT = 7_654_321

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._count: Counter[str] = Counter()
        self._offset = {p: rng.randrange(10**7) for p in _PREFIXES.items}
        self._invalid: dict[str, frozenset[str]] = {}
        for prefix in _PREFIXES.items:
            bad = frozenset(
                f"{block:02d}"
                for block in range(100)
                if not all(
                    _reads_back(f"{prefix}{block:02d}{rest:05d}") for rest in (0, 99_999, 31_415)
                )
            )
            if bad:
                self._invalid[prefix] = bad

    @property
    def skipped_blocks(self) -> dict[str, int]:
        """Per prefix, how many of its 100 blocks of 100,000 numbers are skipped."""
        return {prefix: len(bad) for prefix, bad in sorted(self._invalid.items())}

    def draw(self) -> str:
        """Return a new E.164 mobile number, never returned before."""
        while True:
            prefix = _PREFIXES.pick(self._rng)
            n = self._count[prefix]
            if n >= 10**7:
                continue
            self._count[prefix] = n + 1
            subscriber = f"{(n * self._MULT + self._offset[prefix]) % 10**7:07d}"
            bad = self._invalid.get(prefix)
            if bad is not None and subscriber[:2] in bad:
                continue
            return f"+84{prefix[1:]}{subscriber}"


def _reads_back(national: str) -> bool:
    result = normalize_vn_phone(national)
    return result.e164 == "+84" + national[1:] and result.type is not None


def format_phone(e164: str, style: str) -> str:
    """Write ``+84903123456`` in one of :data:`PHONE_FORMATS`."""
    nsn = e164[3:]
    national = "0" + nsn
    a, b, c = national[:4], national[4:7], national[7:]
    match style:
        case "0903 123 456":
            return f"{a} {b} {c}"
        case "+84903123456":
            return e164
        case "84-903-123-456":
            return f"84-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}"
        case "0903.123.456":
            return f"{a}.{b}.{c}"
        case "903123456":
            return nsn
    raise ValueError(style)


@dataclass(frozen=True, slots=True)
class Person:
    """What the measurement needs to remember about a sampled profile."""

    profile_id: str
    full_name: str
    name_key: str
    phones: tuple[str, ...]


@dataclass(slots=True)
class LoadStats:
    """Counters of the generated data."""

    profiles: int = 0
    phones: int = 0
    emails: int = 0
    distinct_names: int = 0
    skipped_phone_blocks: dict[str, int] = field(default_factory=dict)

    @property
    def identifiers(self) -> int:
        """Identifier rows written."""
        return self.phones + self.emails


class Generator:
    """Streams profile and identifier rows in chunks; remembers a sample of people."""

    def __init__(self, *, profiles: int, workspace_id: str, sample: set[int], seed: int) -> None:
        self.rng = random.Random(seed)
        self.profiles = profiles
        self.workspace_id = workspace_id
        self.sample = sample
        self.sampled: dict[int, Person] = {}
        self.stats = LoadStats()
        self._profile_ids = FastUuid7(self.rng)
        self._identifier_ids = FastUuid7(self.rng)
        self._phones = PhonePool(self.rng)
        self.stats.skipped_phone_blocks = self._phones.skipped_blocks
        # Lookup tables: a weighted list of 100 domains, and every birth date from 16 to 75.
        self._domains = [d for d, weight in EMAIL_DOMAINS for _ in range(weight)]
        today = date(2026, 11, 1)
        self._births = [(today - timedelta(days=d)).isoformat() for d in range(16 * 365, 75 * 365)]

    def _full_name(self, sex: str) -> str:
        rng = self.rng
        family = _FAMILY.pick(rng)
        middles = [_MIDDLE[sex].pick(rng)]
        roll = rng.random()
        if roll < 0.1:  # "Nguyễn Thị Thanh Hương"
            extra = _MIDDLE[sex].pick(rng)
            if extra not in middles and extra not in {"Thị", "Văn"}:
                middles.append(extra)
        elif roll < 0.12:  # double family name: "Nguyễn Lê Bảo Ngọc"
            middles.insert(0, _FAMILY.pick(rng))
        middles = [m for m in middles if m != family]
        given = _GIVEN[sex].pick(rng)
        while given in middles or given == family:
            given = _GIVEN[sex].pick(rng)
        name = " ".join((family, *middles, given))
        style = rng.random()
        if style < 0.03:  # typed without marks on a phone keyboard
            return fold(name)
        if style < 0.04:
            return name.upper()
        return name

    def chunks(self) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        """Yield (profile rows, identifier rows), CHUNK profiles at a time."""
        rng = self.rng
        random_ = rng.random
        ws = self.workspace_id
        domains, births = self._domains, self._births
        draw_phone = self._phones.draw
        profile_id, identifier_id = self._profile_ids.next_hex, self._identifier_ids.next_hex
        n_domains, n_births, n_formats = len(domains), len(births), len(PHONE_FORMATS)
        for start in range(0, self.profiles, CHUNK):
            profile_rows: list[tuple[Any, ...]] = []
            identifier_rows: list[tuple[Any, ...]] = []
            for n in range(start, min(start + CHUNK, self.profiles)):
                sex = "female" if random_() < 0.56 else "male"
                full_name = self._full_name(sex)
                family, middle, given, name_key, given_key = name_fields(full_name)
                roll = random_()
                phone_count = 1 if roll < 0.25 else (3 if roll >= 0.75 else 2)
                phones = tuple(draw_phone() for _ in range(phone_count))
                user = fold_cached(f"{given or ''} {family or ''}").replace(" ", ".")
                email = f"{user}{n}@{domains[int(random_() * n_domains)]}"
                pid = profile_id()
                profile_rows.append(
                    (
                        pid,
                        ws,
                        full_name,
                        family,
                        middle,
                        given,
                        name_key,
                        given_key,
                        sex,
                        births[int(random_() * n_births)],
                        phones[0],
                        email,
                    )
                )
                for i, phone in enumerate(phones):
                    raw = format_phone(phone, PHONE_FORMATS[int(random_() * n_formats)])
                    identifier_rows.append(
                        (identifier_id(), ws, pid, "phone", phone, raw, i == 0, "bench")
                    )
                raw_email = email if random_() < 0.8 else email.capitalize()
                identifier_rows.append(
                    (identifier_id(), ws, pid, "email", email, raw_email, True, "bench")
                )
                self.stats.phones += phone_count
                self.stats.emails += 1
                if n in self.sample:
                    self.sampled[n] = Person(str(uuid.UUID(pid)), full_name, name_key, phones)
            self.stats.profiles += len(profile_rows)
            yield profile_rows, identifier_rows
        self.stats.distinct_names = name_fields.cache_info().currsize


PROFILE_COPY = (
    "COPY profile (id, workspace_id, full_name, family_name, middle_name, given_name, name_key,"
    " given_key, gender, birth_date, primary_phone, primary_email) FROM STDIN"
)
IDENTIFIER_COPY = (
    "COPY profile_identifier (id, workspace_id, profile_id, kind, value, value_raw, is_primary,"
    " source) FROM STDIN"
)


# --- schema snapshot: drop secondary indexes/constraints for the load, put back the same ones ---


@dataclass(frozen=True, slots=True)
class SchemaItem:
    table: str
    name: str
    kind: str  # "index", "unique", "foreign_key"
    definition: str


def schema_snapshot(conn: psycopg.Connection[Any]) -> list[SchemaItem]:
    """Every index and constraint of the loaded tables, as PostgreSQL prints them."""
    items: list[SchemaItem] = []
    for table in TABLES:
        for name, definition in conn.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass"
            " ORDER BY 1",
            (table,),
        ):
            items.append(SchemaItem(table, name, "index", definition))
        for name, contype, definition in conn.execute(
            "SELECT conname, contype::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass ORDER BY 1",
            (table,),
        ):
            items.append(SchemaItem(table, name, f"constraint:{contype}", definition))
    return items


def droppable(conn: psycopg.Connection[Any]) -> list[SchemaItem]:
    """Secondary indexes, unique and foreign-key constraints: what slows COPY down.

    Primary keys and CHECK constraints stay (ids are increasing, checks are cheap).
    """
    items: list[SchemaItem] = []
    for table in TABLES:
        for name, definition in conn.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid"
            " AND k.conrelid = i.indrelid) ORDER BY 1",
            (table,),
        ):
            items.append(SchemaItem(table, name, "index", definition))
        for name, contype, definition in conn.execute(
            "SELECT conname, contype::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY 1",
            (table,),
        ):
            items.append(
                SchemaItem(table, name, "unique" if contype == "u" else "foreign_key", definition)
            )
    return items


def drop_items(conn: psycopg.Connection[Any], items: Sequence[SchemaItem]) -> None:
    for item in items:
        if item.kind == "index":
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(item.name)))
        else:
            conn.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(item.table), sql.Identifier(item.name)
                )
            )


def recreate_items(conn: psycopg.Connection[Any], items: Sequence[SchemaItem]) -> None:
    """Indexes and unique constraints first, foreign keys (which validate by one join) last."""
    order = {"unique": 0, "index": 1, "foreign_key": 2}
    for item in sorted(items, key=lambda i: order[i.kind]):
        started = time.perf_counter()
        if item.kind == "index":
            conn.execute(item.definition.encode())
        else:
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                    sql.Identifier(item.table), sql.Identifier(item.name)
                )
                + sql.SQL(item.definition)
            )
        print(f"    {item.name:<58} {time.perf_counter() - started:6.1f} s")


# --- measurement helpers ---------------------------------------------------------------------


def percentile(sorted_ms: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_ms:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_ms)))
    return sorted_ms[rank - 1]


def summary(samples: Sequence[float]) -> dict[str, float]:
    s = sorted(samples)
    return {
        "n": len(s),
        "p50": percentile(s, 50),
        "p95": percentile(s, 95),
        "p99": percentile(s, 99),
        "max": s[-1] if s else math.nan,
        "mean": sum(s) / len(s) if s else math.nan,
    }


@dataclass(slots=True)
class Query:
    kind: str  # phone / name
    style: str
    text: str
    expected_id: str | None = None  # phone: the profile that owns the number
    floor_arg: Any = None  # phone: E.164 list; name: LIKE prefix


@dataclass(slots=True)
class Captured:
    """Statements SQLAlchemy sent during one search_profiles call."""

    active: bool = False
    statements: list[tuple[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Results:
    times: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {k: {m: [] for m in METHODS} for k in KINDS}
    )
    # "kind/style" -> method -> ms
    by_style: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    phone_hits: int = 0
    phone_total: int = 0
    name_nonempty: int = 0
    name_total: int = 0
    name_fallback: int = 0  # name searches that also ran the trigram (contains) statement
    name_fallback_sql: list[float] = field(default_factory=list)
    match_kinds: Counter[str] = field(default_factory=Counter)
    api_errors: list[str] = field(default_factory=list)
    slowest_sql: dict[str, tuple[float, Query, list[tuple[str, Any]]]] = field(default_factory=dict)


def free_socket() -> socket.socket:
    """A listening socket on a free localhost port, for uvicorn.

    The protocol must be given explicitly: asyncio only sets TCP_NODELAY on accepted sockets
    whose ``proto`` is IPPROTO_TCP, and ``socket.socket()`` leaves it 0, which turns Nagle
    plus delayed ACK into a 40 ms floor on every response.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn in a background thread; yields its base URL."""
    app = create_app(settings, engine=None, migrate=False)
    sock = free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


# --- the benchmark -----------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.admin_url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
        self.db_name = f"hoso_bench_{secrets.token_hex(4)}"
        self.url = with_database(self.admin_url, self.db_name)
        self.rng = random.Random(args.seed)
        self.report: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": self.db_name,
            "config": {
                "profiles": args.profiles,
                "requests": args.requests,
                "warmup": args.warmup,
                "seed": args.seed,
                "limit": SEARCH_LIMIT,
            },
        }

    # -- setup --

    def create_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name)))
            version = conn.execute("SHOW server_version").fetchone()
            settings: dict[str, str] = dict(
                conn.execute(
                    "SELECT name, setting || COALESCE(unit, '') FROM pg_settings WHERE name IN"
                    " ('shared_buffers', 'work_mem', 'effective_cache_size', 'jit',"
                    " 'synchronous_commit', 'random_page_cost', 'max_parallel_workers_per_gather')"
                ).fetchall()
            )
        self.report["server"] = {"version": version[0] if version else None, "settings": settings}
        print(f"database {self.db_name} created (PostgreSQL {self.report['server']['version']})")

    def drop_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.db_name)
                )
            )
        print(f"database {self.db_name} dropped")

    def migrate_and_seed(self) -> tuple[str, str]:
        """Migrations, then workspace, owner and API key through hoso's services."""
        import_all_models()
        engine = make_engine(self.url, pool_size=1)
        try:
            started = time.perf_counter()
            upgrade(engine)
            print(f"migrated in {time.perf_counter() - started:.1f} s")
            with Session(engine) as db:
                ws = workspaces.create_workspace(db, name="Bench Cửa hàng Sen")
                owner = workspaces.create_user(
                    db,
                    workspace_id=ws.id,
                    email="owner@bench.vn",
                    password=secrets.token_urlsafe(16),
                    display_name="Chủ shop",
                    role=Role.OWNER,
                )
                actor = workspaces.actor_for_user(owner)
                issued = workspaces.create_api_key(
                    db, workspace_id=ws.id, name="bench", scopes=["profiles:read"], actor=actor
                )
                db.commit()
                return str(ws.id), issued.secret
        finally:
            engine.dispose()

    def load(self, workspace_id: str, sample: set[int]) -> Generator:
        gen = Generator(
            profiles=self.args.profiles,
            workspace_id=workspace_id,
            sample=sample,
            seed=self.args.seed,
        )
        with psycopg.connect(self.url) as conn:
            before = schema_snapshot(conn)
            items = droppable(conn)
            drop_items(conn, items)
            conn.commit()
            print(f"dropped {len(items)} secondary indexes/constraints for the load")

            started = time.perf_counter()
            # Two connections, one COPY each, fed in lockstep: both backends work while
            # Python generates the next chunk. No foreign keys during the load, so order is free.
            with psycopg.connect(self.url) as iconn:
                pcur, icur = conn.cursor(), iconn.cursor()
                with pcur.copy(PROFILE_COPY) as pcopy, icur.copy(IDENTIFIER_COPY) as icopy:
                    last = started
                    for profile_rows, identifier_rows in gen.chunks():
                        for row in profile_rows:
                            pcopy.write_row(row)
                        for row in identifier_rows:
                            icopy.write_row(row)
                        now = time.perf_counter()
                        if now - last > 15:
                            last = now
                            rate = gen.stats.profiles / (now - started)
                            print(f"    {gen.stats.profiles:>9,} profiles, {rate:,.0f}/s")
                iconn.commit()
            conn.commit()
            copy_s = time.perf_counter() - started
            rows = gen.stats.profiles + gen.stats.identifiers
            print(
                f"COPY: {gen.stats.profiles:,} profiles + {gen.stats.identifiers:,} identifiers"
                f" ({gen.stats.phones:,} phones, {gen.stats.emails:,} emails) in {copy_s:.1f} s"
                f" = {rows / copy_s:,.0f} rows/s"
            )

            started = time.perf_counter()
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute("SET max_parallel_maintenance_workers = 1")
            print("recreating indexes and constraints:")
            recreate_items(conn, items)
            conn.commit()
            index_s = time.perf_counter() - started
            after = schema_snapshot(conn)
            if sorted(before, key=repr) != sorted(after, key=repr):
                missing = set(before) ^ set(after)
                raise RuntimeError(f"schema differs from the migrations' after reload: {missing}")
            conn.commit()
            print(f"indexes/constraints rebuilt in {index_s:.1f} s; identical to the migrations'")

            conn.autocommit = True
            started = time.perf_counter()
            for table in TABLES:
                conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
            conn.execute("CHECKPOINT")
            vacuum_s = time.perf_counter() - started
            print(f"VACUUM ANALYZE + CHECKPOINT in {vacuum_s:.1f} s")
            sizes: dict[str, str] = dict(
                conn.execute(
                    "SELECT relname::text, pg_size_pretty(pg_total_relation_size(oid))"
                    " FROM pg_class WHERE relname = ANY(%s)",
                    (list(TABLES),),
                ).fetchall()
            )
        total = copy_s + index_s + vacuum_s
        self.report["load"] = {
            "profiles": gen.stats.profiles,
            "identifiers": gen.stats.identifiers,
            "phones": gen.stats.phones,
            "emails": gen.stats.emails,
            "distinct_full_names": gen.stats.distinct_names,
            "copy_s": round(copy_s, 1),
            "copy_rows_per_s": round(rows / copy_s),
            "index_rebuild_s": round(index_s, 1),
            "vacuum_analyze_checkpoint_s": round(vacuum_s, 1),
            "total_s": round(total, 1),
            "table_sizes": sizes,
            "phone_blocks_skipped": gen.stats.skipped_phone_blocks,
        }
        print(f"load total {total:.1f} s ({rows / total:,.0f} rows/s end to end)")
        return gen

    # -- queries --

    def make_queries(self, people: list[Person], kind: str) -> list[Query]:
        rng = self.rng
        result: list[Query] = []
        for person in people:
            if kind == "phone":
                e164 = person.phones[rng.randrange(len(person.phones))]
                style = PHONE_FORMATS[rng.randrange(len(PHONE_FORMATS))]
                text = format_phone(e164, style)
                variants = list(phone_search_variants(text))
                if not variants or variants[0] != e164:
                    raise RuntimeError(f"{text!r} does not normalise to {e164}: {variants}")
                result.append(Query("phone", style, text, person.profile_id, variants))
                continue
            words = person.name_key.split()
            style = NAME_STYLES[rng.randrange(len(NAME_STYLES))]
            _, _, _, _, given_key = name_fields(person.full_name)
            if style == "full":
                text = person.name_key
            elif style == "family_middle_initial":  # "tran van h"
                text = " ".join(words[:-1]) + " " + words[-1][0]
            elif style == "given":  # "lan"
                text = given_key.split()[0]
            else:  # "lan nguyen"
                text = " ".join(given_key.split()[:2])
            prefix = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            result.append(Query("name", style, text, None, prefix))
        return result

    # -- measurement --

    def measure(self, base_url: str, api_key: str, workspace_id: str, gen: Generator) -> Results:
        args = self.args
        people = [gen.sampled[i] for i in sorted(gen.sampled)]
        self.rng.shuffle(people)
        total = args.warmup + args.requests
        phone_queries = self.make_queries(people[:total], "phone")
        name_queries = self.make_queries(people[total : 2 * total], "name")
        ws_uuid = uuid.UUID(workspace_id)

        engine = make_engine(self.url, pool_size=2)
        captured = Captured()

        @event.listens_for(engine, "before_cursor_execute")
        def _capture(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]  # noqa: ARG001
            if captured.active:
                captured.statements.append((statement, parameters))

        factory: sessionmaker[Session] = make_session_factory(engine)
        raw = psycopg.connect(self.url, autocommit=True)
        client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=60
        )
        results = Results()
        last_response: httpx.Response | None = None

        def run_api(q: Query) -> None:
            nonlocal last_response
            last_response = client.get("/api/v1/profiles/search", params={"q": q.text})

        def check_api(q: Query, response: httpx.Response) -> None:
            if response.status_code != 200:
                results.api_errors.append(f"{q.text!r}: {response.status_code} {response.text}")
                return
            items = response.json()["items"]
            for item in items:
                results.match_kinds[f"{q.kind}:{item['match']}"] += 1
            if q.kind == "phone":
                results.phone_total += 1
                results.phone_hits += any(item["id"] == q.expected_id for item in items)
            else:
                results.name_total += 1
                results.name_nonempty += bool(items)

        def run_app(q: Query) -> None:
            # What the endpoint does, minus HTTP/ASGI: hoso.http._db, api.deps.current_actor,
            # api.profiles.search_profiles.
            with factory.begin() as db:
                actor = workspaces.authenticate_api_key(db, secret=api_key)
                hits = queries.search_profiles(
                    db, workspace_id=actor.workspace_id, query=q.text, limit=SEARCH_LIMIT
                )
                SearchResults(
                    query=q.text,
                    items=[
                        ProfileMatch.model_validate(
                            {
                                **ProfileSummary.model_validate(h.profile).model_dump(),
                                "match": h.match,
                            }
                        )
                        for h in hits
                    ],
                ).model_dump_json()

        def run_orm(q: Query) -> None:
            captured.statements = []
            captured.active = True
            try:
                with factory.begin() as db:
                    queries.search_profiles(
                        db, workspace_id=ws_uuid, query=q.text, limit=SEARCH_LIMIT
                    )
            finally:
                captured.active = False

        def run_sql(q: Query) -> None:
            for statement, params in statement_cache[q.text]:
                raw.execute(statement, params).fetchall()

        def run_floor(q: Query) -> None:
            floor = FLOOR_PHONE if q.kind == "phone" else FLOOR_NAME
            raw.execute(floor, (ws_uuid, q.floor_arg, SEARCH_LIMIT)).fetchall()

        statement_cache: dict[str, list[tuple[str, Any]]] = {}
        runners: dict[str, Callable[[Query], None]] = {
            "api": run_api,
            "app": run_app,
            "orm": run_orm,
            "sql": run_sql,
            "floor": run_floor,
        }

        def one(q: Query, i: int, record: bool) -> None:
            # The SQL replay needs the statements the ORM emits: capture them first with an
            # untimed call, so every timed method then meets the same warm caches.
            if q.text not in statement_cache:
                run_orm(q)
                statement_cache[q.text] = captured.statements
            shift = i % len(METHODS)
            for method in METHODS[shift:] + METHODS[:shift]:
                started = time.perf_counter_ns()
                runners[method](q)
                ms = (time.perf_counter_ns() - started) / 1e6
                if not record:
                    continue
                results.times[q.kind][method].append(ms)
                style = f"{q.kind}/{q.style}"
                per_method = results.by_style.setdefault(style, {m: [] for m in METHODS})
                per_method[method].append(ms)
                if method == "api":
                    assert last_response is not None  # noqa: S101 - set by run_api
                    check_api(q, last_response)
                elif method == "sql":
                    if q.kind == "name" and len(statement_cache[q.text]) > 1:
                        results.name_fallback += 1
                        results.name_fallback_sql.append(ms)
                    slowest = results.slowest_sql.get(style)
                    if slowest is None or ms > slowest[0]:
                        results.slowest_sql[style] = (ms, q, statement_cache[q.text])

        try:
            print(f"warm-up: {args.warmup} phone + {args.warmup} name queries, all methods")
            for i in range(args.warmup):
                one(phone_queries[i], i, False)
                one(name_queries[i], i, False)
            load_before = os.getloadavg()
            print(
                f"measuring: {args.requests} phone + {args.requests} name queries x"
                f" {len(METHODS)} methods (load average {load_before[0]:.2f})"
            )
            started = time.perf_counter()
            for i in range(args.warmup, total):
                one(phone_queries[i], i, True)
                one(name_queries[i], i, True)
            elapsed = time.perf_counter() - started
            load_after = os.getloadavg()
            self.report["measurement"] = {
                "elapsed_s": round(elapsed, 1),
                "loadavg_before": [round(x, 2) for x in load_before],
                "loadavg_after": [round(x, 2) for x in load_after],
            }
            self.report["explain"] = self.explain(raw, results)
        finally:
            client.close()
            raw.close()
            engine.dispose()
        return results

    def explain(self, raw: psycopg.Connection[Any], results: Results) -> dict[str, Any]:
        """EXPLAIN ANALYZE of the statements behind the slowest replayed query of each style."""
        out: dict[str, Any] = {}
        for style, (ms, q, statements) in sorted(results.slowest_sql.items()):
            plans = []
            for statement, params in statements:
                rows = raw.execute(
                    "EXPLAIN (ANALYZE, BUFFERS, SETTINGS) " + statement, params
                ).fetchall()
                plans.append({"statement": statement, "plan": [r[0] for r in rows]})
            out[style] = {
                "query": q.text,
                "kind": q.kind,
                "replay_ms": round(ms, 2),
                "plans": plans,
            }
        return out

    # -- report --

    def summarise(self, results: Results) -> None:
        figures: dict[str, Any] = {}
        for kind in KINDS:
            per_method = {m: summary(results.times[kind][m]) for m in METHODS}
            api, sql_ = per_method["api"], per_method["sql"]
            figures[kind] = {
                "methods": per_method,
                "ratio_api_sql": {"p50": api["p50"] / sql_["p50"], "p99": api["p99"] / sql_["p99"]},
                "ratio_api_orm": {
                    "p50": api["p50"] / per_method["orm"]["p50"],
                    "p99": api["p99"] / per_method["orm"]["p99"],
                },
                "goal_p99_ms": GOALS_P99_MS[kind],
                "goal_p99_met": api["p99"] < GOALS_P99_MS[kind],
                "goal_ratio_met": api["p99"] <= GOAL_RATIO * sql_["p99"]
                and api["p50"] <= GOAL_RATIO * sql_["p50"],
            }
        figures["by_style"] = {
            style: {m: summary(v) for m, v in per_method.items()}
            for style, per_method in sorted(results.by_style.items())
        }
        figures["checks"] = {
            "phone_hits": results.phone_hits,
            "phone_total": results.phone_total,
            "phone_hit_rate": results.phone_hits / max(1, results.phone_total),
            "name_nonempty": results.name_nonempty,
            "name_total": results.name_total,
            "name_with_trigram_fallback": results.name_fallback,
            "name_fallback_sql": summary(results.name_fallback_sql),
            "api_errors": results.api_errors[:20],
            "match_kinds": dict(results.match_kinds.most_common()),
        }
        self.report["results"] = figures

    def print_table(self) -> None:
        r = self.report
        load = r["load"]
        print()
        print("=" * 78)
        print(
            f"hoso search benchmark - {load['profiles']:,} profiles,"
            f" {load['identifiers']:,} identifiers ({r['database']})"
        )
        print(
            f"load: COPY {load['copy_s']} s ({load['copy_rows_per_s']:,} rows/s), indexes"
            f" {load['index_rebuild_s']} s, vacuum/analyze {load['vacuum_analyze_checkpoint_s']}"
            f" s, total {load['total_s']} s"
        )
        m = r["measurement"]
        print(
            f"measured {r['config']['requests']} queries per kind in {m['elapsed_s']} s;"
            f" load average {m['loadavg_before'][0]} -> {m['loadavg_after'][0]}"
            f" on {os.cpu_count()} CPUs"
        )
        print()
        print(
            f"{'kind':<6} {'method':<6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'mean':>8}"
            "   (ms)"
        )
        res = r["results"]
        for kind in KINDS:
            for method in METHODS:
                s = res[kind]["methods"][method]
                print(
                    f"{kind:<6} {method:<6} {s['p50']:8.2f} {s['p95']:8.2f} {s['p99']:8.2f}"
                    f" {s['max']:8.2f} {s['mean']:8.2f}"
                )
            ratio = res[kind]["ratio_api_sql"]
            ok = "MET" if res[kind]["goal_p99_met"] else "MISSED"
            rok = "MET" if res[kind]["goal_ratio_met"] else "MISSED"
            print(
                f"{'':<6} API/SQL p50 x{ratio['p50']:.2f}, p99 x{ratio['p99']:.2f}"
                f" (goal <= x{GOAL_RATIO:g}: {rok}); API p99 goal < {GOALS_P99_MS[kind]:g} ms:"
                f" {ok}"
            )
            print()
        print("by query style (ms):             API p50   API p99   SQL p50   SQL p99   SQL max")
        for style, per_method in res["by_style"].items():
            a, q = per_method["api"], per_method["sql"]
            print(
                f"  {style:<26} n={a['n']:<5} {a['p50']:8.2f}  {a['p99']:8.2f}  {q['p50']:8.2f}"
                f"  {q['p99']:8.2f}  {q['max']:8.2f}"
            )
        c = res["checks"]
        print(
            f"checks: phone hits {c['phone_hits']}/{c['phone_total']}"
            f" ({100 * c['phone_hit_rate']:.1f} %), name searches with results"
            f" {c['name_nonempty']}/{c['name_total']}, with trigram fallback"
            f" {c['name_with_trigram_fallback']}, API errors {len(c['api_errors'])}"
        )
        print("=" * 78)

    def print_explain(self) -> None:
        """Per style, the slowest replayed query under EXPLAIN; full plan of each kind's worst."""
        explain: dict[str, Any] = self.report["explain"]
        print("\nslowest replayed query per style, re-run under EXPLAIN (ANALYZE, BUFFERS):")
        worst: dict[str, str] = {}
        for style, info in explain.items():
            kind = info["kind"]
            if kind not in worst or info["replay_ms"] > explain[worst[kind]]["replay_ms"]:
                worst[kind] = style
            times = []
            for plan in info["plans"]:
                lines = plan["plan"]
                execution = next((ln for ln in lines if ln.startswith("Execution Time")), "?")
                jit = " +JIT" if any(ln.startswith("JIT:") for ln in lines) else ""
                times.append(execution.removeprefix("Execution Time: ") + jit)
            print(
                f"  {style:<28} {info['query']!r:<28} measured {info['replay_ms']:7.2f} ms;"
                f" now {len(times)} statement(s): {', '.join(times)}"
            )
        for kind, style in worst.items():
            info = explain[style]
            print(f"\nplan of the slowest {kind} query {info['query']!r} ({style}):")
            for plan in info["plans"]:
                print("  " + "\n  ".join(plan["plan"]))

    def write_json(self) -> Path:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = OUT_DIR / f"search-{stamp}.json"
        path.write_text(
            json.dumps(self.report, indent=2, ensure_ascii=False, default=str) + "\n",
            encoding="utf-8",
        )
        return path

    def run(self) -> int:
        args = self.args
        self.create_database()
        try:
            workspace_id, api_key = self.migrate_and_seed()
            per_kind = args.warmup + args.requests
            sample = set(self.rng.sample(range(args.profiles), min(args.profiles, 2 * per_kind)))
            if len(sample) < 2 * per_kind:
                raise SystemExit("--profiles must be at least 2 x (warm-up + requests)")
            gen = self.load(workspace_id, sample)
            with tempfile.TemporaryDirectory(prefix="hoso-bench-") as data_dir:
                settings = Settings(
                    env="test",
                    database_url=self.url,
                    data_dir=Path(data_dir),
                    secret_key=SecretStr(secrets.token_urlsafe(32)),
                )
                with running_server(settings) as base_url:
                    print(f"app listening on {base_url}")
                    results = self.measure(base_url, api_key, workspace_id, gen)
            self.summarise(results)
            self.print_table()
            self.print_explain()
            path = self.write_json()
            print(f"\nfigures written to {path}")
            checks = self.report["results"]["checks"]
            ok = checks["phone_hit_rate"] == 1.0 and checks["name_nonempty"] == checks["name_total"]
            return 0 if ok and not checks["api_errors"] else 1
        finally:
            if args.keep:
                print(f"kept database {self.db_name}: {self.url}")
            else:
                self.drop_database()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument(
        "--requests", type=int, default=2_000, help="measured queries per kind (phone, name)"
    )
    parser.add_argument("--warmup", type=int, default=200, help="uncounted queries per kind")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_ADMIN_URL,
        help="any existing database on the server; a new one is created beside it",
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--seed", type=int, default=20261122)
    return Bench(parser.parse_args(argv)).run()


if __name__ == "__main__":
    raise SystemExit(main())
