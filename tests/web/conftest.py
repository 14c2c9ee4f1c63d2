"""Web fixtures: a live uvicorn server over a committed demo database, and headless Chromium.

The live server has its own throwaway database (not the rolled-back unit-test one): a real
browser talks to a real server over a real socket, and what it writes is really committed.
Chromium is Debian's (``apt-get install chromium``); Playwright's own browser downloads do
not work on this machine's network.
"""

import logging
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from uuid import UUID

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    StorageState,
    ViewportSize,
    sync_playwright,
)
from sqlalchemy import Engine

from hoso.app import create_app
from hoso.bootstrap import import_all_models
from hoso.core.config import Settings
from hoso.core.db import make_engine, make_session_factory
from hoso.jobs.registry import CONSUMERS, HANDLERS
from hoso.jobs.runner import drain_consumers, run_until_empty
from hoso.migrate import upgrade
from hoso.workflows.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo
from tests.conftest import fresh_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "artifacts"


@dataclass(frozen=True)
class LiveServer:
    """A running app: where it answers, its database, and the demo workspace in it."""

    url: str
    engine: Engine
    workspace_id: UUID
    errors: list[logging.LogRecord]


class _ErrorCollector(logging.Handler):
    """Keeps every ERROR the server logs, so a test fails on a hidden 500."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, thread: threading.Thread, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the live server thread died during start-up")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the live server did not answer {url}/healthz within {timeout} s")


@pytest.fixture(scope="session")
def live_server(admin_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with fresh_database(admin_uri, "web") as url:
        import_all_models()
        settings = Settings(
            env="test",
            database_url=url,
            data_dir=tmp_path_factory.mktemp("web-data"),
            secret_key="web-test-secret-" + secrets.token_hex(16),  # type: ignore[arg-type]
        )
        engine = make_engine(url, pool_size=4)
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            with factory.begin() as session:
                summary = load_demo(session, customers=60)
            # Resolve the demo's duplicates now, as the server's worker would within seconds,
            # so pages show a settled shop rather than whatever the worker reached.
            drain_consumers(factory, CONSUMERS)
            run_until_empty(factory, HANDLERS)
            port = _free_port()
            config = uvicorn.Config(
                create_app(settings, engine=engine, migrate=False),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                log_config=None,  # leave the test process's logging alone
                lifespan="on",
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, name="hoso-live-server", daemon=True)
            collector = _ErrorCollector()
            watched = [logging.getLogger("hoso"), logging.getLogger("uvicorn.error")]
            for logger in watched:
                logger.addHandler(collector)
            thread.start()
            base = f"http://127.0.0.1:{port}"
            try:
                _wait_until_up(base, thread)
                yield LiveServer(base, engine, summary.workspace_id, collector.records)
            finally:
                server.should_exit = True
                thread.join(timeout=15)
                for logger in watched:
                    logger.removeHandler(collector)
                assert not thread.is_alive(), "the live server did not stop"
        finally:
            engine.dispose()


@pytest.fixture
def server(live_server: LiveServer) -> Iterator[LiveServer]:
    """The live server, checked after each test for errors it logged meanwhile."""
    before = len(live_server.errors)
    yield live_server
    new = live_server.errors[before:]
    assert not new, "the server logged errors: " + "; ".join(r.getMessage() for r in new)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
            "Install it with `apt-get update && apt-get install -y chromium` "
            "(Playwright's own browser download does not work here).",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


class ContextFactory(Protocol):
    def __call__(
        self,
        *,
        viewport: ViewportSize = DESKTOP,
        locale: str = "vi-VN",
        storage_state: StorageState | None = None,
    ) -> BrowserContext:
        """Open a fresh browser context on the live server."""
        ...


@pytest.fixture
def new_context(browser: Browser, server: LiveServer) -> Iterator[ContextFactory]:
    """A factory of fresh browser contexts (Vietnamese browser), all closed after the test."""
    opened: list[BrowserContext] = []

    def make(
        *,
        viewport: ViewportSize = DESKTOP,
        locale: str = "vi-VN",
        storage_state: StorageState | None = None,
    ) -> BrowserContext:
        context = browser.new_context(
            storage_state=storage_state,
            base_url=server.url,
            viewport=viewport,
            locale=locale,
            timezone_id="Asia/Ho_Chi_Minh",
        )
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    """A fresh desktop-sized page, not logged in."""
    context = new_context()
    return context.new_page()


@pytest.fixture
def user_page(page: Page) -> Page:
    """A desktop page logged in as the demo shop owner, on the customer list."""
    page.goto("/login")
    page.fill("input[name=email]", DEMO_EMAIL)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/customers")
    return page
