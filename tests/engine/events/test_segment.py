"""Reading Segment messages without a database: validation, skew, limits, spec mapping."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hoso.engine.events.segment import (
    Landing,
    Rejection,
    corrected_timestamp,
    parse_timestamp,
    read_message,
    read_request,
)
from hoso.engine.events.spec import (
    identify_traits,
    order_spec,
    profile_traits,
    technical,
)
from hoso.engine.events.useragent import parse_user_agent

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def read(item: object, **kw: object) -> Landing | Rejection:
    return read_message(item, received_at=NOW, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "micro"),
    [
        ("2026-11-22T06:02:03.632+00:00", 632000),  # segment: milliseconds
        ("2026-11-22T06:02:03.632417+00:00", 632417),  # rudder: microseconds
        ("2026-11-22T06:02:03.632Z", 632000),  # analytics.js
    ],
)
def test_both_sdks_timestamp_forms_parse(raw: str, micro: int) -> None:
    ok, value = parse_timestamp(raw)
    assert ok
    assert value is not None
    assert value.microsecond == micro
    assert value.utcoffset() == timedelta(0)


def test_naive_timestamps_are_utc_and_garbage_is_refused() -> None:
    assert parse_timestamp("2026-11-22T06:02:03") == (
        True,
        datetime(2026, 11, 22, 6, 2, 3, tzinfo=UTC),
    )
    assert parse_timestamp(1700000000) == (False, None)
    assert parse_timestamp(None) == (True, None)


@given(
    skew=st.integers(-86400, 86400),
    age=st.integers(0, 7 * 86400),
    delay=st.integers(0, 3600),
)
def test_skew_correction_recovers_the_true_time(skew: int, age: int, delay: int) -> None:
    # The event happened `age` s before it was sent; the request took `delay` s; the device's
    # clock is off by `skew` s. The correction removes the skew (not the network delay).
    sent_true = NOW - timedelta(seconds=delay)
    happened = sent_true - timedelta(seconds=age)
    corrected = corrected_timestamp(
        NOW, sent_true + timedelta(seconds=skew), happened + timedelta(seconds=skew)
    )
    assert corrected == happened + timedelta(seconds=delay)
    assert corrected <= NOW


def test_no_client_time_means_received_time_and_no_sent_at_trusts_the_client() -> None:
    assert corrected_timestamp(NOW, None, None) == NOW
    earlier = NOW - timedelta(days=3)
    assert corrected_timestamp(NOW, None, earlier) == earlier


def test_null_anonymous_id_is_absent_and_numbers_are_ids() -> None:
    landed = read({"type": "track", "event": "X", "userId": 42, "anonymousId": None})
    assert isinstance(landed, Landing)
    assert (landed.user_id, landed.anonymous_id) == ("42", None)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("text", "not_an_object"),
        ({"type": "track", "event": "X"}, "no_user_anon_id"),
        ({"type": "track", "userId": "u"}, "missing_event_name"),
        ({"type": "track", "userId": "u", "event": "  "}, "missing_event_name"),
        ({"type": "group", "userId": "u"}, "missing_group_id"),
        ({"type": "alias", "userId": "u"}, "missing_previous_id"),
        ({"type": "alias", "previousId": "a"}, "missing_user_id"),
        ({"type": "boom", "userId": "u"}, "invalid_event_type"),
        ({"userId": "u"}, "invalid_event_type"),
        ({"type": "identify", "userId": True}, "wrong_type"),
        ({"type": "identify", "userId": "u", "traits": ["a"]}, "wrong_type"),
        ({"type": "identify", "userId": "u", "timestamp": "hôm qua"}, "invalid_timestamp"),
        ({"type": "identify", "userId": "u", "messageId": "m" * 100}, "message_id_too_long"),
        ({"type": "identify", "userId": "u", "messageId": {"a": 1}}, "wrong_type"),
        ({"type": "identify", "userId": "u" * 1001}, "identifier_too_long"),
        (
            {"type": "identify", "userId": "u", "traits": {"x": "y" * 33 * 1024}},
            "event_too_large",
        ),
    ],
)
def test_invalid_messages_are_rejected_with_a_reason(item: object, reason: str) -> None:
    result = read(item)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert orjson.loads(result.payload)  # the event is kept as received


def test_batch_context_is_merged_under_each_items_own() -> None:
    body = {
        "batch": [
            {"type": "page", "anonymousId": "a", "context": {"ip": "1.2.3.4"}},
            {"type": "page", "anonymousId": "b"},
        ],
        "context": {"ip": "9.9.9.9", "locale": "vi-VN"},
        "integrations": {"All": True},
        "sentAt": "2026-12-01T12:00:00Z",
        "writeKey": "wk_x",
    }
    parsed = read_request(body, received_at=NOW, type_=None)
    assert not isinstance(parsed, str)
    assert parsed.write_key == "wk_x"
    first, second = (orjson.loads(m.payload) for m in parsed.landings)
    assert first["context"] == {"ip": "1.2.3.4", "locale": "vi-VN"}
    assert second["context"] == {"ip": "9.9.9.9", "locale": "vi-VN"}
    assert second["integrations"] == {"All": True}


def test_a_message_without_id_gets_one_from_its_content() -> None:
    one = read({"type": "track", "userId": "u", "event": "X"})
    two = read({"type": "track", "userId": "u", "event": "X"})
    other = read({"type": "track", "userId": "u", "event": "Y"})
    assert isinstance(one, Landing)
    assert isinstance(two, Landing)
    assert isinstance(other, Landing)
    assert one.message_id == two.message_id != other.message_id


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([], "not_an_object"),
        ({"batch": {}}, "invalid_batch"),
        ({"batch": [{}] * 2501}, "batch_too_many_events"),
    ],
)
def test_unusable_requests(body: object, code: str) -> None:
    assert read_request(body, received_at=NOW, type_=None) == code


def test_identify_traits_come_from_context_then_root() -> None:
    message = {"context": {"traits": {"email": "a@b.vn", "name": "A"}}, "traits": {"name": "B"}}
    assert identify_traits(message) == {"email": "a@b.vn", "name": "B"}
    traits = profile_traits({"first_name": "Lan", "last_name": "Nguyễn", "gender": "Nữ"})
    assert (traits.full_name, traits.gender) == ("Nguyễn Lan", "female")


def test_order_totals_are_computed_and_discount_bounded() -> None:
    spec = order_spec(
        "Completed Order",  # the v1 name
        {
            "order_id": 77,
            "total": 1,
            "discount": 10**9,
            "currency": "vnd",
            "products": [
                {"sku": "A", "price": "100000", "quantity": 3},
                {"product_id": "B", "price": -5, "quantity": 0},
                "junk",
            ],
        },
    )
    assert spec is not None
    assert spec.external_id == "77"
    assert spec.status == "completed"
    assert spec.currency == "VND"
    assert spec.subtotal == Decimal(300000)
    assert spec.discount == Decimal(300000)
    assert [(line.sku, line.quantity, line.unit_price) for line in spec.lines] == [
        ("A", Decimal(3), Decimal(100000)),
        ("B", Decimal(1), Decimal(0)),
    ]
    assert order_spec("Order Completed", {"total": 5}) is None  # no order id: no order
    assert order_spec("Product Viewed", {"order_id": "1"}) is None
    bare = order_spec("Order Completed", {"order_id": "9", "revenue": 250000})
    assert bare is not None
    assert bare.subtotal == Decimal(250000)


@pytest.mark.parametrize(
    ("ua", "browser", "os", "device"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "coc_coc_browser/133.0.210 Chrome/127.0.6533.210 Safari/537.36",
            "Cốc Cốc",
            "Windows",
            "desktop",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "Safari",
            "iOS",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36",
            "Chrome",
            "Android",
            "tablet",
        ),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", None, None, "bot"),
        ("", None, None, "unknown"),
    ],
)
def test_user_agents(ua: str, browser: str | None, os: str | None, device: str) -> None:
    parsed = parse_user_agent(ua)
    assert (parsed.browser, parsed.os, parsed.device_type) == (browser, os, device)


def test_technical_data_takes_campaign_from_context_or_url() -> None:
    tech = technical(
        {
            "context": {"campaign": {"source": "facebook", "medium": "cpc"}, "ip": "1.1.1.1"},
            "properties": {"url": "https://shop.vn/?utm_source=zalo"},
        }
    )
    assert tech["campaign"] == {"source": "facebook", "medium": "cpc"}
    assert tech["page"] == {"url": "https://shop.vn/?utm_source=zalo"}
    assert technical({"context": {"os": {"name": "iOS", "version": "17"}}}) == {
        "os": "iOS",
        "os_version": "17",
    }
