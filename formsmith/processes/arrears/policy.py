"""The dunning escalation: policy from formsmith.toml, each unit's history, who is due for which stage."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ... import model
from ...errors import InputError
from ...sources import overdue_charges, rows_by_unit, unit_rows
from ...store import View
from ...workspace import Workspace

DELIVERED_STATES = ("delivered", "signed", "archived")
SENT_STATES = ("sent",) + DELIVERED_STATES

COURIER = "特快专递"
HAND_DELIVERIES = ("直接送达", "留置送达")      # contact-log ways that deliver a document
CALLS = ("电话", "短信", "上门拜访")             # contact-log ways the letters cite as contacts


@dataclass(frozen=True)
class Stage:
    """One step of the escalation: which template, and how a unit becomes due for it."""

    number: int
    template: str
    label: str
    after_months: int           # stage 1: months overdue; 2, 3: months after the earlier step
    courier: bool               # sent by express mail: the run writes a courier list
    sms: bool                   # stage 1 also goes out as SMS / phone call


@dataclass(frozen=True)
class Policy:
    """The escalation as configured in formsmith.toml [dunning] (defaults: PROCESSES.md §4)."""

    stages: tuple[Stage, ...]
    deadline_days: int = 15
    chunk: int = 100            # letters per engine document in a batch render
    commit_every: int = 2000    # letters recorded per store transaction (and at least once a minute)
    # The engine of the month-end letters where the template has a body for it (else its own).
    # Typst lays a month out 5× faster than WeasyPrint with the same text on the same pages
    # (bench/dunning_run.py; tests/test_conformance_runs_html.py and test_dunning_run.py read both).
    engine: str = "typst"

    def stage(self, number: int) -> Stage:
        for s in self.stages:
            if s.number == number:
                return s
        raise InputError(f"--stage {number}: the dunning policy has stages "
                         f"{', '.join(str(s.number) for s in self.stages)}")


def policy(ws: Workspace) -> Policy:
    """The workspace's dunning policy; missing settings take the defaults of PROCESSES.md §4."""
    def number(key: str, default: int) -> int:
        value = ws.setting("dunning", key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"formsmith.toml [dunning] {key}: 应为非负整数，实际为 {value!r}")
        return value
    return Policy(
        stages=(
            Stage(1, "payment-notice", "缴费通知单", number("notice_after_months", 1),
                  courier=False, sms=True),
            Stage(2, "dunning-letter", "催缴函", number("letter_after_notice_months", 3),
                  courier=True, sms=False),
            Stage(3, "legal-notice", "法律催告函", number("legal_after_delivery_months", 6),
                  courier=True, sms=False),
        ),
        deadline_days=number("deadline_days", 15),
        chunk=max(1, number("batch_chunk", 100)),
        commit_every=max(1, number("commit_every", 2000)),
        engine=str(ws.setting("dunning", "engine", "typst")),
    )


def dunned_charges(view: View, unit_id: str, as_of: date) -> list[dict]:
    """The overdue charges the arrears letters claim: the fees of the property service contract
    (物业服务费, 车位管理费 …). A charge a case billed (a paid repair's 有偿维修服务费) is the
    price of a separate service the owner ordered, not 物业费 under 民法典 第九百四十四条: it is
    collected against its own receipt, never demanded in a 催缴函 or 法律催告函."""
    return [c for c in overdue_charges(view, unit_id, as_of) if not c.get("case")]


def add_months(d: date, n: int) -> date:
    """`d` moved by `n` calendar months (the 31st becomes the month's last day)."""
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def delivered_on(doc: dict[str, Any]) -> date | None:
    """When a document was delivered, if it was: the courier's date, else the day it was marked."""
    if doc.get("state") not in DELIVERED_STATES:
        return None
    if doc.get("delivered_on"):
        return date.fromisoformat(doc["delivered_on"])
    for ev in reversed(doc.get("events", [])):
        if ev.get("state") == "delivered":
            return date.fromisoformat(ev.get("delivered_on") or ev["at"][:10])
    return None


