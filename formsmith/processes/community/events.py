"""Community cultural events (小区文化活动, the seed's 制订活动方案 … 现场布置 … 记录、拍照、摄像，
并归档留存): the plan, and the sign-in sheet printed from it (or standalone, for a meeting).

- 《中华人民共和国民法典》第一千一百九十八条: the organiser of a 群众性活动 owes its participants
  safety (安全保障义务): the plan says how (安全预案; for an event outdoors, what happens when it
  rains), and no more come than the venue holds.
- 《大型群众性活动安全管理条例》第二条: it governs events for the public of 1000 or more persons
  only; 第十一条、第十二条: they need the public security organ's safety permit (1000 to 5000: the
  county's, from 5000: the city's). A smaller event is not cited it.
- 《中华人民共和国个人信息保护法》第六条 (no more data than the purpose needs: a phone column only
  when asked), 第十七条 (what the sheet is for and how long it is kept, printed on it), 第十三条、
  第二十五条 and 民法典 第一千零一十九条 (a resident is photographed, and the photo shown, only
  with their consent: the sign-in sheet asks each).
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from ... import formats, model
from ...errors import InputError, ValidationError
from ...rules import RuleContext, field_title, rule
from ...sources import builder
from ...store import View
from ...workspace import Workspace

TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")
LARGE_EVENT = 1000            # 大型群众性活动安全管理条例 第二条
CITY_PERMIT = 5000            # 第十二条: from 5000 the city's public security organ
SAFETY = "《中华人民共和国民法典》第一千一百九十八条"
ROWS_PER_PAGE = 20            # sign-in rows of one A4 page (9 mm each, with the repeated header)
MAX_ROWS = 300


def _at(day: date | None, hhmm: str | None) -> datetime | None:
    m = TIME.match(hhmm or "")
    if day is None or m is None:
        return None
    return datetime(day.year, day.month, day.day, int(m.group(1)), int(m.group(2)))


def _hhmm(text: str) -> str:
    """9:00 as printed (a full-width colon made half-width)."""
    return text.replace("：", ":")


@rule("event-plan")
def event_plan(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The event ends after it starts, its programme inside its time; no more people than the
    venue holds; a safety plan (and a rain plan outdoors); a permit from 1000 persons; the budget
    adds up (its total is the catalog's sum of the lines) and no line is negative."""
    problems: list[str] = []
    for key in ("start_time", "end_time"):
        if not TIME.match(values.get(key) or ""):
            problems.append(f"字段 {field_title(ctx, key)}：“{values.get(key)}”应为时:分，如 9:30 (expected HH:MM)")
    start_day, end_day = values["start_date"], values.get("end_date") or values["start_date"]
    start, end = _at(start_day, values.get("start_time")), _at(end_day, values.get("end_time"))
    if start and end and end <= start:
        problems.append(f"字段 {field_title(ctx, 'end_time')}：结束时间{formats.cn_date(end_day)}{_hhmm(values['end_time'])}"
                        f"不晚于开始时间{formats.cn_date(start_day)}{_hhmm(values['start_time'])} (ends before it starts)")
    drafted = values.get("plan_date")
    if drafted and drafted > start_day:
        problems.append(f"字段 {field_title(ctx, 'plan_date')}：拟定日期{formats.cn_date(drafted)}晚于活动开始日期"
                        f"{formats.cn_date(start_day)}，活动方案应当事先制订 (a plan is made before the event)")
    schedule = []
    for n, step in enumerate(values.get("schedule") or [], 1):
        day = step.get("day") or start_day
        at, until = _at(day, step.get("time")), _at(day, step.get("until")) if step.get("until") else None
        for key in ("time", "until"):
            if step.get(key) and not TIME.match(step[key]):
                problems.append(f"字段 schedule[{n}].{key}（时间）：“{step[key]}”应为时:分 (expected HH:MM)")
        if start and end and at and not (start <= at <= end and (until is None or at <= until <= end)):
            problems.append(f"字段 schedule[{n}]（{step['what']}）：{formats.cn_date(day)}{_hhmm(step['time'])}"
                            f"{'—' + _hhmm(step['until']) if step.get('until') else ''}不在活动时间"
                            f"{formats.cn_date(start_day)}{_hhmm(values['start_time'])}至"
                            f"{formats.cn_date(end_day)}{_hhmm(values['end_time'])}之内 (outside the event's time)")
        elif until and at and until < at:
            problems.append(f"字段 schedule[{n}].until（结束时间）：早于开始时间 (ends before it starts)")
        schedule.append(dict(step, day=day.isoformat(), time=_hhmm(step["time"]),
                             until=_hhmm(step["until"]) if step.get("until") else ""))
    expected, capacity = values["expected"], values["capacity"]
    if expected < 1 or capacity < 1:
        key = "expected" if expected < 1 else "capacity"
        problems.append(f"字段 {field_title(ctx, key)}：应为正整数 (a positive number)")
    elif expected > capacity:
        problems.append(f"字段 {field_title(ctx, 'expected')}：预计{expected}人，超过{values['place']}可容纳的{capacity}人；"
                        f"群众性活动的组织者负有安全保障义务（{SAFETY}），请更换场地、分场次或限定人数 (more than the venue holds)")
    if not values.get("safety_plan"):
        problems.append(f"字段 {field_title(ctx, 'safety_plan')}：须写明安全预案（人员疏导、急救、走失、火情等）；群众性活动的"
                        f"组织者负有安全保障义务（{SAFETY}） (a safety plan is required)")
    if values.get("outdoor") and not values.get("rain_plan"):
        problems.append(f"字段 {field_title(ctx, 'rain_plan')}：室外活动须写明雨天（恶劣天气）预案：改期、改在室内或取消及通知方式"
                        f"（{SAFETY}） (an outdoor event needs a rain plan)")
    large = expected >= LARGE_EVENT
    if large and not values.get("police_permit"):
        level = "设区的市级人民政府公安机关" if expected >= CITY_PERMIT else "活动所在地县级人民政府公安机关"
        problems.append(f"字段 {field_title(ctx, 'police_permit')}：预计{expected}人，达到1000人以上，属于大型群众性活动"
                        f"（《大型群众性活动安全管理条例》第二条），须经{level}安全许可（第十一条、第十二条）；"
                        "请写明许可决定书编号 (1000 or more persons need a police permit)")
    for n, line in enumerate(values.get("budget") or [], 1):
        if line["amount"] is not None and line["amount"] <= 0:
            problems.append(f"字段 budget[{n}].amount（{line['item']}）：金额应大于0 (must be positive)")
    for n, prize in enumerate(values.get("prizes") or [], 1):
        if prize["count"] < 1:
            problems.append(f"字段 prizes[{n}].count（{prize['name']}数量）：应为正整数 (a positive number)")
    if problems:
        raise ValidationError(problems, ctx.record)
    total = values["budget_total"]
    return {"end_date": end_day.isoformat(), "start_time": _hhmm(values["start_time"]),
            "end_time": _hhmm(values["end_time"]), "schedule": schedule, "large": large,
            "multi_day": end_day != start_day, "budget_words": formats.rmb_words(total),
            "prize_count": sum(p["count"] for p in values.get("prizes") or [])}


