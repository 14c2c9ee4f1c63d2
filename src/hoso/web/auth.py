"""Login, logout and the language switch."""

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hoso.core.i18n import LOCALES, message
from hoso.http import LANG_COOKIE, DbSession, ui_locale
from hoso.web.deps import CsrfChecked, render
from hoso.workspaces import service as workspaces
from hoso.workspaces.errors import InvalidCredentials

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a login to another host."""
    if not target:
        return "/customers"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/customers"
    return target


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "email": ""})


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/customers",
) -> Response:
    try:
        user = workspaces.authenticate_password(db, email=email, password=password)
    except InvalidCredentials:
        error = message("invalid_credentials", ui_locale(request))
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": error, "email": email},
            status=401,
        )
    request.session.clear()  # a fresh session on login: no fixation
    request.session["user_id"] = str(user.id)
    response = RedirectResponse(_safe_next(next), status_code=303)
    if user.locale and not request.cookies.get(LANG_COOKIE):
        response.set_cookie(LANG_COOKIE, user.locale, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, next: str | None = None) -> Response:
    target = _safe_next(
        next
        or request.headers.get("referer", "").partition(str(request.base_url).rstrip("/"))[2]
        or "/customers"
    )
    response = RedirectResponse(target, status_code=303)
    if code in LOCALES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")
    return response
