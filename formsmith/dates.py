"""The one check of a document date (--as-of, a dated field): the same for a single render
and for the month-end run, so that no command issues what another refuses."""
from __future__ import annotations

from datetime import date

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
