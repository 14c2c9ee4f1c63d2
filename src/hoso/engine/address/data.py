"""The administrative-unit table: loaded once, lazily, from ``data/units.json.gz``.

The file is built by ``scripts/build_address_data.py`` (see the package docstring for its
source and licence). Loading it and building the name indexes takes ~0.2 s and ~30 MB, so
nothing happens at import: :func:`load` runs on the first parse and is cached.

Every unit is keyed by its *name key*: the name without its type word ("Phường",
"Quận", "Tỉnh", ...), folded (:func:`hoso.engine.normalize.text.fold`), numbers without
leading zeros, spaces removed and a syllable-final ``y`` after a consonant spelled ``i``
("Mỹ Đình 1" → ``midinh1``; "Quy Nhơn" and "Qui Nhơn" → ``quinhon``).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "DISTRICT_TYPES",
    "PROVINCE_TYPES",
    "WARD_TYPES",
    "District",
    "Index",
    "Province",
    "Ward",
    "key_of",
    "load",
]

PROVINCE_TYPES = ("Thành phố", "Tỉnh")
DISTRICT_TYPES = ("Quận", "Huyện", "Thị xã", "Thành phố")
WARD_TYPES = ("Phường", "Xã", "Thị trấn", "Đặc khu")

# Names people use for provinces besides the official ones, as name keys, with the 2025
# codes they may mean ("L" + code: a pre-2025 province).
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "hcm": ("79",),
    "hcmc": ("79",),
    "tphcm": ("79",),
    "hochiminhcity": ("79",),
    "saigon": ("79",),
    "sg": ("79",),
    "tpsg": ("79",),
    "hn": ("01",),
    "tphn": ("01",),
    "dn": ("48", "75"),  # "ĐN" is Đà Nẵng or Đồng Nai: the other units decide
    "tpdn": ("48",),
    "hp": ("31",),
    "tphp": ("31",),
    "tpct": ("92",),
    "daclac": ("66",),
    "daclak": ("66",),
    "daklac": ("66",),
    "dacnong": ("L67",),
    "thuathienhue": ("L46",),
    "tthue": ("L46",),
    "brvt": ("L77",),
    "baria": ("L77",),
    "vungtau": ("L77",),
}

# A "y" ending a syllable after a consonant is also spelled "i" (Mỹ/Mĩ, Kỳ/Kì, Quy/Qui).
_Y_AS_I = re.compile(r"(?:(?<=[bcdghklmnprstvx])|(?<=qu))y(?![aeiouy])")


def key_of(words: Iterable[str]) -> str:
    """Join folded words into a name key (see the module docstring).

    Args:
        words: Folded words (output of ``fold(...).split()``), type word already removed.

    Returns:
        The key used by every index.

    Examples:
        >>> key_of(["my", "dinh", "01"])
        'midinh1'
        >>> key_of(["quy", "nhon"]) == key_of(["qui", "nhon"])
        True
        >>> key_of(["nguyen", "du"])
        'nguyendu'
    """
    joined = "".join(str(int(w)) if w.isdecimal() else w for w in words)
    return _Y_AS_I.sub("i", joined)


def split_type(name: str, types: Sequence[str]) -> tuple[str | None, str]:
    """Split an official name into its type word and the bare name.

    Examples:
        >>> split_type("Thị trấn Yên Viên", WARD_TYPES)
        ('Thị trấn', 'Yên Viên')
        >>> split_type("Quận 1", DISTRICT_TYPES)
        ('Quận', '1')
    """
    for type_word in types:
        if name.startswith(type_word + " "):
            return type_word, name[len(type_word) + 1 :]
    return None, name


@dataclass(frozen=True, slots=True, eq=False)
class Province:
    """A province, current (2025) or pre-2025 (``current`` False; its own code space)."""

    code: str
    name: str
    type_word: str | None
    current: bool
    new_code: str  # the 2025 province it is (or went into)


@dataclass(frozen=True, slots=True, eq=False)
class District:
    """A pre-2025 district (there are none since 1 July 2025)."""

    code: str
    name: str
    type_word: str | None
    province: Province = field(repr=False)  # pre-2025
    targets: tuple[str, ...] = ()  # 2025 wards its territory went into, by code


@dataclass(frozen=True, slots=True, eq=False)
class Ward:
    """A ward or commune: current (2025) or pre-2025 with the 2025 ward(s) it went into."""

    code: str
    name: str
    type_word: str | None
    current: bool
    province: Province = field(repr=False)  # current for a current ward, pre-2025 otherwise
    district: District | None = field(repr=False)  # pre-2025 wards only
    targets: tuple[str, ...] = ()  # 2025 ward codes; several for a split old ward

    @property
    def new_province_code(self) -> str:
        """Code of the 2025 province this ward is (or went) in."""
        return self.province.new_code


Unit = Province | District | Ward


_U = TypeVar("_U", Province, District, Ward)


def _index(pairs: Iterable[tuple[str, _U]]) -> dict[str, tuple[_U, ...]]:
    out: dict[str, list[_U]] = defaultdict(list)
    for key, unit in pairs:
        if key and unit not in out[key]:
            out[key].append(unit)
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class Index:
    """Every unit, by code and by name key, plus the text helpers the parser uses."""

    source: dict[str, Any]
    provinces: dict[str, Province]  # 2025, by code
    wards: dict[str, Ward]  # 2025, by code
    legacy_provinces: dict[str, Province]
    legacy_districts: dict[str, District]
    legacy_wards: dict[str, Ward]
    province_keys: dict[str, tuple[Province, ...]]
    district_keys: dict[str, tuple[District, ...]]
    district_alias_keys: dict[str, tuple[District, ...]]
    ward_keys: dict[str, tuple[Ward, ...]]
    ward_alias_keys: dict[str, tuple[Ward, ...]]
    # Districts that gave wards to neighbours shortly before 2025: where else to look.
    district_extra: dict[str, tuple[District, ...]]
    fold: Callable[[str], str] = field(repr=False)
    nfc: Callable[[str], str] = field(repr=False)

    def name_key(self, name: str) -> str:
        """The name key of a bare name ("Bến Nghé" → ``bennghe``)."""
        return key_of(self.fold(name).split())


def _read() -> dict[str, Any]:
    import gzip
    import json
    from importlib import resources

    blob = resources.files("hoso.engine.address").joinpath("data", "units.json.gz").read_bytes()
    table: dict[str, Any] = json.loads(gzip.decompress(blob))
    if table.get("format") != 1:
        msg = f"units.json.gz: unsupported format {table.get('format')!r}"
        raise ValueError(msg)
    return table


@functools.cache
def load() -> Index:
    """Load the table and build the indexes (once per process)."""
    # Imported here: hoso.engine.normalize pulls in phonenumbers and email_validator
    # (~0.1 s), and importing hoso.engine.address must stay cheap.
    from hoso.engine.normalize.text import fold, nfc

    table = _read()

    def key(name: str) -> str:
        return key_of(fold(name).split())

    provinces = {
        code: Province(code, name, split_type(name, PROVINCE_TYPES)[0], True, code)
        for code, name in table["provinces"]
    }
    legacy_provinces = {
        code: Province(code, name, split_type(name, PROVINCE_TYPES)[0], False, new)
        for code, name, new in table["legacy_provinces"]
    }
    wards: dict[str, Ward] = {}
    for code, name, pcode in table["wards"]:
        type_word = split_type(name, WARD_TYPES)[0]
        wards[code] = Ward(code, name, type_word, True, provinces[pcode], None, (code,))

    district_rows = {row[0]: row for row in table["legacy_districts"]}
    ward_rows_by_district: dict[str, list[list[Any]]] = defaultdict(list)
    for row in table["legacy_wards"]:
        ward_rows_by_district[row[2]].append(row)
    legacy_districts: dict[str, District] = {}
    legacy_wards: dict[str, Ward] = {}
    ward_aliases: list[tuple[str, Ward]] = []
    district_aliases: list[tuple[str, District]] = []
    for dcode, dname, pcode, d_aliases, island_targets in district_rows.values():
        rows = ward_rows_by_district.get(dcode, [])
        targets = sorted({t for row in rows for t in row[3]} | set(island_targets))
        district = District(
            dcode,
            dname,
            split_type(dname, DISTRICT_TYPES)[0],
            legacy_provinces[pcode],
            tuple(targets),
        )
        legacy_districts[dcode] = district
        district_aliases += [(key_of([a]), district) for a in d_aliases]
        for wcode, wname, _, w_targets, w_aliases in rows:
            ward = Ward(
                wcode,
                wname,
                split_type(wname, WARD_TYPES)[0],
                False,
                district.province,
                district,
                tuple(w_targets),
            )
            legacy_wards[wcode] = ward
            ward_aliases += [(key_of([a]), ward) for a in w_aliases]

    province_pairs = [
        (key(split_type(p.name, PROVINCE_TYPES)[1]), p)
        for p in [*provinces.values(), *legacy_provinces.values()]
    ]
    for alias, codes in PROVINCE_ALIASES.items():
        for code in codes:
            if code.startswith("L"):
                province_pairs.append((alias, legacy_provinces[code[1:]]))
                continue
            current = provinces[code]
            bare = split_type(current.name, PROVINCE_TYPES)[1]
            province_pairs.append((alias, current))
            province_pairs += [  # "hcm" names the old city as well
                (alias, old)
                for old in legacy_provinces.values()
                if old.new_code == code and split_type(old.name, PROVINCE_TYPES)[1] == bare
            ]
    ward_pairs = [
        (key(split_type(w.name, WARD_TYPES)[1]), w)
        for w in [*wards.values(), *legacy_wards.values()]
    ]
    district_pairs = [
        (key(split_type(d.name, DISTRICT_TYPES)[1]), d) for d in legacy_districts.values()
    ]
    district_extra: dict[str, list[District]] = defaultdict(list)
    for pcode, alias, codes in table["legacy_district_groups"]:
        group = [legacy_districts[c] for c in codes]
        named = [d for k, d in district_pairs if k == alias and d.province.code == pcode]
        for d in named:
            district_extra[d.code] += [g for g in group if g is not d]
        if not named:  # a district that no longer existed: "Thành phố Huế"
            district_aliases += [(alias, d) for d in group]
    return Index(
        source=dict(table["source"]),
        provinces=provinces,
        wards=wards,
        legacy_provinces=legacy_provinces,
        legacy_districts=legacy_districts,
        legacy_wards=legacy_wards,
        province_keys=_index(province_pairs),
        district_keys=_index(district_pairs),
        district_alias_keys=_index(district_aliases),
        ward_keys=_index(ward_pairs),
        ward_alias_keys=_index(ward_aliases),
        district_extra={k: tuple(v) for k, v in district_extra.items()},
        fold=fold,
        nfc=nfc,
    )
