"""Case records (报修、投诉、来电来访、走访): one row per case, every change an event, as it happened.

A case row is {id, kind, unit, reported_by, contact?, description, category (repair) or severity
(complaint), resident_deadline?, assignee, state, opened_at, events, recorded_at}; each event is
{at, by, what, state, note?, …, recorded_at}: `at` is when it happened (the clerk's time, never
in the future, never before the case's previous event), `state` the case's state after it. The
row's `state` and `assignee` repeat the last event's; everything else a report or `today` needs
is computed from the events (replay), so a day in the past reads as it was then.

Lifecycles (the moves a case may make, ACTIONS):
  repair (报修)     open → dispatched → done → called → closed; a callback 不满意 or with a problem
                    found reopens it (→ open, event `reopened`), and it is done and called back again
  complaint (投诉)  open → answered → resolved → called → closed (dispatch names who handles it;
                    escalate records when a 重大 or 重要 complaint reached the 主任 / 部门负责人,
                    against its limit: the same day, within 1 hour; late by minutes)
  inquiry (来电来访) answered at once (open --answer) or referred (--refer PERSON --promise TIME),
                    then answered → closed
  visit (走访)      open (the plan) → done (the visit and what was found) → closed

Late work is recorded with its delay (`due`, `late_days` on the event), never refused. The case
number (BX2025-0001 …) is taken in the transaction that records the case: one series per kind
and year, no gap, none twice. The BX series also counts the `repairs` table's numbers (the
repairs the 维修回访记录 is printed from), so one number never names two repairs.
"""
from __future__ import annotations

import copy
import unicodedata
from datetime import date, datetime
from typing import Any

from ... import dates, deadlines, formats, lifecycle
from ...errors import InputError, NotFoundError
from ...store import View
from ...workspace import Workspace

# The kinds and states are read by every document printed from a case (formsmith.casefile).
from ...casefile import COMPLAINT, INQUIRY, KINDS, REPAIR, STATES, VISIT  # noqa: E402,F401

PREFIX = {REPAIR: "BX", COMPLAINT: "TS", INQUIRY: "LD", VISIT: "ZF"}
SATISFACTION = ("满意", "基本满意", "不满意")
FIELDS = {"kind": "类别", "unit": "房屋", "desc": "事由", "category": "维修类别", "severity": "投诉级别",
          "at": "时间", "by": "经办人", "to": "处理人", "note": "说明", "leak_test": "试漏日期",
          "result": "回访结果", "satisfaction": "满意度", "answer": "答复", "promise": "承诺答复时间",
          "deadline": "住户要求期限", "reporter": "报告人", "state": "状态", "fee": "有偿服务费"}
MAX_TEXT = 500

# action → kind → (states it may start from, state it leads to); None: the state stays.
ACTIONS: dict[str, dict[str, tuple[tuple[str, ...], str | None]]] = {
    "dispatch": {REPAIR: (("open", "dispatched"), "dispatched"), COMPLAINT: (("open", "answered"), None),
                 VISIT: (("open",), None)},
    "note": {k: (tuple(STATES), None) for k in KINDS},
    "done": {REPAIR: (("open", "dispatched"), "done"), VISIT: (("open",), "done")},
    "answer": {COMPLAINT: (("open",), "answered"), INQUIRY: (("referred",), "answered")},
    "resolve": {COMPLAINT: (("open", "answered"), "resolved")},
    "escalate": {COMPLAINT: (("open", "answered", "resolved"), None)},
    "callback": {REPAIR: (("done",), "called"), COMPLAINT: (("resolved",), "called")},
    "close": {REPAIR: (("called",), "closed"), COMPLAINT: (("called",), "closed"),
              INQUIRY: (("answered",), "closed"), VISIT: (("done",), "closed")},
}


def _refuse(case: str, field: str, problem: str) -> InputError:
    """One line naming the case and the field (as the option a clerk typed)."""
    return InputError(f"{case}：字段 {field}（{FIELDS.get(field, field)}）：{problem}")


def parse_at(value: Any, now: datetime, case: str = "新案件", field: str = "at") -> datetime:
    """When a step of `case` happened (dates.happened_at), refused in the case's words."""
    return dates.happened_at(value, now, lambda f, problem: _refuse(case, f, problem), field)


