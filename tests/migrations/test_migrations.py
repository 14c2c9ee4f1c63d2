"""Migrations: a fresh database upgrades, downgrades to nothing and upgrades again, and the
models and the migrations describe the same schema (``alembic check``)."""

from alembic import command
from sqlalchemy import inspect

from hoso.core.db import make_engine
from hoso.migrate import alembic_config, downgrade, upgrade
from tests.conftest import fresh_database


def test_round_trip_and_no_drift(admin_uri: str) -> None:
    with fresh_database(admin_uri, "migrations") as url:
        engine = make_engine(url, pool_size=1)
        try:
            upgrade(engine)
            assert "profile" in inspect(engine).get_table_names()
            with engine.connect() as conn:
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.check(cfg)  # raises if models and migrations disagree
            downgrade(engine, "base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            upgrade(engine)
            assert "audit_event" in inspect(engine).get_table_names()
        finally:
            engine.dispose()
