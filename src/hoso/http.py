"""What the JSON API and the web UI share: the per-request transaction and the language."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from hoso.core.config import Settings
from hoso.core.i18n import Locale, as_locale, negotiate

LANG_COOKIE = "hoso_lang"


def _db(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory.begin() as session:  # commit on success, rollback on any exception
        yield session


# scope="function": the commit happens BEFORE the response is sent, so a failed commit
# becomes an error response instead of a 2xx for data that was never saved.
DbSession = Annotated[Session, Depends(_db, scope="function")]


def settings_of(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def request_locale(request: Request) -> Locale:
    """The API's language: cookie, then Accept-Language, then the default (Vietnamese)."""
    default = as_locale(settings_of(request).default_locale)
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie:
        return as_locale(cookie, default)
    return negotiate(request.headers.get("accept-language"), default)


def ui_locale(request: Request) -> Locale:
    """The web UI's language: the user's explicit choice (cookie), else Vietnamese.

    Unlike the API, the UI ignores Accept-Language: many Vietnamese staff browsers are set to
    en-US, and a Vietnamese shop's software should not switch to English on its own.
    """
    default = as_locale(settings_of(request).default_locale)
    return as_locale(request.cookies.get(LANG_COOKIE), default)


RequestLocale = Annotated[Locale, Depends(request_locale)]
