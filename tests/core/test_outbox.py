"""The outbox is read by consumers once each, never skipping an event committed late.

These tests need real commits from concurrent transactions, so they run on a database of
their own rather than inside the rolled-back test transaction.
"""

from collections.abc import Iterator
from uuid import UUID

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hoso.bootstrap import import_all_models
from hoso.core import outbox
from hoso.core.db import make_engine, make_session_factory
from hoso.jobs.runner import Consumer, drain_consumers, run_consumer
from hoso.migrate import upgrade
from hoso.workspaces import service as workspaces
from tests.conftest import fresh_database


@pytest.fixture(scope="module")
def committed_engine(admin_uri: str) -> Iterator[Engine]:
    with fresh_database(admin_uri, "outbox") as url:
        import_all_models()
        engine = make_engine(url, pool_size=4)
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def factory(committed_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(committed_engine)


@pytest.fixture
def ws(factory: sessionmaker[Session]) -> UUID:
    with factory.begin() as session:
        return workspaces.create_workspace(session, name="Outbox").id


def topics_of(events: list[outbox.Delivered]) -> list[str]:
    return [e.topic for e in events]


def test_a_rolled_back_gap_is_forgotten(factory: sessionmaker[Session], ws: UUID) -> None:
    seen: list[str] = []
    consumer = Consumer("t-gap", frozenset({"f"}), lambda _s, e: seen.extend(topics_of(e)))
    drain_consumers(factory, [consumer])
    with factory() as doomed:
        doomed.begin()
        outbox.emit(doomed, ws, "f", n=1)
        doomed.flush()
        doomed.rollback()
    with factory.begin() as session:
        outbox.emit(session, ws, "f", n=2)
    drain_consumers(factory, [consumer])
    with factory() as session:
        cursor = session.get_one(outbox.OutboxCursor, "t-gap")
        assert len(cursor.gaps) == 1  # the rolled-back id, waited for
        cursor.gaps = [[g[0], g[1], g[2] - outbox.GAP_TIMEOUT_S] for g in cursor.gaps]
        session.commit()
    drain_consumers(factory, [consumer])
    with factory() as session:
        assert session.get_one(outbox.OutboxCursor, "t-gap").gaps == []
    assert seen == ["f"]


def test_a_late_commit_is_not_skipped(factory: sessionmaker[Session], ws: UUID) -> None:
    seen: list[outbox.Delivered] = []
    consumer = Consumer("t-late", frozenset({"a", "b"}), lambda _s, events: seen.extend(events))
    drain_consumers(factory, [consumer])  # start after what earlier tests wrote
    seen.clear()

    slow = factory()
    slow.begin()
    outbox.emit(slow, ws, "a", n=1)
    slow.flush()  # the long transaction holds a smaller txid and a smaller event id
    with factory.begin() as fast:
        outbox.emit(fast, ws, "b", n=2)

    drain_consumers(factory, [consumer])
    assert topics_of(seen) == ["b"]  # "a"'s id is remembered as a gap

    slow.commit()
    slow.close()
    drain_consumers(factory, [consumer])
    assert topics_of(seen) == ["b", "a"]  # the late commit is delivered, not skipped
    drain_consumers(factory, [consumer])
    assert topics_of(seen) == ["b", "a"]  # each once


def test_a_failing_handler_gets_the_same_events_again(
    factory: sessionmaker[Session], ws: UUID
) -> None:
    calls: list[list[str]] = []

    def flaky(_session: Session, events: list[outbox.Delivered]) -> None:
        calls.append(topics_of(events))
        if len(calls) == 1:
            raise RuntimeError("boom")

    consumer = Consumer("t-flaky", frozenset({"c"}), flaky)
    drain_consumers(factory, [Consumer("t-flaky", frozenset(), lambda _s, _e: None)])
    with factory.begin() as session:
        outbox.emit(session, ws, "c")
    with pytest.raises(RuntimeError):
        run_consumer(factory, consumer)
    assert run_consumer(factory, consumer) == 1
    assert calls == [["c"], ["c"]]
    assert run_consumer(factory, consumer) == 0


def test_consumers_are_independent_and_exclusive(factory: sessionmaker[Session], ws: UUID) -> None:
    first: list[str] = []
    second: list[str] = []
    one = Consumer("t-one", frozenset({"d"}), lambda _s, e: first.extend(topics_of(e)))
    two = Consumer("t-two", frozenset({"d", "e"}), lambda _s, e: second.extend(topics_of(e)))
    drain_consumers(factory, [one, two])
    first.clear()
    second.clear()
    with factory.begin() as session:
        outbox.emit(session, ws, "d")
        outbox.emit(session, ws, "e")
    drain_consumers(factory, [one, two])
    assert (first, second) == (["d"], ["d", "e"])

    with factory.begin() as holder:
        assert outbox.consume(holder, "t-one", frozenset({"d"})) is not None
        with factory.begin() as other:
            # The cursor row is locked by the first reader: a second worker passes.
            assert outbox.consume(other, "t-one", frozenset({"d"})) is None