@dataclass
class UnitStatus:
    """Where one unit stands in the escalation as of a date."""

    unit: str
    months: int                         # distinct months overdue
    total: Decimal
    since: date | None                  # due date of the oldest unpaid charge: the episode start
    documents: list[dict] = field(default_factory=list)   # dunning documents of this episode
    stage: int = 0                      # highest stage issued in this episode
    due: int | None = None              # stage the unit is due for now, if any
    next_on: date | None = None         # when the next stage becomes due (if known)
    note: str = ""

    def last(self, template: str) -> dict | None:
        docs = [d for d in self.documents if d["template"] == template]
        return docs[-1] if docs else None

    def issued(self, template: str) -> dict:
        """The last document of `template`, where `stage` says one was issued in this episode."""
        doc = self.last(template)
        if doc is None:
            raise ValueError(f"unit {self.unit}: at stage {self.stage} without a {template} document")
        return doc


def _unit_docs(view: View, pol: Policy, unit_id: str, as_of: date) -> list[dict]:
    """The unit's active dunning documents issued on or before `as_of`, oldest first."""
    templates = {s.template for s in pol.stages}
    cut = as_of.isoformat()
    docs = [d for d in unit_rows(view, "documents", unit_id)
            if d.get("template") in templates and d["state"] not in model.RETIRED
            and d.get("issued_on", "") <= cut]
    return sorted(docs, key=lambda d: (d["issued_on"], d.get("seq", 0)))


def statuses(view: View, pol: Policy, as_of: date, community: str | None = None,
             units: list[str] | None = None) -> list[UnitStatus]:
    """Every unit that owes money or has an escalation going, sorted by building/entrance/room."""
    stage_of = {s.template: s.number for s in pol.stages}
    rows = [view.require("units", u, "unit") for u in units] if units is not None else view.all("units")
    if len(rows) > 50:   # many units: group their rows by unit once for the snapshot
        rows_by_unit(view, "charges")
        rows_by_unit(view, "documents")
        rows_by_unit(view, "contacts")
    out = []
    for u in sorted(rows, key=unit_sort_key):
        if community and u.get("community") != community:
            continue
        charges = dunned_charges(view, u["id"], as_of)
        if not charges:
            continue
        since = min(date.fromisoformat(c["due"]) for c in charges)
        # Documents issued before the oldest unpaid charge fell due belong to an earlier,
        # settled episode: they do not count towards this escalation.
        episode = [d for d in _unit_docs(view, pol, u["id"], as_of) if d["issued_on"] >= since.isoformat()]
        st = UnitStatus(unit=u["id"], months=len({c["period"] for c in charges}),
                        total=sum((Decimal(c["amount"]) for c in charges), Decimal("0.00")),
                        since=since, documents=episode,
                        stage=max((stage_of[d["template"]] for d in episode), default=0))
        _next_step(st, pol, as_of)
        out.append(st)
    return out


def _next_step(st: UnitStatus, pol: Policy, as_of: date) -> None:
    """Fill in which stage `st` is due for now, or when the next one will be."""
    s1, s2, s3 = pol.stage(1), pol.stage(2), pol.stage(3)
    if st.stage == 0:
        if st.months >= s1.after_months:
            st.due, st.next_on = 1, as_of
        else:
            st.note = f"逾期不足{s1.after_months}个月"
        return
    if st.stage == 1:
        notice = st.issued(s1.template)
        when = add_months(date.fromisoformat(notice["issued_on"]), s2.after_months)
        st.next_on = when
        if as_of >= when:
            st.due = 2
        else:
            st.note = f"{notice['doc_no']}发出满{s2.after_months}个月后发催缴函"
        return
    if st.stage == 2:
        letter = st.issued(s2.template)
        got = delivered_on(letter)
        if got is None:
            st.note = f"{letter['doc_no']}尚未妥投（{model.LABELS.get(letter['state'], letter['state'])}）：妥投后方可发法律催告函"
            return
        when = add_months(got, s3.after_months)
        st.next_on = when
        if as_of >= when:
            st.due = 3
        else:
            st.note = f"{letter['doc_no']}妥投满{s3.after_months}个月后发法律催告函"
        return
    st.note = "已发法律催告函：可提起诉讼或申请仲裁"


