"""A clerk's Excel 来电登记 and 报修登记 logs as cases (`records import call-log|repair-log FILE`).

Each row becomes one case with its events (opened, referred or answered; dispatched, done with
its leak test, called back), built with the same moves as `formsmith cases …` (log.new_case,
log.apply), so a row is refused for what a command would refuse — a time in the future, steps out
of order, a leak repair without its leak test, a callback without its result — and the problem
is reported by row and column like every other sheet (formsmith/sheets). All rows or none; the
cases are numbered in their series (LD/BX + year) in the order they came in. A row whose case is
already on record (same kind, unit, time and description) changes nothing: importing the same
log again writes nothing.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from ... import deadlines, lifecycle
from ...errors import InputError
from ...sheets import kinds
from ...sheets.kinds import UNIT, Column, Kind
from ...store import View
from ...workspace import Workspace
from . import log

_AT = ("时间", "日期", "登记时间")
CALL_LOG = Kind("call-log", "来电登记", (
    Column("at", "来电时间", "datetime", required=True, aliases=("来电日期", "来访时间", "来电来访时间", *_AT),
           note="日期和时间，如 2025-11-03 09:10", example=datetime(2025, 11, 3, 9, 10)),
    UNIT,
    Column("reporter", "来电人", aliases=("来访人", "姓名", "住户姓名", "业主姓名", "来电人姓名"), example="王芳"),
    Column("contact", "联系电话", "phone", aliases=("电话", "手机", "手机号", "手机号码"), example="13812345678"),
    Column("description", "来电内容", required=True, aliases=("来电事由", "事由", "内容", "咨询内容", "反映问题"),
           example="咨询物业费缴费方式"),
    Column("answer", "答复内容", aliases=("答复", "处理结果", "回复内容", "处理情况"),
           note="当场答复的，填答复内容；转交专人的，答复后填写", example="可在客服中心或转账缴纳"),
    Column("refer_to", "转交", aliases=("转办", "转交部门", "转办人", "转交人", "承办人"),
           note="转交专人答复的，填部门或姓名（须填承诺答复时间）"),
    Column("promise", "承诺答复时间", "datetime", aliases=("承诺时间", "约定答复时间")),
    Column("answered_at", "答复时间", "datetime", aliases=("回复时间",), note="转交后答复的时间"),
    Column("by", "登记人", aliases=("接听人", "接待人", "记录人"), note="不填为工作区设置的客服人员"),
), "来电来访登记：每行一次来电或来访，导入为来电来访案件（LD编号）。当场答复的填答复内容；转交的填转交、承诺答复时间。")

REPAIR_LOG = Kind("repair-log", "报修登记", (
    Column("at", "报修时间", "datetime", required=True, aliases=("报修日期", *_AT),
           note="日期和时间，如 2025-11-05 14:20", example=datetime(2025, 11, 5, 14, 20)),
    UNIT,
    Column("reporter", "报修人", aliases=("姓名", "业主", "业主姓名", "报修人姓名"), example="张伟"),
    Column("contact", "联系电话", "phone", aliases=("电话", "手机", "手机号", "手机号码"), example="13812345678"),
    Column("description", "报修内容", required=True, aliases=("故障内容", "报修事项", "维修内容", "故障描述"),
           example="客厅吊灯不亮"),
    Column("category", "维修类别", required=True, aliases=("类别", "报修类别"),
           note="安全设施维修、房屋渗漏水维修 或 其他维修（可简写为 安全设施、渗漏水、其他）", example="其他维修"),
    Column("assignee", "维修人", aliases=("维修人员", "派工人员", "处理人", "派工")),
    Column("dispatched_at", "派工时间", "datetime", aliases=("派单时间",), note="不填而有维修人的，以报修时间为派工时间"),
    Column("done_at", "完成时间", "datetime", aliases=("维修完成时间", "完工时间")),
    Column("leak_test", "试漏日期", "date", aliases=("闭水试验日期", "试水日期"), note="渗漏水维修完成的，必填"),
    Column("paid", "有偿", "bool", aliases=("是否有偿", "有偿服务"), note="是 / 否；不填为否"),
    Column("callback_at", "回访时间", "datetime", aliases=("回访日期",)),
    Column("callback_result", "回访结果", aliases=("回访情况", "回访意见"), note="有回访时间的，必填"),
    Column("satisfaction", "满意度", aliases=("满意程度", "评价"), note="满意、基本满意 或 不满意；不满意的重新打开报修"),
    Column("by", "登记人", aliases=("受理人", "接待人", "记录人"), note="不填为工作区设置的客服人员"),
), "业主报修登记：每行一次报修，导入为报修案件（BX编号），含派工、完成（试漏）、回访各步。")

_CATEGORY_WORDS = {**{v: k for k, v in deadlines.REPAIR_CATEGORIES.items()}, **{k: k for k in deadlines.REPAIR_CATEGORIES},
                   "安全设施": "safety", "渗漏水": "leak", "房屋渗漏水": "leak", "渗漏": "leak", "其他": "other"}
# The field a refusal of log.py names → the column of the row it is about, per step.
_FIELD = re.compile(r"字段 (\w+)（[^）]*）：(.*)$", re.S)


class _Refused(Exception):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field, self.reason = field, reason


def _step(fields: dict[str, str], fn, *args, **kw):
    """Run one move of log.py; its refusal names its field, reported on the row's column `fields[field]`."""
    try:
        return fn(*args, **kw)
    except InputError as exc:
        m = _FIELD.search(str(exc))
        field, reason = (m.group(1), m.group(2)) if m else ("", str(exc))
        raise _Refused(fields.get(field, fields.get("", "at")), reason) from None


