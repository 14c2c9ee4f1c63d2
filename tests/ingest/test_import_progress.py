"""Progress reports update the batch row from another connection while the import
transaction is open. With real commits (not the rolled-back harness, where every session
shares one connection), the import must never hold that row's lock: it once did, and every
file longer than one progress interval hung forever."""

import csv
import threading
from datetime import date
from pathlib import Path

import pytest

from hoso.core.actor import Role
from hoso.core.db import make_engine, make_session_factory
from hoso.ingest import bulk, jobs
from hoso.ingest import service as ingest
from hoso.ingest.models import ImportBatch
from hoso.migrate import upgrade
from hoso.workspaces import service as workspaces
from tests.conftest import TEST_PASSWORD, fresh_database


def test_progress_reports_do_not_block_the_import(
    admin_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "khach.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Họ và tên", "SĐT"])
        writer.writerows([f"Khách {i}", f"0903 {i:03d} {i:03d}"] for i in range(1, 8))
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)  # progress is reported after every chunk
    seen: list[int] = []
    with fresh_database(admin_uri, "progress") as url:
        # A regression must fail in seconds, not hang the suite.
        engine = make_engine(
            url + ("&" if "?" in url else "?") + "options=-c%20lock_timeout%3D5000", pool_size=2
        )
        try:
            upgrade(engine)
            factory = make_session_factory(engine)
            with factory.begin() as session:
                ws = workspaces.create_workspace(session, name="Shop")
                user = workspaces.create_user(
                    session,
                    workspace_id=ws.id,
                    email="o@shop.vn",
                    password=TEST_PASSWORD,
                    display_name="O",
                    role=Role.OWNER,
                )
                actor = workspaces.actor_for_user(user)
                plan = ingest.plan_import(session, actor=actor, path=path)
            outcome: dict[str, object] = {}

            def run() -> None:
                try:
                    outcome["batch"] = jobs.run_import(
                        factory,
                        actor=actor,
                        plan=plan,
                        valid_rows_only=False,
                        today=date(2026, 11, 22),
                        progress=seen.append,
                    )
                except Exception as exc:
                    outcome["error"] = exc

            worker = threading.Thread(target=run)
            worker.start()
            worker.join(timeout=60)
            assert not worker.is_alive(), "the import is stuck"
            assert "error" not in outcome, outcome.get("error")
            with factory() as session:
                batch = session.get_one(ImportBatch, outcome["batch"])
                assert (batch.status, batch.created_count, batch.processed_rows) == (
                    "committed",
                    7,
                    7,
                )
            assert seen == [2, 4, 6, 7]
        finally:
            engine.dispose()
