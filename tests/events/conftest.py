"""A live hoso server on a free port, over its own committed database, for the collection API.

The SDKs and raw HTTP talk to a real uvicorn over a real socket; what they send is really
committed (the accept path's promise), so this database is not the rolled-back one. Each test
makes its own source (its own write key), so tests do not see each other's events. The
applier thread is off: tests apply landed events explicitly, so assertions are deterministic.
"""

import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hoso.api.collect import Collector
from hoso.app import create_app
from hoso.bootstrap import import_all_models
from hoso.core.actor import Actor, Role
from hoso.core.config import Settings
from hoso.core.db import make_engine, make_session_factory
from hoso.core.types import WorkspaceId
from hoso.events import jobs, service
from hoso.migrate import upgrade
from hoso.workspaces import service as workspaces
from tests.conftest import fresh_database
from tests.web.conftest import _free_port, _wait_until_up


@dataclass(frozen=True)
class Collect:
    """The running server: its URL, app, database and one workspace."""

    url: str
    app: FastAPI
    engine: Engine
    factory: sessionmaker[Session]
    workspace_id: UUID

    @property
    def collector(self) -> Collector:
        collector: Collector = self.app.state.collector
        return collector

    def actor(self) -> Actor:
        return Actor.system(WorkspaceId(self.workspace_id), "test")

    def new_source(self, kind: str = "website") -> tuple[UUID, str]:
        with self.factory.begin() as session:
            source = service.create_source(
                session, actor=self.actor(), name=f"src-{secrets.token_hex(4)}", kind=kind
            )
            return source.id, source.write_key

    def apply(self) -> int:
        return jobs.apply_until_idle(self.factory)


@pytest.fixture(scope="session")
def collect_server(admin_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collect]:
    with fresh_database(admin_uri, "collect") as url:
        import_all_models()
        settings = Settings(
            env="test",
            database_url=url,
            data_dir=tmp_path_factory.mktemp("collect-data"),
            secret_key="collect-test-" + secrets.token_hex(16),  # type: ignore[arg-type]
            run_worker=False,
        )
        engine = make_engine(url, pool_size=4)
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            with factory.begin() as session:
                ws = workspaces.create_workspace(session, name="Shop Sự Kiện")
                workspaces.create_user(
                    session,
                    workspace_id=ws.id,
                    email="owner@events.vn",
                    password="mat-khau-du-dai-1",
                    display_name="Chủ",
                    role=Role.OWNER,
                )
                workspace_id = ws.id
            app = create_app(settings, engine=engine, migrate=False)
            port = _free_port()
            server = uvicorn.Server(
                uvicorn.Config(
                    app,
                    host="127.0.0.1",
                    port=port,
                    log_level="warning",
                    log_config=None,
                    lifespan="on",
                )
            )
            thread = threading.Thread(target=server.run, name="hoso-collect", daemon=True)
            thread.start()
            base = f"http://127.0.0.1:{port}"
            try:
                _wait_until_up(base, thread)
                yield Collect(base, app, engine, factory, workspace_id)
            finally:
                server.should_exit = True
                thread.join(timeout=15)
        finally:
            engine.dispose()
