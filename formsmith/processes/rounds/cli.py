"""`formsmith rounds …`: what rounds are due, record one with its findings, record a heavy-rain
warning, list them (a thin layer over rounds.log)."""
from __future__ import annotations

import click

from . import log
from ...clikit import echo, emit_json, emit_table, json_option, parse_date_option, workspace


@click.group("rounds")
def rounds_group():
    """Rounds (巡查): custody units weekly and before/after heavy rain; renovations under way."""


@rounds_group.command("due")
@click.option("--as-of", callback=parse_date_option, help="The day to read (default today).")
@click.option("--days", type=click.IntRange(1, 31), default=7, show_default=True,
              help="Rounds due within this many days from --as-of (a week).")
@json_option
@click.pass_context
def rounds_due(ctx, as_of, days, as_json):
    """The rounds due this week, computed from the store: overdue first, with the days late."""
    items = log.due(workspace(ctx), as_of, days)
    if as_json:
        emit_json(items)
        return
    for i in items:
        late = f"逾期 {i['days_late']} 天" if i["overdue"] else "到期"
        ref = f"{i['ref']}  " if i["ref"] != i["unit"] else ""
        echo(f"{ref}{i['unit']}  {i['label']}  应于 {i['due']}  {late}"
             + (f"  上次 {i['last_round']}" if i.get("last_round") else ""))
    echo(f"共 {len(items)} 项")


@rounds_group.command("record")
@click.argument("unit")
@click.option("--at", help="When the round was made, YYYY-MM-DDTHH:MM (default: now); never in the future.")
@click.option("--by", help="Who made it (default: the workspace clerk).")
@click.option("--kind", type=click.Choice(tuple(log.KINDS)),
              help="custody or renovation (default: what the unit is on that day).")
@click.option("--rain", type=click.Choice(("before", "after")),
              help="A custody round before or after heavy rain (of the latest warning, or --warning).")
@click.option("--warning", help="The heavy-rain warning it answers (YJ2025-0001).")
@click.option("--finding", "findings", multiple=True,
              help="What was found, \"项目：情况\" (项目: 门窗 外墙 阳台 管道 表具 / 施工内容 主体结构 施工时间 "
                   "证件出入 装修垃圾 公共部位 消防安全); repeat for several.")
@click.option("--water", help="A custody unit's water meter reading.")
@click.option("--electricity", help="A custody unit's electricity meter reading.")
@click.option("--days", "rectify_days", type=int,
              help="A renovation finding: calendar days to put it right (default 3).")
@click.option("--note", help="A remark kept on the round.")
@json_option
@click.pass_context
def rounds_record(ctx, unit, at, by, kind, rain, warning, findings, water, electricity, rectify_days, note, as_json):
    """Record a round of UNIT with what it found; a late round is recorded with its delay."""
    row = log.record_round(workspace(ctx), unit, at=at, by=by, kind=kind, rain=rain, warning=warning,
                           findings=findings, water=water, electricity=electricity, note=note,
                           rectify_days=rectify_days)
    if as_json:
        emit_json(row)
        return
    late = f"，迟 {row['late_days']} 天（应于 {row['due']}）" if row.get("late_days") else f"（应于 {row['due']} 前）"
    echo(f"{row['id']}  {log.KINDS[row['kind']]}  {row['unit']}  {row['at']}  {log.PURPOSES[row['purpose']]}{late}")
    for f in row["finding_rows"]:
        echo(f"  {f['id']}  {f['item']}：{f['text']}" + (f"  整改期限 {f['rectify_by']}" if f.get("rectify_by") else ""))


@rounds_group.command("rain")
@click.option("--from", "rain_from", required=True, callback=parse_date_option,
              help="The day the heavy rain is expected (YYYY-MM-DD).")
@click.option("--to", "rain_to", callback=parse_date_option, help="The day it is expected to end (default: the same day).")
@click.option("--level", required=True, help="The warning as issued, e.g. 暴雨黄色预警.")
@click.option("--source", default="气象台", show_default=True, help="Who issued it, e.g. 江城市气象台.")
@click.option("--at", help="When the warning was received, YYYY-MM-DDTHH:MM (default: now).")
@click.option("--by", help="Who records it (default: the workspace clerk).")
@json_option
@click.pass_context
def rounds_rain(ctx, rain_from, rain_to, level, source, at, by, as_json):
    """Record a heavy-rain warning: every unit in custody then owes a round before and one after the rain."""
    row = log.record_rain(workspace(ctx), rain_from=rain_from, rain_to=rain_to, level=level, source=source, at=at, by=by)
    if as_json:
        emit_json(row)
        return
    echo(f"{row['id']}  {row['level']}（{row['source']}）  {row['rain_from']}" + (f" 至 {row['rain_to']}" if row["rain_to"] else ""))
    echo(f"  托管房屋 {len(row['units'])} 套各增加雨前、雨后巡查：{'、'.join(row['units'])}")


@rounds_group.command("list")
@click.option("--unit", help="Only this unit's rounds.")
@click.option("--kind", type=click.Choice(tuple(log.KINDS)), help="Only this kind.")
@json_option
@click.pass_context
def rounds_list(ctx, unit, kind, as_json):
    """The rounds recorded, oldest first."""
    rows = log.list_rounds(workspace(ctx), unit, kind)
    if as_json:
        emit_json(rows)
        return
    emit_table([{**r, "purpose": log.PURPOSES[r["purpose"]], "findings": len(r.get("findings", []))} for r in rows],
               ("id", "kind", "unit", "purpose", "at", "by", "due", "late_days", "findings"))


@rounds_group.command("show")
@click.argument("round_id")
@json_option
@click.pass_context
def rounds_show(ctx, round_id, as_json):
    """One round: what it looked at and what it found."""
    row = log.show_round(workspace(ctx), round_id)
    if as_json:
        emit_json(row)
        return
    late = f"  迟 {row['late_days']} 天" if row.get("late_days") else ""
    echo(f"{row['id']}  {log.KINDS[row['kind']]}  {row['unit']}  {row['at']}  {row['by']}  "
         f"{log.PURPOSES[row['purpose']]}  应于 {row['due']}{late}")
    for item, result in row.get("checks", {}).items():
        echo(f"  {item}：{result}")
    for f in row["finding_rows"]:
        echo(f"  {f['id']}  {f['item']}：{f['text']}" + (f"  整改期限 {f['rectify_by']}" if f.get("rectify_by") else ""))


COMMANDS = [rounds_group]     # added to `formsmith` when formsmith.cli finds the process
