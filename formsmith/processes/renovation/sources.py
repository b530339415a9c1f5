"""Renovations in the store: the approvals on file, and the data of the renovation documents.

A renovation row (table `renovations`) holds the unit, contractor, plan, whether the plan alters
the main structure, the regulated works it is known to contain (`works`, codes of works.WORKS,
besides those its plan names), the period, the crew and — recorded with `record_approval` — the
approvals its works need before any permit, each of one kind (works.AUTHORITIES): the
real-estate authority's for a structural plan (§5), the planning authority's, the heating or gas
company's, a design unit's design scheme (《住宅室内装饰装修管理办法》第五条至第七条).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ... import fees, formats, model
from ...errors import InputError, NotFoundError
from ...lifecycle import now_iso
from ...formats import fen
from ...sources import builder, owner_of, unit_address
from ...store import View
from ...workspace import Workspace
from .works import AUTHORITIES, kinds_of

DEFAULT_DEBRIS_RATE = "3.00"     # 元 per m² of floor area; [renovation] debris_rate overrides it


def find_renovation(view: View, unit_id: str) -> dict[str, Any]:
    """The unit's current renovation: the one that started last."""
    view.require("units", unit_id, "unit")
    rows = view.find("renovations", unit=unit_id)
    if not rows:
        raise NotFoundError(f"unit {unit_id}: no renovation on record (该房屋无装修登记；"
                            "see `formsmith records list renovations`)")
    return max(rows, key=lambda r: (r.get("start") or "", r["id"]))


def approvals_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The approvals on file for a renovation, each with its `kind`, in the order recorded.

    `authority_approval`, where a store written before approvals had kinds keeps its one
    approval, is the real-estate authority's (the only approval recorded then)."""
    legacy = row.get("authority_approval")
    out = [dict(legacy, kind="housing")] if legacy else []
    return out + [dict(a) for a in row.get("approvals") or []]


def approval_of_kind(row: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((a for a in approvals_of(row) if a["kind"] == kind), None)


def record_approval(ws: Workspace, renovation_id: str, *, authority: str, ref: str,
                    approved_on: date, kind: str | None = None, by: str | None = None,
                    today: date | None = None) -> dict[str, Any]:
    """Record an approval of a renovation's plan (or a design unit's design scheme); returns the row.

    Its kind is what the authority's name says it is (works.kinds_of); `kind` chooses among
    several (江城燃气热力集团: gas or heating) and must fit the name. Refuses an unknown
    renovation, empty fields, a date in the future, a name of no known kind or not of `kind`,
    and a second approval of one kind (an approval on file is never overwritten).
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
        kind = _kind(renovation_id, authority, kind)
        on_file = approval_of_kind(row, kind)
        if on_file:
            a = on_file
            raise InputError(f"装修登记 {renovation_id}：字段 approvals（批准文件）：已登记批准文件 {a.get('ref')}"
                             f"（{a.get('authority')}，{a.get('date')}；{AUTHORITIES[kind].title}） (already recorded)")
        approval = {"kind": kind, "authority": authority, "ref": ref, "date": approved_on.isoformat(),
                    "recorded_by": by or ws.clerk, "recorded_at": now_iso()}
        return tx.update("renovations", renovation_id,
                         {"approvals": list(row.get("approvals") or []) + [approval]})


def record_acceptance(ws: Workspace, renovation_id: str, accepted_on: date, *, by: str | None = None,
                      today: date | None = None) -> dict[str, Any]:
    """Record the joint check after the works (装修完工后共同检查, 《装修管理协议》第七条): the
    renovation's works are accepted on `accepted_on`, and its rounds end that day. Refused: a
    date in the future or before the works started, a second acceptance."""
    where = f"renovation {renovation_id}: field date（完工验收日期）"
    if accepted_on > (today or date.today()):
        raise InputError(f"{where}: {formats.cn_date(accepted_on)}晚于今日 (in the future)")
    with ws.store.transaction() as tx:
        row = tx.require("renovations", renovation_id, "renovation")
        if row.get("accepted_on"):
            raise InputError(f"{where}: 已于{formats.cn_date(date.fromisoformat(row['accepted_on']))}登记完工验收 "
                             "(already recorded)")
        if row.get("start") and accepted_on.isoformat() < row["start"]:
            raise InputError(f"{where}: {formats.cn_date(accepted_on)}早于开工日期"
                             f"{formats.cn_date(date.fromisoformat(row['start']))} (before the works started)")
        return tx.update("renovations", renovation_id, {"accepted_on": accepted_on.isoformat(),
                                                        "accepted_by": by or ws.clerk, "accepted_at": now_iso()})


def _kind(renovation_id: str, authority: str, kind: str | None) -> str:
    """The kind of an approval: `kind`, which the authority's name must fit, or what the name says."""
    fits = kinds_of(authority)
    problem = None
    if kind is not None and kind not in AUTHORITIES:
        problem = (f"字段 kind（批准类别）：未知的批准类别“{kind}”，可选："
                   + "、".join(f"{k}（{a.title}）" for k, a in AUTHORITIES.items()) + " (unknown kind)")
    elif kind is not None and kind not in fits:
        problem = f"field authority（批准机关）: “{authority}”不是{AUTHORITIES[kind].title} (the name is not of that kind)"
    elif not fits:
        problem = (f"field authority（批准机关）: 无法从“{authority}”看出是哪类批准机关；应为"
                   + "、".join(a.title for a in AUTHORITIES.values())
                   + "之一，写全称（如江城市自然资源和规划局、江城港华燃气有限公司、江城市建筑设计研究院）"
                   " (an authority of no known kind)")
    elif kind is None and len(fits) > 1:
        problem = (f"字段 kind（批准类别）：“{authority}”可为" + "或".join(AUTHORITIES[k].title for k in fits)
                   + "，请用 --kind " + "/".join(fits) + " 指明批准的是哪一项 (say which kind)")
    if problem:
        raise InputError(f"renovation {renovation_id}: {problem}")
    return kind or fits[0]


def _common(ws: Workspace, view: View, unit_id: str) -> tuple[dict, dict, dict[str, Any]]:
    row = find_renovation(view, unit_id)
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    data = {"renovation_id": row["id"], "unit": unit_id, "unit_address": unit_address(unit),
            "owner_name": owner["name"], "contractor": row.get("contractor")}
    return row, unit, {k: v for k, v in data.items() if v is not None}


def _approval(row: dict[str, Any]) -> dict[str, Any]:
    """The real-estate authority's approval, printed as the structural plan's (the others: rules)."""
    a = approval_of_kind(row, "housing") or {}
    return {"approval_authority": a.get("authority"), "approval_no": a.get("ref"),
            "approval_date": a.get("date")} if a else {}


def issued_for(view: View, template: str, renovation_id: str) -> dict[str, Any] | None:
    """The last issued, not retired document of `template` (renovation-agreement,
    renovation-permit …) made for the renovation `renovation_id`, or None."""
    rows = view.find("documents", template=template,
                     where=lambda d: d.get("state") not in model.RETIRED
                     and (d.get("record") or {}).get("renovation_id") == renovation_id)
    return max(rows, key=lambda d: (d["issued_on"], d["year"], d["seq"])) if rows else None


def _doc_no(view: View, template: str, renovation_id: str) -> str | None:
    found = issued_for(view, template, renovation_id)
    return found["doc_no"] if found else None


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


@builder("renovation-agreement")
def agreement_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 装修管理协议 of the unit's renovation: owner (or agent), contractor, plan, period, fee."""
    row, unit, data = _common(ws, view, unit_id)
    owner = owner_of(view, unit)
    agent = view.get("parties", owner["agent"]) if owner.get("agent") else None
    debris = debris_fee(ws, unit, view)
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
                agreement_no=_doc_no(view, "renovation-agreement", row["id"]), **_approval(row))
    return _drop_none(data)


