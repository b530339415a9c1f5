"""The rounds of the demo community since its custody units were handed over (2025-03-01): every
custody unit patrolled each Monday (one round of November two days late) and before and after
the heavy rain of 15-16 November, so that on the demo's day (a Monday) each is due again; on that
day a renovation round of ZX2025-001 finds works outside its plan, and its 整改通知书 is issued.

Built with the same moves as the library (log.new_round), from fixed times: no random draw."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from . import log

WARNING = {"id": "YJ2025-0001", "issued_at": "2025-11-14T07:30", "rain_from": "2025-11-15", "rain_to": "2025-11-16",
           "level": "暴雨黄色预警", "source": "江城市气象台", "by": "王敏"}
FIRST_MONDAY = date(2025, 3, 3)
LAST_MONDAY = date(2025, 11, 24)
WEEKLY = tuple(f"{FIRST_MONDAY + timedelta(weeks=k):%Y-%m-%d}T09:30"
               for k in range((LAST_MONDAY - FIRST_MONDAY).days // 7 + 1)
               if FIRST_MONDAY + timedelta(weeks=k) != date(2025, 11, 17))   # that Monday: the after-rain round
RAIN = (("before", "2025-11-14T15:00"), ("after", "2025-11-17T09:00"))
LATE_UNIT = 2                      # the third custody unit's round of 11-10 is made on 11-12
LATE_DAY = "2025-11-10T09:30"
LATE_AT = "2025-11-12T16:00"
PATROLLER = "刘强"
RENOVATION = "ZX2025-001"
PERMIT_ON = date(2025, 11, 6)     # before the works start (11-10), the day of the template's example permit
RENOVATION_ROUNDS = tuple(f"{date(2025, 11, 12) + timedelta(days=3 * k):%Y-%m-%d}T14:00" for k in range(7))  # …11-30
RENOVATION_ROUND = "2025-12-01T10:00"
RENOVATION_FINDING = "施工内容：卫生间与卧室之间的隔墙已被拆除，不在申报的装修内容（厨卫翻新、墙面刷新、更换地板）之内"


def _recorded(at: str) -> str:
    return f"{datetime.fromisoformat(at) + timedelta(minutes=20):%Y-%m-%dT%H:%M:%S}+08:00"


class _Rows:
    """Just enough of a store View over the demo's rows for log.new_round."""

    def __init__(self, rows: dict[str, list[dict]]):
        self.rows = rows

    def get(self, table: str, row_id: str) -> dict | None:
        return next((dict(r) for r in self.rows.get(table, []) if r["id"] == row_id), None)

    def find(self, table: str, **equals: Any) -> list[dict]:
        return [dict(r) for r in self.rows.get(table, []) if all(r.get(k) == v for k, v in equals.items())]

    def all(self, table: str) -> list[dict]:
        return [dict(r) for r in self.rows.get(table, [])]


def demo_rows(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The custody rounds of November and the rain warning, numbered in the order they were made."""
    custody = [u["id"] for u in rows["units"] if u.get("status") == "custody"]
    plan: list[tuple[str, str, str | None]] = []          # (at, unit, rain)
    for k, unit in enumerate(custody):
        for at in WEEKLY:
            plan.append((LATE_AT if k == LATE_UNIT and at == LATE_DAY else at, unit, None))
        for when, at in RAIN:
            plan.append((at, unit, when))
    view: Any = _Rows({"units": rows["units"], "renovations": rows.get("renovations", []), "documents": [],
                  "rain_warnings": [dict(WARNING, rain_to=WARNING["rain_to"], recorded_at=_recorded(WARNING["issued_at"]))],
                  "rounds": [], "round_findings": []})
    for n, (at, unit, rain) in enumerate(sorted(plan, key=lambda p: (p[0], p[1], p[2] or "")), 1):
        findings = ["阳台：雨后阳台地漏被落叶堵塞积水，已当场清理"] if rain == "after" and unit == custody[0] else []
        row, found = log.new_round(view, unit, at=datetime.fromisoformat(at), by=PATROLLER, number=f"XC2025-{n:04d}",
                                   rain=rain, warning=WARNING["id"] if rain else None, findings=findings,
                                   water="12.0", electricity="356.2", recorded_at=_recorded(at))
        view.rows["rounds"].append(row)
        view.rows["round_findings"].extend(found)
    return {"rain_warnings": view.rows["rain_warnings"], "rounds": view.rows["rounds"],
            "round_findings": view.rows["round_findings"]}


def story(ws: Any, as_of: date) -> list[dict[str, Any]]:
    """ZX2025-001's 装修施工许可证 (issued 11-06, before its works start on 11-10), its rounds every
    3 days from 11-12, and on the demo's day a round finding a partition wall removed outside the
    plan, with the 装修整改通知书 of that finding. Not again when on record."""
    from ... import demo, issuing
    with ws.store.snapshot() as view:
        reno = view.get("renovations", RENOVATION)
        if reno is None:
            return []
        permit = log.permit_of(view, reno)
        rounds = [r for r in view.find("rounds", unit=reno["unit"]) if r.get("renovation_id") == RENOVATION]
    issued = []
    if permit is None:
        issued.append(issuing.issue_document(ws, "renovation-permit", unit=reno["unit"], as_of=PERMIT_ON).as_dict())
    if not rounds:
        for at in RENOVATION_ROUNDS:
            log.record_round(ws, reno["unit"], at=at, by=PATROLLER)
        row = log.record_round(ws, reno["unit"], at=RENOVATION_ROUND, by=PATROLLER, findings=[RENOVATION_FINDING])
        finding = row["findings"][0]
    else:
        finding = next(f for r in rounds for f in r.get("findings", []))
    with ws.store.snapshot() as view:
        done = [d for d in view.find("documents", unit=reno["unit"])
                if d.get("template") == "renovation-rectification" and (d.get("record") or {}).get("finding_id") == finding]
    if done:
        return ([demo.issued_row(permit)] if permit is not None else issued) + [demo.issued_row(d) for d in done]
    issued.append(issuing.issue_document(ws, "renovation-rectification", record=finding, as_of=as_of).as_dict())
    return issued
