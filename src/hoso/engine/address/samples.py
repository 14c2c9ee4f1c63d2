"""Addresses as Vietnamese shops type them, for tests and benchmarks of the parser.

A shop's customers live in a few hundred wards, some much more often than others, and type
the same ward in many ways: 2025 units or the old ward, district and province, official
names or "P.", "Q.1", "F7", "TP.HCM", "HN", without diacritics, in capitals, with dashes,
line breaks or no separator at all, "Việt Nam" or a postcode at the end; import files put
the province (or every unit) in its own column. Every place comes from the unit table
itself (any ward of the country, with the pre-2025 wards that went into it), so the sample
covers the whole table over many seeds. Nothing here knows the right answer: the samples
are for comparing two readings of the same text (see ``tests/engine/address``) and for
timing (``bench/address_bench.py``).

Deterministic from its seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from hoso.engine.address.data import District, Province, Ward, load
from hoso.engine.normalize.text import fold

__all__ = ["SampleAddress", "sample_addresses"]

_STREETS: Final = (
    "Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
    "Nguyễn Trãi", "Điện Biên Phủ", "Võ Văn Tần", "Phan Chu Trinh", "Lê Duẩn", "Hùng Vương",
    "Trần Phú", "Bạch Đằng", "Cách Mạng Tháng Tám", "Nguyễn Văn Linh", "Lê Văn Sỹ",
    "Phan Đình Phùng", "Nguyễn Thị Minh Khai", "Hoàng Văn Thụ", "Lạc Long Quân", "Âu Cơ",
    "Nguyễn Văn Cừ", "Trường Chinh", "Kha Vạn Cân", "Mai Chí Thọ", "Xô Viết Nghệ Tĩnh",
    "Đường 3/2", "Quốc lộ 1A", "Tỉnh lộ 10", "Đường số 7", "Nguyễn Sỹ Sách", "Yersin",
)  # fmt: skip
_HAMLETS: Final = ("Ấp {n}", "Thôn {n}", "Xóm {n}", "Tổ {n}", "Khu phố {n}", "Bản Na Hang")
_COUNTRY: Final = (", Việt Nam", ", VN", " Viet Nam", ", 700000", " - Vietnam")
_PROVINCE_NICKNAMES: Final = {
    "79": ("TP.HCM", "TPHCM", "HCM", "Tp. Hồ Chí Minh", "Sài Gòn", "Ho Chi Minh City", "SG"),
    "01": ("HN", "TP Hà Nội", "Ha Noi", "Hà Nội"),
    "48": ("TP Đà Nẵng", "Đà Nẵng", "DN"),
    "31": ("TP Hải Phòng", "HP"),
    "92": ("TP Cần Thơ", "Can Tho"),
}
_WARD_SHORT: Final = {"Phường": ("P.", "P", "p.", "F"), "Xã": ("X.", "xã"), "Thị trấn": ("TT.",)}
_DISTRICT_SHORT: Final = {
    "Quận": ("Q.", "Q", "q."),
    "Huyện": ("H.", "huyện"),
    "Thị xã": ("TX.", "tx"),
    "Thành phố": ("TP.", "Tp"),
}


@dataclass(frozen=True, slots=True)
class SampleAddress:
    """One address as typed: free text and, as import files have them, separate columns.

    Attributes:
        raw: The free text (``None`` or empty for a few).
        ward: A separate ward column, if the file has one.
        district: A separate district column.
        province: A separate province column.
        style: How it was written, e.g. ``"legacy,comma,unaccented"`` (for reports).
    """

    raw: str | None
    ward: str | None = None
    district: str | None = None
    province: str | None = None
    style: str = ""


@dataclass(frozen=True, slots=True)
class _Place:
    ward: Ward  # 2025
    sources: tuple[Ward, ...]  # pre-2025 wards that went (partly) into it


def _places(rng: random.Random, count: int) -> list[_Place]:
    ix = load()
    sources: dict[str, list[Ward]] = defaultdict(list)
    for old in ix.legacy_wards.values():
        for code in old.targets:
            sources[code].append(old)
    codes = sorted(ix.wards)
    picked = sorted(rng.sample(range(len(codes)), min(count, len(codes))))
    return [
        _Place(ix.wards[codes[i]], tuple(sorted(sources[codes[i]], key=lambda w: w.code)))
        for i in picked
    ]


def _bare(name: str, type_word: str | None) -> str:
    return name[len(type_word) + 1 :] if type_word else name


def _ward_form(rng: random.Random, w: Ward) -> str:
    bare = _bare(w.name, w.type_word)
    roll = rng.random()
    if roll < 0.35 or w.type_word is None:
        return w.name
    if roll < 0.75:
        short = rng.choice(_WARD_SHORT.get(w.type_word, (w.type_word,)))
        if short == "F" and not bare.isdigit():
            short = "P."
        glue = "" if bare.isdigit() and rng.random() < 0.7 else " "
        return f"{short}{glue}{bare}"
    if roll < 0.8:
        return f"{w.type_word.lower()} {bare}"
    return bare


def _district_form(rng: random.Random, d: District) -> str:
    bare = _bare(d.name, d.type_word)
    roll = rng.random()
    if roll < 0.3 or d.type_word is None:
        return d.name
    if roll < 0.75:
        short = rng.choice(_DISTRICT_SHORT.get(d.type_word, (d.type_word,)))
        glue = "" if bare.isdigit() and rng.random() < 0.6 else " "
        return f"{short}{glue}{bare}"
    if roll < 0.8:
        return f"{fold(bare).title()} District"
    return bare


def _province_form(rng: random.Random, p: Province) -> str:
    bare = _bare(p.name, p.type_word)
    nicknames = _PROVINCE_NICKNAMES.get(p.code, ()) if p.current else ()
    roll = rng.random()
    if nicknames and roll < 0.45:
        return rng.choice(nicknames)
    if roll < 0.7:
        return p.name
    if roll < 0.8 and p.type_word == "Thành phố":
        return f"TP {bare}"
    if roll < 0.85 and p.type_word == "Tỉnh":
        return f"tỉnh {bare}"
    return bare


def _street(rng: random.Random) -> str:
    n, m = rng.randint(1, 400), rng.randint(2, 99)
    street = rng.choice(_STREETS)
    roll = rng.random()
    if roll < 0.4:
        return f"{n} {street}"
    if roll < 0.55:
        return f"{n}/{m} {street}"
    if roll < 0.65:
        return f"Số {n} {street}"
    if roll < 0.72:
        return f"Số {m}, ngõ {n} {street}"
    if roll < 0.77:
        return f"K{n}/{m} {street}"
    if roll < 0.85:
        return rng.choice(_HAMLETS).format(n=m % 12 + 1)
    if roll < 0.9:
        return f"{n}{rng.choice('ABC')} {street}"
    if roll < 0.95:
        return f"Hẻm {m} {street}"
    return ""


@dataclass(frozen=True, slots=True)
class _Typed:
    street: str
    ward: str | None
    district: str | None
    province: str
    era: str  # "legacy" or "2025"

    def parts(self) -> list[str]:
        return [p for p in (self.street, self.ward, self.district, self.province) if p]


def _typed(rng: random.Random, place: _Place) -> _Typed:
    """One way to write the place: old ward, district and province, or the 2025 units."""
    street = _street(rng)
    old = rng.choice(place.sources) if place.sources and rng.random() < 0.5 else None
    if old is not None and old.district is not None:
        province = old.province if rng.random() < 0.7 else place.ward.province
        ward: str | None = _ward_form(rng, old)
        if rng.random() < 0.1:
            ward = None  # the district alone
        district = _district_form(rng, old.district)
        return _Typed(street, ward, district, _province_form(rng, province), "legacy")
    ward = _ward_form(rng, place.ward) if rng.random() > 0.05 else None
    return _Typed(street, ward, None, _province_form(rng, place.ward.province), "2025")


def _join(rng: random.Random, parts: list[str]) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.72:
        return ", ".join(parts), "comma"
    if roll < 0.8:
        return " ".join(parts), "no-comma"
    if roll < 0.85:
        return " - ".join(parts), "dash"
    if roll < 0.89:
        return "\n".join(parts), "lines"
    if roll < 0.92:
        return "; ".join(parts), "semicolon"
    if roll < 0.96:
        return ",".join(parts), "tight"
    head = " ".join(parts[:2])
    return ", ".join([head, *parts[2:]]), "half-comma"


def _noise(rng: random.Random, text: str) -> tuple[str, list[str]]:
    styles = []
    if rng.random() < 0.12:
        text = fold(text) if rng.random() < 0.5 else _unaccent(text)
        styles.append("unaccented")
    roll = rng.random()
    if roll < 0.08:
        text = text.lower() if roll < 0.05 else text.upper()
        styles.append("lower" if roll < 0.05 else "upper")
    if rng.random() < 0.05:
        text += rng.choice(_COUNTRY)
        styles.append("country")
    if rng.random() < 0.03:
        text = text.replace(" ", "  ", 1) + "."
        styles.append("spacing")
    return text, styles


def _unaccent(text: str) -> str:
    """Diacritics dropped but punctuation kept ("12 Le Loi, P. Ben Nghe")."""
    out = []
    for word in text.split(" "):
        core = word.strip(",.;-/\n")
        folded = fold(core)
        if core and folded and " " not in folded and folded.isascii():
            at = word.index(core)
            folded = folded.title() if core[:1].isupper() else folded
            out.append(word[:at] + folded + word[at + len(core) :])
        else:
            out.append(word)
    return " ".join(out)


_ODD: Final = (None, "", "không có", "abc xyz", "Giao tại cửa hàng", "12", "Việt Nam", "-")


def sample_addresses(count: int, *, seed: int = 2026, wards: int = 300) -> Iterator[SampleAddress]:
    """Yield ``count`` addresses typed in the ways shops type them.

    Args:
        count: How many addresses.
        seed: Seed of the random stream.
        wards: How many 2025 wards the customers live in (drawn from the whole table);
            a few of them are much more frequent, as for a real shop.

    Yields:
        Addresses, about 80 % as one free-text cell, 15 % as a street line with the
        province in its own column (as the import benchmark's files), 5 % with every unit
        in its own column; 2 % odd cells (empty, "không có", a bare number).
    """
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    places = _places(rng, wards)
    for _ in range(count):
        if rng.random() < 0.02:
            yield SampleAddress(rng.choice(_ODD), style="odd")
            continue
        i = min(int(rng.paretovariate(1.1)) - 1, len(places) - 1)
        typed = _typed(rng, places[i] if rng.random() < 0.5 else rng.choice(places))
        roll = rng.random()
        if roll < 0.15:
            line, _ = _join(rng, typed.parts()[:-1])
            line, styles = _noise(rng, line)
            style = ",".join([typed.era, "province-column", *styles])
            yield SampleAddress(line, province=typed.province, style=style)
        elif roll < 0.2:
            yield SampleAddress(
                typed.street or None,
                ward=typed.ward,
                district=typed.district,
                province=typed.province,
                style=f"{typed.era},columns",
            )
        else:
            text, layout = _join(rng, typed.parts())
            text, styles = _noise(rng, text)
            yield SampleAddress(text, style=",".join([typed.era, layout, *styles]))
