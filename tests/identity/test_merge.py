"""Merging and unmerging customers: every row moves, every decision is recorded and undoable."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from hoso.core.actor import Actor, Role
from hoso.core.errors import PermissionDenied
from hoso.identity import service as identity
from hoso.identity.errors import MergeAlreadyUndone, PairAlreadyDecided
from hoso.identity.models import IdentityMerge, IdentityPair
from hoso.profiles import service as profiles
from hoso.profiles.errors import MergeWithItself, ProfileMergedAway, ProfileNotFound
from hoso.profiles.models import (
    Interaction,
    Note,
    Order,
    Profile,
    ProfileAddress,
    ProfileIdentifier,
    ProfileObservation,
    SourceRecord,
)
from hoso.profiles.schemas import (
    AttributeCreate,
    InteractionCreate,
    NoteCreate,
    OrderCreate,
    OrderItemIn,
    ProfileCreate,
)
from hoso.workspaces import service as workspaces
from hoso.workspaces.models import Workspace
from tests.conftest import make_user


def create(db: Session, actor: Actor, source: str = "api", **fields: Any) -> Profile:
    return profiles.create_profile(
        db, actor=actor, data=ProfileCreate.model_validate(fields), source=source
    )


def fill_timeline(db: Session, actor: Actor, profile_id: UUID, tag: str) -> None:
    profiles.add_interaction(
        db,
        actor=actor,
        profile_id=profile_id,
        data=InteractionCreate(channel="zalo", kind="chat", summary=f"hỏi giá {tag}"),
    )
    profiles.add_note(
        db, actor=actor, profile_id=profile_id, data=NoteCreate(body=f"ghi chú {tag}")
    )
    profiles.create_order(
        db,
        actor=actor,
        profile_id=profile_id,
        data=OrderCreate(
            external_id=f"HD-{tag}",
            channel="pos",
            items=[OrderItemIn(name="Áo dài", quantity=Decimal(1), unit_price=Decimal(450000))],
        ),
    )


def state(db: Session, profile_id: UUID) -> dict[str, Any]:
    """Everything a customer is: its columns and every row that hangs off it."""
    db.expire_all()
    profile = db.get_one(Profile, profile_id)
    columns = {
        c.key: getattr(profile, c.key)
        for c in Profile.__table__.columns
        if c.key not in {"version", "updated_at"}
    }

    def ids(model: Any) -> set[UUID]:
        return set(db.scalars(select(model.id).where(model.profile_id == profile_id)))

    identifiers = {
        (i.id, i.kind, i.value, i.value_raw, i.is_primary, i.source)
        for i in db.scalars(
            select(ProfileIdentifier).where(ProfileIdentifier.profile_id == profile_id)
        )
    }
    return {
        "columns": columns,
        "identifiers": identifiers,
        "addresses": ids(ProfileAddress),
        "interactions": ids(Interaction),
        "orders": ids(Order),
        "notes": ids(Note),
        "source_records": ids(SourceRecord),
        "observations": ids(ProfileObservation),
    }


def test_merge_moves_everything_and_chooses_golden_values(db: Session, actor: Actor) -> None:
    pos = create(
        db,
        actor,
        source="pos:kiotviet",
        full_name="Nguyễn Thị Lan",
        phones=["0903 123 456"],
        birth_date="05/03/1990",
    )
    web = create(
        db,
        actor,
        source="event:website",
        full_name="lan nguyen",
        phones=["+84 903123456"],
        emails=["lan.nguyen@gmail.com"],
        occupation="Giáo viên",
    )
    fill_timeline(db, actor, pos.id, "pos")
    fill_timeline(db, actor, web.id, "web")

    merge = identity.merge_profiles(
        db,
        actor=actor,
        survivor_id=pos.id,
        merged_id=web.id,
        reason="same phone and name",
        method="rule",
        rule="exact:phone",
        probability=0.999,
        explanation=[{"comparison": "phone", "level": "exact"}],
    )

    survivor = state(db, pos.id)
    assert survivor["columns"]["full_name"] == "Nguyễn Thị Lan"  # trusted source, diacritics
    assert survivor["columns"]["occupation"] == "Giáo viên"  # only the website knew it
    assert survivor["columns"]["birth_date"].isoformat() == "1990-03-05"
    assert survivor["columns"]["primary_email"] == "lan.nguyen@gmail.com"
    assert len(survivor["interactions"]) == 2
    assert len(survivor["orders"]) == 2
    assert len(survivor["notes"]) == 2
    # The same phone from both sides is kept once on the survivor; the website's copy stays
    # with the merged profile so the unmerge can give it back.
    phones = [i for i in survivor["identifiers"] if i[1] == "phone"]
    assert [p[2] for p in phones] == ["+84903123456"]
    assert sum(1 for i in survivor["identifiers"] if i[4]) == 2  # one primary phone and email
    merged = db.get_one(Profile, web.id)
    assert merged.merged_into_id == pos.id
    assert merged.deleted_at is not None
    with pytest.raises(ProfileNotFound):
        profiles.get_profile(db, workspace_id=actor.workspace_id, profile_id=web.id)
    assert merge.method == "rule"
    assert merge.rule == "exact:phone"
    assert merge.explanation == [{"comparison": "phone", "level": "exact"}]
    pair = identity.find_pair(db, workspace_id=actor.workspace_id, a=web.id, b=pos.id)
    assert pair is not None
    assert pair.status == "merged"
    assert pair.merge_id == merge.id


def test_unmerge_restores_both_profiles_exactly(db: Session, actor: Actor) -> None:
    a = create(db, actor, full_name="Trần Văn Hùng", phones=["0912 345 678"], gender="male")
    b = create(
        db,
        actor,
        source="import:members.xlsx",
        full_name="Tran Van Hung",
        phones=["0912345678", "0987 000 111"],
        emails=["hung@example.vn"],
        addresses=[{"line": "12 Lê Lợi", "ward": "Bến Nghé", "district": "Q1", "province": "HCM"}],
    )
    fill_timeline(db, actor, a.id, "a")
    fill_timeline(db, actor, b.id, "b")
    before = (state(db, a.id), state(db, b.id))

    merge = identity.merge_profiles(db, actor=actor, survivor_id=a.id, merged_id=b.id, reason="t")
    assert state(db, a.id) != before[0]
    identity.unmerge(db, actor=actor, merge_id=merge.id, reason="two brothers")

    assert (state(db, a.id), state(db, b.id)) == before
    db.refresh(merge)
    assert merge.status == "undone"
    assert merge.undo_reason == "two brothers"
    pair = identity.find_pair(db, workspace_id=actor.workspace_id, a=a.id, b=b.id)
    assert pair is not None
    assert pair.status == "rejected"  # never merged automatically again
    with pytest.raises(MergeAlreadyUndone):
        identity.unmerge(db, actor=actor, merge_id=merge.id)


def test_unmerge_keeps_edits_made_after_the_merge(db: Session, actor: Actor) -> None:
    a = create(db, actor, full_name="Lê Thị Hoa", phones=["0903 111 222"])
    b = create(db, actor, full_name="Le Thi Hoa", occupation="Kế toán", phones=["0903111222"])
    merge = identity.merge_profiles(db, actor=actor, survivor_id=a.id, merged_id=b.id, reason="t")
    profiles.update_profile(
        db,
        actor=actor,
        profile_id=a.id,
        data=ProfileCreate.model_validate({"marital_status": "Đã kết hôn"}),  # type: ignore[arg-type]
        source="ui",
    )
    identity.unmerge(db, actor=actor, merge_id=merge.id)

    survivor = db.get_one(Profile, a.id)
    restored = db.get_one(Profile, b.id)
    assert survivor.marital_status == "Đã kết hôn"  # the later edit stays
    assert survivor.occupation is None  # the merged customer's value went back with it
    assert restored.occupation == "Kế toán"
    assert restored.merged_into_id is None
    assert restored.deleted_at is None


def test_unmerge_after_the_survivor_was_merged_again(db: Session, actor: Actor) -> None:
    a = create(db, actor, full_name="Phạm Minh Tuấn", emails=["tuan@a.vn"])
    b = create(db, actor, full_name="Pham Minh Tuan", emails=["tuan@b.vn"])
    c = create(db, actor, full_name="Phạm Minh Tuấn", emails=["tuan@c.vn"])
    fill_timeline(db, actor, a.id, "a")
    first = identity.merge_profiles(db, actor=actor, survivor_id=b.id, merged_id=a.id, reason="t")
    identity.merge_profiles(db, actor=actor, survivor_id=c.id, merged_id=b.id, reason="t")

    identity.unmerge(db, actor=actor, merge_id=first.id)

    back = state(db, a.id)
    assert {i[2] for i in back["identifiers"]} == {"tuan@a.vn"}
    assert len(back["orders"]) == 1
    holder = state(db, c.id)
    assert {i[2] for i in holder["identifiers"]} == {"tuan@b.vn", "tuan@c.vn"}
    assert holder["orders"] == set()


def test_merge_refusals(db: Session, actor: Actor, workspace: Workspace) -> None:
    a = create(db, actor, full_name="Võ Thị Sáu", phones=["0903 222 333"])
    b = create(db, actor, full_name="Vo Thi Sau", phones=["0903 222 333"])
    with pytest.raises(MergeWithItself):
        identity.merge_profiles(db, actor=actor, survivor_id=a.id, merged_id=a.id, reason="t")
    identity.merge_profiles(db, actor=actor, survivor_id=a.id, merged_id=b.id, reason="t")
    with pytest.raises(ProfileMergedAway):
        identity.merge_profiles(db, actor=actor, survivor_id=a.id, merged_id=b.id, reason="t")
    other = workspaces.create_workspace(db, name="Cửa hàng khác")
    foreign = create(db, Actor.system(other.id), full_name="Người khác", phones=["0903 999 888"])  # type: ignore[arg-type]
    with pytest.raises(ProfileNotFound):
        identity.merge_profiles(db, actor=actor, survivor_id=a.id, merged_id=foreign.id, reason="t")
    sales = workspaces.actor_for_user(make_user(db, workspace, Role.SALES))
    c = create(db, actor, full_name="Đinh Văn Cường")
    with pytest.raises(PermissionDenied):
        identity.merge_profiles(db, actor=sales, survivor_id=a.id, merged_id=c.id, reason="t")


def test_review_pair_accept_and_reject(db: Session, actor: Actor) -> None:
    a = create(db, actor, full_name="Hoàng Thu Trang", phones=["0903 555 666"])
    b = create(db, actor, full_name="Hoang Thu Trang", emails=["trang@x.vn"])
    c = create(db, actor, full_name="Hoàng Thu Trang", phones=["0903 777 888"])
    ab = IdentityPair(
        workspace_id=actor.workspace_id,
        profile_a=min(a.id, b.id),
        profile_b=max(a.id, b.id),
        probability=0.9,
    )
    ac = IdentityPair(
        workspace_id=actor.workspace_id,
        profile_a=min(a.id, c.id),
        profile_b=max(a.id, c.id),
        probability=0.85,
    )
    db.add_all([ab, ac])
    db.flush()

    merge = identity.accept_pair(db, actor=actor, pair_id=ab.id, survivor_id=b.id)
    assert merge.survivor_id == b.id
    assert merge.method == "manual"
    assert merge.probability == 0.9
    db.refresh(ab)
    db.refresh(ac)
    assert ab.status == "merged"
    assert ac.status == "obsolete"  # a is gone; c will be compared with b again
    with pytest.raises(PairAlreadyDecided):
        identity.reject_pair(db, actor=actor, pair_id=ab.id)

    bc = IdentityPair(
        workspace_id=actor.workspace_id,
        profile_a=min(b.id, c.id),
        profile_b=max(b.id, c.id),
        probability=0.85,
    )
    db.add(bc)
    db.flush()
    rejected = identity.reject_pair(db, actor=actor, pair_id=bc.id)
    assert rejected.status == "rejected"
    assert rejected.decided_by_display == actor.display


# --- Property: merge then unmerge is the identity ---------------------------------------

NAMES = st.sampled_from(
    ["Nguyễn Thị Lan", "lan nguyen", "Trần Văn Hùng", "Lê Hoa", "NGUYEN VAN AN", "Bảo Trâm"]
)
PHONES = st.sampled_from(["0903 123 456", "0912345678", "0168 555 1234", "0987 654 321"])
EMAILS = st.sampled_from(["lan@x.vn", "hung@y.vn", "an@z.vn"])
SOURCES = st.sampled_from(["ui", "api", "pos:kiotviet", "import:a.xlsx", "event:web"])


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {"full_name": draw(NAMES)}
    if draw(st.booleans()):
        fields["phones"] = draw(st.lists(PHONES, max_size=2, unique=True))
    if draw(st.booleans()):
        fields["emails"] = draw(st.lists(EMAILS, max_size=2, unique=True))
    if draw(st.booleans()):
        fields["birth_date"] = draw(
            st.dates(min_value=date(1950, 1, 1), max_value=date(2010, 1, 1))
        ).isoformat()
    if draw(st.booleans()):
        fields["gender"] = draw(st.sampled_from(["female", "male"]))
    if draw(st.booleans()):
        fields["occupation"] = draw(st.sampled_from(["Giáo viên", "Kế toán", "Bác sĩ"]))
    if draw(st.booleans()):
        fields["attributes"] = {"points": draw(st.integers(min_value=0, max_value=5000))}
    if draw(st.booleans()):
        fields["addresses"] = [{"line": "5 Hai Bà Trưng", "province": "Hà Nội"}]
    return {
        "fields": fields,
        "source": draw(SOURCES),
        "edits": draw(st.lists(st.sampled_from(["Kế toán", "Nội trợ"]), max_size=2)),
        "timeline": draw(st.integers(min_value=0, max_value=2)),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(left=customers(), right=customers(), survivor_first=st.booleans())
def test_merge_then_unmerge_is_the_identity(
    db: Session,
    actor: Actor,
    left: dict[str, Any],
    right: dict[str, Any],
    survivor_first: bool,
) -> None:
    savepoint = db.begin_nested()
    try:
        profiles.define_attribute(
            db,
            actor=actor,
            data=AttributeCreate(
                key="points",
                label_vi="Điểm",
                label_en="Points",
                type="integer",
                category="transactional",
            ),
        )
        made = []
        for spec in (left, right):
            profile = create(db, actor, source=spec["source"], **spec["fields"])
            for occupation in spec["edits"]:
                profiles.update_profile(
                    db,
                    actor=actor,
                    profile_id=profile.id,
                    data=ProfileCreate.model_validate({"occupation": occupation}),  # type: ignore[arg-type]
                    source=spec["source"],
                )
            for n in range(spec["timeline"]):
                fill_timeline(db, actor, profile.id, f"{profile.id.hex[-10:]}-{n}")
            made.append(profile.id)
        survivor, merged = made if survivor_first else made[::-1]
        before = (state(db, survivor), state(db, merged))
        merge = identity.merge_profiles(
            db, actor=actor, survivor_id=survivor, merged_id=merged, reason="property"
        )
        identity.unmerge(db, actor=actor, merge_id=merge.id)
        assert (state(db, survivor), state(db, merged)) == before
        assert db.get_one(IdentityMerge, merge.id).status == "undone"
    finally:
        savepoint.rollback()


def test_merge_and_unmerge_are_audited(db: Session, actor: Actor) -> None:
    from hoso.core.audit import AuditEvent

    a = create(db, actor, full_name="Mai Anh", phones=["0903 444 555"])
    b = create(db, actor, full_name="Mai Anh", phones=["0903444555"])
    merge = identity.merge_profiles(db, actor=actor, survivor_id=a.id, merged_id=b.id, reason="t")
    identity.unmerge(db, actor=actor, merge_id=merge.id)
    actions = set(
        db.scalars(
            select(AuditEvent.action).where(
                AuditEvent.workspace_id == actor.workspace_id,
                AuditEvent.at >= datetime(2000, 1, 1, tzinfo=UTC),
            )
        )
    )
    assert {"identity.merged", "identity.unmerged", "profile.merged", "profile.unmerged"} <= actions
