"""Test harness: a real PostgreSQL, a database per test session, each test rolled back.

``HOSO_TEST_DATABASE_URL`` points at a server to use (CI: the machine's PostgreSQL); without
it the embedded server the product itself uses is started in a temporary directory.
"""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from hoso.app import create_app
from hoso.bootstrap import import_all_models
from hoso.core.actor import Actor, Role
from hoso.core.config import Settings
from hoso.core.db import make_engine
from hoso.core.embedded import server_uri, with_database
from hoso.migrate import upgrade
from hoso.workspaces import service as workspaces
from hoso.workspaces.models import AppUser, Workspace

TEST_PASSWORD = "correct horse battery staple"


def _admin_uri(tmp_root: Path) -> str:
    url = os.environ.get("HOSO_TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql+psycopg://", "postgresql://")
    return server_uri(tmp_root / "embedded")


@contextmanager
def fresh_database(admin_uri: str, label: str) -> Iterator[str]:
    """Create an empty database with a unique name; drop it afterwards whatever happened."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"hoso_test_{label}_{worker}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(admin_uri, name)
    finally:
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def admin_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _admin_uri(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def database_url(admin_uri: str) -> Iterator[str]:
    with fresh_database(admin_uri, "unit") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    import_all_models()
    eng = make_engine(database_url, pool_size=4)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
        run_worker=False,  # tests run queued jobs explicitly (hoso.jobs.runner.run_until_empty)
    )


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Sessions commit into savepoints of the outer transaction, which the test rolls back.
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def workspace(db: Session) -> Workspace:
    ws = workspaces.create_workspace(db, name="Cửa hàng Thử nghiệm")
    db.flush()
    return ws


@pytest.fixture
def owner(db: Session, workspace: Workspace) -> AppUser:
    return workspaces.create_user(
        db,
        workspace_id=workspace.id,
        email="owner@shop.vn",
        password=TEST_PASSWORD,
        display_name="Chủ shop",
        role=Role.OWNER,
    )


@pytest.fixture
def actor(owner: AppUser) -> Actor:
    return workspaces.actor_for_user(owner)


def make_user(db: Session, workspace: Workspace, role: Role) -> AppUser:
    return workspaces.create_user(
        db,
        workspace_id=workspace.id,
        email=f"{role.value}-{secrets.token_hex(3)}@shop.vn",
        password=TEST_PASSWORD,
        display_name=f"Staff {role.value}",
        role=role,
    )


@pytest.fixture
def app_client(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine, migrate=False)
    with TestClient(app, base_url="http://testserver") as client:
        app.state.session_factory = session_factory  # run lifespan first, then swap
        yield client


@pytest.fixture
def api_key(db: Session, workspace: Workspace, actor: Actor) -> str:
    issued = workspaces.create_api_key(
        db,
        workspace_id=workspace.id,
        name="test",
        actor=actor,
        scopes=[
            "profiles:read",
            "profiles:write",
            "profiles:delete",
            "profiles:merge",
            "notes:write",
            "interactions:write",
            "orders:write",
            "attributes:manage",
        ],
    )
    db.commit()
    return issued.secret


@pytest.fixture
def api(app_client: TestClient, api_key: str) -> TestClient:
    app_client.headers["Authorization"] = f"Bearer {api_key}"
    return app_client
