"""Landing and applying events through the real service and applier, in the test's transaction."""

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session, sessionmaker

from hoso.core.clock import utcnow
from hoso.engine.events.segment import read_request
from hoso.events import jobs, service
from hoso.events.models import EventSource
from hoso.events.service import Batch, Landed, SourceKey


def key_of(source: EventSource) -> SourceKey:
    return SourceKey(source.id, source.workspace_id, source.name, source.kind, source.enabled)


def msg(type_: str, **fields: Any) -> dict[str, Any]:
    """A message as the SDKs send it: a fresh messageId and a timestamp unless given."""
    return {"type": type_, "messageId": str(uuid4()), **fields}


def land(
    db: Session,
    source: EventSource,
    *messages: dict[str, Any],
    received_at: datetime | None = None,
    sent_at: str | None = None,
) -> Landed:
    body: dict[str, Any] = {"batch": [dict(m) for m in messages]}
    if sent_at is not None:
        body["sentAt"] = sent_at
    at = received_at or utcnow()
    parsed = read_request(body, received_at=at, type_=None)
    assert not isinstance(parsed, str)
    result = service.land(
        db, batches=[Batch(key_of(source), at, parsed.landings, parsed.rejections)]
    )
    db.flush()
    return result


def apply(factory: sessionmaker[Session]) -> int:
    return jobs.apply_until_idle(factory)