# ---------------------------------------------------------------- 签到表

def _plan(view: View, plan_no: str) -> dict[str, Any] | None:
    found = view.find("documents", doc_no=plan_no)
    return next((d for d in found if d["template"] == "event-plan" and d["state"] not in model.RETIRED), None)


@builder("event-plan-sign-in", key="plan")
def sign_in_data(ws: Workspace, view: View, plan_no: str, as_of: date) -> dict[str, Any]:
    """The sign-in sheet of the event of plan `plan_no` (物活字〔2025〕1号): its name, day (today
    when the event is on, else its first day), time, place and expected participants; photos
    are taken (the plan records the event), so the sheet asks each resident's consent."""
    plan = _plan(view, plan_no)
    if plan is None:
        raise InputError(f"{plan_no}：字段 plan_no（活动方案编号）：没有这份已开具的小区文化活动方案 "
                         "(no issued event-plan with this number)")
    rec = plan["record"]
    first, last = date.fromisoformat(rec["start_date"]), date.fromisoformat(rec["end_date"])
    day = as_of if first <= as_of <= last else first
    return {"plan_no": plan["doc_no"], "title": rec["title"], "date": day.isoformat(),
            "time": f"{rec['start_time']}—{rec['end_time']}" if first == last else "",
            "place": rec["place"], "event_from": rec["start_date"], "event_to": rec["end_date"],
            "expected": rec["expected"], "photo": True, "phone_column": False, "made_on": as_of.isoformat()}


@rule("event-sign-in")
def event_sign_in(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Rows for the expected participants, at least a page, at most MAX_ROWS; the day inside the
    event (the plan's, when the store holds the plan the sheet names)."""
    problems: list[str] = []
    expected = values["expected"]
    if not 1 <= expected <= MAX_ROWS:
        problems.append(f"字段 {field_title(ctx, 'expected')}：签到人数应为1至{MAX_ROWS}人；人数更多的活动请按场次或"
                        "楼栋分别制表 (1 to 300 rows)")
    first, last = values.get("event_from"), values.get("event_to")
    plan = _plan(ctx.view, values["plan_no"]) if values.get("plan_no") else None
    if plan is not None:
        rec = plan["record"]
        first, last = date.fromisoformat(rec["start_date"]), date.fromisoformat(rec["end_date"])
        for key in ("title", "place"):
            if values.get(key) != rec[key]:
                problems.append(f"字段 {field_title(ctx, key)}：与活动方案{plan['doc_no']}不符（方案为“{rec[key]}”） "
                                "(the plan says otherwise)")
    elif first and last and last < first:
        problems.append(f"字段 {field_title(ctx, 'event_to')}：早于活动开始日期 (dates out of order)")
    day = values["date"]
    if (first and day < first) or (last and day > last):
        bounds = [formats.cn_date(b) for b in dict.fromkeys((first, last)) if b]
        span = "至".join(bounds)
        problems.append(f"字段 {field_title(ctx, 'date')}：{formats.cn_date(day)}不在活动日期（{span}）之内 "
                        "(the day is outside the event)")
    if problems:
        raise ValidationError(problems, ctx.record)
    rows = max(1, math.ceil(expected / ROWS_PER_PAGE)) * ROWS_PER_PAGE
    return {"rows": rows, "pages_expected": rows // ROWS_PER_PAGE,
            "event_from": first.isoformat() if first else None, "event_to": last.isoformat() if last else None}
