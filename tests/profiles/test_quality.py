from datetime import date
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hoso.core.actor import Actor
from hoso.profiles import quality, queries, service
from hoso.profiles.models import Profile, QualitySnapshot
from hoso.profiles.schemas import ProfileCreate, ProfileUpdate
from hoso.workspaces.models import AppUser, Workspace
from tests.web.test_pages import csrf_of, login


def make(db: Session, actor: Actor, **fields: object) -> Profile:
    return service.create_profile(db, actor=actor, data=ProfileCreate.model_validate(fields))


@pytest.fixture
def shop(db: Session, actor: Actor) -> dict[str, Profile]:
    return {
        "complete": make(
            db,
            actor,
            full_name="Nguyễn Thị Lan",
            phones=["0903 123 456"],
            birth_date="25/03/1990",
            gender="female",
            addresses=[{"line": "12 Lê Lợi", "province": "TP Hồ Chí Minh"}],
        ),
        "company": make(db, actor, full_name="Công ty TNHH Hoa Mai", phones=["0283 8123 456"]),
        "mother": make(db, actor, full_name="Trần Thị Hoa", phones=["0912 345 670"]),
        "daughter": make(
            db, actor, full_name="Lê Thu Hà", phones=["0912 345 670"], emails=["info@hoamai.vn"]
        ),
        "ambiguous": make(
            db, actor, full_name="Phạm Văn Nam", emails=["nam@gmail.com"], birth_date="05/03/90"
        ),
    }


def test_problems_are_counted_and_listed_by_the_same_definition(
    db: Session, actor: Actor, workspace: Workspace, shop: dict[str, Profile]
) -> None:
    required = quality.required_fields(workspace.required_fields)
    figures = quality.report(db, workspace_id=actor.workspace_id, required=required)
    assert figures.profiles == 5
    expected = {
        "name_organisation": {"company"},
        "phone_shared": {"mother", "daughter"},
        "email_role_account": {"daughter"},
        "missing_phone": {"ambiguous"},
        "birth_date_ambiguous": {"ambiguous"},
        "birth_date_two_digit_year": {"ambiguous"},
        "no_contact": set(),
    }
    ids = {name: p.id for name, p in shop.items()}
    for code, names in expected.items():
        assert figures.problems[code] == len(names), code
        rows, _ = queries.list_profiles(db, workspace_id=actor.workspace_id, problem=code)
        assert {p.id for p in rows} == {ids[n] for n in names}, code
    assert queries.list_profiles(db, workspace_id=actor.workspace_id, problem="nonsense")[0] == []


def test_completeness_against_required_fields(
    db: Session, actor: Actor, shop: dict[str, Profile]
) -> None:
    required = quality.required_fields([])
    assert required == quality.DEFAULT_REQUIRED
    complete = service.access_profile(db, actor=actor, profile_id=shop["complete"].id)
    assert quality.completeness(complete, required) == (1.0, [])
    company = service.access_profile(db, actor=actor, profile_id=shop["company"].id)
    score, missing = quality.completeness(company, required)
    assert missing == ["birth_date", "gender", "addresses"]
    assert score == pytest.approx(2 / 5)
    figures = quality.report(db, workspace_id=actor.workspace_id, required=required)
    # complete 5/5, company 2/5, mother 2/5, daughter 2/5, ambiguous 2/5 (name + birth date)
    assert figures.completeness == pytest.approx((5 + 2 + 2 + 2 + 2) / 25)


def test_fixing_a_name_clears_its_flag(db: Session, actor: Actor, shop: dict[str, Profile]) -> None:
    company = shop["company"]
    assert "name_organisation" in company.quality_flags
    fixed = service.update_profile(
        db,
        actor=actor,
        profile_id=company.id,
        data=ProfileUpdate(full_name="Đỗ Thị Mai"),
    )
    assert fixed.quality_flags == []


def test_snapshot_keeps_one_row_per_day(
    db: Session, actor: Actor, workspace: Workspace, shop: dict[str, Profile]
) -> None:
    required = quality.required_fields(workspace.required_fields)
    figures = quality.report(db, workspace_id=actor.workspace_id, required=required)
    quality.record_snapshot(db, workspace_id=actor.workspace_id, figures=figures)
    quality.record_snapshot(db, workspace_id=actor.workspace_id, figures=figures)
    rows = db.scalars(select(QualitySnapshot)).all()
    assert len(rows) == 1
    again = quality.report(db, workspace_id=actor.workspace_id, required=required)
    assert [day for day, _ in again.trend] == [rows[0].day]
    assert again.trend[0][1] == pytest.approx(figures.completeness)
    assert isinstance(rows[0].day, date)


def test_quality_page_links_to_the_affected_customers(
    app_client: TestClient, owner: AppUser, shop: dict[str, Profile]
) -> None:
    assert login(app_client).status_code == 303
    page = app_client.get("/quality")
    assert page.status_code == 200
    assert "Chất lượng dữ liệu" in page.text
    assert 'data-count="phone_shared">2<' in page.text
    listed = app_client.get("/customers", params={"problem": "phone_shared"})
    assert "Số điện thoại dùng chung với khách khác" in listed.text
    assert "Trần Thị Hoa" in listed.text
    assert "Lê Thu Hà" in listed.text
    assert "Nguyễn Thị Lan" not in listed.text
    detail = app_client.get(f"/customers/{shop['company'].id}")
    assert "Hồ sơ đầy đủ 40%" in detail.text
    assert "Tên giống tên công ty/cửa hàng" in detail.text


def test_owner_chooses_the_required_fields(
    app_client: TestClient,
    owner: AppUser,
    db: Session,
    workspace: Workspace,
    shop: dict[str, Profile],
) -> None:
    assert login(app_client).status_code == 303
    page = app_client.get("/quality").text
    response = app_client.post(
        "/quality/required",
        follow_redirects=False,
        content="&".join(
            ["csrf_token=" + quote(csrf_of(page)), "required=full_name", "required=phones"]
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303
    db.refresh(workspace)
    assert workspace.required_fields == ["full_name", "phones"]
    detail = app_client.get(f"/customers/{shop['company'].id}")
    assert "Hồ sơ đầy đủ 100%" in detail.text
    refused = app_client.post(
        "/quality/required", data={"csrf_token": csrf_of(page), "required": "shoe_size"}
    )
    assert refused.status_code == 400
    db.refresh(workspace)
    assert workspace.required_fields == ["full_name", "phones"]


def test_viewer_cannot_change_required_fields(db: Session, workspace: Workspace) -> None:
    from hoso.core.actor import Role
    from hoso.core.errors import PermissionDenied
    from hoso.workspaces import service as workspaces
    from tests.conftest import make_user

    viewer = workspaces.actor_for_user(make_user(db, workspace, Role.VIEWER))
    with pytest.raises(PermissionDenied):
        workspaces.set_required_fields(db, actor=viewer, fields=["full_name"])
