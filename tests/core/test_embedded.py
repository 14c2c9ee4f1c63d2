"""The embedded server: started from the wheel, shared by processes on one data directory,
stopped by the last one to leave. Runs as whatever user the tests run as (root on CI)."""

import subprocess
import sys
from pathlib import Path

import psycopg

CHILD = """
import sys
from hoso.core.embedded import embedded_database_url
url = embedded_database_url(__import__("pathlib").Path(sys.argv[1]))
print(url, flush=True)
sys.stdin.readline()  # hold the server until told to leave
"""


def _start(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", CHILD, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("postgresql://"):
        _, err = proc.communicate(timeout=60)
        raise AssertionError(f"embedded server did not start: {err}")
    return proc, url


def _leave(proc: subprocess.Popen[str]) -> None:
    _, err = proc.communicate("\n", timeout=60)  # closes every pipe
    assert proc.returncode == 0, err


def test_two_processes_share_one_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "hoso-data"
    first, url_a = _start(data_dir)
    second, url_b = _start(data_dir)
    try:
        assert url_a == url_b
        with psycopg.connect(url_a) as conn:
            version = conn.execute("SHOW server_version_num").fetchone()
            assert version is not None
            assert int(version[0]) >= 180000
            conn.execute("CREATE TABLE shared_check (x int)")
            conn.commit()
        _leave(second)
        with psycopg.connect(url_a) as conn:  # still up: the first process holds it
            assert conn.execute("SELECT count(*) FROM shared_check").fetchone() == (0,)
    finally:
        if second.poll() is None:
            _leave(second)
        _leave(first)
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()  # the last one stopped it
    assert (data_dir / "pgdata" / "PG_VERSION").read_text().strip() == "18"


def test_a_killed_user_does_not_keep_the_server_alive(tmp_path: Path) -> None:
    data_dir = tmp_path / "hoso-data"
    killed, _ = _start(data_dir)
    killed.kill()  # kill -9: no exit handlers run, its pid stays in the wheel's list
    killed.communicate(timeout=30)
    assert (data_dir / "pgdata" / "postmaster.pid").exists()
    survivor, _ = _start(data_dir)
    _leave(survivor)
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()


def test_hoso_serve_stops_its_embedded_server_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "HOSO_DATA_DIR": str(tmp_path / "serve-data")}
    env.pop("HOSO_DATABASE_URL", None)
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-m", "hoso", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180  # initdb and migrations on a busy machine
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "hoso serve did not come up"
                time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Application shutdown complete" in err
    assert not (tmp_path / "serve-data" / "pgdata" / "postmaster.pid").exists()
