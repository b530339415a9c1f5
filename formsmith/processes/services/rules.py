"""Rules of services and records: callback and complaint deadlines, surveys, passes, services, receipts."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from ... import deadlines, formats, model
from ...rules import RuleContext, rule
from ...rules import field_title as _field
from ...rules import refuse as _refuse

# PROCESSES.md §3, §6: the limits live in formsmith.deadlines (one place for every process).
CALLBACK_RULES, CALLBACK_BASIS, COMPLAINT_RULES = deadlines.CALLBACK_RULES, deadlines.CALLBACK_BASIS, deadlines.COMPLAINT_RULES
TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")

def _not_before(ctx: RuleContext, values: dict, later: str, earlier: str, problems: list[str]) -> None:
    """`later` (if given) must not be before `earlier` (if given)."""
    a, b = values.get(later), values.get(earlier)
    if a is not None and b is not None and a < b:
        problems.append(f"字段 {_field(ctx, later)}：{formats.cn_date(a)} 早于 {_field(ctx, earlier)} "
                        f"{formats.cn_date(b)}，日期前后矛盾 (dates out of order)")


def _active_documents(ctx: RuleContext, template: str, key: str, value: Any) -> list[dict]:
    """Issued, not voided documents of `template` whose record has `key` == `value`."""
    return ctx.view.find("documents", template=template,
                         where=lambda d: d.get("state") not in model.RETIRED
                         and (d.get("record") or {}).get(key) == value)


# ---------------------------------------------------------------- 维修回访记录 (§3)

def callback_deadline(category: str, completed_on: date, leak_test_on: date | None) -> date:
    """The last day of the callback: 2 days after a safety or other repair, 3 after the leak test."""
    return deadlines.callback_due(category, completed_on, leak_test_on)


@rule("repair-callback")
def repair_callback(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Callback deadline per PROCESSES.md §3; dates in order; one callback record per repair."""
    problems: list[str] = []
    category = values["category"]
    leak = category == "房屋渗漏水维修"
    if leak and values.get("leak_test_on") is None:
        problems.append(f"字段 {_field(ctx, 'leak_test_on')}：渗漏水维修须在试漏后3天内回访，"
                        "试漏日期必填 (leak repairs are called back after the leak test)")
    if not leak and values.get("leak_test_on") is not None:
        problems.append(f"字段 {_field(ctx, 'leak_test_on')}：{category}无需试漏，"
                        "请核对维修类别 (a leak test date belongs to a leak repair)")
    if values["completed_on"] > ctx.as_of:
        problems.append(f"字段 {_field(ctx, 'completed_on')}：{formats.cn_date(values['completed_on'])} 晚于开具日期 "
                        f"{formats.cn_date(ctx.as_of)}：维修尚未完成，完成后方可回访 (the repair is not done yet)")
    elif leak and values.get("leak_test_on") is not None and values["leak_test_on"] > ctx.as_of:
        problems.append(f"字段 {_field(ctx, 'leak_test_on')}：{formats.cn_date(values['leak_test_on'])} 晚于开具日期 "
                        f"{formats.cn_date(ctx.as_of)}：尚在试漏，回访期限自试漏之日起算，试漏后方可回访 "
                        "(still in its leak test)")
    _not_before(ctx, values, "completed_on", "reported_on", problems)
    _not_before(ctx, values, "leak_test_on", "completed_on", problems)
    _not_before(ctx, values, "callback_on", "leak_test_on" if leak else "completed_on", problems)
    # A case's callback event records no way (上门/电话): from the store the boxes stay to tick.
    if (values.get("callback_on") is None) != (values.get("callback_way") is None) and \
            not (ctx.origin == "store" and values.get("callback_way") is None):
        problems.append(f"字段 {_field(ctx, 'callback_way')}：回访日期与回访方式须同时填写 "
                        "(callback date and way go together)")
    done = _active_documents(ctx, "repair-callback", "repair_id", values["repair_id"])
    if done:
        problems.append(f"字段 {_field(ctx, 'repair_id')}：报修单 {values['repair_id']} 已有回访记录 "
                        f"{done[0]['doc_no']}（{done[0]['state']}），一单一记录；如需重开请先作废原记录 "
                        "(this repair has a callback record already)")
    _refuse(ctx, problems)
    due = callback_deadline(category, values["completed_on"], values.get("leak_test_on"))
    callback_on = values.get("callback_on")
    late = deadlines.days_late(callback_on, due) if callback_on else 0
    # a blank form issued after the deadline says so: the callback can only be late now
    issued_late = 0 if callback_on else deadlines.days_late(ctx.as_of, due)
    return {"callback_due": due, "callback_basis": CALLBACK_BASIS[category], "callback_late_days": late,
            "form_issued_on": ctx.as_of, "issued_late_days": issued_late}


# ---------------------------------------------------------------- 投诉处理记录 (§6)

def complaint_deadlines(severity: str, received: datetime,
                        resident_deadline: date | None) -> dict[str, Any]:
    """Escalation, answer and resolution deadlines of a complaint received at `received`."""
    due = deadlines.complaint_due(severity, received, resident_deadline)
    out: dict[str, Any] = {"escalate_to": due["escalate_to"], "escalate_by": "", "answer_by": due["answer_by"],
                           "basis": due["basis"], "resolve_by": due["resolve_by"], "resolve_from": due["resolve_from"]}
    t = due["escalate_by"]
    if t is not None and COMPLAINT_RULES[deadlines.complaint_severity(severity)]["escalate"] == "same-day":
        out["escalate_by"] = f"{formats.cn_date(received.date())}当日"
    elif t is not None:
        out["escalate_by"] = f"{formats.cn_date(t.date())}{t.hour}时{t.minute:02d}分前"
    return out


