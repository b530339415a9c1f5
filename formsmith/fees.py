"""The fee schedule (收费标准): one record set, used by everything that states a fee.

The rates the community charges live in the store's `fees` table, one row per line of the
published schedule. Billing checks (`ledger check`), the 住户手册's fee table, the custody
agreement's 70 %, the debris-fee receipt and the receipts all read them from here, so what is
published is what is billed (明码标价). A workspace with no schedule recorded states none: a
document that would print one takes it from its data and nothing contradicts it.

    id                 item                    rate    unit          basis
    property-highrise  物业服务费（高层住宅）     2.20    元/平方米·月    area
    custody-share      物业服务费（托管房屋）     0.70    全额的比例      share of the unit's rate
    parking            车位管理费                150.00  元/个·月        fixed per space
    debris             装修垃圾清运费            3.00    元/平方米       area, once
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from . import formats
from .errors import InputError
from .store import View

TABLE = "fees"
PROPERTY_FEE = "物业服务费"
PARKING_FEE = "车位管理费"
BASES = {"area": "按房屋建筑面积按月计收", "share": "按全额的比例计收", "fixed": "按月定额计收",
         "area-once": "按建筑面积一次性收取"}


@dataclass(frozen=True)
class Fee:
    """One line of the schedule."""

    id: str
    item: str            # as published: 物业服务费（高层住宅）
    charge_item: str     # as billed in `charges.item`: 物业服务费
    rate: Decimal
    unit: str            # 元/平方米·月
    basis: str           # area | share | fixed | area-once
    note: str = ""

    def as_row(self) -> dict[str, Any]:
        return {"id": self.id, "item": self.item, "charge_item": self.charge_item,
                "rate": str(self.rate), "unit": self.unit, "basis": self.basis, "note": self.note}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Fee":
        try:
            rate = Decimal(str(row["rate"]))
        except Exception:
            raise InputError(f"收费标准 {row.get('id')}：字段 rate（标准）：{row.get('rate')!r} 不是金额 (not an amount)") from None
        return cls(row["id"], row["item"], row.get("charge_item", row["item"]), rate,
                   row.get("unit", ""), row.get("basis", "fixed"), row.get("note", ""))


def schedule(view: View) -> list[Fee]:
    """The recorded schedule, in its published order (by id order of entry: `order`)."""
    rows = sorted(view.all(TABLE), key=lambda r: (r.get("order", 0), r["id"]))
    return [Fee.from_row(r) for r in rows]


def find(view: View, fee_id: str) -> Fee | None:
    row = view.get(TABLE, fee_id)
    return Fee.from_row(row) if row else None


def custody_share(view: View, default: Decimal) -> Decimal:
    """The share of the full fee a unit in custody pays (0.70 unless the schedule says)."""
    fee = find(view, "custody-share")
    return fee.rate if fee else default


def published_lines(view: View) -> list[dict[str, str]]:
    """The schedule as the handbook prints it: item, price, unit, note. A share (the custody
    fee) is printed as what it comes to for each property rate: 全额的70%，即 1.54 元."""
    fees = schedule(view)
    property_rates = [f for f in fees if f.basis == "area" and f.charge_item == PROPERTY_FEE]
    out = []
    for f in fees:
        if f.basis != "share":
            out.append({"item": f.item, "price": str(f.rate), "unit": f.unit,
                        "note": f.note or BASES.get(f.basis, "")})
            continue
        for p in property_rates:
            kind = p.item[p.item.find("（") + 1:p.item.rfind("）")] if "（" in p.item else ""
            item = f.item if len(property_rates) == 1 or not kind else f.item.replace("）", f"，{kind}）")
            out.append({"item": item, "price": str(formats.fen(p.rate * f.rate)), "unit": p.unit,
                        "note": f"按{p.item}全额的{int(f.rate * 100)}%计收" + (f"，{f.note}" if f.note else "")})
    return out


def custody_months(since: str | date, until: str | date | None = None) -> tuple[str, str | None]:
    """The months a custody agreement bills at the custody share, as ("YYYY-MM", "YYYY-MM" or
    None): from the month custody starts (the next one when it starts after the 1st: a month
    is billed at the share only when the whole month is in custody) up to, not including, the
    month the owner takes the unit back (the agreement: 自入住当月起按全额收取)."""
    start = since if isinstance(since, date) else date.fromisoformat(str(since)[:10])
    if start.day != 1:
        start = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    end = None
    if until:
        stop = until if isinstance(until, date) else date.fromisoformat(str(until)[:10])
        end = f"{stop.year:04d}-{stop.month:02d}"
    return f"{start.year:04d}-{start.month:02d}", end


def in_custody(unit: dict[str, Any], period: str | None = None) -> bool:
    """Whether `unit`'s 物业服务费 of `period` (YYYY-MM) is billed at the custody share: the
    months of its custody agreement (`custody.since`/`until`, custody_months); a unit marked
    in custody with no recorded start, and any unit for no period, by its status."""
    custody = unit.get("custody") or {}
    if period is None or not custody.get("since"):
        return unit.get("status") == "custody"
    first, stop = custody_months(custody["since"], custody.get("until"))
    return first <= period and (stop is None or period < stop)


def monthly_fee(view: View, unit: dict[str, Any], default_share: Decimal = Decimal("0.70"),
                period: str | None = None) -> Decimal:
    """What `unit` is billed for a month (`period`, YYYY-MM) as 物业服务费: area × its rate,
    × the custody share for the months its custody agreement covers (in_custody), to the fen
    (the rule the demo's and an import's charges follow)."""
    full = formats.fen(Decimal(str(unit["area"])) * Decimal(str(unit["fee_rate"])))
    if in_custody(unit, period):
        return formats.fen(full * custody_share(view, default_share))
    return full


def billing_problems(view: View, charges: list[dict[str, Any]] | None = None) -> list[str]:
    """Charges that do not follow the schedule: a unit whose rate is not a published one, a
    物业服务费 that is not area × rate (× the custody share), a 车位管理费 other than published.
    Empty when no schedule is recorded."""
    fees = schedule(view)
    if not fees:
        return []
    rates = {f.rate for f in fees if f.basis == "area" and f.charge_item == PROPERTY_FEE}
    parking = next((f.rate for f in fees if f.charge_item == PARKING_FEE), None)
    units = {u["id"]: u for u in view.all("units")}
    problems: list[str] = []
    for u in units.values():
        if u.get("fee_rate") is not None and Decimal(str(u["fee_rate"])) not in rates:
            problems.append(f"房屋 {u['id']}：字段 fee_rate（收费标准）：{u['fee_rate']} 元不是公示的物业服务费标准 "
                            f"（{'、'.join(formats.money(r) for r in sorted(rates))}）")
    for c in charges if charges is not None else view.all("charges"):
        unit = units.get(c["unit"])
        if unit is None:
            continue
        amount = Decimal(c["amount"])
        if c["item"] == PROPERTY_FEE and unit.get("fee_rate") is not None and unit.get("area") is not None:
            due = monthly_fee(view, unit, period=c.get("period"))
            if amount != due:
                problems.append(f"应收 {c['id']}：物业服务费 {formats.money(amount)} 元与收费标准不符，应为 "
                                f"{unit['area']}平方米 × {unit['fee_rate']}元"
                                + ("（托管）" if in_custody(unit, c.get("period")) else "")
                                + f" = {formats.money(due)} 元")
        elif c["item"] == PARKING_FEE and parking is not None and amount != parking:
            problems.append(f"应收 {c['id']}：车位管理费 {formats.money(amount)} 元与公示标准 "
                            f"{formats.money(parking)} 元不符")
    return problems


def demo_schedule() -> list[dict[str, Any]]:
    """The demo community's schedule: what its charges are billed at."""
    lines = [
        Fee("property-highrise", "物业服务费（高层住宅）", PROPERTY_FEE, Decimal("2.20"), "元/平方米·月", "area",
            "按房屋建筑面积计收，按月缴纳；含电梯运行维护费"),
        Fee("custody-share", "物业服务费（托管房屋）", PROPERTY_FEE, Decimal("0.70"), "全额的比例", "share",
            "托管期间适用"),
        Fee("parking", "车位管理费", PARKING_FEE, Decimal("150.00"), "元/个·月", "fixed", "按月缴纳"),
        Fee("debris", "装修垃圾清运费", "装修垃圾清运费", Decimal("3.00"), "元/平方米", "area-once",
            "按建筑面积一次性收取"),
    ]
    return [{**f.as_row(), "order": n} for n, f in enumerate(lines, 1)]
