"""The ledger (收费台账): payments clear charges, each with its 收款收据 from one controlled series;
the fee schedule every document states fees from (formsmith.fees)."""
from __future__ import annotations

from ...registry import Process, register
from . import rules  # noqa: F401  (importing it registers the rules)
from .demo import demo_rows, story

PROCESS = register(Process(
    "ledger", "收费台账",
    "The ledger: payments recorded at the counter or imported clear charges; receipts only for recorded payments.",
    tables=("payments", "fees"), demo=demo_rows, story=story,
    columns={"payments": ("id", "unit", "paid_on", "amount", "method", "receipt", "state"),
             "fees": ("id", "item", "rate", "unit", "basis")},
    indexes={"payments": ("unit",)}))
