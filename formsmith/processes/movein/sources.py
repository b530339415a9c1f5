"""Move-in pack data from the store: the repair order made from a unit's last inspection."""
from __future__ import annotations

from datetime import date
from typing import Any

from ... import model
from ...errors import InputError
from ...sources import builder
from ...store import View
from ...workspace import Workspace



def last_inspection(view: View, unit_id: str) -> dict[str, Any]:
    """The unit's most recent issued 房屋质量验收登记表 (not voided or superseded)."""
    rows = view.find("documents", template="inspection-form", unit=unit_id,
                     where=lambda d: d["state"] not in model.RETIRED)
    if not rows:
        raise InputError(f"unit {unit_id}: no 房屋质量验收登记表 issued for this unit "
                         "(先开具验收登记表 inspection-form，再据其不合格项目开维修工作单)")
    return max(rows, key=lambda d: (d["issued_on"], d["year"], d["seq"]))


def repair_order_data(inspection: dict[str, Any], order_date: date, *,
                      repair_by: str = "维修部") -> dict[str, Any]:
    """Data of a 维修工作单 from an issued inspection's documents row (its record and number).

    The inspection's items are carried over whole; the repair-order rule keeps the failed ones
    as the order's lines and refuses an inspection without any.
    """
    rec = inspection["record"]
    return {
        "unit": rec["unit"],
        "unit_address": rec["unit_address"],
        "owner_name": rec["owner_name"],
        "owner_phone": rec.get("owner_phone"),
        "order_date": order_date.isoformat(),
        "inspection_no": inspection["doc_no"],
        "inspection_date": rec["inspection_date"],
        "inspection_items": [{k: it.get(k) for k in ("room", "item", "standard", "result", "remarks")}
                             for it in rec["items"]],
        "repair_by": repair_by,
    }


@builder("unit-inspection")
def unit_inspection(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The repair order of `unit_id` from its last issued inspection."""
    view.require("units", unit_id, "unit")
    repair_by = str(ws.setting("movein", "repair_by", "维修部"))
    return repair_order_data(last_inspection(view, unit_id), as_of, repair_by=repair_by)
