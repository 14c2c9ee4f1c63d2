from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hoso.core.actor import Actor, Role
from hoso.core.audit import AuditEvent
from hoso.core.errors import PermissionDenied, ValidationFailed
from hoso.core.outbox import OutboxEvent
from hoso.profiles import queries, service
from hoso.profiles.errors import ProfileNotFound, StaleProfile
from hoso.profiles.models import ProfileIdentifier, SourceRecord
from hoso.profiles.schemas import (
    AttributeCreate,
    IdentifierCreate,
    InteractionCreate,
    NoteCreate,
    OrderCreate,
    OrderItemIn,
    ProfileCreate,
    ProfileUpdate,
)
from hoso.workspaces import service as workspaces
from hoso.workspaces.models import Workspace
from tests.conftest import make_user


def lan(**overrides: object) -> ProfileCreate:
    data: dict[str, object] = {
        "full_name": "Nguyễn Thị Lan",
        "gender": "female",
        "birth_date": "05/03/1990",
        "phones": ["0903 123 456"],
        "emails": ["Lan.Nguyen@Gmail.com"],
    }
    data.update(overrides)
    return ProfileCreate.model_validate(data)


def test_create_normalises_and_keeps_raw(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan(), source="ui")

    assert profile.full_name == "Nguyễn Thị Lan"
    assert (profile.family_name, profile.middle_name, profile.given_name) == (
        "Nguyễn",
        "Thị",
        "Lan",
    )
    assert profile.name_key == "nguyen thi lan"
    assert profile.birth_date == date(1990, 3, 5)
    assert profile.primary_phone == "+84903123456"
    assert profile.primary_email == "lan.nguyen@gmail.com"
    phone = next(i for i in profile.identifiers if i.kind == "phone")
    assert phone.value_raw == "0903 123 456"
    assert phone.source == "ui"


def test_create_lands_source_record_and_lineage(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan(), source="pos:kiotviet")

    record = db.scalar(select(SourceRecord).where(SourceRecord.profile_id == profile.id))
    assert record is not None
    assert record.payload["phones"] == ["0903 123 456"]
    assert record.source == "pos:kiotviet"
    for field in ("full_name", "birth_date", "phones", "emails"):
        assert profile.field_sources[field]["source_record_id"] == str(record.id)
        assert profile.field_sources[field]["source"] == "pos:kiotviet"


def test_legacy_prefix_is_converted(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan(phones=["0166 234 5678"]))
    assert profile.primary_phone == "+84362345678"
    phone = next(i for i in profile.identifiers if i.kind == "phone")
    assert "legacy_mobile_converted" in phone.flags


def test_invalid_fields_are_all_reported_and_nothing_is_written(db: Session, actor: Actor) -> None:
    before = db.scalar(text("SELECT count(*) FROM profile"))
    with pytest.raises(ValidationFailed) as caught:
        service.create_profile(
            db,
            actor=actor,
            data=lan(
                phones=["0903 123 456", "12345"], emails=["not-an-email"], birth_date="31/02/1990"
            ),
        )
    codes = {(e.field, e.code) for e in caught.value.errors}
    assert codes == {
        ("phones.1", "invalid_phone"),
        ("emails.0", "invalid_email"),
        ("birth_date", "invalid_date"),
    }
    assert db.scalar(text("SELECT count(*) FROM profile")) == before
    assert db.scalar(text("SELECT count(*) FROM source_record")) == 0


def test_birth_date_in_future_is_rejected(db: Session, actor: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create_profile(db, actor=actor, data=lan(birth_date="01/01/2999"))
    assert caught.value.errors[0].code == "birth_date_in_future"


def test_empty_profile_is_rejected(db: Session, actor: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create_profile(db, actor=actor, data=ProfileCreate(occupation="Giáo viên"))
    assert caught.value.errors[0].code == "profile_needs_name_or_contact"


def test_idempotency_key_replays_without_duplicate(db: Session, actor: Actor) -> None:
    first = service.create_profile(db, actor=actor, data=lan(), idempotency_key="req-1")
    again = service.create_profile(db, actor=actor, data=lan(), idempotency_key="req-1")
    assert again.id == first.id
    assert db.scalar(text("SELECT count(*) FROM profile")) == 1


def test_update_changes_only_sent_fields_and_audits_masked(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan())
    updated = service.update_profile(
        db,
        actor=actor,
        profile_id=profile.id,
        data=ProfileUpdate(occupation="Kế toán", phones=["+84 903 123 456", "0983 456 721"]),
    )
    assert updated.occupation == "Kế toán"
    assert updated.full_name == "Nguyễn Thị Lan"
    assert updated.version == 2
    assert sorted(i.value for i in updated.identifiers if i.kind == "phone") == [
        "+84903123456",
        "+84983456721",
    ]
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "profile.updated")).one()
    assert event.after is not None
    assert event.after["occupation"] == "Kế toán"
    assert "+84983456721" not in str(event.after)  # phones are masked in the audit log


