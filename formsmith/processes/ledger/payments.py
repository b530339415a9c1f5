"""Payments: what the counter takes in, the charges it clears and the receipt it gets.

`pay()` records a payment, clears the charges it covers and issues its 收款收据, all in the one
store transaction that records the receipt: either the money, the cleared charges and the
receipt are all on record, or none is. A receipt is only ever issued for a recorded payment
(the fee-receipt rule refuses a data file), from one series. `void_receipt()` takes a receipt
back: the document becomes void with the reason, its 作废 copy (the receipt stamped 作废 with
the reason, X.void.pdf) is filed beside it, the payment is void, its charges owed again.

The amount the clerk enters must be the sum of the charges cleared: no partial payment is
recorded against a charge (the accountant reconciles 收据 with 应收 charge by charge).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ... import documents, formats, issuing, lifecycle
from ...errors import InputError, StateError
from ...files import sha256_file
from ...render.stamp import write_stamped_copy
from ...sources import owner_of, unit_address, unit_rows
from ...store import Transaction, View
from ...workspace import Workspace, relative_to_workspace

METHODS = ("现金", "微信支付", "支付宝", "银行卡", "银行转账")
VOID_SUFFIX = ".void.pdf"
TEMPLATE = "fee-receipt"


@dataclass
class Payment:
    """A recorded payment and its receipt."""

    payment: dict[str, Any]
    receipt: issuing.IssuedDocument

    def as_dict(self) -> dict[str, Any]:
        return {"payment": self.payment, "receipt": self.receipt.as_dict()}


def open_charges(view: View, unit_id: str, *, through: str | None = None,
                 items: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The unit's unpaid charges (of `items`, up to period `through`), oldest first."""
    rows = [c for c in unit_rows(view, "charges", unit_id) if not c.get("paid_on")
            and (through is None or c["period"] <= through) and (not items or c["item"] in items)]
    return sorted(rows, key=lambda c: (c["period"], c["item"]))


