"""Data of the arrears notices from the store: the unit, its owner, its overdue charges, how to
pay, and (for the 催缴函 and the 法律催告函) the demands and contacts made before (PROCESSES.md
§4). Every statement a letter makes about the past comes from a record read here (issue 16)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ... import formats
from ...errors import InputError
from ...sources import builder, owner_of, unit_address
from ...store import View
from ...workspace import Workspace
from .policy import dunned_charges, prior_contacts, prior_demands

LETTER_PRIORS = ("payment-notice", "dunning-letter")
LEGAL_PRIORS = ("payment-notice", "dunning-letter", "legal-notice")
PAYMENT_FIELDS = {"account_name": "pay_account_name", "bank": "pay_bank", "account_no": "pay_account_no",
                  "transfer_note": "pay_note", "payment_qr": "pay_qr"}


def postal_address(ws: Workspace, unit: dict) -> str:
    """The unit as a postal address: the community's address of formsmith.toml ([company]
    community_address: 省/市/区/路) before 阳光花园1栋2单元301室, for units of that community."""
    address = unit_address(unit)
    company = ws.company
    if company.community_address and unit.get("community") in (company.community, None, ""):
        return company.community_address + address
    return address


def delivery_address(ws: Workspace, owner: dict, unit: dict) -> str:
    """Where a letter to the owner goes: the agreed service address (约定送达地址) when the
    owner has one, else the owner's own mailing address as written, else the unit's postal
    address."""
    for key in ("service_address", "mailing_address"):
        value = str(owner.get(key) or "").strip()
        if value:
            return value
    return postal_address(ws, unit)


def _base(ws: Workspace, view: View, unit_id: str, as_of: date, days_key: str, days_default: int) -> dict[str, Any]:
    """What every arrears notice says: the unit, its owner, every overdue charge, the days to
    pay (counted from receipt), how to pay."""
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    charges = dunned_charges(view, unit_id, as_of)
    if not charges:
        raise InputError(f"房屋 {unit_id}：截至{formats.cn_date(as_of)}无逾期欠费（物业服务费），不出具催缴文书"
                         " (no overdue charges)")
    data: dict[str, Any] = {
        "unit": unit_id,
        "unit_address": unit_address(unit),
        "area": unit.get("area"),
        "owner_name": owner["name"],
        "owner_kind": "单位" if owner["kind"] == "company" else "个人",
        "mailing_address": delivery_address(ws, owner, unit),
        "phone": owner.get("phone"),
        "items": [{"period": c["period"], "item": c["item"], "amount": c["amount"], "due": c["due"]}
                  for c in charges],
        "total": str(sum((Decimal(c["amount"]) for c in charges), Decimal("0.00"))),
        "as_of": as_of.isoformat(),
        "deadline_days": int(ws.setting("dunning", days_key, days_default)),
        "contract": ws.company.contract,
    }
    for key, field in PAYMENT_FIELDS.items():
        if ws.payment.get(key):
            data[field] = ws.payment[key]
    return data


@builder("unit-notice")
def unit_notice(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """Data of a 缴费通知单: the unit, its owner and every overdue charge."""
    return _base(ws, view, unit_id, as_of, "deadline_days", 15)


@builder("unit-arrears")
def unit_arrears(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """Data of a 催缴函: the arrears, the earlier notices and letters with what each demanded
    and its recorded delivery, and the recorded calls, texts and visits."""
    data = _base(ws, view, unit_id, as_of, "deadline_days", 15)
    demands = prior_demands(view, ws, unit_id, as_of, LETTER_PRIORS)
    contacts = prior_contacts(view, ws, unit_id, as_of)
    if demands:
        data["prior_demands"] = demands
    if contacts:
        data["contacts"] = contacts
    return data


@builder("unit-legal")
def unit_legal(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """Data of a legal notice: the arrears, and every earlier notice and letter with what it
    demanded and its recorded delivery; refused unless one of them is proven delivered."""
    data = _base(ws, view, unit_id, as_of, "legal_deadline_days", 7)
    data["prior_demands"] = prior_demands(view, ws, unit_id, as_of, LEGAL_PRIORS)
    contacts = prior_contacts(view, ws, unit_id, as_of)
    if contacts:
        data["contacts"] = contacts
    if not any(d.get("delivered_on") for d in data["prior_demands"]):
        unproven = [d["doc_no"] for d in data["prior_demands"] if d["doc_no"]]
        which = f"（{'、'.join(unproven)} 均无送达凭据：妥投日期，或直接送达/留置送达的催缴记录）" if unproven else ""
        raise InputError(f"房屋 {unit_id}：字段 prior_demands（已送达的催缴函）：无已送达的催缴函，不能发法律催告函{which} "
                         "(no earlier demand recorded as delivered)")
    return data