def test_update_with_nothing_changed_is_not_a_new_version(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan())
    same = service.update_profile(
        db, actor=actor, profile_id=profile.id, data=ProfileUpdate(full_name="Nguyễn Thị Lan")
    )
    assert same.version == 1


def test_stale_version_is_refused(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan())
    service.update_profile(
        db,
        actor=actor,
        profile_id=profile.id,
        data=ProfileUpdate(occupation="A"),
        expected_version=1,
    )
    with pytest.raises(StaleProfile):
        service.update_profile(
            db,
            actor=actor,
            profile_id=profile.id,
            data=ProfileUpdate(occupation="B"),
            expected_version=1,
        )


def test_soft_delete_hides_profile(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan())
    service.delete_profile(db, actor=actor, profile_id=profile.id)
    with pytest.raises(ProfileNotFound):
        service.access_profile(db, actor=actor, profile_id=profile.id)
    assert queries.search_profiles(db, workspace_id=actor.workspace_id, query="0903123456") == []
    topics = db.scalars(select(OutboxEvent.topic)).all()
    assert topics == ["profile.created", "profile.deleted"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.VIEWER, False), (Role.MARKETING, False), (Role.SALES, True), (Role.SUPPORT, True)],
)
def test_roles_are_checked_in_the_service(
    db: Session, workspace: Workspace, role: Role, allowed: bool
) -> None:
    staff = workspaces.actor_for_user(make_user(db, workspace, role))
    if allowed:
        service.create_profile(db, actor=staff, data=lan())
    else:
        with pytest.raises(PermissionDenied):
            service.create_profile(db, actor=staff, data=lan())


def test_sales_may_not_delete(db: Session, workspace: Workspace, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan())
    sales = workspaces.actor_for_user(make_user(db, workspace, Role.SALES))
    with pytest.raises(PermissionDenied):
        service.delete_profile(db, actor=sales, profile_id=profile.id)


def test_other_workspace_cannot_see_profile(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan())
    other_ws = workspaces.create_workspace(db, name="Shop khác")
    other = workspaces.actor_for_user(make_user(db, other_ws, Role.OWNER))
    with pytest.raises(ProfileNotFound):
        service.access_profile(db, actor=other, profile_id=profile.id)
    assert queries.search_profiles(db, workspace_id=other.workspace_id, query="Lan") == []


def test_custom_attributes_are_typed(db: Session, actor: Actor) -> None:
    service.define_attribute(
        db,
        actor=actor,
        data=AttributeCreate(
            key="loyalty_tier",
            label_vi="Hạng thành viên",
            label_en="Loyalty tier",
            type="enum",
            category="transactional",
            options=["bronze", "silver", "gold"],
        ),
    )
    service.define_attribute(
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
    profile = service.create_profile(
        db, actor=actor, data=lan(attributes={"loyalty_tier": "gold", "points": "1,200"})
    )
    assert profile.attributes == {"loyalty_tier": "gold", "points": 1200}
    with pytest.raises(ValidationFailed) as caught:
        service.update_profile(
            db,
            actor=actor,
            profile_id=profile.id,
            data=ProfileUpdate(
                attributes={"loyalty_tier": "platinum", "points": "nhiều", "unknown": 1}
            ),
        )
    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("attributes.loyalty_tier", "invalid_attribute_value"),
        ("attributes.points", "invalid_attribute_value"),
        ("attributes.unknown", "unknown_attribute"),
    }


