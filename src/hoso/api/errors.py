"""One HTTP mapping for domain errors: RFC 9457 problem+json, localised ``detail``."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hoso.core.errors import ErrorKind, FieldError, HosoError, ValidationFailed
from hoso.core.i18n import Locale, message
from hoso.http import request_locale

log = logging.getLogger(__name__)

STATUS = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.INVALID: 422,
    ErrorKind.UNAVAILABLE: 503,
}
PROBLEM = "application/problem+json"

# Pydantic error types -> our field error codes (each has both languages in hoso.core.i18n).
_PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unexpected_field",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "string_too_short": "too_short",
    "too_short": "too_short",
    "literal_error": "not_allowed",
    "enum": "not_allowed",
    "string_pattern_mismatch": "not_allowed",
    "greater_than": "not_allowed",
    "greater_than_equal": "not_allowed",
    "less_than": "not_allowed",
    "less_than_equal": "not_allowed",
    "json_invalid": "malformed_json",
    "date_from_datetime_parsing": "invalid_date",
    "date_parsing": "invalid_date",
    "datetime_from_date_parsing": "invalid_date",
    "datetime_parsing": "invalid_date",
}


def _field_errors(errors: list[FieldError], locale: Locale) -> list[dict[str, Any]]:
    return [
        {
            "field": e.field,
            "code": e.code,
            "message": message(e.code, locale, e.params),
            **({"params": e.params} if e.params else {}),
        }
        for e in errors
    ]


def problem(
    status: int,
    code: str,
    locale: Locale,
    *,
    params: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/errors/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": message(code, locale, params),
        "code": code,
    }
    if params:
        body.update({k: v for k, v in params.items() if k not in body})
    if errors is not None:
        body["errors"] = _field_errors(errors, locale)
    return JSONResponse(jsonable_encoder(body), status, media_type=PROBLEM, headers=headers)


def _hoso_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HosoError)  # noqa: S101 - registered for HosoError only
    locale = request_locale(request)
    errors = exc.errors if isinstance(exc, ValidationFailed) else None
    headers = {"WWW-Authenticate": "Bearer"} if exc.kind is ErrorKind.UNAUTHENTICATED else None
    return problem(
        STATUS[exc.kind], exc.code, locale, params=exc.details, errors=errors, headers=headers
    )


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    locale = request_locale(request)
    fields: list[FieldError] = []
    malformed = False
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        kind = str(err.get("type", ""))
        if kind == "json_invalid":
            malformed = True
        code = _PYDANTIC_CODES.get(kind, "wrong_type")
        fields.append(FieldError(".".join(loc) or "body", code))
    if malformed:
        return problem(400, "malformed_json", locale)
    return problem(422, "validation_failed", locale, errors=fields)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    locale = request_locale(request)
    code = {404: "route_not_found", 405: "method_not_allowed", 400: "malformed_json"}.get(
        exc.status_code, "invalid"
    )
    return problem(exc.status_code, code, locale)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal_error", request_locale(request))


def install(app: FastAPI) -> None:
    app.add_exception_handler(HosoError, _hoso_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
