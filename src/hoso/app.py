"""The application: the web UI at ``/`` with the JSON API mounted at ``/api/v1``."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from hoso.api import collect
from hoso.api.app import create_api
from hoso.bootstrap import database_url, import_all_models
from hoso.core.config import Settings
from hoso.core.db import make_engine, make_session_factory
from hoso.events.jobs import EventApplier
from hoso.jobs.registry import CONSUMERS, HANDLERS
from hoso.jobs.runner import WorkerThread
from hoso.migrate import upgrade
from hoso.web.app import create_web

log = logging.getLogger(__name__)


def create_app(
    settings: Settings, *, engine: Engine | None = None, migrate: bool = True
) -> FastAPI:
    """Build the app. The database (embedded if unconfigured) starts with the app's lifespan."""
    import_all_models()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = engine is None
        db_engine = engine or make_engine(database_url(settings), pool_size=settings.db_pool_size)
        if migrate:
            upgrade(db_engine)
        factory = make_session_factory(db_engine)
        app.state.engine = db_engine
        app.state.session_factory = factory
        worker = (
            WorkerThread(factory, HANDLERS, consumers=CONSUMERS) if settings.run_worker else None
        )
        # Landed events are applied by their own loop (docs/adr/0006), woken by each commit.
        applier = EventApplier(factory, wake=collector.landed) if settings.run_worker else None
        for thread in (worker, applier):
            if thread is not None:
                thread.start()
        try:
            yield
        finally:
            collector.close()  # requests still waiting are answered first (uvicorn drains them)
            for thread in (worker, applier):
                if thread is not None:
                    thread.stop()
            if owned:
                db_engine.dispose()

    app = create_web(settings, lifespan=lifespan)
    # Segment-compatible collection at the server root (/v1/batch...), so SDKs configured with
    # host=<hoso url> work unchanged.
    collector = collect.install(app)
    api = create_api()
    app.state.settings = settings
    # One state for both faces: requests to the mounted API see the same session factory
    # (and tests that swap it on the app swap it for the API too).
    api.state = app.state
    app.mount("/api/v1", api)
    return app