def unit_sort_key(unit: dict) -> tuple:
    """Building, entrance, room as numbers where they are numbers (2栋 before 10栋)."""
    def part(v: Any) -> tuple:
        s = str(v)
        return (0, int(s), "") if s.isdigit() else (1, 0, s)
    return (str(unit.get("community", "")), part(unit.get("building", "")),
            part(unit.get("entrance", "")), part(unit.get("room", "")), unit["id"])


def _contacts(view: View, unit_id: str) -> list[dict]:
    """The unit's rows of the contact log (the `contacts` table, read by name: the arrears
    process does not import the contacts process), oldest first."""
    return sorted(unit_rows(view, "contacts", unit_id), key=lambda r: (r.get("at", ""), r.get("id", "")))


def delivery(view: View, doc: dict[str, Any], before: date) -> dict[str, Any]:
    """How `doc` reached the owner as the store records it, before `before`: a hand delivery
    of the contact log ({"way": 直接送达 | 留置送达, "delivered_on", "witness"?}); else the
    courier ({"way": 特快专递, "tracking"} and "delivered_on" when the courier's delivery date
    is recorded); else {} — nothing recorded, and nothing is claimed. A state alone (a document
    marked delivered without a date, a waybill or a contact) proves no delivery."""
    cut = before.isoformat()
    for c in _contacts(view, doc.get("unit", "")):
        if c.get("doc_no") == doc["doc_no"] and c.get("way") in HAND_DELIVERIES and c["at"][:10] < cut:
            out = {"way": c["way"], "delivered_on": c["at"][:10]}
            if c.get("witness"):
                out["witness"] = c["witness"]
            return out
    if doc.get("tracking"):
        out = {"way": COURIER, "tracking": doc["tracking"]}
        if doc.get("state") in DELIVERED_STATES and doc.get("delivered_on") and doc["delivered_on"] < cut:
            out["delivered_on"] = doc["delivered_on"]
        return out
    return {}


def demanded(doc: dict[str, Any]) -> dict[str, Any]:
    """What an issued arrears document demanded, from its own stored record: its total and
    the months it covered (first, last, how many)."""
    record = doc.get("record") or {}
    periods = sorted({i["period"] for i in record.get("items") or [] if i.get("period")})
    out: dict[str, Any] = {"total": record.get("total")}
    if periods:
        out.update(first_month=periods[0], last_month=periods[-1], months=len(periods))
    return {k: v for k, v in out.items() if v is not None}


def prior_demands(view: View, ws: Workspace, unit_id: str, as_of: date,
                  templates: tuple[str, ...] = ("payment-notice", "dunning-letter")) -> list[dict]:
    """The unit's earlier notices and letters of this episode, each as the letters cite it:
    title, number, date, what IT demanded (its record's months and total) and only the
    delivery the store records for it (`delivery`)."""
    pol = policy(ws)
    found = statuses(view, pol, as_of, units=[unit_id])
    if not found:
        return []
    out = []
    for d in found[0].documents:
        if d["template"] not in templates or d["issued_on"] >= as_of.isoformat():
            continue
        row = {"title": d.get("title") or d["template"], "doc_no": d["doc_no"], "date": d["issued_on"],
               **demanded(d), **delivery(view, d, as_of)}
        out.append(row)
    return out


def prior_contacts(view: View, ws: Workspace, unit_id: str, as_of: date) -> list[dict]:
    """The calls, texts and visits of the contact log in this episode (on or after the oldest
    unpaid month fell due, before `as_of`), as recorded: {date, way, result}."""
    charges = dunned_charges(view, unit_id, as_of)
    if not charges:
        return []
    since = min(c["due"] for c in charges)
    return [{"date": c["at"][:10], "way": c["way"], "result": c["result"]}
            for c in _contacts(view, unit_id)
            if c.get("way") in CALLS and since <= c["at"][:10] < as_of.isoformat()]
