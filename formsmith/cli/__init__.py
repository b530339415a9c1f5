"""Thin click commands: parse the arguments, call the library, print the result."""
from __future__ import annotations

import errno
import importlib
import json
import os
from pathlib import Path
from typing import Any

import click

from .. import audit, catalog, demo, documents, issuing, lifecycle, registry
from .. import records as records_lib
from .. import signing as seals  # not `signing`: formsmith.cli.signing (the commands) takes that name
from ..errors import FormsmithError, InputError, TemplateError
from ..records import masked
from ..verify import verify_file
from ..version import __version__
from ..clikit import (echo, emit_json, emit_table, json_option, parse_date_option, reveal_options,  # noqa: F401
                      printable, workspace)
from ..workspace import init_workspace



class FormsmithGroup(click.Group):
    """Turns every FormsmithError into its lines on stderr and its exit code: no traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FormsmithError as exc:
            for line in exc.lines():
                for part in line.split("\n"):
                    click.echo(f"formsmith: {printable(part)}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo("formsmith: interrupted", err=True)
            ctx.exit(130)
        except OSError as exc:   # a read-only workspace, a full disk, an unwritable --out folder
            reason = _OS_REASONS.get(exc.errno or 0, "文件操作失败")
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(printable(f"formsmith: {where}{reason} ({exc.strerror or exc}); "
                                 "本次操作未完成 (the operation did not complete)"), err=True)
            ctx.exit(1)


_OS_REASONS = {errno.ENOSPC: "磁盘空间已满", errno.EDQUOT: "超出磁盘配额", errno.EACCES: "没有写入权限",
               errno.EPERM: "操作不被允许", errno.EROFS: "文件系统为只读"}


@click.group(cls=FormsmithGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False), default=None,
              help="Workspace folder (else $FORMSMITH_HOME, else the nearest folder upward "
                   "holding formsmith.toml).")
@click.version_option(__version__, prog_name="formsmith")
def cli(home):
    """formsmith: signed-ready documents for a property-management service centre."""
    # Nothing formsmith creates is group- or world-writable, whatever the umask.
    os.umask(os.umask(0) | 0o022)


# ---------------------------------------------------------------- init

@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), default=".")
@click.option("--demo", "with_demo", is_flag=True,
              help="Fill the store with the demo community 阳光花园 and issue sample letters.")
@json_option
def init(directory: str, with_demo: bool, as_json: bool) -> None:
    """Create a workspace in DIRECTORY (idempotent: what exists is kept)."""
    ws, created = init_workspace(Path(directory), demo=with_demo)
    result: dict[str, Any] = {"workspace": str(ws.root), "created": created, "seeded": None, "issued": []}
    if with_demo:
        result.update(demo.create(ws))
    if as_json:
        emit_json(result)
        return
    echo(f"workspace {ws.root} ({'created' if created else 'already there, kept'})")
    if result["seeded"]:
        echo("demo community seeded: " + ", ".join(f"{k} {v}" for k, v in result["seeded"].items()))
    for doc in result["issued"]:
        echo(f"{doc['doc_no']}  {doc['unit'] or '—'}  {doc['pages']} 页  {doc['path']}")


# ---------------------------------------------------------------- templates

@cli.group()
def templates():
    """Built-in and workspace templates."""


@templates.command("list")
@json_option
@click.pass_context
def templates_list(ctx, as_json):
    """Every template: id, title, engine, numbering series."""
    good, bad = workspace(ctx).catalog.list_checked()
    rows = [t.summary() for t in good]
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ("id", "title", "engine", "version", "series"))
    if bad:   # the others are listed; each bad one is one line, and the exit code says so
        raise TemplateError("\n".join(bad))


@templates.command("show")
@click.argument("template_id")
@json_option
@click.pass_context
def templates_show(ctx, template_id, as_json):
    """A template's manifest and field schema."""
    t = workspace(ctx).catalog.get(template_id)
    info = {**t.summary(), "description": t.description, "fields": t.schema()}
    if as_json:
        emit_json(info)
        return
    for key in ("id", "title", "doc_type", "engine", "engines", "version", "series", "source",
                "retention_years", "copies", "folder", "description"):
        value = info[key]
        echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    echo("fields:")
    for f in t.fields:
        echo(f"  {f.name:<16} {f.type:<9} {'required' if f.required else 'optional':<9} {f.label}")
        for i in f.items:
            echo(f"    .{i.name:<14} {i.type:<9} {'required' if i.required else 'optional':<9} {i.label}")


@templates.command("example")
@click.argument("template_id")
@click.pass_context
def templates_example(ctx, template_id):
    """Example data (JSON) that renders: a starting point for --data."""
    t = workspace(ctx).catalog.get(template_id)
    emit_json(catalog.to_record(catalog.validate(t, t.example, record=f"{t.id} example")))


# ---------------------------------------------------------------- render

@cli.command()
@click.argument("template_id")
@click.option("--unit", help="Build the data from the store for this unit (e.g. 1-2-301).")
@click.option("--record", "record_id", help="Build the data from this store record instead of a unit "
              "(e.g. repair BX2025-0101 for repair-callback).")
