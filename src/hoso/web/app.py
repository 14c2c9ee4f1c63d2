"""The server-rendered web UI (Vietnamese first), with session login and CSRF-protected forms."""

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from hoso.core.config import Settings
from hoso.core.errors import ErrorKind, HosoError
from hoso.core.i18n import message
from hoso.http import ui_locale
from hoso.web import auth, customers, events, identity, imports, quality
from hoso.web.deps import LoginRequired, make_templates, render

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_STATUS = {
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.INVALID: 400,
    ErrorKind.UNAVAILABLE: 503,
}


def _error_page(request: Request, status: int, code: str, params: dict[str, object]) -> Response:
    text = message(code, ui_locale(request), params)
    return render(request, "error.html", {"message": text, "code": code}, status=status)


def create_web(
    settings: Settings, *, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]]
) -> FastAPI:
    app = FastAPI(title="hoso", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="hoso_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(auth.router)
    app.include_router(customers.router)
    app.include_router(imports.router)
    app.include_router(quality.router)
    app.include_router(identity.router)
    app.include_router(events.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)

    @app.exception_handler(HosoError)
    async def _domain(request: Request, exc: HosoError) -> Response:
        return _error_page(request, _STATUS[exc.kind], exc.code, exc.details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "route_not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid")
        return _error_page(request, exc.status_code, code, {})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error_page(request, 500, "internal_error", {})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/customers", status_code=303)

    return app
