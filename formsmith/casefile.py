"""Reading a case record (the `cases` table) for the documents printed from it: the case of a
kind, its events as a document lists them, a repair's current round. Below the processes, so
that the builders of every process whose templates print a case (movein's 维修工作单, services'
回访记录 and 投诉处理记录, the cases' own) read it one way; the cases process writes the rows."""
from __future__ import annotations

from typing import Any

from . import deadlines, formats
from .errors import InputError, NotFoundError
from .sources import owner_of, unit_address
from .store import View

TABLE = "cases"
REPAIR, COMPLAINT, INQUIRY, VISIT = "repair", "complaint", "inquiry", "visit"
KINDS = {REPAIR: "报修", COMPLAINT: "投诉", INQUIRY: "来电来访", VISIT: "走访"}
STATES = {"open": "待处理", "dispatched": "已派工", "done": "已完成", "answered": "已答复",
          "referred": "已转办", "resolved": "已办结", "called": "已回访", "closed": "已关闭"}
FIELDS = {"kind": "类别", "state": "状态", "paid": "有偿", "leak_test": "试漏日期", "answer": "答复",
          "period": "登记期间", "day": "日期"}
# What each event is called on paper.
WHAT = {"open": "登记", "dispatch": "派工", "note": "备注", "done": "完成", "answer": "答复",
        "resolve": "办结", "callback": "回访", "reopened": "重新处理", "close": "关闭", "escalate": "上报"}
SEVERITY = {"重大": "重大投诉", "重要": "重要投诉", "轻微": "轻微投诉"}
CATEGORY = deadlines.REPAIR_CATEGORIES            # safety → 安全设施维修 …


def refuse(case: str, field: str, problem: str) -> InputError:
    """One line naming the case and the field."""
    return InputError(f"{case}：字段 {field}（{FIELDS.get(field, field)}）：{problem}")


def the_case(view: View, case_id: str, kind: str) -> dict[str, Any]:
    """The case `case_id` of `kind`, or a refusal naming it."""
    row = view.get(TABLE, (case_id or "").strip().upper())
    if row is None:
        raise NotFoundError(f"{case_id}：没有这个案件编号 (no such case; see `formsmith cases list`)")
    if row["kind"] != kind:
        raise refuse(row["id"], "kind", f"这是{KINDS[row['kind']]}案件，不是{KINDS[kind]}，不能开具此文书")
    return row


def state_of(row: dict[str, Any]) -> str:
    return STATES.get(row["state"], row["state"])


def stamp(at: str) -> str:
    """"2025-11-05T14:20" → "2025-11-05 14:20" (as a table prints it)."""
    return at.replace("T", " ")


def party(view: View, row: dict[str, Any]) -> dict[str, Any]:
    """The case's unit, its address, owner and owner's phone, as the store records them."""
    unit = view.require("units", row["unit"], "unit")
    owner = owner_of(view, unit)
    return {"unit": unit["id"], "unit_address": unit_address(unit), "owner_name": owner["name"],
            "owner_phone": owner.get("phone")}


def last(evs: list[dict[str, Any]], what: str) -> dict[str, Any] | None:
    """The last event of `what` among `evs`."""
    return next((e for e in reversed(evs) if e["what"] == what), None)


def current_round(row: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A repair's events since its last reopening (the current round) and those before."""
    evs = row.get("events", [])
    cut = max((i for i, e in enumerate(evs) if e["what"] == "reopened"), default=-1)
    return evs[cut + 1:], evs[:cut + 1]


def event_lines(row: dict[str, Any]) -> list[dict[str, str]]:
    """The case's events as a document lists them: time, who, what, and what it recorded."""
    out = []
    for ev in row.get("events", []):
        detail = []
        if ev["what"] == "open":
            detail.append(row["description"])
            if ev.get("answer"):
                detail.append(f"当场答复：{ev['answer']}")
            if ev.get("to"):
                detail.append(f"转{ev['to']}，承诺{stamp(ev['promise'])}前答复")
        if ev["what"] == "dispatch":
            detail.append(f"交{ev['to']}")
        if ev.get("leak_test_on"):
            detail.append(f"试漏日期 {ev['leak_test_on']}")
        if ev.get("paid"):
            detail.append("有偿" + (f" {formats.money(ev['fee'])}元" if ev.get("fee") else ""))
        if ev.get("result"):
            detail.append(ev["result"])
        if ev.get("satisfaction"):
            detail.append(ev["satisfaction"])
        if ev.get("late_days"):
            detail.append(f"超过时限{ev['late_days']}天")
        if ev.get("note"):
            detail.append(ev["note"])
        out.append({"at": stamp(ev["at"]), "by": ev["by"], "what": WHAT.get(ev["what"], ev["what"]),
                    "detail": "；".join(detail)})
    return out


def complaint_facts(view: View, row: dict[str, Any]) -> dict[str, Any]:
    """What a complaint case records about itself: who, when, what, its severity, its answer
    and resolution (with their days)."""
    p = party(view, row)
    evs = row["events"]
    answer, resolve = last(evs, "answer"), last(evs, "resolve")
    data: dict[str, Any] = {"case_id": row["id"], "complainant": row.get("reported_by") or p["owner_name"],
                            "unit": p["unit"], "unit_address": p["unit_address"],
                            "phone": row.get("contact") or p["owner_phone"],
                            "received_on": row["opened_at"][:10], "received_time": row["opened_at"][11:16],
                            "details": row["description"], "severity": SEVERITY[row["severity"]],
                            "receiver": evs[0]["by"]}
    if row.get("resident_deadline"):
        data["resident_deadline"] = row["resident_deadline"]
    if answer:
        data.update(answered_on=answer["at"][:10], answer=answer["result"])
    if resolve:
        data.update(resolved_on=resolve["at"][:10], result=resolve["result"])
    return data


def drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    """`data` without the fields the case does not record (None or "")."""
    return {k: v for k, v in data.items() if v not in (None, "")}
