"""parse_address (the suffix memo) returns exactly what parse_general (every reading) does.

Differential tests: every field of every result must be equal, on realistic files (the
demo shop, the import benchmark's shape, the identity benchmark's synthetic records), on
noisy samples from the whole unit table, on streets named like units in front of the same
suffixes, and on generated fragments. Each also checks that the memo was really used, so a
fast path that silently always falls back would fail too.
"""

import doctest
import itertools
import random
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoso.engine.address import parse_address
from hoso.engine.address import suffix as suffix_module
from hoso.engine.address.parser import parse_general
from hoso.engine.address.samples import sample_addresses
from hoso.engine.address.suffix import clear_memo, memo_stats
from hoso.engine.matching import synthetic
from hoso.workflows.demo_data import generate_demo

Case = tuple[str | None, dict[str, str | None]]


@pytest.fixture(autouse=True)
def empty_memo() -> Iterable[None]:
    clear_memo()
    yield
    clear_memo()


def disagreements(cases: Iterable[Case]) -> list[tuple[object, ...]]:
    wrong: list[tuple[object, ...]] = []
    for raw, columns in cases:
        fast = parse_address(raw, **columns)
        general = parse_general(raw, **columns)
        if fast != general:
            wrong.append((raw, columns, fast, general))
    return wrong


def served_share(cases: int) -> float:
    return memo_stats()[1] / cases


def test_noisy_samples_agree() -> None:
    cases: list[Case] = [
        (s.raw, {"ward": s.ward, "district": s.district, "province": s.province})
        for s in sample_addresses(2500, seed=7, wards=60)
    ]
    assert disagreements(cases) == []  # the memo fills
    assert disagreements(cases) == []  # and serves
    assert served_share(2 * len(cases)) > 0.3


def test_demo_shop_import_shape_and_synthetic_records_agree() -> None:
    demo = [c.address for c in generate_demo(customers=1500, seed=5).customers if c.address]
    cases: list[Case] = [(a.raw, {}) for a in demo]
    # The import benchmark's file: street and ward in one cell, the province in its own.
    cases += [(f"{a.line}, {a.ward}", {"province": a.province}) for a in demo]
    records = itertools.islice(synthetic.generate(800, seed=11, wards=80), 1200)
    cases += [(r.address, {}) for r in records if r.address]
    assert disagreements(cases) == []
    assert served_share(len(cases)) > 0.4


PREFIXES = (
    "12 Lê Lợi",  # a pre-2025 ward in several provinces
    "Hai Bà Trưng",  # a district of Hà Nội
    "Phường Bến Nghé",
    "P. 15",
    "q1",
    "Số 5, ngõ 3",
    "Thị xã",
    "thi",
    "viet",  # "..., viet, nam": the country, not a place
    "Hải Châu I",
    "Tân Bình District",
    "12/3 Trần Phú",
    "HCM",
    "K5/2 Hùng Vương, Tổ 3",
    "Ấp 2, xã Tân Thạnh Đông",
    "",
)
SUFFIXES = (
    ", Q.1, TP.HCM",
    ", Phường Bến Nghé, Quận 1, TP.HCM",
    ", p15, tan binh, hcm",
    ", Phú Nhuận, HCM",
    ", Dịch Vọng, Cầu Giấy, Hà Nội",
    ", Hải Châu I, Đà Nẵng",
    ", Nam",
    ", hcm, viet nam",
    ", Việt Nam",
    ", Phường Sài Gòn",
    ", Quận 1, TP.HCM, abc, def",
    "; Quận 3\nTP HCM",
    ", TT. La Hà, Tư Nghĩa, Quảng Ngãi",
    ", Bình Dương",
)
COLUMNS: tuple[dict[str, str | None], ...] = (
    {},
    {"province": "TP.HCM"},
    {"ward": "Bến Nghé", "district": "Quận 1", "province": "HCM"},
)


@pytest.mark.parametrize("seed", [1, 2])
def test_streets_named_like_units_in_front_of_a_known_suffix(seed: int) -> None:
    cases: list[Case] = [(p + s, c) for p, s, c in itertools.product(PREFIXES, SUFFIXES, COLUMNS)]
    random.Random(seed).shuffle(cases)
    assert disagreements(cases) == []
    assert served_share(len(cases)) > 0.2


FRAGMENTS = st.sampled_from(
    [
        "12 Lê Lợi", "Lê Lợi", "Phường", "P.", "p15", "Quận", "Q.1", "q1", "Huyện", "TX.",
        "TP.", "Xã", "Thị xã", "TT.", "Bến Nghé", "Tân Bình", "Hà Nội", "hcm", "đn",
        "Dịch Vọng", "Cầu Giấy", "Hải Châu I", "Việt Nam", "viet", "nam", "700000", "12/3",
        "Số 5", "ngõ 3", "district", "Ward 2", "Bình Dương", "Phú Nhuận", "Thủ Đức",
    ]
)  # fmt: skip
SEPARATORS = st.sampled_from([", ", ",", "; ", "\n", " - ", " ", " / "])


def joined(parts: list[str], seps: list[str]) -> str:
    return "".join(p + s for p, s in zip(parts, [*seps, ""], strict=False))


@settings(max_examples=150, deadline=None)
@given(
    suffix=st.lists(FRAGMENTS, min_size=1, max_size=4),
    suffix_seps=st.lists(SEPARATORS, min_size=3, max_size=3),
    prefixes=st.lists(st.lists(FRAGMENTS, min_size=1, max_size=3), min_size=2, max_size=4),
    cut=st.sampled_from([", ", "; ", "\n"]),
    province=st.sampled_from([None, "HCM", "Hà Nội", "Bình Dương"]),
)
def test_generated_prefixes_before_a_shared_suffix(
    suffix: list[str],
    suffix_seps: list[str],
    prefixes: list[list[str]],
    cut: str,
    province: str | None,
) -> None:
    tail = joined(suffix, suffix_seps)
    cases: list[Case] = [
        (joined(p, [" "] * len(p)).strip() + cut + tail, {"province": province}) for p in prefixes
    ]
    assert disagreements(cases) == []


def test_the_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suffix_module, "_MEMO_MAX", 8)
    monkeypatch.setattr(suffix_module, "_SILENCE_MAX", 8)
    cases: list[Case] = [
        (s.raw, {"ward": s.ward, "district": s.district, "province": s.province})
        for s in sample_addresses(300, seed=3, wards=20)
    ]
    assert disagreements(cases) == []
    assert memo_stats()[0] <= 8
    assert len(suffix_module._SILENCE) <= 8


def test_doctests() -> None:
    assert doctest.testmod(suffix_module).failed == 0
