"""Declarative base, engine and session factories, and the transaction helpers."""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from hoso.core.errors import HosoError

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention constraint names rely on."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
    }


def sqlalchemy_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver, whatever PostgreSQL scheme it was given."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Build the SQLAlchemy engine (sync, psycopg 3)."""
    return create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        future=True,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (responses are built after it)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def translate_integrity_errors(
    by_constraint: Mapping[str, Callable[[], HosoError]],
) -> Iterator[None]:
    """Turn known unique/foreign-key violations into domain errors; re-raise the rest."""
    try:
        yield
    except IntegrityError as exc:
        name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if isinstance(name, str) and name in by_constraint:
            raise by_constraint[name]() from exc
        raise


_ON_COMMIT = "hoso_on_commit"


def on_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` after the session's transaction commits; never if it rolls back."""
    callbacks: list[Callable[[], None]] = session.info.setdefault(_ON_COMMIT, [])
    if not callbacks:
        event.listen(session, "after_commit", _run_on_commit, once=True)
        event.listen(session, "after_soft_rollback", _clear_on_commit, once=True)
    callbacks.append(fn)


def _run_on_commit(session: Session) -> None:
    for fn in session.info.pop(_ON_COMMIT, []):
        fn()


def _clear_on_commit(session: Session, previous_transaction: object) -> None:  # noqa: ARG001
    session.info.pop(_ON_COMMIT, None)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def insert_json_rows(
    session: Session, table: Table, rows: list[dict[str, Any]], *, suffix: str = ""
) -> int:
    """Insert many rows with ONE statement and ONE parameter; return the rows inserted.

    The rows travel as a JSON array that PostgreSQL unpacks with ``jsonb_to_recordset`` in C.
    For thousands of rows this is an order of magnitude cheaper than a multi-row ``VALUES``
    (compiled and bound per row by SQLAlchemy) or driver-side array parameters (escaped per
    element in Python). Every row must have the same keys. ``suffix`` is appended as is
    (``ON CONFLICT ...``).
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect
    names = list(rows[0])
    spec = ", ".join(f'"{n}" {table.c[n].type.compile(dialect=dialect)}' for n in names)
    columns = ", ".join(f'"{n}"' for n in names)
    statement = (
        f"INSERT INTO {table.name} ({columns}) SELECT {columns} "
        f"FROM jsonb_to_recordset(%s::jsonb) AS r({spec}) {suffix}"
    )
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(statement, (orjson.dumps(rows, default=_json_default).decode(),))
        return int(cursor.rowcount)
