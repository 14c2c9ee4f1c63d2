"""Real-time identity resolution against a million stored customers (issue #4).

Creates a throw-away database, migrates it, loads N customers from the Vietnamese synthetic
generator (``hoso.engine.matching.synthetic``: households sharing phones, namesakes, legacy
prefixes, typos...) with COPY into ``profile``, ``profile_identifier``, ``profile_address``
and their blocking keys into ``identity_block_key``, exactly as resolution would have left
them. Held-out records of the same people (every ``--every``-th record, never stored) then
arrive one at a time, and for each the benchmark measures, interleaved:

* ``match``:   ``hoso.identity.resolve.match_profile`` on the new customer: build its match
  record, store its blocking keys, fetch and score its candidates, decide, queue reviews
  and mark shared identifiers (the goal's "real-time matching");
* ``resolve``: the same plus ``act``, which carries out the automatic merge when one was
  decided (``resolve_merge``: only those), all in a transaction rolled back afterwards so
  the store stays put;
* ``floor``:  the naive alternative, an exact lookup of its phones and e-mails in
  ``profile_identifier`` (no name, no typo, no guard): what plain exact merging costs.

It reports p50/p95/p99/max per method, the decisions taken, and the goal (matching p99 <
50 ms).

Usage::

    python bench/identity_realtime_bench.py [--profiles 1000000] [--queries 2000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import secrets
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from sqlalchemy.orm import Session

from hoso.bootstrap import import_all_models
from hoso.core.db import make_engine, make_session_factory
from hoso.core.embedded import with_database
from hoso.core.errors import ValidationFailed
from hoso.core.ids import uuid7
from hoso.engine.matching import blocking_keys
from hoso.engine.matching.synthetic import SyntheticRecord, generate, to_match_record
from hoso.engine.normalize import fold, normalize_email, normalize_vn_phone, parse_vn_name
from hoso.identity import resolve
from hoso.migrate import upgrade
from hoso.profiles import service as profiles
from hoso.profiles.schemas import ProfileCreate
from hoso.workspaces import service as workspaces

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
OUT_DIR = Path(__file__).resolve().parent / "out"
GOAL_P99_MS = 50.0
CHUNK = 20_000


def percentile(sorted_ms: Sequence[float], p: float) -> float:
    if not sorted_ms:
        return math.nan
    rank = max(0, min(len(sorted_ms) - 1, math.ceil(p / 100 * len(sorted_ms)) - 1))
    return sorted_ms[rank]


def summary(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50": round(percentile(ordered, 50), 2),
        "p95": round(percentile(ordered, 95), 2),
        "p99": round(percentile(ordered, 99), 2),
        "max": round(ordered[-1], 2) if ordered else math.nan,
    }


def _tsv(value: Any) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _rows(chunk: list[SyntheticRecord], workspace: str) -> dict[str, list[str]]:
    """COPY lines for one chunk of records: profiles, identifiers, addresses, block keys."""
    out: dict[str, list[str]] = {"profile": [], "profile_identifier": [], "profile_address": [],
                                 "identity_block_key": []}  # fmt: skip
    now = datetime.now(UTC).isoformat()
    for record in chunk:
        match = to_match_record(record, parse_addresses=False)
        pid = str(uuid7())
        name = parse_vn_name(record.full_name) if record.full_name else None
        full = name.full if name else ""
        given_key = (
            fold(" ".join(p for p in (name.given, name.family, name.middle) if p)) if name else ""
        )
        birth = match.birth_date.isoformat() if match.birth_date else None
        gender = match.gender or "unknown"
        phone = match.phones[0] if match.phones else None
        email = match.emails[0] if match.emails else None
        out["profile"].append("\t".join(_tsv(v) for v in (
            pid, workspace, full, name.family if name else None, name.middle if name else None,
            name.given if name else None, name.key if name else "", given_key, gender, birth,
            phone, email, now, now,
        )))  # fmt: skip
        for kind, value in match.strong_identifiers():
            out["profile_identifier"].append("\t".join(_tsv(v) for v in (
                str(uuid7()), workspace, pid, kind, value, value, "bench", now, now,
            )))  # fmt: skip
        if record.address:
            out["profile_address"].append("\t".join(_tsv(v) for v in (
                str(uuid7()), workspace, pid, record.address, record.province_code,
                record.ward_code, "exact", record.address, "bench", now,
            )))  # fmt: skip
        for key in blocking_keys(match):
            out["identity_block_key"].append(f"{workspace}\t{_tsv(key)}\t{pid}")
    return out


COLUMNS = {
    "profile": "(id, workspace_id, full_name, family_name, middle_name, given_name, name_key,"
    " given_key, gender, birth_date, primary_phone, primary_email, created_at, updated_at)",
    "profile_identifier": "(id, workspace_id, profile_id, kind, value, value_raw, source,"
    " first_seen_at, last_seen_at)",
    "profile_address": "(id, workspace_id, profile_id, line, province_code, ward_code,"
    " admin_status, raw, source, created_at)",
    "identity_block_key": "(workspace_id, key, profile_id)",
}


def _work(args: tuple[list[SyntheticRecord], str]) -> dict[str, str]:
    rows = _rows(*args)
    return {table: "\n".join(lines) + ("\n" if lines else "") for table, lines in rows.items()}


def load(url: str, workspace: str, stored: Iterator[SyntheticRecord], total: int) -> dict[str, Any]:
    """COPY ``total`` records in chunks, preparing them in two processes; returns timings."""
    started = time.perf_counter()
    counts: Counter[str] = Counter()

    def chunks() -> Iterator[tuple[list[SyntheticRecord], str]]:
        batch: list[SyntheticRecord] = []
        for record in stored:
            batch.append(record)
            if len(batch) == CHUNK:
                yield batch, workspace
                batch = []
        if batch:
            yield batch, workspace

    with (
        psycopg.connect(url, autocommit=True) as conn,
        multiprocessing.get_context("fork").Pool(2) as pool,
    ):
        for done, part in enumerate(pool.imap(_work, chunks()), start=1):
            for table in ("profile", "profile_identifier", "profile_address", "identity_block_key"):
                text = part[table]
                counts[table] += text.count("\n")
                with conn.cursor().copy(f"COPY {table} {COLUMNS[table]} FROM STDIN") as copy:
                    copy.write(text.encode())
            print(f"\r  loaded {min(done * CHUNK, total):,}/{total:,}", end="", flush=True)
        print()
        load_s = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE")
    return {"rows": dict(counts), "load_s": round(load_s, 1),
            "with_analyze_s": round(time.perf_counter() - started, 1)}  # fmt: skip


def floor(conn: psycopg.Connection[Any], workspace: str, record: SyntheticRecord) -> float:
    phones = (normalize_vn_phone(raw).e164 for raw in (record.phone, record.phone2) if raw)
    values: list[tuple[str, str]] = [("phone", e164) for e164 in phones if e164]
    if record.email and (email := normalize_email(record.email).value):
        values.append(("email", email))
    started = time.perf_counter()
    conn.execute(
        "SELECT DISTINCT profile_id FROM profile_identifier WHERE workspace_id = %s"
        " AND (kind, value) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
        (workspace, [k for k, _ in values], [v for _, v in values]),
    ).fetchall()
    return (time.perf_counter() - started) * 1000


def query_input(record: SyntheticRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {"full_name": record.full_name}
    fields["phones"] = [p for p in (record.phone, record.phone2) if p]
    if record.email:
        fields["emails"] = [record.email]
    if record.birth_date and len(record.birth_date) > 4:
        fields["birth_date"] = record.birth_date
    if record.address:
        fields["addresses"] = [{"raw": record.address, "line": record.address}]
    return fields


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--every", type=int, default=97, help="hold out every Nth record")
    parser.add_argument(
        "--admin-url", default=os.environ.get("HOSO_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", metavar="DATABASE", help="query a database a --keep run loaded (no load)"
    )
    args = parser.parse_args(argv)

    name = args.reuse or f"hoso_bench_identity_{secrets.token_hex(3)}"
    if not args.reuse:
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(args.admin_url, name)
    print(f"database {name}")
    try:
        import_all_models()
        engine = make_engine(url, pool_size=2)
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory.begin() as session:
            found = workspaces.find_workspace_by_slug(session, slug="bench")
            ws = found or workspaces.create_workspace(session, name="Bench", slug="bench")
            workspace = str(ws.id)

        held: list[SyntheticRecord] = []
        records = generate(int(args.profiles / 1.8) + 1000, seed=args.seed)

        def stored() -> Iterator[SyntheticRecord]:
            count = 0
            for n, record in enumerate(records):
                if n % args.every == args.every - 1 and len(held) < args.queries:
                    held.append(record)
                    continue
                if count == args.profiles:
                    return
                count += 1
                yield record

        if args.reuse:
            for _ in stored():  # only to collect the same held-out records
                pass
            loaded: dict[str, Any] = {"reused": name}
        else:
            print(f"loading {args.profiles:,} customers…")
            loaded = load(url, workspace, stored(), args.profiles)
        print(f"  {loaded}")

        rng = random.Random(args.seed)
        order = ["resolve", "floor"]
        samples: dict[str, list[float]] = {
            "match": [],
            "resolve": [],
            "floor": [],
            "resolve_merge": [],
        }
        decisions: Counter[str] = Counter()
        candidates: list[int] = []
        with psycopg.connect(url, autocommit=True) as raw:
            for record in held:
                rng.shuffle(order)
                for method in order:
                    if method == "floor":
                        samples["floor"].append(floor(raw, workspace, record))
                        continue
                    with factory() as session:
                        session.begin()
                        profile = _create(session, UUID(workspace), record)
                        if profile is None:
                            session.rollback()
                            break
                        matcher = resolve.Matcher.load(session, UUID(workspace))
                        started = time.perf_counter()
                        matching = resolve.match_profile(session, matcher, profile)
                        matched = (time.perf_counter() - started) * 1000
                        outcome = resolve.act(session, matcher, matching)
                        elapsed = (time.perf_counter() - started) * 1000
                        session.rollback()
                    samples["match"].append(matched)
                    samples["resolve"].append(elapsed)
                    candidates.append(outcome.candidates)
                    if outcome.merged_with:
                        decisions["merged"] += 1
                        samples["resolve_merge"].append(elapsed)
                    elif outcome.reviews:
                        decisions["review"] += 1
                    else:
                        decisions["left alone"] += 1
        result = {
            "benchmark": "identity_realtime",
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "profiles": args.profiles,
            "queries": len(held),
            "load": loaded,
            "latency_ms": {k: summary(v) for k, v in samples.items()},
            "decisions": dict(decisions),
            "candidates": {
                "mean": round(sum(candidates) / max(len(candidates), 1), 1),
                "max": max(candidates, default=0),
            },
            "goal_p99_ms": GOAL_P99_MS,
            "loadavg": os.getloadavg(),
        }
        match_p99 = result["latency_ms"]["match"]["p99"]
        result["goal_met"] = match_p99 < GOAL_P99_MS
        print(json.dumps(result, indent=1))
        OUT_DIR.mkdir(exist_ok=True)
        out = OUT_DIR / f"identity-realtime-{result['at'].replace(':', '').replace('-', '')}.json"
        out.write_text(json.dumps(result, indent=1))
        print(f"written {out}")
        engine.dispose()
    finally:
        if not (args.keep or args.reuse):
            with psycopg.connect(args.admin_url, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    return 0


def _create(session: Session, workspace_id: UUID, record: SyntheticRecord) -> UUID | None:
    from hoso.core.actor import Actor
    from hoso.core.types import WorkspaceId

    fields = {k: v for k, v in query_input(record).items() if v not in (None, [], "")}
    actor = Actor.system(WorkspaceId(workspace_id), "bench")
    while True:
        try:
            with session.begin_nested():
                created = profiles.create_profile(
                    session, actor=actor, data=ProfileCreate.model_validate(fields), source="bench"
                )
            return created.id
        except ValidationFailed as exc:  # a noisy value (placeholder phone...): drop it
            bad = {e.field.split(".")[0] for e in exc.errors}
            if not bad & set(fields):
                return None  # nothing left to make a customer of (no name, no contact)
            fields = {k: v for k, v in fields.items() if k not in bad}


if __name__ == "__main__":
    raise SystemExit(main())
