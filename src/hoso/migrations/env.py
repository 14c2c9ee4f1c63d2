"""Alembic environment: runs on a connection handed over by hoso.migrate, or on a URL."""

from alembic import context
from sqlalchemy import create_engine

from hoso.bootstrap import import_all_models
from hoso.core.db import Base, sqlalchemy_url

import_all_models()
target_metadata = Base.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(sqlalchemy_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


run()
