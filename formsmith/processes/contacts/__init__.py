"""The contact log (催缴记录): calls, texts, home visits and hand deliveries, as they happened."""
from __future__ import annotations

from ...registry import Process, register
from .demo import demo_rows

PROCESS = register(Process("contacts", "催缴记录",
                           "The contact log (催缴记录): calls, texts, home visits and hand deliveries, as they happened.",
                           tables=("contacts",), demo=demo_rows,
                           columns={"contacts": ("id", "unit", "way", "at", "by", "result", "doc_no", "witness")},
                           indexes={"contacts": ("unit",)}))
