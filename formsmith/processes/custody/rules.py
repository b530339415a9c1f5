"""Custody rules (PROCESSES.md §2): the fee is 70% of the full fee; water ≤ 5, electricity ≤ 20."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ... import deadlines, fees, formats
from ...errors import ValidationError
from ...formats import fen, meter_value, parse_area
from ...rules import RuleContext, rule

# From the source text: "托管期间水表不超过5，电表不超过20；物业管理费按全额的70%收取。"
CUSTODY_SHARE = Decimal("0.70")
WATER_LIMIT = deadlines.CUSTODY_WATER_LIMIT              # 立方米 (m³) over the hand-over reading, for the whole custody
ELECTRICITY_LIMIT = deadlines.CUSTODY_ELECTRICITY_LIMIT  # 千瓦时 (kWh) over the hand-over reading


def full_fee(area: Decimal, rate: Decimal) -> Decimal:
    """The monthly full fee: 建筑面积 × 收费标准, to the fen."""
    return fen(area * rate)


def custody_fee(full: Decimal, share: Decimal = CUSTODY_SHARE) -> Decimal:
    """The monthly custody fee: 70% of the full fee, to the fen."""
    return fen(full * share)


@rule("custody-agreement")
def custody_agreement(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Compute the full and the 70% fee and the meter ceilings; refuse figures that differ."""
    problems: list[str] = []
    area = parse_area(values.get("area"), problems)
    rate = values.get("fee_rate")
    if rate is not None and rate <= 0:
        problems.append("字段 fee_rate（收费标准）：应大于0 (must be positive)")
    water = meter_value(values.get("water_base"), "water_base", problems)
    power = meter_value(values.get("electricity_base"), "electricity_base", problems)
    for key, label, limit in (("water_limit", "水表用量上限", WATER_LIMIT),
                              ("electricity_limit", "电表用量上限", ELECTRICITY_LIMIT)):
        stated = values.get(key)
        if stated is not None and stated != limit:
            problems.append(f"字段 {key}（{label}）：托管期间{label}为{limit}，不能约定为{stated} "
                            f"(the custody rule fixes it at {limit})")
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end <= start:
        problems.append(f"字段 end_date（托管截止日期）：{formats.cn_date(end)}不晚于开始日期"
                        f"{formats.cn_date(start)} (end must be after start)")
    if area is None or rate is None or rate <= 0:
        raise ValidationError(problems, ctx.record)
    full = full_fee(area, rate)
    share = fees.custody_share(ctx.view, CUSTODY_SHARE)   # the recorded schedule's, else 70 %
    fee = custody_fee(full, share)
    for key, label, right in (("full_fee", "全额物业服务费", full), ("custody_fee", "托管物业服务费", fee)):
        stated = values.get(key)
        if stated is not None and stated != right:
            how = (f"{area}平方米 × {formats.money(rate)}元 = {formats.money(full)}元" if key == "full_fee"
                   else f"全额{formats.money(full)}元的{int(share * 100)}% = {formats.money(fee)}元")
            problems.append(f"字段 {key}（{label}）：填写的{formats.money(stated)}元与规定不符，应为{how} "
                            f"(stated fee differs from the rule)")
    if problems or water is None or power is None:     # None: a problem was listed
        raise ValidationError(problems, ctx.record)
    first, _ = fees.custody_months(start) if start else (None, None)
    return {"full_fee": full, "custody_fee": fee, "share_percent": int(share * 100),
            "custody_billing_from": formats.cn_month(first) if first else None,
            "water_limit": WATER_LIMIT, "electricity_limit": ELECTRICITY_LIMIT,
            "water_max": water + WATER_LIMIT, "electricity_max": power + ELECTRICITY_LIMIT}
