"""Issued documents in the store: find, list and move them through their life."""
from __future__ import annotations

from typing import Any

from . import lifecycle
from .errors import InputError, NotFoundError
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
                   unit: str | None = None, period: str | None = None) -> list[dict[str, Any]]:
    """Documents matching every filter given, in issuing order."""
    if state and state not in lifecycle.STATES:
        raise InputError(f"--state {state!r}: not one of {', '.join(lifecycle.STATES)}")
    equals = {k: v for k, v in dict(state=state, template=template, unit=unit, period=period).items() if v}
    with ws.store.snapshot() as view:
        return view.find("documents", **equals)


def mark(ws: Workspace, doc_no: str, state: str, *, by: str | None = None, note: str = "",
         tracking: str = "") -> dict[str, Any]:
    """Move a document to `state`, recording who, when, why (and the waybill, if sent)."""
    if tracking and state != "sent":
        raise InputError("--tracking goes with state sent (the courier's waybill number)")
    with ws.store.transaction() as tx:
        doc = find(tx, doc_no)
        lifecycle.check_transition(doc["doc_no"], doc["state"], state)
        events = doc.get("events", []) + [lifecycle.event(state, by or ws.clerk, note, tracking=tracking)]
        changes: dict[str, Any] = {"state": state, "events": events}
        if tracking:
            changes["tracking"] = tracking
        return tx.update("documents", doc["id"], changes)
