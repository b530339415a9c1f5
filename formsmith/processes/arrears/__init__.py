"""Overdue fees: 缴费通知单 → 催缴函 → 法律催告函, the month-end run, print files, courier lists, tracking."""
from __future__ import annotations

from ...registry import Process, register
from . import policy, rules, sources  # noqa: F401  (importing them registers the builders and rules)
from .demo import story

PROCESS = register(Process("arrears", "欠费催缴", 'Overdue fees: 缴费通知单 → 催缴函 → 法律催告函, the month-end run, print files, courier lists, tracking.',
                           tables=(), story=story))
