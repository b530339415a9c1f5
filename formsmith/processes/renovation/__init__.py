"""Renovation: agreement, permit, worker passes, debris fee; the works the law regulates and their approvals."""
from __future__ import annotations

from ...registry import Process, register
from . import forms, rules, sources  # noqa: F401  (importing them registers the builders and rules)
from .demo import demo_rows

PROCESS = register(Process("renovation", "装修管理", "Renovation: agreement, permit, worker passes, debris fee; the works the law regulates and their approvals.",
                           tables=("renovations",), demo=demo_rows,
                           columns={"renovations": ("id", "unit", "contractor", "structural_change", "start", "end")}))
