#!/usr/bin/env python3
"""Build ``src/hoso/engine/address/data/units.json.gz`` from the vietnamadminunits dataset.

The address normaliser (``hoso.engine.address``) ships only the compact table this script
writes. Its source is the *data* inside the MIT-licensed ``vietnamadminunits`` wheel, read
here with the standard library: its SQLite ``dataset.db`` (34 provinces / 3,321 communes of
2025; 63 provinces / 696 districts / 10,035 communes before 1 July 2025, with NSO codes) and
its ``converter_2025.json`` (each pre-2025 commune -> the 2025 commune(s) it went into, with
the "default" one first for the 471 split communes) and, from ``parser_legacy.json``, the
districts divided shortly before 2025. The package's code, and its GPL
dependency ``unidecode``, are never imported, neither here nor at run time.

Reproducible: the wheel is pinned by version and SHA-256, the output is written with
sorted keys and a zero gzip timestamp, so the same wheel gives byte-identical output.

Usage::

    python scripts/build_address_data.py                  # pip-downloads the pinned wheel
    python scripts/build_address_data.py --wheel PATH.whl # or use one already downloaded
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

PACKAGE = "vietnamadminunits"
VERSION = "1.0.4"
WHEEL = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "737ee3662e877290386c1c45ed4d71f2e5fae34ab6fb9c64bfb4cb74b216ea35"
LICENSE_PATH = f"{PACKAGE}-{VERSION}.dist-info/licenses/LICENSE"

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "hoso" / "engine" / "address" / "data"

# Type words at the start of unit names, as spaceless folded keys, per level. Used only to
# turn the source's spaceless aliases ("phuongnguyentrungtruc") into bare names.
_PREFIXES = ("thanhpho", "thitran", "phuong", "huyen", "thixa", "quan", "tinh", "dackhu", "xa")
_PREFIXES += ("tp", "tx", "tt", "p", "q", "f", "h")

# Ten source names spell their type word in title case ("Thị Trấn Ái Tử"); the official
# spelling, used everywhere else, is "Thị trấn", "Thị xã", "Thành phố".
_TYPE_CASE = {"Thị Trấn ": "Thị trấn ", "Thị Xã ": "Thị xã ", "Thành Phố ": "Thành phố "}

EXPECTED = {
    "provinces": 34,
    "wards": 3321,
    "legacy_provinces": 63,
    "legacy_districts": 696,
    "legacy_wards": 10035,
}


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")


def fetch_wheel(dest: Path) -> Path:
    """Download the pinned wheel with pip (no dependencies, nothing installed)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["-d", str(dest), f"{PACKAGE}=={VERSION}"]
    subprocess.run(cmd, check=True)  # noqa: S603 - fixed arguments, no shell
    return dest / WHEEL


def official(name: str) -> str:
    """The name with its type word spelled as in the official lists."""
    for wrong, right in _TYPE_CASE.items():
        if name.startswith(wrong):
            return right + name[len(wrong) :]
    return name


def bare_aliases(aliases_json: str | None) -> list[str]:
    """Spaceless aliases without their type word, e.g. ``["nguyentrungtruc"]``.

    The source mostly lists each old name twice, with and without its type word
    (``"phuongnguyentrungtruc", "nguyentrungtruc"``). A type word is cut off only when the
    rest is listed too, is a number (``"p13"``) or is what two aliases have in common
    (``"thixaphucyen", "txphucyen"``); an alias with nothing to cut is kept whole, so the bare
    ``"quanguyen"`` (Quảng Uyên) is not read as "Quận Guyen".
    """
    if not aliases_json:
        return []
    aliases: list[str] = json.loads(aliases_json)
    listed = set(aliases)
    rests: dict[str, list[str]] = defaultdict(list)
    for alias in aliases:
        for prefix in _PREFIXES:
            rest = alias.removeprefix(prefix)
            if rest != alias and rest:
                rests[rest].append(alias)
    out: set[str] = set()
    for alias in aliases:
        cut = [alias.removeprefix(p) for p in _PREFIXES if alias.startswith(p) and alias != p]
        good = [r for r in cut if r in listed or r.isdigit() or len(set(rests[r])) > 1]
        if good:
            rest = good[0]
            out.add(str(int(rest)) if rest.isdigit() else rest)
        elif alias not in rests or not any(a in listed for a in rests[alias]):
            out.add(alias)
    return sorted(out)


