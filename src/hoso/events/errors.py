from hoso.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated, Unavailable


class InvalidWriteKey(Unauthenticated):
    code = "invalid_write_key"


class MalformedEvents(InvalidInput):
    """The request body is not JSON, too large, or not a Segment message or batch."""

    code = "malformed_json"


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"


class InvalidBatch(InvalidInput):
    code = "invalid_batch"


class Overloaded(Unavailable):
    """Too many events are waiting to be written: the client should retry later (429)."""

    code = "events_overloaded"


class SourceNotFound(NotFound):
    code = "source_not_found"


class SourceNameTaken(Conflict):
    code = "source_name_taken"


class DeadLetterNotFound(NotFound):
    code = "dead_letter_not_found"


class DeadLetterNotReplayable(Conflict):
    code = "dead_letter_not_replayable"
