"""`formsmith ingest`: file scanned signed copies back into the archive."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError
from ..lifecycle import LABELS
from . import cli, echo, emit_json, json_option, workspace


@cli.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--move-to", type=click.Path(file_okay=False, path_type=Path),
              help="Move each input whose every page was filed into this folder.")
@click.option("--by", help="Who files them (default: the workspace clerk).")
@click.option("--workers", type=int, help="Processes reading pages (default: one per core).")
@click.option("--watch", "watch_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Keep polling this scanner folder; ingest each file once its size is stable.")
@click.option("--interval", type=float, default=2.0, show_default=True, help="--watch: seconds between polls.")
@click.option("--settle", type=float, default=5.0, show_default=True,
              help="--watch: seconds a file's size must stay unchanged before it is taken.")
@click.option("--rounds", type=int, hidden=True, help="--watch: stop after this many polls (tests).")
@json_option
@click.pass_context
def ingest_cmd(ctx, paths, move_to, by, workers, watch_dir, interval, settle, rounds, as_json):
    """File scans (PDF stacks, JPEG/PNG/TIFF, phone photos; files or folders) by their page codes."""
    if bool(paths) == bool(watch_dir):
        raise InputError("give the scans (files or folders) to ingest, or --watch FOLDER")
    if watch_dir:
        from ..ingest import ingest as run_ingest
        from ..ingest.watch import watch
        ws = workspace(ctx)

        def run(files):
            report = run_ingest(ws, files, move_to=move_to, by=by, workers=workers).report()
            if as_json:
                emit_json(report, indent=None)   # one line per batch
            else:
                _print(report)
            for r in report["refused"]:
                echo(f"formsmith: {r['source']}: 拒收：{r['reason']}", err=True)
        if not as_json:
            echo(f"watching {watch_dir} (Ctrl-C to stop)", err=True)
        watch(ws, watch_dir, run=run, interval=interval, settle=settle, rounds=rounds)
        return
    ingest_one(ctx, paths, move_to, by, workers, as_json)


def ingest_one(ctx, paths, move_to, by, workers, as_json):
    from ..ingest import ingest as run_ingest   # imaging libraries load only for this command
    ws = workspace(ctx)
    progress = None
    bar = None
    if sys.stderr.isatty() and not as_json:
        from rich.progress import Progress
        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("读取扫描页", total=None)

        def progress(stage, done, total):
            bar.update(task, completed=done, total=total)
    try:
        job = run_ingest(ws, paths, move_to=move_to, by=by, workers=workers, progress=progress)
    finally:
        if bar is not None:
            bar.stop()
    report = job.report()
    if as_json:
        emit_json(report)
    else:
        _print(report)
    for r in report["refused"]:
        echo(f"formsmith: {r['source']}: 拒收：{r['reason']}", err=True)
    if report["refused"]:
        ctx.exit(2)


def _pages(entry) -> str:
    return f"{entry['source']} 第{','.join(map(str, entry['source_pages']))}页"


def _again(entry) -> str:
    return "（此前已处理，未重复存档）" if entry.get("again") else ""


def _print(report) -> None:
    echo(f"共 {report['pages_total']} 页")
    for e in report["archived"]:
        if e["signed"] is False:
            head = f"存档  {e['doc_no']}  未签字！文书仍为{LABELS.get(e['state'], e['state'])}"
        else:
            head = f"归档  {e['doc_no']}  {'已签字' if e['signed'] else '签字未检查'}"
        echo(f"{head}  {e['path']}  ← {_pages(e)}{_again(e)}")
        if e.get("note"):
            echo(f"      {e['note']}")
    for e in report["duplicates"]:
        echo(f"重复  {e['doc_no']}  另存 {e['path']}  ← {_pages(e)}{_again(e)}")
    for e in report["incomplete"]:
        missing = "、".join(map(str, e["missing_pages"]))
        echo(f"不完整 {e['doc_no']}  缺第{missing}页  暂存 {e.get('path', '')}  ← {_pages(e)}{_again(e)}")
    for e in report["unmatched"]:
        echo(f"未匹配 {_pages(e)}：{e['reason']}")
    for e in report.get("review", []):
        echo(f"复核  {e['doc_no'] or ''}  {_pages(e)}：{e['reason']}")
    for src, dest in report.get("moved", {}).items():
        echo(f"已移至 {dest}")


@cli.group()
def scans():
    """The scan inbox (workspace/inbox): inputs waiting until every page is filed."""


@scans.command("inbox")
@json_option
@click.pass_context
def scans_inbox(ctx, as_json):
    """The inputs in the inbox, with how many of their pages are filed."""
    from ..ingest import byhand, preflight
    ws = workspace(ctx)
    rows = []
    for path in byhand.inbox_files(ws):
        src = preflight.inspect(path)
        filed = sorted(byhand.filed_pages(ws, src.sha256)) if src.sha256 else []
        rows.append({"name": str(path.relative_to(ws.inbox_dir)), "pages": src.pages, "filed_pages": filed,
                     "refused": src.refused or None})
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        echo(f"{r['name']}  {r['pages']} 页  已归档 {len(r['filed_pages'])} 页" + (f"  拒收：{r['refused']}" if r["refused"] else ""))


@scans.command("attach")
@click.argument("name")
@click.option("--pages", required=True, help="The input's pages that are the document, in its order: 1,2.")
@click.option("--doc", "doc_no", required=True, help="The document they are (its number).")
@click.option("--by", help="Who matched them (default: the workspace clerk).")
@json_option
@click.pass_context
def scans_attach(ctx, name, pages, doc_no, by, as_json):
    """File pages of inbox input NAME, whose code could not be read, as DOC's scan, matched by hand."""
    from ..ingest import byhand
    try:
        numbers = [int(p) for p in pages.replace("，", ",").split(",") if p.strip()]
    except ValueError:
        raise InputError(f"--pages {pages}：应为以逗号分隔的页码，如 1,2 (page numbers)") from None
    out = byhand.file_by_hand(workspace(ctx), name, numbers, doc_no, by=by)
    if as_json:
        emit_json(out)
    else:
        echo(f"{out['doc_no']}  {out['path']}" + (f"  原件移至 {out['moved']}" if out["moved"] else ""))
