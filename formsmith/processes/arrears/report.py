"""Who owes what: per unit the months owed, the amount, the oldest charge and the last reminder sent."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Callable

from ...store import View

REMINDER_TEMPLATES = ("payment-notice", "dunning-letter", "legal-notice")   # 缴费通知, 催缴函, 律师函


@dataclass
class UnitArrears:
    """One unit's overdue charges as of a date."""

    unit: str
    owner: str
    owner_name: str
    owner_id_number: str
    months: int
    amount: Decimal
    items: int
    oldest_period: str
    oldest_due: str
    oldest_age_days: int
    last_reminder: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "owner": self.owner, "owner_name": self.owner_name,
                "owner_id_number": self.owner_id_number, "months": self.months,
                "amount": str(self.amount), "items": self.items, "oldest_period": self.oldest_period,
                "oldest_due": self.oldest_due, "oldest_age_days": self.oldest_age_days,
                "last_reminder": self.last_reminder}


def arrears(view: View, as_of: date, min_months: int = 1) -> list[UnitArrears]:
    """Units with unpaid charges due before `as_of` in at least `min_months` distinct months,
    most months first (then largest amount, then unit). One pass over charges and documents."""
    cutoff = as_of.isoformat()
    owed: dict[str, list[dict]] = {}
    for c in view.all("charges"):
        if not c.get("paid_on") and c.get("due", "") < cutoff:
            owed.setdefault(c["unit"], []).append(c)
    reminders: dict[str, dict] = {}
    for d in view.all("documents"):
        if d.get("template") in REMINDER_TEMPLATES and d.get("unit") and d.get("state") != "void":
            key = (d.get("issued_on") or "", d.get("created_at") or "")
            best = reminders.get(d["unit"])
            if best is None or key >= (best.get("issued_on") or "", best.get("created_at") or ""):
                reminders[d["unit"]] = d
    owing = {u: cs for u, cs in owed.items() if len({c["period"] for c in cs}) >= min_months}
    unit_of: Callable[[str], dict[str, Any] | None]
    party_of: Callable[[str], dict[str, Any] | None]
    if len(owing) > 100:        # many units: one pass over each table beats a lookup per unit
        units = {u["id"]: u for u in view.all("units")}
        parties = {p["id"]: p for p in view.all("parties")}
        unit_of, party_of = units.get, parties.get
    else:
        unit_of, party_of = (lambda i: view.get("units", i)), (lambda i: view.get("parties", i))
    out = []
    for unit_id, charges in owing.items():
        months = len({c["period"] for c in charges})
        unit = unit_of(unit_id) or {}
        owner = party_of(unit.get("owner") or "") or {}
        oldest = min(charges, key=lambda c: (c["due"], c["period"]))
        doc = reminders.get(unit_id)
        out.append(UnitArrears(
            unit=unit_id, owner=owner.get("id", ""), owner_name=owner.get("name", ""),
            owner_id_number=owner.get("id_number") or owner.get("credit_code") or "",
            months=months, amount=sum((Decimal(c["amount"]) for c in charges), Decimal("0.00")),
            items=len(charges), oldest_period=oldest["period"], oldest_due=oldest["due"],
            oldest_age_days=(as_of - date.fromisoformat(oldest["due"])).days,
            last_reminder=None if doc is None else {
                "doc_no": doc.get("doc_no"), "template": doc.get("template"),
                "issued_on": doc.get("issued_on"), "state": doc.get("state")}))
    out.sort(key=lambda a: (-a.months, -a.amount, a.unit))
    return out
