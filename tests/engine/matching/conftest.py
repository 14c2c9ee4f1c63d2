"""Shared records for the matching tests."""

import pytest

from hoso.engine.matching import MatchRecord, prepare_record

ADDRESS = "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP.HCM"


@pytest.fixture
def lan_trio() -> list[MatchRecord]:
    """The issue's three records of one customer: POS, website, an old Excel sheet."""
    return [
        prepare_record("pos-1", full_name="Nguyễn Thị Lan", phones=["0903 123 456"], source="pos"),
        prepare_record(
            "web-1",
            full_name="lan nguyen",
            phones=["+84 903123456"],
            emails=["lan.nguyen@gmail.com"],
            source="web",
        ),
        prepare_record("xls-1", full_name="Chị Lan", phones=["01203123456"], source="excel"),
    ]


@pytest.fixture
def mother_daughter() -> list[MatchRecord]:
    """A mother and a daughter sharing the family phone and address."""
    return [
        prepare_record(
            "mother",
            full_name="Trần Thị Hoa",
            birth_date="12/03/1968",
            gender="Nữ",
            phones=["0903 555 111"],
            address=ADDRESS,
        ),
        prepare_record(
            "daughter",
            full_name="Nguyễn Thị Mai",
            birth_date="05/07/1995",
            gender="Nữ",
            phones=["0903 555 111"],
            address=ADDRESS,
        ),
    ]


@pytest.fixture
def namesakes() -> list[MatchRecord]:
    """Two different men called Nguyễn Văn Hùng."""
    return [
        prepare_record(
            "hung-1", full_name="Nguyễn Văn Hùng", birth_date="01/02/1980", phones=["0912 000 111"]
        ),
        prepare_record(
            "hung-2", full_name="Nguyễn Văn Hùng", birth_date="15/09/1992", phones=["0988 222 333"]
        ),
    ]