def _text(case: str, field: str, value: str | None, required: bool = False) -> str | None:
    text = unicodedata.normalize("NFC", value or "").strip()
    if not text:
        if required:
            raise _refuse(case, field, "不能为空 (required)")
        return None
    bad = sorted({c for c in text if unicodedata.category(c)[0] == "C"})
    if bad:
        raise _refuse(case, field, "含有控制字符 " + " ".join(f"U+{ord(c):04X}" for c in bad) + " (control characters)")
    if len(text) > MAX_TEXT:
        raise _refuse(case, field, f"长度 {len(text)} 超过上限 {MAX_TEXT} 字 (too long)")
    return text


def _stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M}"


def _day(stamp: str | None) -> date | None:
    return date.fromisoformat(stamp[:10]) if stamp else None


# ---------------------------------------------------------------- pure moves (the library and the demo)

def new_case(kind: str, unit: str, *, description: str, at: datetime, by: str, number: str,
             reporter: str | None = None, contact: str | None = None, category: str | None = None,
             severity: str | None = None, resident_deadline: date | None = None,
             answer: str | None = None, refer_to: str | None = None, promise: datetime | None = None,
             recorded_at: str = "") -> dict[str, Any]:
    """The row of a new case numbered `number` (checked; the caller writes it)."""
    case = number
    if kind not in KINDS:
        raise _refuse(case, "kind", f"{kind!r} 不是 {'、'.join(f'{k}（{v}）' for k, v in KINDS.items())} 之一")
    text = _text(case, "desc", description, required=True)
    row: dict[str, Any] = {"id": number, "kind": kind, "unit": unit, "reported_by": _text(case, "reporter", reporter),
                           "description": text, "opened_at": _stamp(at), "assignee": None}
    if contact:
        row["contact"] = _text(case, "reporter", contact)
    extra: dict[str, Any] = {}
    state = "open"
    if kind == REPAIR:
        if category not in deadlines.REPAIR_CATEGORIES:
            raise _refuse(case, "category", f"{category!r}：报修须注明类别 "
                                            f"{'、'.join(f'{k}（{v}）' for k, v in deadlines.REPAIR_CATEGORIES.items())}")
        row["category"] = category
    elif category:
        raise _refuse(case, "category", f"只有报修有维修类别（这是{KINDS[kind]}）")
    if kind == COMPLAINT:
        if severity not in deadlines.SEVERITIES:
            raise _refuse(case, "severity", f"{severity!r}：投诉须注明级别 {'、'.join(deadlines.SEVERITIES)}")
        if resident_deadline is not None and severity != "轻微":
            raise _refuse(case, "deadline", "住户要求的期限只适用于轻微投诉")
        if resident_deadline is not None and resident_deadline < at.date():
            raise _refuse(case, "deadline", f"{resident_deadline.isoformat()} 早于受理日期 {at.date().isoformat()}")
        row["severity"] = severity
        if resident_deadline is not None:
            row["resident_deadline"] = resident_deadline.isoformat()
        due = deadlines.complaint_due(severity, at, resident_deadline)
        if due["escalate_to"]:
            extra["escalate_to"] = due["escalate_to"]
            extra["escalate_by"] = f"{due['escalate_by']:%Y-%m-%dT%H:%M}"
    elif severity:
        raise _refuse(case, "severity", f"只有投诉有级别（这是{KINDS[kind]}）")
    if kind == INQUIRY:
        if bool(answer) == bool(refer_to):
            raise _refuse(case, "answer", "来电来访须当场答复（--answer）或转交专人（--refer 姓名 --promise 时间），二者选一")
        if answer:
            extra["answer"] = _text(case, "answer", answer, required=True)
            state = "answered"
        else:
            if promise is None:
                raise _refuse(case, "promise", "转交专人须注明承诺答复时间（--promise YYYY-MM-DDTHH:MM）")
            if promise < at:
                raise _refuse(case, "promise", f"{_stamp(promise)} 早于来电时间 {_stamp(at)}")
            row["assignee"] = _text(case, "to", refer_to, required=True)
            extra["to"] = row["assignee"]
            extra["promise"] = _stamp(promise)
            state = "referred"
    elif answer or refer_to or promise:
        raise _refuse(case, "answer", f"只有来电来访当场答复或转办（这是{KINDS[kind]}）")
    row["state"] = state
    row["events"] = [_event("open", at, by, state, None, recorded_at, **extra)]
    row["recorded_at"] = recorded_at
    return row


def _event(what: str, at: datetime, by: str, state: str, note: str | None, recorded_at: str,
           **extra: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"at": _stamp(at), "by": by, "what": what, "state": state}
    if note:
        ev["note"] = note
    ev.update({k: v for k, v in extra.items() if v is not None})
    ev["recorded_at"] = recorded_at
    return ev