def test_identifier_add_and_remove_moves_primary(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan())
    added = service.add_identifier(
        db,
        actor=actor,
        profile_id=profile.id,
        data=IdentifierCreate(kind="phone", value="84-983-456-721"),
    )
    assert added.value == "+84983456721"
    primary = next(i for i in profile.identifiers if i.kind == "phone")
    service.remove_identifier(db, actor=actor, profile_id=profile.id, identifier_id=primary.id)
    reloaded = service.access_profile(db, actor=actor, profile_id=profile.id)
    assert reloaded.primary_phone == "+84983456721"
    assert (
        db.scalar(select(ProfileIdentifier.is_primary).where(ProfileIdentifier.id == added.id))
        is True
    )


def test_timeline_merges_interactions_orders_notes(db: Session, actor: Actor) -> None:
    profile = service.create_profile(db, actor=actor, data=lan())
    service.add_interaction(
        db,
        actor=actor,
        profile_id=profile.id,
        data=InteractionCreate(channel="zalo", kind="chat", summary="Hỏi size áo dài"),
    )
    order = service.create_order(
        db,
        actor=actor,
        profile_id=profile.id,
        data=OrderCreate(
            channel="pos",
            external_id="HD001",
            discount=Decimal(10_000),
            items=[
                OrderItemIn(name="Áo dài lụa", quantity=Decimal(2), unit_price=Decimal(450_000))
            ],
        ),
    )
    service.add_note(db, actor=actor, profile_id=profile.id, data=NoteCreate(body="Khách VIP"))
    assert order.total == 890_000
    items, cursor = queries.timeline(db, workspace_id=actor.workspace_id, profile_id=profile.id)
    assert {i.type for i in items} == {"interaction", "order", "note"}
    assert cursor is None
    first, nxt = queries.timeline(
        db, workspace_id=actor.workspace_id, profile_id=profile.id, limit=2
    )
    assert nxt is not None
    rest, _ = queries.timeline(
        db, workspace_id=actor.workspace_id, profile_id=profile.id, before=nxt
    )
    assert [i.id for i in first + rest] == [i.id for i in items]


def test_audit_log_is_append_only(db: Session, actor: Actor) -> None:
    service.create_profile(db, actor=actor, data=lan())
    db.flush()
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("UPDATE audit_event SET action = 'tampered'"))
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("DELETE FROM audit_event"))


def test_old_addresses_are_normalised_to_2025_units(db: Session, actor: Actor) -> None:
    profile = service.create_profile(
        db,
        actor=actor,
        data=lan(
            addresses=[
                {
                    "line": "12 Lê Lợi",
                    "ward": "Bến Nghé",
                    "district": "Q1",
                    "province": "Hồ Chí Minh",
                },
                {"line": "Xã Lê Ninh, Thị Xã Kinh Môn, Hải Dương"},
                {"line": "Phường Dịch Vọng, Cầu Giấy, Hà Nội"},
                {"line": "ngõ nhà bà Tư"},
            ]
        ),
    )
    sai_gon, le_ninh, dich_vong, unknown = profile.addresses
    assert (sai_gon.ward, sai_gon.province) == ("Phường Sài Gòn", "Thành phố Hồ Chí Minh")
    assert (sai_gon.admin_status, sai_gon.legacy_ward) == ("converted", "Phường Bến Nghé")
    assert sai_gon.raw == "12 Lê Lợi, Bến Nghé, Q1, Hồ Chí Minh"  # as given, untouched
    assert sai_gon.line == "12 Lê Lợi"
    assert (le_ninh.ward, le_ninh.province) == ("Phường Bắc An Phụ", "Thành phố Hải Phòng")
    assert dich_vong.admin_status == "ambiguous"
    assert dich_vong.ward is None
    assert len(dich_vong.ward_candidates) == 2
    assert (unknown.admin_status, unknown.line) == ("unknown", "ngõ nhà bà Tư")


def test_saving_a_normalised_address_unchanged_is_not_a_change(db: Session, actor: Actor) -> None:
    profile = service.create_profile(
        db,
        actor=actor,
        data=lan(
            addresses=[
                {
                    "line": "12 Lê Lợi",
                    "ward": "Bến Nghé",
                    "district": "Quận 1",
                    "province": "TP HCM",
                }
            ]
        ),
    )
    shown = profile.addresses[0]
    again = service.update_profile(
        db,
        actor=actor,
        profile_id=profile.id,
        data=ProfileUpdate.model_validate(
            {
                "addresses": [
                    {
                        "line": shown.line,
                        "ward": shown.ward,
                        "district": shown.district,
                        "province": shown.province,
                    }
                ]
            }
        ),
    )
    assert again.version == 1
