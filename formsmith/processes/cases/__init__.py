"""Case records (报修、投诉、来电来访、走访): every case and each step of it, tracked to its deadline."""
from __future__ import annotations

from ...registry import Process, register
from . import agenda, imports, rules, sources  # noqa: F401  (imports registers the call and repair logs as sheet kinds;
#                                                 rules and sources register the builders and rules)
from .demo import demo_rows, story

PROCESS = register(Process("cases", "报修投诉来电走访",
                           "Case records (报修、投诉、来电来访、走访): every case and each step of it, tracked to its deadline.",
                           tables=("cases",), demo=demo_rows, story=story,
                           columns={"cases": ("id", "kind", "unit", "state", "category", "severity", "assignee",
                                              "opened_at", "description")},
                           indexes={"cases": ("unit",)}, agenda=agenda.agenda_items))
