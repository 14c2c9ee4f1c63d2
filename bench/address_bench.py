"""Address benchmark: CPU time per distinct address, general reading vs. the suffix memo.

``hoso.engine.address.parse_address`` reuses the reading of an administrative suffix
("…, Phường X, Quận Y, TP Hồ Chí Minh") it has seen before (``engine/address/suffix.py``);
``parse_general`` reads every address in full. Both must give the same result. For each
corpus this script takes the distinct addresses in file order (an import parses each
distinct address once: ``profiles.bulk`` caches by the address's cells) and measures, in the
same run and interleaved:

* ``general``  - ``parse_general`` on every address;
* ``cold``     - ``parse_address`` with an empty memo, as one import file fills it;
* ``warm``     - ``parse_address`` again with the memo the cold pass left (the next file of
  the same shop, or a re-import);
* ``--against REV`` also ``parse_address`` of ``src/hoso/engine/address/parser.py`` as of
  git revision REV (loaded on its own: it must need only ``data.py`` and ``model.py``).

and checks that every result (every field) of ``cold`` and ``warm`` equals ``general``'s
(and REV's, if given). Figures are CPU time (``time.process_time``), the median of
``--repeat`` rounds: they hardly depend on other load on the machine.

Corpora (deterministic from ``--seed``):

* ``import``    - the import benchmark's CSV rows (``bench/import_bench.py``): street and
  ward in ``Địa chỉ``, the province in ``Tỉnh/Thành``; per-row figures use its row count;
* ``demo``      - ``hoso.workflows.demo_data`` customers' addresses as typed (old district
  forms, "P.", "Q.", "TP.HCM", 10 % without diacritics);
* ``synthetic`` - ``hoso.engine.matching.synthetic`` records (25 % folded, no commas);
* ``samples``   - ``hoso.engine.address.samples``: any ward of the country, old and 2025
  units, every abbreviation and separator, noise and separate columns (the hardest case:
  few addresses share a suffix).

Usage::

    python bench/address_bench.py                       # ~2 min
    python bench/address_bench.py --rows 100000 --repeat 1 --against a15a49f
    python bench/address_bench.py --corpus import --profile   # cProfile of the cold pass

Writes ``bench/out/address-<UTC timestamp>.json``. Exit status 1 if any result differs.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from hoso.engine.address import AddressResult
from hoso.engine.address.data import load
from hoso.engine.address.parser import parse_general
from hoso.engine.address.samples import sample_addresses
from hoso.engine.address.suffix import clear_memo, memo_stats, parse_address

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
CORPORA = ("import", "demo", "synthetic", "samples")

Key = tuple[str | None, str | None, str | None, str | None]  # raw, ward, district, province
Parse = Callable[..., AddressResult]


@dataclass(slots=True)
class Corpus:
    name: str
    rows: int  # rows (cells) the addresses came from
    keys: list[Key]  # distinct, in first-seen order


@dataclass(slots=True)
class Figures:
    corpus: str
    rows: int
    distinct: int
    us: dict[str, float] = field(default_factory=dict)  # method -> median us per address
    rounds: dict[str, list[float]] = field(default_factory=dict)
    served: float = 0.0  # share of the cold pass served from the memo
    served_warm: float = 0.0
    memo_entries: int = 0
    memo_mb: float | None = None
    agree: dict[str, float] = field(default_factory=dict)  # method -> share equal to general
    mismatches: list[str] = field(default_factory=list)


def import_corpus(rows: int, seed: int) -> Corpus:
    gen = load_module("import_bench", ROOT / "bench" / "import_bench.py").CustomerGenerator(seed)
    cells = [(row[6], row[7]) for row in gen.rows(rows)]
    keys = [(line, None, None, province or None) for line, province in cells if line]
    return Corpus("import", rows, list(dict.fromkeys(keys)))


def demo_corpus(rows: int, seed: int) -> Corpus:
    from hoso.workflows.demo_data import generate_demo

    customers = generate_demo(customers=rows, seed=seed).customers
    keys = [(c.address.raw, None, None, None) for c in customers if c.address]
    return Corpus("demo", rows, list(dict.fromkeys(keys)))


def synthetic_corpus(rows: int, seed: int) -> Corpus:
    from hoso.engine.matching import synthetic

    records = list(synthetic.generate(max(1, rows // 2), seed=seed, wards=300))[:rows]
    keys = [(r.address, None, None, None) for r in records if r.address]
    return Corpus("synthetic", len(records), list(dict.fromkeys(keys)))


def samples_corpus(rows: int, seed: int) -> Corpus:
    keys = [(s.raw, s.ward, s.district, s.province) for s in sample_addresses(rows, seed=seed)]
    return Corpus("samples", rows, list(dict.fromkeys(keys)))


def load_revision(rev: str) -> ModuleType:
    """``parser.py`` as of ``rev``, imported as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{rev}:src/hoso/engine/address/parser.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "parser_at_rev.py"
    path.write_text(source)
    return load_module("parser_at_rev", path)


