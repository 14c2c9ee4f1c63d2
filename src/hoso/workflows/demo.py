"""Load the demo workspace: a Vietnamese fashion chain with ~2,000 customers across sources.

Profiles go through the profiles service (validation, lineage, audit) exactly as an import
would; orders, interactions and notes, which are plain facts, are inserted in bulk with a
source record each so the timeline still names where every row came from.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy.orm import Session

from hoso.core.actor import Actor, Role
from hoso.core.ids import uuid7
from hoso.core.types import WorkspaceId
from hoso.profiles import service as profiles
from hoso.profiles.models import (
    Interaction,
    Note,
    Order,
    OrderItem,
    Product,
    Profile,
    SourceRecord,
)
from hoso.profiles.schemas import AddressIn, AttributeCreate, ExternalIdIn, ProfileCreate
from hoso.workflows.demo_data import DemoCustomer, DemoDataset, generate_demo
from hoso.workspaces import service as workspaces

DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@hoso.vn"
DEMO_PASSWORD = "demo-hoso-2026"  # noqa: S105 - printed to the user; a local demo login


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What ``load_demo`` did."""

    workspace_id: UUID
    created: bool
    customers: int
    orders: int
    interactions: int
    notes: int


def _profile_input(customer: DemoCustomer) -> ProfileCreate:
    address = customer.address
    return ProfileCreate(
        full_name=customer.full_name,
        gender=customer.gender,  # type: ignore[arg-type]  # generator emits the same literals
        birth_date=customer.birth_date,
        phones=list(customer.phones),
        emails=list(customer.emails),
        addresses=[
            AddressIn(
                raw=address.raw,
                line=address.line,
                ward=address.ward,
                district=address.legacy_district,
                province=address.province,
            )
        ]
        if address
        else [],
        occupation=customer.occupation,
        education=customer.education,
        income_band=customer.income_band,
        marital_status=customer.marital_status,
        household_size=customer.household_size,
        interests=list(customer.interests),
        favourite_brands=list(customer.favourite_brands),
        attributes=dict(customer.attributes),
        external_ids=[
            ExternalIdIn(namespace=customer.source.split(":")[-1], value=customer.external_id)
        ]
        if customer.external_id
        else [],
    )


def load_demo(
    session: Session,
    *,
    seed: int = 2026,
    customers: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Create the demo workspace and its data once; later calls report what is there."""
    existing = workspaces.find_workspace_by_slug(session, slug=DEMO_SLUG)
    if existing is not None:
        return DemoSummary(existing.id, False, 0, 0, 0, 0)
    data: DemoDataset = generate_demo(seed=seed, customers=customers)
    workspace = workspaces.create_workspace(session, name=data.workspace_name, slug=DEMO_SLUG)
    workspaces.create_user(
        session,
        workspace_id=workspace.id,
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        display_name="Chủ cửa hàng (demo)",
        role=Role.OWNER,
    )
    system = Actor.system(WorkspaceId(workspace.id), display="demo")
    for attribute in data.attributes:
        profiles.define_attribute(
            session,
            actor=system,
            data=AttributeCreate(
                key=attribute.key,
                label_vi=attribute.label_vi,
                label_en=attribute.label_en,
                type=attribute.type,  # type: ignore[arg-type]
                category=attribute.category,  # type: ignore[arg-type]
                sensitivity=attribute.sensitivity,  # type: ignore[arg-type]
                purpose=attribute.purpose,
                options=list(attribute.options),
            ),
        )
    products: dict[str, UUID] = {}
    for product in data.products:
        row = Product(
            id=uuid7(),
            workspace_id=workspace.id,
            sku=product.sku,
            name=product.name,
            category=product.category,
            brand=product.brand,
            price=Decimal(product.price),
        )
        session.add(row)
        products[product.sku] = row.id
    session.flush()

    counts = {"orders": 0, "interactions": 0, "notes": 0}
    for n, customer in enumerate(data.customers, start=1):
        profile = profiles.create_profile(
            session,
            actor=system,
            data=_profile_input(customer),
            source=customer.source,
            idempotency_key=f"demo:{customer.key}",
        )
        _backdate(session, profile, customer)
        _add_facts(session, workspace.id, profile.id, customer, products, counts)
        if n % 200 == 0:
            session.flush()
            session.expunge_all()
            if progress:
                progress(n, len(data.customers))
    session.flush()
    if progress and len(data.customers) % 200:
        progress(len(data.customers), len(data.customers))
    return DemoSummary(
        workspace.id,
        True,
        len(data.customers),
        counts["orders"],
        counts["interactions"],
        counts["notes"],
    )


def _backdate(session: Session, profile: Profile, customer: DemoCustomer) -> None:
    """Demo customers were first seen years ago, not at load time."""
    profile.created_at = customer.created_at
    profile.updated_at = customer.created_at
    session.flush()


def _add_facts(
    session: Session,
    workspace_id: UUID,
    profile_id: UUID,
    customer: DemoCustomer,
    products: dict[str, UUID],
    counts: dict[str, int],
) -> None:
    # Without ORM relationships the unit of work does not order inserts by foreign key:
    # source records, then orders, then items, each flushed before the next.
    rows = []
    for demo_order in customer.orders:
        record = SourceRecord(
            id=uuid7(),
            workspace_id=workspace_id,
            source=demo_order.channel,
            source_ref=demo_order.external_id,
            idempotency_key=f"order:{demo_order.external_id}",
            payload={
                "external_id": demo_order.external_id,
                "items": [i.sku for i in demo_order.items],
            },
            received_at=demo_order.ordered_at,
            profile_id=profile_id,
        )
        subtotal = sum(Decimal(i.quantity * i.unit_price) for i in demo_order.items)
        discount = min(Decimal(demo_order.discount), subtotal)
        order = Order(
            id=uuid7(),
            workspace_id=workspace_id,
            profile_id=profile_id,
            external_id=demo_order.external_id,
            channel=demo_order.channel,
            store=demo_order.store,
            status=demo_order.status,
            ordered_at=demo_order.ordered_at,
            subtotal=subtotal,
            discount=discount,
            total=subtotal - discount,
            payment_method=demo_order.payment_method,
            source=demo_order.channel,
            source_record_id=record.id,
        )
        rows.append((record, order, demo_order))
    if rows:
        session.add_all([r[0] for r in rows])
        session.flush()
        session.add_all([r[1] for r in rows])
        session.flush()
    for _, order, demo_order in rows:
        for item in demo_order.items:
            session.add(
                OrderItem(
                    workspace_id=workspace_id,
                    order_id=order.id,
                    product_id=products.get(item.sku),
                    sku=item.sku,
                    name=item.name,
                    quantity=Decimal(item.quantity),
                    unit_price=Decimal(item.unit_price),
                    line_total=Decimal(item.quantity * item.unit_price),
                )
            )
        counts["orders"] += 1
    for event in customer.interactions:
        session.add(
            Interaction(
                workspace_id=workspace_id,
                profile_id=profile_id,
                occurred_at=event.occurred_at,
                channel=event.channel,
                kind=event.kind,
                summary=event.summary,
                properties=dict(event.properties),
                source=event.channel,
            )
        )
        counts["interactions"] += 1
    for note in customer.notes:
        session.add(
            Note(
                workspace_id=workspace_id,
                profile_id=profile_id,
                author_id=None,
                author_display=note.author,
                body=note.body,
                created_at=note.created_at,
                updated_at=note.created_at,
            )
        )
        counts["notes"] += 1
