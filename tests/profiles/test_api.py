from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from hoso.core.actor import Actor, Role
from hoso.workspaces import service as workspaces
from hoso.workspaces.models import Workspace
from tests.conftest import make_user

LAN: dict[str, Any] = {
    "full_name": "Nguyễn Thị Lan",
    "gender": "female",
    "birth_date": "1990-03-05",
    "phones": ["0903 123 456"],
    "emails": ["lan.nguyen@gmail.com"],
    "addresses": [
        {"line": "12 Lê Lợi", "ward": "Phường Sài Gòn", "province": "Thành phố Hồ Chí Minh"}
    ],
}


def create(api: TestClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = api.post("/api/v1/profiles", json=body or LAN)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_create_read_update_delete(api: TestClient) -> None:
    created = create(api)
    assert created["primary_phone"] == "+84903123456"
    assert created["addresses"][0]["ward"] == "Phường Sài Gòn"

    read = api.get(f"/api/v1/profiles/{created['id']}")
    assert read.status_code == 200
    assert read.json()["given_name"] == "Lan"

    patched = api.patch(
        f"/api/v1/profiles/{created['id']}",
        json={"occupation": "Giáo viên"},
        headers={"If-Match": "1"},
    )
    assert patched.status_code == 200
    assert patched.json()["occupation"] == "Giáo viên"
    assert patched.json()["version"] == 2

    stale = api.patch(
        f"/api/v1/profiles/{created['id']}", json={"occupation": "X"}, headers={"If-Match": "1"}
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_profile"

    assert api.delete(f"/api/v1/profiles/{created['id']}").status_code == 204
    gone = api.get(f"/api/v1/profiles/{created['id']}")
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "query",
    ["0903 123 456", "+84903123456", "84-903-123-456", "0903.123.456", "903123456"],
)
def test_search_by_any_phone_format(api: TestClient, query: str) -> None:
    created = create(api)
    found = api.get("/api/v1/profiles/search", params={"q": query}).json()["items"]
    assert [p["id"] for p in found] == [created["id"]]
    assert found[0]["match"] == "phone"


def test_search_by_legacy_prefix_finds_converted_number(api: TestClient) -> None:
    created = create(api, {**LAN, "phones": ["0362 345 678"]})
    found = api.get("/api/v1/profiles/search", params={"q": "0166 2345 678"}).json()["items"]
    assert [p["id"] for p in found] == [created["id"]]


def test_search_email_any_case(api: TestClient) -> None:
    created = create(api)
    found = api.get("/api/v1/profiles/search", params={"q": "LAN.Nguyen@GMAIL.com"}).json()
    assert [p["id"] for p in found["items"]] == [created["id"]]


def test_search_name_without_diacritics_and_exact_first(api: TestClient) -> None:
    exact = create(api)
    other = create(api, {"full_name": "Nguyễn Thị Lân", "phones": ["0912 888 777"]})
    unrelated = create(api, {"full_name": "Trần Văn Hùng", "phones": ["0913 222 111"]})

    folded = api.get("/api/v1/profiles/search", params={"q": "nguyen thi lan"}).json()["items"]
    assert {p["id"] for p in folded} == {exact["id"], other["id"]}

    accented = api.get("/api/v1/profiles/search", params={"q": "Nguyễn Thị Lân"}).json()["items"]
    assert accented[0]["id"] == other["id"]
    assert accented[0]["match"] == "name_exact"
    assert unrelated["id"] not in {p["id"] for p in accented}


def test_search_by_given_name_and_western_order(api: TestClient) -> None:
    created = create(api)
    for query in ("lan", "Lan Nguyen", "lan nguyen thi"):
        found = api.get("/api/v1/profiles/search", params={"q": query}).json()["items"]
        assert created["id"] in [p["id"] for p in found], query


def test_search_substring_fallback(api: TestClient) -> None:
    created = create(api, {"full_name": "Phạm Ngọc Bảo Trâm", "phones": ["0933 444 555"]})
    found = api.get("/api/v1/profiles/search", params={"q": "bao tram"}).json()["items"]
    assert [p["id"] for p in found] == [created["id"]]
    assert found[0]["match"] == "name_contains"


def test_keyset_pagination_visits_every_profile_once(api: TestClient) -> None:
    ids = {create(api, {"full_name": f"Khách {i}"})["id"] for i in range(7)}
    seen: list[str] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if after:
            params["after"] = after
        page = api.get("/api/v1/profiles", params=params).json()
        seen.extend(p["id"] for p in page["items"])
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == ids


def test_validation_errors_name_each_field_in_vietnamese(api: TestClient) -> None:
    response = api.post(
        "/api/v1/profiles",
        json={
            **LAN,
            "phones": ["0903 123 456", "123"],
            "emails": ["khong-phai-email"],
            "birth_date": "30/02/1991",
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["code"] == "validation_failed"
    by_field = {e["field"]: e for e in body["errors"]}
    assert by_field["phones.1"]["code"] == "invalid_phone"
    assert by_field["phones.1"]["message"] == "Số điện thoại không hợp lệ: 123."
    assert by_field["emails.0"]["message"] == "Email không hợp lệ."
    assert by_field["birth_date"]["code"] == "invalid_date"


def test_validation_errors_in_english_on_request(api: TestClient) -> None:
    response = api.post(
        "/api/v1/profiles",
        json={"full_name": "A", "phones": ["123"]},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert response.json()["errors"][0]["message"] == "Invalid phone number: 123."
    assert response.json()["detail"] == "Some fields are invalid; please check the marked fields."


def test_schema_errors_use_the_same_envelope(api: TestClient) -> None:
    response = api.post(
        "/api/v1/profiles", json={"full_name": "A", "gender": "robot", "nickname": "x"}
    )
    assert response.status_code == 422
    codes = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert codes == {"gender": "not_allowed", "nickname": "unexpected_field"}


def test_malformed_json_is_400(api: TestClient) -> None:
    response = api.post(
        "/api/v1/profiles",
        content=b'{"full_name": "Lan",',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


def test_no_key_is_401_and_bad_key_is_401(app_client: TestClient) -> None:
    assert app_client.get("/api/v1/profiles").status_code == 401
    bad = app_client.get("/api/v1/profiles", headers={"Authorization": "Bearer hoso_x_y"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "invalid_api_key"


def test_missing_permission_is_403(
    app_client: TestClient, db: Session, workspace: Workspace, actor: Actor
) -> None:
    issued = workspaces.create_api_key(
        db, workspace_id=workspace.id, name="readonly", scopes=["profiles:read"], actor=actor
    )
    db.commit()
    response = app_client.post(
        "/api/v1/profiles", json=LAN, headers={"Authorization": f"Bearer {issued.secret}"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert response.json()["permission"] == "profiles:write"


def test_viewer_cannot_issue_write_scopes(db: Session, workspace: Workspace) -> None:
    viewer = workspaces.actor_for_user(make_user(db, workspace, Role.VIEWER))
    from hoso.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        workspaces.create_api_key(
            db, workspace_id=workspace.id, name="x", scopes=["profiles:read"], actor=viewer
        )


def test_unknown_profile_is_404(api: TestClient) -> None:
    response = api.get(
        "/api/v1/profiles/01900000-0000-7000-8000-000000000000", headers={"Accept-Language": "vi"}
    )
    assert response.status_code == 404
    assert response.json()["detail"].startswith("Không tìm thấy khách hàng")


def test_idempotency_key_header(api: TestClient, db: Session) -> None:
    first = api.post("/api/v1/profiles", json=LAN, headers={"Idempotency-Key": "abc"})
    second = api.post("/api/v1/profiles", json=LAN, headers={"Idempotency-Key": "abc"})
    assert first.json()["id"] == second.json()["id"]
    assert db.scalar(text("SELECT count(*) FROM profile")) == 1


def test_notes_interactions_orders_and_timeline(api: TestClient) -> None:
    pid = create(api)["id"]
    note = api.post(f"/api/v1/profiles/{pid}/notes", json={"body": "Thích màu pastel"})
    assert note.status_code == 201
    interaction = api.post(
        f"/api/v1/profiles/{pid}/interactions",
        json={
            "channel": "phone",
            "kind": "call",
            "direction": "outbound",
            "summary": "Gọi tư vấn bộ sưu tập Tết",
            "properties": {"duration_s": 180},
        },
    )
    assert interaction.status_code == 201
    order = api.post(
        f"/api/v1/profiles/{pid}/orders",
        json={
            "channel": "pos",
            "external_id": "HD1",
            "store": "Quận 1",
            "items": [
                {"name": "Áo dài", "quantity": 1, "unit_price": 1200000},
                {"name": "Khăn lụa", "quantity": 2, "unit_price": 150000},
            ],
        },
    )
    assert order.status_code == 201
    assert order.json()["total"] == "1500000.00"
    duplicate = api.post(
        f"/api/v1/profiles/{pid}/orders",
        json={
            "channel": "pos",
            "external_id": "HD1",
            "items": [{"name": "x", "quantity": 1, "unit_price": 1}],
        },
    )
    assert duplicate.status_code == 409
    timeline = api.get(f"/api/v1/profiles/{pid}/timeline").json()
    assert [e["type"] for e in timeline["items"]].count("order") == 1
    assert {e["type"] for e in timeline["items"]} == {"note", "interaction", "order"}
    assert len(api.get(f"/api/v1/profiles/{pid}/orders").json()[0]["items"]) == 2


def test_identifier_endpoints(api: TestClient) -> None:
    pid = create(api)["id"]
    added = api.post(
        f"/api/v1/profiles/{pid}/identifiers",
        json={"kind": "external_id", "namespace": "kiotviet", "value": "KH000123"},
    )
    assert added.status_code == 201
    listed = api.get(f"/api/v1/profiles/{pid}/identifiers").json()
    assert {i["kind"] for i in listed} == {"phone", "email", "external_id"}
    bad = api.post(f"/api/v1/profiles/{pid}/identifiers", json={"kind": "phone", "value": "12"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "value"
    assert api.delete(f"/api/v1/profiles/{pid}/identifiers/{added.json()['id']}").status_code == 204


def test_openapi_is_published(api: TestClient) -> None:
    spec = api.get("/api/v1/openapi.json").json()
    assert "/profiles/search" in spec["paths"]
    assert "/profiles/{profile_id}/timeline" in spec["paths"]