def load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run(parse: Parse, keys: list[Key]) -> tuple[float, list[AddressResult]]:
    """CPU seconds to parse every key once, and the results."""
    out = []
    start = time.process_time()
    for raw, ward, district, province in keys:
        out.append(parse(raw, ward=ward, district=district, province=province))
    return time.process_time() - start, out


def measure(corpus: Corpus, repeat: int, against: Parse | None, rev: str) -> Figures:
    keys = corpus.keys
    fig = Figures(corpus.name, corpus.rows, len(keys))
    n = len(keys)
    times: dict[str, list[float]] = {"general": [], "cold": [], "warm": []}
    if against is not None:
        times[rev] = []
    results: dict[str, list[AddressResult]] = {}
    parsers: dict[str, Parse] = {"general": parse_general, "cold": parse_address}
    if against is not None:
        parsers[rev] = against
    for r in range(repeat):
        for method in list(parsers) if r % 2 == 0 else list(reversed(parsers)):
            if method == "cold":
                clear_memo()
            seconds, results[method] = run(parsers[method], keys)
            times[method].append(seconds / n * 1e6)
            if method == "cold":  # again, with the memo the cold pass filled
                entries, served, _ = memo_stats()
                fig.served, fig.memo_entries = served / n, entries
                seconds, results["warm"] = run(parse_address, keys)
                times["warm"].append(seconds / n * 1e6)
                fig.served_warm = (memo_stats()[1] - served) / n
    fig.rounds = {m: [round(x, 2) for x in v] for m, v in times.items()}
    fig.us = {m: statistics.median(v) for m, v in times.items()}
    reference = results["general"]
    for method, got in results.items():
        if method == "general":
            continue
        same = sum(a == b for a, b in zip(reference, got, strict=True))
        fig.agree[method] = same / n
        for key, a, b in zip(keys, reference, got, strict=True):
            if a != b and len(fig.mismatches) < 5:
                fig.mismatches.append(f"{method}: {key!r}\n  general {a}\n  {method} {b}")
    return fig


def measure_import_path(
    fig: Figures, corpus: Corpus, repeat: int, against: Parse | None, rev: str
) -> None:
    """``profiles.bulk.parse_addresses`` (what the import job runs) on the distinct keys."""
    from hoso.profiles import bulk
    from hoso.profiles import service as profiles_service

    keys = list(corpus.keys)
    variants: dict[str, Parse] = {"import path": parse_address}
    if against is not None:
        variants[f"import path {rev}"] = against
    outputs: dict[str, list[dict[str, Any]]] = {}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(repeat):
        for name in list(variants) if r % 2 == 0 else list(reversed(variants)):
            clear_memo()
            namespace = vars(profiles_service)  # its parse_address, swapped for the run
            original = namespace["parse_address"]
            namespace["parse_address"] = variants[name]
            try:
                start = time.process_time()
                outputs[name] = bulk.parse_addresses(keys)
                times[name].append((time.process_time() - start) / len(keys) * 1e6)
            finally:
                namespace["parse_address"] = original
    for name, values in times.items():
        fig.us[name] = statistics.median(values)
        fig.rounds[name] = [round(x, 2) for x in values]
        same = outputs[name] == outputs["import path"]
        fig.agree[name] = 1.0 if same else 0.0
        if not same:
            fig.mismatches.append(f"{name}: bulk.parse_addresses output differs")