def _when(value: datetime, column: str, now: datetime) -> datetime:
    return _step({"at": column, "": column}, log.parse_at, value, now)


def _call(v: dict[str, Any], by: str, now: datetime, recorded: str) -> dict[str, Any]:
    at = _when(v["at"], "at", now)
    refer, answer = v.get("refer_to"), v.get("answer")
    fields = {"at": "at", "desc": "description", "reporter": "reporter", "answer": "answer" if not refer else "refer_to",
              "promise": "promise", "to": "refer_to"}
    promise = _when(v["promise"], "promise", datetime.max.replace(year=9999)) if v.get("promise") else None
    row = _step(fields, log.new_case, log.INQUIRY, v["unit"], description=v["description"], at=at, by=by,
                number="新案件", reporter=v.get("reporter"), contact=v.get("contact"),
                answer=None if refer else answer, refer_to=refer, promise=promise, recorded_at=recorded)
    if refer and (answer or v.get("answered_at")):
        if not v.get("answered_at"):
            raise _Refused("answered_at", "转交后已答复的，须填答复时间")
        when = _when(v["answered_at"], "answered_at", now)
        row = _step({"at": "answered_at", "answer": "answer", "result": "answer", "": "answer"}, log.apply, row,
                    "answer", at=when, by=refer, result=answer, recorded_at=recorded, now=now)
    elif v.get("answered_at") and not refer:
        raise _Refused("answered_at", "当场答复的来电不另填答复时间（转交专人答复的才填）")
    return row


def _repair(v: dict[str, Any], by: str, now: datetime, recorded: str) -> dict[str, Any]:
    at = _when(v["at"], "at", now)
    category = _CATEGORY_WORDS.get(str(v["category"]).strip())
    if category is None:
        raise _Refused("category", f"“{v['category']}”不是维修类别（{'、'.join(deadlines.REPAIR_CATEGORIES.values())}）")
    row = _step({"at": "at", "desc": "description", "reporter": "reporter"}, log.new_case, log.REPAIR, v["unit"],
                description=v["description"], at=at, by=by, number="新案件", reporter=v.get("reporter"),
                contact=v.get("contact"), category=category, recorded_at=recorded)
    worker = v.get("assignee")
    if v.get("dispatched_at") and not worker:
        raise _Refused("assignee", "有派工时间，须填维修人")
    if worker:
        when = _when(v["dispatched_at"], "dispatched_at", now) if v.get("dispatched_at") else at
        row = _step({"at": "dispatched_at", "to": "assignee", "state": "dispatched_at"}, log.apply, row, "dispatch",
                    at=when, by=by, to=worker, recorded_at=recorded, now=now)
    if v.get("leak_test") and not v.get("done_at"):
        raise _Refused("done_at", "有试漏日期，须填维修完成时间")
    if v.get("paid") and not v.get("done_at"):
        raise _Refused("done_at", "有偿维修须填维修完成时间")
    if v.get("done_at"):
        when = _when(v["done_at"], "done_at", now)
        row = _step({"at": "done_at", "leak_test": "leak_test", "state": "done_at", "note": "done_at"}, log.apply,
                    row, "done", at=when, by=worker or by, paid=bool(v.get("paid")), leak_test=v.get("leak_test"),
                    recorded_at=recorded, now=now)
    if v.get("callback_at") or v.get("callback_result") or v.get("satisfaction"):
        if not v.get("callback_at"):
            raise _Refused("callback_at", "有回访结果或满意度，须填回访时间")
        when = _when(v["callback_at"], "callback_at", now)
        row = _step({"at": "callback_at", "result": "callback_result", "satisfaction": "satisfaction",
                     "state": "callback_at"}, log.apply, row, "callback", at=when, by=by,
                    result=v.get("callback_result"), satisfaction=v.get("satisfaction"), recorded_at=recorded, now=now)
    return row


