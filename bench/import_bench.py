"""Import benchmark: a noisy Vietnamese customer CSV (and an .xlsx) through hoso's import path.

Measures the import exactly as ``hoso import`` runs it (``ingest.service.plan_import`` +
``preview_import`` for the dry run, ``ingest.jobs.run_import`` with ``valid_rows_only=True``
for the commit) on generated files, against the floor of a raw ``COPY`` of the same CSV bytes
into a plain staging table:

* ``preview``  - plan + dry run (every row read, normalised, matched; nothing written);
* ``commit``   - the import job: match, create/update, source records, lineage, undo data;
* ``reimport`` - the same file again: every valid row must come back ``unchanged``;
* ``floor``    - ``COPY staging FROM STDIN (FORMAT csv, HEADER)`` fed the file's bytes;
* ``xlsx``     - plan + preview + commit of an .xlsx written with openpyxl (write_only).

The CSV is imported at several sizes (``--sizes``, each into a fresh workspace) to show how
time and memory grow with the file; the first size is imported a second time (idempotency).
Every import phase runs in a fresh child process (multiprocessing "spawn") whose peak RSS is
reset when the phase starts, so the peak belongs to that phase alone. Before measuring, a
probe runs the job on a file longer than one chunk (``bulk.CHUNK_ROWS``, after which
progress is reported from another connection) with a lock timeout: it must finish.

Usage::

    python bench/import_bench.py [--sizes 2000,4000] [--xlsx-rows 4000] [--keep]
    python bench/import_bench.py --sizes 250000,500000,1000000 --xlsx-rows 100000 --no-tracemalloc
    python bench/import_bench.py --profile 2000     # cProfile + SQL statements per row
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import io
import json
import multiprocessing
import os
import pstats
import random
import re
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from hoso.bootstrap import import_all_models
from hoso.core.actor import Actor, Role
from hoso.core.db import make_engine, make_session_factory
from hoso.core.embedded import with_database
from hoso.engine.normalize import normalize_vn_phone
from hoso.engine.tabular import open_table
from hoso.ingest import bulk, jobs
from hoso.ingest import service as ingest
from hoso.ingest.models import ImportBatch
from hoso.migrate import upgrade
from hoso.profiles import bulk as profiles_bulk
from hoso.workflows.demo_data import (
    _FAMILY,
    _GIVEN,
    _MIDDLE,
    _PREFIXES,
    _PROVINCES,
    LEGACY_PREFIX,
    POS,
    _fold,
    _format_phone,
)
from hoso.workspaces import service as workspaces

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
OUT_DIR = Path(__file__).resolve().parent / "out"
TODAY = date(2026, 11, 22)  # the import's reference date (birth-date checks)

# The goals (issue 3, "Benchmark").
GOAL_ROWS_PER_S = 25_000
GOAL_MEMORY_MB = 1024
GOAL_XLSX_ROWS = 100_000
GOAL_XLSX_S = 60.0

# A KiotViet-like customer export; every header maps automatically (checked at plan time).
HEADER = (
    "Mã KH",
    "Họ và tên",
    "SĐT",
    "Email",
    "Ngày sinh",
    "Giới tính",
    "Địa chỉ",
    "Tỉnh/Thành",
    "Điểm",
    "Ghi chú",
)
EXPECTED_TARGETS = (
    "external_id",
    "full_name",
    "phone",
    "email",
    "birth_date",
    "gender",
    "address_line",
    "province",
    "points",
    "note",
)

# Share of rows that repeat an earlier customer, and of rows with one invalid value.
REPEAT_SHARE = 0.20
INVALID_SHARE = 0.01
REPEAT_WINDOW = 20_000  # repeats pick among the last 20,000 customers: generator memory is flat
EMAIL_DOMAINS = ("gmail.com",) * 14 + ("yahoo.com", "yahoo.com", "hotmail.com", "icloud.com")
NOTES = (
    "Khách quen, thích áo dài",
    "Gọi trước khi giao hàng",
    "Khách sỉ",
    "Chỉ liên hệ qua Zalo",
)
# Repeat rows write the number again in a style the first row probably did not use.
REPEAT_STYLES = ("e164", "84", "e164sp", "dot334", "433", "plain", "idd", "paren")


# --- data generation ---------------------------------------------------------------------------


class PhonePool:
    """Unique valid Vietnamese mobile numbers (10-digit national form), deterministic.

    Per prefix, the n-th number is ``(n * 7_654_321 + offset) mod 10^7``: a permutation of the
    subscriber space, so numbers never repeat. Two-digit blocks that ``normalize_vn_phone``
    does not read back as the same mobile number (phonenumbers knows 089 only from 0896...)
    are skipped.
    """

    _MULT = 7_654_321

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._count: Counter[str] = Counter()
        self._offset = {p: rng.randrange(10**7) for p in _PREFIXES.items}
        self._bad: dict[str, set[str]] = {}

    def _block_ok(self, prefix: str, block: str) -> bool:
        bad = self._bad.get(prefix)
        if bad is None:
            bad = self._bad[prefix] = {
                f"{b:02d}"
                for b in range(100)
                if not all(
                    normalize_vn_phone(f"{prefix}{b:02d}{rest:05d}").e164
                    == f"+84{prefix[1:]}{b:02d}{rest:05d}"
                    for rest in (0, 99_999, 31_415)
                )
            }
        return block not in bad

    def draw(self) -> str:
        while True:
            prefix = _PREFIXES.pick(self._rng)
            n = self._count[prefix]
            self._count[prefix] = n + 1
            subscriber = f"{(n * self._MULT + self._offset[prefix]) % 10**7:07d}"
            if self._block_ok(prefix, subscriber[:2]):
                return prefix + subscriber


@dataclass(frozen=True, slots=True)
class Customer:
    """What a later row needs to repeat a customer."""

    name: str
    nationals: tuple[str, ...]
    phone_cell: str
    email: str
    birth: str
    gender: str
    address: tuple[str, str]


@dataclass(slots=True)
class FileStats:
    """What was generated: the ground truth the import's counts are checked against."""

    path: str = ""
    kind: str = "csv"
    rows: int = 0
    customers: int = 0  # distinct valid customers: what the first import must create
    repeats: int = 0  # rows repeating an earlier customer: "unchanged" on the first import
    invalid: int = 0  # rows with one invalid value: always "rejected"
    invalid_kinds: dict[str, int] = field(default_factory=dict)
    phone_styles: dict[str, int] = field(default_factory=dict)
    two_phone_cells: int = 0
    unaccented_names: int = 0
    mixed_case_emails: int = 0
    with_email: int = 0
    with_birth_date: int = 0
    with_address: int = 0
    with_points: int = 0
    with_note: int = 0
    bytes: int = 0
    seconds: float = 0.0


