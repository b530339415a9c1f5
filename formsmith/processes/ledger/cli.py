"""`formsmith pay`, `formsmith ledger void|check|fees` and `formsmith records ledger UNIT`."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import click

from ... import fees as fee_schedule
from ...clikit import echo, emit_json, emit_table, json_option, parse_date_option, workspace
from ...formats import cn_month, money
from . import payments


@click.command("pay")
@click.argument("unit")
@click.argument("amount")
@click.option("--method", required=True, type=click.Choice(payments.METHODS), help="收款方式.")
@click.option("--through", metavar="YYYY-MM", help="Clear the open charges up to this month (default: all).")
@click.option("--item", "items", multiple=True, help="Only charges of this item (收费项目); repeatable.")
@click.option("--date", "paid_on", callback=parse_date_option, help="收款日期 (default today; never later).")
@click.option("--payer", help="交款人 (default: the owner).")
@click.option("--remark", default="", help="备注 printed on the receipt.")
@click.option("--by", help="收款人 (default: the workspace clerk).")
@json_option
@click.pass_context
def pay(ctx, unit, amount, method, through, items, paid_on, payer, remark, by, as_json):
    """Record that UNIT paid AMOUNT: clears its open charges that add up to AMOUNT (oldest first)
    and issues the 收款收据, in one transaction."""
    done = payments.pay(workspace(ctx), unit, amount, method=method, paid_on=paid_on, through=through,
                        items=tuple(items), payer=payer, by=by, remark=remark)
    if as_json:
        emit_json(done.as_dict())
        return
    p, r = done.payment, done.receipt
    echo(f"{p['id']}  {unit}  实收 {money(p['amount'])} 元（{p['method']}），结清 {len(p['charges'])} 笔应收")
    echo(f"{r.doc_no}  收款收据  {r.pages} 页  {r.path}")


@click.group("ledger")
def ledger_group():
    """The ledger (收费台账): payments and receipts, the fee schedule, billing checks."""


@ledger_group.command("void")
@click.argument("doc_no")
@click.option("--reason", required=True, help="作废原因 (recorded with the receipt).")
@click.option("--by", help="Who voids it (default: the workspace clerk).")
@json_option
@click.pass_context
def ledger_void(ctx, doc_no, reason, by, as_json):
    """Void receipt DOC_NO: the receipt and its payment become void, its charges owed again."""
    p = payments.void_receipt(workspace(ctx), doc_no, reason=reason, by=by)
    if as_json:
        emit_json(p)
    else:
        echo(f"{p['receipt']} 已作废（{reason}）；{p['id']} 的 {len(p['charges'])} 笔应收恢复为未缴")


@ledger_group.command("fees")
@json_option
@click.pass_context
def ledger_fees(ctx, as_json):
    """The fee schedule (收费标准) as recorded: what the handbook publishes and charges follow."""
    with workspace(ctx).store.snapshot() as view:
        lines = fee_schedule.published_lines(view)
    if as_json:
        emit_json(lines)
    else:
        emit_table(lines, ("item", "price", "unit", "note"))


@ledger_group.command("check")
@json_option
@click.pass_context
def ledger_check(ctx, as_json):
    """Every charge against the fee schedule; exit 3 when one does not follow it."""
    with workspace(ctx).store.snapshot() as view:
        problems = fee_schedule.billing_problems(view)
    if as_json:
        emit_json(problems)
    else:
        for line in problems:
            echo(line)
        echo(f"{len(problems)} 处与收费标准不符" if problems else "全部应收与收费标准一致")
    if problems:
        ctx.exit(3)


@click.command("ledger")
@click.argument("unit")
@click.option("--as-of", callback=parse_date_option, help="Only periods up to this date's month.")
@json_option
@click.pass_context
def records_ledger(ctx, unit, as_of, as_json):
    """UNIT's account per period: 应收 / 实收 / 欠费, each paid charge with its receipt."""
    account = payments.ledger(workspace(ctx), unit)
    if as_of:
        cut = (as_of or date.today()).isoformat()[:7]
        account["periods"] = [p for p in account["periods"] if p["period"] <= cut]
    if as_json:
        emit_json(account)
        return
    rows = [{"期间": cn_month(p["period"]), "应收": money(p["billed"]), "实收": money(p["paid"]),
             "欠费": money(p["owed"]),
             "收据": "、".join(dict.fromkeys(line["receipt"] for line in p["lines"] if line.get("receipt")))}
            for p in account["periods"]]
    emit_table(rows, ("期间", "应收", "实收", "欠费", "收据"))
    echo(f"合计：应收 {money(account['billed'])}  实收 {money(account['paid'])}  欠费 {money(account['owed'])}"
         f"  （已登记收款 {money(account['received'])}，{len(account['payments'])} 笔）")
    if Decimal(account["received"]) != Decimal(account["cleared_by_payments"]):
        echo("注意：已登记收款与其结清的应收不相等", err=True)


COMMANDS = [pay, ledger_group]
GROUP_COMMANDS = {"records": [records_ledger]}
