"""Printing from cases: which documents a case of each kind has, and issuing one of them (or a
day's register or log) through the one issue path (formsmith.issuing, `--record` builders)."""
from __future__ import annotations

from datetime import date
from typing import Any

from ... import issuing
from ...errors import InputError
from ...workspace import Workspace
from . import log

# kind → the documents printed from one case of it; the first is printed when none is named.
CASE_TEMPLATES: dict[str, tuple[str, ...]] = {
    log.REPAIR: ("repair-order", "paid-repair", "repair-callback"),
    log.COMPLAINT: ("complaint-record", "complaint-reply"),
    log.VISIT: ("visit-record",),
    log.INQUIRY: (),
}
# The documents of a day (or a period) of cases; the first is printed when none is named.
DAY_TEMPLATES = ("service-log", "inquiry-register")


def print_case(ws: Workspace, case: str, template: str | None = None, *, as_of: date | None = None,
               **issue: Any) -> issuing.IssuedDocument:
    """Issue `template` (default: the case kind's first) from case `case`; `issue` goes to
    issuing.issue_document (by, again, replaces, out, engine)."""
    with ws.store.snapshot() as view:
        row = log._find(view, case)
    allowed = CASE_TEMPLATES[row["kind"]]
    if not allowed:
        raise InputError(f"{row['id']}：来电来访按日或期间登记，不单独打印：formsmith cases log --day "
                         f"{row['opened_at'][:10]} --as inquiry-register")
    chosen = template or allowed[0]
    if chosen not in allowed:
        raise InputError(f"{row['id']}：{log.KINDS[row['kind']]}案件可打印 {'、'.join(allowed)}，不能打印 {chosen}")
    return issuing.issue_document(ws, chosen, record=row["id"], as_of=as_of, **issue)


def print_days(ws: Workspace, first: date, last: date | None = None, template: str | None = None, *,
               as_of: date | None = None, **issue: Any) -> issuing.IssuedDocument:
    """Issue the day document `template` (default the 客服工作日志) of `first` (to `last`, for
    the 来电来访登记表 of a period)."""
    chosen = template or DAY_TEMPLATES[0]
    if chosen not in DAY_TEMPLATES:
        raise InputError(f"--as {chosen}：按日打印的是 {'、'.join(DAY_TEMPLATES)}")
    if last is not None and last != first and chosen == "service-log":
        raise InputError("客服工作日志按日记录：只给 --day，或用 --as inquiry-register 打印一段期间的登记表")
    key = first.isoformat() if last is None or last == first else f"{first.isoformat()}..{last.isoformat()}"
    return issuing.issue_document(ws, chosen, record=key, as_of=as_of, **issue)
