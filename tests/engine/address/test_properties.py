"""Invariants on any input: never raises, deterministic, offline, fast."""

import socket
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoso.engine.address import AddressResult, ConversionStatus, parse_address
from hoso.engine.address.data import load
from tests.engine.address.fresh import run_python

UNIT_WORDS = [
    "Phường",
    "P.",
    "p15",
    "Quận",
    "Q.1",
    "q1",
    "Huyện",
    "TX.",
    "TP.",
    "Xã",
    "TT.",
    "Bến Nghé",
    "Tân Bình",
    "Hà Nội",
    "hcm",
    "đn",
    "Dịch Vọng",
    "Cầu Giấy",
    "Việt Nam",
    "700000",
    "12/3",
    "-",
    ",",
    ";",
    "\n",
]
VIETNAMESE = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)
addresses = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "0123456789 .,-/\n\u200b", max_size=60),
    st.lists(st.sampled_from(UNIT_WORDS), max_size=10).map(" ".join),
)


def check_invariants(r: AddressResult) -> None:
    assert 0.0 <= r.confidence <= 1.0
    if r.status is ConversionStatus.UNKNOWN:
        assert (r.province, r.ward, r.candidates, r.confidence) == (None, None, (), 0.0)
        assert (r.legacy_province, r.legacy_district, r.legacy_ward) == (None, None, None)
    if r.ward is not None:
        assert r.status in {ConversionStatus.EXACT, ConversionStatus.CONVERTED}
        assert r.candidates == ()
        assert r.province is not None
        assert load().wards[r.ward.code].province.code == r.province.code
    if r.candidates:
        assert r.status is ConversionStatus.AMBIGUOUS
        assert len(set(r.candidates)) == len(r.candidates) > 1
    if r.status is ConversionStatus.EXACT:
        assert (r.legacy_district, r.legacy_ward) == (None, None)
    if r.line is not None:
        assert r.line == r.line.strip()
        assert r.line


@settings(max_examples=300, deadline=None)
@given(addresses, st.one_of(st.none(), st.sampled_from(["P15", "Bến Nghé", "", "x"])))
def test_never_raises_and_is_deterministic(raw: str, ward: str | None) -> None:
    first = parse_address(raw, ward=ward)
    assert parse_address(raw, ward=ward) == first
    check_invariants(first)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.usefixtures("no_network")
def test_offline_even_for_split_wards_with_a_street() -> None:
    # vietnamadminunits geocodes exactly this over the network (vietnam.md §2.2).
    r = parse_address("59 nguyễn sỹ sách , p15, tan binh, hcm")
    assert r.status is ConversionStatus.AMBIGUOUS


def test_no_gpl_or_network_package_is_loaded() -> None:
    code = (
        "import sys\n"
        "from hoso.engine.address import parse_address\n"
        "parse_address('12 Le Loi, Ben Nghe, Q1, Ho Chi Minh')\n"
        "bad = {'vietnamadminunits', 'unidecode', 'geopy', 'shapely', 'vietnam_provinces',\n"
        "       'vietnam_address_converter', 'urllib.request', 'http.client'}\n"
        "print(sorted(bad & set(sys.modules)))\n"
    )
    assert run_python(code).strip() == "[]"


def test_first_parse_in_a_fresh_process_loads_the_table() -> None:
    # How fast parsing is lives in bench/address_bench.py, not here.
    code = (
        "from hoso.engine.address import parse_address\n"
        "print(parse_address('12 Le Loi, Ben Nghe, Q1, Ho Chi Minh').province.code)\n"
    )
    assert run_python(code).strip() == "79"
