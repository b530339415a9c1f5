"""Rounds (巡查): what is due, computed from the store, and each round recorded as it was made.

Who is patrolled (PROCESSES.md §2, §5; the limits in formsmith/deadlines.py):
  custody (托管)     every unit in custody on the day (`units.status == "custody"`, its custody
                     record's `since` on or before it, `until` not before it), weekly: within 7
                     calendar days of its last round (of the custody start, for the first); and
                     for every heavy-rain warning a clerk records (`record_rain`), one round before
                     the rain (by the day it is expected) and one after it (by the day after it ends)
  renovation (装修)  every renovation whose 装修施工许可证 is issued and whose works are not yet
                     accepted (`accepted_on` of the renovation), from the permit's day or the start
                     of the works, whichever is later: every `[rounds] renovation_days` (3) days

A round row (table `rounds`, XC2025-0001) is {id, kind, unit, renovation_id?, purpose (weekly,
rain-before, rain-after, renovation), warning?, at, by, due, late_days?, checks: {item: 正常 or
what was found}, water_reading?, electricity_reading?, findings: [ids], note?, recorded_at}; a
finding (table `round_findings`, XC2025-0001-1) is {id, round, kind, unit, renovation_id?, item,
text, found_on, rectify_by (renovation), clause}. A rain warning (table `rain_warnings`,
YJ2025-0001) is {id, issued_at, rain_from, rain_to?, level, source, by, recorded_at}.

A round made after its day is recorded with its delay (`late_days`), never refused; a round in
the future, of a unit nobody patrols, or an after-rain round before the rain began is.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from ... import dates, deadlines, lifecycle
from ...errors import InputError, NotFoundError
from ...model import is_active
from ...store import View
from ...workspace import Workspace

CUSTODY, RENOVATION = "custody", "renovation"
KINDS = {CUSTODY: "托管巡查", RENOVATION: "装修巡查"}
PURPOSES = {"weekly": "每周巡查", "rain-before": "大雨前巡查", "rain-after": "大雨后巡查", "renovation": "装修巡查"}
# What a round looks at: the custody agreement's 第四条 (门窗、外墙、阳台、管道及表具), and for a
# renovation the clauses of the 装修管理协议 each item is held to.
CUSTODY_ITEMS = ("门窗", "外墙", "阳台", "管道", "表具")
RENOVATION_ITEMS: dict[str, str] = {
    "施工内容": "《装修管理协议》第一条（装修内容与期限）、第三条（禁止行为）",
    "主体结构": "《装修管理协议》第三条（禁止行为）、《住宅室内装饰装修管理办法》第五条",
    "施工时间": "《装修管理协议》第二条（允许施工时间）",
    "证件出入": "《装修管理协议》第四条（证件与出入管理）",
    "装修垃圾": "《装修管理协议》第五条（装修垃圾清运）",
    "公共部位": "《装修管理协议》第三条（禁止行为）、第六条（违约责任）",
    "消防安全": "《装修管理协议》第三条（禁止行为）",
}
OTHER = "其他"
FIELDS = {"unit": "房屋", "at": "巡查时间", "by": "巡查人", "rain": "大雨巡查", "warning": "大雨预警",
          "finding": "发现问题", "water": "水表读数", "electricity": "电表读数", "note": "说明", "kind": "巡查类别",
          "days": "整改期限", "from": "预计降雨日期", "to": "预计雨停日期", "level": "预警级别", "source": "发布单位",
          "renovation": "装修登记"}
MAX_TEXT = 300
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def _refuse(record: str, field: str, problem: str) -> InputError:
    return InputError(f"{record}：字段 {field}（{FIELDS.get(field, field)}）：{problem}")


def _text(record: str, field: str, value: str | None, required: bool = False) -> str | None:
    text = unicodedata.normalize("NFC", value or "").strip()
    if not text:
        if required:
            raise _refuse(record, field, "不能为空 (required)")
        return None
    bad = sorted({c for c in text if unicodedata.category(c)[0] == "C"})
    if bad:
        raise _refuse(record, field, "含有控制字符 " + " ".join(f"U+{ord(c):04X}" for c in bad) + " (control characters)")
    if len(text) > MAX_TEXT:
        raise _refuse(record, field, f"长度 {len(text)} 超过上限 {MAX_TEXT} 字 (too long)")
    return text




def parse_at(value: Any, now: datetime, record: str, field: str = "at") -> datetime:
    """When a round or a warning of `record` happened (dates.happened_at), in its words."""
    return dates.happened_at(value, now, lambda f, problem: _refuse(record, f, problem), field,
                             only="只登记已经做过的巡查")


def _day(stamp: str | None) -> date | None:
    return date.fromisoformat(stamp[:10]) if stamp else None


def renovation_days(ws: Workspace) -> int:
    """Days between renovation rounds: `[rounds] renovation_days`, else deadlines.RENOVATION_ROUND_DAYS."""
    value = ws.setting("rounds", "renovation_days", deadlines.RENOVATION_ROUND_DAYS)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 31:
        raise InputError(f"formsmith.toml: [rounds] renovation_days = {value!r}：应为1至31的整数（天）")
    return value


# ---------------------------------------------------------------- who is patrolled

def in_custody(unit: dict[str, Any], day: date) -> bool:
    """Whether `unit` is in custody on `day` (its custody record's since … until)."""
    custody = unit.get("custody") or {}
    since, until = _day(custody.get("since")), _day(custody.get("until"))
    return unit.get("status") == "custody" and since is not None and since <= day and (until is None or day <= until)


def permit_of(view: View, renovation: dict[str, Any]) -> dict[str, Any] | None:
    """The renovation's 装修施工许可证 as issued (the active document of the unit that names it)."""
    docs = [d for d in view.find("documents", unit=renovation["unit"])
            if d.get("template") == "renovation-permit" and is_active(d)
            and (d.get("record") or {}).get("renovation_id", renovation["id"]) == renovation["id"]]
    return min(docs, key=lambda d: (d["issued_on"], d["doc_no"])) if docs else None


def works_from(view: View, renovation: dict[str, Any]) -> tuple[date, dict[str, Any]] | None:
    """(the first day it is patrolled, its permit) of a renovation with a permit, else None."""
    permit = permit_of(view, renovation)
    if permit is None:
        return None
    start = _day(renovation.get("start")) or date.fromisoformat(permit["issued_on"])
    return max(start, date.fromisoformat(permit["issued_on"])), permit


def under_way(view: View, renovation: dict[str, Any], day: date) -> tuple[date, dict[str, Any]] | None:
    """(patrolled from, permit) if the renovation's works are under way on `day`: permitted,
    started, not yet accepted (完工验收)."""
    found = works_from(view, renovation)
    accepted = _day(renovation.get("accepted_on"))
    if found is None or found[0] > day or (accepted is not None and accepted <= day):
        return None
    return found


# ---------------------------------------------------------------- what is due

def _rounds_until(rounds: list[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    return [r for r in rounds if r["at"][:10] <= day.isoformat()]


def _item(ref: str, kind: str, unit: str, what: str, label: str, due: date, as_of: date, **extra: Any) -> dict[str, Any]:
    return {"ref": ref, "process": "rounds", "kind": kind, "unit": unit, "what": what, "label": label,
            "due": due.isoformat(), "days_late": max((as_of - due).days, 0), "overdue": due < as_of,
            "assignee": None, **extra}


def obligations(ws: Workspace, view: View, as_of: date) -> list[dict[str, Any]]:
    """Every round owed on `as_of` and not yet made by then, with its last day (which may be
    later than `as_of`): the next weekly round of each custody unit, the before and after
    rounds of each heavy-rain warning for each unit in custody when the rain was expected, the
    next round of each renovation under way. Overdue first."""
    rounds = _rounds_until(view.all("rounds"), as_of)
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(rounds, key=lambda r: r["at"]):
        by_unit.setdefault(r["unit"], []).append(r)
    out = []
    custody_units = [u for u in view.all("units") if in_custody(u, as_of)]
    for unit in custody_units:
        done = [r for r in by_unit.get(unit["id"], []) if r["kind"] == CUSTODY]
        last = _day(done[-1]["at"]) if done else None
        due = deadlines.next_round_due(last or _day(unit["custody"]["since"]) or as_of, deadlines.CUSTODY_ROUND_DAYS)
        since = f"上次巡查 {done[-1]['at'][:10]}（{done[-1]['id']}）" if done else f"托管自 {unit['custody']['since']} 起，尚未巡查"
        out.append(_item(unit["id"], CUSTODY, unit["id"], "weekly", "托管每周巡查", due, as_of,
                         last_round=done[-1]["id"] if done else None, description=since))
    units = {u["id"]: u for u in view.all("units")}
    for w in view.all("rain_warnings"):
        if w["issued_at"][:10] > as_of.isoformat():
            continue
        rain_from, rain_to = date.fromisoformat(w["rain_from"]), _day(w.get("rain_to"))
        for unit_id, unit in units.items():
            if not in_custody(unit, rain_from):
                continue
            for purpose in ("before", "after"):
                made = any(r.get("warning") == w["id"] and r["purpose"] == f"rain-{purpose}"
                           for r in by_unit.get(unit_id, []))
                if made:
                    continue
                due = deadlines.rain_round_due(purpose, rain_from, rain_to)
                out.append(_item(unit_id, CUSTODY, unit_id, f"rain-{purpose}", f"{PURPOSES['rain-' + purpose]}（{w['id']}）",
                                 due, as_of, warning=w["id"], description=f"{w['level']}：{deadlines.RAIN_BASIS}"))
    every = renovation_days(ws)
    for reno in view.all("renovations"):
        found = under_way(view, reno, as_of)
        if found is None:
            continue
        start, permit = found
        done = [r for r in by_unit.get(reno["unit"], []) if r.get("renovation_id") == reno["id"]]
        last = _day(done[-1]["at"]) if done else None
        due = deadlines.next_round_due(last or start, every)
        out.append(_item(reno["id"], RENOVATION, reno["unit"], "renovation", "装修巡查", due, as_of,
                         renovation_id=reno["id"], permit=permit["doc_no"], last_round=done[-1]["id"] if done else None,
                         description=f"{reno.get('plan', '')}（每{every}日巡查一次，至完工验收）"))
    return sorted(out, key=lambda i: (not i["overdue"], -i["days_late"], i["due"], i["ref"], i["what"]))


def due(ws: Workspace, as_of: date | None = None, days: int = 7) -> list[dict[str, Any]]:
    """The rounds due within `days` days from `as_of` (this week: as_of … as_of + 6), overdue first."""
    as_of = as_of or date.today()
    with ws.store.snapshot() as view:
        items = obligations(ws, view, as_of)
    last = as_of.toordinal() + days - 1
    return [i for i in items if date.fromisoformat(i["due"]).toordinal() <= last]


def agenda_items(ws: Workspace, view: View, as_of: date) -> list[dict[str, Any]]:
    """The rounds' part of `formsmith today`: the rounds whose last day is `as_of` or passed."""
    return [i for i in obligations(ws, view, as_of) if i["due"] <= as_of.isoformat()]


# ---------------------------------------------------------------- recording

def _next_id(view: View, table: str, prefix: str, year: int) -> str:
    head = f"{prefix}{year}-"
    seqs = [int(r["id"][len(head):len(head) + 4]) for r in view.all(table)
            if str(r.get("id", "")).startswith(head) and r["id"][len(head):len(head) + 4].isdigit()]
    return f"{head}{max(seqs, default=0) + 1:04d}"


def _finding_item(text: str, items: tuple[str, ...]) -> tuple[str, str]:
    """"阳台：地漏堵塞" → ("阳台", "地漏堵塞"); a text naming no item is 其他."""
    head, sep, rest = text.partition("：")
    if not sep:
        head, sep, rest = text.partition(":")
    if sep and head.strip() in items and rest.strip():
        return head.strip(), rest.strip()
    return OTHER, text


def _reading(record: str, field: str, value: Any, base: str | None) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if not _NUMBER.match(text):
        raise _refuse(record, field, f"{text!r} 不是读数（应为非负数字，如 15.5）")
    if base is not None and float(text) < float(base):
        raise _refuse(record, field, f"{text} 低于托管交接时的底数 {base}，请核对表具")
    return text


def new_round(view: View, unit_id: str, *, at: datetime, by: str, number: str, kind: str | None = None,
              rain: str | None = None, warning: str | None = None, findings: list[str] = (),  # type: ignore[assignment]
              water: Any = None, electricity: Any = None, note: str | None = None, rectify_days: int | None = None,
              every: int = deadlines.RENOVATION_ROUND_DAYS, recorded_at: str = "") -> tuple[dict, list[dict]]:
    """The row of a round of `unit_id` at `at` numbered `number` and its findings' rows
    (checked against `view`; the caller writes them). Its `due` is the day the round it meets was
    owed by; a later round gets `late_days`."""
    record = number
    unit = view.get("units", unit_id)
    if unit is None:
        raise _refuse(record, "unit", f"库中没有房屋 {unit_id!r} (no such unit)")
    day = at.date()
    renovation = None
    under = None
    for reno in sorted(view.find("renovations", unit=unit_id), key=lambda r: (r.get("start") or "", r["id"])):
        found = under_way(view, reno, day)
        if found is not None:
            renovation, under = reno, found
    custody = in_custody(unit, day)
    if kind is None:
        kind = CUSTODY if custody else RENOVATION if renovation is not None else None
    if kind not in KINDS:
        raise _refuse(record, "unit", f"{unit_id} 在 {day.isoformat()} 既不在托管中，也没有在施装修（已发装修施工许可证、"
                                      "未完工验收），无须巡查 (nothing to patrol)")
    if kind == CUSTODY and not custody:
        raise _refuse(record, "kind", f"{unit_id} 在 {day.isoformat()} 不在托管中")
    if kind == RENOVATION and renovation is None:
        raise _refuse(record, "kind", f"{unit_id} 在 {day.isoformat()} 没有在施装修（已发装修施工许可证、未完工验收）")
    reno_id = renovation["id"] if renovation is not None else None
    previous = sorted((r for r in view.find("rounds", unit=unit_id) if r["kind"] == kind
                       and (kind == CUSTODY or r.get("renovation_id") == reno_id)), key=lambda r: r["at"])
    before = [r for r in previous if r["at"] <= f"{at:%Y-%m-%dT%H:%M}"]
    row: dict[str, Any] = {"id": number, "kind": kind, "unit": unit_id, "at": f"{at:%Y-%m-%dT%H:%M}",
                           "by": _text(record, "by", by, required=True)}
    problems_found = [_text(record, "finding", f, required=True) or "" for f in findings]
    if kind == CUSTODY:
        if rain is not None:
            if rain not in ("before", "after"):
                raise _refuse(record, "rain", f"{rain!r} 应为 before（雨前）或 after（雨后）")
            w = _warning(view, record, warning, at)
            rain_from, rain_to = date.fromisoformat(w["rain_from"]), _day(w.get("rain_to"))
            if not in_custody(unit, rain_from):
                raise _refuse(record, "warning", f"{unit_id} 在预计降雨日 {rain_from.isoformat()} 不在托管中")
            if rain == "after" and day < rain_from:
                raise _refuse(record, "rain", f"{day.isoformat()} 早于预计降雨日 {rain_from.isoformat()}：雨后巡查须在降雨之后")
            if rain == "before" and at < datetime.fromisoformat(w["issued_at"]):
                raise _refuse(record, "rain", f"{at:%Y-%m-%dT%H:%M} 早于预警登记时间 {w['issued_at']}")
            again = next((r for r in previous if r.get("warning") == w["id"] and r["purpose"] == f"rain-{rain}"), None)
            if again is not None:
                raise _refuse(record, "rain", f"{w['id']} 的{PURPOSES['rain-' + rain]}已登记为 {again['id']}（{again['at']}）")
            row.update(purpose=f"rain-{rain}", warning=w["id"])
            owed = deadlines.rain_round_due(rain, rain_from, rain_to)
        else:
            if warning is not None:
                raise _refuse(record, "warning", "大雨预警只与 --rain before/after 一起登记")
            row["purpose"] = "weekly"
            last = _day(before[-1]["at"]) if before else _day(unit["custody"]["since"])
            owed = deadlines.next_round_due(last or day, deadlines.CUSTODY_ROUND_DAYS)
        custody_rec = unit.get("custody") or {}
        limits = {"water": (custody_rec.get("water_base"), deadlines.CUSTODY_WATER_LIMIT),
                  "electricity": (custody_rec.get("electricity_base"), deadlines.CUSTODY_ELECTRICITY_LIMIT)}
        for field, value in (("water", water), ("electricity", electricity)):
            base, limit = limits[field]
            reading = _reading(record, field, value, base)
            if reading is None:
                continue
            row[f"{field}_reading"] = reading
            if base is not None and float(reading) - float(base) > limit:
                name, unit_word = ("水表", "吨") if field == "water" else ("电表", "度")
                problems_found.append(f"表具：{name}读数{reading}，超过托管上限（交接底数{base}＋{limit}{unit_word}）")
        items: tuple[str, ...] = CUSTODY_ITEMS
    else:
        if rain is not None or warning is not None or water is not None or electricity is not None:
            raise _refuse(record, "rain", "大雨巡查和表具读数只用于托管房屋")
        assert renovation is not None and under is not None
        row.update(purpose="renovation", renovation_id=renovation["id"], permit=under[1]["doc_no"])
        last = _day(before[-1]["at"]) if before else None
        owed = deadlines.next_round_due(last, every) if last else deadlines.next_round_due(under[0], every)
        items = tuple(RENOVATION_ITEMS)
    row["due"] = owed.isoformat()
    late = deadlines.days_late(day, owed)
    if late:
        row["late_days"] = late
    days = deadlines.RECTIFY_DAYS if rectify_days is None else rectify_days
    if kind == RENOVATION and not 1 <= days <= 90:
        raise _refuse(record, "days", f"{days} 天：整改期限应为1至90天")
    checks = {item: "正常" for item in items}
    finding_rows = []
    for n, text in enumerate(problems_found, 1):
        item, what = _finding_item(text, items)
        if item != OTHER:
            checks[item] = what if checks[item] == "正常" else f"{checks[item]}；{what}"
        f: dict[str, Any] = {"id": f"{number}-{n}", "round": number, "kind": kind, "unit": unit_id,
                             "item": item, "text": what, "found_on": day.isoformat()}
        if kind == RENOVATION:
            f.update(renovation_id=renovation["id"], rectify_by=deadlines.rectify_by(day, days).isoformat(),  # type: ignore[index]
                     clause=RENOVATION_ITEMS.get(item, RENOVATION_ITEMS["施工内容"]))
        f["recorded_at"] = recorded_at
        finding_rows.append(f)
    row["checks"] = checks
    row["findings"] = [f["id"] for f in finding_rows]
    if note:
        row["note"] = _text(record, "note", note)
    row["recorded_at"] = recorded_at
    return row, finding_rows


def _warning(view: View, record: str, warning: str | None, at: datetime) -> dict[str, Any]:
    if warning is not None:
        w = view.get("rain_warnings", warning.strip().upper())
        if w is None:
            raise _refuse(record, "warning", f"没有大雨预警 {warning}（见 formsmith rounds rain --list）")
        return w
    issued = [w for w in view.all("rain_warnings") if w["issued_at"] <= f"{at:%Y-%m-%dT%H:%M}"]
    if not issued:
        raise _refuse(record, "warning", "未登记大雨预警：先用 formsmith rounds rain 登记预警")
    return max(issued, key=lambda w: (w["issued_at"], w["id"]))


def record_round(ws: Workspace, unit: str, *, at: Any = None, by: str | None = None, kind: str | None = None,
                 rain: str | None = None, warning: str | None = None, findings: list[str] | tuple[str, ...] = (),
                 water: Any = None, electricity: Any = None, note: str | None = None,
                 rectify_days: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Record a round made of `unit` (its number taken in the same transaction), with its
    findings; late rounds with their delay. Returns the round row with `finding_rows`."""
    now = now or datetime.now()
    when = parse_at(at, now, "新巡查")
    every = renovation_days(ws)
    with ws.store.transaction() as tx:
        number = _next_id(tx, "rounds", "XC", when.year)
        row, found = new_round(tx, unit, at=when, by=by or ws.clerk, number=number, kind=kind, rain=rain,
                               warning=warning, findings=list(findings), water=water, electricity=electricity,
                               note=note, rectify_days=rectify_days, every=every, recorded_at=lifecycle.now_iso())
        tx.insert("rounds", row)
        for f in found:
            tx.insert("round_findings", f)
    return {**row, "finding_rows": found}


def record_rain(ws: Workspace, *, rain_from: date, rain_to: date | None = None, level: str, source: str,
                at: Any = None, by: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Record a heavy-rain warning (大雨预警) a clerk received: every unit in custody on `rain_from`
    then owes a round before the rain and one after it. Returns the row (YJ2025-0001)."""
    now = now or datetime.now()
    when = parse_at(at, now, "新预警")
    level_text = _text("新预警", "level", level, required=True)
    source_text = _text("新预警", "source", source, required=True)
    if rain_to is not None and rain_to < rain_from:
        raise _refuse("新预警", "to", f"{rain_to.isoformat()} 早于预计降雨日期 {rain_from.isoformat()}")
    if rain_from < when.date():
        raise _refuse("新预警", "from", f"{rain_from.isoformat()} 早于预警登记日期 {when.date().isoformat()}：预警是降雨前收到的")
    with ws.store.transaction() as tx:
        row: dict[str, Any] = {"id": _next_id(tx, "rain_warnings", "YJ", when.year), "issued_at": f"{when:%Y-%m-%dT%H:%M}",
               "rain_from": rain_from.isoformat(), "rain_to": rain_to.isoformat() if rain_to else None,
               "level": level_text, "source": source_text, "by": _text("新预警", "by", by) or ws.clerk,
               "recorded_at": lifecycle.now_iso()}
        tx.insert("rain_warnings", row)
        row["units"] = sorted(u["id"] for u in tx.all("units") if in_custody(u, rain_from))
    return row


def list_rounds(ws: Workspace, unit: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """The rounds recorded, oldest first (of `unit`, of `kind`)."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"--kind {kind!r}：不是 {'、'.join(KINDS)} 之一")
    with ws.store.snapshot() as view:
        if unit is not None:
            view.require("units", unit, "unit")
        equals: dict[str, Any] = {k: v for k, v in dict(unit=unit, kind=kind).items() if v}
        rows = view.find("rounds", **equals)
    return sorted(rows, key=lambda r: (r["at"], r["id"]))


def show_round(ws: Workspace, round_id: str) -> dict[str, Any]:
    """A round with its findings' rows."""
    with ws.store.snapshot() as view:
        row = view.get("rounds", (round_id or "").strip().upper())
        if row is None:
            raise NotFoundError(f"{round_id}：没有这次巡查 (no such round; see `formsmith rounds list`)")
        return {**row, "finding_rows": [view.get("round_findings", f) for f in row.get("findings", [])]}
