"""Documents printed from case records: each states only what the case's events record (who,
when, what) — the 维修工作单 and 有偿服务登记表 of a repair, its 维修回访记录, the 投诉处理记录 and
答复函 of a complaint, the 走访记录表 of a visit — and the day documents built from every case:
the 来电来访登记表 of a day or period and the 客服工作日志 of one day.

A paid repair's link to the ledger is its fee charge (log.fee_charge): the charge the `done`
event added, which `formsmith pay` clears and marks with the receipt's number. The receipt is
read from that charge in the store (the ledger's package is not imported: processes are
independent), so the number appears only once the ledger records the payment.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from ... import casefile, model
from ...casefile import WHAT, current_round, drop_empty, event_lines, last, the_case
from ...casefile import refuse as _refuse
from ...casefile import stamp as _time
from ...errors import InputError
from ...sources import builder
from ...store import View, known_tables
from ...workspace import Workspace
from . import agenda, log

CATEGORY = casefile.CATEGORY            # safety → 安全设施维修 …

# ---------------------------------------------------------------- 业主报修有偿服务登记表 (§3)

def fee_charges(view: View, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The ledger's charges of the case's fee (log.fee_charge), oldest first."""
    return sorted(view.find("charges", unit=row["unit"], where=lambda c: c.get("case") == row["id"]),
                  key=lambda c: c["id"])


@builder("paid-repair-case", key="cases")
def paid_repair(ws: Workspace, view: View, case_id: str, as_of: date) -> dict[str, Any]:
    """The 有偿服务登记表 of a paid repair: the work, the fee the case records and, once the ledger
    records the payment of its charge, the receipt's number and date."""
    row = the_case(view, case_id, log.REPAIR)
    current, _ = current_round(row)
    done = last(current, "done")
    if done is None:
        raise _refuse(row["id"], "state", f"维修尚未完成（{casefile.state_of(row)}），完成并登记有偿后方可开具有偿服务登记表")
    if not done.get("paid"):
        raise _refuse(row["id"], "paid", "该报修完成时未登记为有偿服务（cases done --paid --fee 金额），不开具有偿服务登记表")
    dispatch = last(current, "dispatch")
    data: dict[str, Any] = {**casefile.party(view, row), "issued_on": as_of.isoformat(), "case_id": row["id"],
                            "reported_at": _time(row["opened_at"]), "description": row["description"],
                            "category": CATEGORY[row["category"]], "done_at": _time(done["at"]),
                            "repairer": (dispatch or {}).get("to") or done["by"]}
    if done.get("note"):
        data["work"] = done["note"]
    if done.get("fee"):
        data["fee"] = done["fee"]
        charge = next((c for c in fee_charges(view, row) if c["amount"] == done["fee"]), None)
        if charge is not None and charge.get("paid_on"):
            data["paid_on"] = charge["paid_on"]
            if charge.get("receipt"):
                data["receipt_no"] = charge["receipt"]
            payment = view.get("payments", charge["payment"]) \
                if charge.get("payment") and "payments" in known_tables() else None
            if payment and payment.get("method"):
                data["payment_method"] = payment["method"]
    return data


def receipt_problem(view: View, unit: str, case: str, receipt_no: str) -> str | None:
    """Why `receipt_no` is not the receipt of the case's fee (None when it is): the store must
    hold an active 收款收据 of that number for the unit, with a line of the case's fee item."""
    docs = [d for d in view.find("documents", doc_no=receipt_no) if d.get("template") == "fee-receipt"]
    if not docs:
        return f"库中没有收款收据 {receipt_no}"
    d = docs[0]
    if not model.is_active(d):
        return f"收款收据 {receipt_no} 已{d['state']}"
    items = [i.get("item") for i in (d.get("record") or {}).get("items", [])]
    if d.get("unit") != unit or log.fee_item(case) not in items:
        return f"收款收据 {receipt_no} 不是 {case} 有偿服务费的收据"
    return None


# ---------------------------------------------------------------- 投诉处理答复函 (§6)

@builder("complaint-case-reply", key="cases")
def complaint_reply(ws: Workspace, view: View, case_id: str, as_of: date) -> dict[str, Any]:
    """The 投诉处理答复函 of a complaint case: what the case records as its answer and its
    resolution. None recorded yet, no letter."""
    row = the_case(view, case_id, log.COMPLAINT)
    data = casefile.complaint_facts(view, row)
    if not data.get("answer") and not data.get("result"):
        raise _refuse(row["id"], "answer", f"本投诉尚无答复或办结记录（{casefile.state_of(row)}），"
                                           "没有可函复的处理意见 (cases answer / resolve first)")
    for k in ("receiver", "received_time", "phone", "resident_deadline", "received_on"):
        data.pop(k, None)
    data.update(letter_date=as_of.isoformat(), received_at=_time(row["opened_at"]))
    return data


# ---------------------------------------------------------------- 走访记录表 (§7)

