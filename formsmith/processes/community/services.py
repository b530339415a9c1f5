"""The convenience and commissioned services' price list (便民服务项目及收费公示; the seed's
将便民服务项目向业主、住户公告), posted on the board in large type.

- 《中华人民共和国价格法》第十三条: a price is marked with the service and its 收费标准; nothing
  is charged beyond it, no fee that is not marked.
- 《物业管理条例》第四十三条: a service beyond the contract, at the owner's request, is paid as the
  two sides agree: 市场调节价, which the list publishes.
- 《物业服务收费明码标价规定》(发改价检〔2004〕1428号) 第六条: what the display states (company,
  service, standard, how it is charged, 价格举报电话 — 12358 then, 12315 since the hotlines were
  merged); 第九条: the standards of services beyond the contract are shown to the owners;
  第十条: a changed standard is posted a month before it applies, with the day it applies;
  第十一条: no fee beyond the marked ones.

A service the store's fee schedule publishes (装修垃圾清运费 …) must carry the recorded price:
what is published is what is billed (formsmith/fees.py).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from ... import fees, formats
from ...errors import ValidationError
from ...rules import RuleContext, field_title, rule

UNIT = re.compile(r"^元/\S{1,8}$")
MATERIALS_EXTRA = "材料费另计"
LAW_PRICE = "《中华人民共和国价格法》第十三条"


def _month_later(day: date) -> date:
    """The same day a month later (the month's last day when it has no such day)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _recorded(view) -> dict[str, fees.Fee]:
    """The schedule's lines by the names a price list may give them (装修垃圾清运费, 装修垃圾清运)."""
    out: dict[str, fees.Fee] = {}
    for fee in fees.schedule(view):
        for name in (fee.item, fee.charge_item):
            out[name] = fee
            out[name.removesuffix("费")] = fee
    return out


@rule("service-price-list")
def service_price_list(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Every item marked with a price and its unit, or as free; none negative; the list posted
    before it applies, a month before when a standard changes; the schedule's prices as recorded."""
    problems: list[str] = []
    recorded = _recorded(ctx.view)
    seen: set[str] = set()
    changed = []
    lines = []
    for n, item in enumerate(values.get("services") or [], 1):
        where = f"services[{n}]（{item['name']}）"
        price, unit, free = item.get("price"), item.get("unit"), bool(item.get("free"))
        if item["name"] in seen:
            problems.append(f"字段 {where}：服务项目重复列出，同一项目只能有一个收费标准（{LAW_PRICE}） (listed twice)")
        seen.add(item["name"])
        if free:
            if price:
                problems.append(f"字段 {where}.price（收费标准）：已标明免费，又写了{formats.money(price)}元；"
                                f"免费项目不得收费（{LAW_PRICE}：不得收取任何未予标明的费用） (free, yet priced)")
        elif price is None:
            problems.append(f"字段 {where}.price（收费标准）：未标明收费标准，也未标明免费；提供服务应当明码标价，"
                            f"标明服务的项目和收费标准（{LAW_PRICE}） (no price, not marked free)")
        elif price < 0:
            problems.append(f"字段 {where}.price（收费标准）：{formats.money(price)}元为负数 (negative price)")
        elif price == 0:
            problems.append(f"字段 {where}.price（收费标准）：0元的项目请标明免费 (mark a zero price free)")
        if not free and price is not None:
            if not unit:
                problems.append(f"字段 {where}.unit（计价单位）：收费标准须写明计价单位，如 元/次、元/小时、元/平方米"
                                f"（{LAW_PRICE}：注明计价单位） (a price needs its unit)")
            elif not UNIT.match(unit):
                problems.append(f"字段 {where}.unit（计价单位）：“{unit}”应写作 元/次、元/小时、元/平方米 等 (expected 元/…)")
        fee = recorded.get(item["name"])
        if fee is not None and fee.basis != "share" and (free or price != fee.rate or (unit and unit != fee.unit)):
            problems.append(f"字段 {where}.price（收费标准）：收费标准中登记的{fee.item}为{fee.rate}{fee.unit}，公示须与"
                            f"登记一致（《物业服务收费明码标价规定》第十一条，公示的即为收取的） (the recorded schedule)")
        previous = item.get("previous_price")
        if previous is not None:
            if free or previous == price:
                problems.append(f"字段 {where}.previous_price（现行收费标准）：与调整后的收费标准相同，不是调整 (no change)")
            else:
                changed.append(n)
        lines.append(dict(item, free=free))
    posted, applies = values.get("notice_date"), values.get("effective_date")
    if changed and not applies:
        problems.append(f"字段 {field_title(ctx, 'effective_date')}：第{'、'.join(map(str, changed))}项调整收费标准，"
                        "须标明新标准开始执行的日期（《物业服务收费明码标价规定》第十条） (a change says when it applies)")
    if posted and applies:
        if applies < posted:
            problems.append(f"字段 {field_title(ctx, 'effective_date')}：{formats.cn_date(applies)}早于公示日期"
                            f"{formats.cn_date(posted)}；未公示的收费标准不得执行（{LAW_PRICE}） (applies before it is posted)")
        elif changed and applies < _month_later(posted):
            problems.append(f"字段 {field_title(ctx, 'effective_date')}：第{'、'.join(map(str, changed))}项调整收费标准，"
                            f"应当在执行新标准前一个月公示并标明开始执行的日期（《物业服务收费明码标价规定》第十条），"
                            f"{formats.cn_date(posted)}公示的最早于{formats.cn_date(_month_later(posted))}执行 "
                            "(a change is posted a month ahead)")
    if problems:
        raise ValidationError(problems, ctx.record)
    return {"services": lines, "changed": changed, 
            "materials_extra": any(i.get("materials") == MATERIALS_EXTRA for i in lines),
            "count": len(lines), "paid": sum(1 for i in lines if not i["free"])}
