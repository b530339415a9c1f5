"""The demo's ledger: the fee schedule its charges follow, and the payments behind every charge
the demo shows as paid (taken over from the previous system: no receipt of ours)."""
from __future__ import annotations

from ... import fees


def demo_rows(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """One payment per unit and day of payment, clearing that day's charges."""
    by_day: dict[tuple[str, str], list[dict]] = {}
    for c in rows["charges"]:
        if c.get("paid_on"):
            by_day.setdefault((c["unit"], c["paid_on"]), []).append(c)
    owners = {u["id"]: u["owner"] for u in rows["units"]}
    names = {p["id"]: p["name"] for p in rows["parties"]}
    payments = []
    for n, ((unit, day), charges) in enumerate(sorted(by_day.items()), 1):
        pid = f"SK-H{n:06d}"
        total = sum(int(c["amount"].replace(".", "")) for c in charges)
        payments.append({"id": pid, "unit": unit, "paid_on": day, "amount": f"{total // 100}.{total % 100:02d}",
                         "method": "银行转账", "payer": names[owners[unit]], "by": "原收费系统",
                         "charges": [c["id"] for c in charges], "receipt": None, "state": "recorded",
                         "source": "历史收款（原收费系统导入，收据由原系统开具）"})
        for c in charges:
            c["payment"] = pid
    return {"payments": payments, "fees": fees.demo_schedule()}
