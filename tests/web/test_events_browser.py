"""Event sources and the realtime board in real Chromium, on a phone-sized screen too.

The live server runs its applier thread, so events sent to /v1/batch are applied while the
board is open: the board must show them arriving and the lag going back to zero.
"""

import base64
from datetime import UTC, datetime
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.web.conftest import ARTIFACTS, ContextFactory, LiveServer

PHONE: ViewportSize = {"width": 390, "height": 844}


def _send(server: LiveServer, key: str, count: int) -> None:
    batch = [
        {
            "type": "track",
            "userId": f"browser-{n % 3}",
            "event": "Product Viewed",
            "messageId": str(uuid4()),
            "timestamp": datetime.now(UTC).isoformat(),
            "properties": {"product_id": f"SP-{n}"},
        }
        for n in range(count)
    ]
    auth = base64.b64encode(f"{key}:".encode()).decode()
    response = httpx.post(
        f"{server.url}/v1/batch",
        json={"batch": batch, "sentAt": datetime.now(UTC).isoformat()},
        headers={"Authorization": f"Basic {auth}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


@pytest.mark.browser
def test_create_a_source_send_events_and_watch_them_live(
    user_page: Page, server: LiveServer, new_context: ContextFactory
) -> None:
    page = user_page
    page.click("a[href='/events/live']")
    page.click("a[href='/sources']")
    name = f"Website {uuid4().hex[:6]}"
    page.fill("#source-name", name)
    page.select_option("#source-kind", "website")
    page.click("#create-source")
    card = page.locator(f"section.source[data-name='{name}']")
    expect(card).to_be_visible()
    key = card.locator("code.write-key").inner_text()
    assert key.startswith("wk_")
    card.locator("summary").click()
    expect(card.locator("pre.snippet").first).to_contain_text(f"-u '{key}:'")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "events-sources.png", full_page=True)

    page.goto("/events/live")
    before = int(page.locator("#received-count").inner_text())
    _send(server, key, 7)
    # htmx polls the board; the applier thread applies the events meanwhile.
    expect(page.locator("#received-count")).to_have_text(str(before + 7), timeout=15_000)
    expect(page.locator("#latest")).to_contain_text("Product Viewed")
    expect(page.locator("#latest .status-committed").first).to_be_visible(timeout=15_000)
    expect(page.locator("#lag")).to_have_text("0.0 s", timeout=15_000)
    page.screenshot(path=ARTIFACTS / "events-live.png", full_page=True)

    # Rotating the key makes the old one fail at once.
    page.goto("/sources")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"section.source[data-name='{name}'] button.rotate").click()
    expect(page.locator(".flash")).to_contain_text("khóa cũ không còn dùng được")
    new_key = page.locator(f"section.source[data-name='{name}'] code.write-key").inner_text()
    assert new_key != key
    old = httpx.post(f"{server.url}/v1/track", json={"writeKey": key, "userId": "x", "event": "E"})
    assert old.status_code == 401

    # The board on a phone: no horizontal scrolling of the page itself.
    phone = new_context(viewport=PHONE, storage_state=page.context.storage_state())
    mobile = phone.new_page()
    mobile.goto("/events/live")
    expect(mobile.locator("#board")).to_be_visible()
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1
    mobile.screenshot(path=ARTIFACTS / "events-live-phone.png", full_page=True)
