"""Issued documents in the store: find, list and move them through their life."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from . import lifecycle
from .errors import InputError, NotFoundError
from .model import AWAITING_SIGNATURE, STATES
from .store import View
from .workspace import Workspace

LIST_FIELDS = ("doc_no", "state", "unit", "template", "period", "issued_on", "pages", "doc_id")


def find(view: View, doc_no_or_id: str) -> dict[str, Any]:
    """The document whose number (物催字〔2025〕3号) or doc_id is given."""
    key = (doc_no_or_id or "").strip()
    row = view.get("documents", key.upper()) if key else None  # a doc_id is the row's id
    if row is None:
        rows = view.find("documents", doc_no=key)  # indexed: reads one index bucket
        row = rows[0] if rows else None
    if row is None:
        raise NotFoundError(f"no document {key!r} (see `formsmith docs list`)")
    return row


def list_documents(ws: Workspace, state: str | None = None, template: str | None = None,
                   unit: str | None = None, period: str | None = None,
                   overdue: int | None = None, today: date | None = None) -> list[dict[str, Any]]:
    """Documents matching every filter given, in issuing order.

    `overdue` N keeps documents that went out (sent or delivered) at least N days before `today`
    and have no signed copy yet — the ones a clerk should chase.
    """
    if state and state not in STATES:
        raise InputError(f"--state {state!r}: not one of {', '.join(STATES)}")
    if overdue is not None and overdue < 0:
        raise InputError(f"--overdue {overdue}: the number of days cannot be negative")
    equals = {k: v for k, v in dict(state=state, template=template, unit=unit, period=period).items() if v}
    today = today or date.today()
    keep = None
    if overdue is not None:
        def keep(d: dict[str, Any]) -> bool:
            out = went_out_on(d)
            return (d["state"] in AWAITING_SIGNATURE and out is not None
                    and (today - out).days >= overdue)
    with ws.store.snapshot() as view:
        return view.find("documents", where=keep, **equals)


def went_out_on(doc: dict[str, Any]) -> date | None:
    """The day the document left the centre: its first sent (else delivered) event."""
    for wanted in ("sent", "delivered"):
        for ev in doc.get("events", []):
            if ev.get("state") == wanted:
                return datetime.fromisoformat(ev["at"]).date()
    return None


def mark(ws: Workspace, doc_no: str, state: str, *, by: str | None = None, note: str = "",
         tracking: str = "") -> dict[str, Any]:
    """Move a document to `state`, recording who, when, why (and the waybill, if sent)."""
    if tracking and state != "sent":
        raise InputError("--tracking goes with state sent (the courier's waybill number)")
    with ws.store.transaction() as tx:
        doc = find(tx, doc_no)
        lifecycle.check_transition(doc["doc_no"], doc["state"], state)
        if state == "superseded":
            raise InputError(f"{doc['doc_no']}: a document is superseded by issuing its correction: "
                             f"`formsmith render TEMPLATE ... --replaces {doc['doc_no']}`")
        return tx.update("documents", doc["id"], transition(doc, state, by or ws.clerk, note,
                                                            tracking=tracking))


def transition(doc: dict[str, Any], state: str, by: str, note: str = "", **extra: Any) -> dict[str, Any]:
    """The changes that move `doc` to `state` (checked) with its event; the caller writes them."""
    lifecycle.check_transition(doc["doc_no"], doc["state"], state)
    changes: dict[str, Any] = {"state": state,
                               "events": doc.get("events", []) + [lifecycle.event(state, by, note, **extra)]}
    if extra.get("tracking"):
        changes["tracking"] = extra["tracking"]
    return changes


def check_replacement(old: dict[str, Any], template: str, unit: str | None) -> None:
    """A correction replaces a document of the same kind for the same unit, nothing else:
    one owner's letter must never cancel another's."""
    def unit_name(u: str | None) -> str:
        return f"房屋 {u}" if u else "无房屋"
    if old.get("template") != template:
        raise InputError(f"--replaces {old['doc_no']}：原文书是 {old.get('title') or old.get('template')}"
                         f"（{old.get('template')}），新文书是 {template}，只能替代同类文书 "
                         f"(it is a {old.get('template')}, not a {template})")
    if old.get("unit") != unit:
        raise InputError(f"--replaces {old['doc_no']}：原文书属{unit_name(old.get('unit'))}，新文书属"
                         f"{unit_name(unit)}，不能替代其他房屋的文书 (the replaced document is for "
                         f"unit {old.get('unit')}, this one for unit {unit})")


def supersede(tx: Any, old_no: str, new_doc: dict[str, Any], by: str, note: str = "") -> dict[str, Any]:
    """Within the issuing transaction: mark `old_no` superseded by `new_doc` (doc_no, doc_id)."""
    old = find(tx, old_no)
    if old["doc_id"] == new_doc["doc_id"]:
        raise InputError(f"{old['doc_no']}: a document cannot replace itself")
    check_replacement(old, new_doc["template"], new_doc.get("unit", old.get("unit")))
    changes = transition(old, "superseded", by, note or f"由{new_doc['doc_no']}替代",
                         superseded_by=new_doc["doc_no"])
    changes["superseded_by"] = new_doc["doc_no"]
    return tx.update("documents", old["id"], changes)
