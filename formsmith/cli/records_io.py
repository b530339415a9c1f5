"""`records import / export / template / arrears`: the clerk's Excel sheets in and out of the store."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ..processes.arrears import report as arrears_mod
from .. import audit, formats, sheets
from ..errors import InputError
from . import echo, emit_json, emit_table, json_option, parse_date_option, records, workspace

SHEET_KINDS = click.Choice(list(sheets.all_kinds()))


def reveal_options(fn):
    """--reveal (show ID numbers in full, recorded in the audit table) and --by."""
    fn = click.option("--by", help="Who asks (recorded with --reveal; default: the workspace clerk).")(fn)
    return click.option("--reveal", is_flag=True,
                        help="Show ID numbers and credit codes in full (recorded as an audit event).")(fn)


@records.command("import")
@click.argument("kind", type=SHEET_KINDS)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and say what would change; write nothing.")
@click.option("--errors", "errors_file", type=click.Path(dir_okay=False),
              help="With bad rows, write a copy of the sheet (.xlsx) with the bad cells marked.")
@json_option
@click.pass_context
def records_import(ctx, kind, file, dry_run, errors_file, as_json):
    """Import KIND records (units, owners, occupants, charges, payments; a call log or repair log
    as cases: call-log, repair-log) from FILE (.xlsx or .csv): all rows or none; exit code 2 and
    every bad row listed when any row is bad."""
    try:
        report = sheets.import_file(workspace(ctx), kind, Path(file), dry_run=dry_run,
                                    errors_out=Path(errors_file) if errors_file else None)
    except InputError as exc:
        if not as_json:
            raise
        # the file itself is unusable (no header row, a missing column): same shape, no row numbers
        emit_json({"kind": kind, "file": str(file), "ok": False, "written": False,
                   "errors": [{"row": None, "column": None, "field": "", "reason": line}
                              for line in exc.lines()]})
        ctx.exit(2)
    if as_json:
        emit_json(report.as_dict())
        if not report.ok:
            ctx.exit(2)
        return
    if not report.ok:
        raise sheets.ImportRejected(report)
    where = f"{Path(file).name}" + (f"（{report.encoding}）" if report.encoding else "")
    echo(f"{where}: {report.rows} 行全部通过检查" + ("（试运行，未写入）" if dry_run else ""))
    for table, c in report.counts.items():
        echo(f"  {table}: 新增 {c['inserted']}，更新 {c['updated']}，未变 {c['unchanged']}")
    if report.ignored_columns:
        echo(f"  未识别、已忽略的列：{'、'.join(report.ignored_columns)}")


@records.command("export")
@click.argument("kind", type=SHEET_KINDS)
@click.argument("file", type=click.Path(dir_okay=False))
@reveal_options
@json_option
@click.pass_context
def records_export(ctx, kind, file, reveal, by, as_json):
    """Write the store's KIND records to FILE (.xlsx or .csv) in the columns `records import` reads
    (ID numbers masked unless --reveal)."""
    ws = workspace(ctx)
    with ws.store.snapshot() as view:
        n = sheets.export_kind(view, kind, Path(file), reveal=reveal)
    if reveal:
        audit.record(ws, by=by, command=f"records export {kind} {file} --reveal",
                     revealed=f"ID numbers of {n} {kind} rows")
    if as_json:
        emit_json({"kind": kind, "file": str(file), "rows": n, "revealed": reveal})
    else:
        echo(f"{file}: {n} 行（{kind}）" + ("" if reveal else "，身份证号已打码"))


@records.command("template")
@click.argument("kind", type=SHEET_KINDS)
@click.option("--xlsx", "xlsx_file", type=click.Path(dir_okay=False),
              help="Write a blank sheet: the headers, one example row and a 说明 (notes) sheet.")
@json_option
def records_template(kind, xlsx_file, as_json):
    """The columns of a KIND sheet (Chinese headers, required, aliases); --xlsx writes the sheet."""
    if xlsx_file:
        sheets.write_template(kind, Path(xlsx_file))
    notes = sheets.template_notes(kind)
    if as_json:
        emit_json({"kind": kind, "file": xlsx_file, "columns": notes})
        return
    if xlsx_file:
        echo(f"{xlsx_file}: {kind} 模板（表头、示例一行、说明页）")
        return
    emit_table([{**n, "required": "必填" if n["required"] else ""} for n in notes],
               ("column", "required", "type", "note", "aliases"))


@records.command("arrears")
@click.option("--as-of", callback=parse_date_option, help="Count charges due before this date (default today).")
@click.option("--min-months", type=click.IntRange(min=1), default=1, show_default=True,
              help="Only units owing for at least N months.")
@reveal_options
@json_option
@click.pass_context
def records_arrears(ctx, as_of, min_months, reveal, by, as_json):
    """Per unit: months owed, amount, age of the oldest charge, last reminder sent."""
    ws = workspace(ctx)
    as_of = as_of or date.today()
    with ws.store.snapshot() as view:
        rows = [a.as_dict() for a in arrears_mod.arrears(view, as_of, min_months)]
    if reveal:
        audit.record(ws, by=by, command=f"records arrears --as-of {as_of.isoformat()} --reveal",
                     revealed=f"ID numbers of the owners of {len(rows)} units in arrears")
    else:
        for r in rows:
            r["owner_id_number"] = formats.mask_id(r["owner_id_number"])
    if as_json:
        emit_json(rows)
        return
    table = [{**r, "last_reminder": (f"{r['last_reminder']['doc_no']} {r['last_reminder']['issued_on']}"
                                     if r["last_reminder"] else "")} for r in rows]
    emit_table(table, ("unit", "owner_name", "owner_id_number", "months", "amount", "oldest_due",
                       "oldest_age_days", "last_reminder"))
    total = sum((formats.parse_money(r["amount"]) for r in rows), formats.parse_money("0"))
    echo(f"{len(rows)} 户欠费，合计 {formats.money(total)} 元（截至 {as_of.isoformat()}）")
