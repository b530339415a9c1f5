"""The rounds' documents from the store: 托管巡查记录 and 装修巡查记录 of a recorded round, and the
装修整改通知书 of a renovation round's finding (`render … --record XC2025-0001[-1]`)."""
from __future__ import annotations

from datetime import date
from typing import Any

from ...errors import InputError
from ...sources import builder, owner_of, unit_address
from ...store import View
from ...workspace import Workspace
from . import log


def _round(view: View, round_id: str, kind: str) -> dict[str, Any]:
    row = view.require("rounds", round_id, "round")
    if row["kind"] != kind:
        other = "renovation-round" if row["kind"] == log.RENOVATION else "custody-round"
        raise InputError(f"round {round_id}: field kind: 这是{log.KINDS[row['kind']]}，"
                         f"不是{log.KINDS[kind]}（请用模板 {other}） (another kind of round)")
    return row


def _common(view: View, row: dict[str, Any]) -> dict[str, Any]:
    unit = view.require("units", row["unit"], "unit")
    owner = owner_of(view, unit)
    return {"round_id": row["id"], "unit": unit["id"], "unit_address": unit_address(unit),
            "owner_name": owner["name"], "round_on": row["at"][:10], "round_time": row["at"][11:16],
            "patroller": row["by"], "due_on": row["due"],
            "checks": [{"item": k, "result": v} for k, v in row.get("checks", {}).items()]}


def _findings(view: View, row: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for fid in row.get("findings", []):
        f = view.require("round_findings", fid, "finding")
        out.append({k: v for k, v in {"finding_id": f["id"], "item": f["item"], "text": f["text"],
                                      "rectify_by": f.get("rectify_by")}.items() if v is not None})
    return out


@builder("custody-round", key="rounds")
def custody_round(ws: Workspace, view: View, round_id: str, as_of: date) -> dict[str, Any]:
    """The 托管巡查记录 of a custody round: what was looked at, the meters against their ceilings,
    what was found, and whether it was the weekly round or one before or after heavy rain."""
    row = _round(view, round_id, log.CUSTODY)
    data = _common(view, row)
    unit = view.require("units", row["unit"], "unit")
    owner = owner_of(view, unit)
    custody = unit.get("custody") or {}
    data.update(purpose=log.PURPOSES[row["purpose"]], owner_phone=owner.get("phone"),
                custody_since=custody.get("since"), water_base=custody.get("water_base"),
                electricity_base=custody.get("electricity_base"), water_reading=row.get("water_reading"),
                electricity_reading=row.get("electricity_reading"), findings=_findings(view, row),
                note=row.get("note"))
    if row.get("warning"):
        w = view.require("rain_warnings", row["warning"], "rain warning")
        data.update(warning_id=w["id"], warning_level=w["level"], warning_source=w["source"],
                    rain_from=w["rain_from"], rain_to=w.get("rain_to"))
    return {k: v for k, v in data.items() if v is not None}


def _renovation(view: View, row: dict[str, Any]) -> dict[str, Any]:
    reno = view.require("renovations", row["renovation_id"], "renovation")
    return {"renovation_id": reno["id"], "contractor": reno.get("contractor"),
            "contractor_contact": reno.get("contractor_contact"), "contractor_phone": reno.get("contractor_phone"),
            "plan": reno.get("plan"), "start_date": reno.get("start"), "end_date": reno.get("end"),
            "permit_no": row.get("permit")}


@builder("renovation-round", key="rounds")
def renovation_round(ws: Workspace, view: View, round_id: str, as_of: date) -> dict[str, Any]:
    """The 装修巡查记录 of a renovation round: the works against the permit and the agreement, item
    by item, and what was found with the day it is to be put right by."""
    row = _round(view, round_id, log.RENOVATION)
    data = _common(view, row)
    data.update(_renovation(view, row), findings=_findings(view, row), note=row.get("note"))
    return {k: v for k, v in data.items() if v is not None}


@builder("renovation-finding", key="round_findings")
def renovation_finding(ws: Workspace, view: View, finding_id: str, as_of: date) -> dict[str, Any]:
    """The 装修整改通知书 of one finding of a renovation round: what was found, when and by whom,
    the agreement's clause it goes against, and the day to put it right by."""
    f = view.require("round_findings", finding_id, "finding")
    if f["kind"] != log.RENOVATION:
        raise InputError(f"finding {finding_id}: field kind: 托管巡查发现的问题由物业处理并告知业主，"
                         "不发整改通知书 (only a renovation finding gets a notice)")
    row = view.require("rounds", f["round"], "round")
    unit = view.require("units", f["unit"], "unit")
    owner = owner_of(view, unit)
    data = {"finding_id": f["id"], "round_id": row["id"], "unit": unit["id"], "unit_address": unit_address(unit),
            "owner_name": owner["name"], "found_on": f["found_on"], "found_time": row["at"][11:16],
            "patroller": row["by"], "item": f["item"], "finding": f["text"], "clause": f["clause"],
            "rectify_by": f["rectify_by"], **_renovation(view, row)}
    data.pop("plan", None)
    return {k: v for k, v in data.items() if v is not None}