@rule("complaint-record")
def complaint_record(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Deadlines by severity per PROCESSES.md §6; the record's dates must be in order."""
    problems: list[str] = []
    m = TIME_OF_DAY.match(values["received_time"] or "")
    if not m:
        problems.append(f"字段 {_field(ctx, 'received_time')}：{values['received_time']!r} 不是有效时间，"
                        "应为 时:分（如 14:20）(expected HH:MM)")
    for later in ("resident_deadline", "answered_on", "resolved_on"):
        _not_before(ctx, values, later, "received_on", problems)
    _not_before(ctx, values, "resolved_on", "answered_on", problems)
    if values.get("resolved_on") is not None and not values.get("result"):
        problems.append(f"字段 {_field(ctx, 'result')}：已填写办结日期，须写明处理结果 "
                        "(a resolved complaint states its result)")
    _refuse(ctx, problems)
    assert m is not None          # an unreadable time is among the problems _refuse raised for
    received = datetime.combine(values["received_on"], datetime.min.time()).replace(
        hour=int(m.group(1)), minute=int(m.group(2)))
    out = complaint_deadlines(values["severity"], received, values.get("resident_deadline"))
    out["received_time"] = f"{received.hour:02d}:{received.minute:02d}"
    resolved = values.get("resolved_on")
    out["resolve_late_days"] = (resolved - out["resolve_by"]).days if resolved and resolved > out["resolve_by"] else 0
    answered = values.get("answered_on")
    out["answer_late_days"] = (answered - out["answer_by"]).days \
        if answered and out["answer_by"] and answered > out["answer_by"] else 0
    return out


# ---------------------------------------------------------------- 业主意见征询表 (§7)

@rule("satisfaction-survey")
def satisfaction_survey(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The survey is of the year it is sent in (or the year before); items are distinct."""
    problems: list[str] = []
    issued, year = values["issued_on"], values["survey_year"]
    if year not in (issued.year, issued.year - 1):
        problems.append(f"字段 {_field(ctx, 'survey_year')}：{year}年度的征询不能在 "
                        f"{formats.cn_date(issued)} 发放 (survey year must be the year sent or the one before)")
    if values["return_by"] <= issued:
        problems.append(f"字段 {_field(ctx, 'return_by')}：回收截止日期须晚于发放日期 "
                        f"{formats.cn_date(issued)} (return date must follow the issue date)")
    names = [i["name"] for i in values["items"]]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        problems.append(f"字段 {_field(ctx, 'items')}：服务项目重复：{'、'.join(dups)} (duplicate items)")
    _refuse(ctx, problems)
    return {}


# ---------------------------------------------------------------- 物品放行条 (§8)

@rule("release-pass")
def release_pass(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Goods leave only on a pass dated for the move; a non-owner needs the owner's consent, given
    in person or in writing (the 住户手册's 物品放行: the owner comes, or the applicant brings the
    owner's written authorisation) — a phone call, text or chat message is not enough. The
    goods are totalled per unit of measure (1张、2台、12箱), never added across units."""
    problems: list[str] = []
    _not_before(ctx, values, "move_date", "issued_on", problems)
    if values["applicant_role"] != "业主":
        way, note = values.get("consent_way"), values.get("consent_note") or ""
        remote = next((w for w in ("电话", "来电", "短信", "微信", "语音", "视频") if w in note), None)
        if not values.get("owner_consent") or not way:
            said = f"（所填为“{note}”）" if note else ""
            problems.append(f"字段 {_field(ctx, 'consent_way')}：申请人为{values['applicant_role']}，须业主本人到场确认"
                            f"或出具书面同意方可放行{said}；电话等口头确认不能放行（《住户手册》物品放行） "
                            "(a non-owner needs the owner in person or the owner's written consent)")
        elif remote and way == "业主书面同意":
            problems.append(f"字段 {_field(ctx, 'consent_note')}：“{note}”是{remote}确认，不是书面同意；"
                            "请业主本人到场或出具书面同意 (a phone call or message is not written consent)")
    for i, item in enumerate(values["items"], 1):
        if item["quantity"] is not None and item["quantity"] < 1:
            problems.append(f"字段 items[{i}].quantity（数量）：{item['quantity']} 应至少为 1 (quantity >= 1)")
    _refuse(ctx, problems)
    totals: dict[str, int] = {}
    for item in values["items"]:
        totals[item["measure"]] = totals.get(item["measure"], 0) + item["quantity"]
    return {"totals": [{"measure": m, "quantity": q} for m, q in totals.items()]}


# ---------------------------------------------------------------- 便民服务单 (§8)

@rule("service-acceptance")
def service_acceptance(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Agreed scope and fee; the fee is collected only after the resident accepts the work."""
    problems: list[str] = []
    _not_before(ctx, values, "agreed_on", "requested_on", problems)
    _not_before(ctx, values, "accepted_on", "agreed_on", problems)
    if (values.get("accepted") is None) != (values.get("accepted_on") is None):
        problems.append(f"字段 {_field(ctx, 'accepted_on')}：验收结论与验收日期须同时填写 "
                        "(acceptance result and date go together)")
    if values.get("paid") and values.get("accepted") != "合格":
        problems.append(f"字段 {_field(ctx, 'paid')}：服务验收合格后方可收取费用 "
                        "(the fee is collected only after the work is accepted)")
    if values["fee"] is not None and values["fee"] <= 0:
        problems.append(f"字段 {_field(ctx, 'fee')}：服务费用应大于零 (fee must be positive)")
    _refuse(ctx, problems)
    return {"fee_words": formats.rmb_words(values["fee"])}


# ---------------------------------------------------------------- 收费收据 (§4)
