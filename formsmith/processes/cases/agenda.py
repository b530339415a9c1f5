"""What a supervisor reads each morning (`formsmith today`), and the month's figures
(`formsmith cases month`): both computed from the case events only, so a past day or month
reads as it was."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from ... import deadlines, documents, registry
from ...errors import InputError
from ...model import AWAITING_SIGNATURE
from ...store import View
from ...workspace import Workspace
from . import log

WHAT = {"callback": "回访", "answer": "答复", "resolve": "办结", "escalate": "转呈"}


def moment_of(as_of: date, now: datetime | None = None) -> datetime:
    """The time `today --as-of` reads limits of the hour at: now on the real today, else the end of that day."""
    now = now or datetime.now()
    return now.replace(second=0, microsecond=0) if as_of == now.date() else datetime.combine(as_of, time(23, 59))


def due_items(rows: list[dict[str, Any]], as_of: date, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every limit of the cases falling on or before `as_of` and not yet met on that day:
    {ref (the case number), process, kind, unit, what, label, due, days_late, overdue, assignee, description};
    overdue first, most late first. A complaint's escalation (its limit an hour, or the day's
    end) is overdue once `moment_of(as_of)` passed it."""
    moment = moment_of(as_of, now)
    items = []
    for row in rows:
        evs = log.events_until(row, as_of)
        if not evs:
            continue
        assignee = next((e["to"] for e in reversed(evs) if e.get("to")), None)
        base = {"ref": row["id"], "process": "cases", "kind": row["kind"], "unit": row["unit"],
                "assignee": assignee, "description": row["description"]}
        for what, due in log.pending(row, as_of).items():
            if due <= as_of:
                label = WHAT[what] if row["kind"] != log.INQUIRY else "转办答复"
                items.append({**base, "what": what, "label": label, "due": due.isoformat(),
                              "days_late": (as_of - due).days, "overdue": due < as_of})
        escalation = log.escalation_pending(row, as_of)
        if escalation is not None and escalation[0].date() <= as_of:
            limit, to = escalation
            items.append({**base, "what": "escalate", "label": f"转呈{to}", "due": f"{limit:%Y-%m-%dT%H:%M}",
                          "days_late": (as_of - limit.date()).days, "overdue": moment > limit})
    return sorted(items, key=lambda i: (not i["overdue"], -i["days_late"], i["due"], i["ref"]))


def agenda_items(ws: Workspace, view: View, as_of: date) -> list[dict[str, Any]]:
    """The cases' part of `today` (the Process hook): their limits due or passed on `as_of`."""
    return due_items(view.all("cases"), as_of)


def today(ws: Workspace, as_of: date | None = None) -> dict[str, Any]:
    """{as_of, overdue: [...], due_today: [...], awaiting_signed: [...]}: what every process has
    falling due on `as_of` or passed unmet (the cases' callbacks, answers, resolutions and
    escalations, the rounds of the rounds process …: each process's `agenda` hook, read from one
    snapshot), and the documents that went out and have no signed copy (longest out first)."""
    as_of = as_of or date.today()
    with ws.store.snapshot() as view:
        items = registry.agenda_items(ws, view, as_of)
    docs = []
    for d in documents.list_documents(ws):
        out = documents.went_out_on(d)
        if d["state"] in AWAITING_SIGNATURE and out is not None and out <= as_of:
            docs.append({"doc_no": d["doc_no"], "state": d["state"], "unit": d.get("unit"),
                         "template": d.get("template"), "went_out_on": out.isoformat(),
                         "days_out": (as_of - out).days})
    docs.sort(key=lambda d: (-d["days_out"], d["doc_no"]))
    return {"as_of": as_of.isoformat(), "overdue": [i for i in items if i["overdue"]],
            "due_today": [i for i in items if not i["overdue"]], "awaiting_signed": docs}


# ---------------------------------------------------------------- the month's figures

def _month(value: str) -> tuple[date, date]:
    try:
        first = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise InputError(f"月份 {value!r} 不是有效月份，应为 YYYY-MM，如 2025-11 (expected YYYY-MM)") from None
    last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, last


