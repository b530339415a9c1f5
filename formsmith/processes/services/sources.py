"""Template data built from the store for services: the yearly survey per unit, a repair's callback
(from a repair case or a row of the older `repairs` table), a complaint case's record."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ... import casefile, deadlines
from ...errors import InputError
from ...sources import builder, owner_of, unit_address
from ...store import View
from ...workspace import Workspace

# The service items every household rates in the yearly 《业主意见征询表》 (PROCESSES.md §7);
# a workspace may list its own under [survey] items = [...] ("名称：说明" strings).
SURVEY_ITEMS = (
    ("客户服务", "接待咨询、报修受理、投诉处理、办事效率"),
    ("房屋及设施维修", "报修响应速度、维修质量、维修后回访"),
    ("秩序维护", "门岗值守、巡逻、车辆停放管理、物品放行"),
    ("环境卫生", "楼道及道路清扫、垃圾清运、公共区域保洁"),
    ("绿化养护", "草坪、树木修剪养护、病虫害防治"),
    ("公共设施设备", "电梯、照明、供水供电、消防设施运行"),
    ("装修管理", "装修审批、施工时间及违规行为管理"),
    ("社区文化活动", "节日活动、宣传栏、业主沟通"),
    ("收费及公开", "收费标准执行、收支情况公布"),
)
SURVEY_RETURN_DAYS = 15
REPAIR_CATEGORIES = deadlines.REPAIR_CATEGORIES


def _day(value: Any) -> str | None:
    """"2025-11-24T15:40" or "2025-11-24" → "2025-11-24"; None stays None."""
    return str(value)[:10] if value else None


def survey_items(ws: Workspace) -> list[dict[str, str]]:
    configured = ws.setting("survey", "items")
    if configured:
        return [dict(zip(("name", "scope"), (str(s).split("：", 1) + [""])[:2])) for s in configured]
    return [{"name": n, "scope": s} for n, s in SURVEY_ITEMS]


@builder("unit-survey")
def unit_survey(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """One household's survey form of the year of `as_of`, to be returned within 15 days."""
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    days = int(ws.setting("survey", "return_days", SURVEY_RETURN_DAYS))
    return {
        "unit": unit_id,
        "unit_address": unit_address(unit),
        "owner_name": owner["name"],
        "survey_year": as_of.year,
        "issued_on": as_of.isoformat(),
        "return_by": (as_of + timedelta(days=days)).isoformat(),
        "items": survey_items(ws),
    }


@builder("repair-callback", key="repairs")
def repair_callback(ws: Workspace, view: View, repair_id: str, as_of: date) -> dict[str, Any]:
    """The callback form of a finished repair: who reported what, when it was done, the category."""
    repair = view.require("repairs", repair_id, "repair")
    where = f"报修单 {repair_id}"
    category = REPAIR_CATEGORIES.get(repair.get("category", ""))
    if category is None:
        raise InputError(f"{where}：字段 category（维修类别）：{repair.get('category')!r} 不是已知的维修类别 "
                         f"({', '.join(REPAIR_CATEGORIES)})")
    if not repair.get("done_at"):
        raise InputError(f"{where}：字段 done_at（完成时间）：维修尚未完成（状态 {repair.get('status')}），"
                         "完成后方可回访 (the repair is not finished)")
    leak_test = _day(repair.get("leak_test_at"))
    if category == "房屋渗漏水维修" and not leak_test:
        raise InputError(f"{where}：字段 leak_test_at（试漏时间）：渗漏水维修尚未试漏（状态 {repair.get('status')}），"
                         "回访期限自试漏之日起算，试漏后3天内回访 (no leak test recorded yet)")
    unit = view.require("units", repair["unit"], "unit")
    owner = owner_of(view, unit)
    data: dict[str, Any] = {
        "repair_id": repair_id,
        "unit": unit["id"],
        "unit_address": unit_address(unit),
        "contact_name": repair.get("contact") or owner.get("contact_person") or owner["name"],
        "phone": repair.get("phone") or owner.get("phone"),
        "reported_on": _day(repair["reported_at"]),
        "description": repair["description"],
        "category": category,
        "completed_on": _day(repair["done_at"]),
    }
    for key, field in (("repairer", "repairer"), ("leak_test_at", "leak_test_on")):
        if repair.get(key):
            data[field] = _day(repair[key]) if field.endswith("_on") else repair[key]
    return data


