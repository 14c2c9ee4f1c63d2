"""Web pages through the ASGI test client: login, CSRF, workspaces, roles, redirects.

These use the rolled-back unit-test database (``app_client``, ``db``, ``owner``): what a
request writes disappears with the test.
"""

import re
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hoso.core.actor import Role
from hoso.profiles import service
from hoso.profiles.models import Note, Profile
from hoso.profiles.schemas import ProfileCreate
from hoso.workspaces import service as workspaces
from hoso.workspaces.models import AppUser, Workspace
from tests.conftest import TEST_PASSWORD, make_user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OWNER_EMAIL = "owner@shop.vn"


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def login(
    client: TestClient,
    email: str = OWNER_EMAIL,
    password: str = TEST_PASSWORD,
    next_: str | None = None,
) -> httpx2.Response:
    """Log in the way the browser does: read the form's token, post the form."""
    page = client.get("/login")
    assert page.status_code == 200
    data = {"csrf_token": csrf_of(page.text), "email": email, "password": password}
    if next_ is not None:
        data["next"] = next_
    return client.post("/login", data=data, follow_redirects=False)


def page_token(client: TestClient, path: str = "/customers/new") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return csrf_of(response.text)


def profile_count(db: Session, workspace: Workspace) -> int:
    return (
        db.scalar(
            select(func.count()).select_from(Profile).where(Profile.workspace_id == workspace.id)
        )
        or 0
    )


def add_customer(db: Session, user: AppUser, name: str, phone: str) -> Profile:
    actor = workspaces.actor_for_user(user)
    profile = service.create_profile(
        db, actor=actor, data=ProfileCreate(full_name=name, phones=[phone]), source="ui"
    )
    db.commit()
    return profile


# --- login --------------------------------------------------------------------------------