def _planner(kind: str):
    build = _call if kind == log.INQUIRY else _repair

    def plan_rows(ws: Workspace, view: View, ck: Any, rows: list[Any], plan: Any) -> None:
        units = {u["id"] for u in view.all("units")}
        on_record = {(c["kind"], c["unit"], c["opened_at"], c["description"]): c
                     for c in view.all("cases") if c["kind"] == kind}
        now, recorded = datetime.now(), lifecycle.now_iso()
        seen: dict[tuple, int] = {}
        built: list[tuple[int, dict[str, Any]]] = []
        for r in rows:
            v = r.values
            if v.get("unit") is not None and v["unit"] not in units:
                ck.add(r.number, "unit", f"房屋“{v['unit']}”不存在（请先导入房屋：formsmith records import units）")
            if r.number in ck.bad:
                continue
            try:
                case = build(v, (v.get("by") or ws.clerk), now, recorded)
            except _Refused as exc:
                ck.add(r.number, exc.field, exc.reason)
                continue
            key = (kind, case["unit"], case["opened_at"], case["description"])
            if key in seen:
                ck.add(r.number, "at", f"与第{seen[key]}行重复（同一房屋、时间、内容）")
                continue
            seen[key] = r.number
            if key in on_record:
                plan.unchanged["cases"] = plan.unchanged.get("cases", 0) + 1
                continue
            case["imported"] = True
            built.append((r.number, case))
        if ck.bad:
            return
        # numbered in the order the cases came in, after the last number of their year's series
        last: dict[int, int] = {}
        for _, case in sorted(built, key=lambda b: (b[1]["opened_at"], b[0])):
            year = int(case["opened_at"][:4])
            if year not in last:
                last[year] = int(log._next_number(view, kind, year)[-4:]) - 1
            last[year] += 1
            case["id"] = f"{log.PREFIX[kind]}{year}-{last[year]:04d}"
            plan.put("cases", None, case)
    return plan_rows


def _export(kind: str):
    def rows(view: View) -> list[dict[str, Any]]:
        out = []
        for c in sorted(view.find("cases", kind=kind), key=lambda c: (c["opened_at"], c["id"])):
            evs = c["events"]
            first = evs[0]
            row: dict[str, Any] = {"at": datetime.fromisoformat(c["opened_at"]), "unit": c["unit"],
                                   "reporter": c.get("reported_by"), "contact": c.get("contact"),
                                   "description": c["description"], "by": first["by"]}
            last = lambda what: next((e for e in reversed(evs) if e["what"] == what), None)  # noqa: E731
            if kind == log.INQUIRY:
                answered = last("answer")
                row.update(answer=first.get("answer") or (answered or {}).get("result"), refer_to=first.get("to"),
                           promise=datetime.fromisoformat(first["promise"]) if first.get("promise") else None,
                           answered_at=datetime.fromisoformat(answered["at"]) if answered else None)
            else:
                sent, done, called = last("dispatch"), last("done"), last("callback")
                row.update(category=deadlines.REPAIR_CATEGORIES[c["category"]],
                           assignee=(sent or {}).get("to"),
                           dispatched_at=datetime.fromisoformat(sent["at"]) if sent else None,
                           done_at=datetime.fromisoformat(done["at"]) if done else None,
                           leak_test=date.fromisoformat(done["leak_test_on"]) if done and done.get("leak_test_on") else None,
                           paid=bool(done and done.get("paid")),
                           callback_at=datetime.fromisoformat(called["at"]) if called else None,
                           callback_result=(called or {}).get("result"), satisfaction=(called or {}).get("satisfaction"))
            out.append(row)
        return out
    return rows


kinds.register(Kind(CALL_LOG.name, CALL_LOG.title, CALL_LOG.columns, CALL_LOG.note,
                    planner=_planner(log.INQUIRY), export=_export(log.INQUIRY)))
kinds.register(Kind(REPAIR_LOG.name, REPAIR_LOG.title, REPAIR_LOG.columns, REPAIR_LOG.note,
                    planner=_planner(log.REPAIR), export=_export(log.REPAIR)))
