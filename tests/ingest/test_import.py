import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from hoso.core.actor import Actor
from hoso.ingest import jobs
from hoso.ingest import service as ingest
from hoso.ingest.errors import (
    ImportFileUnreadable,
    ImportHasRejectedRows,
    ImportMappingInvalid,
    ImportNotUndoable,
)
from hoso.ingest.models import ImportBatch, ImportRow
from hoso.profiles import bulk as profiles_bulk
from hoso.profiles import service as profiles
from hoso.profiles.models import Profile, ProfileIdentifier, SourceRecord
from hoso.profiles.schemas import ProfileCreate, ProfileUpdate

TODAY = date(2026, 11, 22)
HEADER = ["Mã KH", "Họ và tên", "SĐT", "Email", "Ngày sinh", "Giới tính", "Nghề nghiệp", "Điểm"]
ROWS = [
    [
        "KH001",
        "Nguyễn Thị Lan",
        "0903 123 456",
        "lan@gmail.com",
        "05/03/1990",
        "Nữ",
        "Giáo viên",
        "1.200",
    ],
    ["KH002", "Trần Văn Hùng", "0168 555 1234", "", "12/08/1985", "Nam", "", "300"],
    ["KH003", "Lê Thị Mai", "84913222111", "MAI.LE@YAHOO.COM", "", "nữ", "Kế toán", ""],
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(
    factory: sessionmaker[Session],
    db: Session,
    actor: Actor,
    path: Path,
    *,
    valid_rows: bool = False,
) -> ImportBatch:
    plan = ingest.plan_import(db, actor=actor, path=path)
    batch_id = jobs.run_import(
        factory, actor=actor, plan=plan, valid_rows_only=valid_rows, today=TODAY
    )
    batch = db.get(ImportBatch, batch_id, populate_existing=True)
    assert batch is not None
    return batch


def live_profiles(db: Session) -> list[Profile]:
    return list(
        db.scalars(select(Profile).where(Profile.deleted_at.is_(None)).order_by(Profile.full_name))
    )


def test_plan_maps_vietnamese_headers(db: Session, actor: Actor, tmp_path: Path) -> None:
    plan = ingest.plan_import(db, actor=actor, path=write_csv(tmp_path / "kh.csv", ROWS))
    targets = {m.header: m.target for m in plan.mapping}
    assert targets["SĐT"] == "phone"
    assert targets["Họ và tên"] == "full_name"
    assert targets["Ngày sinh"] == "birth_date"
    assert targets["Mã KH"] == "external_id"


def test_preview_writes_nothing(db: Session, actor: Actor, tmp_path: Path) -> None:
    plan = ingest.plan_import(db, actor=actor, path=write_csv(tmp_path / "kh.csv", ROWS))
    preview = ingest.preview_import(db, actor=actor, plan=plan, today=TODAY)
    assert preview.counts["created"] == 3
    assert preview.counts["rejected"] == 0
    assert db.scalar(select(func.count()).select_from(Profile)) == 0


def test_import_creates_with_lineage(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    batch = run(session_factory, db, actor, write_csv(tmp_path / "kh.csv", ROWS))
    assert (batch.status, batch.created_count, batch.rejected_count) == ("committed", 3, 0)
    hung = next(p for p in live_profiles(db) if p.given_name == "Hùng")
    assert hung.primary_phone == "+84385551234"  # legacy 0168 prefix converted
    assert hung.attributes["points"] == 300
    record = db.scalar(select(SourceRecord).where(SourceRecord.profile_id == hung.id))
    assert record is not None
    assert record.source == "import:kh.csv"
    assert record.source_ref == "row 3"
    assert record.payload["cells"]["SĐT"] == "0168 555 1234"
    assert hung.field_sources["phones"]["source_record_id"] == str(record.id)
    lan = next(p for p in live_profiles(db) if p.given_name == "Lan")
    assert lan.attributes["points"] == 1200
    assert lan.birth_date == date(1990, 3, 5)


def test_reimport_changes_nothing(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "kh.csv", ROWS)
    run(session_factory, db, actor, path)
    versions = {p.id: p.version for p in live_profiles(db)}
    records = db.scalar(select(func.count()).select_from(SourceRecord))
    again = run(session_factory, db, actor, path)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    db.expire_all()
    assert {p.id: p.version for p in live_profiles(db)} == versions
    assert db.scalar(select(func.count()).select_from(SourceRecord)) == records


def test_updated_file_changes_only_changed_fields(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    run(session_factory, db, actor, write_csv(tmp_path / "v1.csv", ROWS))
    changed = [row[:] for row in ROWS]
    changed[0][6] = "Hiệu trưởng"  # occupation
    changed[2][2] = "84913222111 / 0977 888 999"  # a second phone for Mai
    batch = run(session_factory, db, actor, write_csv(tmp_path / "v2.csv", changed))
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 2, 1)
    db.expire_all()
    lan = next(p for p in live_profiles(db) if p.given_name == "Lan")
    assert lan.occupation == "Hiệu trưởng"
    assert lan.birth_date == date(1990, 3, 5)
    assert lan.field_sources["occupation"]["source"] == "import:v2.csv"
    assert lan.field_sources["full_name"]["source"] == "import:v1.csv"
    mai_phones = db.scalars(
        select(ProfileIdentifier.value)
        .join(Profile)
        .where(Profile.given_name == "Mai", ProfileIdentifier.kind == "phone")
    ).all()
    assert sorted(mai_phones) == ["+84913222111", "+84977888999"]


def test_empty_cells_never_erase(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    run(session_factory, db, actor, write_csv(tmp_path / "v1.csv", ROWS))
    sparse = [["KH001", "", "0903 123 456", "", "", "", "", ""]]
    batch = run(session_factory, db, actor, write_csv(tmp_path / "v2.csv", sparse))
    assert batch.unchanged_count == 1
    lan = next(p for p in live_profiles(db) if p.given_name == "Lan")
    assert lan.occupation == "Giáo viên"


def test_rejected_rows_block_all_or_nothing(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    rows = [*ROWS, ["KH004", "Phạm Văn Bình", "12345", "binh@", "31/02/1990", "", "", ""]]
    path = write_csv(tmp_path / "bad.csv", rows)
    plan = ingest.plan_import(db, actor=actor, path=path)
    preview = ingest.preview_import(db, actor=actor, plan=plan, today=TODAY)
    assert preview.counts["rejected"] == 1
    codes = {r["code"] for r in preview.rejected[0].reasons}
    assert {"invalid_phone", "invalid_email", "invalid_date"} <= codes
    assert preview.rejected[0].number == 5  # the row number as Excel shows it
    with pytest.raises(ImportHasRejectedRows):
        jobs.run_import(session_factory, actor=actor, plan=plan, valid_rows_only=False, today=TODAY)
    assert live_profiles(db) == []
    failed = db.scalars(select(ImportBatch)).one()
    assert (failed.status, failed.rejected_count) == ("failed", 1)


def test_valid_rows_mode_keeps_the_good_rows(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    rows = [*ROWS, ["KH004", "Phạm Văn Bình", "12345", "", "", "", "", ""]]
    batch = run(session_factory, db, actor, write_csv(tmp_path / "bad.csv", rows), valid_rows=True)
    assert (batch.created_count, batch.rejected_count) == (3, 1)
    rejected = ingest.rejected_rows(db, actor=actor, batch_id=batch.id)
    assert [r.row_number for r in rejected] == [5]
    assert rejected[0].raw[2] == "12345"


def test_same_customer_twice_in_one_file(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    rows = [ROWS[0], ["", "Nguyễn Thị Lan", "+84 903 123 456", "", "", "", "Giáo viên", ""]]
    path = write_csv(tmp_path / "dup.csv", rows)
    plan = ingest.plan_import(db, actor=actor, path=path)
    preview = ingest.preview_import(db, actor=actor, plan=plan, today=TODAY)
    assert (preview.counts["created"], preview.counts["updated"]) == (1, 1)
    batch = run(session_factory, db, actor, path)
    assert batch.created_count == 1
    assert len(live_profiles(db)) == 1


def test_row_matching_two_customers_is_rejected(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    profiles.create_profile(
        db, actor=actor, data=ProfileCreate(full_name="A", phones=["0903 123 456"])
    )
    profiles.create_profile(
        db, actor=actor, data=ProfileCreate(full_name="B", emails=["lan@gmail.com"])
    )
    plan = ingest.plan_import(db, actor=actor, path=write_csv(tmp_path / "kh.csv", ROWS[:1]))
    preview = ingest.preview_import(db, actor=actor, plan=plan, today=TODAY)
    assert preview.rejected[0].reasons[0]["code"] == "ambiguous_match"


def test_undo_restores_and_reports_conflicts(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    existing = profiles.create_profile(
        db,
        actor=actor,
        data=ProfileCreate(
            full_name="Nguyễn Thị Lan", phones=["0903 123 456"], occupation="Sinh viên"
        ),
    )
    db.commit()
    batch = run(session_factory, db, actor, write_csv(tmp_path / "kh.csv", ROWS))
    assert (batch.created_count, batch.updated_count) == (2, 1)
    # Someone edits the birth date the import set, after the import.
    profiles.update_profile(
        db, actor=actor, profile_id=existing.id, data=ProfileUpdate(birth_date="06/03/1990")
    )
    result = ingest.undo_batch(db, actor=actor, batch_id=batch.id)
    assert (result.removed, result.restored) == (2, 1)
    assert result.skipped == [{"row": 2, "field": "birth_date", "reason": "changed"}]
    db.expire_all()
    lan = db.get_one(Profile, existing.id)
    assert lan.occupation == "Sinh viên"
    assert lan.birth_date == date(1990, 3, 6)  # the later edit is kept
    emails = db.scalars(
        select(ProfileIdentifier.value).where(
            ProfileIdentifier.profile_id == existing.id, ProfileIdentifier.kind == "email"
        )
    ).all()
    assert emails == []
    assert [p.id for p in live_profiles(db)] == [existing.id]
    with pytest.raises(ImportNotUndoable):
        ingest.undo_batch(db, actor=actor, batch_id=batch.id)


def test_undo_separates_a_created_customer_merged_since(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    from hoso.identity import service as identity
    from hoso.identity.models import IdentityMerge

    existing = profiles.create_profile(
        db,
        actor=actor,
        data=ProfileCreate(full_name="Trần Văn Hùng", phones=["0912 000 111"], occupation="Thợ"),
    )
    db.commit()
    # The sheet knows him by another phone: the import creates a second customer...
    batch = run(session_factory, db, actor, write_csv(tmp_path / "kh.csv", ROWS[1:2]))
    assert batch.created_count == 1
    created = db.scalar(select(ImportRow.profile_id).where(ImportRow.batch_id == batch.id))
    assert created is not None
    # ...which someone then merges into the customer he already was.
    merge = identity.merge_profiles(
        db, actor=actor, survivor_id=existing.id, merged_id=created, reason="same man"
    )
    db.commit()
    survivor = db.get_one(Profile, existing.id, populate_existing=True)
    assert survivor.birth_date == date(1985, 8, 12)  # the sheet's value now on him

    result = ingest.undo_batch(db, actor=actor, batch_id=batch.id)
    db.commit()

    assert (result.unmerged, result.removed) == (1, 1)
    db.expire_all()
    assert db.get_one(IdentityMerge, merge.id).status == "undone"
    lan = db.get_one(Profile, existing.id)
    assert (lan.birth_date, lan.occupation) == (None, "Thợ")
    phones = db.scalars(
        select(ProfileIdentifier.value).where(ProfileIdentifier.profile_id == existing.id)
    ).all()
    assert phones == ["+84912000111"]
    assert [p.id for p in live_profiles(db)] == [existing.id]


def test_xlsx_with_title_row_and_numeric_phones(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["DANH SÁCH KHÁCH HÀNG THÂN THIẾT 2024"])
    sheet.append([])
    sheet.append(["STT", "Tên khách hàng", "Điện thoại", "Ngày sinh"])
    sheet.append([1, "Đỗ Minh Khoa", 903123457, date(1992, 1, 15)])
    sheet.append([2, "Vũ Thu Hà", 1662345678, "15/01/1990"])
    path = tmp_path / "members.xlsx"
    workbook.save(path)
    batch = run(session_factory, db, actor, path)
    assert batch.created_count == 2
    phones = sorted(p.primary_phone or "" for p in live_profiles(db))
    assert phones == ["+84362345678", "+84903123457"]


def test_not_a_spreadsheet_is_refused_clearly(db: Session, actor: Actor, tmp_path: Path) -> None:
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(ImportFileUnreadable) as caught:
        ingest.plan_import(db, actor=actor, path=path)
    assert caught.value.details["reason"] == "not_a_spreadsheet"


def test_import_rows_are_recorded(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    batch = run(session_factory, db, actor, write_csv(tmp_path / "kh.csv", ROWS))
    outcomes = db.execute(
        select(ImportRow.row_number, ImportRow.outcome)
        .where(ImportRow.batch_id == batch.id)
        .order_by(ImportRow.row_number)
    ).all()
    assert [tuple(o) for o in outcomes] == [(2, "created"), (3, "created"), (4, "created")]
    assert (
        db.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'import.committed'")) == 1
    )


ADDR_HEADER = ["Họ và tên", "SĐT", "Địa chỉ", "Phường/Xã", "Quận/Huyện", "Tỉnh/Thành"]


def test_addresses_are_idempotent_and_undoable(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    first = [["Nguyễn Thị Lan", "0903 123 456", "12 Lê Lợi", "Bến Nghé", "Quận 1", "TP HCM"]]
    path = write_csv(tmp_path / "a1.csv", first, ADDR_HEADER)
    assert run(session_factory, db, actor, path).created_count == 1
    assert run(session_factory, db, actor, path).unchanged_count == 1
    moved = [["Nguyễn Thị Lan", "0903 123 456", "5 Trần Phú", "", "", "Đà Nẵng"]]
    batch = run(session_factory, db, actor, write_csv(tmp_path / "a2.csv", moved, ADDR_HEADER))
    assert batch.updated_count == 1
    lan = service_profile(db)
    assert sorted(a.raw or "" for a in lan.addresses) == [
        "12 Lê Lợi, Bến Nghé, Quận 1, TP HCM",
        "5 Trần Phú, Đà Nẵng",
    ]
    ingest.undo_batch(db, actor=actor, batch_id=batch.id)
    lan = service_profile(db)
    assert [a.raw for a in lan.addresses] == ["12 Lê Lợi, Bến Nghé, Quận 1, TP HCM"]


def service_profile(db: Session) -> Profile:
    from hoso.profiles import queries

    profile = db.scalars(select(Profile).where(Profile.deleted_at.is_(None))).one()
    loaded = queries.load_profile(db, workspace_id=profile.workspace_id, profile_id=profile.id)
    assert loaded is not None
    return loaded


def test_saved_preset_remembers_an_edited_mapping(
    db: Session, actor: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "kh.csv", ROWS)
    plan = ingest.plan_import(db, actor=actor, path=path, overrides={"Nghề nghiệp": "ignore"})
    ingest.save_preset(db, actor=actor, name="File chi nhánh 2", mapping=plan.mapping)
    again = ingest.plan_import(
        db, actor=actor, path=write_csv(tmp_path / "next.csv", ROWS), preset="File chi nhánh 2"
    )
    targets = {m.header: m.target for m in again.mapping}
    assert targets["Nghề nghiệp"] == "ignore"
    assert targets["SĐT"] == "phone"
    assert again.preset == "File chi nhánh 2"
    assert [p.name for p in ingest.list_presets(db, actor=actor)] == ["File chi nhánh 2"]


def test_unknown_or_builtin_preset_names_are_refused(
    db: Session, actor: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "kh.csv", ROWS)
    with pytest.raises(ImportMappingInvalid):
        ingest.plan_import(db, actor=actor, path=path, preset="khong-co")
    plan = ingest.plan_import(db, actor=actor, path=path, preset="kiotviet")
    with pytest.raises(ImportMappingInvalid):
        ingest.save_preset(db, actor=actor, name="KiotViet", mapping=plan.mapping)


def test_an_unexpected_failure_marks_the_batch_failed(
    session_factory: sessionmaker[Session],
    db: Session,
    actor: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = ingest.plan_import(db, actor=actor, path=write_csv(tmp_path / "kh.csv", ROWS))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(profiles_bulk.BulkWriter, "flush", broken)
    with pytest.raises(RuntimeError):
        jobs.run_import(session_factory, actor=actor, plan=plan, valid_rows_only=False, today=TODAY)
    batch = db.scalars(select(ImportBatch)).one()
    assert batch.status == "failed"
    assert batch.error is not None
    assert batch.error["code"] == "internal_error"
    assert live_profiles(db) == []


def test_a_new_customer_code_on_a_known_customer_is_added_and_undone(
    session_factory: sessionmaker[Session], db: Session, actor: Actor, tmp_path: Path
) -> None:
    existing = profiles.create_profile(
        db, actor=actor, data=ProfileCreate(full_name="Nguyễn Thị Lan", phones=["0903 123 456"])
    )
    db.commit()
    rows = [["KH777", "Nguyễn Thị Lan", "0903 123 456", "", "", "", "", ""]]
    path = write_csv(tmp_path / "codes.csv", rows)
    batch = run(session_factory, db, actor, path)
    assert batch.updated_count == 1
    codes = db.scalars(
        select(ProfileIdentifier.value).where(
            ProfileIdentifier.profile_id == existing.id, ProfileIdentifier.kind == "external_id"
        )
    ).all()
    assert codes == ["KH777"]
    assert run(session_factory, db, actor, path).unchanged_count == 1
    ingest.undo_batch(db, actor=actor, batch_id=batch.id)
    assert (
        db.scalars(
            select(ProfileIdentifier.value).where(
                ProfileIdentifier.profile_id == existing.id, ProfileIdentifier.kind == "external_id"
            )
        ).all()
        == []
    )
