"""The service centre's time limits (PROCESSES.md §2, §3, §5, §6) in one place: repair callbacks,
complaint handling and escalation, custody and renovation rounds, in calendar days, as dates
(the custody meter ceilings live here too, as the limits the custody rounds check). Every process that states or checks one of
these limits (the 维修回访记录 and 投诉处理记录 rules, the case records) reads it here."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

# Custody (PROCESSES.md §2): "托管期间水表不超过5，电表不超过20" over the hand-over readings, for the
# whole custody: the custody agreement states them, a custody round checks the meters against them.
CUSTODY_WATER_LIMIT = 5           # 吨
CUSTODY_ELECTRICITY_LIMIT = 20    # 度

# Repair categories: the code a record stores → what a clerk calls it.
REPAIR_CATEGORIES = {"safety": "安全设施维修", "leak": "房屋渗漏水维修", "other": "其他维修"}

# Callback deadline per kind of repair: calendar days after the event the count starts from.
# 渗漏水 repairs count from the leak test (试漏), the others from the end of the repair.
CALLBACK_RULES: dict[str, tuple[int, str]] = {
    "安全设施维修": (2, "completed_on"),
    "房屋渗漏水维修": (3, "leak_test_on"),
    "其他维修": (2, "completed_on"),
}
CALLBACK_BASIS = {
    "安全设施维修": "安全设施维修：维修完成后2天内回访",
    "房屋渗漏水维修": "房屋渗漏水维修：试漏后3天内回访",
    "其他维修": "其他维修：维修完成后2天内回访",
}

# Complaint handling by severity: escalate to whom and how fast, answer within, resolve within (days).
COMPLAINT_RULES: dict[str, dict[str, Any]] = {
    "重大投诉": {"escalate_to": "管理处主任", "escalate": "same-day", "answer_days": 2, "resolve_days": 10,
             "basis": "严重影响住户生活、安全或造成恶劣影响：当日呈送管理处主任，2天内给住户明确答复，10日内处理完毕"},
    "重要投诉": {"escalate_to": "部门主管", "escalate": "1-hour", "answer_days": None, "resolve_days": 3,
             "basis": "涉及管理、服务工作失误：接待后1小时内转呈部门主管，3天内处理完毕"},
    "轻微投诉": {"escalate_to": "", "escalate": "", "answer_days": None, "resolve_days": 2,
             "basis": "个别偶发事务、个别人员的轻微投诉：2天内或在住户要求的期限内处理完毕"},
}
SEVERITIES = ("重大", "重要", "轻微")          # as a case records them (重大 → 重大投诉)


def repair_category(category: str) -> str:
    """The category's name (安全设施维修 …) from its code (safety, leak, other) or its name."""
    name = REPAIR_CATEGORIES.get(category, category)
    if name not in CALLBACK_RULES:
        raise ValueError(f"{category!r} 不是已知的维修类别（{'、'.join(REPAIR_CATEGORIES)}）")
    return name


def complaint_severity(severity: str) -> str:
    """The severity's full name (重大投诉 …) from 重大/重要/轻微 or the full name."""
    name = severity if severity.endswith("投诉") else f"{severity}投诉"
    if name not in COMPLAINT_RULES:
        raise ValueError(f"{severity!r} 不是已知的投诉级别（{'、'.join(SEVERITIES)}）")
    return name


def callback_due(category: str, completed_on: date, leak_test_on: date | None) -> date:
    """The last day of a repair's callback: 2 days after a safety or other repair, 3 after the leak test."""
    days, start = CALLBACK_RULES[repair_category(category)]
    origin = leak_test_on if start == "leak_test_on" else completed_on
    if origin is None:
        raise ValueError("渗漏水维修须先试漏，回访期限自试漏之日起算 (leak test date required)")
    return origin + timedelta(days=days)


def complaint_due(severity: str, received: datetime, resident_deadline: date | None = None) -> dict[str, Any]:
    """A complaint's limits: {escalate_to, escalate_by (datetime or None), answer_by (date or None),
    resolve_by (date), resolve_from, basis}. 轻微 complaints take the resident's deadline if given."""
    name = complaint_severity(severity)
    r = COMPLAINT_RULES[name]
    escalate_by: datetime | None = None
    if r["escalate"] == "same-day":
        escalate_by = datetime.combine(received.date(), datetime.max.time()).replace(microsecond=0)
    elif r["escalate"] == "1-hour":
        escalate_by = received + timedelta(hours=1)
    answer_by = received.date() + timedelta(days=r["answer_days"]) if r["answer_days"] else None
    if name == "轻微投诉" and resident_deadline is not None:
        resolve_by, resolve_from = resident_deadline, "住户要求的期限"
    else:
        resolve_by = received.date() + timedelta(days=r["resolve_days"])
        resolve_from = f"受理后{r['resolve_days']}日内"
    return {"escalate_to": r["escalate_to"], "escalate_by": escalate_by, "answer_by": answer_by,
            "resolve_by": resolve_by, "resolve_from": resolve_from, "basis": r["basis"]}


def days_late(done: date, due: date | None) -> int:
    """Calendar days `done` is after `due` (0 when on time or no limit)."""
    return max((done - due).days, 0) if due is not None else 0


def escalation_late_minutes(done: datetime, due: datetime | None) -> int:
    """Whole minutes an escalation made at `done` is after its limit `due` (0 when on time or none)."""
    if due is None or done <= due:
        return 0
    return int((done - due).total_seconds() // 60)


# ---------------------------------------------------------------- rounds (巡查), PROCESSES.md §2, §5

# 托管: "工作人员每周对托管房屋外围巡查一次，大雨前后各巡查一次" (the seed, §2; 《房屋托管协议》第四条).
CUSTODY_ROUND_DAYS = 7            # a custody unit is patrolled within 7 calendar days of its last round
CUSTODY_ROUND_BASIS = "托管房屋每周巡查一次（自上次巡查起7日内），大雨前后各增加一次巡查"
RAIN_AFTER_DAYS = 1               # the round after heavy rain: by the day after the rain ends
RAIN_BASIS = "大雨前巡查：预计降雨之日（含当日）前完成；大雨后巡查：雨停次日（含当日）前完成"
# 装修: the seed asks for renovations to be patrolled without a frequency; the company sets it
# ([rounds] renovation_days), by default every 3 calendar days while the works are under way.
RENOVATION_ROUND_DAYS = 3
# 整改: what a finding asks the renovator to put right, by default within 3 calendar days.
RECTIFY_DAYS = 3


def next_round_due(last: date, days: int) -> date:
    """The last day of the next round after one made on `last`, `days` calendar days apart."""
    return last + timedelta(days=days)


def rain_round_due(purpose: str, rain_from: date, rain_to: date | None) -> date:
    """The last day of a heavy-rain round: "before" by the day the rain is expected (含当日),
    "after" by the day after it ends (the warning's last day, else its first)."""
    if purpose == "before":
        return rain_from
    return (rain_to or rain_from) + timedelta(days=RAIN_AFTER_DAYS)


def rectify_by(found_on: date, days: int = RECTIFY_DAYS) -> date:
    """The day a finding is to be put right by: `days` calendar days after the round (含当日)."""
    return found_on + timedelta(days=days)