@builder("visit-case", key="cases")
def visit_record(ws: Workspace, view: View, case_id: str, as_of: date) -> dict[str, Any]:
    """The 走访记录表 of a visit case: the plan, the visit (when, who, what was found) and the
    follow-ups recorded after it; a visit not made yet prints with its lines blank."""
    row = the_case(view, case_id, log.VISIT)
    party = casefile.party(view, row)
    evs = row["events"]
    done = last(evs, "done")
    data: dict[str, Any] = {"case_id": row["id"], "unit": party["unit"], "unit_address": party["unit_address"],
                            "owner_name": party["owner_name"], "owner_phone": party["owner_phone"],
                            "planned_at": _time(row["opened_at"]), "planned_by": evs[0]["by"],
                            "purpose": row["description"], "printed_on": as_of.isoformat()}
    if done is not None:
        data.update(visited_at=_time(done["at"]), visited_by=done["by"], findings=done.get("note") or "")
        follow = [f"{_time(e['at'])} {e['by']}：{e['note']}" for e in evs[evs.index(done) + 1:]
                  if e.get("note") and e["what"] in ("note", "dispatch", "close")]
        if follow:
            data["follow_up"] = "；".join(follow)
    return drop_empty(data)


# ---------------------------------------------------------------- the day documents (§3, §6, §7)

def parse_period(value: str) -> tuple[date, date]:
    """"2025-11-20" (one day) or "2025-11-01..2025-11-30" (first and last day, both included)."""
    text = (value or "").strip()
    first, _, last = text.partition("..")
    try:
        lo = date.fromisoformat(first)
        hi = date.fromisoformat(last) if last else lo
    except ValueError:
        raise InputError(f"{value}：字段 period（登记期间）：应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD，"
                         "如 2025-11-20 或 2025-11-01..2025-11-30 (expected a day or a period)") from None
    if hi < lo:
        raise InputError(f"{value}：字段 period（登记期间）：结束日期早于开始日期")
    if (hi - lo).days > 92:
        raise InputError(f"{value}：字段 period（登记期间）：一份登记表最多一个季度（93天）")
    return lo, hi


def _until(as_of: date, hi: date, what: str) -> None:
    if hi > as_of:
        raise InputError(f"{hi.isoformat()}：字段 period（登记期间）：{what}只记已经过去的日子，"
                         f"不能晚于制表日期 {as_of.isoformat()}")


@builder("inquiry-register", key="period")
def inquiry_register(ws: Workspace, view: View, period: str, as_of: date) -> dict[str, Any]:
    """The 来电来访登记表 of a day or a period: every inquiry case opened in it, in order, with how
    it was answered (at once, or referred with the promised time and the later answer)."""
    lo, hi = parse_period(period)
    _until(as_of, hi, "来电来访登记表")
    rows = sorted((r for r in view.find("cases", kind=log.INQUIRY)
                   if lo.isoformat() <= r["opened_at"][:10] <= hi.isoformat()),
                  key=lambda r: (r["opened_at"], r["id"]))
    lines = []
    for r in rows:
        first = r["events"][0]
        answer = last(r["events"], "answer")
        line = {"case_id": r["id"], "at": _time(r["opened_at"]), "unit": r["unit"],
                "caller": r.get("reported_by") or "", "contact": r.get("contact") or "",
                "subject": r["description"], "by": first["by"]}
        if first.get("answer"):
            line.update(way="当场答复", answer=first["answer"])
        else:
            line.update(way=f"转{first['to']}", promise=_time(first["promise"]))
            if answer:
                line.update(answer=answer["result"], answered_at=_time(answer["at"]),
                            late_days=answer.get("late_days") or 0)
        lines.append({k: v for k, v in line.items() if v not in (None, "")})
    return {"period": f"{lo.isoformat()}..{hi.isoformat()}" if hi != lo else lo.isoformat(),
            "period_from": lo.isoformat(), "period_to": hi.isoformat(), "made_on": as_of.isoformat(),
            "lines": lines}


@builder("service-log", key="period")
def service_log(ws: Workspace, view: View, day_text: str, as_of: date) -> dict[str, Any]:
    """The 客服工作日志 of one day: every case event of that day in time order (opened,
    dispatched, done, answered, called back …), the day's counts, and what stood overdue at its
    end (from the events up to that day, as agenda.due_items reads them)."""
    day, last = parse_period(day_text)
    if last != day:
        raise InputError(f"{day_text}：字段 day（日期）：客服工作日志按日记录，只写一天 (one day)")
    _until(as_of, day, "客服工作日志")
    rows = view.all("cases")
    lines = []
    for r in rows:
        for ev, line in zip(r["events"], event_lines(r)):
            if ev["at"][:10] == day.isoformat():
                lines.append({"time": ev["at"][11:16], "case_id": r["id"], "kind": log.KINDS[r["kind"]],
                              "unit": r["unit"], "what": line["what"], "by": line["by"],
                              "detail": line["detail"], "_at": ev["at"]})
    lines.sort(key=lambda x: (x["_at"], x["case_id"]))
    for x in lines:
        del x["_at"]
    counts = {w: sum(1 for x in lines if x["what"] == w) for w in WHAT.values()}
    opened = {k: sum(1 for x in lines if x["what"] == "登记" and x["kind"] == v) for k, v in log.KINDS.items()}
    overdue = [i for i in agenda.due_items(rows, day) if i["days_late"] > 0]
    return {"day": day.isoformat(), "made_on": as_of.isoformat(), "lines": lines,
            "counts": [{"what": w, "n": n} for w, n in counts.items() if n],
            "opened": [{"kind": log.KINDS[k], "n": n} for k, n in opened.items()],
            "overdue": [{"case_id": i["case"], "unit": i["unit"], "what": i["label"], "due": i["due"],
                         "days_late": i["days_late"]} for i in overdue],
            "total": len(lines)}

