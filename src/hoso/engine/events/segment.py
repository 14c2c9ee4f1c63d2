"""Reading Segment-spec messages: validation without models, skew correction, limits.

This is the accept path's per-event work, so it builds no pydantic model and raises nothing
per event: each message becomes either a :class:`Landing` (to store) or a :class:`Rejection`
(to keep in the dead-letter store with its reason). Facts from the Segment HTTP tracking API
and what ``segment-analytics-python`` and ``rudder-sdk-python`` send on the wire are in
shared/reference/ingestion.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_EVENTS = 2500
MAX_MESSAGE_ID = 100  # Segment: "fewer than 100 characters"
MAX_ID_LENGTH = 1000  # userId / anonymousId / groupId / previousId
TYPES = frozenset({"identify", "track", "page", "screen", "group", "alias"})
_OBJECT_FIELDS = ("context", "properties", "traits", "integrations")


@dataclass(slots=True)
class Landing:
    """A valid message, ready for the landing table."""

    message_id: str
    type: str
    user_id: str | None
    anonymous_id: str | None
    event: str | None
    original_timestamp: datetime | None
    sent_at: datetime | None
    timestamp: datetime
    payload: bytes  # the message as JSON (batch context merged in)


@dataclass(slots=True)
class Rejection:
    """A message that parsed but is invalid: kept with a reason code, never dropped."""

    reason: str
    payload: bytes
    message_id: str | None = None
    type: str | None = None
    sent_at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def parse_timestamp(value: Any) -> tuple[bool, datetime | None]:
    """Parse an ISO-8601 timestamp (ms or µs, ``Z`` or offset); naive values are UTC.

    Returns ``(ok, value)``: ``(True, None)`` when absent, ``(False, None)`` when unreadable.

    Examples:
        >>> parse_timestamp("2026-11-22T06:02:03.632+00:00")[1].microsecond
        632000
        >>> parse_timestamp("yesterday")
        (False, None)
    """
    if value is None:
        return True, None
    if not isinstance(value, str):
        return False, None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False, None
    return True, parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def corrected_timestamp(
    received_at: datetime, sent_at: datetime | None, original: datetime | None
) -> datetime:
    """Segment's clock-skew correction: ``receivedAt - (sentAt - originalTimestamp)``.

    Without ``sentAt`` the client's time is trusted as is; without any client time the event
    happened when it was received. A result after ``received_at`` (a client timestamp later
    than its own sentAt) is clamped to ``received_at``.

    Examples:
        >>> from datetime import timedelta
        >>> now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
        >>> skewed = now + timedelta(hours=1)  # the client's clock is an hour fast
        >>> corrected_timestamp(now, skewed, skewed - timedelta(minutes=5))
        datetime.datetime(2026, 12, 1, 11, 55, tzinfo=datetime.timezone.utc)
    """
    if original is None:
        return received_at
    if sent_at is None:
        return original
    corrected = received_at - (sent_at - original)
    return min(corrected, received_at)


def _identifier(value: Any) -> tuple[bool, str | None]:
    """A user/anonymous/group id: strings and numbers; ``None``/empty is absent; else bad."""
    if value is None:
        return True, None
    if isinstance(value, str):
        return True, value if value.strip() else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True, str(value)
    return False, None


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _content_id(message: dict[str, Any]) -> str:
    # A message without messageId gets one derived from its content, so a retried request
    # still dedupes (Segment would assign a random one, which cannot).
    digest = hashlib.sha256(orjson.dumps(message, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"hoso-{digest[:40]}"


def read_message(
    item: Any,
    *,
    received_at: datetime,
    type_: str | None = None,
    batch_sent_at: datetime | None = None,
    batch_context: dict[str, Any] | None = None,
    batch_integrations: dict[str, Any] | None = None,
) -> Landing | Rejection:
    """Validate one message; return what to land or why it is rejected.

    ``type_`` is the endpoint's type (``/v1/track``); batch items carry their own.
    ``batch_context`` and ``batch_integrations`` are merged under the item's own keys.
    """
    if not isinstance(item, dict):
        return Rejection("not_an_object", orjson.dumps({"_raw": _without_nul(item)}))
    if batch_context:
        own = item.get("context")
        item["context"] = {**batch_context, **own} if isinstance(own, dict) else batch_context
    if batch_integrations:
        own = item.get("integrations")
        item["integrations"] = (
            {**batch_integrations, **own} if isinstance(own, dict) else batch_integrations
        )
    if type_ is not None:
        item["type"] = type_
    payload = orjson.dumps(item)
    if b"\\u0000" in payload:
        # PostgreSQL's jsonb refuses the NUL character; it means nothing in customer data.
        payload = orjson.dumps(_without_nul(item))
    kind = item.get("type")
    raw_id = item.get("messageId")
    message_id: str | None
    if raw_id is None or raw_id == "":
        message_id = _content_id(item)
    elif isinstance(raw_id, str | int) and not isinstance(raw_id, bool):
        message_id = str(raw_id)
    else:
        message_id = None
    kind_s = kind if isinstance(kind, str) else None
    sent_ok, sent = parse_timestamp(item.get("sentAt"))
    sent_at = sent or batch_sent_at

    def reject(reason: str, **detail: Any) -> Rejection:
        return Rejection(reason, payload, message_id, kind_s, sent_at, detail)

    if message_id is None:
        return reject("wrong_type", field="messageId")
    if len(payload) > MAX_EVENT_BYTES:
        return reject("event_too_large", limit_kb=MAX_EVENT_BYTES // 1024)
    if len(message_id) >= MAX_MESSAGE_ID:
        return reject("message_id_too_long", limit=MAX_MESSAGE_ID)
    if kind_s not in TYPES:
        return reject("invalid_event_type", value=str(kind)[:50])
    if not sent_ok:
        return reject("invalid_timestamp", field="sentAt")
    user_ok, user_id = _identifier(item.get("userId"))
    anon_ok, anonymous_id = _identifier(item.get("anonymousId"))
    if not user_ok:
        return reject("wrong_type", field="userId")
    if not anon_ok:
        return reject("wrong_type", field="anonymousId")
    if (user_id and len(user_id) > MAX_ID_LENGTH) or (
        anonymous_id and len(anonymous_id) > MAX_ID_LENGTH
    ):
        return reject("identifier_too_long", limit=MAX_ID_LENGTH)
    for name in _OBJECT_FIELDS:
        value = item.get(name)
        if value is not None and not isinstance(value, dict):
            return reject("wrong_type", field=name)
    event: str | None = None
    if kind_s == "track":
        name_value = item.get("event")
        if not isinstance(name_value, str) or not name_value.strip():
            return reject("missing_event_name")
        event = name_value
    elif kind_s in ("page", "screen"):
        name_value = item.get("name")
        if name_value is not None and not isinstance(name_value, str):
            return reject("wrong_type", field="name")
        event = name_value
    elif kind_s == "group":
        if not _identifier(item.get("groupId"))[1]:
            return reject("missing_group_id")
    elif kind_s == "alias":
        if not _identifier(item.get("previousId"))[1]:
            return reject("missing_previous_id")
        if not user_id:
            return reject("missing_user_id")
    if not user_id and not anonymous_id:
        return reject("no_user_anon_id")
    field_name = "timestamp" if item.get("timestamp") is not None else "originalTimestamp"
    original_ok, original = parse_timestamp(item.get(field_name))
    if not original_ok:
        return reject("invalid_timestamp", field=field_name)
    return Landing(
        message_id=message_id,
        type=kind_s,
        user_id=user_id,
        anonymous_id=anonymous_id,
        event=event,
        original_timestamp=original,
        sent_at=sent_at,
        timestamp=corrected_timestamp(received_at, sent_at, original),
        payload=payload,
    )


@dataclass(slots=True)
class Request:
    """The messages of one HTTP request, read."""

    landings: list[Landing]
    rejections: list[Rejection]
    write_key: str | None


def read_request(body: Any, *, received_at: datetime, type_: str | None) -> Request | str:
    """Read a parsed request body: one message (``type_`` given) or a ``batch``.

    Returns the messages, or an error code when the request as a whole is unusable
    (``invalid_batch``, ``batch_too_many_events``, ``not_an_object``).
    """
    if not isinstance(body, dict):
        return "not_an_object"
    write_key = body.get("writeKey")
    key = write_key if isinstance(write_key, str) and write_key else None
    if type_ is not None:
        body.pop("writeKey", None)
        one = read_message(body, received_at=received_at, type_=type_)
        if isinstance(one, Landing):
            return Request([one], [], key)
        return Request([], [one], key)
    items = body.get("batch")
    if not isinstance(items, list):
        return "invalid_batch"
    if len(items) > MAX_BATCH_EVENTS:
        return "batch_too_many_events"
    batch_sent_at = parse_timestamp(body.get("sentAt"))[1]
    context = body.get("context")
    integrations = body.get("integrations")
    landings: list[Landing] = []
    rejections: list[Rejection] = []
    for item in items:
        result = read_message(
            item,
            received_at=received_at,
            batch_sent_at=batch_sent_at,
            batch_context=context if isinstance(context, dict) else None,
            batch_integrations=integrations if isinstance(integrations, dict) else None,
        )
        if isinstance(result, Landing):
            landings.append(result)
        else:
            rejections.append(result)
    return Request(landings, rejections, key)
