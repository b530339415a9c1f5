"""Renovations in the store: the authority's approval, and the data of the renovation documents.

A renovation row (table `renovations`) holds the unit, contractor, plan, whether the plan alters
the main structure, the period, the crew and — once recorded with `record_approval` — the
approval of the real-estate authority that a structural plan needs before any permit (§5).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ... import formats
from ...errors import InputError, NotFoundError
from ...lifecycle import now_iso
from ...formats import fen
from ...sources import builder, owner_of, unit_address
from ...store import View
from ...workspace import Workspace

DEFAULT_DEBRIS_RATE = "3.00"     # 元 per m² of floor area; [renovation] debris_rate overrides it


def find_renovation(view: View, unit_id: str) -> dict[str, Any]:
    """The unit's current renovation: the one that started last."""
    view.require("units", unit_id, "unit")
    rows = view.find("renovations", unit=unit_id)
    if not rows:
        raise NotFoundError(f"unit {unit_id}: no renovation on record (该房屋无装修登记；"
                            "see `formsmith records list renovations`)")
    return max(rows, key=lambda r: (r.get("start") or "", r["id"]))


def record_approval(ws: Workspace, renovation_id: str, *, authority: str, ref: str,
                    approved_on: date, by: str | None = None, today: date | None = None) -> dict[str, Any]:
    """Record the real-estate authority's approval of a renovation plan; returns the updated row.

    Refuses an unknown renovation, empty fields, a date in the future and a second approval
    (an approval on file is never overwritten).
    """
    authority, ref = (authority or "").strip(), (ref or "").strip()
    problems = [f"renovation {renovation_id}: field {name}: 不能为空 (required)"
                for name, v in (("authority（批准机关）", authority), ("ref（批准文号）", ref)) if not v]
    if approved_on > (today or date.today()):
        problems.append(f"renovation {renovation_id}: field date（批准日期）: "
                        f"{formats.cn_date(approved_on)}晚于今日 (in the future)")
    if problems:
        raise InputError("; ".join(problems))
    with ws.store.transaction() as tx:
        row = tx.require("renovations", renovation_id, "renovation")
        if row.get("authority_approval"):
            a = row["authority_approval"]
            raise InputError(f"renovation {renovation_id}: field authority_approval: 已登记批准文件 "
                             f"{a.get('ref')}（{a.get('authority')}，{a.get('date')}） (already recorded)")
        approval = {"authority": authority, "ref": ref, "date": approved_on.isoformat(),
                    "recorded_by": by or ws.clerk, "recorded_at": now_iso()}
        return tx.update("renovations", renovation_id, {"authority_approval": approval})


def _common(ws: Workspace, view: View, unit_id: str) -> tuple[dict, dict, dict[str, Any]]:
    row = find_renovation(view, unit_id)
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    data = {"renovation_id": row["id"], "unit": unit_id, "unit_address": unit_address(unit),
            "owner_name": owner["name"], "contractor": row.get("contractor")}
    return row, unit, {k: v for k, v in data.items() if v is not None}


def _approval(row: dict[str, Any]) -> dict[str, Any]:
    a = row.get("authority_approval") or {}
    return {"approval_authority": a.get("authority"), "approval_no": a.get("ref"),
            "approval_date": a.get("date")} if a else {}


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


@builder("renovation-agreement")
def agreement_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 装修管理协议 of the unit's renovation: owner (or agent), contractor, plan, period, fee."""
    row, unit, data = _common(ws, view, unit_id)
    owner = owner_of(view, unit)
    agent = view.get("parties", owner["agent"]) if owner.get("agent") else None
    debris = debris_fee(ws, unit)
    data.update(
        owner_id_number=owner.get("credit_code") if owner.get("kind") == "company" else owner.get("id_number"),
        owner_phone=owner.get("phone"), area=unit.get("area"),
        applicant_kind="委托代办" if agent else "业主本人",
        contractor_contact=row.get("contractor_contact"), contractor_phone=row.get("contractor_phone"),
        plan=row.get("plan"), structural_change=bool(row.get("structural_change")),
        start_date=row.get("start"), end_date=row.get("end"),
        debris_fee=str(debris), signing_date=as_of.isoformat())
    if agent:
        data.update(agent_name=agent["name"], agent_id_number=agent.get("id_number"),
                    power_of_attorney=agent.get("power_of_attorney"))
    return _drop_none(data)


@builder("renovation-permit")
def permit_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 装修施工许可证 of the unit's renovation, with the approval if one is recorded."""
    row, _, data = _common(ws, view, unit_id)
    data.update(plan=row.get("plan"), structural_change=bool(row.get("structural_change")),
                start_date=row.get("start"), end_date=row.get("end"),
                workers=row.get("workers") or len(row.get("crew") or []) or None,
                contractor_contact=row.get("contractor_contact"),
                contractor_phone=row.get("contractor_phone"), issue_date=as_of.isoformat(),
                **_approval(row))
    return _drop_none(data)


@builder("renovation-crew")
def passes_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """施工人员临时出入证 for every worker of the unit's renovation on record."""
    row, _, data = _common(ws, view, unit_id)
    crew = row.get("crew") or []
    if not crew:
        raise InputError(f"unit {unit_id}: renovation {row['id']}: field crew: 未登记施工人员名单，"
                         "无法制作出入证 (no workers on record)")
    data.pop("owner_name", None)
    data.update(valid_from=max(as_of.isoformat(), row.get("start") or ""), valid_to=row.get("end"),
                issue_date=as_of.isoformat(),
                workers=[_drop_none({k: w.get(k) for k in ("name", "id_number", "trade", "phone")})
                         for w in crew])
    return _drop_none(data)


@builder("renovation-debris")
def debris_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 装修垃圾清运费 receipt: floor area × the workspace's rate."""
    row, unit, data = _common(ws, view, unit_id)
    data.pop("contractor", None)
    data.update(payer=data.pop("owner_name"), area=unit.get("area"), rate=str(debris_rate(ws)),
                amount=str(debris_fee(ws, unit)), paid_on=as_of.isoformat())
    return _drop_none(data)


def debris_rate(ws: Workspace) -> Decimal:
    return formats.parse_money(str(ws.setting("renovation", "debris_rate", DEFAULT_DEBRIS_RATE)))


def debris_fee(ws: Workspace, unit: dict[str, Any]) -> Decimal:
    """Floor area × debris rate, to the fen (the debris-fee rule checks the same sum)."""
    return fen(Decimal(unit["area"]) * debris_rate(ws))
