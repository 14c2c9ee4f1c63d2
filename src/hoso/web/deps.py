"""Web edge helpers: templates, the logged-in user, CSRF, flashes, HTML rendering."""

import secrets
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from hoso.core.actor import Actor
from hoso.core.errors import ErrorKind, HosoError
from hoso.core.i18n import Locale
from hoso.http import DbSession, ui_locale
from hoso.web.i18n import UI, t
from hoso.workspaces import service as workspaces

TEMPLATES = Path(__file__).parent / "templates"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class LoginRequired(Exception):
    """Raised by the user dependency; the app answers with a redirect to the login page."""


class CsrfFailed(HosoError):
    kind = ErrorKind.FORBIDDEN
    code = "csrf_failed"


def format_vnd(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    return f"{int(value):,}".replace(",", ".") + "\u00a0₫"  # no break before the sign


def format_dt(value: datetime | None, locale: Locale) -> str:
    if value is None:
        return ""
    local = value.astimezone(VN_TZ)
    return local.strftime("%d/%m/%Y %H:%M") if locale == "vi" else local.strftime("%Y-%m-%d %H:%M")


def format_date(value: date | None, locale: Locale) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y") if locale == "vi" else value.isoformat()


def format_phone(e164: str | None) -> str:
    """Show Vietnamese numbers the way people write them: 0903 123 456."""
    if not e164:
        return ""
    if e164.startswith("+84") and len(e164) == 12:
        national = "0" + e164[3:]
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164


def digits(value: str | None) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["vnd"] = format_vnd
    templates.env.filters["phone"] = format_phone
    templates.env.filters["digits"] = digits
    return templates


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, form: FormData) -> None:
    """Refuse a posted form unless its token matches the session's."""
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfFailed()


async def csrf_form(request: Request) -> FormData:
    """Return the posted form, refusing it unless its token matches the session's."""
    form = await request.form()
    check_csrf(request, form)
    return form


CsrfChecked = Depends(csrf_form)
CsrfForm = Annotated[FormData, Depends(csrf_form)]


def current_actor(request: Request, db: DbSession) -> Actor:
    user_id = request.session.get("user_id")
    if not user_id:
        raise LoginRequired()
    try:
        user = workspaces.get_user(db, user_id=UUID(str(user_id)))
    except (HosoError, ValueError):
        request.session.clear()
        raise LoginRequired() from None
    if not user.is_active:
        request.session.clear()
        raise LoginRequired()
    return workspaces.actor_for_user(user)


WebActor = Annotated[Actor, Depends(current_actor)]


def flash(request: Request, key: str, **params: Any) -> None:
    request.session.setdefault("flash", []).append([key, params] if params else key)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    actor: Actor | None = None,
) -> HTMLResponse:
    locale = ui_locale(request)
    templates: Jinja2Templates = request.app.state.templates
    flashes = request.session.pop("flash", []) if "session" in request.scope else []

    def translate(key: str, **params: Any) -> str:
        return t(key, locale, **params)

    full: dict[str, Any] = {
        "t": translate,
        "locale": locale,
        "actor": actor,
        "csrf_token": csrf_token(request),
        "flashes": [
            translate(f) if isinstance(f, str) else translate(f[0], **f[1]) for f in flashes
        ],
        "fmt_dt": lambda v: format_dt(v, locale),
        "fmt_date": lambda v: format_date(v, locale),
        "fmt_iso_date": lambda v: format_date(date.fromisoformat(v), locale) if v else "",
        "label": lambda prefix, code: (
            translate(f"{prefix}_{code}") if f"{prefix}_{code}" in UI else str(code)
        ),
        **(context or {}),
    }
    return templates.TemplateResponse(request, template, full, status_code=status)
