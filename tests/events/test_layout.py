"""The event domain's write paths outside ``service.py`` follow the service rules too."""

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "hoso"
FORBIDDEN = re.compile(r"\.(commit|rollback|close|begin)\(")
WRITE_PATHS = [SRC / "events" / "processing.py", SRC / "profiles" / "from_events.py"]


@pytest.mark.parametrize("path", WRITE_PATHS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_transaction_control(path: Path) -> None:
    text = path.read_text()
    assert not [line for line in text.splitlines() if FORBIDDEN.search(line)]
    assert not re.search(r"^(from|import) (fastapi|starlette|typer|jinja2)", text, re.MULTILINE)