def memo_megabytes(keys: list[Key]) -> float:
    """Memory the memo holds after one pass (traced; untimed; the word caches filled first)."""
    run(parse_general, keys)
    clear_memo()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    run(parse_address, keys)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / 1e6


def report(figs: list[Figures], rev: str | None) -> None:
    methods = ["general", "cold", "warm", *([rev] if rev else [])]
    head = f"{'corpus':<10} {'rows':>8} {'distinct':>8} " + " ".join(
        f"{m + ' us':>11}" for m in methods
    )
    print(head + f" {'cold x':>7} {'warm x':>7} {'memo':>6} {'entries':>7}  agree")
    for f in figs:
        us = " ".join(f"{f.us[m]:>11.1f}" for m in methods)
        agree = min(f.agree.values()) if f.agree else 1.0
        print(
            f"{f.corpus:<10} {f.rows:>8,} {f.distinct:>8,} {us}"
            f" {f.us['general'] / f.us['cold']:>6.1f}x {f.us['general'] / f.us['warm']:>6.1f}x"
            f" {f.served:>6.0%} {f.memo_entries:>7,}  {agree:.2%}"
        )
    print(
        "\nus = CPU microseconds per distinct address (median of rounds); cold = parse_address"
        " with an empty memo, as one import file fills it; warm = again with that memo;"
        " x = general / fast; memo = share of the cold pass served from the memo."
    )
    for f in figs:
        if f.corpus == "import":
            per_row = f.distinct / f.rows
            print(
                f"import: {f.distinct:,} distinct addresses in {f.rows:,} rows ({per_row:.2f} per"
                " row); profiles.bulk.parse_addresses (the import job's call, memo cold):"
            )
            for name in [k for k in f.us if k.startswith("import path")]:
                print(
                    f"  {name:<24} {f.us[name]:7.1f} us per distinct address,"
                    f" {f.us[name] * per_row:6.1f} us per row"
                )
        if f.memo_mb is not None:
            print(f"{f.corpus}: the memo holds {f.memo_mb:.1f} MB after one pass")
    for f in figs:
        for m in f.mismatches:
            print("MISMATCH", m)


def profile(corpus: Corpus) -> None:
    clear_memo()
    prof = cProfile.Profile()
    prof.enable()
    run(parse_address, corpus.keys)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows per corpus")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (median)")
    parser.add_argument("--corpus", action="append", choices=CORPORA, help="default: all")
    parser.add_argument("--against", metavar="REV", help="also time parser.py at git REV")
    parser.add_argument("--memory", action="store_true", help="trace the memo's size")
    parser.add_argument("--profile", action="store_true", help="cProfile the cold pass")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    load()  # the table, ~0.5 s: not part of any figure
    makers = {
        "import": import_corpus,
        "demo": demo_corpus,
        "synthetic": synthetic_corpus,
        "samples": samples_corpus,
    }
    corpora = [makers[name](args.rows, args.seed) for name in args.corpus or CORPORA]
    if args.profile:
        for corpus in corpora:
            profile(corpus)
        return 0
    against: Parse | None = None
    if args.against:
        against = load_revision(args.against).parse_address
    figs = []
    for corpus in corpora:
        run(parse_general, corpus.keys[:200])  # warm the interpreter and the word caches
        fig = measure(corpus, args.repeat, against, args.against or "")
        if corpus.name == "import":
            measure_import_path(fig, corpus, args.repeat, against, args.against or "")
        if args.memory:
            fig.memo_mb = memo_megabytes(corpus.keys)
        figs.append(fig)
        print(f"{corpus.name}: {fig.distinct:,} distinct addresses measured", flush=True)
    print()
    report(figs, args.against)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result: dict[str, Any] = {
        "args": vars(args),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip(),
        "figures": [asdict(f) for f in figs],
    }
    path = OUT_DIR / f"address-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written {path.relative_to(ROOT)}")
    return 1 if any(f.mismatches for f in figs) else 0


if __name__ == "__main__":
    sys.exit(main())
