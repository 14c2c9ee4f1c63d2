"""The import pages through the app (TestClient, rolled-back database), with the queued job
run explicitly by the same runner `hoso serve` and `hoso worker` use."""

import io
import re
from uuid import UUID

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hoso.core.jobs import Job
from hoso.ingest.models import ImportBatch
from hoso.jobs.registry import HANDLERS
from hoso.jobs.runner import run_until_empty
from hoso.profiles.models import Profile, ProfileIdentifier
from hoso.workspaces.models import AppUser
from tests.web.test_pages import csrf_of, login

CSV = (
    "Tên khách hàng,Điện thoại,Email,Zalo ID\n"
    "Nguyễn Thị Lan,0903 123 456,lan@gmail.com,5512345678901234567\n"
    "Trần Văn Hùng,0168 555 1234,,\n"
    "Lê Văn Tám,12345,,\n"
).encode()


def upload(client: TestClient, content: bytes = CSV, name: str = "khach-hang.csv") -> str:
    token = csrf_of(client.get("/imports").text)
    response = client.post(
        "/imports",
        data={"csrf_token": token},
        files={"file": (name, io.BytesIO(content), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def live(db: Session) -> int:
    return int(
        db.scalar(select(func.count()).select_from(Profile).where(Profile.deleted_at.is_(None)))
        or 0
    )


def test_upload_preview_run_download_undo(
    app_client: TestClient, owner: AppUser, db: Session, session_factory: sessionmaker[Session]
) -> None:
    assert login(app_client).status_code == 303
    preview_url = upload(app_client)
    page = app_client.get(preview_url)
    assert page.status_code == 200
    html = page.text
    assert "Xem trước" in html
    counts = re.findall(r'<span class="stat[^"]*">(\d+)</span>', html)
    assert counts[:4] == ["2", "0", "0", "1"]  # create, update, unchanged, rejected
    assert "Dòng 4" in html
    assert "Số điện thoại không hợp lệ: 12345." in html
    assert re.search(r'name="map__2"[^>]*>.*?<option value="phone" selected', html, re.S)
    assert live(db) == 0

    upload_id = preview_url.rsplit("/", 1)[1]
    commit = app_client.post(
        f"/imports/uploads/{upload_id}/commit",
        data={"csrf_token": csrf_of(html), "valid_rows": "1"},
        follow_redirects=False,
    )
    assert commit.status_code == 303
    batch_url = commit.headers["location"]
    assert 'data-status="pending"' in app_client.get(batch_url).text
    assert db.scalar(select(func.count()).select_from(Job)) == 1

    assert run_until_empty(session_factory, HANDLERS) == 1
    status = app_client.get(batch_url).text
    assert 'data-status="committed"' in status
    assert live(db) == 2
    zalo = db.scalars(
        select(ProfileIdentifier.value)
        .join(Profile)
        .where(Profile.given_name == "Lan", ProfileIdentifier.kind == "zalo_id")
    ).all()
    assert zalo == ["5512345678901234567"]
    job = db.scalars(select(Job)).one()
    assert job.status == "done"

    rejected = app_client.get(f"{batch_url}/rejected.xlsx")
    assert rejected.status_code == 200
    sheet = load_workbook(io.BytesIO(rejected.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Dòng"
    assert rows[0][-1] == "Lý do"
    assert rows[1][0] == 4
    assert "12345" in str(rows[1][-1])

    undo = app_client.post(
        f"{batch_url}/undo", data={"csrf_token": csrf_of(status)}, follow_redirects=False
    )
    assert undo.status_code == 303
    assert live(db) == 0
    batch = db.get_one(ImportBatch, UUID(batch_url.rsplit("/", 1)[1]), populate_existing=True)
    assert batch.status == "undone"
    page = app_client.get(undo.headers["location"])
    assert "Đã hoàn tác lần nhập: gỡ 2 khách hàng" in page.text


def test_all_or_nothing_job_imports_nothing(
    app_client: TestClient, owner: AppUser, db: Session, session_factory: sessionmaker[Session]
) -> None:
    assert login(app_client).status_code == 303
    preview_url = upload(app_client)
    html = app_client.get(preview_url).text
    commit = app_client.post(
        f"/imports/uploads/{preview_url.rsplit('/', 1)[1]}/commit",
        data={"csrf_token": csrf_of(html)},
        follow_redirects=False,
    )
    run_until_empty(session_factory, HANDLERS)
    status = app_client.get(commit.headers["location"]).text
    assert 'data-status="failed"' in status
    assert "Không dòng nào được nhập" in status
    assert live(db) == 0


def test_remapping_a_column(app_client: TestClient, owner: AppUser) -> None:
    assert login(app_client).status_code == 303
    preview_url = upload(app_client)
    html = app_client.get(preview_url).text
    upload_id = preview_url.rsplit("/", 1)[1]
    again = app_client.post(
        f"/imports/uploads/{upload_id}/preview",
        data={"csrf_token": csrf_of(html), "map__2": "ignore"},
    )
    assert again.status_code == 200
    assert re.search(r'name="map__2"[^>]*>.*?<option value="ignore" selected', again.text, re.S)
    counts = re.findall(r'<span class="stat[^"]*">(\d+)</span>', again.text)
    assert counts[3] == "0"  # with the phone column ignored, no phone can be invalid


def test_not_a_spreadsheet_is_explained(app_client: TestClient, owner: AppUser) -> None:
    assert login(app_client).status_code == 303
    preview_url = upload(app_client, b"%PDF-1.4\n" + b"x" * 500, "bao-cao.pdf")
    page = app_client.get(preview_url)
    assert page.status_code == 400
    assert "Không đọc được tệp này." in page.text


def test_save_a_mapping_and_choose_it_next_time(app_client: TestClient, owner: AppUser) -> None:
    assert login(app_client).status_code == 303
    preview_url = upload(app_client)
    html = app_client.get(preview_url).text
    upload_id = preview_url.rsplit("/", 1)[1]
    saved = app_client.post(
        f"/imports/uploads/{upload_id}/preview",
        data={"csrf_token": csrf_of(html), "map__3": "ignore", "save_as": "Mẫu của tôi"},
    )
    assert saved.status_code == 200
    listing = app_client.get("/imports").text
    assert '<option value="Mẫu của tôi">' in listing
    token = csrf_of(listing)
    response = app_client.post(
        "/imports",
        data={"csrf_token": token, "preset": "Mẫu của tôi"},
        files={"file": ("k.csv", io.BytesIO(CSV), "text/csv")},
        follow_redirects=False,
    )
    page = app_client.get(response.headers["location"]).text
    assert re.search(r'name="map__3"[^>]*>.*?<option value="ignore" selected', page, re.S)
