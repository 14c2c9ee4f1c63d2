"""Landing and applying events against the real database (rolled back per test)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hoso.core.actor import Actor
from hoso.events import service
from hoso.events.models import (
    Account,
    AccountMember,
    DeadLetter,
    EventSource,
    LandedEvent,
    StitchRequest,
)
from hoso.profiles import queries
from hoso.profiles.models import (
    Interaction,
    Order,
    OrderItem,
    Profile,
    ProfileIdentifier,
    ProfileObservation,
)
from hoso.workspaces.models import Workspace
from tests.events.helpers import apply, land, msg

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat()


@pytest.fixture
def source(db: Session, actor: Actor) -> EventSource:
    return service.create_source(db, actor=actor, name="Website", kind="website")


def profile_of(db: Session, workspace: Workspace, kind: str, value: str) -> Profile:
    pids = db.scalars(
        select(ProfileIdentifier.profile_id).where(
            ProfileIdentifier.workspace_id == workspace.id,
            ProfileIdentifier.kind == kind,
            ProfileIdentifier.value == value,
        )
    ).all()
    assert len(pids) == 1, f"{kind}={value} is on {len(pids)} profiles"
    profile = db.get(Profile, pids[0])
    assert profile is not None
    db.refresh(profile)
    return profile


def kinds_of(db: Session, profile: Profile) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for kind, value in db.execute(
        select(ProfileIdentifier.kind, ProfileIdentifier.value).where(
            ProfileIdentifier.profile_id == profile.id
        )
    ):
        out.setdefault(kind, set()).add(value)
    return out


def test_identify_reads_traits_from_the_root_and_from_context(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    land(
        db,
        source,
        msg("identify", userId="u1", traits={"name": "Nguyễn Thị Lan", "email": "Lan@Shop.VN"}),
        msg(
            "identify",
            userId="u2",
            context={"traits": {"firstName": "Minh", "lastName": "Trần", "phone": "0903 123 456"}},
        ),
    )
    assert apply(session_factory) == 2
    lan = profile_of(db, workspace, "user_id", "u1")
    assert lan.full_name == "Nguyễn Thị Lan"
    assert lan.name_key == "nguyen thi lan"
    assert lan.primary_email == "lan@shop.vn"
    assert lan.field_sources["full_name"]["source"] == "events:Website"
    observed = db.execute(
        select(ProfileObservation.field, ProfileObservation.value, ProfileObservation.source).where(
            ProfileObservation.profile_id == lan.id
        )
    ).all()
    assert ("full_name", "Nguyễn Thị Lan", "events:Website") in observed
    minh = profile_of(db, workspace, "user_id", "u2")
    assert minh.full_name == "Trần Minh"
    assert minh.primary_phone == "+84903123456"
    assert kinds_of(db, minh)["phone"] == {"+84903123456"}


def test_anonymous_history_joins_the_customer_who_identifies(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    land(
        db,
        source,
        msg("page", anonymousId="a1", name="Trang chủ", timestamp=iso(T0)),
        msg("track", anonymousId="a1", event="Product Viewed", timestamp=iso(T0 + timedelta(1))),
    )
    apply(session_factory)
    visitor = profile_of(db, workspace, "anonymous_id", "a1")
    land(db, source, msg("identify", userId="u9", anonymousId="a1", traits={"name": "Lê Văn Nam"}))
    apply(session_factory)
    known = profile_of(db, workspace, "user_id", "u9")
    assert known.id == visitor.id
    assert known.full_name == "Lê Văn Nam"
    items, _ = queries.timeline(db, workspace_id=workspace.id, profile_id=known.id)
    assert [i.kind for i in items] == ["track", "page_view"]


def test_an_anonymous_id_of_one_known_user_is_never_given_to_another(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    land(db, source, msg("identify", userId="alice", anonymousId="shared-tablet"))
    apply(session_factory)
    land(db, source, msg("identify", userId="bob", anonymousId="shared-tablet"))
    apply(session_factory)
    alice = profile_of(db, workspace, "user_id", "alice")
    bob = profile_of(db, workspace, "user_id", "bob")
    assert alice.id != bob.id
    assert profile_of(db, workspace, "anonymous_id", "shared-tablet").id == alice.id


def test_a_contact_on_several_profiles_picks_none_and_junk_never_links(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    land(
        db,
        source,
        msg("identify", userId="p1", traits={"email": "family@shop.vn"}),
        msg("identify", userId="p2", traits={"email": "family@shop.vn"}),
        msg("identify", userId="p3", traits={"phone": "0000000000"}),
        msg("identify", userId="p4", traits={"phone": "0000000000"}),
    )
    apply(session_factory)
    land(db, source, msg("identify", userId="p5", traits={"email": "family@shop.vn"}))
    apply(session_factory)
    ids = {profile_of(db, workspace, "user_id", u).id for u in ("p1", "p2", "p3", "p4", "p5")}
    assert len(ids) == 5


def test_identify_by_email_links_to_the_one_customer_holding_it(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    land(db, source, msg("identify", anonymousId="a-x", traits={"email": "lan@shop.vn"}))
    apply(session_factory)
    land(db, source, msg("identify", userId="crm-1", traits={"email": "lan@shop.vn"}))
    apply(session_factory)
    assert profile_of(db, workspace, "user_id", "crm-1").id == (
        profile_of(db, workspace, "anonymous_id", "a-x").id
    )


def test_a_visitor_identified_as_an_imported_customer_joins_that_customer(
    db: Session,
    session_factory: sessionmaker[Session],
    workspace: Workspace,
    actor: Actor,
    source: EventSource,
) -> None:
    from hoso.profiles import service as profiles
    from hoso.profiles.schemas import ProfileCreate

    imported = profiles.create_profile(
        db,
        actor=actor,
        data=ProfileCreate(full_name="Phạm Thu Hà", phones=["0912 345 678"]),
        source="excel:members.xlsx",
    )
    land(db, source, msg("page", anonymousId="visitor-1", name="Khuyến mãi"))
    apply(session_factory)
    visitor = profile_of(db, workspace, "anonymous_id", "visitor-1")
    land(
        db,
        source,
        msg("identify", userId="web-42", anonymousId="visitor-1", traits={"phone": "+84912345678"}),
    )
    apply(session_factory)
    assert profile_of(db, workspace, "user_id", "web-42").id == imported.id
    stitch = db.scalar(select(StitchRequest))
    assert stitch is not None
    assert (stitch.survivor_id, stitch.merged_id, stitch.reason, stitch.status) == (
        imported.id,
        visitor.id,
        "identify",
        "merged",
    )
    # The visitor's page view is on the imported customer's timeline now.
    items, _ = queries.timeline(db, workspace_id=workspace.id, profile_id=imported.id)
    assert [i.summary for i in items] == ["Khuyến mãi"]


def test_alias_of_two_profiles_merges_them_reversibly(
    db: Session,
    session_factory: sessionmaker[Session],
    workspace: Workspace,
    actor: Actor,
    source: EventSource,
) -> None:
    from hoso.identity import service as identity

    land(
        db,
        source,
        msg("track", anonymousId="anon-7", event="Cart Viewed"),
        msg("identify", userId="user-7", traits={"name": "Đỗ Minh Khoa"}),
    )
    apply(session_factory)
    known = profile_of(db, workspace, "user_id", "user-7")
    visitor = profile_of(db, workspace, "anonymous_id", "anon-7")
    land(db, source, msg("alias", previousId="anon-7", userId="user-7"))
    apply(session_factory)
    stitch = db.scalar(select(StitchRequest))
    assert stitch is not None
    db.refresh(stitch)
    assert (stitch.survivor_id, stitch.merged_id, stitch.reason) == (known.id, visitor.id, "alias")
    assert stitch.status == "merged"
    assert stitch.merge_id is not None
    # The visitor's history is the customer's now.
    assert profile_of(db, workspace, "anonymous_id", "anon-7").id == known.id
    items, _ = queries.timeline(db, workspace_id=workspace.id, profile_id=known.id)
    assert [i.summary for i in items] == ["Cart Viewed"]
    # Alias of a new user id onto a known visitor needs no merge: the id is attached.
    land(db, source, msg("alias", previousId="anon-7", userId="user-8"))
    apply(session_factory)
    assert profile_of(db, workspace, "user_id", "user-8").id == known.id
    # And the merge can be undone like any other.
    identity.unmerge(db, actor=actor, merge_id=stitch.merge_id, reason="test")
    db.flush()
    assert profile_of(db, workspace, "anonymous_id", "anon-7").id == visitor.id
    items, _ = queries.timeline(db, workspace_id=workspace.id, profile_id=visitor.id)
    assert [i.summary for i in items] == ["Cart Viewed"]


def test_orders_are_created_updated_and_never_reopened_by_a_late_event(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    products = [
        {"product_id": "p-1", "sku": "AO-01", "name": "Áo dài lụa", "price": 450000, "quantity": 2},
        {"sku": "KHAN-02", "name": "Khăn", "price": 50000},
    ]
    completed = msg(
        "track",
        userId="buyer",
        event="Order Completed",
        timestamp=iso(T0),
        properties={"order_id": "DH-1", "total": 1, "discount": 100000, "products": products},
    )
    refunded = msg(
        "track",
        userId="buyer",
        event="Order Refunded",
        timestamp=iso(T0 + timedelta(days=2)),
        properties={"order_id": "DH-1"},
    )
    # The refund arrives first; the completion (an older event) must not reopen the order.
    land(db, source, refunded)
    apply(session_factory)
    land(db, source, completed)
    apply(session_factory)
    order = db.scalar(select(Order).where(Order.external_id == "DH-1"))
    assert order is not None
    db.refresh(order)
    assert order.status == "refunded"
    assert order.channel == "Website"
    assert order.subtotal == Decimal("950000.00")  # computed: 2 x 450,000 + 50,000
    assert order.total == Decimal("850000.00")  # the sent total (1) is not trusted
    items = db.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    assert sorted(i.sku or "" for i in items) == ["AO-01", "KHAN-02"]
    buyer = profile_of(db, workspace, "user_id", "buyer")
    assert order.profile_id == buyer.id
    timeline, _ = queries.timeline(db, workspace_id=workspace.id, profile_id=buyer.id)
    assert [(e.type, e.summary) for e in timeline] == [
        ("interaction", "Order Refunded"),
        ("order", ""),
    ]


def test_a_late_identify_never_overwrites_newer_traits(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    land(db, source, msg("identify", userId="u", timestamp=iso(T0), traits={"name": "Tên Mới"}))
    apply(session_factory)
    old = T0 - timedelta(days=30)
    land(db, source, msg("identify", userId="u", timestamp=iso(old), traits={"name": "Tên Cũ"}))
    apply(session_factory)
    assert profile_of(db, workspace, "user_id", "u").full_name == "Tên Mới"


def test_skew_corrected_time_places_late_events_in_order(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    received = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    fast_clock = timedelta(hours=2)  # the phone's clock is two hours ahead
    happened = received - timedelta(minutes=10)
    land(
        db,
        source,
        msg("track", userId="s", event="Checkout Started", timestamp=iso(happened + fast_clock)),
        received_at=received,
        sent_at=iso(received + fast_clock),
    )
    land(
        db,
        source,
        msg("track", userId="s", event="Product Added", timestamp=iso(happened - timedelta(1))),
        received_at=received + timedelta(minutes=5),
    )
    apply(session_factory)
    landed = db.scalar(select(LandedEvent).where(LandedEvent.event == "Checkout Started"))
    assert landed is not None
    assert landed.timestamp == happened
    pid = profile_of(db, workspace, "user_id", "s").id
    items, _ = queries.timeline(db, workspace_id=workspace.id, profile_id=pid)
    assert [i.summary for i in items] == ["Checkout Started", "Product Added"]


def test_group_links_the_customer_to_an_account(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    land(
        db,
        source,
        msg("group", userId="g1", groupId="cty-abc", traits={"name": "Công ty ABC"}),
        msg("group", userId="g2", groupId="cty-abc", traits={"employees": 20}),
    )
    apply(session_factory)
    account = db.scalar(select(Account).where(Account.group_id == "cty-abc"))
    assert account is not None
    assert account.name == "Công ty ABC"
    assert account.traits == {"name": "Công ty ABC", "employees": 20}
    members = db.scalar(
        select(func.count())
        .select_from(AccountMember)
        .where(AccountMember.account_id == account.id)
    )
    assert members == 2


def test_page_keeps_technical_data(
    db: Session, session_factory: sessionmaker[Session], workspace: Workspace, source: EventSource
) -> None:
    ua = (
        "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Mobile Safari/537.36"
    )
    land(
        db,
        source,
        msg(
            "page",
            anonymousId="v",
            name="Giỏ hàng",
            context={
                "ip": "113.161.1.1",
                "userAgent": ua,
                "locale": "vi-VN",
                "page": {"url": "https://shop.vn/gio?utm_source=zalo&utm_campaign=tet"},
            },
        ),
    )
    apply(session_factory)
    row = db.scalar(select(Interaction).where(Interaction.kind == "page_view"))
    assert row is not None
    tech = row.properties["context"]
    assert tech["browser"] == "Chrome"
    assert tech["os"] == "Android"
    assert tech["device_type"] == "mobile"
    assert tech["ip"] == "113.161.1.1"
    assert tech["campaign"] == {"source": "zalo", "name": "tet"}
    assert row.summary == "Giỏ hàng"


def test_a_retried_batch_is_stored_once(
    db: Session, session_factory: sessionmaker[Session], source: EventSource
) -> None:
    batch = [msg("track", userId="r", event="Product Viewed") for _ in range(3)]
    first = land(db, source, *batch)
    again = land(db, source, *batch)
    assert (first.landed, first.duplicates) == (3, 0)
    assert (again.landed, again.duplicates) == (0, 3)
    apply(session_factory)
    assert db.scalar(select(func.count()).select_from(Interaction)) == 3


def test_invalid_events_become_dead_letters_with_their_reason(
    db: Session, source: EventSource
) -> None:
    result = land(
        db,
        source,
        msg("track", event="No one"),
        msg("track", userId="x"),
        msg("identify", userId={"nested": True}),
        msg("track", userId="x", event="Ok"),
    )
    assert (result.landed, result.dead_letters) == (1, 3)
    reasons = db.scalars(select(DeadLetter.reason).order_by(DeadLetter.id)).all()
    assert reasons == ["no_user_anon_id", "missing_event_name", "wrong_type"]


def test_a_disabled_sources_events_wait_as_dead_letters_and_replay(
    db: Session, session_factory: sessionmaker[Session], actor: Actor, source: EventSource
) -> None:
    service.set_source_enabled(db, actor=actor, source=source.id, enabled=False)
    result = land(db, source, msg("track", userId="d", event="Product Viewed"))
    assert (result.landed, result.dead_letters) == (0, 1)
    letter = db.scalar(select(DeadLetter))
    assert letter is not None
    assert letter.reason == "source_disabled"
    assert service.replay_dead_letter(db, actor=actor, dead_letter_id=letter.id) == (
        "source_disabled"
    )
    service.set_source_enabled(db, actor=actor, source=source.id, enabled=True)
    assert service.replay_all(db, actor=actor) == {"landed": 1}
    apply(session_factory)
    assert db.scalar(select(func.count()).select_from(Interaction)) == 1


def test_an_event_that_fails_to_apply_is_kept_and_replayable(
    db: Session,
    session_factory: sessionmaker[Session],
    actor: Actor,
    source: EventSource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hoso.events import processing

    land(
        db,
        source,
        msg("track", userId="ok", event="Product Viewed"),
        msg("track", userId="boom", event="Product Viewed"),
    )
    real = processing._read

    def flaky(work, event, src):
        if event.user_id == "boom":
            raise RuntimeError("simulated bug")
        real(work, event, src)

    monkeypatch.setattr(processing, "_read", flaky)
    apply(session_factory)
    letter = db.scalar(select(DeadLetter))
    assert letter is not None
    assert letter.reason == "processing_failed"
    assert "simulated bug" in letter.detail["error"]
    assert db.scalar(select(func.count()).select_from(Interaction)) == 1
    monkeypatch.setattr(processing, "_read", real)
    assert service.replay_dead_letter(db, actor=actor, dead_letter_id=letter.id) == "requeued"
    apply(session_factory)
    assert db.scalar(select(func.count()).select_from(Interaction)) == 2
