"""Services and queries flush; only edges (HTTP, CLI, jobs) commit or roll back."""

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "hoso"
FORBIDDEN = re.compile(r"\.(commit|rollback|close|begin)\(")
FILES = sorted([*SRC.glob("*/service.py"), *SRC.glob("*/queries.py")])


def test_there_are_services_to_check() -> None:
    assert len(FILES) >= 3


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_transaction_control(path: Path) -> None:
    offending = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert offending == []
