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
