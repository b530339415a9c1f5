"""After the run: the courier's sheet comes back (letters become sent, delivered) and the status
of every unit that owes (stage reached, its letters, what is due next)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ... import dates, lifecycle
from ...errors import FormsmithError, InputError, ValidationError
from ...formats import parse_date
from ...sheets.io import read_sheet as read_table
from ...workspace import Workspace
from . import policy as dunning

TRACKING_HEADERS = {
    "doc_no": ("内件品名", "文书编号", "doc_no", "备注"),   # the number, or "title number"
    "waybill": ("运单号", "快递单号", "waybill", "tracking"),
    "delivered_on": ("妥投日期", "签收日期", "送达日期", "delivered_on", "delivered"),
}


def _cell(value: Any) -> str:
    """A cell as the text the courier typed: dates as YYYY-MM-DD, numbers as written."""
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):     # datetime from an xlsx date cell
        return value.date().isoformat()
    return str(value).strip()


def read_sheet(path: Path) -> list[tuple[int, dict[str, str]]]:
    """The rows of the courier's sheet (.xlsx, or .csv in UTF-8 or GBK) with their row numbers,
    as dicts by header; read by the one sheet reader (formsmith.sheets.io), which finds the
    header row under a title line and refuses what is not a sheet."""
    known = {h for names in TRACKING_HEADERS.values() for h in names}
    sheet = read_table(path, lambda header: header.strip() in known)
    head = [h.strip() for h in sheet.headers]
    return [(n, dict(zip(head, (_cell(v) for v in values)))) for n, values in sheet.rows]


@dataclass
class TrackingResult:
    sent: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def import_tracking(ws: Workspace, path: Path, by: str | None = None) -> TrackingResult:
    """The courier's sheet back: for each row (doc_no, waybill, delivered date) move the letter
    to sent, and to delivered when a delivery date is given. All rows or none: every bad row
    is reported (sheet row number, field, problem) and nothing changes."""
    rows = read_sheet(path)
    head = rows[0][1].keys() if rows else []
    col = {k: next((h for h in names if h in head), None) for k, names in TRACKING_HEADERS.items()}
    if not col["doc_no"] or not col["waybill"]:
        raise InputError(f"{path}: the sheet needs a 内件品名 (or 文书编号) column and a 运单号 column")
    problems: list[str] = []
    result = TrackingResult()
    by = by or ws.clerk
    with ws.store.transaction() as tx:
        docs = {d["doc_no"]: d for d in tx.all("documents")}
        seen: dict[str, int] = {}
        changes: list[tuple[dict, dict]] = []
        for n, row in rows:
            where = f"第{n}行"
            doc_no, waybill = row.get(col["doc_no"], ""), row.get(col["waybill"], "")
            if doc_no not in docs and len(doc_no.split()) > 1:
                # 内件品名 as the courier list wrote it: "物业服务费催缴函 物催字〔2025〕4号"
                doc_no = doc_no.split()[-1]
            doc = docs.get(doc_no)
            if doc is None:
                problems.append(f"{where} 内件品名：没有编号为 {doc_no!r} 的文书 (no such document)")
                continue
            if doc_no in seen:
                problems.append(f"{where} 内件品名：{doc_no} 与第{seen[doc_no]}行重复 (listed twice)")
                continue
            seen[doc_no] = n
            if not waybill or not waybill.replace("-", "").isalnum():
                problems.append(f"{where} 运单号：{waybill!r} 不是有效的运单号 (bad waybill number)")
                continue
            got = None
            if col["delivered_on"] and row.get(col["delivered_on"]):
                try:
                    got = parse_date(row[col["delivered_on"]])
                except ValueError as exc:
                    problems.append(f"{where} 妥投日期：{exc}")
                    continue
                if got < date.fromisoformat(doc["issued_on"]) or got > date.today():
                    problems.append(f"{where} 妥投日期：{got.isoformat()} 早于发函日期或晚于今天 (impossible date)")
                    continue
            if doc.get("tracking") and doc["tracking"] != waybill:
                problems.append(f"{where} 运单号：{doc_no} 已登记运单号 {doc['tracking']}，与 {waybill} 不符")
                continue
            events = list(doc.get("events", []))
            state = doc["state"]
            upd: dict[str, Any] = {}
            try:
                if state not in dunning.SENT_STATES:
                    lifecycle.check_transition(doc_no, state, "sent")
                    events.append(lifecycle.event("sent", by, note=f"courier sheet {Path(path).name}",
                                                  tracking=waybill))
                    state = "sent"
                    result.sent.append(doc_no)
                if got and state == "sent":
                    events.append(lifecycle.event("delivered", by, note=f"courier sheet {Path(path).name}",
                                                  tracking=waybill, delivered_on=got.isoformat()))
                    state = "delivered"
                    upd["delivered_on"] = got.isoformat()
                    result.delivered.append(doc_no)
            except FormsmithError as exc:
                problems.append(f"{where} 状态：{exc}")
                continue
            if state == doc["state"]:
                result.unchanged.append(doc_no)
                continue
            upd.update({"state": state, "events": events, "tracking": waybill})
            changes.append((doc, upd))
        if problems:
            raise ValidationError(problems, record=str(path))
        for doc, upd in changes:
            tx.update("documents", doc["id"], upd)
    return result


def status_rows(ws: Workspace, as_of: date, community: str | None = None) -> list[dict[str, Any]]:
    """Per unit that owes money: months, amount, stage reached with its documents, what is next."""
    dates.check_as_of(as_of, plan=True)
    pol = dunning.policy(ws)
    with ws.store.snapshot() as view:
        found = dunning.statuses(view, pol, as_of, community=community)
        owners = {u: (view.get("parties", (view.get("units", u) or {}).get("owner", "")) or {}).get("name", "")
                  for u in (s.unit for s in found)}
    rows = []
    for s in found:
        last = s.documents[-1] if s.documents else None
        nxt = pol.stage(s.due).label if s.due else (
            pol.stage(s.stage + 1).label if s.stage < len(pol.stages) and s.next_on else "")
        rows.append({
            "unit": s.unit, "owner": owners.get(s.unit, ""), "months": s.months,
            "total": f"{s.total:.2f}", "since": s.since.isoformat() if s.since else None,
            "stage": s.stage,
            "documents": [{"doc_no": d["doc_no"], "template": d["template"], "issued_on": d["issued_on"],
                           "state": d["state"], "tracking": d.get("tracking"),
                           "delivered_on": got.isoformat() if (got := dunning.delivered_on(d)) else ""}
                          for d in s.documents],
            "last_doc": last["doc_no"] if last else "", "last_date": last["issued_on"] if last else "",
            "last_state": last["state"] if last else "",
            "due_now": s.due, "next": nxt,
            "next_on": s.next_on.isoformat() if s.next_on else None, "note": s.note,
        })
    return rows
