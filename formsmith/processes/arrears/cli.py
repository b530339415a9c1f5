"""`formsmith dunning run|status` and `formsmith docs import-tracking`: the month-end dunning run."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from . import run as month_end
from . import tracking
from ...clikit import echo, emit_json, emit_table, json_option, parse_date_option, workspace


@click.group()
def dunning():
    """Month-end dunning: 缴费通知单 → 催缴函 → 法律催告函, print files, courier lists."""


def _progress(enabled: bool):
    """A rich progress bar with ETA on a terminal; nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        return None, None
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), transient=False)
    tasks: dict[str, TaskID] = {}

    def report(label: str, done: int, total: int) -> None:
        if label not in tasks:
            tasks[label] = bar.add_task(label, total=total)
        bar.update(tasks[label], completed=done, total=total)
    return bar, report


@dunning.command("run")
@click.option("--as-of", callback=parse_date_option, help="Cut-off and letter date (default today).")
@click.option("--stage", type=click.IntRange(1, 3), help="Only this stage (1 通知单, 2 催缴函, 3 法律催告函).")
@click.option("--community", help="Only units of this community (小区).")
@click.option("--jobs", type=click.IntRange(1, 64), help="Rendering processes (default: the cores).")
@click.option("--engine", help="Rendering engine for this run: typst or html (default: [dunning] engine, typst).")
@click.option("--dry-run", is_flag=True, help="Only show which units would get which letter.")
@click.option("--seal", is_flag=True, help="Also seal every letter with the company certificate "
              "(X.sealed.pdf beside X.pdf, for electronic delivery).")
@click.option("--by", help="Who runs it (default: the workspace clerk).")
@json_option
@click.pass_context
def dunning_run(ctx, as_of, stage, community, jobs, engine, dry_run, seal, by, as_json):
    """Issue the letters due, then per stage a print file, a courier list and the SMS list."""
    ws = workspace(ctx)
    from ... import signing
    signer = signing.load_signer(ws) if seal and not dry_run else None  # before any letter
    bar, report = _progress(not as_json)
    if bar:
        bar.start()
    try:
        result = month_end.run(ws, as_of or date.today(), stage=stage, community=community, jobs=jobs,
                           engine=engine, dry_run=dry_run, by=by, progress=report, signer=signer)
    finally:
        if bar:
            bar.stop()
    for unit, problem in result.skipped:
        echo(f"formsmith: skipped {problem}", err=True)
    if as_json:
        emit_json(result.as_json())
        return
    if dry_run:
        for n, units in result.planned.items():
            echo(f"stage {n}: {len(units)} units" + (f": {' '.join(units)}" if units else ""))
        return
    for s in result.stages:
        echo(f"stage {s.stage} {s.template}: {len(s.issued)} issued now, "
                   f"{len(s.documents)} for {result.period}"
                   + (f", {len(s.sealed)} sealed now" if seal else ""))
        for f in [s.print_file, *s.courier_files, *s.sms_files]:
            if f:
                echo(f"  {Path(f).relative_to(ws.root) if Path(f).is_relative_to(ws.root) else f}")


@dunning.command("status")
@click.option("--as-of", callback=parse_date_option, help="Date to judge by (default today).")
@click.option("--community", help="Only units of this community (小区).")
@json_option
@click.pass_context
def dunning_status(ctx, as_of, community, as_json):
    """Per unit owing money: months, amount, stage reached, last letter, what is due next."""
    rows = tracking.status_rows(workspace(ctx), as_of or date.today(), community)
    if as_json:
        emit_json(rows)
        return
    emit_table([{**r, "due_now": r["due_now"] or "", "next_on": r["next_on"] or ""} for r in rows],
               ("unit", "owner", "months", "total", "stage", "last_doc", "last_date", "last_state",
                "due_now", "next", "next_on", "note"))


@click.command("import-tracking")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--by", help="Who imports it (default: the workspace clerk).")
@json_option
@click.pass_context
def docs_import_tracking(ctx, file, by, as_json):
    """The courier's sheet back (内件品名/文书编号, 运单号, 妥投日期): letters become sent / delivered."""
    r = tracking.import_tracking(workspace(ctx), Path(file), by=by)
    if as_json:
        emit_json({"sent": r.sent, "delivered": r.delivered, "unchanged": r.unchanged})
    else:
        echo(f"{len(r.sent)} sent, {len(r.delivered)} delivered, {len(r.unchanged)} unchanged")


# What formsmith.cli adds when it finds the process: top-level commands, and commands of its groups.
COMMANDS = [dunning]
GROUP_COMMANDS = {"docs": [docs_import_tracking]}