def build(wheel: Path) -> dict[str, Any]:
    """Read the wheel's data files and return the compact table (see the package docs)."""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        msg = f"{wheel.name}: sha256 {digest} is not the pinned {WHEEL_SHA256}"
        raise SystemExit(msg)
    with zipfile.ZipFile(wheel) as zf, tempfile.TemporaryDirectory() as tmp:
        licence = zf.read(LICENSE_PATH).decode()
        converter = json.loads(zf.read(f"{PACKAGE}/data/converter_2025.json"))
        parser_legacy = json.loads(zf.read(f"{PACKAGE}/data/parser_legacy.json"))
        db_path = Path(tmp) / "dataset.db"
        db_path.write_bytes(zf.read(f"{PACKAGE}/data/dataset.db"))
        con = sqlite3.connect(db_path)
        new_rows = con.execute(
            "SELECT provinceCode, province, provinceKey, wardCode, ward, wardKey "
            "FROM admin_units ORDER BY wardCode"
        ).fetchall()
        old_rows = con.execute(
            "SELECT provinceCode, province, provinceKey, districtCode, district, districtKey, "
            "districtAlias, wardCode, ward, wardKey, wardAlias "
            "FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
        ).fetchall()
        con.close()

    provinces: dict[str, str] = {}
    new_province_by_key: dict[str, str] = {}
    wards: dict[str, tuple[str, str]] = {}
    new_ward_by_key: dict[tuple[str, str], str] = {}
    for pcode, pname, pkey, wcode, wname, wkey in new_rows:
        provinces[pcode] = official(pname)
        new_province_by_key[pkey] = pcode
        if wcode in wards:
            raise SystemExit(f"duplicate 2025 ward code {wcode}")
        wards[wcode] = (official(wname), pcode)
        new_ward_by_key[(pkey, wkey)] = wcode

    # Old province key -> new province code.
    old_to_new_province: dict[str, str] = {}
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        for old_key in old_keys:
            old_to_new_province[old_key] = new_province_by_key[new_key]

    # "oldprovince_olddistrict_oldward" -> new ward codes, default first.
    targets: dict[str, list[str]] = defaultdict(list)
    for new_pkey, by_new_ward in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, old_keys in by_new_ward.items():
            for old_key in old_keys:
                targets[old_key].append(new_ward_by_key[(new_pkey, new_wkey)])
    split: set[str] = set()
    for new_pkey, by_old in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, options in by_old.items():
            split.add(old_key)
            ordered = sorted(options, key=lambda o: (not o["isDefaultNewWard"], o["newWardKey"]))
            for option in ordered:
                targets[old_key].append(new_ward_by_key[(new_pkey, option["newWardKey"])])

    legacy_provinces: dict[str, list[Any]] = {}
    legacy_districts: dict[str, list[Any]] = {}
    legacy_wards: list[list[Any]] = []
    mismatched: list[str] = []
    for row in old_rows:
        pcode, pname, pkey, dcode, dname, dkey, dalias, wcode, wname, wkey, walias = row
        new_pcode = old_to_new_province[pkey]
        legacy_provinces.setdefault(pcode, [pcode, official(pname), new_pcode])
        district = legacy_districts.setdefault(
            dcode, [dcode, official(dname), pcode, bare_aliases(dalias), []]
        )
        key = f"{pkey}_{dkey}_{wkey or ''}"
        new_codes = targets.pop(key)
        if len(new_codes) != len(set(new_codes)) or (len(new_codes) > 1) != (key in split):
            raise SystemExit(f"{key}: unexpected targets {new_codes}")
        if any(wards[c][1] != new_pcode for c in new_codes):
            mismatched.append(key)
        if wcode is None:  # island districts without communes: the district -> đặc khu
            district[4] = new_codes
            continue
        legacy_wards.append([wcode, official(wname), dcode, new_codes, bare_aliases(walias)])
    if targets:
        raise SystemExit(f"converter keys without a legacy row: {sorted(targets)[:5]}")

    # Districts split or shrunk shortly before 2025 (the district-level city of Huế became
    # Quận Phú Xuân and Quận Thuận Hóa): where their wards may be found now.
    district_by_key = {(row[2], row[5]): row[3] for row in old_rows}
    groups: list[list[Any]] = []
    for pkey, divided in parser_legacy["DICT_PROVINCE_DISTRICT_DIVIDED"].items():
        for entry in divided.values():
            codes = sorted(district_by_key[(pkey, dkey)] for dkey in entry["districts"])
            pcode = legacy_districts[codes[0]][2]
            aliases = bare_aliases(json.dumps(entry["dividedDistrictKeywords"]))
            groups += [[pcode, alias, codes] for alias in aliases]
    if mismatched:
        raise SystemExit(f"legacy wards mapped outside their new province: {mismatched[:5]}")

    table: dict[str, Any] = {
        "format": 1,
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "wheel": WHEEL,
            "wheel_sha256": WHEEL_SHA256,
            "url": f"https://pypi.org/project/{PACKAGE}/{VERSION}/",
            "repository": "https://github.com/tranngocminhhieu/vietnamadminunits",
            "files": ["data/dataset.db", "data/converter_2025.json", "data/parser_legacy.json"],
            "licence": "MIT",
            "licence_text": licence,
            "upstream_sources": "danhmuchanhchinh.gso.gov.vn (NSO codes), sapnhap.bando.com.vn",
            "built_by": "scripts/build_address_data.py",
            "changes": "type words spelled as in the official lists (Thị Trấn -> Thị trấn, "
            "Thị Xã -> Thị xã, Thành Phố -> Thành phố); aliases without their type word",
        },
        "provinces": [[c, n] for c, n in sorted(provinces.items())],
        "wards": [[c, n, p] for c, (n, p) in sorted(wards.items())],
        "legacy_provinces": [legacy_provinces[c] for c in sorted(legacy_provinces)],
        "legacy_districts": [legacy_districts[c] for c in sorted(legacy_districts)],
        "legacy_wards": sorted(legacy_wards),
        "legacy_district_groups": sorted(groups),
    }
    counts = {name: len(table[name]) for name in EXPECTED}
    counts["legacy_wards_split"] = sum(1 for w in legacy_wards if len(w[3]) > 1)
    table["source"]["counts"] = counts
    for name, expected in EXPECTED.items():
        if counts[name] != expected:
            raise SystemExit(f"{name}: {counts[name]} rows, expected {expected}")
    return table


def write(table: dict[str, Any], out_dir: Path) -> Path:
    """Write the gzip JSON (deterministic bytes) and the licence notice beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    path = out_dir / "units.json.gz"
    with (
        path.open("wb") as raw,
        gzip.GzipFile(
            filename="units.json", mode="wb", fileobj=raw, compresslevel=9, mtime=0
        ) as gz,
    ):
        gz.write(payload.encode())
    source = table["source"]
    notice = (
        f"units.json.gz is derived from the data files {', '.join(source['files'])} of\n"
        f"{source['package']} {source['version']} ({source['url']},\n"
        f"{source['repository']}), wheel sha256 {source['wheel_sha256']},\n"
        f"by {source['built_by']}. That data is distributed under the following licence:\n\n"
        f"{source['licence_text']}"
    )
    (out_dir / "NOTICE.txt").write_text(notice, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Build the table; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"an already downloaded {WHEEL}")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    if args.wheel:
        table = build(args.wheel)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            table = build(fetch_wheel(Path(tmp)))
    path = write(table, args.out_dir)
    _say(f"wrote {path} ({path.stat().st_size:,} bytes): {table['source']['counts']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