@click.option("--data", "data_file", type=click.Path(dir_okay=False), help="Data as a JSON file.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the PDF here (never overwrites).")
@click.option("--as-of", callback=parse_date_option, help="Date of the document and of the "
              "arrears cut-off (default today).")
@click.option("--again", is_flag=True, help="Issue even if this unit already has one for the period.")
@click.option("--by", help="Who issues it (default: the workspace clerk).")
@click.option("--seal", is_flag=True, help="Also seal it with the company certificate "
              "(as `formsmith seal`): writes X.sealed.pdf beside X.pdf.")
@click.option("--replaces", metavar="DOC_NO", help="Issue a correction of DOC_NO: the old one "
              "becomes superseded and points to this one.")
@click.option("--engine", help="Render with this engine (html, typst, docx) instead of the "
              "template's default; the template must have a body file for it.")
@json_option
@click.pass_context
def render(ctx, template_id, unit, record_id, data_file, out, as_of, again, by, seal, replaces,
           engine, as_json):
    """Issue a document from TEMPLATE_ID: numbered, QR-coded, PDF/A, recorded."""
    if [bool(unit), bool(record_id), bool(data_file)].count(True) != 1:
        raise InputError("give exactly one of --unit UNIT, --record ID or --data FILE.json")
    data = None
    if data_file:
        data = _read_json(Path(data_file))
    ws = workspace(ctx)
    signer = seals.load_signer(ws) if seal else None  # a bad certificate stops before issuing
    doc = issuing.issue_document(ws, template_id, data=data, unit=unit, as_of=as_of,
                                 out=Path(out) if out else None, by=by, again=again,
                                 source_name=data_file or "", record=record_id,
                                 replaces=replaces, engine=engine)
    sealed = seals.seal_document(ws, doc.doc_no, by=by, signer=signer) if seal else None
    if as_json:
        emit_json({**{k: v for k, v in doc.as_dict().items()
                      if k in ("doc_no", "doc_id", "path", "sha256", "pages", "template")},
                   **({"sealed": {"path": sealed.path, "sha256": sealed.sha256}} if sealed else {})})
    else:
        echo(f"{doc.doc_no}  {doc.pages} 页  {doc.path}")
        if sealed:
            echo(f"{doc.doc_no}  已盖电子公章  {sealed.path}")


def _read_json(path: Path) -> Any:
    from ..inputs import MAX_DATA_BYTES, read_input
    data = read_input(path, MAX_DATA_BYTES)     # a regular file (not a FIFO), not too large
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid UTF-8 JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply (not template data)") from None


# ---------------------------------------------------------------- records

@cli.group()
def records():
    """Units, owners, charges and the other records of the store."""


@records.command("list")
@click.argument("kind", type=click.Choice(sorted(records_lib.kinds())))
@click.option("--unit", help="Only rows of this unit.")
@reveal_options()
@json_option
@click.pass_context
def records_list(ctx, kind, unit, reveal, by, as_json):
    """Rows of one KIND of record (identity numbers masked unless --reveal)."""
    rows = records_lib.list_rows(workspace(ctx), kind, unit, reveal=reveal, by=by)
    if as_json:
        emit_json(rows)
        return
    columns = records_lib.kinds()[kind].columns
    emit_table(rows, columns)


@records.command("show")
@click.argument("record_id")
@reveal_options()
@json_option
@click.pass_context
def records_show(ctx, record_id, reveal, by, as_json):
    """One record by id, from whichever table holds it (identity numbers masked unless --reveal)."""
    row = records_lib.show_row(workspace(ctx), record_id, reveal=reveal, by=by)
    if as_json:
        emit_json(row)
    else:
        for k, v in row.items():
            echo(f"{k}: {v}")


# ---------------------------------------------------------------- docs

@cli.group()
def docs():
    """Issued documents and their life: generated → printed → sent → delivered → signed → archived."""


@docs.command("list")
@click.option("--state", type=click.Choice(lifecycle.STATES), help="Only documents in this state.")
@click.option("--template", help="Only documents of this template id (e.g. dunning-letter).")
@click.option("--unit", help="Only documents of this unit (e.g. 1-2-301).")
@click.option("--period", help="Only documents for this period (YYYY-MM).")
@click.option("--overdue", type=int, metavar="DAYS",
              help="Only documents sent or delivered at least DAYS ago with no signed copy yet.")
@json_option
@click.pass_context
def docs_list(ctx, state, template, unit, period, overdue, as_json):
    """Issued documents, filtered."""
    rows = documents.list_documents(workspace(ctx), state=state, template=template, unit=unit,
                                    period=period, overdue=overdue)
    rows = [{k: r.get(k) for k in documents.LIST_FIELDS} for r in rows]
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, documents.LIST_FIELDS[:-1])


