"""Data of the arrears notices from the store: the unit, its owner, its overdue charges and the
demands made before (PROCESSES.md §4)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ...errors import InputError
from ...sources import builder, overdue_charges, owner_of, unit_address
from ...store import View
from ...workspace import Workspace
from .policy import prior_demands


@builder("unit-arrears")
def unit_arrears(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """Data of a dunning document: the unit, its owner and every overdue charge."""
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    charges = overdue_charges(view, unit_id, as_of)
    if not charges:
        raise InputError(f"unit {unit_id}: no overdue charges as of {as_of.isoformat()} "
                         "(房屋无逾期欠费)")
    address = unit_address(unit)
    days = int(ws.setting("dunning", "deadline_days", 15))
    data: dict[str, Any] = {
        "unit": unit_id,
        "unit_address": address,
        "area": unit.get("area"),
        "owner_name": owner["name"],
        "owner_kind": "单位" if owner["kind"] == "company" else "个人",
        "mailing_address": owner.get("mailing_address") or address,
        "phone": owner.get("phone"),
        "items": [{"period": c["period"], "item": c["item"], "amount": c["amount"], "due": c["due"]}
                  for c in charges],
        "total": str(sum((Decimal(c["amount"]) for c in charges), Decimal("0.00"))),
        "as_of": as_of.isoformat(),
        "deadline": (as_of + timedelta(days=days)).isoformat(),
        "contract": ws.company.contract,
    }
    notices = [{"date": d["date"], "way": d["title"].replace("物业服务费", ""), "doc_no": d["doc_no"]}
               for d in _prior(ws, view, unit_id, as_of, ("payment-notice",))]
    if notices:
        data["prior_notices"] = notices
    return data


def _prior(ws: Workspace, view: View, unit_id: str, as_of: date, templates: tuple[str, ...]) -> list[dict]:
    return prior_demands(view, ws, unit_id, as_of, templates)


@builder("unit-legal")
def unit_legal(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """Data of a legal notice: the arrears, and every earlier notice and letter with its delivery."""
    data = unit_arrears(ws, view, unit_id, as_of)
    data.pop("prior_notices", None)
    days = int(ws.setting("dunning", "legal_deadline_days", 7))
    data["deadline"] = (as_of + timedelta(days=days)).isoformat()
    data["prior_demands"] = _prior(ws, view, unit_id, as_of, ("payment-notice", "dunning-letter"))
    if not any(d.get("delivered_on") for d in data["prior_demands"]):
        raise InputError(f"unit {unit_id}: field prior_demands: 无已妥投的催缴函，不能发法律催告函 "
                         "(no delivered dunning letter on record)")
    return data
