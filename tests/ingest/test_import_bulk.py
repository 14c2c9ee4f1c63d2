"""The set-based path across chunk boundaries: every behaviour must hold whatever the chunk
size, so these run with two rows per chunk (a real chunk holds thousands)."""

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from hoso.core.actor import Actor
from hoso.ingest import bulk, jobs
from hoso.ingest import service as ingest
from hoso.ingest.errors import ImportHasRejectedRows
from hoso.ingest.models import ImportBatch, ImportRow
from hoso.profiles import bulk as profiles_bulk
from hoso.profiles import service as profiles
from hoso.profiles.models import Note, Profile, ProfileAddress, ProfileIdentifier, SourceRecord
from hoso.profiles.schemas import ProfileCreate, ProfileUpdate

TODAY = date(2026, 11, 22)
HEADER = ["Mã KH", "Họ và tên", "SĐT", "Email", "Ngày sinh", "Nghề nghiệp", "Điểm", "Ghi chú"]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(
    factory: sessionmaker[Session], db: Session, actor: Actor, path: Path, *, valid: bool = False
) -> ImportBatch:
    plan = ingest.plan_import(db, actor=actor, path=path)
    batch_id = jobs.run_import(factory, actor=actor, plan=plan, valid_rows_only=valid, today=TODAY)
    batch = db.get(ImportBatch, batch_id, populate_existing=True)
    assert batch is not None
    return batch


def outcomes(db: Session, batch: ImportBatch) -> list[tuple[int, str]]:
    return [
        (r.row_number, r.outcome)
        for r in db.scalars(
            select(ImportRow).where(ImportRow.batch_id == batch.id).order_by(ImportRow.row_number)
        )
    ]


