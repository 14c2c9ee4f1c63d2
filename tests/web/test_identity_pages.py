"""Identity pages through the ASGI test client: review queue, compare, merge, undo, settings."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hoso.core.actor import Actor, Role
from hoso.identity import service as identity
from hoso.identity.models import IdentityMerge, IdentityPair
from hoso.profiles import service as profiles
from hoso.profiles.models import Profile
from hoso.profiles.schemas import ProfileCreate
from hoso.workspaces.models import Workspace
from tests.conftest import make_user
from tests.web.test_pages import csrf_of, login


def create(db: Session, actor: Actor, source: str = "api", **fields: object) -> Profile:
    return profiles.create_profile(
        db, actor=actor, data=ProfileCreate.model_validate(fields), source=source
    )


def pending_pair(db: Session, actor: Actor, a: Profile, b: Profile, p: float) -> IdentityPair:
    pair = IdentityPair(
        workspace_id=actor.workspace_id,
        profile_a=min(a.id, b.id),
        profile_b=max(a.id, b.id),
        probability=p,
        explanation=[
            {
                "comparison": "phone",
                "label": "Phone",
                "label_vi": "Số điện thoại",
                "level": "exact",
                "level_label": "exact match",
                "level_label_vi": "trùng khớp",
                "left": {},
                "right": {},
                "weight": 12.5,
                "agrees": True,
            }
        ],
    )
    db.add(pair)
    db.flush()
    return pair


def test_review_queue_compare_and_accept(app_client: TestClient, db: Session, actor: Actor) -> None:
    lan = create(db, actor, full_name="Nguyễn Thị Lan", phones=["0903 123 456"])
    lan2 = create(db, actor, full_name="lan nguyen", phones=["0903123456"], emails=["lan@x.vn"])
    hung = create(db, actor, full_name="Trần Văn Hùng", phones=["0912 345 678"])
    hung2 = create(db, actor, full_name="Tran Van Hung", emails=["hung@y.vn"])
    first = pending_pair(db, actor, lan, lan2, 0.97)
    second = pending_pair(db, actor, hung, hung2, 0.88)
    db.commit()
    login(app_client)

    queue = app_client.get("/identity/review")
    assert queue.status_code == 200
    assert queue.text.index(str(first.id)) < queue.text.index(str(second.id))  # likeliest first
    assert "97.0%" in queue.text

    page = app_client.get(f"/identity/pairs/{first.id}")
    assert page.status_code == 200
    assert "Số điện thoại" in page.text  # the explanation, in Vietnamese
    assert 'class="cmp-same" data-row="phones"' in page.text  # same phone highlighted
    response = app_client.post(
        f"/identity/pairs/{first.id}/accept",
        data={"csrf_token": csrf_of(page.text), "survivor": str(lan2.id)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/identity/pairs/{second.id}"  # on to the next
    merge = db.scalar(select(IdentityMerge).where(IdentityMerge.survivor_id == lan2.id))
    assert merge is not None
    assert merge.merged_id == lan.id

    # The merged customer's address now leads to the survivor.
    moved = app_client.get(f"/customers/{lan.id}", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/customers/{lan2.id}"
    survivor = app_client.get(f"/customers/{lan2.id}")
    assert "Nguyễn Thị Lan" in survivor.text  # survivorship kept the fuller name
    assert "undo-merge" in survivor.text

    reject = app_client.post(
        f"/identity/pairs/{second.id}/reject",
        data={"csrf_token": csrf_of(survivor.text)},
        follow_redirects=False,
    )
    assert reject.headers["location"] == "/identity/review"
    db.refresh(second)
    assert second.status == "rejected"


def test_undo_from_the_customer_page(app_client: TestClient, db: Session, actor: Actor) -> None:
    a = create(db, actor, full_name="Lê Văn Nam", phones=["0903 000 111"])
    b = create(db, actor, full_name="Le Van Nam", emails=["nam@z.vn"], occupation="Kỹ sư")
    merge = identity.merge_profiles(db, actor=actor, survivor_id=a.id, merged_id=b.id, reason="t")
    db.commit()
    login(app_client)
    page = app_client.get(f"/customers/{a.id}")
    assert "Kỹ sư" in page.text
    response = app_client.post(
        f"/identity/merges/{merge.id}/undo",
        data={"csrf_token": csrf_of(page.text), "back": f"/customers/{a.id}"},
        follow_redirects=False,
    )
    assert response.headers["location"] == f"/customers/{a.id}"
    after = app_client.get(f"/customers/{a.id}")
    assert "Kỹ sư" not in after.text
    assert app_client.get(f"/customers/{b.id}").status_code == 200
    log = app_client.get("/identity/merges")
    assert "merge-undone" in log.text


def test_manual_merge_from_search(app_client: TestClient, db: Session, actor: Actor) -> None:
    a = create(db, actor, full_name="Đỗ Thị Mai", phones=["0903 222 444"])
    b = create(db, actor, full_name="Do Thi Mai", emails=["mai@q.vn"])
    db.commit()
    login(app_client)
    choose = app_client.get(f"/customers/{a.id}/merge", params={"q": "do thi mai"})
    assert f"/customers/{a.id}/merge/{b.id}" in choose.text
    compare = app_client.get(f"/customers/{a.id}/merge/{b.id}")
    assert compare.status_code == 200
    done = app_client.post(
        f"/customers/{a.id}/merge/{b.id}",
        data={"csrf_token": csrf_of(compare.text), "survivor": str(a.id)},
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/customers/{a.id}"
    db.expire_all()
    assert db.get_one(Profile, b.id).merged_into_id == a.id


def test_sales_staff_see_but_cannot_merge(
    app_client: TestClient, db: Session, actor: Actor, workspace: Workspace
) -> None:
    a = create(db, actor, full_name="Phan Văn Tài", phones=["0903 555 000"])
    b = create(db, actor, full_name="Phan Van Tai", phones=["0903555000"])
    pair = pending_pair(db, actor, a, b, 0.9)
    user = make_user(db, workspace, Role.SALES)
    db.commit()
    login(app_client, email=user.email)
    page = app_client.get(f"/identity/pairs/{pair.id}")
    assert page.status_code == 200
    assert 'id="accept"' not in page.text
    refused = app_client.post(
        f"/identity/pairs/{pair.id}/accept",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert app_client.get(f"/customers/{a.id}/merge").status_code == 403


def test_settings_and_bulk_accept(app_client: TestClient, db: Session, actor: Actor) -> None:
    made = [
        create(db, actor, full_name=f"Khách {n}", phones=[f"0903 100 {n:03d}"]) for n in range(6)
    ]
    high = pending_pair(db, actor, made[0], made[1], 0.99)
    also = pending_pair(db, actor, made[2], made[3], 0.96)
    low = pending_pair(db, actor, made[4], made[5], 0.85)
    db.commit()
    login(app_client)
    page = app_client.get("/identity/review")
    response = app_client.post(
        "/identity/review/accept-above",
        data={"csrf_token": csrf_of(page.text), "min_probability": "0.95"},
        follow_redirects=True,
    )
    assert "Đã gộp 2 cặp." in response.text
    for pair, status in ((high, "merged"), (also, "merged"), (low, "pending")):
        db.refresh(pair)
        assert pair.status == status

    settings_page = app_client.get("/identity/settings")
    bad = app_client.post(
        "/identity/settings",
        data={
            "csrf_token": csrf_of(settings_page.text),
            "auto_merge_threshold": "0.9",
            "review_threshold": "0.95",
        },
    )
    assert bad.status_code == 400
    ok = app_client.post(
        "/identity/settings",
        data={
            "csrf_token": csrf_of(settings_page.text),
            "auto_merge_threshold": "0.98",
            "review_threshold": "0.7",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    saved = identity.get_settings(db, workspace_id=actor.workspace_id)
    db.refresh(saved)
    assert (saved.auto_merge_threshold, saved.review_threshold, saved.auto_merge) == (
        0.98,
        0.7,
        False,
    )


def test_lineage_shows_every_source(app_client: TestClient, db: Session, actor: Actor) -> None:
    a = create(db, actor, source="pos:kiotviet", full_name="Nguyễn Văn Bình")
    b = create(db, actor, source="event:website", full_name="binh nguyen", occupation="Tài xế")
    identity.merge_profiles(db, actor=actor, survivor_id=a.id, merged_id=b.id, reason="t")
    db.commit()
    login(app_client)
    page = app_client.get(f"/customers/{a.id}").text
    lineage = page[page.index('id="lineage"') :]
    assert "binh nguyen" in lineage  # the losing value is shown with its source
    assert "nguồn tin cậy nhất" in lineage  # and why the other one won
