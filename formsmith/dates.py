"""The one check of a document date (--as-of, a dated field): the same for a single render
and for the month-end run, so that no command issues what another refuses; and the one reading
of the time an event happened (a case's step, a round), the same in every log."""
from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Callable

EARLIEST = date(2000, 1, 1)     # 物催字〔1〕1号 is a typo, not a letter
PLAN_YEARS = 10                 # how far ahead a dry run or a status may look


def date_problem(value: date, *, plan: bool = False, today: date | None = None) -> str | None:
    """Why `value` cannot date a document (in Chinese), or None.

    Documents are dated from 2000 up to today; a command that issues nothing (a dry run, a
    status) may look up to PLAN_YEARS ahead."""
    today = today or date.today()
    latest = date(today.year + PLAN_YEARS, 12, 31) if plan else today
    if EARLIEST <= value <= latest:
        return None
    bound = f"{EARLIEST.isoformat()} 至 {latest.isoformat()}" + ("" if plan else "（今天）")
    why = "" if plan or value < EARLIEST else "；文书不能签发在今天之后的日期（预览可加 --dry-run）"
    return f"文书日期 {value.isoformat()} 不在合理范围内（{bound}）{why}"


def check_as_of(value: date | None, option: str = "--as-of", *, plan: bool = False) -> None:
    """Refuse an --as-of outside date_problem's range (None: today, always fine)."""
    if value is None:
        return
    problem = date_problem(value, plan=plan)
    if problem:
        from .errors import InputError
        raise InputError(f"{option} {value.isoformat()}：{problem}")


_MOMENT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?$")


def happened_at(value: Any, now: datetime, refuse: Callable[[str, str], Exception], field: str = "at",
                only: str = "只登记已经发生的事") -> datetime:
    """When an event happened: "2025-12-03T10:30" (a date alone: 00:00 of that day), to the
    minute; `now` when None. Refused through `refuse(field, problem)` (the log's own one line
    naming its record): another shape, an impossible date, before EARLIEST, later than `now`
    (`only` says what the log records)."""
    now = now.replace(second=0, microsecond=0)
    if value is None:
        return now
    if isinstance(value, datetime):
        at = value.replace(second=0, microsecond=0, tzinfo=None)
    elif isinstance(value, date):
        at = datetime.combine(value, time())
    else:
        m = _MOMENT.match(str(value).strip())
        try:
            if not m:
                raise ValueError
            y, mo, d, h, mi = (int(g) if g else 0 for g in m.groups())
            at = datetime(y, mo, d, h, mi)
        except ValueError:
            raise refuse(field, f"{value!s} 不是有效时间，应为 YYYY-MM-DDTHH:MM，如 2025-12-03T10:30 "
                                "(expected a date and time)") from None
    if at > now:
        raise refuse(field, f"{at:%Y-%m-%dT%H:%M} 晚于现在（{now:%Y-%m-%dT%H:%M}）：{only} (in the future)")
    if at.date() < EARLIEST:
        raise refuse(field, f"{at:%Y-%m-%dT%H:%M} 早于 {EARLIEST.isoformat()} (too early)")
    return at