def test_repeats_in_later_chunks_update_the_customer_an_earlier_chunk_created(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    rows = [
        ["KH1", "Nguyễn Thị Lan", "0903 123 456", "", "", "", "", "Khách quen"],
        ["KH2", "Trần Văn Hùng", "0912 000 111", "", "", "", "", ""],
        ["", "Nguyễn Thị Lan", "+84903123456", "", "", "", "", "Khách quen"],  # same as row 2
        ["", "", "0903.123.456", "lan@gmail.com", "", "Giáo viên", "", ""],  # adds to row 2
        ["KH1", "Nguyễn Thị Lan", "", "LAN@gmail.com", "", "Giáo viên", "", ""],  # nothing new
    ]
    path = write_csv(tmp_path / "kh.csv", rows)
    plan = ingest.plan_import(db, actor=actor, path=path)
    preview = ingest.preview_import(db, actor=actor, plan=plan, today=TODAY)
    assert (preview.counts["created"], preview.counts["updated"]) == (2, 3)
    assert db.scalar(select(func.count()).select_from(Profile)) == 0

    batch = run(session_factory, db, actor, path)
    assert outcomes(db, batch) == [
        (2, "created"),
        (3, "created"),
        (4, "unchanged"),
        (5, "updated"),
        (6, "unchanged"),
    ]
    lan = db.scalars(select(Profile).where(Profile.given_name == "Lan")).one()
    assert (lan.occupation, lan.primary_email, lan.version) == ("Giáo viên", "lan@gmail.com", 2)
    assert lan.field_sources["occupation"]["source"] == "import:kh.csv"
    assert db.scalar(select(func.count()).select_from(Note)) == 1  # the note is not repeated
    # One source record per applied row, each pointing at its profile.
    assert db.scalar(select(func.count()).select_from(SourceRecord)) == 3
    email = db.scalars(select(ProfileIdentifier).where(ProfileIdentifier.kind == "email")).one()
    record = db.get_one(SourceRecord, email.source_record_id)
    assert (record.source_ref, record.payload["cells"]["Email"]) == ("row 5", "lan@gmail.com")
    assert email.is_primary

    again = run(session_factory, db, actor, path)
    assert {o for _, o in outcomes(db, again)} == {"unchanged"}
    db.expire_all()
    assert db.get_one(Profile, lan.id).version == 2


def test_all_or_nothing_writes_nothing_even_after_full_chunks(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    rows = [[f"KH{i}", f"Khách {i}", f"0903 000 {i:03d}", "", "", "", "", ""] for i in range(5)]
    rows.append(["KH9", "Khách lỗi", "12345", "", "", "", "", ""])
    rows.append(["KH8", "Khách lỗi 2", "", "", "31/02/1990", "", "", ""])
    plan = ingest.plan_import(db, actor=actor, path=write_csv(tmp_path / "bad.csv", rows))
    with pytest.raises(ImportHasRejectedRows) as caught:
        jobs.run_import(session_factory, actor=actor, plan=plan, valid_rows_only=False, today=TODAY)
    assert caught.value.details["rejected"] == 2
    assert db.scalar(select(func.count()).select_from(Profile)) == 0
    assert db.scalar(select(func.count()).select_from(SourceRecord)) == 0
    failed = db.scalars(select(ImportBatch)).one()
    assert (failed.status, failed.rejected_count) == ("failed", 2)


def test_a_row_matching_an_existing_customer_and_a_new_one_is_ambiguous(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    profiles.create_profile(
        db, actor=actor, data=ProfileCreate(full_name="Chị Mai", emails=["mai@gmail.com"])
    )
    db.commit()
    rows = [
        ["KH1", "Lê Văn Tám", "0903 111 222", "", "", "", "", ""],
        ["", "Ai đó", "0903 111 222", "mai@gmail.com", "", "", "", ""],
    ]
    batch = run(session_factory, db, actor, write_csv(tmp_path / "kh.csv", rows), valid=True)
    assert outcomes(db, batch) == [(2, "created"), (3, "rejected")]
    row = db.scalars(select(ImportRow).where(ImportRow.row_number == 3)).one()
    assert row.reasons[0]["code"] == "ambiguous_match"
    assert len(row.reasons[0]["params"]["profiles"]) == 2


def test_custom_field_values_are_coerced_and_bad_ones_rejected_with_the_value(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    rows = [
        ["KH1", "Lê Văn Tám", "0903 111 222", "", "", "", "1.250", ""],
        ["KH2", "Lê Thị Hoa", "0903 111 333", "", "", "", "1,5", ""],  # points are whole
    ]
    path = write_csv(tmp_path / "kh.csv", rows)
    plan = ingest.plan_import(db, actor=actor, path=path)
    preview = ingest.preview_import(db, actor=actor, plan=plan, today=TODAY)
    assert [r.number for r in preview.rejected] == [3]  # the preview judges as the commit does
    batch = run(session_factory, db, actor, path, valid=True)
    assert outcomes(db, batch) == [(2, "created"), (3, "rejected")]
    tam = db.scalars(select(Profile).where(Profile.given_name == "Tám")).one()
    assert tam.attributes == {"points": 1250}
    reason = db.scalars(select(ImportRow.reasons).where(ImportRow.row_number == 3)).one()
    assert reason[0]["code"] == "invalid_attribute_value"
    assert reason[0]["params"]["type"] == "integer"


def test_undo_trashes_created_customers_in_bulk_and_restores_the_updated_ones(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    known = profiles.create_profile(
        db, actor=actor, data=ProfileCreate(full_name="Chị Mai", phones=["0903 999 888"])
    )
    db.commit()
    rows = [
        ["KH1", "Lê Văn Tám", "0903 111 222", "", "", "", "", ""],
        ["KH2", "Phạm Thị Mai", "0903 999 888", "", "", "Kế toán", "", "Gọi buổi sáng"],
        ["KH1", "Lê Văn Tám", "", "tam@gmail.com", "", "", "", ""],  # updates the new one
    ]
    batch = run(session_factory, db, actor, write_csv(tmp_path / "kh.csv", rows))
    assert outcomes(db, batch) == [(2, "created"), (3, "updated"), (4, "updated")]
    result = ingest.undo_batch(db, actor=actor, batch_id=batch.id)
    assert (result.removed, result.restored, result.skipped) == (1, 1, [])
    db.expire_all()
    mai = db.get_one(Profile, known.id)
    assert (mai.full_name, mai.occupation, mai.deleted_at) == ("Chị Mai", None, None)
    assert (
        db.scalars(
            select(ProfileIdentifier.value).where(
                ProfileIdentifier.profile_id == known.id, ProfileIdentifier.kind == "external_id"
            )
        ).all()
        == []
    )
    assert db.scalar(select(func.count()).select_from(Note).where(Note.deleted_at.is_(None))) == 0
    live = db.scalars(select(Profile.id).where(Profile.deleted_at.is_(None))).all()
    assert live == [known.id]
    assert db.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'import.undone'")) == 1


def test_an_update_fails_cleanly_if_the_customer_changed_meanwhile(
    db: Session, actor: Actor, tmp_path: Path
) -> None:
    known = profiles.create_profile(
        db, actor=actor, data=ProfileCreate(full_name="Chị Mai", phones=["0903 999 888"])
    )
    states = profiles_bulk.load_states(db, workspace_id=actor.workspace_id, profile_ids=[known.id])
    state = states[known.id]
    writer = profiles_bulk.BulkWriter(actor=actor, source="import:x.csv", namespace="import")
    merge = profiles_bulk.plan_merge(state, {"occupation": "Kế toán"}, definitions={})
    writer.merge(state, merge, source_ref="row 2", payload={"row": 2, "cells": {}})
    # Someone saves the customer between the import's read and its write.
    profiles.update_profile(
        db, actor=actor, profile_id=known.id, data=ProfileUpdate(occupation="Giáo viên")
    )
    with pytest.raises(profiles_bulk.ProfilesChanged):
        writer.flush(db)


def test_addresses_are_parsed_into_2025_units_by_the_worker_process_too(
    session_factory: sessionmaker[Session],
    db: Session,
    actor: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "ADDRESS_WORKER_AFTER_ROWS", 2)
    header = ["Họ và tên", "SĐT", "Địa chỉ", "Phường/Xã", "Quận/Huyện", "Tỉnh/Thành"]
    rows = [
        ["Khách 1", "0903 000 001", "12 Lê Lợi", "Bến Nghé", "Quận 1", "TP HCM"],
        ["Khách 2", "0903 000 002", "5 Trần Phú", "", "", "Đà Nẵng"],
        ["Khách 3", "0903 000 003", "1 Hàng Bài", "Tràng Tiền", "Hoàn Kiếm", "Hà Nội"],
        ["Khách 4", "0903 000 004", "12 Lê Lợi", "Bến Nghé", "Quận 1", "TP HCM"],
    ]
    batch = run(session_factory, db, actor, write_csv(tmp_path / "a.csv", rows, header))
    assert batch.created_count == 4
    written = {a.raw: a for a in db.scalars(select(ProfileAddress))}
    assert len(written) == 3
    for line, ward, district, province in (r[2:] for r in rows):
        raw = ", ".join(p for p in (line, ward, district, province) if p)
        parts = {"line": line, "ward": ward or None, "district": district or None}
        expected = {
            **parts,
            "province": province,
            **profiles._normalise_address({**parts, "province": province, "country": "VN"}),
        }
        address = written[raw]
        for column in ("line", "ward", "province", "province_code", "ward_code", "admin_status"):
            assert getattr(address, column) == expected.get(column), (raw, column)
    first = written["12 Lê Lợi, Bến Nghé, Quận 1, TP HCM"]
    assert (first.province, first.admin_status) == ("Thành phố Hồ Chí Minh", "converted")
