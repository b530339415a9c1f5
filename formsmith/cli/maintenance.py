"""Commands that look after the workspace itself: backup, restore, fsck."""
from __future__ import annotations

from pathlib import Path

import click

from . import cli, echo, emit_json, json_option, workspace


@cli.command()
@click.argument("dest", type=click.Path(file_okay=False))
@json_option
@click.pass_context
def backup(ctx, dest, as_json):
    """Copy the workspace to DEST (a new folder) as one consistent snapshot with a SHA-256 manifest."""
    from ..backup import backup as take_backup
    report = take_backup(workspace(ctx), Path(dest))
    if as_json:
        emit_json(report.as_dict())
        return
    echo(f"backup {report.dest}: {report.files} files, {report.bytes / 2**20:.1f} MiB, "
               f"{report.documents} documents, store generation {report.generation}")
    for line in report.drift:
        echo(f"warning: {line}", err=True)


@cli.command()
@click.argument("src", type=click.Path(file_okay=False, exists=True))
@click.argument("target", type=click.Path(file_okay=False))
@json_option
def restore(src, target, as_json):
    """Check the backup SRC file by file, then restore it as a new workspace TARGET."""
    from ..backup import restore as do_restore
    result = do_restore(Path(src), Path(target))
    if as_json:
        emit_json(result)
    else:
        echo(f"restored {result['files']} files into {result['restored']} "
                   f"(backup taken {result['taken_at']})")


@cli.command()
@json_option
@click.pass_context
def fsck(ctx, as_json):
    """Check the store and that every issued document and filed scan exists with its SHA-256."""
    from ..fsck import fsck as check
    report = check(workspace(ctx))
    if as_json:
        emit_json(report.as_dict())
    else:
        for line in report.problems:
            echo(f"PROBLEM: {line}")
        for line in report.notices:
            echo(f"notice: {line}")
        echo(f"{report.documents} documents, {report.files_checked} files checked: "
                   + ("all as recorded" if report.clean else f"{len(report.problems)} problem(s)"))
    if not report.clean:
        ctx.exit(3)
