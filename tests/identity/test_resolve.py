"""Real-time resolution: the same customer from three sources becomes one; a family phone,
namesakes and rejected pairs never merge anyone."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from hoso.bootstrap import import_all_models
from hoso.core.actor import Actor, Role
from hoso.core.db import make_engine, make_session_factory
from hoso.core.types import WorkspaceId
from hoso.engine.matching import default_model
from hoso.identity import resolve, service
from hoso.identity.models import (
    IdentityBlockKey,
    IdentityMerge,
    IdentityPair,
    IdentitySharedValue,
)
from hoso.ingest.models import ImportBatch
from hoso.jobs.registry import CONSUMERS, HANDLERS
from hoso.jobs.runner import drain_consumers, run_until_empty
from hoso.migrate import upgrade
from hoso.profiles import service as profiles
from hoso.profiles.models import Profile
from hoso.profiles.schemas import ProfileCreate
from hoso.workspaces import service as workspaces
from tests.conftest import TEST_PASSWORD, fresh_database


def create(db: Session, actor: Actor, source: str = "api", **fields: Any) -> Profile:
    return profiles.create_profile(
        db, actor=actor, data=ProfileCreate.model_validate(fields), source=source
    )


def run(db: Session, actor: Actor, *profiles_: Profile) -> list[resolve.Outcome]:
    return resolve.resolve_profiles(
        db, workspace_id=actor.workspace_id, profile_ids=[p.id for p in profiles_]
    )


def live(db: Session, profile: Profile) -> UUID | None:
    return profiles.live_profile_id(db, workspace_id=profile.workspace_id, profile_id=profile.id)


def test_one_customer_from_three_sources_becomes_one(db: Session, actor: Actor) -> None:
    pos = create(db, actor, "pos:kiotviet", full_name="Nguyễn Thị Lan", phones=["0903 123 456"])
    web = create(
        db,
        actor,
        "event:website",
        full_name="lan nguyen",
        phones=["+84 903123456"],
        emails=["lan.nguyen@gmail.com"],
    )
    excel = create(db, actor, "import:khach-cu.xlsx", full_name="Chị Lan", phones=["01203123456"])
    # The old sheet's number is the legacy form of the POS's second phone.
    profiles.update_profile(
        db,
        actor=actor,
        profile_id=pos.id,
        data=ProfileCreate.model_validate({"phones": ["0903 123 456", "0703 123 456"]}),  # type: ignore[arg-type]
        source="pos:kiotviet",
    )
    run(db, actor, pos, web)
    assert live(db, web) == pos.id  # the older customer survives
    run(db, actor, excel)
    assert live(db, excel) == pos.id
    survivor = db.get_one(Profile, pos.id)
    db.refresh(survivor)
    assert survivor.full_name == "Nguyễn Thị Lan"
    merges = db.scalars(select(IdentityMerge).where(IdentityMerge.survivor_id == pos.id)).all()
    assert {m.method for m in merges} == {"model"}
    assert all(m.probability is not None and m.probability >= 0.99 for m in merges)
    phone = next(c for c in merges[0].explanation if c["comparison"] == "phone")
    assert phone["agrees"] is True


def test_mother_and_daughter_sharing_a_phone_stay_two(db: Session, actor: Actor) -> None:
    home = {"line": "45 Trần Hưng Đạo", "ward": "Phường Cửa Nam", "province": "Hà Nội"}
    mother = create(
        db,
        actor,
        full_name="Nguyễn Thị Hoa",
        birth_date="12/04/1968",
        phones=["0912 000 111"],
        addresses=[home],
    )
    daughter = create(
        db,
        actor,
        full_name="Trần Thị Mai",
        birth_date="03/09/1995",
        phones=["0912000111"],
        addresses=[home],
    )
    run(db, actor, mother, daughter)
    assert live(db, mother) == mother.id
    assert live(db, daughter) == daughter.id
    shared = db.scalars(
        select(IdentitySharedValue).where(IdentitySharedValue.workspace_id == actor.workspace_id)
    ).all()
    assert [(s.kind, s.value, s.reason) for s in shared] == [
        ("phone", "+84912000111", "distinct_people")
    ]
    # The family phone no longer merges anyone, even a third namesake-free record.
    son = create(db, actor, full_name="Trần Văn Nam", phones=["0912 000 111"])
    run(db, actor, son)
    assert live(db, son) == son.id


def test_namesakes_with_different_phones_and_birth_dates_stay_two(
    db: Session, actor: Actor
) -> None:
    first = create(
        db, actor, full_name="Nguyễn Văn Hùng", birth_date="1985-02-10", phones=["0903 111 222"]
    )
    second = create(
        db, actor, full_name="Nguyễn Văn Hùng", birth_date="1992-11-30", phones=["0988 333 444"]
    )
    outcomes = run(db, actor, first, second)
    assert outcomes[1].merged_with is None
    assert live(db, first) == first.id
    pending = db.scalars(select(IdentityPair).where(IdentityPair.status == "pending")).all()
    assert pending == []  # not even worth a look


HOUSE = {"line": "12 Lê Lợi", "ward": "Phường Sài Gòn", "province": "TP HCM"}
HOUSE_UNACCENTED = {"line": "So 12 duong Le Loi", "ward": "Phuong Sai Gon", "province": "HCM"}


def test_the_same_full_name_at_the_same_house_merges(db: Session, actor: Actor) -> None:
    first = create(
        db, actor, full_name="Phạm Ngọc Bảo Trâm", phones=["0903 555 111"], addresses=[HOUSE]
    )
    second = create(
        db,
        actor,
        full_name="Pham Ngoc Bao Tram",
        emails=["tram@x.vn"],
        addresses=[HOUSE_UNACCENTED],
    )
    outcome = run(db, actor, first, second)[1]
    assert outcome.merged_with == first.id
    merge = db.scalars(select(IdentityMerge).where(IdentityMerge.survivor_id == first.id)).one()
    assert merge.rule == "evidence:full_name_and_street"
    address = next(c for c in merge.explanation if c["comparison"] == "address")
    assert address["level"] == "street"


def test_the_same_name_at_the_same_house_with_other_phones_goes_to_review(
    db: Session, actor: Actor
) -> None:
    first = create(
        db, actor, full_name="Phạm Ngọc Bảo Trâm", phones=["0903 555 111"], addresses=[HOUSE]
    )
    second = create(
        db,
        actor,
        full_name="Pham Ngoc Bao Tram",
        phones=["0988 444 222"],
        addresses=[HOUSE_UNACCENTED],
    )
    outcome = run(db, actor, first, second)[1]
    assert outcome.merged_with is None
    assert live(db, first) == first.id
    assert outcome.reviews, "the same full name at one house: a person should look"
    pair = db.get_one(IdentityPair, outcome.reviews[0])
    assert pair.status == "pending"
    assert pair.rule == "full_name_and_street"
    assert 0.8 <= pair.probability < 0.99
    assert any(c["comparison"] == "address" and c["agrees"] for c in pair.explanation)


def test_namesakes_at_other_houses_of_one_ward_stay_two(db: Session, actor: Actor) -> None:
    first = create(
        db, actor, full_name="Nguyễn Văn Hùng", phones=["0903 555 111"], addresses=[HOUSE]
    )
    other = {"line": "48 Lê Lợi", "ward": "Phường Sài Gòn", "province": "TP HCM"}
    second = create(db, actor, full_name="Nguyễn Văn Hùng", emails=["hung@x.vn"], addresses=[other])
    outcome = run(db, actor, first, second)[1]
    assert outcome.merged_with is None
    assert live(db, second) == second.id
    assert outcome.reviews == []


def test_a_house_on_too_many_customers_counts_for_nothing(
    db: Session, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shop typing its own address on walk-in orders: namesakes there stay two."""
    monkeypatch.setattr(resolve, "ADDRESS_LIMIT", 3)
    walk_ins = [
        create(db, actor, full_name=name, phones=[phone], addresses=[HOUSE])
        for name, phone in (
            ("Trần Thị Mai", "0903 000 001"),
            ("Lê Văn Tám", "0903 000 002"),
            ("Võ Thị Sáu", "0903 000 003"),
        )
    ]
    run(db, actor, *walk_ins)
    first = create(
        db, actor, full_name="Nguyễn Văn Hùng", phones=["0903 555 111"], addresses=[HOUSE]
    )
    second = create(db, actor, full_name="Nguyễn Văn Hùng", emails=["hung@x.vn"], addresses=[HOUSE])
    outcomes = run(db, actor, first, second)
    assert outcomes[1].merged_with is None
    assert live(db, second) == second.id
    shared = db.scalars(
        select(IdentitySharedValue).where(IdentitySharedValue.kind == "address")
    ).all()
    assert [(s.value, s.reason) for s in shared] == [(shared[0].value, "too_many")]
    assert shared[0].value.endswith("|12 le loi")
    assert shared[0].profiles >= 4


