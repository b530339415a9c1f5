"""Notices for the community's board (宣传栏公告, PROCESSES.md §8 and the seed's 宣传栏): 停水通知,
停电通知, 停水停电通知 and 温馨提示, A4 portrait in large type.

A planned cut is announced in advance: water at least 24 hours before (《城市供水条例》第二十二条),
electricity seven days before when the supply company's planned maintenance cuts it (《电力供应与
使用条例》第二十八条); an emergency repair is announced as it starts (the same articles). No cut
may be a way of collecting fees (《中华人民共和国民法典》第九百四十四条).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from ...errors import ValidationError
from ...rules import RuleContext, field_title, rule

WATER, POWER, BOTH, REMINDER = "停水通知", "停电通知", "停水停电通知", "温馨提示"
TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")
SUPPLY_COMPANY = re.compile(r"供电|电力|电网")
FEE_WORDS = ("欠费", "催缴", "催交", "未缴", "未交", "拖欠")


def _at(day: date | None, hhmm: str | None) -> datetime | None:
    m = TIME.match(hhmm or "")
    if day is None or m is None:
        return None
    return datetime(day.year, day.month, day.day, int(m.group(1)), int(m.group(2)))


@rule("board-notice")
def board_notice(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """A cut says when, where, why and who does it, announced as far ahead as the law wants; a
    reminder says what about; no cut to collect fees."""
    problems: list[str] = []
    kind = values["kind"]
    if kind == REMINDER:
        if not values.get("heading"):
            problems.append(f"字段 {field_title(ctx, 'heading')}：温馨提示须写明标题，如“冬季防冻温馨提示” (required)")
        for key in ("start_date", "start_time", "end_time", "reason"):
            if values.get(key):
                problems.append(f"字段 {field_title(ctx, key)}：温馨提示不填写停水停电时间和原因；"
                                "停水停电请选择相应的通知类型 (belongs to a cut notice)")
        if problems:
            raise ValidationError(problems, ctx.record)
        return {"title": values["heading"], "water": False, "power": False}
    for key in ("start_date", "start_time", "end_time", "scope", "reason", "carried_out_by"):
        if not values.get(key):
            problems.append(f"字段 {field_title(ctx, key)}：{kind}须写明此项 (required)")
    for key in ("start_time", "end_time"):
        if values.get(key) and not TIME.match(values[key]):
            problems.append(f"字段 {field_title(ctx, key)}：“{values[key]}”应为时:分，如 8:30 (expected HH:MM)")
    start = _at(values.get("start_date"), values.get("start_time"))
    end = _at(values.get("end_date") or values.get("start_date"), values.get("end_time"))
    if start and end and end <= start:
        problems.append(f"字段 {field_title(ctx, 'end_time')}：恢复时间不晚于停止时间 (ends before it starts)")
    reason = values.get("reason") or ""
    if any(w in reason for w in FEE_WORDS):
        problems.append(f"字段 {field_title(ctx, 'reason')}：不得以停止供水、供电方式催交物业费"
                        "（《中华人民共和国民法典》第九百四十四条） (no cut to collect fees)")
    water, power = kind in (WATER, BOTH), kind in (POWER, BOTH)
    posted, day = values.get("notice_date"), values.get("start_date")
    if posted and day and day < posted:
        problems.append(f"字段 {field_title(ctx, 'start_date')}：停止日期早于通知日期 (dates out of order)")
    elif posted and day and not values.get("urgent"):
        by_supplier = power and SUPPLY_COMPANY.search(values.get("carried_out_by") or "")
        if by_supplier and day < posted + timedelta(days=7):
            problems.append(f"字段 {field_title(ctx, 'start_date')}：供电企业计划检修停电应当提前7天公告"
                            "（《电力供应与使用条例》第二十八条），通知日期至停电日期不足7天；抢修请勾选 urgent "
                            "(planned power cuts are announced 7 days ahead)")
        elif water and day <= posted:
            problems.append(f"字段 {field_title(ctx, 'start_date')}：计划停水应当提前24小时通知"
                            "（《城市供水条例》第二十二条），不能当日通知当日停水；抢修请勾选 urgent "
                            "(planned water cuts are announced 24 hours ahead)")
    if problems:
        raise ValidationError(problems, ctx.record)
    what = "停水停电" if water and power else "停水" if water else "停电"
    return {"title": kind, "water": water, "power": power, "what": what}