def apply(row: dict[str, Any], action: str, *, at: datetime, by: str, recorded_at: str = "",
          note: str | None = None, to: str | None = None, paid: bool = False,
          leak_test: date | None = None, result: str | None = None, satisfaction: str | None = None,
          problem: bool = False, now: datetime | None = None, fee: Any = None) -> dict[str, Any]:
    """`row` after `action` (a new dict; checked, nothing written): the event it appends and the
    state it leads to. Late work gets `due` and `late_days` on its event."""
    case, kind, state = row["id"], row["kind"], row["state"]
    moves = ACTIONS.get(action, {})
    if kind not in moves:
        raise _refuse(case, "state", f"{KINDS[kind]}没有“{action}”这一步 (not a step of a {kind})")
    starts, goes_to = moves[kind]
    if state not in starts:
        allowed = "、".join(a for a, m in ACTIONS.items() if kind in m and state in m[kind][0])
        raise _refuse(case, "state", f"当前为 {state}（{STATES[state]}），不能 {action}；可以：{allowed or '无'} "
                                     f"(cannot {action} now)")
    last = row["events"][-1]["at"]
    if _stamp(at) < last:
        raise _refuse(case, "at", f"{_stamp(at)} 早于本案上一记录 {last}，时间前后矛盾 (before the last event)")
    note = _text(case, "note", note)
    extra: dict[str, Any] = {}
    new = copy.deepcopy(row)
    after = goes_to or state
    if action == "dispatch":
        new["assignee"] = extra["to"] = _text(case, "to", to, required=True)
    if action == "escalate":
        extra.update(_escalation(row, at, to))
    if action == "note" and not note:
        raise _refuse(case, "note", "不能为空 (required)")
    if action == "done" and kind == REPAIR:
        if paid:
            extra["paid"] = True
        if fee is not None:
            if not paid:
                raise _refuse(case, "fee", "只有有偿维修登记服务费（--paid --fee 金额）")
            try:
                amount = formats.parse_money(str(fee))
            except ValueError as exc:
                raise _refuse(case, "fee", str(exc)) from None
            if amount <= 0:
                raise _refuse(case, "fee", f"{formats.money(amount)} 应大于零")
            extra["fee"] = str(amount)
        if row["category"] == "leak":
            if leak_test is None:
                raise _refuse(case, "leak_test", "渗漏水维修须注明试漏日期（--leak-test YYYY-MM-DD），回访期限自试漏之日起算")
            if leak_test < at.date():
                raise _refuse(case, "leak_test", f"{leak_test.isoformat()} 早于维修完成日期 {at.date().isoformat()}")
            if now is not None and leak_test > now.date():
                raise _refuse(case, "leak_test", f"{leak_test.isoformat()} 晚于今天：试漏后再登记完成 (in the future)")
            extra["leak_test_on"] = leak_test.isoformat()
        elif leak_test is not None:
            raise _refuse(case, "leak_test", f"{deadlines.REPAIR_CATEGORIES[row['category']]}无需试漏，请核对维修类别")
    elif paid or leak_test is not None or fee is not None:
        raise _refuse(case, "leak_test" if leak_test else "note", "有偿、试漏只在报修完成时登记 (only with `done` of a repair)")
    if action in ("answer", "resolve"):
        text = _text(case, "answer" if action == "answer" else "result", result, required=True)
        extra["result"] = text
    due = pending(new, at.date()).get(_DUE_OF.get(action, ""), None)
    if action == "callback":
        extra["result"] = _text(case, "result", result, required=True)
        if satisfaction not in SATISFACTION:
            raise _refuse(case, "satisfaction", f"{satisfaction!r} 不是 {'、'.join(SATISFACTION)} 之一")
        extra["satisfaction"] = satisfaction
        if problem:
            extra["problem"] = True
    elif satisfaction or problem:
        raise _refuse(case, "satisfaction", "满意度只在回访时登记 (only with `callback`)")
    if due is not None:
        extra["due"] = due.isoformat()
        late = deadlines.days_late(at.date(), due)
        if late:
            extra["late_days"] = late
    if action == "resolve" and kind == COMPLAINT:
        answer_due = pending(new, at.date()).get("answer")
        if answer_due is not None:          # the resolution is the answer too
            extra["answer_due"] = answer_due.isoformat()
            late = deadlines.days_late(at.date(), answer_due)
            if late:
                extra["answer_late_days"] = late
    new["events"].append(_event(action, at, by, after, note, recorded_at, **extra))
    if action == "callback" and (satisfaction == "不满意" or problem) and kind in (REPAIR, COMPLAINT):
        reopen_to = "open"
        why = "回访不满意" if satisfaction == "不满意" else "回访发现问题"
        new["events"].append(_event("reopened", at, by, reopen_to, why, recorded_at))
        after = reopen_to
    new["state"] = after
    return new


