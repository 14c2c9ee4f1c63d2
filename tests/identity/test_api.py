"""The identity API: merge, undo, review decisions and lineage, with the key's scopes."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoso.core.actor import Actor
from hoso.identity.models import IdentityPair
from hoso.workspaces import service as workspaces
from hoso.workspaces.models import Workspace


def create(api: TestClient, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v1/profiles", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_merge_lineage_and_undo(api: TestClient, db: Session, actor: Actor) -> None:
    a = create(api, full_name="Nguyễn Thị Lan", phones=["0903 123 456"])
    b = create(api, full_name="lan nguyen", emails=["lan@x.vn"], occupation="Giáo viên")
    api.headers["Accept-Language"] = "en"

    merged = api.post(
        "/api/v1/identity/merges",
        json={"survivor_id": a["id"], "merged_id": b["id"], "reason": "same customer"},
    )
    assert merged.status_code == 201, merged.text
    decision = merged.json()
    assert decision["method"] == "manual"
    assert decision["status"] == "active"
    assert api.get(f"/api/v1/profiles/{b['id']}").status_code == 404
    survivor = api.get(f"/api/v1/profiles/{a['id']}").json()
    assert survivor["occupation"] == "Giáo viên"
    assert {i["value"] for i in survivor["identifiers"]} == {"+84903123456", "lan@x.vn"}

    lineage = {f["field"]: f for f in api.get(f"/api/v1/profiles/{a['id']}/lineage").json()}
    names = lineage["full_name"]
    assert names["rule"] == "most_complete"
    assert [v["value"] for v in names["values"] if v["chosen"]] == ["Nguyễn Thị Lan"]
    assert {v["value"] for v in names["values"]} == {"Nguyễn Thị Lan", "lan nguyen"}

    again = api.post("/api/v1/identity/merges", json={"survivor_id": a["id"], "merged_id": b["id"]})
    assert again.status_code == 409
    assert again.json()["code"] == "profile_merged_away"

    history = api.get("/api/v1/identity/merges", params={"profile_id": a["id"]}).json()
    assert [m["id"] for m in history["items"]] == [decision["id"]]

    undone = api.post(
        f"/api/v1/identity/merges/{decision['id']}/undo", json={"reason": "two people"}
    )
    assert undone.status_code == 200
    assert undone.json()["status"] == "undone"
    assert api.get(f"/api/v1/profiles/{b['id']}").json()["occupation"] == "Giáo viên"
    twice = api.post(f"/api/v1/identity/merges/{decision['id']}/undo")
    assert twice.status_code == 409
    assert twice.json()["code"] == "merge_already_undone"


def test_review_pairs(api: TestClient, db: Session, actor: Actor) -> None:
    a = create(api, full_name="Trần Văn Hùng", phones=["0912 345 678"])
    b = create(api, full_name="Tran Van Hung", emails=["hung@x.vn"])
    c = create(api, full_name="Trần Văn Hùng", emails=["hung2@x.vn"])
    pairs = []
    for x, y, p in ((a, b, 0.9), (a, c, 0.85)):
        ids = sorted([x["id"], y["id"]])
        pair = IdentityPair(
            workspace_id=actor.workspace_id, profile_a=ids[0], profile_b=ids[1], probability=p
        )
        db.add(pair)
        pairs.append(pair)
    db.commit()

    listed = api.get("/api/v1/identity/pairs").json()["items"]
    assert [p["probability"] for p in listed] == [0.9, 0.85]
    accepted = api.post(
        f"/api/v1/identity/pairs/{pairs[0].id}/accept", json={"survivor_id": b["id"]}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["survivor_id"] == b["id"]
    rejected = api.post(f"/api/v1/identity/pairs/{pairs[1].id}/reject")
    assert rejected.status_code == 409  # obsolete: a was merged into b meanwhile
    assert rejected.json()["code"] == "pair_already_decided"
    assert api.get("/api/v1/identity/pairs").json()["items"] == []


def test_merging_needs_the_merge_scope(
    app_client: TestClient, db: Session, workspace: Workspace, actor: Actor
) -> None:
    key = workspaces.create_api_key(
        db,
        workspace_id=workspace.id,
        name="pos",
        actor=actor,
        scopes=["profiles:read", "profiles:write"],
    )
    db.commit()
    app_client.headers["Authorization"] = f"Bearer {key.secret}"
    a = create(app_client, full_name="Lê Hoa")
    b = create(app_client, full_name="Le Hoa")
    refused = app_client.post(
        "/api/v1/identity/merges", json={"survivor_id": a["id"], "merged_id": b["id"]}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
