import psycopg
from typer.testing import CliRunner

from hoso.cli import app


def _workspace(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "chu@shop.vn",
            "--name",
            "Chủ",
            "--password",
            "mat-khau-dai-1",
        ],
    )
    assert result.exit_code == 0, result.output


def test_source_create_list_rotate_disable(cli_db: str) -> None:
    runner = CliRunner()
    _workspace(runner)
    created = runner.invoke(app, ["source", "create", "Cửa hàng Q1", "--kind", "pos"])
    assert created.exit_code == 0, created.output
    key = created.output.strip()
    assert key.startswith("wk_")
    listed = runner.invoke(app, ["source", "list"])
    assert listed.output.strip() == f"Cửa hàng Q1\tpos\ton\t{key}"
    rotated = runner.invoke(app, ["source", "rotate", "Cửa hàng Q1"])
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.output.strip()
    assert new_key.startswith("wk_")
    assert new_key != key
    assert runner.invoke(app, ["source", "disable", "Cửa hàng Q1"]).exit_code == 0
    with psycopg.connect(cli_db) as conn:
        row = conn.execute("SELECT write_key, enabled FROM event_source").fetchone()
    assert row == (new_key, False)


def test_source_errors_are_reported_in_vietnamese(cli_db: str) -> None:
    runner = CliRunner()
    _workspace(runner)
    assert runner.invoke(app, ["source", "create", "Web"]).exit_code == 0
    again = runner.invoke(app, ["source", "create", "Web"])
    assert again.exit_code == 4
    assert "Đã có nguồn tên Web." in again.output
    missing = runner.invoke(app, ["source", "rotate", "Không có"])
    assert missing.exit_code == 3
    assert "Không tìm thấy nguồn Không có." in missing.output
    bad_kind = runner.invoke(app, ["source", "create", "X", "--kind", "fax"])
    assert bad_kind.exit_code == 2


def test_events_apply_and_replay(cli_db: str) -> None:
    from hoso.bootstrap import import_all_models
    from hoso.core.clock import utcnow
    from hoso.core.db import make_engine, make_session_factory
    from hoso.engine.events.segment import read_request
    from hoso.events import service
    from hoso.events.service import Batch, SourceKey

    runner = CliRunner()
    _workspace(runner)
    key = runner.invoke(app, ["source", "create", "App", "--kind", "app"]).output.strip()
    assert runner.invoke(app, ["source", "disable", "App"]).exit_code == 0
    import_all_models()
    engine = make_engine(cli_db, pool_size=1)
    try:
        with make_session_factory(engine).begin() as session:
            found = service.find_source_by_write_key(session, write_key=key)
            assert found is not None
            now = utcnow()
            body = {
                "batch": [
                    {"type": "track", "userId": "u1", "event": "Opened", "messageId": "m1"},
                    {"type": "track", "userId": "u1", "event": "Closed", "messageId": "m2"},
                ]
            }
            parsed = read_request(body, received_at=now, type_=None)
            assert not isinstance(parsed, str)
            source = SourceKey(found.id, found.workspace_id, found.name, found.kind, True)
            service.land(session, batches=[Batch(source, now, parsed.landings, [])])
            disabled = SourceKey(found.id, found.workspace_id, found.name, found.kind, False)
            late = read_request(
                {"batch": [{"type": "page", "anonymousId": "a", "messageId": "m3"}]},
                received_at=now,
                type_=None,
            )
            assert not isinstance(late, str)
            service.land(session, batches=[Batch(disabled, now, late.landings, [])])
    finally:
        engine.dispose()
    applied = runner.invoke(app, ["events", "apply"])
    assert applied.exit_code == 0, applied.output
    assert "applied: 2" in applied.output
    assert runner.invoke(app, ["source", "enable", "App"]).exit_code == 0
    replayed = runner.invoke(app, ["events", "replay"])
    assert replayed.output.strip() == "landed: 1"
    assert "applied: 1" in runner.invoke(app, ["events", "apply"]).output
    with psycopg.connect(cli_db) as conn:
        row = conn.execute("SELECT count(*) FROM interaction").fetchone()
    assert row == (3,)
