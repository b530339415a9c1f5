"""The contact log of the demo community: the calls, texts and visits made to the owners whose
催缴函 the demo issues (demo.showcase), before those letters, within the months they owe.

No row names a document: the demo's letters are issued after the rows are seeded (their
numbers do not exist yet), and a contact never claims a delivery the demo did not make."""
from __future__ import annotations

from datetime import date, datetime, timedelta

# (role, days after the episode began (the oldest unpaid month's due date), time, way, by, result)
STORY = {
    "individual": [
        (12, "10:20", "电话", "王敏", "业主称月底前缴纳"),
        (46, "09:00", "短信", "王敏", "短信已发送"),
        (89, "19:30", "上门拜访", "王敏、刘强", "业主不在家，留下联系卡"),
    ],
    "company": [
        (70, "14:00", "电话", "李娜", "联系人称已报公司财务审批"),
    ],
    "longest": [
        (76, "10:00", "电话", "王敏", "无人接听"),
        (226, "16:00", "上门拜访", "王敏、刘强", "业主以电梯维修进度为由暂不缴费"),
    ],
}


def demo_rows(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Contacts of the showcase units (fixed offsets, no random draws: the rest of the demo
    stays as it was)."""
    from ... import demo as community   # here, not at import: formsmith.demo brings the issuing stack
    roles = dict(zip(("individual", "company", "longest"), community.showcase(rows)))
    since: dict[str, date] = {}
    for c in rows["charges"]:
        if not c.get("paid_on") and c["due"] < community.AS_OF.isoformat():
            due = date.fromisoformat(c["due"])
            since[c["unit"]] = min(since.get(c["unit"], due), due)
    found = []
    for role, unit in roles.items():
        for days, clock, way, by, result in STORY[role]:
            day = since[unit] + timedelta(days=days)
            if day < community.AS_OF:
                found.append((datetime.fromisoformat(f"{day.isoformat()}T{clock}"), unit, way, by, result))
    contacts = []
    seq: dict[int, int] = {}
    for at, unit, way, by, result in sorted(found):
        seq[at.year] = seq.get(at.year, 0) + 1
        contacts.append({"id": f"CJ{at.year}-{seq[at.year]:04d}", "unit": unit, "way": way,
                         "at": f"{at:%Y-%m-%dT%H:%M}", "by": by, "result": result,
                         "recorded_at": f"{at + timedelta(minutes=20):%Y-%m-%dT%H:%M:%S}+08:00"})
    return {"contacts": contacts}
