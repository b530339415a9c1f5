"""Rules of the rounds' documents: a late round states its delay, computed here from the day it
was owed (formsmith/deadlines.py); a 整改通知书 is never issued before the round that found the
problem nor after the day it gives to put it right."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ... import deadlines, formats, model
from ...rules import RuleContext, field_title, refuse, rule


def _clock(ctx: RuleContext, values: dict[str, Any], key: str) -> list[str]:
    """A time of day as the store writes it, HH:MM (09:30)."""
    text = str(values.get(key) or "")
    if re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        return []
    return [f"字段 {field_title(ctx, key)}：{text!r} 不是时刻，应为 HH:MM，如 09:30 (expected a time of day)"]


def _printed(ctx: RuleContext, key: str, value: Any) -> list[str]:
    """One document of this template per round (per finding): the one issued already, if any."""
    done = ctx.view.find("documents", template=ctx.template.id,
                         where=lambda d: d.get("state") not in model.RETIRED and (d.get("record") or {}).get(key) == value)
    if not done:
        return []
    return [f"字段 {field_title(ctx, key)}：{value} 已印发{ctx.template.title} {done[0]['doc_no']}（{done[0]['state']}），"
            "一次巡查（一个问题）一份；如需重印请先作废原件 (issued already)"]


@rule("custody-round")
@rule("renovation-round")
def round_delay(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The delay of the round past the day it was owed (0: on time), and the readings' ceilings."""
    problems = _printed(ctx, "round_id", values["round_id"]) + _clock(ctx, values, "round_time")
    made, owed = values["round_on"], values["due_on"]
    if made > ctx.as_of:
        problems.append(f"字段 {field_title(ctx, 'round_on')}：{formats.cn_date(made)}晚于印发日期"
                        f"{formats.cn_date(ctx.as_of)}，只记录已做的巡查 (in the future)")
    refuse(ctx, problems)
    out: dict[str, Any] = {"late_days": deadlines.days_late(made, owed)}
    for meter, limit in (("water", deadlines.CUSTODY_WATER_LIMIT), ("electricity", deadlines.CUSTODY_ELECTRICITY_LIMIT)):
        base = values.get(f"{meter}_base")
        if base is not None:
            top = Decimal(str(base)) + limit
            out[f"{meter}_max"] = str(top)
            reading = values.get(f"{meter}_reading")
            if reading is not None:
                out[f"{meter}_over"] = Decimal(str(reading)) > top
    return out


@rule("renovation-rectification")
def rectification(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Issued on or after the round that found it and, for a finding of the store, not after the
    day it gives to put it right (a data file states its own dates); the days it gives."""
    found, by, issued = values["found_on"], values["rectify_by"], ctx.as_of
    problems = _printed(ctx, "finding_id", values["finding_id"]) + _clock(ctx, values, "found_time")
    if by <= found:
        problems.append(f"字段 {field_title(ctx, 'rectify_by')}：{formats.cn_date(by)}不晚于发现日期"
                        f"{formats.cn_date(found)} (the deadline must be after the round)")
    if issued < found:
        problems.append(f"--as-of（通知日期）：{formats.cn_date(issued)}早于巡查发现日期"
                        f"{formats.cn_date(found)} (before the round)")
    elif issued > by and ctx.origin == "store":     # a notice today, for a finding of the store
        problems.append(f"--as-of（通知日期）：{formats.cn_date(issued)}已过整改期限"
                        f"{formats.cn_date(by)}，通知书不能给出已过去的期限；请再次巡查，按新发现的情况登记 "
                        "(the deadline has passed)")
    refuse(ctx, problems)
    return {"rectify_days": (by - found).days}
