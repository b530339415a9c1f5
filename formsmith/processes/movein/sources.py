"""Move-in pack data from the store: the repair order made from a unit's last inspection, or
from a repair case (one 维修工作单 for both)."""
from __future__ import annotations

from datetime import date
from typing import Any

from ... import casefile, model
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


@builder("repair-case-order", key="cases")
def repair_case_order(ws: Workspace, view: View, case_id: str, as_of: date) -> dict[str, Any]:
    """The 维修工作单 (业主报修登记) of a repair case (PROCESSES.md §3: every repair, not only
    move-in defects): the intake, the dispatch and — once the case records them — who finished
    it and when; the rest is filled in by hand. The same order as a move-in defect's."""
    row = casefile.the_case(view, case_id, casefile.REPAIR)
    current, _ = casefile.current_round(row)
    dispatch, done = casefile.last(current, "dispatch"), casefile.last(current, "done")
    data: dict[str, Any] = {**casefile.party(view, row), "order_date": as_of.isoformat(), "case_id": row["id"],
                            "reported_at": casefile.stamp(row["opened_at"]), "received_by": row["events"][0]["by"],
                            "reporter": row.get("reported_by"), "reporter_phone": row.get("contact"),
                            "category": casefile.CATEGORY[row["category"]], "description": row["description"],
                            "repair_by": str(ws.setting("movein", "repair_by", "维修部")),
                            "reopened": sum(1 for e in row["events"] if e["what"] == "reopened")}
    if dispatch:
        data.update(dispatched_to=dispatch["to"], dispatched_at=casefile.stamp(dispatch["at"]))
    if done:
        data.update(done_at=casefile.stamp(done["at"]), done_by=done["by"],
                    paid="有偿" if done.get("paid") else "无偿", done_note=done.get("note"),
                    leak_test_on=done.get("leak_test_on"))
    return casefile.drop_empty(data)
