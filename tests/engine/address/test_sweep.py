"""Every unit of the table, written out as an address, parses back to itself.

The expected answer comes from the table (old ward -> 2025 ward(s)), so these sweeps test
the reading of names, type words, abbreviations and separators at scale, not the mapping.
"""

import random

import pytest

from hoso.engine.address import ConversionStatus, parse_address
from hoso.engine.address.data import Unit, Ward, load
from hoso.engine.normalize.text import fold

ABBREVIATED = {
    "Phường": "P.",
    "Xã": "X.",
    "Thị trấn": "TT.",
    "Đặc khu": "Đặc khu",
    "Quận": "Q.",
    "Huyện": "H.",
    "Thị xã": "TX.",
    "Thành phố": "TP.",
    "Tỉnh": "",
}


def abbreviated(unit: Unit) -> str:
    assert unit.type_word is not None
    bare = unit.name[len(unit.type_word) + 1 :]
    short = ABBREVIATED[unit.type_word]
    return f"{short}{bare}" if bare.isdigit() else f"{short} {bare}".strip()


def old_ward_text(w: Ward, style: str) -> str:
    assert w.district is not None
    units = (w, w.district, w.province)
    if style == "official":
        return ", ".join(u.name for u in units)
    if style == "abbreviated":
        return ", ".join(abbreviated(u) for u in units)
    if style == "no diacritics":
        return ", ".join(fold(u.name) for u in units)
    if style == "no commas":
        return " ".join(u.name for u in units)
    if style == "with street":
        return "Số 12 Nguyễn Văn Trỗi, " + ", ".join(u.name for u in units)
    raise AssertionError(style)


def test_every_old_ward_written_officially() -> None:
    wrong: list[tuple[object, ...]] = []
    for w in load().legacy_wards.values():
        r = parse_address(old_ward_text(w, "official"))
        got = (r.ward.code,) if r.ward else tuple(c.code for c in r.candidates)
        split = len(w.targets) > 1
        expected_status = ConversionStatus.AMBIGUOUS if split else ConversionStatus.CONVERTED
        if set(got) != set(w.targets) or r.status is not expected_status:
            wrong.append((w.code, w.name, got))
        elif r.legacy_ward != w.name or r.legacy_ward_code != w.code:
            wrong.append((w.code, w.name, r.legacy_ward))
    assert wrong == []


def test_every_2025_ward_written_officially() -> None:
    ix = load()
    wrong: list[tuple[object, ...]] = []
    for w in ix.wards.values():
        r = parse_address(f"{w.name}, {w.province.name}")
        if r.status is not ConversionStatus.EXACT or r.ward is None or r.ward.code != w.code:
            wrong.append((w.code, w.name, r.status, r.ward))
        r = parse_address(f"5 Trần Phú, {abbreviated(w)}, {w.province.name}")
        if r.ward is None or r.ward.code != w.code or r.line != "5 Trần Phú":
            wrong.append((w.code, w.name, r.status, r.ward, r.line))
    assert wrong == []


@pytest.mark.parametrize("style", ["abbreviated", "no commas", "with street"])
def test_old_wards_in_other_styles(style: str) -> None:
    wards = random.Random(2025).sample(sorted(load().legacy_wards.values(), key=str), 1500)
    wrong = []
    for w in wards:
        r = parse_address(old_ward_text(w, style))
        got = (r.ward.code,) if r.ward else tuple(c.code for c in r.candidates)
        if set(got) != set(w.targets) or r.legacy_ward != w.name:
            wrong.append((w.code, old_ward_text(w, style), got))
    assert wrong == []


def test_old_wards_without_diacritics() -> None:
    """Without diacritics a few names coincide ("Minh Quân", "Minh Quán"): those are
    ambiguous, never wrong."""
    wards = random.Random(7).sample(sorted(load().legacy_wards.values(), key=str), 1500)
    right = ambiguous = 0
    wrong = []
    for w in wards:
        r = parse_address(old_ward_text(w, "no diacritics"))
        got = {r.ward.code} if r.ward else {c.code for c in r.candidates}
        if got == set(w.targets):
            right += 1
        elif r.status is ConversionStatus.AMBIGUOUS and set(w.targets) <= got:
            ambiguous += 1
        else:
            wrong.append((w.code, old_ward_text(w, "no diacritics"), got))
    assert wrong == []
    assert right >= 0.98 * len(wards)


def test_old_wards_from_columns() -> None:
    wards = random.Random(11).sample(sorted(load().legacy_wards.values(), key=str), 1500)
    wrong = []
    for w in wards:
        assert w.district is not None
        r = parse_address(
            "12 Lê Lợi", ward=w.name, district=w.district.name, province=w.province.name
        )
        got = (r.ward.code,) if r.ward else tuple(c.code for c in r.candidates)
        if set(got) != set(w.targets) or r.line != "12 Lê Lợi":
            wrong.append((w.code, w.name, got, r.line))
    assert wrong == []
