"""Community: notices for the board (停水停电通知, 温馨提示) and the first owners' assembly
(会议通知, 表决票), with the thresholds of 民法典 第二百七十八条 computed from the store."""
from __future__ import annotations

from ...registry import Process, register
from . import assembly, notices  # noqa: F401  (importing them registers the builders and rules)

PROCESS = register(Process("community", "社区事务",
                           "Community: board notices (water/power cuts, reminders); the first owners' assembly: "
                           "its notice and ballots, with the areas and persons the law counts.",
                           tables=()))