def test_an_undone_merge_is_never_redone(db: Session, actor: Actor) -> None:
    a = create(db, actor, full_name="Lê Văn Tám", phones=["0903 777 888"])
    b = create(db, actor, full_name="Le Van Tam", phones=["0903777888"])
    run(db, actor, a, b)
    merge = db.scalars(select(IdentityMerge).where(IdentityMerge.merged_id == b.id)).one()
    service.unmerge(db, actor=actor, merge_id=merge.id, reason="anh em sinh đôi")
    run(db, actor, a, b)
    assert live(db, a) == a.id
    assert live(db, b) == b.id


def test_automatic_merges_can_be_switched_off(db: Session, actor: Actor) -> None:
    service.update_settings(
        db, actor=actor, auto_merge_threshold=0.99, review_threshold=0.8, auto_merge=False
    )
    a = create(db, actor, full_name="Võ Thị Sáu", emails=["sau@x.vn"])
    b = create(db, actor, full_name="Vo Thi Sau", emails=["SAU@x.vn"])
    outcome = run(db, actor, a, b)[1]
    assert outcome.merged_with is None
    assert live(db, a) == a.id
    assert len(outcome.reviews) == 1


def test_block_keys_follow_the_customer(db: Session, actor: Actor) -> None:
    a = create(
        db, actor, full_name="Đặng Thu Thảo", birth_date="1999-01-02", phones=["0903 999 000"]
    )
    run(db, actor, a)
    keys = set(db.scalars(select(IdentityBlockKey.key).where(IdentityBlockKey.profile_id == a.id)))
    assert "own_phones=+84903999000" in keys
    assert any(k.startswith("given+birth_date=thao|1999-01-02") for k in keys)
    profiles.delete_profile(db, actor=actor, profile_id=a.id)
    run(db, actor, a)
    assert (
        db.scalars(select(IdentityBlockKey).where(IdentityBlockKey.profile_id == a.id)).all() == []
    )


