"""Pins the edge's transaction: a failure at COMMIT must never be answered with a 2xx.

FastAPI runs the code after a dependency's ``yield`` after the response by default; hoso's
``DbSession`` uses ``scope="function"`` so the commit happens first. A deferred unique
constraint fails only at COMMIT, which is exactly the case this guards.
"""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from hoso.core.db import make_session_factory
from hoso.http import DbSession


@pytest.fixture
def deferred_table(engine: Engine) -> Iterator[str]:
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE contract_deferred (k int, "
                "CONSTRAINT contract_deferred_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    yield "contract_deferred"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE contract_deferred"))


def test_commit_failure_is_not_reported_as_success(engine: Engine, deferred_table: str) -> None:
    app = FastAPI()
    app.state.session_factory = make_session_factory(engine)

    @app.post("/write", status_code=201)
    def write(db: DbSession) -> dict[str, str]:
        db.execute(text(f"INSERT INTO {deferred_table} VALUES (1), (1)"))
        return {"status": "saved"}

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/write")
    assert response.status_code >= 400
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {deferred_table}")).scalar() == 0


def test_successful_request_is_committed(engine: Engine, deferred_table: str) -> None:
    app = FastAPI()
    app.state.session_factory = make_session_factory(engine)

    @app.post("/write", status_code=201)
    def write(db: DbSession) -> dict[str, str]:
        db.execute(text(f"INSERT INTO {deferred_table} VALUES (7)"))
        return {"status": "saved"}

    with TestClient(app) as client:
        assert client.post("/write").status_code == 201
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {deferred_table}")).scalar() == 1
