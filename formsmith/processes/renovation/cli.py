"""`formsmith renovation …`: record what the renovation process needs beyond the documents."""
from __future__ import annotations

import click

from . import sources as renovations
from ...clikit import echo, emit_json, json_option, parse_date_option, workspace


@click.group("renovation")
def renovation_group():
    """Renovations (装修): the authority's approval of a structural plan."""


@renovation_group.command("approve")
@click.argument("renovation_id")
@click.option("--authority", required=True, help="批准机关, e.g. 江城市南湖区住房和城市更新局.")
@click.option("--ref", required=True, help="批准文号, e.g. 南住建装审〔2025〕18号.")
@click.option("--date", "approved_on", required=True, callback=parse_date_option,
              help="批准日期 (YYYY-MM-DD).")
@click.option("--by", help="Who records it (default: the workspace clerk).")
@json_option
@click.pass_context
def renovation_approve(ctx, renovation_id, authority, ref, approved_on, by, as_json):
    """Record the real-estate authority's approval of RENOVATION_ID's plan (needed for a permit
    when the plan alters the main structure)."""
    row = renovations.record_approval(workspace(ctx), renovation_id, authority=authority, ref=ref,
                              approved_on=approved_on, by=by)
    if as_json:
        emit_json({"id": row["id"], "unit": row["unit"], "authority_approval": row["authority_approval"]})
    else:
        a = row["authority_approval"]
        echo(f"{row['id']}  {row['unit']}: 已登记批准文件 {a['ref']}（{a['authority']}，{a['date']}）")


COMMANDS = [renovation_group]     # added to `formsmith` when formsmith.cli finds the process
