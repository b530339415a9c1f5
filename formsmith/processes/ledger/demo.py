"""The demo's ledger: the fee schedule its charges follow, and the payments behind every charge
the demo shows as paid (taken over from the previous system: no receipt of ours)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ... import fees
from ...sheets.importer import payment_id


def demo_rows(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """One payment per unit and day of payment, clearing that day's charges."""
    by_day: dict[tuple[str, str], list[dict]] = {}
    for c in rows["charges"]:
        if c.get("paid_on"):
            by_day.setdefault((c["unit"], c["paid_on"]), []).append(c)
    owners = {u["id"]: u["owner"] for u in rows["units"]}
    names = {p["id"]: p["name"] for p in rows["parties"]}
    payments = []
    for (unit, day), charges in sorted(by_day.items()):
        pid = payment_id(unit, day)           # as an import of the same payments names it
        total = sum(int(c["amount"].replace(".", "")) for c in charges)
        payments.append({"id": pid, "unit": unit, "paid_on": day, "amount": f"{total // 100}.{total % 100:02d}",
                         "method": "银行转账", "payer": names[owners[unit]], "by": "原收费系统",
                         "charges": [c["id"] for c in charges], "receipt": None, "state": "recorded",
                         "source": "历史收款（原收费系统导入，收据由原系统开具）"})
        for c in charges:
            c["payment"] = pid
    return {"payments": payments, "fees": fees.demo_schedule()}


def story(ws: Any, as_of: date) -> list[dict[str, Any]]:
    """An owner a month behind comes to the counter on the demo's date and pays by WeChat: the
    charge is cleared and 收款收据 No.…000001 issued. Not again when it is on record."""
    from ... import demo
    from . import payments
    with ws.store.snapshot() as view:
        done = [p for p in view.all("payments") if p.get("receipt")]
        if done:
            return [demo.issued_row(d) for p in done for d in view.find("documents", doc_no=p["receipt"])]
        owing: dict[str, list[dict]] = {}
        for c in view.all("charges"):
            if not c.get("paid_on") and c["due"] < as_of.isoformat():
                owing.setdefault(c["unit"], []).append(c)
        unit = min(u for u, cs in owing.items() if len({c["period"] for c in cs}) == 1)
        amount = sum((Decimal(c["amount"]) for c in owing[unit]), Decimal("0.00"))
    paid = payments.pay(ws, unit, amount, method="微信支付", paid_on=as_of, by=ws.clerk)
    return [paid.receipt.as_dict()]