class CustomerGenerator:
    """Rows of a customer export, generated one at a time from a seed.

    ~20 % of rows repeat one of the last customers (the same number in another format, the
    email in another case or left out, other cells the same or empty, and a new ``Mã KH`` as
    a duplicate POS record has), ~1 % are a new customer with one invalid value (a short or
    placeholder phone, a malformed email, 31/02). The rest are new customers: names from the
    demo-data pools (5 % typed without diacritics), numbers in the formats shops write them
    (incl. pre-2018 11-digit 01xx numbers and numbers that lost their leading zero), some
    cells with two numbers, emails in mixed case, dd/mm/yyyy birth dates, addresses.
    """

    def __init__(
        self,
        seed: int,
        *,
        xlsx: bool = False,
        repeat_share: float = REPEAT_SHARE,
        invalid_share: float = INVALID_SHARE,
    ) -> None:
        self.rng = random.Random(seed)
        self.xlsx = xlsx
        self.repeat_share = repeat_share
        self.invalid_share = invalid_share
        self.phones = PhonePool(self.rng)
        self.window: list[tuple[str, Customer]] = []
        self.stats = FileStats(kind="xlsx" if xlsx else "csv")
        self._styles: Counter[str] = Counter()
        self._invalid: Counter[str] = Counter()

    def _name(self) -> tuple[str, str]:
        rng = self.rng
        sex = "female" if rng.random() < 0.56 else "male"
        family = _FAMILY.pick(rng)
        middle = _MIDDLE[sex].pick(rng)
        given = _GIVEN[sex].pick(rng)
        while given in {middle, family}:
            given = _GIVEN[sex].pick(rng)
        parts = [family] if middle == family else [family, middle]
        if rng.random() < 0.08:  # "Nguyễn Thị Thanh Hương"
            extra = _MIDDLE[sex].pick(rng)
            if extra not in {*parts, given, "Thị", "Văn"}:
                parts.append(extra)
        name = " ".join((*parts, given))
        if rng.random() < 0.05:
            self.stats.unaccented_names += 1
            name = _fold(name)
        return name, sex

    def _phone(self, national: str, *, repeat_of: str | None = None) -> str:
        """One number as a shop writes it; a repeat avoids the first row's exact text."""
        rng = self.rng
        for _ in range(10):
            roll = rng.random()
            if repeat_of is not None:
                style = REPEAT_STYLES[int(rng.random() * len(REPEAT_STYLES))]
                text = _phone_styles_pick(national, style)
            elif roll < 0.07 and national[:3] in LEGACY_PREFIX:
                lost = rng.random() < 0.3
                style = "legacy_lost_zero" if lost else "legacy"
                text = _format_phone(rng, national, POS, legacy=True, lost_zero=lost)
            elif roll < 0.15:
                style, text = "lost_zero", _format_phone(rng, national, POS, lost_zero=True)
            else:
                style, text = "pos", _format_phone(rng, national, POS)
            if text != repeat_of and normalize_vn_phone(text).e164 == "+84" + national[1:]:
                self._styles[style if repeat_of is None else f"repeat:{style}"] += 1
                return text
        self._styles["plain_fallback"] += 1
        return national

    def _new_customer(self, n: int) -> Customer:
        rng = self.rng
        name, sex = self._name()
        count = 2 if rng.random() < 0.06 else 1
        nationals = tuple(self.phones.draw() for _ in range(count))
        cells = [self._phone(x) for x in nationals]
        if count == 2:
            self.stats.two_phone_cells += 1
        email = ""
        if rng.random() < 0.6:
            family, *_, given = _fold(name).lower().split()
            email = f"{given}.{family}{n}@{EMAIL_DOMAINS[int(rng.random() * len(EMAIL_DOMAINS))]}"
            if rng.random() < 0.15:
                self.stats.mixed_case_emails += 1
                email = email.capitalize() if rng.random() < 0.5 else email.upper()
        birth = ""
        if rng.random() < 0.7:
            day = date(1950, 1, 1) + timedelta(days=int(rng.random() * 365 * 58))
            birth = day.strftime("%d/%m/%Y")
        gender = ("Nữ" if sex == "female" else "Nam") if rng.random() < 0.8 else ""
        address = ("", "")
        if rng.random() < 0.5:
            province = _PROVINCES.pick(rng)
            ward = province.wards.pick(rng)
            street = ward.streets[int(rng.random() * len(ward.streets))]
            number = 1 + int(rng.random() * 300)
            address = (f"{number} {street}, {ward.name}", province.forms[0])
        return Customer(name, nationals, " / ".join(cells), email, birth, gender, address)

    def _count_fields(self, row: list[Any]) -> None:
        s = self.stats
        s.with_email += bool(row[3])
        s.with_birth_date += bool(row[4])
        s.with_address += bool(row[6])
        s.with_points += bool(row[8])
        s.with_note += bool(row[9])

    def rows(self, count: int) -> Iterator[list[Any]]:
        """Yield ``count`` data rows (cells in :data:`HEADER` order)."""
        rng = self.rng
        window = self.window
        for n in range(count):
            code = f"KH{n + 1:07d}"
            roll = rng.random()
            if window and roll < self.repeat_share:
                # A repeat is the same customer again: same customer code, another phone
                # format, fewer fields.
                code, c = window[int(rng.random() * len(window))]
                national = c.nationals[int(rng.random() * len(c.nationals))]
                cell = self._phone(national, repeat_of=c.phone_cell)
                email = ""
                if c.email and rng.random() < 0.5:
                    email = c.email.upper() if c.email.islower() else c.email.lower()
                row: list[Any] = [
                    code,
                    c.name if rng.random() < 0.8 else "",
                    cell,
                    email,
                    c.birth if rng.random() < 0.5 else "",
                    c.gender if rng.random() < 0.5 else "",
                    *(c.address if rng.random() < 0.5 else ("", "")),
                    "",
                    "",
                ]
                self.stats.repeats += 1
            else:
                c = self._new_customer(n)
                points = ""
                if rng.random() < 0.5:
                    points = f"{int(rng.random() * 5_000) * 10:,}".replace(",", ".")
                note = NOTES[int(rng.random() * len(NOTES))] if rng.random() < 0.03 else ""
                row = [code, c.name, c.phone_cell, c.email, c.birth, c.gender, *c.address]
                row += [points, note]
                if roll < self.repeat_share + self.invalid_share:
                    self._spoil(row, c)
                else:
                    self.stats.customers += 1
                    if len(window) < REPEAT_WINDOW:
                        window.append((code, c))
                    else:
                        window[n % REPEAT_WINDOW] = (code, c)
            if self.xlsx:
                row = self._as_excel(row)
            self._count_fields(row)
            self.stats.rows += 1
            yield row
        self.stats.phone_styles = dict(sorted(self._styles.items()))
        self.stats.invalid_kinds = dict(sorted(self._invalid.items()))

    def _spoil(self, row: list[Any], c: Customer) -> None:
        """Make one value of a new customer's row invalid: the row must be rejected."""
        rng = self.rng
        kind = ("short_phone", "placeholder_phone", "bad_email", "bad_date")[int(rng.random() * 4)]
        if kind == "short_phone":
            row[2] = c.nationals[0][:7]
        elif kind == "placeholder_phone":
            row[2] = "0000000000"
        elif kind == "bad_email":
            row[3] = f"{_fold(c.name).lower().replace(' ', '.')}@gmail"
        else:
            row[4] = f"{31 if rng.random() < 0.5 else 30}/02/{1960 + int(rng.random() * 40)}"
        self._invalid[kind] += 1
        self.stats.invalid += 1

    def _as_excel(self, row: list[Any]) -> list[Any]:
        """Cells as Excel users leave them: numbers that lost their 0, real dates, int points."""
        rng = self.rng
        phone = row[2]
        if phone and phone.isdigit() and phone != "0000000000" and rng.random() < 0.5:
            row[2] = int(phone)  # a phone typed into a number cell: the leading 0 is gone
        if row[4] and rng.random() < 0.5 and row[4][:2] not in {"30", "31"}:
            day, month, year = (int(x) for x in row[4].split("/"))
            row[4] = date(year, month, day)
        if row[8]:
            row[8] = int(row[8].replace(".", ""))
        return row


