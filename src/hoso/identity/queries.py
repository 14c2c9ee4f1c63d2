"""Read side of identity resolution: the review queue, merge history, shared values."""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hoso.identity.models import IdentityMerge, IdentityPair, IdentitySharedValue
from hoso.profiles import queries as profile_queries
from hoso.profiles.models import Profile


@dataclass(frozen=True, slots=True)
class PairView:
    """A pair waiting for review, with both customers loaded."""

    pair: IdentityPair
    left: Profile
    right: Profile


def count_pending(session: Session, *, workspace_id: UUID) -> int:
    """How many pairs wait for review."""
    return (
        session.scalar(
            select(func.count())
            .select_from(IdentityPair)
            .where(IdentityPair.workspace_id == workspace_id, IdentityPair.status == "pending")
        )
        or 0
    )


def list_pending(
    session: Session, *, workspace_id: UUID, limit: int = 50, min_probability: float = 0.0
) -> list[PairView]:
    """Pairs waiting for review, most likely first, with both (live) customers."""
    pairs = session.scalars(
        select(IdentityPair)
        .where(
            IdentityPair.workspace_id == workspace_id,
            IdentityPair.status == "pending",
            IdentityPair.probability >= min_probability,
        )
        .order_by(IdentityPair.probability.desc(), IdentityPair.id)
        .limit(limit)
    ).all()
    ids = list({p for pair in pairs for p in (pair.profile_a, pair.profile_b)})
    loaded = {
        p.id: p
        for p in profile_queries.load_profiles(session, workspace_id=workspace_id, profile_ids=ids)
    }
    return [
        PairView(pair, loaded[pair.profile_a], loaded[pair.profile_b])
        for pair in pairs
        if pair.profile_a in loaded and pair.profile_b in loaded
    ]


def next_pending_id(session: Session, *, workspace_id: UUID, after: UUID | None) -> UUID | None:
    """The next pair to review after ``after`` in queue order (most likely first)."""
    order = (IdentityPair.probability.desc(), IdentityPair.id)
    query = select(IdentityPair.id).where(
        IdentityPair.workspace_id == workspace_id, IdentityPair.status == "pending"
    )
    if after is not None:
        current = session.get(IdentityPair, after)
        if current is not None:
            query = query.where(
                or_(
                    IdentityPair.probability < current.probability,
                    (IdentityPair.probability == current.probability)
                    & (IdentityPair.id > current.id),
                )
            )
    return session.scalar(query.order_by(*order).limit(1))


def merges_of(session: Session, *, workspace_id: UUID, profile_id: UUID) -> list[IdentityMerge]:
    """The merges a customer took part in (as survivor or merged), newest first."""
    return list(
        session.scalars(
            select(IdentityMerge)
            .where(
                IdentityMerge.workspace_id == workspace_id,
                or_(
                    IdentityMerge.survivor_id == profile_id,
                    IdentityMerge.merged_id == profile_id,
                ),
            )
            .order_by(IdentityMerge.created_at.desc(), IdentityMerge.id.desc())
        )
    )


def recent_merges(session: Session, *, workspace_id: UUID, limit: int = 100) -> list[IdentityMerge]:
    """The workspace's latest merge decisions (the merge log)."""
    return list(
        session.scalars(
            select(IdentityMerge)
            .where(IdentityMerge.workspace_id == workspace_id)
            .order_by(IdentityMerge.created_at.desc(), IdentityMerge.id.desc())
            .limit(limit)
        )
    )


def pending_for(session: Session, *, workspace_id: UUID, profile_id: UUID) -> list[IdentityPair]:
    """Pairs waiting for review that involve this customer."""
    return list(
        session.scalars(
            select(IdentityPair)
            .where(
                IdentityPair.workspace_id == workspace_id,
                IdentityPair.status == "pending",
                or_(IdentityPair.profile_a == profile_id, IdentityPair.profile_b == profile_id),
            )
            .order_by(IdentityPair.probability.desc())
        )
    )


def names_of(session: Session, *, workspace_id: UUID, ids: set[UUID]) -> dict[UUID, str]:
    """Display names of profiles (live, merged or deleted), for history lists."""
    if not ids:
        return {}
    return {
        row.id: row.full_name
        for row in session.execute(
            select(Profile.id, Profile.full_name).where(
                Profile.workspace_id == workspace_id, Profile.id.in_(ids)
            )
        )
    }


def shared_values(session: Session, *, workspace_id: UUID) -> list[IdentitySharedValue]:
    """Identifier values that never merge on their own (shared by several people, or junk)."""
    return list(
        session.scalars(
            select(IdentitySharedValue)
            .where(IdentitySharedValue.workspace_id == workspace_id)
            .order_by(IdentitySharedValue.detected_at.desc())
        )
    )
