"""Move-in: registration, hand-over receipt, meter readings, inspection, repair order; the
agreements and papers of the move-in pack (前期物业服务合同, 临时管理规约, 授权委托书, 入住通知书, 会签单)."""
from __future__ import annotations

from ...registry import Process, register
from . import agreements, rules, sources  # noqa: F401  (importing them registers the builders and rules)

PROCESS = register(Process("movein", "入住办理", 'Move-in: registration, hand-over receipt, meter readings, inspection, repair order; agreements, power of attorney, move-in notice and sign-off sheet.',
                           tables=()))