def _phone_styles_pick(national: str, style: str) -> str:
    n9, a, b, c = national[1:], national[:4], national[4:7], national[7:]
    return {
        "plain": national,
        "433": f"{a} {b} {c}",
        "dot334": f"{national[:3]}.{national[3:6]}.{national[6:]}",
        "e164": f"+84{n9}",
        "e164sp": f"+84 {n9[:2]} {n9[2:5]} {n9[5:]}",
        "84": f"84{n9}",
        "paren": f"(+84) {a}-{b}-{c}",
        "idd": f"0084{n9}",
    }[style]


def write_csv(
    path: Path,
    rows: int,
    seed: int,
    *,
    repeat_share: float = REPEAT_SHARE,
    invalid_share: float = INVALID_SHARE,
) -> FileStats:
    """Stream ``rows`` generated rows to a UTF-8 (with BOM, as Excel saves) CSV file."""
    started = time.perf_counter()
    gen = CustomerGenerator(seed, repeat_share=repeat_share, invalid_share=invalid_share)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(gen.rows(rows))
    gen.stats.path, gen.stats.bytes = str(path), path.stat().st_size
    gen.stats.seconds = round(time.perf_counter() - started, 2)
    return gen.stats


def write_xlsx(path: Path, rows: int, seed: int) -> FileStats:
    """The same kind of rows in an .xlsx (openpyxl write_only), under a title row."""
    from openpyxl import Workbook

    started = time.perf_counter()
    gen = CustomerGenerator(seed, xlsx=True)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Khách hàng")
    sheet.append(["DANH SÁCH KHÁCH HÀNG"])
    sheet.append([])
    sheet.append(list(HEADER))
    for row in gen.rows(rows):
        sheet.append([None if v == "" else v for v in row])
    workbook.save(path)
    gen.stats.path, gen.stats.bytes = str(path), path.stat().st_size
    gen.stats.seconds = round(time.perf_counter() - started, 2)
    return gen.stats


# --- measurement helpers (run in the phase's child process) -------------------------------------

_STATEMENT = re.compile(
    r"^\s*(?:(SELECT)\b.*?\bFROM\s+(\w+)|(INSERT)\s+INTO\s+(\w+)|(UPDATE)\s+(\w+)"
    r"|(DELETE)\s+FROM\s+(\w+)|(\w+))",
    re.IGNORECASE | re.DOTALL,
)


def statement_kind(statement: str) -> str:
    """``"INSERT profile"``, ``"SELECT profile_identifier"``, ``"SAVEPOINT"``..."""
    m = _STATEMENT.match(statement)
    if m is None:
        return "?"
    words = [g for g in m.groups() if g]
    return " ".join(w.upper() if i == 0 else w for i, w in enumerate(words[:2]))


class StatementCounter:
    """Counts the statements an engine sends (``before_cursor_execute``) and the time in them.

    The time runs from ``before_cursor_execute`` to ``after_cursor_execute``: the DBAPI call,
    i.e. the round trip and the server's work (plus psycopg's adaptation of parameters).
    """

    def __init__(self, engine: Engine) -> None:
        self.kinds: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}
        self._kind = ""
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *args: Any) -> None:
        self._kind = statement_kind(args[2])
        self.kinds[self._kind] += 1
        self._started = time.perf_counter()

    def _after(self, *args: Any) -> None:
        del args
        kind = self._kind
        self.seconds[kind] = self.seconds.get(kind, 0.0) + time.perf_counter() - self._started

    def reset(self) -> None:
        self.kinds.clear()
        self.seconds.clear()

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    @property
    def sql_seconds(self) -> float:
        return sum(self.seconds.values())

    def by_kind(self, rows: int) -> dict[str, dict[str, float]]:
        """Per statement kind: count per row, milliseconds per statement, seconds in all."""
        return {
            kind: {
                "per_row": round(count / rows, 3),
                "ms_each": round(1000 * self.seconds.get(kind, 0.0) / count, 3),
                "seconds": round(self.seconds.get(kind, 0.0), 3),
            }
            for kind, count in self.kinds.most_common()
        }