# --- Through the outbox, as the worker runs it ------------------------------------------------


@pytest.fixture(scope="module")
def committed(admin_uri: str) -> Iterator[Engine]:
    with fresh_database(admin_uri, "resolve") as url:
        import_all_models()
        engine = make_engine(url, pool_size=4)
        upgrade(engine)
        yield engine
        engine.dispose()


def test_the_worker_resolves_new_customers(committed: Engine) -> None:
    factory: sessionmaker[Session] = make_session_factory(committed)
    with factory.begin() as session:
        ws = workspaces.create_workspace(session, name="Tiệm Hoa")
        user = workspaces.create_user(
            session,
            workspace_id=ws.id,
            email="chu@tiemhoa.vn",
            password=TEST_PASSWORD,
            display_name="Chủ",
            role=Role.OWNER,
        )
        actor = workspaces.actor_for_user(user)
        a = create(session, actor, full_name="Hồ Thị Xuân", emails=["xuan@hoa.vn"])
    with factory.begin() as session:
        b = create(session, actor, full_name="Ho Thi Xuan", emails=["Xuan@Hoa.vn"])
    drain_consumers(factory, CONSUMERS)
    run_until_empty(factory, HANDLERS)
    with factory() as session:
        assert profiles.live_profile_id(session, workspace_id=ws.id, profile_id=b.id) == a.id
        merge = session.scalars(select(IdentityMerge).where(IdentityMerge.merged_id == b.id)).one()
        assert merge.actor_display == "identity"