@builder("renovation-fire-safety")
def fire_safety_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 装修消防安全责任书 of the unit's renovation: owner, contractor and its site manager
    (the fire-safety person), plan and period."""
    row, unit, data = _common(ws, view, unit_id)
    owner = owner_of(view, unit)
    data.update(owner_phone=owner.get("phone"), contractor_contact=row.get("contractor_contact"),
                contractor_phone=row.get("contractor_phone"), plan=row.get("plan"),
                start_date=row.get("start"), end_date=row.get("end"), signing_date=as_of.isoformat())
    return _drop_none(data)


@builder("renovation-crew")
def passes_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """施工人员临时出入证 for every worker of the unit's renovation on record."""
    row, _, data = _common(ws, view, unit_id)
    crew = row.get("crew") or []
    if not crew:
        raise InputError(f"房屋 {unit_id}：装修登记 {row['id']}：字段 crew（施工人员）：未登记施工人员名单，"
                         "无法制作出入证 (no workers on record)")
    data.pop("owner_name", None)
    data.update(valid_from=max(as_of.isoformat(), row.get("start") or ""), valid_to=row.get("end"),
                issue_date=as_of.isoformat(), permit_no=_doc_no(view, "renovation-permit", row["id"]),
                workers=[_drop_none({k: w.get(k) for k in ("name", "id_number", "trade", "phone")})
                         for w in crew])
    return _drop_none(data)


@builder("renovation-debris")
def debris_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 装修垃圾清运费 receipt: floor area × the workspace's rate."""
    row, unit, data = _common(ws, view, unit_id)
    data.pop("contractor", None)
    data.update(payer=data.pop("owner_name"), area=unit.get("area"), rate=str(debris_rate(ws, view)),
                amount=str(debris_fee(ws, unit, view)), paid_on=as_of.isoformat())
    return _drop_none(data)


def debris_rate(ws: Workspace, view: View | None = None) -> Decimal:
    """The 装修垃圾清运费 rate: the recorded fee schedule's (what the handbook publishes), else
    the [renovation] debris_rate setting, else 3.00 元/m²."""
    scheduled = fees.find(view, "debris") if view is not None else None
    if scheduled is not None:
        return scheduled.rate
    return formats.parse_money(str(ws.setting("renovation", "debris_rate", DEFAULT_DEBRIS_RATE)))


def debris_fee(ws: Workspace, unit: dict[str, Any], view: View | None = None) -> Decimal:
    """Floor area × debris rate, to the fen (the debris-fee rule checks the same sum)."""
    return fen(Decimal(unit["area"]) * debris_rate(ws, view))
