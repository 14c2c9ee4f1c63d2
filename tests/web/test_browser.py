"""What a shop's staff does in the web UI, in real headless Chromium against a live server.

Each test opens a fresh browser context (its own cookies), logs in through the form and
works the pages with clicks and typing. What the UI claims is checked against the database.
"""

import re
import secrets
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy import text

from hoso.engine.normalize import fold
from hoso.workflows.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.web.conftest import ARTIFACTS, ContextFactory, LiveServer

pytestmark = pytest.mark.browser

UUID_PATH = r"/customers/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# A UI key shown raw (t() returns unknown keys as themselves): "channel_xyz", "status_foo"...
RAW_KEY = re.compile(
    r"\b(?:channel|status|type|gender|marital|match|field|section|stat|hint|nav|col|"
    r"login|error|no|customers|search)_[a-z_]+\b"
)
MOBILE: ViewportSize = {"width": 390, "height": 844}


# --- helpers ----------------------------------------------------------------------------------


def login(page: Page, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> None:
    """Fill and submit the login form, as a person does."""
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")


def rows(server: LiveServer, sql: str, **params: Any) -> list[Any]:
    with server.engine.connect() as conn:
        return list(conn.execute(text(sql), {"ws": server.workspace_id, **params}).all())


def scalar(server: LiveServer, sql: str, **params: Any) -> Any:
    with server.engine.connect() as conn:
        return conn.execute(text(sql), {"ws": server.workspace_id, **params}).scalar_one()


def live_profiles(server: LiveServer, where: str = "TRUE", order: str = "id") -> list[Any]:
    return rows(
        server,
        "SELECT id, full_name, primary_phone FROM profile "
        f"WHERE workspace_id = :ws AND deleted_at IS NULL AND {where} ORDER BY {order}",
    )


def displayed_phone(e164: str) -> str:
    """+84903123456 -> 0903 123 456 (how a Vietnamese mobile number is written)."""
    national = "0" + e164.removeprefix("+84")
    return f"{national[:4]} {national[4:7]} {national[7:]}"


def assert_no_raw_keys(page: Page) -> None:
    shown = page.inner_text("body")
    leaked = sorted(set(RAW_KEY.findall(shown)))
    assert not leaked, f"untranslated UI keys shown to the user on {page.url}: {leaked}"


def profile_snapshot(server: LiveServer, profile_id: UUID) -> dict[str, Any]:
    """Everything a person could lose by saving the edit form unchanged."""
    (profile,) = rows(
        server,
        "SELECT full_name, gender, birth_date, education, income_band, marital_status, "
        "household_size, interests, favourite_products, favourite_brands, attributes "
        "FROM profile WHERE id = :id",
        id=profile_id,
    )
    identifiers = rows(
        server,
        "SELECT kind, namespace, value FROM profile_identifier "
        "WHERE profile_id = :id ORDER BY kind, namespace, value",
        id=profile_id,
    )
    addresses = rows(
        server,
        "SELECT line, ward, district, province FROM profile_address "
        "WHERE profile_id = :id ORDER BY line, ward",
        id=profile_id,
    )
    return {"profile": tuple(profile), "identifiers": identifiers, "addresses": addresses}


# --- 1. login ---------------------------------------------------------------------------------


def test_login_lands_on_the_vietnamese_customer_list(page: Page, server: LiveServer) -> None:
    page.goto("/")
    # Not logged in: sent to the login page, which remembers where the user was going.
    expect(page).to_have_url(re.compile(r"/login\?next=/customers$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text("Đăng nhập")

    login(page, password="not-the-password")
    expect(page.locator("#login-error")).to_have_text("Email hoặc mật khẩu không đúng.")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("input[name=email]")).to_have_value(DEMO_EMAIL)
    expect(page.locator("input[name=password]")).to_have_value("")

    login(page)
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect(page.locator("h1")).to_have_text("Khách hàng")
    expect(page.locator("header.topbar nav")).to_contain_text("Thêm khách hàng")
    expect(page.locator("header.topbar nav")).to_contain_text("Đăng xuất")
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^\s*\d+ khách hàng\s*$"))
    expect(page.locator("#search")).to_have_attribute("placeholder", re.compile("Tìm theo"))
    assert page.locator(".customer-list li").count() >= 50  # the first page of 60 customers
    assert_no_raw_keys(page)

    # Logging out ends the session: the list is not reachable any more.
    page.click("header.topbar form[action='/logout'] button")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login\?next=/customers$"))


# --- 2. search --------------------------------------------------------------------------------


def test_live_search_by_phone_in_another_format_and_by_name_without_marks(
    user_page: Page, server: LiveServer
) -> None:
    page = user_page
    mobiles = live_profiles(server, "primary_phone ~ '^\\+84[0-9]{9}$'")
    assert mobiles, "the demo has no customer with a mobile number"
    by_phone = mobiles[len(mobiles) // 2]
    e164: str = by_phone.primary_phone  # "+84903123456"
    nsn = e164.removeprefix("+84")
    typed_forms = [f"84-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}", f"(0{nsn[:2]}) {nsn[2:5]}.{nsn[5:]}"]

    # A full page load would drop this marker: its survival proves the results came live.
    page.evaluate("window.__no_reload = true")
    for typed in typed_forms:
        page.fill("#search", typed)
        hit = page.locator(f"#results a[href='/customers/{by_phone.id}']")
        expect(hit).to_be_visible()
        expect(hit).to_contain_text(displayed_phone(e164))
        expect(hit.locator(".badge")).to_have_text("khớp số điện thoại")
        expect(page.locator("#result-count")).to_contain_text(f"Kết quả cho “{typed}”")
    assert page.evaluate("window.__no_reload") is True
    expect(page).to_have_url(re.compile(r"\?q="))  # hx-push-url: the search is bookmarkable

    named = [
        p
        for p in live_profiles(server, "full_name <> ''")
        if fold(p.full_name) != p.full_name.lower() and len(fold(p.full_name)) >= 5
    ]
    assert named, "the demo has no customer with a name carrying diacritics"
    by_name = named[0]
    typed = fold(by_name.full_name)
    assert typed.isascii()
    page.fill("#search", typed)
    hit = page.locator(f"#results a[href='/customers/{by_name.id}']")
    expect(hit).to_be_visible()
    expect(hit.locator(".name")).to_have_text(by_name.full_name)
    assert page.evaluate("window.__no_reload") is True
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "customer-search.png", full_page=True)

    # Nothing found says so, in Vietnamese.
    page.fill("#search", "zzzz khong ai ten nay")
    expect(page.locator("#results .empty")).to_have_text("Không tìm thấy khách hàng nào.")

    # Clearing the box brings back the whole list.
    page.fill("#search", "")
    expect(page.locator("#result-count")).to_have_text(re.compile(r"\d+ khách hàng"))
    assert_no_raw_keys(page)

    # And the search form works without JavaScript's help too (Enter submits a GET).
    page.goto("/customers?q=" + typed.replace(" ", "+"))
    expect(page.locator(f"#results a[href='/customers/{by_name.id}']")).to_be_visible()


# --- 3. customer page -------------------------------------------------------------------------


def test_customer_page_shows_profile_timeline_and_orders(
    user_page: Page, server: LiveServer, new_context: ContextFactory
) -> None:
    page = user_page
    (best,) = rows(
        server,
        "SELECT p.id, p.full_name, p.primary_phone, count(o.id) AS orders "
        "FROM profile p JOIN sales_order o ON o.profile_id = p.id "
        "WHERE p.workspace_id = :ws AND p.deleted_at IS NULL AND p.full_name <> '' "
        "AND p.primary_phone ~ '^\\+84[0-9]{9}$' "
        "GROUP BY p.id ORDER BY count(o.id) DESC, p.id LIMIT 1",
    )
    completed = scalar(
        server,
        "SELECT count(*) FROM sales_order WHERE profile_id = :id AND status = 'completed'",
        id=best.id,
    )
    facts = scalar(
        server,
        "SELECT (SELECT count(*) FROM sales_order WHERE profile_id = :id)"
        " + (SELECT count(*) FROM interaction WHERE profile_id = :id)"
        " + (SELECT count(*) FROM note WHERE profile_id = :id AND deleted_at IS NULL)",
        id=best.id,
    )

    # Reach it the way a person does: search the list, click the row.
    page.fill("#search", best.full_name)
    page.click(f"#results a[href='/customers/{best.id}']")
    expect(page).to_have_url(re.compile(f"/customers/{best.id}$"))

    expect(page.locator("#profile-name")).to_have_text(best.full_name)
    expect(page).to_have_title(f"{best.full_name} · hoso")
    phones = page.locator("#identity a[href^='tel:']")
    expect(phones.first).to_have_text(displayed_phone(best.primary_phone))
    expect(page.locator(f"#identity a[href='tel:{best.primary_phone}']")).to_be_visible()

    timeline = page.locator("#timeline")
    expect(timeline.locator("h2")).to_have_text("Dòng thời gian")
    expect(timeline.locator("ol.timeline > li")).to_have_count(min(facts, 100))
    expect(timeline.locator("li.tl-order").first).to_be_visible()

    orders = page.locator("#orders")
    expect(orders.locator("h2")).to_have_text("Đơn hàng")
    expect(orders.locator("details")).to_have_count(min(best.orders, 50))
    first = orders.locator("details").first
    first.locator("summary").click()
    expect(first.locator("li").first).to_contain_text("₫")
    expect(page.locator(".stats .stat").first).to_have_text(str(completed))
    assert_no_raw_keys(page)

    ARTIFACTS.mkdir(exist_ok=True)
    desktop = ARTIFACTS / "customer-page.png"
    page.screenshot(path=desktop, full_page=True)

    # The same logged-in session on a phone-sized screen.
    phone_ctx = new_context(viewport=MOBILE, storage_state=page.context.storage_state())
    phone = phone_ctx.new_page()
    phone.goto(f"/customers/{best.id}")
    expect(phone.locator("#profile-name")).to_have_text(best.full_name)
    mobile = ARTIFACTS / "customer-page-mobile.png"
    phone.screenshot(path=mobile, full_page=True)
    scroll_width, inner_width = phone.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width + 1, (
        f"horizontal scroll on a phone: page is {scroll_width}px wide in a {inner_width}px window"
    )

    for shot in (desktop, mobile):
        assert shot.exists()
        assert shot.stat().st_size > 10_000, f"{shot} is suspiciously small"


# --- 4. create ----------------------------------------------------------------------------------


def count_profiles(server: LiveServer) -> int:
    return int(scalar(server, "SELECT count(*) FROM profile WHERE workspace_id = :ws"))


def test_create_customer_through_the_form(user_page: Page, server: LiveServer) -> None:
    page = user_page
    email = f"bichngoc.{secrets.token_hex(3)}@gmail.com"
    page.click("header.topbar a[href='/customers/new']")
    expect(page).to_have_url(re.compile(r"/customers/new$"))
    expect(page.locator("h1")).to_have_text("Thêm khách hàng")
    assert_no_raw_keys(page)

    before = count_profiles(server)
    page.fill("input[name=full_name]", "Trần Thị Bích Ngọc")
    page.fill("textarea[name=phones]", "0168 555 1234")
    page.fill("textarea[name=emails]", email)
    page.fill("input[name=birth_date]", "12/08/1995")
    page.select_option("select[name=gender]", "female")
    page.click("#save")

    expect(page).to_have_url(re.compile(UUID_PATH))
    expect(page.locator(".flash")).to_have_text("Đã tạo khách hàng.")
    expect(page.locator("#profile-name")).to_have_text("Trần Thị Bích Ngọc")
    expect(page.locator("#identity a[href='tel:+84385551234']")).to_have_text("0385 551 234")
    expect(page.locator("#identity")).to_contain_text("0168 555 1234")  # the raw value kept
    expect(page.locator("#identity")).to_contain_text(email)
    expect(page.locator(".profile-head .muted")).to_contain_text("Nữ · 12/08/1995")
    assert count_profiles(server) == before + 1

    profile_id = UUID(page.url.rsplit("/", 1)[1])
    (row,) = rows(
        server,
        "SELECT full_name, primary_phone, primary_email, birth_date, gender FROM profile "
        "WHERE id = :id AND workspace_id = :ws",
        id=profile_id,
    )
    assert tuple(row) == (
        "Trần Thị Bích Ngọc",
        "+84385551234",
        email,
        date(1995, 8, 12),
        "female",
    )

    # Invalid input: the form comes back with Vietnamese field errors and nothing is saved.
    before = count_profiles(server)
    page.goto("/customers/new")
    page.fill("input[name=full_name]", "Khách Nhập Sai")
    page.fill("textarea[name=phones]", "12345")
    page.fill("input[name=birth_date]", "31/02/1990")
    with page.expect_response(
        lambda r: r.url.endswith("/customers/new") and r.request.method == "POST"
    ) as answer:
        page.click("#save")
    assert answer.value.status == 422
    expect(page.locator("#form-errors")).to_have_text("Vui lòng sửa các trường được đánh dấu.")
    expect(page.locator(".field-error[data-field=phones]")).to_have_text(
        "Số điện thoại không hợp lệ: 12345."
    )
    expect(page.locator(".field-error[data-field=birth_date]")).to_contain_text("Ngày không hợp lệ")
    expect(page.locator("textarea[name=phones]")).to_have_attribute("aria-invalid", "true")
    # What the user typed is still there to correct.
    expect(page.locator("input[name=full_name]")).to_have_value("Khách Nhập Sai")
    expect(page.locator("textarea[name=phones]")).to_have_value("12345")
    expect(page.locator("input[name=birth_date]")).to_have_value("31/02/1990")
    assert_no_raw_keys(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "customer-form-errors.png", full_page=True)
    assert count_profiles(server) == before


# --- 5. edit ------------------------------------------------------------------------------------


def test_edit_customer_changes_only_what_was_changed(user_page: Page, server: LiveServer) -> None:
    page = user_page
    customers = live_profiles(server, "full_name <> ''")
    target = customers[5]
    before = profile_snapshot(server, target.id)
    occupation = f"Kỹ sư phần mềm {secrets.token_hex(2)}"

    page.goto(f"/customers/{target.id}")
    page.click("#edit-link")
    expect(page).to_have_url(re.compile(f"/customers/{target.id}/edit$"))
    expect(page.locator("h1")).to_have_text("Sửa khách hàng")
    expect(page.locator("input[name=full_name]")).to_have_value(target.full_name)
    assert_no_raw_keys(page)
    page.fill("input[name=occupation]", occupation)
    page.click("#save")

    expect(page).to_have_url(re.compile(f"/customers/{target.id}$"))
    expect(page.locator(".flash")).to_have_text("Đã lưu.")
    expect(page.locator("#demographics")).to_contain_text(occupation)
    assert scalar(server, "SELECT occupation FROM profile WHERE id = :id", id=target.id) == (
        occupation
    )
    # Saving the form must not drop what the form does not show (ids, attributes, ...).
    assert profile_snapshot(server, target.id) == before


# --- 6. language ------------------------------------------------------------------------------


def test_switch_language_to_english_and_back(user_page: Page, server: LiveServer) -> None:
    page = user_page
    expect(page.locator("#lang-switch")).to_have_text("English")
    page.click("#lang-switch")
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Customers")
    expect(page.locator("form.search button[type=submit]")).to_have_text("Search")
    expect(page.locator("#result-count")).to_have_text(re.compile(r"\d+ customers"))
    expect(page.locator("#lang-switch")).to_have_text("Tiếng Việt")
    assert_no_raw_keys(page)

    # The choice sticks across pages, and the switch returns to the page it was used on.
    target = live_profiles(server, "full_name <> ''")[3]
    page.goto(f"/customers/{target.id}")
    expect(page.locator("#timeline h2")).to_have_text("Timeline")
    expect(page.locator("#orders h2")).to_have_text("Orders")
    assert_no_raw_keys(page)
    page.click("#lang-switch")
    expect(page).to_have_url(re.compile(f"/customers/{target.id}$"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#timeline h2")).to_have_text("Dòng thời gian")
    expect(page.locator("header.topbar nav a[href='/customers']")).to_have_text("Khách hàng")


# --- 7. notes ---------------------------------------------------------------------------------


def test_add_a_note(user_page: Page, server: LiveServer) -> None:
    page = user_page
    target = live_profiles(server, "full_name <> ''")[7]
    body = f"Khách hẹn thứ Bảy quay lại thử size M ({secrets.token_hex(3)})"
    page.goto(f"/customers/{target.id}")
    notes = page.locator("#notes")
    notes.locator("textarea[name=body]").fill(body)
    notes.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(f"/customers/{target.id}#notes$"))
    item = notes.locator("ul.notes li", has_text=body)
    expect(item).to_have_count(1)
    expect(item.locator("small")).to_contain_text("Chủ cửa hàng (demo)")
    expect(page.locator("#timeline li.tl-note", has_text=body)).to_have_count(1)
    assert (
        scalar(
            server,
            "SELECT count(*) FROM note WHERE profile_id = :id AND body = :body",
            id=target.id,
            body=body,
        )
        == 1
    )
    assert_no_raw_keys(page)


# --- internal codes ---------------------------------------------------------------------------

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
EMAIL = re.compile(r"\S+@\S+")


def test_customer_page_shows_no_internal_codes(user_page: Page, server: LiveServer) -> None:
    (target,) = rows(
        server,
        "SELECT p.id FROM profile p WHERE p.workspace_id = :ws AND p.deleted_at IS NULL "
        "AND EXISTS (SELECT 1 FROM interaction i WHERE i.profile_id = p.id AND i.kind LIKE '%\\_%')"
        " AND EXISTS (SELECT 1 FROM profile_identifier x WHERE x.profile_id = p.id"
        " AND x.kind NOT IN ('phone', 'email')) ORDER BY p.id LIMIT 1",
    )
    user_page.goto(f"/customers/{target.id}")
    shown = EMAIL.sub(" ", user_page.inner_text("body"))
    assert sorted(set(SNAKE.findall(shown))) == []