def receipt_lines(charges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Charges as receipt lines: one per item and run of consecutive months, with its sum."""
    lines: list[dict[str, Any]] = []
    for item in dict.fromkeys(c["item"] for c in charges):
        periods = sorted((c["period"], Decimal(c["amount"])) for c in charges if c["item"] == item)
        run: list[tuple[str, Decimal]] = []
        for period, amount in periods:
            if run and _next_month(run[-1][0]) != period:
                lines.append(_line(item, run))
                run = []
            run.append((period, amount))
        lines.append(_line(item, run))
    return lines


def _next_month(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def _line(item: str, run: list[tuple[str, Decimal]]) -> dict[str, Any]:
    return {"item": item, "period_from": run[0][0], "period_to": run[-1][0],
            "amount": str(sum((a for _, a in run), Decimal("0.00")))}


def receipt_data(view: View, payment: dict[str, Any], charges: list[dict[str, Any]]) -> dict[str, Any]:
    """The 收款收据 of `payment`: what it states comes from the payment and its charges."""
    unit = view.require("units", payment["unit"], "unit")
    return {"receipt_date": payment["paid_on"], "unit": unit["id"], "unit_address": unit_address(unit),
            "payer": payment["payer"], "items": receipt_lines(charges), "total": payment["amount"],
            "payment_method": payment["method"], "payee": payment["by"], "payment": payment["id"],
            "remark": payment.get("remark") or ""}


def pay(ws: Workspace, unit_id: str, amount: Decimal | str, *, method: str, paid_on: date | None = None,
        through: str | None = None, items: tuple[str, ...] = (), payer: str | None = None,
        by: str | None = None, remark: str = "") -> Payment:
    """Record that `unit_id` paid `amount` by `method`: clears its open charges (of `items`, up to
    `through`, oldest first) that add up to `amount`, and issues the receipt; one transaction."""
    by = by or ws.clerk
    paid_on = paid_on or date.today()
    if method not in METHODS:
        raise InputError(f"收款 {unit_id}：字段 method（收款方式）：{method!r} 应为 {'、'.join(METHODS)} 之一")
    try:
        amount = formats.parse_money(str(amount))
    except ValueError as exc:
        raise InputError(f"收款 {unit_id}：字段 amount（实收金额）：{exc}") from None
    with ws.store.snapshot() as view:
        unit = view.require("units", unit_id, "unit")
        owner = owner_of(view, unit)
        charges = open_charges(view, unit_id, through=through, items=items)
        if not charges:
            what = (f"{'、'.join(items)} " if items else "") + (f"{formats.cn_month(through)}及以前" if through else "")
            raise InputError(f"收款 {unit_id}：没有未缴的应收费用{('（' + what + '）') if what else ''}可结清 "
                             "(no open charges to clear)")
        total = sum((Decimal(c["amount"]) for c in charges), Decimal("0.00"))
        if amount != total:
            listed = "；".join(f"{c['item']} {formats.cn_month(c['period'])} {formats.money(c['amount'])}元"
                              for c in charges[:6]) + ("……" if len(charges) > 6 else "")
            raise InputError(f"收款 {unit_id}：字段 amount（实收金额）：{formats.money(amount)}元与应结清的"
                             f"{len(charges)}笔应收合计{formats.money(total)}元不符（{listed}）；不登记部分缴费，"
                             "可用 --through 月份 或 --item 项目 选定要结清的费用")
        payment = {"id": "", "unit": unit_id, "paid_on": paid_on.isoformat(), "amount": str(total),
                   "method": method, "payer": payer or owner["name"], "by": by,
                   "charges": [c["id"] for c in charges], "remark": remark}
        data = receipt_data(view, {**payment, "id": "（收据号）"}, charges)
    data.pop("payment")

    def record(tx: Transaction, doc: dict[str, Any]) -> None:
        """In the receipt's own transaction: the charges are still open (another clerk did not
        take the same money meanwhile), then the payment is recorded and they are cleared."""
        for c in charges:
            now = tx.get("charges", c["id"])
            if now is None or now.get("paid_on") or now["amount"] != c["amount"]:
                raise InputError(f"收款 {unit_id}：应收 {c['id']} 已于{(now or {}).get('paid_on')}结清或已变更，"
                                 "本次收款未登记 (the charge changed meanwhile; nothing recorded)")
        pid = "SK" + doc["doc_no"].removeprefix("No.")
        row = {**payment, "id": pid, "receipt": doc["doc_no"], "receipt_doc_id": doc["doc_id"],
               "state": "recorded", "recorded_at": lifecycle.now_iso()}
        tx.insert("payments", row)
        for c in charges:
            tx.update("charges", c["id"], {"paid_on": payment["paid_on"], "receipt": doc["doc_no"],
                                           "payment": pid})
        payment.update(row)

    receipt = issuing.issue_document(ws, TEMPLATE, data=data, as_of=paid_on, by=by,
                                     source_name=f"收款 {unit_id}", origin="ledger", on_record=record)
    return Payment(payment, receipt)


def void_receipt(ws: Workspace, doc_no: str, *, reason: str, by: str | None = None) -> dict[str, Any]:
    """Take receipt `doc_no` back: it becomes void with `reason`, its payment void, and the
    charges it cleared owed again — one transaction. Returns the voided payment."""
    by = by or ws.clerk
    if not reason.strip():
        raise InputError(f"{doc_no}：字段 reason（作废原因）：作废收据须写明原因")
    with ws.store.transaction() as tx:
        doc = documents.find(tx, doc_no)
        if doc["template"] != TEMPLATE:
            raise InputError(f"{doc['doc_no']}：不是收款收据（{doc['title']}），不能按收据作废")
        found = tx.find("payments", where=lambda p: p.get("receipt") == doc["doc_no"])
        if not found:
            raise InputError(f"{doc['doc_no']}：没有对应的收款记录")
        payment = found[0]
        if payment.get("state") == "void":
            raise StateError(f"{doc['doc_no']}：已于{payment['voided']['at']}作废")
        voided = {"at": lifecycle.now_iso(), "by": by, "reason": reason}
        # The 作废 copy: the receipt as issued with 作废 across every page and why, beside it
        # (the issued file itself is never changed); recorded with the void in one commit.
        issued = ws.root / doc["path"]
        copy = issued.with_name(issued.stem + VOID_SUFFIX)
        note = (f"收据 {doc['doc_no']} 已于{formats.cn_date(voided['at'][:10])}作废（经办：{by}）。"
                f"作废原因：{reason}")
        write_stamped_copy(issued, copy, "作 废", note, ws.fonts)
        version = {"kind": "void", "path": relative_to_workspace(ws, copy), "sha256": sha256_file(copy),
                   "created_at": voided["at"], "by": by, "reason": reason}
        changes = documents.transition(doc, "void", by, reason)
        changes["versions"] = doc.get("versions", []) + [version]
        tx.update("documents", doc["id"], changes)
        for cid in payment["charges"]:
            tx.update("charges", cid, {"paid_on": None, "receipt": None, "payment": None})
        return tx.update("payments", payment["id"], {"state": "void", "voided": {**voided,
                                                                                  "copy": version["path"]}})


def ledger(ws: Workspace, unit_id: str) -> dict[str, Any]:
    """The unit's account per period: 应收, 实收 and 欠费, each paid charge with its receipt; the
    totals reconcile with the receipts (sum of the recorded payments)."""
    with ws.store.snapshot() as view:
        view.require("units", unit_id, "unit")
        charges = sorted(unit_rows(view, "charges", unit_id), key=lambda c: (c["period"], c["item"]))
        payments = [p for p in view.find("payments", unit=unit_id) if p.get("state") != "void"]
    periods: dict[str, dict[str, Any]] = {}
    for c in charges:
        p = periods.setdefault(c["period"], {"period": c["period"], "billed": Decimal("0.00"),
                                             "paid": Decimal("0.00"), "owed": Decimal("0.00"), "lines": []})
        amount = Decimal(c["amount"])
        p["billed"] += amount
        p["paid" if c.get("paid_on") else "owed"] += amount
        p["lines"].append({"item": c["item"], "amount": c["amount"], "paid_on": c.get("paid_on"),
                           "receipt": c.get("receipt")})
    rows = [{**p, "billed": str(p["billed"]), "paid": str(p["paid"]), "owed": str(p["owed"])}
            for p in periods.values()]
    received = sum((Decimal(p["amount"]) for p in payments), Decimal("0.00"))
    receipted = sum((Decimal(c["amount"]) for c in charges if c.get("payment")), Decimal("0.00"))
    return {"unit": unit_id, "periods": rows,
            "billed": str(sum((Decimal(c["amount"]) for c in charges), Decimal("0.00"))),
            "paid": str(sum((Decimal(c["amount"]) for c in charges if c.get("paid_on")), Decimal("0.00"))),
            "owed": str(sum((Decimal(c["amount"]) for c in charges if not c.get("paid_on")), Decimal("0.00"))),
            "received": str(received), "cleared_by_payments": str(receipted),
            "payments": [{k: p.get(k) for k in ("id", "paid_on", "amount", "method", "receipt")} for p in payments]}
