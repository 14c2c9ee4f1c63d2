"""Event pages through the ASGI client (rolled-back database): sources, board, dead letters."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hoso.core.actor import Actor, Role
from hoso.events import service
from hoso.events.models import DeadLetter, EventSource
from hoso.workspaces.models import AppUser, Workspace
from tests.conftest import make_user
from tests.events.helpers import land, msg
from tests.web.test_pages import login, page_token


def test_owner_creates_rotates_and_disables_a_source(
    app_client: TestClient, db: Session, owner: AppUser
) -> None:
    login(app_client)
    token = page_token(app_client, "/sources")
    created = app_client.post(
        "/sources", data={"csrf_token": token, "name": "Website", "kind": "website"}
    )
    assert created.status_code == 200
    assert "Đã tạo nguồn." in created.text
    source = db.scalar(select(EventSource).where(EventSource.name == "Website"))
    assert source is not None
    key = source.write_key
    assert key in created.text
    assert f"Client(&#34;{key}&#34;" in created.text or f'Client("{key}"' in created.text
    app_client.post(f"/sources/{source.id}/rotate", data={"csrf_token": token})
    db.refresh(source)
    assert source.write_key != key
    app_client.post(f"/sources/{source.id}/disable", data={"csrf_token": token})
    db.refresh(source)
    assert source.enabled is False
    refused = app_client.post("/sources", data={"csrf_token": token, "name": " ", "kind": "fax"})
    assert refused.status_code == 422
    assert "Trường này là bắt buộc." in refused.text
    assert "Giá trị không được phép." in refused.text


def test_staff_without_key_rights_cannot_see_sources(
    app_client: TestClient, db: Session, workspace: Workspace
) -> None:
    user = make_user(db, workspace, Role.SALES)
    db.commit()
    login(app_client, email=user.email)
    assert app_client.get("/sources").status_code == 403


def test_board_and_dead_letters_show_what_arrived(
    app_client: TestClient, db: Session, actor: Actor
) -> None:
    source = service.create_source(db, actor=actor, name="App", kind="app")
    land(
        db,
        source,
        msg("track", userId="u1", event="Product Viewed"),
        msg("page", anonymousId="a1", name="Trang chủ"),
        msg("track", event="Nobody"),
    )
    db.commit()
    login(app_client)
    board = app_client.get("/events/live")
    assert board.status_code == 200
    assert 'id="received-count">2<' in board.text
    assert "Product Viewed" in board.text
    assert 'hx-get="/events/live/panel"' in board.text
    panel = app_client.get("/events/live/panel")
    assert panel.status_code == 200
    assert 'id="dead-count">1<' in panel.text
    letters = app_client.get("/events/dead-letters")
    assert "Sự kiện không có userId lẫn anonymousId" in letters.text
    app_client.cookies.set("hoso_lang", "en")
    english = app_client.get("/events/dead-letters")
    assert "The event has neither userId nor anonymousId" in english.text
    app_client.cookies.delete("hoso_lang")
    letter = db.scalar(select(DeadLetter))
    assert letter is not None
    token = page_token(app_client, "/events/dead-letters")
    app_client.post(f"/events/dead-letters/{letter.id}/discard", data={"csrf_token": token})
    db.refresh(letter)
    assert letter.resolution == "discarded"
    assert re.search(r'id="no-dead-letters"', app_client.get("/events/dead-letters").text)
