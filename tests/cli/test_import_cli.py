import csv
import json
from pathlib import Path

import psycopg
from openpyxl import load_workbook
from typer.testing import CliRunner

from hoso.cli import app

HEADER = ["Tên khách hàng", "Điện thoại", "Email", "Ghi chú"]
GOOD = [
    ["Nguyễn Thị Lan", "0903 123 456", "lan@gmail.com", "Khách quen"],
    ["Trần Văn Hùng", "0168 555 1234", "", ""],
]
BAD = ["Lê Văn Tám", "12345", "", ""]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def owner(runner: CliRunner) -> None:
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
            "mat-khau-rat-dai",
        ],
    )
    assert result.exit_code == 0, result.output


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_dry_run_json_then_import_then_reimport_then_undo(cli_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    owner(runner)
    path = write(tmp_path / "khach.csv", GOOD)

    dry = runner.invoke(app, ["import", str(path), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert report["counts"]["created"] == 2
    assert report["committed"] is False
    assert {m["header"]: m["target"] for m in report["mapping"]}["Điện thoại"] == "phone"
    assert count(cli_db, "profile") == 0

    done = runner.invoke(app, ["import", str(path), "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["committed"] is True
    assert report["counts"]["created"] == 2
    assert count(cli_db, "profile") == 2
    assert count(cli_db, "note") == 1

    again = json.loads(runner.invoke(app, ["import", str(path), "--json"]).output)
    assert again["counts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
        "skipped": 0,
    }

    undo = runner.invoke(app, ["undo-import", report["batch_id"]])
    assert undo.exit_code == 0, undo.output
    with psycopg.connect(cli_db) as conn:
        live = conn.execute("SELECT count(*) FROM profile WHERE deleted_at IS NULL").fetchone()
    assert live == (0,)


def test_rejected_rows_block_and_are_written_out(cli_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    owner(runner)
    path = write(tmp_path / "khach.csv", [*GOOD, BAD])
    out = tmp_path / "bi-tu-choi.xlsx"
    result = runner.invoke(app, ["import", str(path), "--rejected-out", str(out)])
    assert result.exit_code == 2
    assert "dòng / row 4" in result.output
    assert "Số điện thoại không hợp lệ: 12345." in result.output
    assert count(cli_db, "profile") == 0
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Dòng"
    assert rows[0][-1] == "Lý do"
    assert rows[1][0] == 4
    assert "12345" in str(rows[1][-1])

    partial = runner.invoke(app, ["import", str(path), "--valid-rows"])
    assert partial.exit_code == 0, partial.output
    assert count(cli_db, "profile") == 2


def test_unreadable_file_says_why(cli_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    owner(runner)
    path = tmp_path / "khach.xlsx"
    path.write_bytes(b"%PDF-1.7\n" + b"x" * 2000)
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 2
    assert "Không đọc được tệp này." in result.output
    assert "Đây không phải tệp Excel hay CSV." in result.output


def test_export_csv_and_xlsx(cli_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    owner(runner)
    assert runner.invoke(app, ["import", str(write(tmp_path / "k.csv", GOOD))]).exit_code == 0
    csv_out = tmp_path / "khach-hang.csv"
    result = runner.invoke(app, ["export", str(csv_out)])
    assert result.exit_code == 0, result.output
    text = csv_out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Mã hồ sơ,Họ và tên")
    assert "Nguyễn Thị Lan" in text
    assert "+84385551234" in text
    xlsx_out = tmp_path / "lan.xlsx"
    assert runner.invoke(app, ["export", str(xlsx_out), "--q", "nguyen thi lan"]).exit_code == 0
    sheet = load_workbook(xlsx_out).active
    assert sheet is not None
    names = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["Nguyễn Thị Lan"]


def test_save_a_preset_then_use_it(cli_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    owner(runner)
    path = write(tmp_path / "khach.csv", GOOD)
    saved = runner.invoke(
        app,
        [
            "import",
            str(path),
            "--dry-run",
            "--map",
            "Ghi chú=ignore",
            "--save-preset",
            "Máy POS cũ",
        ],
    )
    assert saved.exit_code == 0, saved.output
    used = json.loads(
        runner.invoke(
            app, ["import", str(path), "--dry-run", "--json", "--preset", "Máy POS cũ"]
        ).output
    )
    assert used["preset"] == "Máy POS cũ"
    assert {m["header"]: m["target"] for m in used["mapping"]}["Ghi chú"] == "ignore"