@docs.command("show")
@click.argument("doc_no")
@reveal_options("ID numbers in the record")
@json_option
@click.pass_context
def docs_show(ctx, doc_no, reveal, by, as_json):
    """One document: its record, file, hash and history (identity numbers masked unless --reveal)."""
    ws = workspace(ctx)
    with ws.store.snapshot() as view:
        doc = documents.find(view, doc_no)
    if reveal:
        audit.record(ws, by=by, command=f"docs show {doc['doc_no']} --reveal",
                     revealed=f"ID numbers in the record of {doc['doc_no']}")
    else:
        doc = masked(doc)
    if as_json:
        emit_json(doc)
        return
    for key in ("doc_no", "doc_id", "title", "template", "template_version", "unit", "period",
                "state", "pages", "path", "sha256", "docx_path", "issued_on", "tracking",
                "replaces", "superseded_by"):
        if doc.get(key) is not None:
            echo(f"{key}: {doc[key]}")
    for v in doc.get("versions", []):
        echo(f"version: {v.get('kind')}  {v.get('path')}  sha256 {v.get('sha256')}  "
                   f"{v.get('at', '')}  {v.get('by', '')}".rstrip())
    echo("events:")
    for ev in doc.get("events", []):
        extra = "  ".join(f"{k}={v}" for k, v in ev.items() if k not in ("at", "state", "by"))
        echo(f"  {ev['at']}  {ev['state']:<10} {ev['by']}  {extra}".rstrip())
    if doc.get("versions"):
        echo("scans:")
        for v in doc["versions"]:
            signed = {True: "signed", False: "UNSIGNED"}.get(v.get("signed"), "signature unknown")
            echo(f"  {v['filed_at']}  {v['kind']:<10} {signed:<8} {v['path']}  "
                       f"(from {v['source']} p.{','.join(map(str, v['source_pages']))})")


@docs.command("mark")
@click.argument("doc_no")
@click.argument("state", type=click.Choice(lifecycle.STATES))
@click.option("--tracking", default="", help="Courier waybill number (with state sent).")
@click.option("--note", default="", help="Why, or what happened (kept with the event).")
@click.option("--by", help="Who did it (default: the workspace clerk).")
@json_option
@click.pass_context
def docs_mark(ctx, doc_no, state, tracking, note, by, as_json):
    """Move a document to STATE, recording when, who and why."""
    doc = documents.mark(workspace(ctx), doc_no, state, by=by, note=note, tracking=tracking)
    if as_json:
        emit_json({k: doc.get(k) for k in documents.LIST_FIELDS + ("tracking",)})
    else:
        echo(f"{doc['doc_no']}: {doc['state']}（{lifecycle.LABELS[doc['state']]}）")


# ---------------------------------------------------------------- verify

@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_context
def verify(ctx, file, as_json):
    """Exit 0 only if FILE is byte-identical to a document this workspace issued (or sealed).

    A file that is such a document plus only signatures in its own empty signature fields
    (the owner signing the 回执 in a PDF reader) is accepted too, and says so.
    """
    v = verify_file(workspace(ctx), Path(file))
    if as_json:
        emit_json(v.as_dict())
    elif v.verified:
        what = "as issued" if v.version == "issued" else f"({v.version} version)"
        said = f"is {v.doc_no} {what}" if v.identical else v.reason
        echo(f"OK: {file} {said} (state {v.state}); sha256 {v.sha256}")
        for s in v.signatures:
            echo(f"  {seals.SignatureCheck(**s).summary()}")
    else:
        click.echo(printable(f"NOT VERIFIED: {file}: {v.reason}; sha256 {v.sha256}"), err=True)
    if not v.verified:
        ctx.exit(3)


# ---------------------------------------------------------------- command modules
# Larger command groups live in their own modules (formsmith/cli/<area>.py); each adds its
# commands to `cli` or to a group above when imported. One import line per module, in order.
from . import maintenance  # noqa: E402,F401  backup, restore, fsck
from . import signing as _signing_commands  # noqa: E402,F401  seal, certs
from . import templates_check  # noqa: E402,F401  templates check
from . import ingest as _ingest_commands  # noqa: E402,F401
from . import records_io  # noqa: E402,F401  records import/export/template/arrears
from . import web  # noqa: E402,F401  serve, users


def _add_process_commands() -> None:
    """Each process's own commands (formsmith/processes/<name>/cli.py), found with the process:
    its `COMMANDS` join `formsmith`, its `GROUP_COMMANDS` the groups above (e.g. `docs`)."""
    for process in registry.load().values():
        if not process.commands_module:
            continue
        module = importlib.import_module(process.commands_module)
        for command in getattr(module, "COMMANDS", ()):
            if command.name in cli.commands:
                raise RuntimeError(f"{process.commands_module}: command {command.name!r} exists already")
            cli.add_command(command)
        for group_name, commands in getattr(module, "GROUP_COMMANDS", {}).items():
            group = cli.commands[group_name]
            assert isinstance(group, click.Group), group_name
            for command in commands:
                group.add_command(command)


_add_process_commands()


def main() -> None:
    """Entry point of the `formsmith` command."""
    cli(prog_name="formsmith")