def test_unauthenticated_pages_redirect_to_login(app_client: TestClient, owner: AppUser) -> None:
    response = app_client.get("/customers", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/customers"
    for path in ("/customers/new", f"/customers/{UUID(int=1)}", "/"):
        followed = app_client.get(path)
        assert followed.url.path == "/login", path
        assert "Đăng nhập" in followed.text
    # An htmx request cannot follow a redirect into its target box: it is told to reload.
    live = app_client.get(
        "/customers?q=lan", headers={"HX-Request": "true"}, follow_redirects=False
    )
    assert live.status_code == 401
    assert live.headers["HX-Redirect"] == "/login"


def test_login_then_the_list(app_client: TestClient, owner: AppUser) -> None:
    response = login(app_client)
    assert response.status_code == 303
    assert response.headers["location"] == "/customers"
    page = app_client.get("/customers")
    assert page.status_code == 200
    assert "<h1>Khách hàng</h1>" in page.text
    assert 'lang="vi"' in page.text


def test_bad_password_is_401_in_vietnamese(app_client: TestClient, owner: AppUser) -> None:
    response = login(app_client, password="wrong password")
    assert response.status_code == 401
    assert "Email hoặc mật khẩu không đúng." in response.text
    assert 'value="owner@shop.vn"' in response.text  # the email is kept for the retry
    assert app_client.get("/customers", follow_redirects=False).status_code == 303
    unknown = login(app_client, email="nobody@shop.vn")
    assert unknown.status_code == 401
    assert "Email hoặc mật khẩu không đúng." in unknown.text  # no hint that the email exists


def test_ui_stays_vietnamese_for_an_english_browser_until_switched(
    app_client: TestClient, owner: AppUser
) -> None:
    app_client.headers["Accept-Language"] = "en-US,en;q=0.9"
    response = login(app_client, password="wrong password")
    assert response.status_code == 401
    assert "Email hoặc mật khẩu không đúng." in response.text
    app_client.get("/lang/en", follow_redirects=False)
    response = login(app_client, password="wrong password")
    assert "Wrong email or password." in response.text


# --- CSRF ---------------------------------------------------------------------------------


def test_post_without_valid_csrf_token_is_refused_and_writes_nothing(
    app_client: TestClient, db: Session, workspace: Workspace, owner: AppUser
) -> None:
    assert login(app_client).status_code == 303
    token = page_token(app_client)
    customer = add_customer(db, owner, "Lê Văn Tám", "0903 123 456")
    before = profile_count(db, workspace)
    form = {"full_name": "Khách Giả Mạo", "phones": "0912 345 678"}

    for sent in ({}, {"csrf_token": ""}, {"csrf_token": token[:-2] + "xx"}):
        response = app_client.post("/customers/new", data={**form, **sent}, follow_redirects=False)
        assert 400 <= response.status_code < 500, sent
        assert "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ" in response.text
        note = app_client.post(
            f"/customers/{customer.id}/notes",
            data={"body": "ghi chú giả", **sent},
            follow_redirects=False,
        )
        assert 400 <= note.status_code < 500, sent
    assert profile_count(db, workspace) == before
    assert (
        db.scalar(select(func.count()).select_from(Note).where(Note.profile_id == customer.id)) == 0
    )

    # Logging out needs the token too (a cross-site page cannot log the user out)...
    assert app_client.post("/logout", data={}, follow_redirects=False).status_code >= 400
    assert app_client.get("/customers", follow_redirects=False).status_code == 200
    # ...and with it the same form goes through.
    created = app_client.post(
        "/customers/new", data={**form, "csrf_token": token}, follow_redirects=False
    )
    assert created.status_code == 303
    assert profile_count(db, workspace) == before + 1


def test_login_form_needs_its_csrf_token(app_client: TestClient, owner: AppUser) -> None:
    response = app_client.post(
        "/login", data={"email": OWNER_EMAIL, "password": TEST_PASSWORD}, follow_redirects=False
    )
    assert 400 <= response.status_code < 500
    assert app_client.get("/customers", follow_redirects=False).status_code == 303


def test_csrf_refusal_is_403(app_client: TestClient, owner: AppUser) -> None:
    assert login(app_client).status_code == 303
    response = app_client.post("/customers/new", data={"full_name": "X"})
    assert response.status_code == 403


# --- workspaces and roles -------------------------------------------------------------------


def test_another_workspaces_customer_is_404(
    app_client: TestClient, db: Session, owner: AppUser
) -> None:
    other_ws = workspaces.create_workspace(db, name="Shop khác")
    db.flush()
    other_owner = workspaces.create_user(
        db,
        workspace_id=other_ws.id,
        email="boss@other.vn",
        password=TEST_PASSWORD,
        display_name="Chủ shop khác",
        role=Role.OWNER,
    )
    foreign = add_customer(db, other_owner, "Phạm Thị Bí Mật", "0977 000 111")

    assert login(app_client).status_code == 303
    token = page_token(app_client)
    page = app_client.get(f"/customers/{foreign.id}")
    assert page.status_code == 404
    assert "Phạm Thị Bí Mật" not in page.text
    assert "Không tìm thấy khách hàng" in page.text
    assert app_client.get(f"/customers/{foreign.id}/edit").status_code == 404
    note = app_client.post(
        f"/customers/{foreign.id}/notes", data={"csrf_token": token, "body": "xem trộm"}
    )
    assert note.status_code == 404
    edit = app_client.post(
        f"/customers/{foreign.id}/edit", data={"csrf_token": token, "full_name": "Đổi tên"}
    )
    assert edit.status_code == 404
    delete = app_client.post(f"/customers/{foreign.id}/delete", data={"csrf_token": token})
    assert delete.status_code == 404
    # Nor does it show up in a search.
    for q in ("Phạm Thị Bí Mật", "pham thi bi mat", "0977000111"):
        assert str(foreign.id) not in app_client.get("/customers", params={"q": q}).text

    db.expire_all()
    still = db.get(Profile, foreign.id)
    assert still is not None
    assert still.full_name == "Phạm Thị Bí Mật"
    assert still.deleted_at is None
    assert (
        db.scalar(select(func.count()).select_from(Note).where(Note.profile_id == foreign.id)) == 0
    )


def test_viewer_cannot_create_or_edit(
    app_client: TestClient, db: Session, workspace: Workspace, owner: AppUser
) -> None:
    viewer = make_user(db, workspace, Role.VIEWER)
    customer = add_customer(db, owner, "Đỗ Minh Châu", "0938 222 333")
    assert login(app_client, email=viewer.email).status_code == 303

    listing = app_client.get("/customers")
    assert listing.status_code == 200
    assert "Đỗ Minh Châu" in listing.text
    page = app_client.get(f"/customers/{customer.id}")
    assert page.status_code == 200
    assert 'id="edit-link"' not in page.text
    assert f'action="/customers/{customer.id}/delete"' not in page.text

    new = app_client.get("/customers/new")
    assert new.status_code == 403
    assert "Bạn không có quyền thực hiện thao tác này" in new.text
    assert app_client.get(f"/customers/{customer.id}/edit").status_code == 403

    before = profile_count(db, workspace)
    token = csrf_of(listing.text)
    created = app_client.post(
        "/customers/new", data={"csrf_token": token, "full_name": "Khách Lậu"}
    )
    assert created.status_code == 403
    edited = app_client.post(
        f"/customers/{customer.id}/edit", data={"csrf_token": token, "full_name": "Tên Khác"}
    )
    assert edited.status_code == 403
    assert profile_count(db, workspace) == before
    db.expire_all()
    assert db.get(Profile, customer.id).full_name == "Đỗ Minh Châu"  # type: ignore[union-attr]


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "https:evil.example",
        "evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_login_never_redirects_off_site(
    app_client: TestClient, owner: AppUser, target: str
) -> None:
    response = login(app_client, next_=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/customers"


def test_login_returns_to_the_page_asked_for(app_client: TestClient, owner: AppUser) -> None:
    form = app_client.get("/login", params={"next": "https://evil.example/"})
    assert 'name="next" value="/customers"' in form.text
    response = login(app_client, next_="/customers/new")
    assert response.headers["location"] == "/customers/new"


def test_language_switch_never_redirects_off_site(app_client: TestClient) -> None:
    response = app_client.get(
        "/lang/en", params={"next": "https://evil.example/"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/customers"
    assert "hoso_lang=en" in response.headers["set-cookie"]
    # A referer from another site is not a place to go back to either.
    response = app_client.get(
        "/lang/vi", headers={"Referer": "https://evil.example/x"}, follow_redirects=False
    )
    assert response.headers["location"] == "/customers"


@pytest.mark.parametrize("target", ["/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/"])
def test_login_redirect_cannot_be_bent_off_site(
    app_client: TestClient, owner: AppUser, target: str
) -> None:
    # Browsers read "/\\host" as "//host" and drop tabs and newlines from URLs: whatever
    # comes back must stay a same-site path even after that.
    response = login(app_client, next_=target)
    location = response.headers["location"]
    browser_view = location.replace("\\", "/").replace("\t", "").replace("\n", "")
    assert browser_view.startswith("/")
    assert not browser_view.startswith("//")


def test_login_redirect_keeps_the_whole_query(app_client: TestClient, owner: AppUser) -> None:
    after = "0190a000-0000-7000-8000-000000000001"
    response = app_client.get(f"/customers?q=lan&after={after}", follow_redirects=False)
    target = urlsplit(response.headers["location"])
    assert parse_qs(target.query)["next"] == [f"/customers?q=lan&after={after}"]
