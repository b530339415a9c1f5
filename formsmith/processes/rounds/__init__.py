"""Rounds (巡查): custody units weekly and before and after heavy rain, renovations under way;
the schedule from the store, each round with its findings, and the 整改通知书 of a finding."""
from __future__ import annotations

from ...registry import Process, register
from . import log, rules, sources  # noqa: F401  (importing them registers the builders and rules)
from .demo import demo_rows, story

PROCESS = register(Process(
    "rounds", "巡查",
    "Rounds (巡查): custody units weekly and before and after heavy rain, renovations under way; "
    "the schedule from the store, each round with its findings, and the 整改通知书 of a finding.",
    tables=("rounds", "round_findings", "rain_warnings"), demo=demo_rows, story=story,
    columns={"rounds": ("id", "kind", "unit", "purpose", "at", "by", "due", "late_days", "findings"),
             "round_findings": ("id", "round", "unit", "item", "text", "rectify_by"),
             "rain_warnings": ("id", "issued_at", "rain_from", "rain_to", "level", "source")},
    indexes={"rounds": ("unit",)}, agenda=log.agenda_items))
