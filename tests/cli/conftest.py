from collections.abc import Iterator

import pytest

from hoso.core.config import get_settings
from tests.conftest import fresh_database


@pytest.fixture
def cli_db(admin_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_database(admin_uri, "cli") as url:
        monkeypatch.setenv("HOSO_DATABASE_URL", url)
        monkeypatch.setenv("HOSO_DEFAULT_LOCALE", "vi")
        get_settings.cache_clear()
        yield url
        get_settings.cache_clear()
