"""`formsmith contact …`: record and list the contact log (催缴记录)."""
from __future__ import annotations

import click

from . import log
from ...clikit import echo, emit_json, emit_table, json_option, workspace


@click.group("contact")
def contact_group():
    """The contact log (催缴记录): calls, texts, home visits and hand deliveries."""


@contact_group.command("add")
@click.argument("unit")
@click.option("--way", required=True, type=click.Choice(log.WAYS),
              help="How the owner was reached: 电话, 短信, 上门拜访 (stage 3 of the escalation), "
                   "直接送达 or 留置送达 (a delivery: needs --doc; 留置送达 also --witness).")
@click.option("--doc", "doc_no", help="The document it was about (doc_no, e.g. 物催字〔2025〕1号); a "
                                      "直接送达/留置送达 records its delivery (the document becomes delivered).")
@click.option("--at", help="When it happened, YYYY-MM-DDTHH:MM (default: now); never in the future.")
@click.option("--result", required=True, help="What came of it, as it happened (e.g. 无人接听, 业主本人签收).")
@click.option("--by", help="Who made the contact (default: the workspace clerk).")
@click.option("--witness", help="Who witnessed it (required for 留置送达).")
@json_option
@click.pass_context
def contact_add(ctx, unit, way, doc_no, at, result, by, witness, as_json):
    """Record a contact with UNIT's owner (nothing is written if any part is wrong)."""
    done = log.add_contact(workspace(ctx), unit, way, result=result, at=at, by=by, doc_no=doc_no,
                           witness=witness)
    if as_json:
        emit_json(done)
        return
    row, moved = done["contact"], done["document"]
    about = f"  {row['doc_no']}" if row.get("doc_no") else ""
    echo(f"{row['id']}  {row['unit']}  {row['at']}  {row['way']}{about}：{row['result']}")
    if moved:
        echo(f"{moved['doc_no']}: {moved['from']} → {moved['to']}（{row['way']}，送达日期 {moved['delivered_on']}）")


@contact_group.command("list")
@click.option("--unit", help="Only this unit's contacts.")
@json_option
@click.pass_context
def contact_list(ctx, unit, as_json):
    """The contact log, oldest first."""
    rows = log.list_contacts(workspace(ctx), unit)
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ("id", "unit", "at", "way", "by", "result", "doc_no", "witness"))


COMMANDS = [contact_group]     # added to `formsmith` when formsmith.cli finds the process
