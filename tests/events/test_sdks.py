"""The real SDKs, unchanged, pointed at a live hoso: the profile, timeline and order result.

segment-analytics-python only calls /v1/batch (plain JSON, writeKey in Basic auth and body);
rudder-sdk-python calls /v1/batch with gzip, Basic auth only, and puts identify traits in
context.traits. Both must end in the same customer.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hoso.events.models import LandedEvent
from hoso.profiles import queries
from hoso.profiles.models import Order, OrderItem, Profile, ProfileIdentifier
from tests.events.conftest import Collect


class Sdk(Protocol):
    def identify(self, *args: Any, **kwargs: Any) -> Any: ...
    def track(self, *args: Any, **kwargs: Any) -> Any: ...
    def page(self, *args: Any, **kwargs: Any) -> Any: ...
    def alias(self, *args: Any, **kwargs: Any) -> Any: ...
    def flush(self) -> None: ...
    def shutdown(self) -> None: ...


def segment_client(key: str, host: str, *, sync: bool, errors: list[Any]) -> Sdk:
    from segment.analytics.client import Client

    return Client(  # type: ignore[no-any-return]
        key, host=host, sync_mode=sync, max_retries=2, on_error=lambda e, _batch: errors.append(e)
    )


def rudder_client(key: str, host: str, *, sync: bool, errors: list[Any]) -> Sdk:
    from rudderstack.analytics.client import Client

    return Client(  # type: ignore[no-any-return]
        key, host=host, sync_mode=sync, max_retries=2, on_error=lambda e, _batch: errors.append(e)
    )


SDKS = {"segment": segment_client, "rudder": rudder_client}
Factory = Callable[..., Sdk]


def _profile(session: Session, workspace_id: UUID, kind: str, value: str) -> Profile:
    pid = session.scalar(
        select(ProfileIdentifier.profile_id).where(
            ProfileIdentifier.workspace_id == workspace_id,
            ProfileIdentifier.kind == kind,
            ProfileIdentifier.value == value,
        )
    )
    assert pid is not None, f"no profile holds {kind}={value}"
    profile = session.get(Profile, pid)
    assert profile is not None
    return profile


@pytest.mark.parametrize("sdk", sorted(SDKS))
def test_sdk_calls_end_in_one_customer_with_timeline_and_order(
    collect_server: Collect, sdk: str
) -> None:
    source_id, key = collect_server.new_source()
    errors: list[Any] = []
    client = SDKS[sdk](key, collect_server.url, sync=True, errors=errors)
    visitor, user, new_user = f"anon-{uuid4()}", f"user-{uuid4()}", f"crm-{uuid4()}"
    client.page(anonymous_id=visitor, name="Trang chủ", properties={"url": "https://shop.vn/"})
    client.identify(
        user_id=user,
        anonymous_id=visitor,
        traits={"name": "Nguyễn Thị Lan", "email": f"{sdk}@shop.vn", "phone": "0903 123 456"},
    )
    client.track(user_id=user, event="Product Viewed", properties={"product_id": "AO-01"})
    client.track(
        user_id=user,
        event="Order Completed",
        properties={
            "order_id": f"DH-{sdk}",
            "currency": "VND",
            "total": 999,
            "products": [
                {"sku": "AO-01", "name": "Áo dài", "price": 450000, "quantity": 2},
                {"sku": "NON-02", "name": "Nón lá", "price": 120000, "quantity": 1},
            ],
        },
    )
    client.alias(previous_id=user, user_id=new_user)
    client.flush()
    # A real batch: the non-sync client queues and sends many messages per request.
    batching = SDKS[sdk](key, collect_server.url, sync=False, errors=errors)
    for n in range(25):
        batching.track(user_id=user, event="Product Added", properties={"n": n})
    batching.flush()
    batching.shutdown()  # (a sync client has no consumer thread to shut down: rudder fails on it)
    assert errors == []
    collect_server.apply()
    with collect_server.factory() as session:
        rows = session.scalars(select(LandedEvent).where(LandedEvent.source_id == source_id))
        assert sorted({r.type for r in rows}) == ["alias", "identify", "page", "track"]
        customer = _profile(session, collect_server.workspace_id, "user_id", user)
        assert _profile(session, collect_server.workspace_id, "user_id", new_user) == customer
        assert _profile(session, collect_server.workspace_id, "anonymous_id", visitor) == customer
        assert customer.full_name == "Nguyễn Thị Lan"
        assert customer.primary_email == f"{sdk}@shop.vn"
        assert customer.primary_phone == "+84903123456"
        timeline, _ = queries.timeline(
            session, workspace_id=collect_server.workspace_id, profile_id=customer.id, limit=100
        )
        kinds = [(e.type, e.kind, e.summary) for e in timeline]
        assert ("interaction", "page_view", "Trang chủ") in kinds
        assert ("interaction", "track", "Product Viewed") in kinds
        assert kinds.count(("interaction", "track", "Product Added")) == 25
        order = session.scalar(
            select(Order).where(
                Order.workspace_id == collect_server.workspace_id,
                Order.external_id == f"DH-{sdk}",
            )
        )
        assert order is not None
        assert order.profile_id == customer.id
        assert order.status == "completed"
        assert order.total == Decimal("1020000.00")
        lines = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
        assert sorted((i.name, int(i.quantity)) for i in lines) == [("Nón lá", 1), ("Áo dài", 2)]
