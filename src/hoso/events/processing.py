"""Applying landed events to customers: profiles, identifiers, timeline, orders, accounts.

A chunk of landed events (oldest first) is applied set-based: one query finds every profile
the chunk's ids point at, the linking decisions are made in memory event by event (so the
events of one customer are applied in order), then each kind of row is written with one
statement, and the events are marked applied in the same transaction as their effects
(exactly once). The caller (``hoso.events.jobs``) owns the transaction.

Linking uses exact keys only (until identity resolution takes over): ``userId`` is a
``user_id`` identifier, ``anonymousId`` an ``anonymous_id``, and identify's email and phone
(normalised). Guards: junk contacts never link; an anonymous id already attached to one known
user is never attached to another; a contact found on several profiles picks none. Two
existing profiles shown to be one customer need a merge: see :func:`stitch`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from hoso.core.actor import Actor
from hoso.core.clock import utcnow
from hoso.core.errors import HosoError
from hoso.core.ids import uuid7
from hoso.core.types import WorkspaceId
from hoso.engine.events.spec import (
    canonical_event,
    identify_traits,
    order_spec,
    profile_traits,
    technical,
)
from hoso.events.models import Account, AccountMember, EventSource, StitchRequest
from hoso.events.service import Pending
from hoso.identity import service as identity
from hoso.profiles import from_events
from hoso.profiles import service as profiles
from hoso.profiles.from_events import Contact, NewIdentifier, OrderChange, TraitChange

# Order events update the order itself (the timeline shows orders); the others are timeline
# rows. Order Cancelled/Refunded/Updated are both: the order changes and the timeline says when.
_ORDER_ONLY = frozenset({"Order Completed"})


@dataclass(frozen=True, slots=True)
class Applied:
    """What a chunk did."""

    events: int
    profiles_created: int
    interactions: int
    orders: int
    stitches: int


@dataclass
class _Links:
    """The chunk's view of who holds which key (profile ids), updated as events are read."""

    user: dict[str, UUID] = field(default_factory=dict)
    anonymous: dict[str, UUID] = field(default_factory=dict)
    contacts: dict[tuple[str, str], set[UUID]] = field(default_factory=lambda: defaultdict(set))
    users_of: dict[UUID, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class _Work:
    """Everything a chunk will write, gathered while its events are read in order."""

    workspace_id: UUID
    links: _Links
    new_profiles: dict[UUID, str] = field(default_factory=dict)  # id -> source
    identifiers: list[NewIdentifier] = field(default_factory=list)
    traits: dict[UUID, list[TraitChange]] = field(default_factory=lambda: defaultdict(list))
    interactions: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    orders: list[tuple[Pending, UUID, str]] = field(default_factory=list)
    groups: list[tuple[Pending, UUID, str]] = field(default_factory=list)
    stitches: list[tuple[UUID, UUID, str, dict[str, Any]]] = field(default_factory=list)

    def new_profile(self, source: str) -> UUID:
        pid = uuid7()
        self.new_profiles[pid] = source
        return pid

    def attach(self, pid: UUID, kind: str, value: str, source: str) -> None:
        if kind == "user_id":
            if self.links.user.get(value) == pid:
                return
            self.links.user[value] = pid
            self.links.users_of[pid].add(value)
        elif kind == "anonymous_id":
            if self.links.anonymous.get(value) == pid:
                return
            self.links.anonymous[value] = pid
        self.identifiers.append(NewIdentifier(pid, kind, value, value, source))


def _source_label(source: EventSource) -> str:
    return f"events:{source.name}"


def _lookup(session: Session, workspace_id: UUID, events: list[Pending]) -> _Links:
    users: set[str] = set()
    anonymous: set[str] = set()
    emails: set[str] = set()
    phones: set[str] = set()
    for e in events:
        if e.user_id:
            users.add(e.user_id)
        if e.anonymous_id:
            anonymous.add(e.anonymous_id)
        if e.type == "alias":
            previous = str(e.payload.get("previousId"))
            users.add(previous)
            anonymous.add(previous)
        elif e.type == "identify":
            for c in _contacts(e.payload):
                (emails if c.kind == "email" else phones).add(c.value)
    keys = [
        (kind, value)
        for kind, values in (
            ("user_id", users),
            ("anonymous_id", anonymous),
            ("email", emails),
            ("phone", phones),
        )
        for value in sorted(values)
    ]
    links = _Links()
    if not keys:
        return links
    # One index probe per key: a LATERAL subquery that OFFSET 0 keeps from being flattened,
    # run under enable_seqscan=off (hoso.events.jobs). Joins and `= ANY(...)` filters were
    # planned from stale statistics as loops over every profile or identifier of the
    # workspace (0.1-1.4 s per chunk, measured on tables growing from empty).
    rows = session.execute(
        text(
            "SELECT k.kind, k.value, i.profile_id"
            " FROM unnest(CAST(:kinds AS text[]), CAST(:values AS text[])) AS k(kind, value)"
            " CROSS JOIN LATERAL (SELECT profile_id FROM profile_identifier"
            " WHERE workspace_id = :ws AND kind = k.kind AND value = k.value OFFSET 0) AS i"
            " ORDER BY i.profile_id"
        ),
        {"kinds": [k for k, _ in keys], "values": [v for _, v in keys], "ws": workspace_id},
    ).all()
    candidates = list({pid for _, _, pid in rows})
    live = (
        {
            pid
            for pid, deleted_at, merged_into in session.execute(
                text(
                    "SELECT p.id, p.deleted_at, p.merged_into_id"
                    " FROM unnest(CAST(:ids AS uuid[])) AS u(id)"
                    " CROSS JOIN LATERAL (SELECT id, deleted_at, merged_into_id FROM profile"
                    " WHERE id = u.id OFFSET 0) AS p"
                ),
                {"ids": candidates},
            )
            if deleted_at is None and merged_into is None
        }
        if candidates
        else set()
    )
    for kind, value, pid in rows:
        if pid not in live:
            continue
        if kind == "user_id":
            links.user.setdefault(value, pid)
        elif kind == "anonymous_id":
            links.anonymous.setdefault(value, pid)
        else:
            links.contacts[(kind, value)].add(pid)
    if live:
        for pid, value in session.execute(
            text(
                "SELECT u.id, i.value FROM unnest(CAST(:ids AS uuid[])) AS u(id)"
                " CROSS JOIN LATERAL (SELECT value FROM profile_identifier"
                " WHERE profile_id = u.id AND kind = 'user_id' OFFSET 0) AS i"
            ),
            {"ids": list(live)},
        ):
            links.users_of[pid].add(value)
    return links


def _contacts(payload: dict[str, Any]) -> list[Contact]:
    traits = profile_traits(identify_traits(payload))
    out = []
    for kind, raw in (("email", traits.email), ("phone", traits.phone)):
        if raw:
            found = from_events.contact(kind, raw)
            if found is not None:
                out.append(found)
    return out


def _resolve(
    work: _Work,
    event: Pending,
    source: str,
    user_id: str | None,
    anonymous_id: str | None,
    contacts: list[Contact],
) -> UUID:
    """The profile an event belongs to, creating or linking as the rules say."""
    links = work.links
    by_user = links.user.get(user_id) if user_id else None
    by_anon = links.anonymous.get(anonymous_id) if anonymous_id else None
    if user_id is None:
        assert anonymous_id is not None  # noqa: S101 - landing refuses events with neither
        if by_anon is not None:
            return by_anon
        pid = work.new_profile(source)
        work.attach(pid, "anonymous_id", anonymous_id, source)
        return pid
    if by_user is not None:
        if anonymous_id and by_anon is None:
            work.attach(by_user, "anonymous_id", anonymous_id, source)
        elif by_anon is not None and by_anon != by_user and not links.users_of.get(by_anon):
            # An anonymous visitor's profile turns out to be a known customer's: a merge.
            stitch(work, by_user, by_anon, "identify", event, anonymous_id=anonymous_id)
            # Else the anonymous id belongs to another known user: never re-attached (guard).
        return by_user
    # A userId nobody holds yet. First: the one customer already holding this email or phone
    # (imported from a POS or a spreadsheet, say) is this customer.
    holder = _single_holder(links, contacts)
    if holder is not None and not links.users_of.get(holder):
        work.attach(holder, "user_id", user_id, source)
        if anonymous_id and by_anon is None:
            work.attach(holder, "anonymous_id", anonymous_id, source)
        elif by_anon is not None and by_anon != holder and not links.users_of.get(by_anon):
            # The visitor's own profile holds their anonymous history: a merge.
            stitch(work, holder, by_anon, "identify", event, anonymous_id=anonymous_id)
        return holder
    if by_anon is not None and not links.users_of.get(by_anon):
        work.attach(by_anon, "user_id", user_id, source)  # the visitor becomes the customer
        return by_anon
    pid = work.new_profile(source)
    work.attach(pid, "user_id", user_id, source)
    if anonymous_id and by_anon is None:
        work.attach(pid, "anonymous_id", anonymous_id, source)
    return pid


def _single_holder(links: _Links, contacts: list[Contact]) -> UUID | None:
    """The one profile holding the event's email or phone; none when junk or ambiguous."""
    holders: set[UUID] = set()
    for c in contacts:
        if not c.usable:
            continue
        found = links.contacts.get((c.kind, c.value), set())
        if len(found) > 1:
            return None
        holders |= found
    return next(iter(holders)) if len(holders) == 1 else None


def stitch(
    work: _Work,
    survivor: UUID,
    merged: UUID,
    reason: str,
    event: Pending,
    **evidence: Any,
) -> None:
    """Two existing profiles are one customer: they are merged at the end of the chunk.

    The merge (moving identifiers, timeline, orders, memberships; recorded and undoable) is
    identity resolution's :func:`hoso.identity.service.merge_profiles`, with method
    ``event``; :func:`_merge` records each stitch and its outcome in ``event_stitch``.
    """
    work.stitches.append(
        (
            survivor,
            merged,
            reason,
            {"message_id": event.message_id, "event_id": event.id, **evidence},
        )
    )


def apply_events(session: Session, *, events: list[Pending]) -> Applied:
    """Apply landed events (oldest first) and mark them applied, in the caller's transaction."""
    if not events:
        return Applied(0, 0, 0, 0, 0)
    sources = {
        s.id: s
        for s in session.scalars(
            select(EventSource).where(EventSource.id.in_({e.source_id for e in events}))
        )
    }
    by_workspace: dict[UUID, list[Pending]] = defaultdict(list)
    for e in events:
        by_workspace[e.workspace_id].append(e)
    totals = [0, 0, 0, 0]
    for workspace_id, chunk in by_workspace.items():
        work = _Work(workspace_id, _lookup(session, workspace_id, chunk))
        for event in chunk:
            _read(work, event, sources[event.source_id])
        _write(session, work, sources)
        totals[0] += len(work.new_profiles)
        totals[1] += len(work.interactions)
        totals[2] += len(work.orders)
        totals[3] += len(work.stitches)
    session.execute(
        text(
            "UPDATE event_landed e SET applied_at = :now"
            " FROM unnest(CAST(:ids AS bigint[])) AS u(id) WHERE e.id = u.id"
        ),
        {"now": utcnow(), "ids": [e.id for e in events]},
    )
    return Applied(len(events), *totals)


def _read(work: _Work, event: Pending, source: EventSource) -> None:
    label = _source_label(source)
    payload = event.payload
    if event.type == "alias":
        _alias(work, event, label, str(payload.get("previousId")), str(event.user_id))
        return
    contacts = _contacts(payload) if event.type == "identify" else []
    pid = _resolve(work, event, label, event.user_id, event.anonymous_id, contacts)
    if event.type == "identify":
        traits = profile_traits(identify_traits(payload))
        work.records.append(
            {
                "source": label,
                "idempotency_key": event.message_id,
                "payload": identify_traits(payload),
                "profile_id": pid,
            }
        )
        work.traits[pid].append(TraitChange(event.timestamp, traits, label, None, contacts))
        for c in contacts:
            if c.usable:
                work.links.contacts[(c.kind, c.value)].add(pid)
        return
    if event.type == "group":
        work.groups.append((event, pid, label))
        return
    properties = payload.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    base = {
        "profile_id": pid,
        "occurred_at": event.timestamp,
        "channel": source.kind,
        "source": label,
    }
    if event.type == "track":
        name = canonical_event(event.event or "")
        if order_spec(name, properties) is not None:
            work.orders.append((event, pid, label))
            if name in _ORDER_ONLY:
                return
        work.interactions.append(
            {
                **base,
                "kind": "track",
                "summary": name[:500],
                "properties": {
                    "event": event.event,
                    "properties": properties,
                    "context": technical(payload),
                    "message_id": event.message_id,
                },
            }
        )
        return
    # page / screen: behavioural and technical data.
    tech = technical(payload)
    page = tech.get("page", {})
    summary = event.event or page.get("title") or page.get("url") or page.get("path") or ""
    work.interactions.append(
        {
            **base,
            "kind": "page_view" if event.type == "page" else "screen_view",
            "summary": str(summary)[:500],
            "properties": {
                "name": event.event,
                "category": payload.get("category"),
                "properties": properties,
                "context": tech,
                "message_id": event.message_id,
            },
        }
    )


def _alias(work: _Work, event: Pending, source: str, previous: str, user_id: str) -> None:
    links = work.links
    by_new = links.user.get(user_id)
    by_previous = links.user.get(previous) or links.anonymous.get(previous)
    if by_new is None and by_previous is None:
        pid = work.new_profile(source)
        work.attach(pid, "user_id", user_id, source)
        work.attach(pid, "anonymous_id", previous, source)
    elif by_new is None:
        assert by_previous is not None  # noqa: S101
        work.attach(by_previous, "user_id", user_id, source)
    elif by_previous is None:
        work.attach(by_new, "anonymous_id", previous, source)
    elif by_new != by_previous:
        stitch(work, by_new, by_previous, "alias", event, previous_id=previous, user_id=user_id)


def _write(session: Session, work: _Work, sources: dict[UUID, EventSource]) -> None:
    ws = work.workspace_id
    from_events.create_profiles(
        session, workspace_id=ws, ids=list(work.new_profiles), source_of=work.new_profiles
    )
    from_events.add_identifiers(session, workspace_id=ws, rows=work.identifiers)
    record_ids = from_events.land_source_records(session, workspace_id=ws, rows=work.records)
    _stamp_records(work, record_ids)
    from_events.apply_traits(session, workspace_id=ws, changes=work.traits)
    from_events.record_interactions(session, workspace_id=ws, rows=work.interactions)
    changes = []
    for event, pid, label in work.orders:
        name = canonical_event(event.event or "")
        spec = order_spec(name, event.payload.get("properties") or {})
        assert spec is not None  # noqa: S101 - only order events are queued here
        changes.append(
            OrderChange(
                profile_id=pid,
                spec=spec,
                channel=sources[event.source_id].name,
                at=event.timestamp,
                source=label,
                replace_items=name in {"Order Completed", "Order Updated"},
                placed=name == "Order Completed",
            )
        )
    from_events.upsert_orders(session, workspace_id=ws, changes=changes)
    for event, pid, label in work.groups:
        _group(session, ws, event, pid, label)
    for survivor, merged, reason, evidence in work.stitches:
        _merge(session, ws, survivor, merged, reason, evidence)


def _merge(
    session: Session,
    workspace_id: UUID,
    survivor: UUID,
    merged: UUID,
    reason: str,
    evidence: dict[str, Any],
) -> None:
    """Merge two profiles events showed to be one, recording the stitch and its outcome."""
    stitch_id = session.scalar(
        pg_insert(StitchRequest)
        .values(
            id=uuid7(),
            workspace_id=workspace_id,
            survivor_id=survivor,
            merged_id=merged,
            reason=reason,
            evidence=evidence,
        )
        .on_conflict_do_nothing(constraint="uq_event_stitch_survivor_id_merged_id")
        .returning(StitchRequest.id)
    )
    if stitch_id is None:
        return  # the same pair was stitched before: merged then (or refused, with the reason)
    # Earlier merges of this chunk may have folded either profile into another already.
    live_survivor = profiles.live_profile_id(
        session, workspace_id=workspace_id, profile_id=survivor
    )
    live_merged = profiles.live_profile_id(session, workspace_id=workspace_id, profile_id=merged)
    values: dict[str, Any] = {"decided_at": utcnow()}
    if live_survivor is None or live_merged is None or live_survivor == live_merged:
        values.update(status="refused", error="already_one" if live_survivor else "deleted")
    else:
        actor = Actor.system(WorkspaceId(workspace_id), "events")
        try:
            with session.begin_nested():
                decision = identity.merge_profiles(
                    session,
                    actor=actor,
                    survivor_id=live_survivor,
                    merged_id=live_merged,
                    reason=f"events:{reason}",
                    method="event",
                    evidence=evidence,
                )
            values.update(status="merged", merge_id=decision.id)
        except HosoError as exc:
            values.update(status="refused", error=exc.code)
    session.execute(update(StitchRequest).where(StitchRequest.id == stitch_id).values(values))


def _stamp_records(work: _Work, record_ids: dict[str, UUID]) -> None:
    """Point each trait change at the source record of its event (lineage)."""
    by_profile: dict[UUID, list[str]] = defaultdict(list)
    for r in work.records:
        by_profile[r["profile_id"]].append(r["idempotency_key"])
    for pid, changes in work.traits.items():
        for change, key in zip(changes, by_profile[pid], strict=False):
            change.source_record_id = record_ids.get(key)


def _group(session: Session, ws: UUID, event: Pending, pid: UUID, label: str) -> None:
    payload = event.payload
    group_id = str(payload.get("groupId"))
    traits = payload.get("traits")
    traits = traits if isinstance(traits, dict) else {}
    at: datetime = event.timestamp
    account = session.scalar(
        select(Account)
        .where(Account.workspace_id == ws, Account.group_id == group_id)
        .with_for_update()
    )
    if account is None:
        account = Account(
            id=uuid7(), workspace_id=ws, group_id=group_id, source=label, traits={}, trait_times={}
        )
        session.add(account)
    merged = dict(account.traits or {})
    times = dict(account.trait_times or {})
    for key, value in traits.items():
        previous = times.get(key)
        if previous is None or previous <= at.isoformat():
            merged[key], times[key] = value, at.isoformat()
    account.traits, account.trait_times = merged, times
    name = merged.get("name")
    account.name = str(name)[:200] if name is not None else account.name
    account.updated_at = utcnow()
    session.flush()
    statement = pg_insert(AccountMember).values(
        id=uuid7(),
        account_id=account.id,
        profile_id=pid,
        workspace_id=ws,
        first_seen_at=at,
        last_seen_at=at,
    )
    session.execute(
        statement.on_conflict_do_update(
            constraint="uq_account_member_account_id_profile_id",
            set_={"last_seen_at": statement.excluded.last_seen_at},
        )
    )
