"""Community: notices for the board (停水停电通知, 温馨提示) and the first owners' assembly
(会议通知, 表决票, 计票结果公告), with the thresholds of 民法典 第二百七十八条 computed from the
store; the convenience services' price list (便民服务项目及收费公示); community events (文化活动方案,
签到表)."""
from __future__ import annotations

from ...registry import Process, register
from . import assembly, events, notices, services, tally  # noqa: F401  (importing them registers the builders and rules)

PROCESS = register(Process("community", "社区事务",
                           "Community: board notices (water/power cuts, reminders); the first owners' assembly: "
                           "its notice, ballots and the count's result, with the areas and persons the law counts; "
                           "the convenience services' price list; community events: plan and sign-in sheet.",
                           tables=()))
