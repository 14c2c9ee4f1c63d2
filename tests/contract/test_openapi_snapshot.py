"""The API's shape changes only on purpose: regenerate with HOSO_UPDATE_SNAPSHOTS=1."""

import json
import os
from pathlib import Path

from hoso.api.app import create_api

SNAPSHOT = Path(__file__).parent / "openapi.json"


def test_openapi_matches_snapshot() -> None:
    current = create_api().openapi()
    rendered = json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("HOSO_UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert json.loads(SNAPSHOT.read_text(encoding="utf-8")) == json.loads(rendered), (
        "The OpenAPI schema changed; review and run with HOSO_UPDATE_SNAPSHOTS=1"
    )
