"""Units in custody: the 托管协议 with its 70 % fee and meter ceilings."""
from __future__ import annotations

from ...registry import Process, register
from . import rules, sources  # noqa: F401  (importing them registers the builders and rules)

PROCESS = register(Process("custody", "房屋托管", 'Units in custody: the 托管协议 with its 70 % fee and meter ceilings.',
                           tables=()))