def obligations(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A repair's callbacks owed: one per `done` event, with its due day and the callback that met
    it (the next callback event), if any."""
    out = []
    evs = row.get("events", [])
    for i, ev in enumerate(evs):
        if ev["what"] != "done":
            continue
        due = deadlines.callback_due(row["category"], date.fromisoformat(ev["at"][:10]),
                                     date.fromisoformat(ev["leak_test_on"]) if ev.get("leak_test_on") else None)
        made = next((e for e in evs[i + 1:] if e["what"] == "callback"), None)
        out.append({"due": due, "made_on": date.fromisoformat(made["at"][:10]) if made else None})
    return out


def month_figures(ws: Workspace, month: str, as_of: date | None = None) -> dict[str, Any]:
    """The month's figures, from the case events only:

    - repairs: cases opened in the month, by category; `reopened`: repairs reopened in the month
      (a reopened repair counts once here, and each of its callbacks counts below);
    - callbacks (the 100 % rule), by category: `due` callbacks whose last day falls in the month,
      `made` of those made (by `as_of`), `on_time` made by their last day, and the rate;
    - complaints opened in the month, by severity: days to answer and to resolve, their limits,
      how many late or still open; for 重大 and 重要, their escalation (`escalate`: made, on
      time, late with the minutes, missing once its limit passed by `as_of`);
    - satisfaction: the callbacks made in the month, by answer."""
    first, end = _month(month)
    as_of = as_of or date.today()
    lo, hi = first.isoformat(), end.isoformat()
    with ws.store.snapshot() as view:
        rows = view.all("cases")
    names = deadlines.REPAIR_CATEGORIES
    repairs = {c: 0 for c in names}
    callbacks: dict[str, dict[str, Any]] = {c: {"due": 0, "made": 0, "on_time": 0, "late": []} for c in names}
    reopened: list[str] = []
    complaints: dict[str, dict[str, Any]] = {}
    satisfaction = {s: 0 for s in log.SATISFACTION}
    kinds = {k: 0 for k in log.KINDS}
    for row in rows:
        evs = row.get("events", [])
        opened = evs[0]["at"][:10]
        if lo <= opened < hi:
            kinds[row["kind"]] += 1
        for ev in evs:
            if ev["what"] == "callback" and lo <= ev["at"][:10] < hi:
                satisfaction[ev["satisfaction"]] += 1
        if row["kind"] == log.REPAIR:
            if lo <= opened < hi:
                repairs[row["category"]] += 1
            if any(e["what"] == "reopened" and lo <= e["at"][:10] < hi for e in evs):
                reopened.append(row["id"])
            for ob in obligations(row):
                made = ob["made_on"] is not None and ob["made_on"] <= as_of
                if first <= ob["due"] < end and (made or ob["due"] <= as_of):   # fallen due, or met early
                    c = callbacks[row["category"]]
                    c["due"] += 1
                    if made:
                        c["made"] += 1
                        if ob["made_on"] <= ob["due"]:
                            c["on_time"] += 1
                        else:
                            c["late"].append({"case": row["id"], "due": ob["due"].isoformat(),
                                              "days_late": (ob["made_on"] - ob["due"]).days})
                    else:
                        c["late"].append({"case": row["id"], "due": ob["due"].isoformat(), "days_late": None})
        if row["kind"] == log.COMPLAINT and lo <= opened < hi:
            s = complaints.setdefault(row["severity"], _complaint_block(row["severity"]))
            s["count"] += 1
            at = datetime.fromisoformat(evs[0]["at"])
            limits = deadlines.complaint_due(row["severity"], at, log._day(row.get("resident_deadline")))
            answered = next((e for e in evs if e["what"] in ("answer", "resolve")), None)
            resolved = next((e for e in evs if e["what"] == "resolve"), None)
            for key, ev, limit in (("answer", answered, limits["answer_by"]), ("resolve", resolved, limits["resolve_by"])):
                if key == "answer" and limit is None:
                    continue
                if ev is None:
                    s[key]["open"] += 1
                    continue
                done = date.fromisoformat(ev["at"][:10])
                s[key]["days"].append((done - at.date()).days)
                if done > limit:
                    s[key]["late"] += 1
            if "escalate" in s:
                _count_escalation(s["escalate"], row, as_of)
    for c in callbacks.values():
        c["rate"] = f"{100 * c['on_time'] / c['due']:.0f}%" if c["due"] else "—"
    return {"month": month, "as_of": as_of.isoformat(), "cases": kinds,
            "repairs": {"by_category": repairs, "total": sum(repairs.values()), "reopened": sorted(reopened)},
            "callbacks": callbacks,
            "callbacks_total": {k: sum(c[k] for c in callbacks.values()) for k in ("due", "made", "on_time")},
            "complaints": dict(sorted(complaints.items(), key=lambda kv: deadlines.SEVERITIES.index(kv[0]))),
            "satisfaction": satisfaction}


def _complaint_block(severity: str) -> dict[str, Any]:
    r = deadlines.COMPLAINT_RULES[deadlines.complaint_severity(severity)]
    block: dict[str, Any] = {"count": 0,
                             "answer": {"limit_days": r["answer_days"], "days": [], "late": 0, "open": 0},
                             "resolve": {"limit_days": r["resolve_days"], "days": [], "late": 0, "open": 0}}
    if r["escalate_to"]:
        block["escalate"] = {"to": r["escalate_to"], "limit": "当日" if r["escalate"] == "same-day" else "1小时内",
                             "made": 0, "on_time": 0, "late": [], "missing": []}
    return block


def _count_escalation(block: dict[str, Any], row: dict[str, Any], as_of: date) -> None:
    """One complaint's escalation in the month's figures: on time, late (minutes), or missing."""
    made = next((e for e in log.events_until(row, as_of) if e["what"] == "escalate"), None)
    if made is None:
        pending = log.escalation_pending(row, as_of)
        if pending is not None and pending[0] < datetime.combine(as_of, time(23, 59)):
            block["missing"].append({"case": row["id"], "due": f"{pending[0]:%Y-%m-%dT%H:%M}"})
        return
    block["made"] += 1
    if made.get("late_minutes"):
        block["late"].append({"case": row["id"], "due": made["escalate_due"], "at": made["at"],
                              "late_minutes": made["late_minutes"]})
    else:
        block["on_time"] += 1
