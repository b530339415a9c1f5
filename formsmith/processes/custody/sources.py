"""Custody data from the store: the 托管协议 of a unit in custody (PROCESSES.md §2)."""
from __future__ import annotations

from datetime import date
from typing import Any

from ...errors import InputError
from ...sources import builder, owner_of, unit_address
from ...store import View
from ...workspace import Workspace


@builder("unit-custody")
def unit_custody(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The custody agreement of `unit_id`: area and fee rate, owner, hand-over readings.

    The fees and the meter ceilings are left to the custody rule, which computes them.
    """
    unit = view.require("units", unit_id, "unit")
    custody = unit.get("custody")
    if unit.get("status") != "custody" or not custody:
        raise InputError(f"房屋 {unit_id}：字段 status（状态）：该房屋未办理托管（状态 {unit.get('status')!r}），"
                         "无托管交接记录 (the unit is not in custody)")
    owner = owner_of(view, unit)
    data: dict[str, Any] = {
        "unit": unit_id,
        "unit_address": unit_address(unit),
        "area": unit.get("area"),
        "owner_name": owner["name"],
        "owner_id_number": owner.get("credit_code") if owner.get("kind") == "company" else owner.get("id_number"),
        "owner_phone": owner.get("phone"),
        "owner_address": owner.get("mailing_address"),
        "start_date": custody.get("since"),
        "end_date": custody.get("until"),
        "fee_rate": unit.get("fee_rate"),
        "water_base": custody.get("water_base"),
        "electricity_base": custody.get("electricity_base"),
        "water_meter_no": custody.get("water_meter_no"),
        "electricity_meter_no": custody.get("electricity_meter_no"),
    }
    return {k: v for k, v in data.items() if v is not None}
