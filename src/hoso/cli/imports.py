"""Spreadsheet import and export: ``hoso import``, ``hoso undo-import``, ``hoso export``."""

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from hoso.cli.base import _bar, _engine, _fail, _say, _unit_of_work, _workspace_actor, app
from hoso.core.config import get_settings
from hoso.core.errors import HosoError
from hoso.core.i18n import as_locale, message


@app.command("import")
def import_file(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="An .xlsx, .xls or .csv file."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Preview only; write nothing.")
    ] = False,
    preset: Annotated[
        str | None, typer.Option(help="Column preset: kiotviet, sapo, haravan, shopee.")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet name (default: first visible).")] = None,
    header_row: Annotated[
        int | None, typer.Option(help="Header row number (default: detected).")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="COLUMN=TARGET, repeatable (e.g. 'SĐT 2=phone', 'Ghi chú=ignore')."
        ),
    ] = None,
    valid_rows: Annotated[
        bool, typer.Option("--valid-rows", help="Import the valid rows even if some are rejected.")
    ] = False,
    save_preset: Annotated[
        str | None, typer.Option(help="Save this file's column mapping under a name.")
    ] = None,
    rejected_out: Annotated[
        Path | None,
        typer.Option(help="Write rejected rows with a reason column to this .xlsx or .csv."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Import customers from a spreadsheet: preview, then create or update (idempotent)."""
    import json

    from hoso.core.clock import utcnow
    from hoso.core.db import make_session_factory
    from hoso.ingest import jobs
    from hoso.ingest import service as ingest

    settings = get_settings()
    locale = as_locale(settings.default_locale)
    overrides: dict[str, str] = {}
    for item in map_ or []:
        column, sep, target = item.rpartition("=")
        if not sep or not column:
            typer.echo(f"--map {item}: COLUMN=TARGET?", err=True)
            raise typer.Exit(2)
        overrides[column.strip()] = target.strip()
    today = utcnow().date()
    engine = None
    try:
        engine = _engine(settings)
        factory = make_session_factory(engine)
        with factory() as session:
            actor = _workspace_actor(session, workspace, "cli:import")
            plan = ingest.plan_import(
                session,
                actor=actor,
                path=path,
                sheet=sheet,
                header_row=header_row,
                preset=preset,
                overrides=overrides,
            )
            preview = ingest.preview_import(session, actor=actor, plan=plan, today=today)
            session.rollback()
        if save_preset:
            with factory.begin() as session:
                ingest.save_preset(session, actor=actor, name=save_preset, mapping=plan.mapping)
        report: dict[str, object] = {
            "file": plan.file_name,
            "sheet": plan.sheet,
            "header_row": plan.header_row,
            "preset": plan.preset,
            "warnings": plan.warnings,
            "mapping": [
                {"column": m.column + 1, "header": m.header, "target": m.target, "reason": m.reason}
                for m in plan.mapping
            ],
            "counts": preview.counts,
            "committed": False,
            "batch_id": None,
            "rejected": [_rejected_json(d, locale) for d in preview.rejected],
        }
        if rejected_out and preview.rejected:
            _write_rejected(rejected_out, plan, preview.rejected, locale)
        blocked = bool(preview.rejected) and not valid_rows
        if not dry_run and not blocked:
            total = sum(v for k, v in preview.counts.items() if k != "skipped")
            batch_id = jobs.run_import(
                factory,
                actor=actor,
                plan=plan,
                valid_rows_only=valid_rows,
                today=today,
                progress=None if as_json else _bar(total),
            )
            with factory() as session:
                batch = ingest.get_batch(session, actor=actor, batch_id=batch_id)
                report["counts"] = {
                    "created": batch.created_count,
                    "updated": batch.updated_count,
                    "unchanged": batch.unchanged_count,
                    "rejected": batch.rejected_count,
                    "skipped": preview.counts.get("skipped", 0),
                }
            report["committed"], report["batch_id"] = True, str(batch_id)
    except HosoError as exc:
        raise _fail(exc, settings) from exc
    finally:
        if engine is not None:
            engine.dispose()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        _print_import(report, dry_run=dry_run, blocked=blocked)
    if blocked and not dry_run:
        raise typer.Exit(2)


def _rejected_json(decision: object, locale: str) -> dict[str, object]:
    from hoso.ingest.service import RowDecision

    assert isinstance(decision, RowDecision)  # noqa: S101
    return {
        "row": decision.number,
        "reasons": [
            {
                **r,
                "message": message(
                    str(r["code"]),
                    as_locale(locale),
                    {**r.get("params", {}), "value": r.get("params", {}).get("value", "")},
                ),
            }
            for r in decision.reasons
        ],
    }


def _write_rejected(path: Path, plan: object, rejected: Sequence[object], locale: str) -> None:
    from hoso.ingest.export import write_table
    from hoso.ingest.service import ImportPlan

    assert isinstance(plan, ImportPlan)  # noqa: S101
    reason = "Lý do" if locale == "vi" else "Reason"
    row_label = "Dòng" if locale == "vi" else "Row"
    header = [row_label, *[c.header for c in plan.columns], reason]
    rows = []
    for decision in rejected:
        info = _rejected_json(decision, locale)
        reasons = info["reasons"]
        assert isinstance(reasons, list)  # noqa: S101
        rows.append(
            [
                info["row"],
                *getattr(decision, "raw", []),
                "; ".join(f"{r['field']}: {r['message']}" for r in reasons),
            ]
        )
    write_table(path, header, rows)


def _print_import(report: dict[str, object], *, dry_run: bool, blocked: bool) -> None:
    counts = report["counts"]
    assert isinstance(counts, dict)  # noqa: S101
    _say(
        f"Tệp / file: {report['file']}  (sheet: {report['sheet'] or '-'}, "
        f"dòng tiêu đề / header row: {report['header_row']}, preset: {report['preset'] or '-'})"
    )
    mapping = report["mapping"]
    assert isinstance(mapping, list)  # noqa: S101
    for m in mapping:
        _say(f"  {m['column']:>3}. {m['header']:<30} → {m['target']}")
    _say(
        f"Tạo mới / created: {counts.get('created', 0)}   "
        f"Cập nhật / updated: {counts.get('updated', 0)}   "
        f"Không đổi / unchanged: {counts.get('unchanged', 0)}   "
        f"Bị từ chối / rejected: {counts.get('rejected', 0)}"
    )
    rejected = report["rejected"]
    assert isinstance(rejected, list)  # noqa: S101
    for item in rejected[:50]:
        for reason in item["reasons"]:
            _say(f"  dòng / row {item['row']}: {reason['field']}: {reason['message']}")
    if len(rejected) > 50:
        _say(f"  … {len(rejected) - 50} more / còn nữa (--rejected-out FILE.xlsx)")
    if dry_run:
        _say("Chạy thử: chưa ghi gì / dry run: nothing written.")
    elif blocked:
        _say(
            "Không nhập gì vì có dòng bị từ chối; sửa tệp hoặc dùng --valid-rows. / "
            "Nothing imported because some rows were rejected; fix them or use --valid-rows."
        )
    else:
        _say(f"Đã nhập / imported. Hoàn tác / undo: hoso undo-import {report['batch_id']}")


@app.command("undo-import")
def undo_import(
    batch_id: Annotated[str, typer.Argument(help="The batch id printed by `hoso import`.")],
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Undo an import: remove the customers it created, restore the fields it changed."""
    from uuid import UUID

    from hoso.ingest import service as ingest

    settings = get_settings()
    try:
        batch_uuid = UUID(batch_id)
    except ValueError:
        typer.echo(f"batch id? {batch_id}", err=True)
        raise typer.Exit(2) from None
    with _unit_of_work(settings) as session:
        actor = _workspace_actor(session, workspace, "cli:undo-import")
        result = ingest.undo_batch(session, actor=actor, batch_id=batch_uuid)
        _say(
            f"Đã hoàn tác / undone: {result.removed} khách hàng gỡ bỏ / removed, "
            f"{result.restored} khôi phục / restored."
        )
        if result.unmerged:
            _say(
                f"  {result.unmerged} lần gộp với khách hàng có sẵn đã được tách ra trước / "
                "merges with existing customers undone first"
            )
        for item in result.skipped:
            if item.get("reason") == "deleted":
                _say(
                    f"  dòng / row {item['row']}: khách hàng đã bị xoá, bỏ qua "
                    "/ the customer was deleted since, skipped"
                )
                continue
            _say(
                f"  dòng / row {item['row']}: {item['field']} đã bị sửa sau khi nhập, giữ nguyên "
                "/ changed since the import, kept"
            )


@app.command("export")
def export(
    path: Annotated[Path, typer.Argument(dir_okay=False, help="Output .csv or .xlsx file.")],
    query: Annotated[
        str | None, typer.Option("--q", help="Only the customers this search finds.")
    ] = None,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Export customers (all, or a search result) to CSV or Excel."""
    from hoso.ingest.export import export_profiles

    settings = get_settings()
    with _unit_of_work(settings) as session:
        actor = _workspace_actor(session, workspace, "cli:export")
        count = export_profiles(
            session, actor=actor, path=path, locale=as_locale(settings.default_locale), query=query
        )
    _say(f"Đã xuất / exported {count} → {path}")
