"""One error vocabulary: domain errors carry a stable code and a kind; edges map kinds.

Messages are not stored here: every ``code`` has a Vietnamese and an English text in
``hoso.core.i18n``, rendered by the edge in the user's language with ``details``.
"""

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar


class ErrorKind(StrEnum):
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    INVALID = "invalid"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: where, a stable code, and the values its message needs."""

    field: str
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


class HosoError(Exception):
    """Base of every domain error. ``code`` is stable and documented; ``details`` is JSON-able."""

    kind: ClassVar[ErrorKind] = ErrorKind.INVALID
    code: ClassVar[str] = "invalid"

    def __init__(self, **details: Any) -> None:
        self.details: dict[str, Any] = details
        super().__init__(f"{self.code}: {details}" if details else self.code)


class NotFound(HosoError):
    kind = ErrorKind.NOT_FOUND
    code = "not_found"


class Conflict(HosoError):
    kind = ErrorKind.CONFLICT
    code = "conflict"


class Forbidden(HosoError):
    kind = ErrorKind.FORBIDDEN
    code = "forbidden"


class Unauthenticated(HosoError):
    kind = ErrorKind.UNAUTHENTICATED
    code = "unauthenticated"


class InvalidInput(HosoError):
    kind = ErrorKind.INVALID
    code = "invalid"


class Unavailable(HosoError):
    kind = ErrorKind.UNAVAILABLE
    code = "unavailable"


class PermissionDenied(Forbidden):
    code = "permission_denied"


class ValidationFailed(InvalidInput):
    """Several fields are invalid; nothing was written."""

    code = "validation_failed"

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__(fields=[e.field for e in errors])
