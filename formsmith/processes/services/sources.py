"""Template data built from the store for services: the yearly survey per unit, a repair's callback."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ... import deadlines
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
