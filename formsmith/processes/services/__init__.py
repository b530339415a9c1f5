"""Service: satisfaction survey, repair callback, complaint record, release pass, receipts."""
from __future__ import annotations

from ...registry import Process, register
from . import rules, sources  # noqa: F401  (importing them registers the builders and rules)
from .demo import demo_rows

PROCESS = register(Process("services", "客户服务", 'Service: satisfaction survey, repair callback, complaint record, release pass, receipts.',
                           tables=("repairs",), demo=demo_rows,
                           columns={"repairs": ("id", "unit", "category", "status", "reported_at", "description")}))
