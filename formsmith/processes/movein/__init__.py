"""Move-in: registration, hand-over receipt, meter readings, inspection, repair order."""
from __future__ import annotations

from ...registry import Process, register
from . import rules, sources  # noqa: F401  (importing them registers the builders and rules)

PROCESS = register(Process("movein", "入住办理", 'Move-in: registration, hand-over receipt, meter readings, inspection, repair order.',
                           tables=()))