def test_training_stores_a_model_and_re_resolves(committed: Engine) -> None:
    factory: sessionmaker[Session] = make_session_factory(committed)
    with factory.begin() as session:
        ws = workspaces.create_workspace(session, name="Quán Cà Phê")
        actor = workspaces.actor_for_user(
            workspaces.create_user(
                session,
                workspace_id=ws.id,
                email="chu@quan.vn",
                password=TEST_PASSWORD,
                display_name="Chủ",
                role=Role.OWNER,
            )
        )
        a = create(session, actor, full_name="Lý Thị Hạnh", phones=["0903 246 810"])
        b = create(session, actor, full_name="Ly Thi Hanh", phones=["0903246810"])
        service.queue_training(session, actor=actor)
    run_until_empty(factory, HANDLERS)  # trains, then resolves the whole workspace
    with factory() as session:
        settings = service.get_settings(session, workspace_id=ws.id)
        assert settings.model is not None
        assert settings.model_records == 2
        assert profiles.live_profile_id(session, workspace_id=ws.id, profile_id=b.id) == a.id


def test_a_model_of_older_settings_is_retrained_in_the_background(committed: Engine) -> None:
    factory: sessionmaker[Session] = make_session_factory(committed)
    with factory.begin() as session:
        ws = workspaces.create_workspace(session, name="Tiệm Bánh")
        actor = Actor.system(WorkspaceId(ws.id), "test")
        create(session, actor, full_name="Lý Thị Hạnh", phones=["0903 246 810"])
        create(session, actor, full_name="Đỗ Văn Nam", phones=["0912 000 222"])
        settings = service.get_settings(session, workspace_id=ws.id)
        old = default_model().to_dict()
        old["settings"] = "vn-0"  # as stored before an upgrade renamed the settings
        settings.model = old
    with factory.begin() as session:
        matcher = resolve.Matcher.load(session, ws.id)
        assert matcher.model.settings == default_model().settings  # matching goes on
    with factory() as session:
        assert service.get_settings(session, workspace_id=ws.id).model is None
    run_until_empty(factory, HANDLERS)  # the queued training
    with factory() as session:
        settings = service.get_settings(session, workspace_id=ws.id)
        assert settings.model is not None
        assert settings.model["settings"] == default_model().settings
        assert settings.model_records == 2


def test_an_import_is_resolved_after_it_commits(committed: Engine, tmp_path: Path) -> None:
    from hoso.ingest import jobs as import_jobs
    from hoso.ingest import service as ingest
    from hoso.profiles.models import ProfileObservation

    factory: sessionmaker[Session] = make_session_factory(committed)
    with factory.begin() as session:
        ws = workspaces.create_workspace(session, name="Shop Áo Dài")
        actor = workspaces.actor_for_user(
            workspaces.create_user(
                session,
                workspace_id=ws.id,
                email="chu@aodai.vn",
                password=TEST_PASSWORD,
                display_name="Chủ",
                role=Role.OWNER,
            )
        )
        known = create(
            session,
            actor,
            "pos:kiotviet",
            full_name="Nguyễn Thị Lan",
            phones=["0903 123 456"],
            birth_date="05/03/1990",
        )
    drain_consumers(factory, CONSUMERS)
    sheet = tmp_path / "khach.csv"
    sheet.write_text(
        "Họ và tên,SĐT,Ngày sinh,Nghề nghiệp\n"
        "Lan Nguyen,0903.123.457,05/03/1990,Giáo viên\n"  # a one-digit typo of the POS phone
        "Trần Văn Bình,0912 888 999,,\n",
        encoding="utf-8",
    )
    with factory() as session:
        plan = ingest.plan_import(session, actor=actor, path=sheet)
    batch = import_jobs.run_import(
        factory, actor=actor, plan=plan, valid_rows_only=False, today=date(2026, 12, 1)
    )
    with factory() as session:
        imported = session.scalars(
            select(ProfileObservation.field).where(
                ProfileObservation.workspace_id == ws.id,
                ProfileObservation.source == "import:khach.csv",
            )
        ).all()
        assert sorted(imported) == ["birth_date", "full_name", "full_name", "occupation"]
    drain_consumers(factory, CONSUMERS)  # import.committed -> an identity.resolve job
    run_until_empty(factory, HANDLERS)
    with factory() as session:
        merge = session.scalars(
            select(IdentityMerge).where(IdentityMerge.survivor_id == known.id)
        ).one()
        assert merge.rule == "evidence:phone_typo"
        survivor = session.get_one(Profile, known.id)
        assert survivor.full_name == "Nguyễn Thị Lan"  # the POS's fuller form
        assert survivor.occupation == "Giáo viên"  # learnt from the sheet
        assert session.get_one(ImportBatch, batch).status == "committed"