def rss_mb() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _status_kib(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            name, _, value = line.partition(":")
            if name == key:
                return int(value.split()[0])
    raise KeyError(key)


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS (VmHWM) to its current RSS (Linux ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """Peak RSS since the last :func:`reset_peak_rss` (VmHWM).

    This is the counter ``getrusage`` reads for ``ru_maxrss``, but resettable. ``ru_maxrss``
    itself is no use in a spawned child: it also keeps the maximum of the RSS the process had
    when it was forked from the parent, before the exec.
    """
    return _status_kib("VmHWM") / 1024


class RssSampler:
    """Samples RSS twice a second in a thread, to show whether it grows during the phase."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = False
        self._thread: Any = None

    def __enter__(self) -> RssSampler:
        import threading

        started = time.perf_counter()

        def run() -> None:
            while not self._stop:
                self.samples.append((round(time.perf_counter() - started, 1), round(rss_mb(), 1)))
                time.sleep(0.5)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._thread.join()

    def at(self, fraction: float) -> float | None:
        """RSS at ``fraction`` of the phase (from the samples)."""
        if not self.samples:
            return None
        return self.samples[min(len(self.samples) - 1, int(fraction * len(self.samples)))][1]


class BackendCpu:
    """CPU seconds the phase's PostgreSQL backends used (``/proc/<pid>/stat``; same machine).

    Every connection the engine opens reports its backend pid; the figure is the sum of
    their user + system time. ``None`` when the server's processes cannot be read (a server
    on another machine or in a container).
    """

    def __init__(self, engine: Engine) -> None:
        self.pids: set[int] = set()
        self._last: dict[int, float] = {}
        event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        self.pids.add(int(cursor.fetchone()[0]))
        cursor.close()

    def seconds(self) -> float | None:
        tick = os.sysconf("SC_CLK_TCK")
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone: keep its last reading
            self._last[pid] = (int(fields[11]) + int(fields[12])) / tick
        return sum(self._last.values()) if self._last else None


def process_cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def engine_url(url: str, lock_timeout: str) -> str:
    """``url`` with a lock timeout on every connection: a lock wait fails instead of hanging."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-c%20lock_timeout%3D{lock_timeout}"


def _actor(factory: sessionmaker[Session], user_id: str) -> Actor:
    from uuid import UUID

    with factory() as session:
        return workspaces.actor_for_user(workspaces.get_user(session, user_id=UUID(user_id)))


def _batch_counts(factory: sessionmaker[Session], batch_id: Any) -> dict[str, Any]:
    with factory() as session:
        batch = session.get_one(ImportBatch, batch_id)
        return {
            "status": batch.status,
            "created": batch.created_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "rejected": batch.rejected_count,
            "processed": batch.processed_rows,
            "batch_id": str(batch.id),
        }


def run_phase(spec: dict[str, Any]) -> dict[str, Any]:
    """One measured phase, in a fresh process: ``preview`` (plan + dry run) or ``commit``.

    The clock covers plan + preview for ``preview`` and ``jobs.run_import`` alone for
    ``commit`` (its plan is made first, untimed, and reported). With ``tracemalloc``
    the phase is run under tracemalloc for its Python peak; its time is then not a figure.
    """
    import gc

    import_all_models()
    if not spec.get("address_worker", True):
        bulk.ADDRESS_WORKER_AFTER_ROWS = sys.maxsize  # parse addresses in this process
    engine = make_engine(engine_url(spec["url"], "60s"), pool_size=2)
    try:
        counter = StatementCounter(engine)
        backends = BackendCpu(engine)
        factory = make_session_factory(engine)
        actor = _actor(factory, spec["user_id"])
        path = Path(spec["path"])
        out: dict[str, Any] = {"phase": spec["phase"], "label": spec["label"]}
        plan = None
        batch_id = None
        if spec["phase"] == "commit":
            started = time.perf_counter()
            with factory() as session:
                plan = ingest.plan_import(session, actor=actor, path=path)
            out["plan_s"] = round(time.perf_counter() - started, 3)
        gc.collect()
        counter.reset()
        out["peak_reset"] = reset_peak_rss()
        out["rss_start_mb"] = round(rss_mb(), 1)
        out["ru_maxrss_start_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        if spec["tracemalloc"]:
            tracemalloc.start()
        pg_start = backends.seconds() or 0.0
        cpu_start = process_cpu()
        with RssSampler() as sampler:
            started = time.perf_counter()
            if spec["phase"] == "preview":
                with factory() as session:
                    plan = ingest.plan_import(session, actor=actor, path=path)
                    out["plan_s"] = round(time.perf_counter() - started, 3)
                    preview = ingest.preview_import(session, actor=actor, plan=plan, today=TODAY)
                    session.rollback()
                out["counts"] = dict(preview.counts)
            else:
                assert plan is not None  # noqa: S101
                batch_id = jobs.run_import(
                    factory, actor=actor, plan=plan, valid_rows_only=True, today=TODAY
                )
            seconds = time.perf_counter() - started
        python_cpu = process_cpu() - cpu_start
        pg_end = backends.seconds()
        if spec["tracemalloc"]:
            out["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
        statements = counter.total
        if spec["phase"] == "commit":
            out["counts"] = _batch_counts(factory, batch_id)
        assert plan is not None  # noqa: S101
        rows = spec["rows"]
        out |= {
            "rows": rows,
            "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "peak_over_start_mb": round(peak_rss_mb() - out["rss_start_mb"], 1),
            "ru_maxrss_end_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_half_mb": sampler.at(0.5),
            "rss_end_mb": sampler.at(1.0),
            "rss_samples": sampler.samples[:: max(1, len(sampler.samples) // 40)],
            "python_cpu_s": round(python_cpu, 2),
            "python_cpu_us_per_row": round(1e6 * python_cpu / rows, 1),
            "postgres_cpu_s": None if pg_end is None else round(pg_end - pg_start, 2),
            "postgres_cpu_us_per_row": (
                None if pg_end is None else round(1e6 * (pg_end - pg_start) / rows, 1)
            ),
            # Statements sent through SQLAlchemy only; the bulk path's COPYs and the
            # statements around them go straight to psycopg and are not counted.
            "statements": statements,
            "statements_per_row": round(statements / rows, 2),
            "statement_kinds": counter.by_kind(rows),
            "sql_seconds": round(counter.sql_seconds, 2),
            "header_row": plan.header_row,
            "mapping": {m.header: m.target for m in plan.mapping},
            "preset": plan.preset,
        }
        return out
    finally:
        engine.dispose()


def in_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`run_phase` in a fresh interpreter (spawn), so its peak RSS is its own."""
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_phase, spec).result()


# --- the benchmark -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


def _label(rows: int) -> str:
    """A size as a short label: 2000 -> "2k", 1000000 -> "1M"."""
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows >= 1_000 and rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.admin_url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
        self.db_name = f"hoso_bench_{secrets.token_hex(4)}"
        self.url = with_database(self.admin_url, self.db_name)
        self.checks: list[Check] = []
        self.phases: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.report: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": self.db_name,
            "config": {
                "sizes": args.sizes,
                "xlsx_rows": args.xlsx_rows,
                "seed": args.seed,
                "tracemalloc_pass": not args.no_tracemalloc,
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "git": _git_head(),
            },
            "goals": {
                "rows_per_s": GOAL_ROWS_PER_S,
                "memory_mb": GOAL_MEMORY_MB,
                "xlsx_rows": GOAL_XLSX_ROWS,
                "xlsx_seconds": GOAL_XLSX_S,
            },
        }

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name, ok, detail))
        if not ok:
            print(f"  CHECK FAILED: {name}: {detail}")

    # -- setup --

    def create_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name)))
            version = conn.execute("SHOW server_version").fetchone()
            settings: dict[str, str] = dict(
                conn.execute(
                    "SELECT name, setting || COALESCE(unit, '') FROM pg_settings WHERE name IN"
                    " ('shared_buffers', 'work_mem', 'synchronous_commit', 'fsync',"
                    " 'wal_level', 'max_wal_size', 'jit')"
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

    def migrate(self) -> None:
        import_all_models()
        engine = make_engine(self.url, pool_size=1)
        try:
            started = time.perf_counter()
            upgrade(engine)
            print(f"migrated in {time.perf_counter() - started:.1f} s")
        finally:
            engine.dispose()

    def new_workspace(self, label: str) -> tuple[str, str]:
        """A workspace and its owner, through hoso's services: (workspace id, user id)."""
        engine = make_engine(self.url, pool_size=1)
        try:
            with Session(engine) as db:
                ws = workspaces.create_workspace(db, name=f"Bench nhập khẩu {label}")
                owner = workspaces.create_user(
                    db,
                    workspace_id=ws.id,
                    email=f"owner-{label.lower()}@bench.vn",
                    password=secrets.token_urlsafe(16),
                    display_name="Chủ shop",
                    role=Role.OWNER,
                )
                db.commit()
                return str(ws.id), str(owner.id)
        finally:
            engine.dispose()

    def counts(self, workspace_id: str, batch_id: str | None = None) -> dict[str, int]:
        with psycopg.connect(self.url) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM profile WHERE workspace_id = %(ws)s"
                "        AND deleted_at IS NULL),"
                " (SELECT COALESCE(sum(version), 0) FROM profile WHERE workspace_id = %(ws)s),"
                " (SELECT count(*) FROM profile_identifier WHERE workspace_id = %(ws)s),"
                " (SELECT count(*) FROM source_record WHERE workspace_id = %(ws)s),"
                " (SELECT count(*) FROM import_row WHERE batch_id = %(batch)s)",
                {"ws": workspace_id, "batch": batch_id},
            ).fetchone()
        assert row is not None  # noqa: S101
        keys = ("profiles", "versions", "identifiers", "source_records", "import_rows")
        return dict(zip(keys, (int(v) for v in row), strict=True))

    # -- phases --

    def probe(self, data_dir: Path) -> None:
        """Does a commit of more than one chunk (progress reported meanwhile) finish?

        Every connection gets ``lock_timeout``, so a lock wait the database cannot see as a
        deadlock (the job waits on its own progress connection) fails after 5 s instead of
        hanging for ever.
        """
        rows = bulk.CHUNK_ROWS + 50
        path = data_dir / "probe.csv"
        write_csv(path, rows, self.args.seed + 7)
        _, user_id = self.new_workspace("probe")
        engine = make_engine(engine_url(self.url, "5s"), pool_size=2)
        factory = make_session_factory(engine)
        outcome: dict[str, Any] = {"rows": rows, "chunk_rows": bulk.CHUNK_ROWS}
        try:
            actor = _actor(factory, user_id)
            with factory() as session:
                plan = ingest.plan_import(session, actor=actor, path=path)
            started = time.perf_counter()
            try:
                jobs.run_import(factory, actor=actor, plan=plan, valid_rows_only=True, today=TODAY)
                outcome["result"] = "completed"
            except Exception as exc:
                outcome["result"] = "failed"
                outcome["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                outcome["statement"] = getattr(exc, "statement", None)
            outcome["seconds"] = round(time.perf_counter() - started, 1)
        finally:
            engine.dispose()
        self.report["probe"] = outcome
        ok = outcome["result"] == "completed"
        self.check(
            f"a commit of {rows} rows (> CHUNK_ROWS = {bulk.CHUNK_ROWS}) completes",
            ok,
            "" if ok else f"{outcome['error']} after {outcome['seconds']} s (lock_timeout 5 s)",
        )

    def floor(self, path: Path, label: str, rows: int) -> dict[str, Any]:
        """Raw COPY of the CSV file's bytes into a plain staging table of text columns."""
        table = sql.Identifier(f"import_floor_{label.lower()}")
        columns = sql.SQL(", ").join(
            sql.SQL("{} text").format(sql.Identifier(f"c{i}")) for i in range(len(HEADER))
        )
        with psycopg.connect(self.url) as conn:
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(table, columns))
            conn.commit()
            load = os.getloadavg()[0]
            started = time.perf_counter()
            with (
                conn.cursor() as cur,
                cur.copy(
                    sql.SQL("COPY {} FROM STDIN (FORMAT csv, HEADER true)").format(table)
                ) as copy,
                path.open("rb") as handle,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            conn.commit()
            seconds = time.perf_counter() - started
            loaded = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
            conn.execute(sql.SQL("DROP TABLE {}").format(table))
            conn.commit()
        count = int(loaded[0]) if loaded else -1
        self.check(f"floor {label}: COPY loaded every row", count == rows, f"{count} of {rows}")
        return {
            "phase": "floor",
            "label": label,
            "rows": rows,
            "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds, 1),
            "loadavg": round(load, 2),
        }

    def phase(
        self,
        phase: str,
        label: str,
        path: Path,
        rows: int,
        user_id: str,
        *,
        trace: bool = False,
        address_worker: bool = True,
    ) -> dict[str, Any]:
        load = os.getloadavg()[0]
        result = in_child(
            {
                "phase": phase,
                "label": label,
                "url": self.url,
                "user_id": user_id,
                "path": str(path),
                "rows": rows,
                "tracemalloc": trace,
                "address_worker": address_worker,
            }
        )
        result["loadavg"] = round(load, 2)
        print(
            f"  {label:<9} {phase + (' (tracemalloc)' if trace else ''):<22} {rows:>7,} rows"
            f" {result['seconds']:8.1f} s {result['rows_per_s']:9,.0f} rows/s"
            f"  peak RSS {result['peak_rss_mb']:6.0f} MB  CPU/row: Python"
            f" {result['python_cpu_us_per_row']:.0f} µs, PostgreSQL"
            f" {result['postgres_cpu_us_per_row']} µs"
        )
        return result

    def expect(self, name: str, got: dict[str, Any], want: dict[str, int]) -> None:
        wrong = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
        self.check(name, not wrong, ", ".join(f"{k}: {g} != {w}" for k, (g, w) in wrong.items()))

    def csv_size(self, data_dir: Path, label: str, rows: int, *, reimport: bool) -> None:
        path = data_dir / f"customers-{label.lower()}.csv"
        stats = write_csv(path, rows, self.args.seed)
        self.files[label] = asdict(stats)
        print(
            f"{label}: {path.name} {rows:,} rows, {stats.bytes / 2**20:.1f} MiB,"
            f" written in {stats.seconds} s"
            f" ({stats.customers:,} customers, {stats.repeats:,} repeat rows,"
            f" {stats.invalid:,} invalid rows)"
        )
        self.phases.append(self.floor(path, label, rows))
        ws, user = self.new_workspace(label)
        preview = self.phase("preview", label, path, rows, user)
        self.check(
            f"{label}: every column mapped",
            tuple(preview["mapping"].get(h) for h in HEADER) == EXPECTED_TARGETS,
            json.dumps(preview["mapping"], ensure_ascii=False),
        )
        self.expect(
            f"{label} preview counts",
            preview["counts"],
            {"created": stats.customers, "updated": stats.repeats, "rejected": stats.invalid},
        )
        if not self.args.no_tracemalloc:
            traced = self.phase("preview", label, path, rows, user, trace=True)
            preview["tracemalloc_peak_mb"] = traced["tracemalloc_peak_mb"]
            preview["tracemalloc_pass_seconds"] = traced["seconds"]
        self.phases.append(preview)
        commit = self.phase("commit", label, path, rows, user)
        self.phases.append(commit)
        counts = commit["counts"]
        self.expect(
            f"{label} commit counts",
            counts,
            {
                "created": stats.customers,
                "updated": 0,
                "unchanged": stats.repeats,
                "rejected": stats.invalid,
            },
        )
        self.check(f"{label} batch committed", counts["status"] == "committed", counts["status"])
        after = self.counts(ws, counts["batch_id"])
        commit["database"] = after
        self.expect(
            f"{label} database after commit",
            after,
            {"profiles": stats.customers, "source_records": stats.customers, "import_rows": rows},
        )
        if not reimport:
            return
        # Does parsing addresses in a worker process pay? The same commit without it.
        _, alone_user = self.new_workspace(f"{label}-alone")
        alone = self.phase("commit", f"{label} 1proc", path, rows, alone_user, address_worker=False)
        alone["phase"] = "commit"
        self.phases.append(alone)
        self.expect(
            f"{label} commit without the address worker: same counts",
            alone["counts"],
            {k: counts[k] for k in ("created", "updated", "unchanged", "rejected")},
        )
        again = self.phase("commit", f"{label} again", path, rows, user)
        again["phase"] = "reimport"
        self.phases.append(again)
        self.expect(
            f"{label} re-import counts (idempotent)",
            again["counts"],
            {
                "created": 0,
                "updated": 0,
                "unchanged": stats.customers + stats.repeats,
                "rejected": stats.invalid,
            },
        )
        now = self.counts(ws, again["counts"]["batch_id"])
        again["database"] = now
        self.expect(
            f"{label} database after re-import (no new profiles, versions, source records)",
            now,
            {
                "profiles": after["profiles"],
                "versions": after["versions"],
                "identifiers": after["identifiers"],
                "source_records": after["source_records"],
                "import_rows": rows,
            },
        )

    def xlsx(self, data_dir: Path) -> None:
        rows = self.args.xlsx_rows
        path = data_dir / "customers.xlsx"
        stats = write_xlsx(path, rows, self.args.seed + 1)
        self.files["xlsx"] = asdict(stats)
        print(
            f"xlsx: {path.name} {rows:,} rows, {stats.bytes / 2**20:.1f} MiB in {stats.seconds} s"
            f" ({stats.customers:,} customers, {stats.repeats:,} repeat rows,"
            f" {stats.invalid:,} invalid rows)"
        )
        _, user = self.new_workspace("xlsx")
        preview = self.phase("preview", "xlsx", path, rows, user)
        self.phases.append(preview)
        self.check(
            "xlsx: header row 3 found", preview["header_row"] == 3, str(preview["header_row"])
        )
        self.check(
            "xlsx: every column mapped",
            tuple(preview["mapping"].get(h) for h in HEADER) == EXPECTED_TARGETS,
            json.dumps(preview["mapping"], ensure_ascii=False),
        )
        self.expect(
            "xlsx preview counts",
            preview["counts"],
            {"created": stats.customers, "updated": stats.repeats, "rejected": stats.invalid},
        )
        commit = self.phase("commit", "xlsx", path, rows, user)
        self.phases.append(commit)
        self.expect(
            "xlsx commit counts",
            commit["counts"],
            {
                "created": stats.customers,
                "updated": 0,
                "unchanged": stats.repeats,
                "rejected": stats.invalid,
            },
        )

    # -- report --

    def find(self, phase: str, label: str) -> dict[str, Any]:
        return next(p for p in self.phases if p["phase"] == phase and p["label"] == label)

    def goals(self) -> list[tuple[str, str, str]]:
        """(goal, measured, verdict) lines; nothing is extrapolated."""
        sizes, xrows = self.args.sizes, self.args.xlsx_rows
        lines: list[tuple[str, str, str]] = []
        for rows in sizes:
            label = _label(rows)
            commit, preview = self.find("commit", label), self.find("preview", label)
            floor = self.find("floor", label)
            cli = rows / (commit["seconds"] + preview["seconds"])
            lines.append(
                (
                    f">= {GOAL_ROWS_PER_S:,} rows/s end to end ({rows:,} rows)",
                    f"commit {commit['rows_per_s']:,.0f} rows/s; preview + commit (as `hoso"
                    f" import` runs) {cli:,.0f} rows/s; COPY floor {floor['rows_per_s']:,.0f}"
                    f" rows/s (commit = {100 * commit['rows_per_s'] / floor['rows_per_s']:.2f} %"
                    " of it)",
                    "MET" if commit["rows_per_s"] >= GOAL_ROWS_PER_S else "MISSED",
                )
            )
        first = _label(sizes[0])
        again = self.find("reimport", f"{first} again")
        lines.append(
            (
                f">= {GOAL_ROWS_PER_S:,} rows/s re-import (all unchanged, {sizes[0]:,} rows)",
                f"{again['rows_per_s']:,.0f} rows/s",
                "MET" if again["rows_per_s"] >= GOAL_ROWS_PER_S else "MISSED",
            )
        )
        peak = max(p.get("peak_rss_mb", 0.0) for p in self.phases)
        lines.append(
            (
                f"peak memory < {GOAL_MEMORY_MB} MiB",
                f"largest peak RSS of any phase {peak:,.0f} MB (files of at most"
                f" {max(sizes):,} rows)",
                ("MET" if peak < GOAL_MEMORY_MB else "MISSED") + f" at {max(sizes):,} rows",
            )
        )
        commits = [self.find("commit", _label(n)) for n in sizes]
        previews = [self.find("preview", _label(n)) for n in sizes]
        flat = all(c["peak_rss_mb"] <= 1.1 * commits[0]["peak_rss_mb"] + 10 for c in commits)
        flat = flat and all(
            p["peak_rss_mb"] <= 1.1 * previews[0]["peak_rss_mb"] + 10 for p in previews
        )
        lines.append(
            (
                "memory flat as the file grows",
                "commit peak RSS "
                + " -> ".join(
                    f"{c['peak_rss_mb']:.0f} MB ({n:,})"
                    for c, n in zip(commits, sizes, strict=True)
                )
                + "; dry run "
                + " -> ".join(f"{p['peak_rss_mb']:.0f} MB" for p in previews),
                ("FLAT" if flat else "GROWS")
                + " (rule: every peak <= 1.1 x the smallest file's peak + 10 MB)",
            )
        )
        xp, xc = self.find("preview", "xlsx"), self.find("commit", "xlsx")
        total = xp["seconds"] + xc["seconds"]
        if xrows >= GOAL_XLSX_ROWS:
            verdict = "MET" if total < GOAL_XLSX_S else "MISSED"
        elif total > GOAL_XLSX_S:
            verdict = f"MISSED: {xrows:,} rows already took {total:.1f} s (> {GOAL_XLSX_S:g} s)"
        else:
            verdict = f"NOT MEASURED (only {xrows:,} rows)"
        lines.append(
            (
                f"{GOAL_XLSX_ROWS:,}-row .xlsx under {GOAL_XLSX_S:g} s",
                f"{xrows:,} rows: plan + preview {xp['seconds']:.1f} s + commit"
                f" {xc['seconds']:.1f} s = {total:.1f} s",
                verdict,
            )
        )
        return lines

    def print_table(self) -> None:
        print()
        print("=" * 100)
        cfg = self.report["config"]
        print(
            f"hoso import benchmark - CSV {', '.join(f'{n:,}' for n in cfg['sizes'])} rows,"
            f" xlsx {cfg['xlsx_rows']:,} rows ({self.db_name}, {cfg['cpus']} CPUs)"
        )
        print()
        print(
            f"{'phase':<10} {'file':<9} {'rows':>9} {'seconds':>9} {'rows/s':>9}"
            f" {'py µs/row':>9} {'pg µs/row':>9} {'peak RSS MB':>11} {'+RSS MB':>8}"
            f" {'py peak MB':>10} {'load':>5}"
        )
        for p in self.phases:
            py = f"{p['python_cpu_us_per_row']:.0f}" if "python_cpu_us_per_row" in p else "-"
            pg = p.get("postgres_cpu_us_per_row")
            pg_text = f"{pg:.0f}" if pg is not None else "-"
            rss = f"{p['peak_rss_mb']:.0f}" if "peak_rss_mb" in p else "-"
            grew = f"{p['peak_over_start_mb']:.0f}" if "peak_over_start_mb" in p else "-"
            tm = f"{p['tracemalloc_peak_mb']:.1f}" if "tracemalloc_peak_mb" in p else "-"
            print(
                f"{p['phase']:<10} {p['label']:<9} {p['rows']:>9,} {p['seconds']:>9.2f}"
                f" {p['rows_per_s']:>9,.0f} {py:>9} {pg_text:>9} {rss:>11} {grew:>8} {tm:>10}"
                f" {p['loadavg']:>5.2f}"
            )
        print(
            "\nphase: floor = COPY of the CSV bytes into a text table; preview = plan_import +"
            " preview_import (dry run);\ncommit = jobs.run_import(valid_rows_only=True);"
            " reimport = the same file again. Peak RSS = VmHWM of a fresh process, reset\n"
            "when the phase starts; +RSS = that peak over the RSS at the start; py peak ="
            " tracemalloc peak of a separate,\nuntimed dry run (tracemalloc slows this code"
            " about 3x); load = 1-minute load average when the phase started."
        )
        print("\ngoals (issue 3) - measured figures only, nothing extrapolated:")
        for goal, measured, verdict in self.report["goal_lines"]:
            print(f"  {goal}\n      {measured}\n      -> {verdict}")
        failed = [c for c in self.checks if not c.ok]
        print(f"\nchecks: {len(self.checks) - len(failed)} of {len(self.checks)} passed")
        for c in failed:
            print(f"  FAILED {c.name}: {c.detail}")
        print("=" * 100)

    def write_json(self, kind: str = "import") -> Path:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = OUT_DIR / f"{kind}-{stamp}.json"
        path.write_text(
            json.dumps(self.report, indent=2, ensure_ascii=False, default=str) + "\n",
            encoding="utf-8",
        )
        return path

    def run(self) -> int:
        args = self.args
        started = time.perf_counter()
        self.report["loadavg_before"] = [round(x, 2) for x in os.getloadavg()]
        self.create_database()
        try:
            self.migrate()
            with tempfile.TemporaryDirectory(prefix="hoso-import-bench-") as folder:
                data_dir = Path(folder)
                print("probe: does the job finish a file longer than one chunk?")
                self.probe(data_dir)
                for i, rows in enumerate(args.sizes):
                    self.csv_size(data_dir, _label(rows), rows, reimport=i == 0)
                self.xlsx(data_dir)
            self.report |= {
                "files": self.files,
                "phases": self.phases,
                "checks": [asdict(c) for c in self.checks],
                "loadavg_after": [round(x, 2) for x in os.getloadavg()],
                "elapsed_s": round(time.perf_counter() - started, 1),
            }
            self.report["goal_lines"] = self.goals()
            self.print_table()
            path = self.write_json()
            print(f"\nfigures written to {path} ({self.report['elapsed_s']} s in all)")
            return 0 if all(c.ok for c in self.checks) else 1
        finally:
            if args.keep:
                print(f"kept database {self.db_name}: {self.url}")
            else:
                self.drop_database()

    # -- profile mode --

    def profile(self, rows: int) -> int:
        """cProfile one commit of ``rows`` new customers, then its re-import; SQL per row."""
        self.create_database()
        try:
            self.migrate()
            with tempfile.TemporaryDirectory(prefix="hoso-import-bench-") as folder:
                data_dir = Path(folder)
                self.probe(data_dir)
                path = data_dir / "profile.csv"
                stats = write_csv(path, rows, self.args.seed, repeat_share=0, invalid_share=0)
                _, user_id = self.new_workspace("profile")
                engine = make_engine(engine_url(self.url, "60s"), pool_size=2)
                try:
                    counter = StatementCounter(engine)
                    factory = make_session_factory(engine)
                    actor = _actor(factory, user_id)
                    with factory() as session:
                        plan = ingest.plan_import(session, actor=actor, path=path)
                    results: dict[str, dict[str, Any]] = {"parse_only": parse_only(plan, rows)}
                    for outcome in ("created", "unchanged"):
                        counter.reset()
                        profiler = cProfile.Profile()
                        started = time.perf_counter()
                        profiler.enable()
                        batch_id = jobs.run_import(
                            factory, actor=actor, plan=plan, valid_rows_only=True, today=TODAY
                        )
                        profiler.disable()
                        seconds = time.perf_counter() - started
                        counts = _batch_counts(factory, batch_id)
                        self.check(
                            f"profile: every row {outcome}",
                            counts[outcome] == stats.customers == rows,
                            json.dumps(counts),
                        )
                        text = io.StringIO()
                        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
                        results[outcome] = {
                            "rows": rows,
                            "seconds_under_cprofile": round(seconds, 2),
                            "statements": counter.total,
                            "statements_per_row": round(counter.total / rows, 2),
                            "per_row": counter.by_kind(rows),
                            "sql_seconds": round(counter.sql_seconds, 2),
                            "top25_cumulative": text.getvalue(),
                        }
                        print(
                            f"\n== every row {outcome}: {rows:,} rows in {seconds:.1f} s under"
                            f" cProfile ({rows / seconds:,.0f} rows/s);"
                            f" {counter.total / rows:.2f} statements per row;"
                            f" {counter.sql_seconds:.1f} s inside cursor.execute"
                        )
                        print("   per row  ms each  seconds  statement")
                        for kind, k in results[outcome]["per_row"].items():
                            print(
                                f"   {k['per_row']:7.2f} {k['ms_each']:8.3f} {k['seconds']:8.2f}"
                                f"  {kind}"
                            )
                        print(_trim_stats(text.getvalue()))
                finally:
                    engine.dispose()
            self.report |= {
                "profile": results,
                "checks": [asdict(c) for c in self.checks],
            }
            path_out = self.write_json("import-profile")
            print(f"figures written to {path_out}")
            return 0 if all(c.ok for c in self.checks) else 1
        finally:
            if self.args.keep:
                print(f"kept database {self.db_name}: {self.url}")
            else:
                self.drop_database()


def parse_only(plan: ingest.ImportPlan, rows: int) -> dict[str, Any]:
    """The Python work per row without the database: read, convert, matching keys.

    ``read_rows`` is the job's reader (``open_table`` + ``convert_row``: normalised phones,
    emails, dates...); ``match_keys`` is what the import then computes to match the row.
    """
    out: dict[str, Any] = {"rows": rows}
    with contextlib.closing(open_table(plan.path, header_row=plan.header_row)) as table:
        started = time.perf_counter()
        count = sum(1 for _ in table.rows())
        out["read_rows_per_s"] = round(count / (time.perf_counter() - started))
    started = time.perf_counter()
    for _ in ingest.read_rows(plan, today=TODAY):
        pass
    out["convert_rows_per_s"] = round(rows / (time.perf_counter() - started))
    started = time.perf_counter()
    for _, row in ingest.read_rows(plan, today=TODAY):
        profiles_bulk.match_keys(row.fields)  # the matching keys, as the import computes them
    out["convert_and_keys_rows_per_s"] = round(rows / (time.perf_counter() - started))
    print(
        f"\n== Python alone, no database ({rows:,} rows): reading the CSV"
        f" {out['read_rows_per_s']:,} rows/s; + convert_row (normalise)"
        f" {out['convert_rows_per_s']:,} rows/s; + matching keys"
        f" {out['convert_and_keys_rows_per_s']:,} rows/s"
    )
    return out


def _git_head() -> str | None:
    """The commit measured, with ``+dirty`` when src/ has uncommitted changes."""
    import subprocess

    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    try:
        head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "src")
    except OSError:
        return None
    return head + ("+dirty" if dirty else "") if head else None


def _trim_stats(text: str) -> str:
    """pstats output with the site-packages prefix shortened."""
    return re.sub(r"\S*/site-packages/", "", text.strip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[2_000, 4_000],
        help="CSV sizes in rows, comma-separated (the first is also re-imported)",
    )
    parser.add_argument("--xlsx-rows", type=int, default=4_000, help="M: rows of the .xlsx")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_ADMIN_URL,
        help="any existing database on the server; a new one is created beside it",
    )
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the untimed tracemalloc dry runs"
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="ROWS",
        help="instead: cProfile one commit of ROWS new customers and its re-import",
    )
    args = parser.parse_args(argv)
    bench = Bench(args)
    if args.profile:
        return bench.profile(args.profile)
    return bench.run()


if __name__ == "__main__":
    raise SystemExit(main())