_DUE_OF = {"callback": "callback", "answer": "answer", "resolve": "resolve"}


def _escalation(row: dict[str, Any], at: datetime, to: str | None) -> dict[str, Any]:
    """The fields of an `escalate` event: to whom, its limit (the open event's `escalate_by`),
    and how many minutes late it came (PROCESSES.md §6: 重大 the same day, 重要 within 1 hour)."""
    case = row["id"]
    limit = row["events"][0].get("escalate_by")
    if not limit:
        raise _refuse(case, "severity", f"{row.get('severity')}投诉无须转呈（只有重大、重要投诉按时限转呈）")
    done = next((e for e in row["events"] if e["what"] == "escalate"), None)
    if done is not None:
        raise _refuse(case, "state", f"已于 {done['at']} 转呈 {done['to']}，不重复登记 (already escalated)")
    out: dict[str, Any] = {"to": _text(case, "to", to, required=True), "escalate_due": limit}
    late = deadlines.escalation_late_minutes(at, datetime.fromisoformat(limit))
    if late:
        out["late_minutes"] = late
    return out


def escalation_pending(row: dict[str, Any], day: date | None = None) -> tuple[datetime, str] | None:
    """(limit, to whom) of a complaint's escalation not made by the end of `day`, else None."""
    evs = events_until(row, day)
    if row["kind"] != COMPLAINT or not evs or not evs[0].get("escalate_by"):
        return None
    if any(e["what"] == "escalate" for e in evs):
        return None
    return datetime.fromisoformat(evs[0]["escalate_by"]), evs[0].get("escalate_to", "")


# ---------------------------------------------------------------- replay: what a case was on a day

def events_until(row: dict[str, Any], day: date | None) -> list[dict[str, Any]]:
    """The case's events that happened on or before `day` (all when None)."""
    if day is None:
        return list(row.get("events", []))
    return [e for e in row.get("events", []) if e["at"][:10] <= day.isoformat()]


def pending(row: dict[str, Any], day: date | None = None) -> dict[str, date]:
    """What the case owes on `day` (from its events up to that day), each with its last day:
    {"callback": …} for a finished repair or resolved complaint… {"answer", "resolve"} for an
    open complaint, {"answer"} for a referred inquiry. Empty when nothing is owed."""
    evs = events_until(row, day)
    if not evs:
        return {}
    state = evs[-1]["state"]
    out: dict[str, date] = {}
    if row["kind"] == REPAIR and state == "done":
        done = next(e for e in reversed(evs) if e["what"] == "done")
        out["callback"] = deadlines.callback_due(row["category"], _day(done["at"]) or date.min,
                                                 _day(done.get("leak_test_on")))
    elif row["kind"] == COMPLAINT and state in ("open", "answered"):
        opened = datetime.fromisoformat(evs[0]["at"])
        limits = deadlines.complaint_due(row["severity"], opened, _day(row.get("resident_deadline")))
        if state == "open" and limits["answer_by"] is not None and not any(e["what"] == "answer" for e in evs):
            out["answer"] = limits["answer_by"]
        out["resolve"] = limits["resolve_by"]
    elif row["kind"] == INQUIRY and state == "referred":
        out["answer"] = _day(evs[0]["promise"]) or date.min
    return out


# ---------------------------------------------------------------- the store

def _next_number(view: View, kind: str, year: int) -> str:
    prefix = f"{PREFIX[kind]}{year}-"
    tables = ("cases", "repairs") if kind == REPAIR else ("cases",)
    seqs = [int(r["id"][len(prefix):]) for t in tables for r in view.all(t)
            if str(r.get("id", "")).startswith(prefix) and r["id"][len(prefix):].isdigit()]
    return f"{prefix}{max(seqs, default=0) + 1:04d}"


