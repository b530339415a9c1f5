"""`formsmith rental …`: record an owner's agency and a unit's lease, list and show them (a thin
layer over rental.letting)."""
from __future__ import annotations

from pathlib import Path

import click

from . import letting
from ...clikit import echo, emit_json, emit_table, json_option, reveal_options, workspace
from ...formats import mask_id
from ...records import masked

_BY = click.option("--by", help="Who records it (default: the workspace clerk).")
_DATA = click.option("--data", "data_file", required=True, type=click.Path(dir_okay=False),
                     help="The terms, a .toml or .json file with the document's field names "
                          "(`formsmith templates example TEMPLATE` shows them).")


@click.group("rental")
def rental_group():
    """Rental (房屋租赁): an owner's agency of the company, and the lease and household of a let unit."""


@rental_group.command("entrust")
@click.argument("unit")
@_DATA
@_BY
@json_option
@click.pass_context
def rental_entrust(ctx, unit, data_file, by, as_json):
    """Record a new agency of UNIT (房屋租赁委托): the terms of the 房屋租赁委托代理协议 from
    --data (agency_from, agency_to, matters, asking_rent, lowest_rent, payment_cycle,
    max_lease_months, fee_kind, fee_percent or fee_amount …), checked as the agreement checks
    them; the owner and the unit are the store's. Then `render rental-agency-agreement --unit UNIT`."""
    row = letting.entrust(workspace(ctx), unit, letting.read_terms(Path(data_file)), by=by)
    if as_json:
        emit_json(row)
        return
    a = row["agency"]
    echo(f"{row['id']}  {unit}: 已登记租赁委托，委托期限 {a['from']} 至 {a['to']}，挂牌月租金 {a['asking_rent']} 元，"
         f"委托事项 {'、'.join(a['matters'])}")


@rental_group.command("let")
@click.argument("unit")
@_DATA
@_BY
@json_option
@click.pass_context
def rental_let(ctx, unit, data_file, by, as_json):
    """Record the lease and household of UNIT from --data (the 租户登记表's fields: lease_from,
    lease_to, lease_contract_no, lease_signed_on, tenants, vehicles, emergency_*, guardian_*;
    and rent), on its latest agency, or with let_by = "业主自行出租" when the owner lets it
    himself; checked as the form checks them and against the agency. Then `render
    tenant-registration --unit UNIT`."""
    row = letting.let(workspace(ctx), unit, letting.read_terms(Path(data_file)), by=by)
    if as_json:
        emit_json(masked(row))
        return
    s = letting.summary(row)
    echo(f"{row['id']}  {unit}: 已登记租赁（{s['let_by']}），租赁期限 {s['lease_from']} 至 {s['lease_to']}，"
         f"承租人 {s['tenant']}，共 {s['people']} 人")


@rental_group.command("list")
@click.option("--unit", help="Only this unit's rows.")
@json_option
@click.pass_context
def rental_list(ctx, unit, as_json):
    """The agencies and leases on record (the `leases` table), by unit; no ID numbers."""
    rows = letting.list_leases(workspace(ctx), unit)
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ("id", "unit", "let_by", "agency_from", "agency_to", "lease_from", "lease_to", "rent",
                          "tenant", "people"))


@rental_group.command("show")
@click.argument("unit")
@reveal_options()
@json_option
@click.pass_context
def rental_show(ctx, unit, reveal, by, as_json):
    """UNIT's agencies and leases, oldest first: terms, household, vehicles, emergency contact and
    the events (who recorded what); ID numbers masked unless --reveal."""
    rows = letting.show(workspace(ctx), unit, reveal=reveal, by=by)
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        a, lease = row.get("agency") or {}, row.get("lease") or {}
        echo(f"{row['id']}  {row['unit']}  {letting.summary(row)['let_by']}"
             + (f"（{row['agent_name']}）" if row.get("agent_name") else ""))
        if a:
            fee = f"{a['fee_percent']}%成交月租金" if a.get("fee_percent") else f"{a.get('fee_amount')}元"
            echo(f"  委托 {a['from']} 至 {a['to']}  挂牌 {a['asking_rent']} 元  最低 {a['lowest_rent']} 元  "
                 f"{a['payment_cycle']}  最长租期 {a['max_lease_months']} 个月  代理费 {fee}")
            echo(f"  委托事项 {'、'.join(a.get('matters') or [])}")
        if lease:
            rent = f"  月租金 {lease['rent']} 元" if lease.get("rent") else ""
            echo(f"  租赁 {lease.get('contract_no') or ''}  {lease['from']} 至 {lease['to']}{rent}"
                 + (f"  备案 {lease['filing_no']}" if lease.get("filing_no") else "  未备案"))
        for t in row.get("tenants") or []:
            number = t.get("id_number") if reveal else mask_id(t.get("id_number"))
            echo(f"  {t.get('relation')}  {t['name']}  {t.get('id_type') or ''} {number or ''}  {t.get('phone') or ''}"
                 .rstrip())
        for v in row.get("vehicles") or []:
            echo(f"  车辆 {v['plate']}  {v.get('model') or ''} {v.get('color') or ''}".rstrip())
        e = row.get("emergency") or {}
        if e:
            echo(f"  紧急联系人 {e.get('name')}（{e.get('relation')}） {e.get('phone')}")
        for ev in row.get("events") or []:
            echo(f"  {ev['recorded_at']}  {ev['by']}  {ev['what']}")


COMMANDS = [rental_group]     # added to `formsmith` when formsmith.cli finds the process
