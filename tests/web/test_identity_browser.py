"""Duplicates in real headless Chromium: the review queue with keyboard, undo of a merge."""

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.web.conftest import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser


def _pending_pair(server: LiveServer, a_name: str, b_name: str) -> tuple[str, str, str]:
    with server.engine.begin() as conn:
        ids = [
            str(
                conn.execute(
                    text(
                        "INSERT INTO profile (id, workspace_id, full_name, name_key, given_key)"
                        " VALUES (gen_random_uuid(), :ws, :name, lower(:name), lower(:name))"
                        " RETURNING id"
                    ),
                    {"ws": server.workspace_id, "name": name},
                ).scalar_one()
            )
            for name in (a_name, b_name)
        ]
        first, second = sorted(ids)
        pair = conn.execute(
            text(
                "INSERT INTO identity_pair (id, workspace_id, profile_a, profile_b, probability,"
                " explanation) VALUES (gen_random_uuid(), :ws, :a, :b, 0.93, CAST(:e AS jsonb))"
                " RETURNING id"
            ),
            {
                "ws": server.workspace_id,
                "a": first,
                "b": second,
                "e": '[{"comparison": "given_name", "label": "Given name", "label_vi": "Tên",'
                ' "level": "exact", "level_label": "same", "level_label_vi": "giống hệt",'
                ' "weight": 6.2, "agrees": true}]',
            },
        ).scalar_one()
    return str(pair), ids[0], ids[1]  # in the order of the names given


def test_review_a_pair_with_the_keyboard(user_page: Page, server: LiveServer) -> None:
    page = user_page
    pair, a, b = _pending_pair(server, "Kiều Thị Oanh", "Kieu Thi Oanh")
    page.click("#nav-review")
    page.wait_for_url("**/identity/review")
    row = page.locator(f"[data-pair-id='{pair}']")
    expect(row).to_contain_text("93")
    row.click()
    page.wait_for_url(f"**/identity/pairs/{pair}")
    expect(page.locator("#explanation")).to_contain_text("giống hệt")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "identity-compare.png", full_page=True)
    second = "2" if page.locator("input[name=survivor]").nth(1).get_attribute("value") == b else "1"
    page.keyboard.press(second)  # keep the "Kieu Thi Oanh" profile
    page.keyboard.press("m")
    page.wait_for_url("**/identity/review")
    expect(page.locator(".flash")).to_contain_text("Đã gộp")
    with server.engine.connect() as conn:
        merged_into = conn.execute(
            text("SELECT merged_into_id FROM profile WHERE id = :a"), {"a": a}
        ).scalar_one()
    assert str(merged_into) == b


def test_undo_a_merge_from_the_customer_page(user_page: Page, server: LiveServer) -> None:
    page = user_page
    _pair, a, b = _pending_pair(server, "Mạc Văn Khoa", "Mac Van Khoa")
    page.goto(f"/customers/{a}/merge/{b}")
    page.click("#accept")
    page.wait_for_url(f"**/customers/{a}")
    expect(page.locator("#identity-card")).to_contain_text("Mac Van Khoa")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".undo-merge")
    page.wait_for_url(f"**/customers/{a}")
    expect(page.locator(".flash")).to_contain_text("Đã tách")
    page.goto(f"/customers/{b}")
    expect(page.locator("#profile-name")).to_have_text("Mac Van Khoa")
    page.goto("/identity/merges")
    expect(page.locator("#merges")).to_contain_text("Đã tách")
