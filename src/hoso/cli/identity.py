"""Identity resolution commands (issue #4): ``hoso dedupe``, ...."""

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from hoso.cli.base import _say, app
from hoso.core.config import get_settings
from hoso.core.i18n import Locale, as_locale, message

# Exit codes, as hoso.cli.base.EXIT maps error kinds: bad input 2.
_INVALID = 2


@app.command("dedupe")
def dedupe(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="An .xlsx, .xls or .csv file."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Clusters CSV: record_id,cluster_id,match_probability,explanation.",
        ),
    ] = Path("clusters.csv"),
    id_column: Annotated[
        str | None,
        typer.Option("--id-column", help="Column holding each row's id (default: row number)."),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=FIELD, repeatable (e.g. 'SĐT 2=phone', 'Mã=ignore')."),
    ] = None,
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help="Also write a cleaned workbook with duplicates grouped."),
    ] = None,
    review: Annotated[
        Path | None, typer.Option("--review", help="Also write the pairs to review as CSV.")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet name (default: first visible).")] = None,
    header_row: Annotated[
        int | None, typer.Option(help="Header row number (default: detected).")
    ] = None,
    merge_threshold: Annotated[
        float, typer.Option(min=0.5, max=1.0, help="Merge at or above this probability.")
    ] = 0.99,
    review_threshold: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="Review at or above this probability.")
    ] = 0.80,
    model_path: Annotated[
        Path | None,
        typer.Option("--model", exists=True, dir_okay=False, help="Use this model (JSON)."),
    ] = None,
    save_model: Annotated[
        Path | None, typer.Option("--save-model", help="Write the trained model as JSON.")
    ] = None,
    backend: Annotated[
        str, typer.Option(help="auto, python or duckdb (Splink on DuckDB in process).")
    ] = "auto",
    seed: Annotated[int, typer.Option(help="Random seed of training.")] = 42,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
) -> None:
    """Find the duplicate customers in a spreadsheet, without a server or a database."""
    from hoso.engine.matching import MatchModel, ModelError, Thresholds, resolve_batch, train_model
    from hoso.engine.matching.dedupe import (
        DedupeError,
        read_records,
        summary,
        write_clusters,
        write_review,
        write_workbook,
    )
    from hoso.engine.tabular import TabularError

    locale = as_locale(get_settings().default_locale)
    overrides: dict[str, str] = {}
    for item in map_ or []:
        column, sep, target = item.rpartition("=")
        if not sep or not column:
            typer.echo(f"--map {item}: COLUMN=FIELD?", err=True)
            raise typer.Exit(_INVALID)
        overrides[column.strip()] = target.strip()
    if review_threshold > merge_threshold:
        typer.echo("--review-threshold > --merge-threshold", err=True)
        raise typer.Exit(_INVALID)
    started = time.perf_counter()
    try:
        data = read_records(
            path,
            id_column=id_column,
            overrides=overrides,
            sheet=sheet,
            header_row=header_row,
            keep_rows=xlsx is not None,
        )
        if model_path is not None:
            try:
                model = MatchModel.from_json(model_path.read_text(encoding="utf-8"))
            except (ModelError, UnicodeDecodeError) as exc:
                raise DedupeError("dedupe_bad_model", file=model_path.name) from exc
        else:
            model = train_model(data.records, seed=seed)
    except (TabularError, DedupeError) as exc:
        _error(exc.code, exc.details, locale)
        raise typer.Exit(_INVALID) from exc
    read_seconds = time.perf_counter() - started
    if save_model is not None:
        save_model.write_text(model.to_json(), encoding="utf-8")
    result = resolve_batch(
        data.records,
        model,
        Thresholds(merge=merge_threshold, review=review_threshold),
        backend=backend,
    )
    write_clusters(output, result, locale=locale)
    if review is not None:
        write_review(review, result, locale=locale)
    if xlsx is not None:
        write_workbook(xlsx, data, result, locale=locale)
    report = summary(data, result)
    report["model"] = {"trained_on": model.trained_on, "notes": list(model.notes)}
    report["warnings"] = [
        {"code": w.code, "message": message(f"match_{w.code}", locale, w.details), **w.details}
        for w in result.warnings
    ] + [{"code": code, "message": code} for code in data.warnings]
    report["outputs"] = [str(p) for p in (output, review, xlsx) if p is not None]
    report["seconds"] = round(time.perf_counter() - started, 2)
    report["read_and_train_seconds"] = round(read_seconds, 2)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        _print(report)


def _error(code: str, details: dict[str, object], locale: Locale) -> None:
    typer.echo(message(code, locale, details), err=True)


def _print(report: dict[str, object]) -> None:
    _say(f"Tệp / file: {report['file']}")
    mapping = report["mapping"]
    assert isinstance(mapping, list)  # noqa: S101
    for m in mapping:
        _say(f"  {m['column']:>3}. {m['header']:<30} → {m['target']}")
    _say(
        f"Bản ghi / records: {report['records']}   "
        f"Khách hàng / customers: {report['clusters']}   "
        f"Trùng đã gộp / duplicates merged: {report['duplicates_merged']}   "
        f"Cần xem lại / to review: {report['review_pairs']}"
    )
    warnings = report["warnings"]
    assert isinstance(warnings, list)  # noqa: S101
    for warning in warnings:
        _say(f"! {warning['message']}")
    outputs = report["outputs"]
    assert isinstance(outputs, list)  # noqa: S101
    _say(f"Đã ghi / written: {', '.join(outputs)}  ({report['seconds']} s)")
