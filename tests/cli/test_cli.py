import psycopg
from typer.testing import CliRunner

from hoso.cli import app


def test_db_upgrade_then_user_create_then_apikey(cli_db: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "chu@shop.vn",
            "--name",
            "Chủ shop",
            "--password",
            "mat-khau-rat-dai",
            "--workspace-name",
            "Shop Lan",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "chu@shop.vn (owner)" in result.output
    with psycopg.connect(cli_db) as conn:
        row = conn.execute(
            "SELECT u.role, w.name FROM app_user u JOIN workspace w ON w.id = u.workspace_id"
        ).fetchone()
    assert row == ("owner", "Shop Lan")
    key = runner.invoke(app, ["apikey", "create", "--name", "pos"])
    assert key.exit_code == 0, key.output
    assert key.output.strip().startswith("hoso_")


def test_user_create_reports_errors_in_vietnamese(cli_db: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["user", "create", "--email", "khong-hop-le", "--name", "X", "--password", "ngan"]
    )
    assert result.exit_code == 2
    assert "Email không hợp lệ." in result.output
    assert "Mật khẩu cần ít nhất 10 ký tự." in result.output


def test_duplicate_user_is_a_conflict(cli_db: str) -> None:
    runner = CliRunner()
    args = ["user", "create", "--email", "a@shop.vn", "--name", "A", "--password", "0123456789ab"]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 4
    assert "a@shop.vn" in again.output


def test_demo_loads_once(cli_db: str) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--no-serve", "--customers", "25"])
    assert first.exit_code == 0, first.output
    assert "demo@hoso.vn" in first.output
    with psycopg.connect(cli_db) as conn:
        profiles = conn.execute("SELECT count(*) FROM profile").fetchone()
    assert profiles == (25,)
    again = runner.invoke(app, ["demo", "--no-serve", "--customers", "25"])
    assert again.exit_code == 0
    assert "đã có sẵn" in again.output
