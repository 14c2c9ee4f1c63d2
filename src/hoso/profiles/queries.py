"""Read side of profiles: loading, keyset lists, search and the timeline (SQL first)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Row, and_, func, literal, or_, select, text, union_all
from sqlalchemy.orm import Session, selectinload

from hoso.engine.normalize import (
    fold,
    looks_like_email,
    looks_like_phone,
    nfc,
    normalize_email,
    phone_search_variants,
)
from hoso.profiles.models import (
    AttributeDefinition,
    Interaction,
    Note,
    Order,
    Profile,
    ProfileIdentifier,
    SourceRecord,
)

MAX_PAGE = 200
# Candidates fetched per search strategy before ranking; bounds the work on common names.
_CANDIDATES = 100


def load_profile(session: Session, *, workspace_id: UUID, profile_id: UUID) -> Profile | None:
    """Return a live profile with identifiers and addresses, or None."""
    return session.scalar(
        select(Profile)
        .where(
            Profile.id == profile_id,
            Profile.workspace_id == workspace_id,
            Profile.deleted_at.is_(None),
        )
        .options(selectinload(Profile.identifiers), selectinload(Profile.addresses))
        .execution_options(populate_existing=True)
    )


def load_profiles(
    session: Session, *, workspace_id: UUID, profile_ids: list[UUID]
) -> list[Profile]:
    """Live profiles with identifiers and addresses, in the order of ``profile_ids``."""
    if not profile_ids:
        return []
    rows = session.scalars(
        select(Profile)
        .where(
            Profile.id.in_(profile_ids),
            Profile.workspace_id == workspace_id,
            Profile.deleted_at.is_(None),
        )
        .options(selectinload(Profile.identifiers), selectinload(Profile.addresses))
    ).all()
    by_id = {p.id: p for p in rows}
    return [by_id[i] for i in profile_ids if i in by_id]


def load_order(session: Session, *, order_id: UUID) -> Order | None:
    """Return an order with its items, or None."""
    return session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.items))
        .execution_options(populate_existing=True)
    )


def list_profiles(
    session: Session,
    *,
    workspace_id: UUID,
    after: UUID | None = None,
    limit: int = 50,
    problem: str | None = None,
) -> tuple[list[Profile], UUID | None]:
    """Return live profiles, newest first, and the cursor of the next page (keyset on id).

    ``problem`` keeps only the profiles with that data-quality problem (unknown codes: none).
    """
    limit = max(1, min(limit, MAX_PAGE))
    query = select(Profile).where(
        Profile.workspace_id == workspace_id, Profile.deleted_at.is_(None)
    )
    if problem is not None:
        from hoso.profiles.quality import with_problem

        predicate = with_problem(problem)
        query = query.where(predicate if predicate is not None else literal(False))
    if after is not None:
        query = query.where(Profile.id < after)
    rows = list(session.scalars(query.order_by(Profile.id.desc()).limit(limit + 1)))
    next_after = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_after


def count_profiles(session: Session, *, workspace_id: UUID) -> int:
    """Count live profiles of the workspace."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Profile)
            .where(Profile.workspace_id == workspace_id, Profile.deleted_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A found profile and how it matched."""

    profile: Profile
    match: str


def _by_identifier(
    session: Session, workspace_id: UUID, kind: str, values: tuple[str, ...], limit: int
) -> list[Profile]:
    if not values:
        return []
    return list(
        session.scalars(
            select(Profile)
            .join(ProfileIdentifier, ProfileIdentifier.profile_id == Profile.id)
            .where(
                ProfileIdentifier.workspace_id == workspace_id,
                ProfileIdentifier.kind == kind,
                ProfileIdentifier.value.in_(values),
                Profile.deleted_at.is_(None),
            )
            .order_by(Profile.id.desc())
            .distinct()
            .limit(limit)
        )
    )


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_profiles(
    session: Session, *, workspace_id: UUID, query: str, limit: int = 20
) -> list[SearchHit]:
    """Find customers by any phone format, email in any case, or name with or without marks.

    Names rank: same diacritics exactly, then same diacritics as a prefix, then folded equal,
    folded prefix of the full name, prefix of the given name ("lan" finds "Nguyễn Thị Lan"),
    and last a folded substring (trigram index) when the fast strategies found no one.
    """
    limit = max(1, min(limit, MAX_PAGE))
    q = nfc(query)
    if not q:
        return []
    if looks_like_email(q):
        email = normalize_email(q)
        values = tuple(v for v in {email.value, q.lower()} if v)
        return [
            SearchHit(p, "email")
            for p in _by_identifier(session, workspace_id, "email", values, limit)
        ]
    if looks_like_phone(q):
        found = _by_identifier(session, workspace_id, "phone", phone_search_variants(q), limit)
        return [SearchHit(p, "phone") for p in found]
    key = fold(q)
    if not key:
        return []
    lowered = q.casefold()
    prefix = _like_escape(key) + "%"
    live = and_(Profile.workspace_id == workspace_id, Profile.deleted_at.is_(None))
    strategies = [
        select(Profile.id).where(live, Profile.name_key == key).limit(_CANDIDATES),
        select(Profile.id)
        .where(live, *_starts_with(Profile.name_key, key))
        .order_by(Profile.name_key)
        .limit(_CANDIDATES),
        select(Profile.id)
        .where(live, *_starts_with(Profile.given_key, key))
        .order_by(Profile.given_key)
        .limit(_CANDIDATES),
    ]
    candidates = union_all(*[s.subquery().select() for s in strategies]).subquery()
    rank = _rank(lowered, key, prefix)
    rows = session.execute(
        select(Profile, rank.label("rank"))
        .where(Profile.id.in_(select(candidates.c.id)))
        .order_by(rank, Profile.name_key, Profile.id)
        .limit(limit)
    ).all()
    hits = [SearchHit(row[0], _MATCH[row[1]]) for row in rows]
    # The substring search costs tens of milliseconds at a million profiles even when it finds
    # nothing, so it runs only when the indexed prefix strategies found no one.
    if not hits and len(key) >= 3:
        seen = {h.profile.id for h in hits}
        contains = "%" + _like_escape(key) + "%"
        more = session.scalars(
            select(Profile)
            .where(
                live,
                Profile.name_key.like(contains),
                Profile.id.notin_(seen) if seen else literal(True),
            )
            .order_by(func.similarity(Profile.name_key, key).desc(), Profile.id)
            .limit(limit - len(hits))
        )
        hits.extend(SearchHit(profile, "name_contains") for profile in more)
    return hits


_MATCH = {
    0: "name_exact",
    1: "name_exact_prefix",
    2: "name_folded",
    3: "name_prefix",
    4: "given_name_prefix",
    5: "name_contains",
}


# Above every character a folded key can hold: with the "C" collation (byte order),
# ``key >= p AND key < p || _TOP`` is exactly "starts with p".
_TOP = "\U0010ffff"


def _starts_with(column: Any, prefix: str) -> tuple[Any, Any]:
    """A prefix test written as a range, which only the btree can serve.

    The equivalent LIKE also matches the trigram index, and at a million profiles the
    planner, misjudging how many rows share a common prefix, picked that and read 20,000
    pages instead of a few.
    """
    return column >= prefix, column < prefix + _TOP


def _rank(lowered: str, key: str, prefix: str) -> Any:
    from sqlalchemy import case

    return case(
        (func.lower(Profile.full_name) == lowered, 0),
        (func.lower(Profile.full_name).like(_like_escape(lowered) + "%"), 1),
        (Profile.name_key == key, 2),
        (Profile.name_key.like(prefix), 3),
        (Profile.given_key.like(prefix), 4),
        else_=5,
    )


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One row of the merged timeline."""

    id: UUID
    type: Literal["interaction", "order", "note"]
    at: datetime
    channel: str | None
    kind: str
    summary: str
    amount: Decimal | None
    properties: dict[str, Any]


def timeline(
    session: Session,
    *,
    workspace_id: UUID,
    profile_id: UUID,
    before: tuple[datetime, UUID] | None = None,
    limit: int = 50,
) -> tuple[list[TimelineItem], tuple[datetime, UUID] | None]:
    """Interactions, orders and notes of a profile, newest first, keyset on (time, id)."""
    limit = max(1, min(limit, MAX_PAGE))
    interactions = select(
        Interaction.id,
        literal("interaction").label("type"),
        Interaction.occurred_at.label("at"),
        Interaction.channel,
        Interaction.kind,
        Interaction.summary,
        literal(None).cast(Order.total.type).label("amount"),
        Interaction.properties,
    ).where(Interaction.workspace_id == workspace_id, Interaction.profile_id == profile_id)
    orders = select(
        Order.id,
        literal("order").label("type"),
        Order.ordered_at.label("at"),
        Order.channel,
        Order.status.label("kind"),
        func.coalesce(Order.store, "").label("summary"),
        Order.total.label("amount"),
        func.jsonb_build_object(
            "external_id", Order.external_id, "payment_method", Order.payment_method
        ).label("properties"),
    ).where(Order.workspace_id == workspace_id, Order.profile_id == profile_id)
    notes = select(
        Note.id,
        literal("note").label("type"),
        Note.created_at.label("at"),
        literal(None).cast(Note.body.type).label("channel"),
        literal("note").label("kind"),
        Note.body.label("summary"),
        literal(None).cast(Order.total.type).label("amount"),
        func.jsonb_build_object("author", Note.author_display).label("properties"),
    ).where(
        Note.workspace_id == workspace_id, Note.profile_id == profile_id, Note.deleted_at.is_(None)
    )
    merged = union_all(interactions, orders, notes).subquery()
    query = select(merged)
    if before is not None:
        at, last_id = before
        query = query.where(or_(merged.c.at < at, and_(merged.c.at == at, merged.c.id < last_id)))
    rows: list[Row[Any]] = list(
        session.execute(query.order_by(merged.c.at.desc(), merged.c.id.desc()).limit(limit + 1))
    )
    items = [
        TimelineItem(
            id=r.id,
            type=r.type,
            at=r.at,
            channel=r.channel,
            kind=r.kind,
            summary=r.summary,
            amount=r.amount,
            properties=r.properties or {},
        )
        for r in rows[:limit]
    ]
    cursor = (items[-1].at, items[-1].id) if len(rows) > limit else None
    return items, cursor


def list_orders(
    session: Session, *, workspace_id: UUID, profile_id: UUID, limit: int = 100
) -> list[Order]:
    """Orders of a profile with their items, newest first."""
    return list(
        session.scalars(
            select(Order)
            .where(Order.workspace_id == workspace_id, Order.profile_id == profile_id)
            .options(selectinload(Order.items))
            .order_by(Order.ordered_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )


def list_notes(
    session: Session, *, workspace_id: UUID, profile_id: UUID, limit: int = 100
) -> list[Note]:
    """Live notes of a profile, newest first."""
    return list(
        session.scalars(
            select(Note)
            .where(
                Note.workspace_id == workspace_id,
                Note.profile_id == profile_id,
                Note.deleted_at.is_(None),
            )
            .order_by(Note.created_at.desc(), Note.id.desc())
            .limit(limit)
        )
    )


def list_interactions(
    session: Session, *, workspace_id: UUID, profile_id: UUID, limit: int = 100
) -> list[Interaction]:
    """Interactions of a profile, newest first."""
    return list(
        session.scalars(
            select(Interaction)
            .where(Interaction.workspace_id == workspace_id, Interaction.profile_id == profile_id)
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
            .limit(limit)
        )
    )


def list_attributes(session: Session, *, workspace_id: UUID) -> list[AttributeDefinition]:
    """Custom field definitions of the workspace, by category then key."""
    return list(
        session.scalars(
            select(AttributeDefinition)
            .where(AttributeDefinition.workspace_id == workspace_id)
            .order_by(AttributeDefinition.category, AttributeDefinition.key)
        )
    )


@dataclass(frozen=True, slots=True)
class OrderStats:
    """Completed-order totals of a profile."""

    count: int
    total: Decimal
    last_at: datetime | None


def order_stats(session: Session, *, workspace_id: UUID, profile_id: UUID) -> OrderStats:
    """Completed orders of a profile: count, amount spent, last order time."""
    row = session.execute(
        select(
            func.count(), func.coalesce(func.sum(Order.total), 0), func.max(Order.ordered_at)
        ).where(
            Order.workspace_id == workspace_id,
            Order.profile_id == profile_id,
            Order.status == "completed",
        )
    ).one()
    return OrderStats(count=int(row[0]), total=Decimal(row[1]), last_at=row[2])


def latest_source_record_id(session: Session, *, profile_id: UUID, source: str) -> UUID | None:
    """The newest source record of a profile from one source (ids are time-ordered)."""
    return session.scalar(
        select(SourceRecord.id)
        .where(SourceRecord.profile_id == profile_id, SourceRecord.source == source)
        .order_by(SourceRecord.id.desc())
        .limit(1)
    )


def ping(session: Session) -> bool:
    """Whether the database answers."""
    return session.execute(text("SELECT 1")).scalar() == 1
