"""JSON API for customer profiles."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status

from hoso.api.deps import CurrentActor
from hoso.core.actor import Permission
from hoso.core.errors import FieldError, ValidationFailed
from hoso.http import DbSession
from hoso.profiles import queries, service
from hoso.profiles.schemas import (
    AttributeCreate,
    AttributeRead,
    IdentifierCreate,
    IdentifierRead,
    InteractionCreate,
    InteractionRead,
    NoteCreate,
    NoteRead,
    OrderCreate,
    OrderRead,
    ProfileCreate,
    ProfileMatch,
    ProfilePage,
    ProfileRead,
    ProfileSummary,
    ProfileUpdate,
    SearchResults,
    TimelineEntry,
    TimelinePage,
)

router = APIRouter(tags=["profiles"])
Limit = Annotated[int, Query(ge=1, le=queries.MAX_PAGE)]


@router.post("/profiles", status_code=status.HTTP_201_CREATED)
def create_profile(
    body: ProfileCreate,
    db: DbSession,
    actor: CurrentActor,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ProfileRead:
    """Create a customer. Send `Idempotency-Key` to make retries safe."""
    profile = service.create_profile(
        db, actor=actor, data=body, source="api", idempotency_key=idempotency_key
    )
    return ProfileRead.model_validate(profile)


@router.get("/profiles")
def list_profiles(
    db: DbSession, actor: CurrentActor, after: UUID | None = None, limit: Limit = 50
) -> ProfilePage:
    """List customers, newest first. Pass `next_after` back as `after` for the next page."""
    actor.require(Permission.PROFILES_READ)
    rows, next_after = queries.list_profiles(
        db, workspace_id=actor.workspace_id, after=after, limit=limit
    )
    return ProfilePage(
        items=[ProfileSummary.model_validate(p) for p in rows], next_after=next_after
    )


@router.get("/profiles/search")
def search_profiles(
    db: DbSession,
    actor: CurrentActor,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResults:
    """Find customers by any phone format, email, or name with or without diacritics."""
    actor.require(Permission.PROFILES_READ)
    hits = queries.search_profiles(db, workspace_id=actor.workspace_id, query=q, limit=limit)
    return SearchResults(
        query=q,
        items=[
            ProfileMatch.model_validate(
                {**ProfileSummary.model_validate(h.profile).model_dump(), "match": h.match}
            )
            for h in hits
        ],
    )


@router.get("/profiles/{profile_id}")
def read_profile(profile_id: UUID, db: DbSession, actor: CurrentActor) -> ProfileRead:
    """One customer with identifiers, addresses, custom fields and field lineage."""
    return ProfileRead.model_validate(
        service.access_profile(db, actor=actor, profile_id=profile_id)
    )


@router.patch("/profiles/{profile_id}")
def update_profile(
    profile_id: UUID,
    body: ProfileUpdate,
    db: DbSession,
    actor: CurrentActor,
    if_match: Annotated[str | None, Header(max_length=20)] = None,
) -> ProfileRead:
    """Change the fields sent. Send `If-Match: <version>` to refuse a concurrent edit."""
    expected = None
    if if_match is not None:
        try:
            expected = int(if_match.strip('"W/ '))
        except ValueError:
            raise ValidationFailed([FieldError("If-Match", "wrong_type")]) from None
    profile = service.update_profile(
        db, actor=actor, profile_id=profile_id, data=body, source="api", expected_version=expected
    )
    return ProfileRead.model_validate(profile)


@router.delete("/profiles/{profile_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_profile(profile_id: UUID, db: DbSession, actor: CurrentActor) -> Response:
    """Move a customer to the trash (soft delete)."""
    service.delete_profile(db, actor=actor, profile_id=profile_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/profiles/{profile_id}/identifiers")
def list_identifiers(profile_id: UUID, db: DbSession, actor: CurrentActor) -> list[IdentifierRead]:
    """Phones, emails and external ids of a customer, raw and normalised."""
    profile = service.access_profile(db, actor=actor, profile_id=profile_id)
    return [IdentifierRead.model_validate(i) for i in profile.identifiers]


@router.post("/profiles/{profile_id}/identifiers", status_code=status.HTTP_201_CREATED)
def add_identifier(
    profile_id: UUID, body: IdentifierCreate, db: DbSession, actor: CurrentActor
) -> IdentifierRead:
    """Attach a phone, email or external id (normalised; raw value kept)."""
    identifier = service.add_identifier(db, actor=actor, profile_id=profile_id, data=body)
    return IdentifierRead.model_validate(identifier)


@router.delete(
    "/profiles/{profile_id}/identifiers/{identifier_id}", status_code=status.HTTP_204_NO_CONTENT
)
def remove_identifier(
    profile_id: UUID, identifier_id: UUID, db: DbSession, actor: CurrentActor
) -> Response:
    """Detach an identifier from a customer."""
    service.remove_identifier(db, actor=actor, profile_id=profile_id, identifier_id=identifier_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/profiles/{profile_id}/notes")
def list_notes(profile_id: UUID, db: DbSession, actor: CurrentActor) -> list[NoteRead]:
    """Staff notes on a customer, newest first."""
    service.access_profile(db, actor=actor, profile_id=profile_id)
    notes = queries.list_notes(db, workspace_id=actor.workspace_id, profile_id=profile_id)
    return [NoteRead.model_validate(n) for n in notes]


@router.post("/profiles/{profile_id}/notes", status_code=status.HTTP_201_CREATED)
def add_note(profile_id: UUID, body: NoteCreate, db: DbSession, actor: CurrentActor) -> NoteRead:
    """Add a staff note."""
    return NoteRead.model_validate(
        service.add_note(db, actor=actor, profile_id=profile_id, data=body)
    )


@router.get("/profiles/{profile_id}/interactions")
def list_interactions(
    profile_id: UUID, db: DbSession, actor: CurrentActor
) -> list[InteractionRead]:
    """Interactions on every channel, newest first."""
    service.access_profile(db, actor=actor, profile_id=profile_id)
    rows = queries.list_interactions(db, workspace_id=actor.workspace_id, profile_id=profile_id)
    return [InteractionRead.model_validate(i) for i in rows]


@router.post("/profiles/{profile_id}/interactions", status_code=status.HTTP_201_CREATED)
def add_interaction(
    profile_id: UUID, body: InteractionCreate, db: DbSession, actor: CurrentActor
) -> InteractionRead:
    """Log a call, chat, visit, complaint or any other interaction."""
    interaction = service.add_interaction(db, actor=actor, profile_id=profile_id, data=body)
    return InteractionRead.model_validate(interaction)


@router.get("/profiles/{profile_id}/orders")
def list_orders(profile_id: UUID, db: DbSession, actor: CurrentActor) -> list[OrderRead]:
    """Orders with items, newest first."""
    service.access_profile(db, actor=actor, profile_id=profile_id)
    orders = queries.list_orders(db, workspace_id=actor.workspace_id, profile_id=profile_id)
    return [OrderRead.model_validate(o) for o in orders]


@router.post("/profiles/{profile_id}/orders", status_code=status.HTTP_201_CREATED)
def create_order(
    profile_id: UUID, body: OrderCreate, db: DbSession, actor: CurrentActor
) -> OrderRead:
    """Record an order; totals are computed from the items."""
    return OrderRead.model_validate(
        service.create_order(db, actor=actor, profile_id=profile_id, data=body)
    )


@router.get("/profiles/{profile_id}/timeline")
def read_timeline(
    profile_id: UUID,
    db: DbSession,
    actor: CurrentActor,
    before: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
) -> TimelinePage:
    """Interactions, orders and notes in one list, newest first. Page with `next_before`."""
    service.access_profile(db, actor=actor, profile_id=profile_id)
    cursor = _parse_cursor(before) if before else None
    items, nxt = queries.timeline(
        db, workspace_id=actor.workspace_id, profile_id=profile_id, before=cursor, limit=limit
    )
    return TimelinePage(
        items=[
            TimelineEntry(
                id=i.id,
                type=i.type,
                at=i.at,
                channel=i.channel,
                kind=i.kind,
                summary=i.summary,
                amount=i.amount,
                properties=i.properties,
            )
            for i in items
        ],
        next_before=f"{nxt[0].isoformat()}|{nxt[1]}" if nxt else None,
    )


def _parse_cursor(raw: str) -> tuple[datetime, UUID]:
    try:
        at, _, ident = raw.partition("|")
        return datetime.fromisoformat(at), UUID(ident)
    except ValueError:
        raise ValidationFailed([FieldError("before", "wrong_type")]) from None


@router.get("/attributes", tags=["attributes"])
def list_attributes(db: DbSession, actor: CurrentActor) -> list[AttributeRead]:
    """Custom field definitions of the workspace."""
    actor.require(Permission.PROFILES_READ)
    return [
        AttributeRead.model_validate(a)
        for a in queries.list_attributes(db, workspace_id=actor.workspace_id)
    ]


@router.post("/attributes", tags=["attributes"], status_code=status.HTTP_201_CREATED)
def define_attribute(body: AttributeCreate, db: DbSession, actor: CurrentActor) -> AttributeRead:
    """Define a custom field: type, labels, category, sensitivity, purpose, retention."""
    return AttributeRead.model_validate(service.define_attribute(db, actor=actor, data=body))
