"""``hoso dedupe``: a file in, clusters out, no server and no database."""

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from hoso.cli import app
from hoso.core.config import get_settings
from hoso.core.i18n import ERRORS, LOCALES
from hoso.engine.matching.dedupe import ERROR_CODES, OUTPUT_HEADER
from hoso.engine.matching.synthetic import CSV_HEADER, csv_row, generate

HEADER = ["Mã", "Họ và tên", "Số điện thoại", "Email", "Ngày sinh", "Địa chỉ"]
ROWS = [
    ["KH1", "Nguyễn Thị Lan", "0903 123 456", "", "", ""],
    ["KH2", "lan nguyen", "+84 903123456", "lan.nguyen@gmail.com", "", ""],
    ["KH3", "Chị Lan", "01203123456", "", "", ""],
    ["KH4", "Trần Thị Hoa", "0903 555 111", "", "12/03/1968", "12 Lê Lợi, P. Bến Nghé, Q1, HCM"],
    ["KH5", "Nguyễn Thị Mai", "0903 555 111", "", "05/07/1995", "12 Lê Lợi, P. Bến Nghé, Q1, HCM"],
    ["KH6", "Nguyễn Văn Hùng", "0912 000 111", "", "01/02/1980", ""],
    ["KH7", "Nguyễn Văn Hùng", "0988 222 333", "", "15/09/1992", ""],
]


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_clusters(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == OUTPUT_HEADER
    return {row[0]: row[1:] for row in rows[1:]}


def test_dedupe_a_csv(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "khach.csv", HEADER, ROWS)
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(
        app, ["dedupe", str(source), "--id-column", "Mã", "--output", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    clusters = read_clusters(out)
    assert list(clusters) == ["KH1", "KH2", "KH3", "KH4", "KH5", "KH6", "KH7"]
    assert {clusters[k][0] for k in ("KH1", "KH2", "KH3")} == {"KH1"}
    assert len({clusters[k][0] for k in ("KH4", "KH5", "KH6", "KH7")}) == 4
    probability, explanation = clusters["KH3"][1:]
    assert float(probability) >= 0.99
    assert "phones one digit apart" in explanation
    assert clusters["KH4"][1:] == ["", ""]
    report = json.loads(result.output)
    assert report["records"] == 7
    assert report["clusters"] == 5
    assert report["duplicates_merged"] == 2
    targets = {m["header"]: m["target"] for m in report["mapping"]}
    assert targets["Mã"] == "ignore"  # the id column is not matched on
    assert targets["Số điện thoại"] == "phone"
    assert any(w["code"] == "shared_identifiers" for w in report["warnings"])


def test_dedupe_xlsx_in_and_cleaned_workbook_out(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Danh sách khách hàng"])  # a title row above the header
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    source = tmp_path / "khach.xlsx"
    workbook.save(source)
    out, cleaned, review = tmp_path / "c.csv", tmp_path / "sach.xlsx", tmp_path / "review.csv"
    result = CliRunner().invoke(
        app,
        ["dedupe", str(source), "--id-column", "Mã", "-o", str(out), "--xlsx", str(cleaned),
         "--review", str(review)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "duplicates merged: 2" in result.output
    book = load_workbook(cleaned)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][: len(HEADER)] == tuple(HEADER)
    assert rows[0][len(HEADER)] == "Cluster"
    # The three records of Lan come first, together.
    assert [r[0] for r in rows[1:4]] == ["KH1", "KH2", "KH3"]
    assert {r[len(HEADER)] for r in rows[1:4]} == {"KH1"}
    assert rows[1][len(HEADER) + 3] == "+84903123456"
    assert book.worksheets[1].max_row >= 1
    with review.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle))[:2] == ["left_id", "right_id"]


def test_map_overrides_and_row_numbers_as_ids(tmp_path: Path) -> None:
    header = ["Tên", "Liên lạc", "Ghi chú"]
    rows = [["Lan", "0903123456", ""], ["Chị Lan", "0903 123 456", ""]]
    source = write_csv(tmp_path / "x.csv", header, rows)
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(
        app,
        [
            "dedupe",
            str(source),
            "-o",
            str(out),
            "--map",
            "Liên lạc=phone",
            "--map",
            "Tên=full_name",
        ],
    )
    assert result.exit_code == 0, result.output
    clusters = read_clusters(out)
    assert list(clusters) == ["2", "3"]  # row numbers in the file
    assert clusters["3"][0] == "2"


@pytest.mark.parametrize(
    ("rows", "args", "needle"),
    [
        ([], [], "no data rows"),
        ([["", "Lan", "", "", "", ""], ["", "Lan", "", "", "1990", ""]], [], "no usable phone"),
        ([["KH1", "Lan", "0903123456", "", "", ""]], ["--id-column", "Mã số"], "no column Mã số"),
        (
            [["KH1", "Lan", "0903123456", "", "", ""], ["KH1", "Mai", "0988123456", "", "", ""]],
            ["--id-column", "Mã"],
            "The id KH1 repeats on row 3",
        ),
        ([["KH1", "Lan", "0903123456", "", "", ""]], ["--map", "Email=telephone"], "Unknown field"),
    ],
)
def test_bad_input_is_a_clear_error(
    tmp_path: Path, rows: list[list[str]], args: list[str], needle: str
) -> None:
    source = write_csv(tmp_path / "x.csv", HEADER, rows)
    result = CliRunner().invoke(app, ["dedupe", str(source), "-o", str(tmp_path / "o.csv"), *args])
    assert result.exit_code == 2
    assert needle in result.output
    assert not (tmp_path / "o.csv").exists()


def test_an_unreadable_file_is_a_clear_error_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSO_DEFAULT_LOCALE", "vi")
    get_settings.cache_clear()
    source = tmp_path / "rong.csv"
    source.write_bytes(b"")
    result = CliRunner().invoke(app, ["dedupe", str(source)])
    assert result.exit_code == 2
    assert "Tệp rỗng" in result.output


TRUTH = ["--id-column", "Mã bản ghi", "--map", "truth_person=ignore",
         "--map", "truth_household=ignore"]  # fmt: skip


def test_a_trained_model_can_be_saved_and_reused(tmp_path: Path) -> None:
    source = tmp_path / "synthetic.csv"
    rows = [csv_row(r) for r in generate(350, seed=3)]
    write_csv(source, list(CSV_HEADER), rows)
    model = tmp_path / "model.json"
    first = CliRunner().invoke(
        app,
        ["dedupe", str(source), *TRUTH, "-o", str(tmp_path / "a.csv"), "--save-model",
         str(model), "--json"],
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["model"]["trained_on"] == len(rows)
    second = CliRunner().invoke(
        app,
        ["dedupe", str(source), *TRUTH, "-o", str(tmp_path / "b.csv"), "--model", str(model),
         "--backend", "duckdb"],
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    assert read_clusters(tmp_path / "a.csv") == read_clusters(tmp_path / "b.csv")
    bad = CliRunner().invoke(app, ["dedupe", str(source), "--model", str(source)])
    assert bad.exit_code == 2
    assert "not a hoso matching model" in bad.output


def test_every_dedupe_error_has_both_languages() -> None:
    for code in ERROR_CODES:
        assert set(ERRORS[code]) == set(LOCALES), code
    for code in ("empty_input", "no_usable_identifiers", "unusable_records",
                 "shared_identifiers", "giant_cluster_refused"):  # fmt: skip
        assert set(ERRORS[f"match_{code}"]) == set(LOCALES), code