@builder("repair-case-callback", key="cases")
def repair_case_callback(ws: Workspace, view: View, case_id: str, as_of: date) -> dict[str, Any]:
    """The callback record of a repair case's current round: its `done` event (with the leak
    test) and, once made, its callback (date, who, result, satisfaction); earlier rounds of a
    reopened repair listed. No form before the repair is done (a leak repair: before its leak
    test, which `cases done` records with it)."""
    row = casefile.the_case(view, case_id, casefile.REPAIR)
    current, earlier = casefile.current_round(row)
    done = casefile.last(current, "done")
    if done is None:
        if row["category"] == "leak":
            raise casefile.refuse(row["id"], "leak_test", f"渗漏水维修尚未完成试漏（{casefile.state_of(row)}），"
                                  "回访期限自试漏之日起算，试漏后3天内回访，现不开具回访记录")
        raise casefile.refuse(row["id"], "state", f"维修尚未完成（{casefile.state_of(row)}），"
                              "完成后方可回访，现不开具回访记录")
    dispatch = casefile.last(current, "dispatch") or casefile.last(row["events"], "dispatch")
    party = casefile.party(view, row)
    data: dict[str, Any] = {
        "repair_id": row["id"], "unit": party["unit"], "unit_address": party["unit_address"],
        "contact_name": row.get("reported_by") or party["owner_name"],
        "phone": row.get("contact") or party["owner_phone"],
        "reported_on": row["opened_at"][:10], "description": row["description"],
        "category": casefile.CATEGORY[row["category"]], "completed_on": done["at"][:10],
        "repairer": (dispatch or {}).get("to") or done["by"], "leak_test_on": done.get("leak_test_on"),
    }
    call = next((e for e in current if e["what"] == "callback"), None)
    if call is not None:
        data.update(callback_on=call["at"][:10], quality=call["satisfaction"], feedback=call["result"],
                    callback_by=call["by"])
    rounds = []
    for i, ev in enumerate(earlier):
        if ev["what"] == "callback":
            before = casefile.last(earlier[:i], "done")
            rounds.append(casefile.drop_empty({"completed_on": before["at"][:10] if before else None,
                                               "callback_on": ev["at"][:10], "quality": ev["satisfaction"],
                                               "feedback": ev["result"]}))
    if rounds:
        data["earlier"] = rounds
    return casefile.drop_empty(data)


@builder("complaint-case", key="cases")
def complaint_case(ws: Workspace, view: View, case_id: str, as_of: date) -> dict[str, Any]:
    """The 投诉处理记录 of a complaint case: its intake and every step it records (who handled it,
    when it was answered and resolved, the callback); what a case does not record (the channel,
    the place, the party complained about, the resident's request) is left to be written in."""
    row = casefile.the_case(view, case_id, casefile.COMPLAINT)
    data = casefile.complaint_facts(view, row)
    data.pop("answer", None)
    steps = []
    for ev, line in zip(row["events"], casefile.event_lines(row)):
        if ev["what"] not in ("open", "close"):
            steps.append(f"{ev['at'][:10]} {ev['by']}{line['what']}" + (f"：{line['detail']}" if line["detail"] else ""))
    if steps:
        data["handling"] = "；".join(steps) + "。"
    call = casefile.last(row["events"], "callback")
    if call is not None:
        data["satisfaction"] = call["satisfaction"]
    return casefile.drop_empty(data)