def open_case(ws: Workspace, kind: str, unit: str, *, description: str, at: Any = None, by: str | None = None,
              reporter: str | None = None, contact: str | None = None, category: str | None = None,
              severity: str | None = None, resident_deadline: Any = None, answer: str | None = None,
              refer_to: str | None = None, promise: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """Record a new case; its number is taken in the same transaction. Returns the row."""
    now = now or datetime.now()
    when = parse_at(at, now)
    promised = parse_at(promise, datetime.max.replace(year=9999), field="promise") if promise else None
    deadline = parse_at(resident_deadline, datetime.max.replace(year=9999), field="deadline").date() \
        if resident_deadline else None
    who = _text("新案件", "by", by) or ws.clerk
    with ws.store.transaction() as tx:
        if tx.get("units", unit) is None:
            raise _refuse("新案件", "unit", f"库中没有房屋 {unit!r} (no such unit)")
        row = new_case(kind, unit, description=description, at=when, by=who, number="新案件",
                       reporter=reporter, contact=contact, category=category, severity=severity,
                       resident_deadline=deadline, answer=answer, refer_to=refer_to, promise=promised,
                       recorded_at=lifecycle.now_iso())
        row["id"] = _next_number(tx, kind, when.year)
        tx.insert("cases", row)
    return row


def _find(view: View, case: str) -> dict[str, Any]:
    row = view.get("cases", (case or "").strip().upper())
    if row is None:
        raise NotFoundError(f"{case}：没有这个案件编号 (no such case; see `formsmith cases list`)")
    return row


def act(ws: Workspace, case: str, action: str, *, at: Any = None, by: str | None = None,
        now: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """Apply `action` (dispatch, note, done, answer, resolve, callback, close) to `case` and
    write it: checked first, then one update; refused, nothing changes. Returns the row."""
    now = now or datetime.now()
    with ws.store.transaction() as tx:
        row = _find(tx, case)
        when = parse_at(at, now, case=row["id"])
        if fields.get("leak_test") is not None and not isinstance(fields["leak_test"], date):
            fields["leak_test"] = parse_at(fields["leak_test"], now, row["id"], "leak_test").date()
        who = _text(row["id"], "by", by) or ws.clerk
        new = apply(row, action, at=when, by=who, recorded_at=lifecycle.now_iso(), now=now, **fields)
        tx.update("cases", row["id"], {"state": new["state"], "assignee": new["assignee"], "events": new["events"]})
        charge = fee_charge(new)
        if charge is not None and tx.get("charges", charge["id"]) is None:
            tx.insert("charges", charge)
    return new


FEE_ITEM = "有偿维修服务费"


def fee_item(case: str) -> str:
    """The charge item of a paid repair's fee: 有偿维修服务费（BX2025-0004）, so that the receipt
    names the case and `formsmith pay UNIT AMOUNT --item …` clears exactly this fee."""
    return f"{FEE_ITEM}（{case}）"


def fee_charge(row: dict[str, Any]) -> dict[str, Any] | None:
    """The charge (应收) a paid repair's `done` event with a fee adds to the ledger: due on the
    day it was done, of its month; None when the last event records no fee. It is the link
    between the case and the ledger: `pay` clears it and writes its receipt number on it."""
    ev = row["events"][-1]
    if ev["what"] != "done" or not ev.get("fee"):
        return None
    n = sum(1 for e in row["events"] if e["what"] == "done")
    day = ev["at"][:10]
    return {"id": f"C{row['unit']}-{row['id']}-{n}", "unit": row["unit"], "item": fee_item(row["id"]),
            "period": day[:7], "amount": ev["fee"], "due": day, "paid_on": None, "case": row["id"]}


def show_case(ws: Workspace, case: str, as_of: date | None = None) -> dict[str, Any]:
    """The case with what it owes (`pending`, as dates) on `as_of` (today)."""
    with ws.store.snapshot() as view:
        row = _find(view, case)
    out = dict(row)
    out["pending"] = {k: v.isoformat() for k, v in pending(row, as_of or date.today()).items()}
    return out


def list_cases(ws: Workspace, kind: str | None = None, state: str | None = None,
               unit: str | None = None) -> list[dict[str, Any]]:
    """The cases matching every filter given, oldest first."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"--kind {kind!r}：不是 {'、'.join(KINDS)} 之一")
    if state is not None and state not in STATES:
        raise InputError(f"--state {state!r}：不是 {'、'.join(STATES)} 之一")
    equals: dict[str, Any] = {k: v for k, v in dict(kind=kind, state=state, unit=unit).items() if v}
    with ws.store.snapshot() as view:
        if unit is not None:
            view.require("units", unit, "unit")
        rows = view.find("cases", **equals)
    return sorted(rows, key=lambda r: (r["opened_at"], r["id"]))
