"""The collection endpoints over a real socket: every answer the SDKs depend on."""

import base64
import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from hoso.events.models import DeadLetter, LandedEvent
from tests.events.conftest import Collect


def auth(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


@pytest.fixture
def http(collect_server: Collect) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=collect_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def source(collect_server: Collect) -> tuple[UUID, str]:
    return collect_server.new_source()


def landed(server: Collect, source_id: UUID) -> list[LandedEvent]:
    with server.factory() as session:
        return list(
            session.scalars(
                select(LandedEvent)
                .where(LandedEvent.source_id == source_id)
                .order_by(LandedEvent.id)
            )
        )


def batch(*items: object, **extra: object) -> dict[str, object]:
    return {"batch": list(items), "sentAt": datetime.now(UTC).isoformat(), **extra}


def track(user: str = "u1", **fields: object) -> dict[str, object]:
    return {
        "type": "track",
        "userId": user,
        "event": "Product Viewed",
        "messageId": str(uuid4()),
        "timestamp": datetime.now(UTC).isoformat(),
        **fields,
    }


def test_batch_is_committed_before_200_and_a_retry_is_not_stored_twice(
    collect_server: Collect, http: httpx.Client, source: tuple[UUID, str]
) -> None:
    source_id, key = source
    body = batch(track(), track(), track(anonymousId=None))
    first = http.post("/v1/batch", json=body, headers=auth(key))
    assert first.status_code == 200
    assert first.json() == {"success": True}
    assert len(landed(collect_server, source_id)) == 3  # committed: visible to another session
    retry = http.post("/v1/batch", json=body, headers={**auth(key), "X-Retry-Count": "1"})
    assert retry.status_code == 200
    assert len(landed(collect_server, source_id)) == 3


def test_each_call_has_its_endpoint_and_write_key_may_be_in_the_body(
    collect_server: Collect, http: httpx.Client, source: tuple[UUID, str]
) -> None:
    source_id, key = source
    calls: dict[str, dict[str, object]] = {
        "identify": {"userId": "u1", "traits": {"name": "Lan"}},
        "track": {"userId": "u1", "event": "Signed Up"},
        "page": {"anonymousId": "a1", "name": "Home"},
        "screen": {"anonymousId": "a1", "name": "Cart"},
        "group": {"userId": "u1", "groupId": "g1"},
        "alias": {"userId": "u1", "previousId": "a1"},
    }
    for call, fields in calls.items():
        response = http.post(f"/v1/{call}", json={**fields, "writeKey": key})
        assert response.status_code == 200, (call, response.text)
    rows = landed(collect_server, source_id)
    assert [r.type for r in rows] == list(calls)
    assert "writeKey" not in rows[0].payload


def test_gzip_bodies_are_accepted(
    collect_server: Collect, http: httpx.Client, source: tuple[UUID, str]
) -> None:
    source_id, key = source
    raw = gzip.compress(orjson.dumps(batch(track(), track())))
    response = http.post(
        "/v1/batch",
        content=raw,
        headers={**auth(key), "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert len(landed(collect_server, source_id)) == 2


@pytest.mark.parametrize(
    ("content", "encoding", "code"),
    [
        (b"{not json", None, "malformed_json"),
        (b"[1, 2]", None, "not_an_object"),
        (b'{"events": []}', None, "invalid_batch"),
        (b"\x1f\x8b not really gzip", "gzip", "malformed_json"),
        (b"{}", "br", "unsupported_encoding"),
    ],
)
def test_bad_bodies_get_400_with_code_and_message(
    http: httpx.Client,
    source: tuple[UUID, str],
    content: bytes,
    encoding: str | None,
    code: str,
) -> None:
    headers = {**auth(source[1]), "Content-Type": "application/json"}
    if encoding:
        headers["Content-Encoding"] = encoding
    response = http.post("/v1/batch", content=content, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"]


def test_oversize_requests_get_400_in_the_callers_language(
    http: httpx.Client, source: tuple[UUID, str]
) -> None:
    key = source[1]
    big = {"userId": "u", "event": "Big", "properties": {"blob": "x" * (33 * 1024)}}
    single = http.post("/v1/track", json=big, headers={**auth(key), "Accept-Language": "en"})
    assert single.status_code == 400
    assert single.json() == {
        "code": "payload_too_large",
        "message": "The request is larger than the 32 KB limit.",
        "limit_kb": 32,
    }
    huge = batch(*[track(properties={"blob": "y" * 20_000}) for _ in range(30)])
    response = http.post("/v1/batch", json=huge, headers=auth(key))
    assert response.status_code == 400
    assert response.json()["code"] == "payload_too_large"
    assert "500 KB" in response.json()["message"]
    # A gzip bomb is refused by its inflated size.
    bomb = gzip.compress(b'{"batch": [' + b" " * (600 * 1024) + b"]}")
    response = http.post(
        "/v1/batch", content=bomb, headers={**auth(key), "Content-Encoding": "gzip"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "payload_too_large"


def test_an_oversize_event_in_a_batch_is_kept_as_a_dead_letter(
    collect_server: Collect, http: httpx.Client, source: tuple[UUID, str]
) -> None:
    source_id, key = source
    body = batch(track(), track(properties={"blob": "z" * (33 * 1024)}))
    assert http.post("/v1/batch", json=body, headers=auth(key)).status_code == 200
    assert len(landed(collect_server, source_id)) == 1
    with collect_server.factory() as session:
        reasons = session.scalars(
            select(DeadLetter.reason).where(DeadLetter.source_id == source_id)
        ).all()
    assert reasons == ["event_too_large"]


def test_a_bad_or_missing_write_key_gets_401(http: httpx.Client) -> None:
    for headers in ({}, auth("wk_nope"), {"Authorization": "Basic !!!"}):
        response = http.post("/v1/batch", json=batch(track()), headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_write_key"


def test_a_rotated_key_stops_working(
    collect_server: Collect, http: httpx.Client, source: tuple[UUID, str]
) -> None:
    from hoso.events import service

    source_id, key = source
    assert http.post("/v1/batch", json=batch(track()), headers=auth(key)).status_code == 200
    with collect_server.factory.begin() as session:
        new_key = service.rotate_write_key(
            session, actor=collect_server.actor(), source=source_id
        ).write_key
    collect_server.collector.invalidate()  # what the web page does in-process
    assert http.post("/v1/batch", json=batch(track()), headers=auth(key)).status_code == 401
    assert http.post("/v1/batch", json=batch(track()), headers=auth(new_key)).status_code == 200


def test_overload_gets_429_with_retry_after(
    collect_server: Collect, http: httpx.Client, source: tuple[UUID, str]
) -> None:
    collector = collect_server.collector
    limit = collector.max_pending_events
    collector.max_pending_events = -1
    try:
        response = http.post("/v1/batch", json=batch(track()), headers=auth(source[1]))
    finally:
        collector.max_pending_events = limit
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["code"] == "events_overloaded"
    assert landed(collect_server, source[0]) == []


def test_clock_skew_is_corrected_from_sent_at(
    collect_server: Collect, http: httpx.Client, source: tuple[UUID, str]
) -> None:
    source_id, key = source
    skew = timedelta(hours=3)  # the device's clock is three hours ahead
    client_now = datetime.now(UTC) + skew
    event = track(timestamp=(client_now - timedelta(minutes=30)).isoformat())
    sent = http.post(
        "/v1/batch", json=batch(event, sentAt=client_now.isoformat()), headers=auth(key)
    )
    assert sent.status_code == 200
    (row,) = landed(collect_server, source_id)
    assert row.original_timestamp is not None
    assert abs(row.timestamp - (row.received_at - timedelta(minutes=30))) < timedelta(seconds=1)
    assert row.original_timestamp - row.timestamp > timedelta(hours=2, minutes=59)


def test_invalid_events_are_accepted_and_kept_with_their_reason(
    collect_server: Collect, http: httpx.Client, source: tuple[UUID, str]
) -> None:
    source_id, key = source
    body = batch(
        track(),
        {"type": "track", "event": "Anonymous nobody", "messageId": "m-1"},
        {"type": "teleport", "userId": "u", "messageId": "m-2"},
        "not an object",
    )
    assert http.post("/v1/batch", json=body, headers=auth(key)).status_code == 200
    assert http.post("/v1/batch", json=body, headers=auth(key)).status_code == 200  # retried
    with collect_server.factory() as session:
        letters = session.scalars(
            select(DeadLetter).where(DeadLetter.source_id == source_id).order_by(DeadLetter.id)
        ).all()
        count = session.scalar(
            select(func.count()).select_from(DeadLetter).where(DeadLetter.source_id == source_id)
        )
    reasons = [d.reason for d in letters]
    # The two with a messageId are deduped on retry; the non-object has none to dedupe on.
    assert reasons == ["no_user_anon_id", "invalid_event_type", "not_an_object", "not_an_object"]
    assert count == 4
    assert letters[2].payload == {"_raw": "not an object"}


def test_unknown_calls_are_404_json(http: httpx.Client, source: tuple[UUID, str]) -> None:
    response = http.post("/v1/teleport", json={}, headers=auth(source[1]))
    assert response.status_code == 404
    assert response.json()["code"] == "route_not_found"


def test_browsers_may_post_from_the_shops_own_site(
    collect_server: Collect, http: httpx.Client, source: tuple[UUID, str]
) -> None:
    preflight = http.options(
        "/v1/batch",
        headers={
            "Origin": "https://shop.vn",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    # analytics.js posts text/plain to avoid the preflight; the body is JSON all the same.
    response = http.post(
        "/v1/track",
        content=orjson.dumps({"writeKey": source[1], "anonymousId": "a", "event": "Viewed"}),
        headers={"Content-Type": "text/plain", "Origin": "https://shop.vn"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert len(landed(collect_server, source[0])) == 1
