"""Recording the rental process's rows: an owner's agency (`rental entrust`) and, once let, the
lease and its household (`rental let`), listed and shown with ID numbers masked.

One check serves the record and the document: a new agency is recorded only if the 房屋租赁委托
代理协议 it would print passes (the template's schema, its @rule in agency.py, and the check of a
data file against the store: owner, number, area, address), and a lease only if its 租户登记表
does (tenants.py's @rule: ≤ 20 years, a 承租人, identity papers, a child's guardian, the
per-person area standard). The row about to be written is turned into the document's data by
the very builder that later prints it (agency_values, registration_values), so what was checked
is what will be printed. The owner and the unit come from the store, never from the file: a file
that names them must name them as recorded, or it is refused as `render --data` refuses it.

What only a record can break is checked here besides: an agency whose term overlaps one on
record; a lease on an agency that had ended before the lease starts (民法典 第一百七十三条) or
concluded before it began, and, where the company signs the lease (代签租赁合同), a lease beyond
the authority the owner gave — longer than the longest term or below the lowest rent (第一百七十一条,
第九百二十二条). Each change is one store transaction (a refusal writes nothing) and an event
on the row: what, by whom, when recorded.
"""
from __future__ import annotations

import calendar
import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from ... import audit, catalog, formats, issuing, lifecycle, records
from ...errors import InputError, NotFoundError, ValidationError
from ...inputs import MAX_DATA_BYTES, read_input
from ...sources import unit_rows
from ...store import View
from ...workspace import Workspace
from . import agency, tenants
from .leases import TABLE, agency_of, owner_facts, start_of

ID_PREFIX = "ZL"
# What a data file may state about the unit and its owner: only as the store records it.
AGENCY_FACTS = ("unit", "unit_address", "area", "owner_name", "owner_kind", "owner_id_number", "owner_phone",
                "owner_address")
LEASE_FACTS = ("unit", "unit_address", "area", "owner_name", "owner_phone")
# What the document is given by formsmith, never by the file.
AGENCY_GIVEN = {"lease_id": "登记号由系统编定", "signed_on": "签订日期为协议打印之日"}
LEASE_GIVEN = {"lease_id": "登记号由系统编定", "register_date": "登记日期为登记表打印之日",
               "agency_no": "委托代理协议编号取自已出具的协议"}
RENT = "rent（月租金（元），租赁合同约定）"


# ---------------------------------------------------------------- the data file

def read_terms(path: Path) -> dict[str, Any]:
    """The terms of a data file: TOML (`.toml`) or JSON (anything else), one object."""
    raw = read_input(Path(path), MAX_DATA_BYTES)
    try:
        text = raw.decode("utf-8-sig")
        data = tomllib.loads(text) if Path(path).suffix.lower() == ".toml" else json.loads(text)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: 不是UTF-8编码的文件 ({exc.reason})") from None
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if Path(path).suffix.lower() == ".toml" else "JSON"
        raise InputError(f"{path}: 不是有效的{kind}文件（{exc}）") from None
    except RecursionError:
        raise InputError(f"{path}: 嵌套过深，不是登记数据 (nested too deeply)") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: 应为一个对象（键值对），不是{type(data).__name__} (not an object)")
    return data


def _given_problems(terms: dict[str, Any], given: dict[str, str], facts: tuple[str, ...],
                    store: dict[str, Any], unit_id: str, tpl: catalog.Template) -> list[str]:
    """The file's keys formsmith fills itself, and the owner facts the document path does not
    compare (phone, address): stated otherwise than the store records them."""
    out = []
    for key, why in given.items():
        if key in terms:
            out.append(f"字段 {_title(tpl, key)}：不从数据文件登记，{why} (set by formsmith)")
    if "unit" in terms and str(terms["unit"]).strip() != unit_id:
        out.append(f"字段 {_title(tpl, 'unit')}：数据文件写的是“{terms['unit']}”，登记的是房屋 {unit_id} "
                   "(another unit)")
    for key in ("owner_phone", "owner_address"):
        if key in facts and terms.get(key) not in (None, "") and str(terms[key]).strip() != str(store.get(key)):
            out.append(f"字段 {_title(tpl, key)}：数据文件写的是“{terms[key]}”，房屋 {unit_id} 的业主登记为"
                       f"“{store.get(key) or '（空）'}”；业主信息以登记为准，更正请改业主登记 (the data disagrees with the store)")
    return out


def _title(tpl: catalog.Template, name: str) -> str:
    f = tpl.field(name)
    return f.title if f is not None else name


def _facts_of(terms: dict[str, Any], facts: tuple[str, ...]) -> dict[str, Any]:
    """What the file states of the unit and its owner, for the document path to compare."""
    return {k: terms[k] for k in facts if k in terms and k not in ("owner_phone", "owner_address")}


def _clean(value: Any) -> Any:
    """A typed value as the row keeps it (catalog.to_record), empty entries dropped."""
    record = catalog.to_record(value)
    if isinstance(record, dict):
        return {k: _clean(v) for k, v in record.items() if v not in (None, "", [])}
    if isinstance(record, list):
        return [_clean(v) for v in record]
    return record


def _next_id(view: View, year: int) -> str:
    prefix = f"{ID_PREFIX}{year}-"
    seqs = [int(r["id"][len(prefix):]) for r in view.all(TABLE)
            if str(r.get("id", "")).startswith(prefix) and r["id"][len(prefix):].isdigit()]
    return f"{prefix}{max(seqs, default=0) + 1:03d}"


def _event(what: str, by: str | None, ws: Workspace, **extra: Any) -> dict[str, Any]:
    return {"what": what, "by": (by or "").strip() or ws.clerk, "recorded_at": lifecycle.now_iso(), **extra}


def _check(ws: Workspace, tid: str, data: dict[str, Any], today: date, record: str, view: View,
           problems: list[str]) -> dict[str, Any] | None:
    """The document path's checks of `data` (issuing.prepare: schema, rules, store facts), its
    refusals added to `problems`; the typed values, or None when refused."""
    try:
        return issuing.prepare(ws, tid, data=data, as_of=today, source_name=record, view=view, origin="data")[1]
    except ValidationError as exc:
        problems.extend(exc.problems)
        return None


# ---------------------------------------------------------------- entrust

def _matters(raw: Any, tpl: catalog.Template, problems: list[str]) -> list[Any]:
    """委托事项 as names: a file may list them as ["代理出租", …] or as the document's
    [{matter = "代理出租"}, …]."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(f"字段 {_title(tpl, 'matters')}：应为列表，如 [\"代理出租\", \"代收租金\"] (a list)")
        return []
    return [m["matter"] if isinstance(m, dict) and set(m) == {"matter"} else m for m in raw]


def _overlapping(view: View, unit_id: str, start: date, end: date) -> dict[str, Any] | None:
    for row in unit_rows(view, TABLE, unit_id):
        a = row.get("agency") or {}
        if a.get("from") and a.get("to") and a["from"] <= end.isoformat() and start.isoformat() <= a["to"]:
            return row
    return None


def entrust(ws: Workspace, unit_id: str, terms: dict[str, Any], *, by: str | None = None,
            today: date | None = None) -> dict[str, Any]:
    """Record a new agency of `unit_id` (a new `leases` row) on the terms of `terms` — the
    agreement's field names (agency_from, matters, asking_rent …; see AGENCY_TERMS) — if the
    agreement it would print passes the agreement's checks and its term overlaps no agency on
    record. Refused (ValidationError, one line per problem), nothing is written. Returns the row."""
    today = today or date.today()
    tpl = ws.catalog.get(agency.TEMPLATE)
    record = f"房屋 {unit_id}"
    with ws.store.transaction() as tx:
        tx.require("units", unit_id, "unit")
        _, owner, store = owner_facts(tx, unit_id)
        store["owner_address"] = owner.get("mailing_address")
        problems = _given_problems(terms, AGENCY_GIVEN, AGENCY_FACTS, store, unit_id, tpl)
        raw = {agency.AGENCY_KEYS.get(k, k): v for k, v in terms.items() if k in agency.AGENCY_TERMS}
        raw["matters"] = _matters(terms.get("matters"), tpl, problems)
        known = set(agency.AGENCY_TERMS) | set(AGENCY_FACTS) | set(AGENCY_GIVEN)
        unknown = {k: v for k, v in terms.items() if k not in known}     # the schema names them
        row: dict[str, Any] = {"id": _next_id(tx, today.year), "unit": unit_id, "agency": raw}
        data = {**agency.agency_values(tx, unit_id, row, today), **_facts_of(terms, AGENCY_FACTS), **unknown}
        values = _check(ws, agency.TEMPLATE, data, today, record, tx, problems)
        if values is not None:
            on_file = _overlapping(tx, unit_id, values["agency_from"], values["agency_to"])
            if on_file is not None:
                a = on_file["agency"]
                problems.append(f"字段 {_title(tpl, 'agency_from')}：委托期限与已登记的委托 {on_file['id']}（"
                                f"{formats.cn_date(a['from'])}至{formats.cn_date(a['to'])}）重叠；同一房屋同一期间只登记一项"
                                "委托，期满后再登记新的委托 (overlaps the agency on record)")
        if problems or values is None:
            raise ValidationError(problems, record)
        stored = {agency.AGENCY_KEYS.get(k, k): values.get(k) for k in agency.AGENCY_TERMS}
        stored["matters"] = [m["matter"] for m in values["matters"]]
        row["agency"] = _clean(stored)
        row["events"] = [_event("entrust", by, ws)]
        tx.insert(TABLE, row)
    return row


# ---------------------------------------------------------------- let

def _rent(raw: Any, problems: list[str]) -> Any:
    if raw in (None, ""):
        return None
    try:
        rent = formats.parse_money(str(raw))
    except ValueError as exc:
        problems.append(f"字段 {RENT}：{exc}")
        return None
    if rent <= 0:
        problems.append(f"字段 {RENT}：应大于0 (must be positive)")
        return None
    return rent


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _within_agency(tpl: catalog.Template, row: dict[str, Any], values: dict[str, Any], rent: Any,
                   problems: list[str]) -> None:
    """A lease recorded on the agency `row`: made while it ran, and, where the company signs
    the lease, within the authority the owner gave (the agreement's 第三条)."""
    a = row["agency"]
    start, end = date.fromisoformat(a["from"]), date.fromisoformat(a["to"])
    lease_from, lease_to = values["lease_from"], values["lease_to"]
    concluded = values.get("lease_signed_on") or lease_from
    if lease_from > end:
        problems.append(f"字段 {_title(tpl, 'lease_from')}：{formats.cn_date(lease_from)}起租，委托 {row['id']} 的委托期限"
                        f"已于{formats.cn_date(end)}届满，代理期限届满委托代理终止（《中华人民共和国民法典》第一百七十三条）；"
                        "请先登记新的委托（rental entrust），或按业主自行出租登记 (the agency ended before the lease starts)")
    elif concluded < start:
        problems.append(f"字段 {_title(tpl, 'lease_signed_on' if values.get('lease_signed_on') else 'lease_from')}："
                        f"{formats.cn_date(concluded)}早于委托 {row['id']} 的委托期限起始日{formats.cn_date(start)}，"
                        "租赁不是在委托期间订立的 (the lease was made before the agency began)")
    if "代签租赁合同" not in (a.get("matters") or []):
        return
    longest = int(a["max_lease_months"])
    if lease_to >= _add_months(lease_from, longest):
        problems.append(f"字段 {_title(tpl, 'lease_to')}：租赁期限自{formats.cn_date(lease_from)}至"
                        f"{formats.cn_date(lease_to)}，超过委托 {row['id']} 约定乙方可代为约定的最长租期{longest}个月；"
                        "超越代理权的行为未经被代理人追认对其不发生效力（《中华人民共和国民法典》第一百七十一条） "
                        "(longer than the owner authorised)")
    lowest = formats.parse_money(str(a["lowest_rent"]))
    if rent is not None and rent < lowest:
        problems.append(f"字段 {RENT}：{formats.money(rent)}元低于委托 {row['id']} 约定的最低月租金"
                        f"{formats.money(lowest)}元；受托人应当按照委托人的指示处理委托事务（《中华人民共和国民法典》"
                        "第九百二十二条、第一百七十一条） (below the lowest rent the owner allowed)")


def let(ws: Workspace, unit_id: str, terms: dict[str, Any], *, by: str | None = None,
        today: date | None = None) -> dict[str, Any]:
    """Record the lease and household of `unit_id` from `terms` — the 租户登记表's field names
    (lease_from, lease_to, tenants, emergency_name …) and `rent` — on the unit's latest agency
    (let through the company, the default), or as a row of its own (let_by 业主自行出租, or
    委托代理出租 with another `agent_name`), if the form it would print passes the form's checks
    and the lease fits the agency. Refused (ValidationError, one line per problem), nothing is
    written. Returns the row."""
    today = today or date.today()
    tpl = ws.catalog.get(tenants.TEMPLATE)
    record = f"房屋 {unit_id}"
    terms = dict(terms)
    with ws.store.transaction() as tx:
        tx.require("units", unit_id, "unit")
        _, _, store = owner_facts(tx, unit_id)
        problems = _given_problems(terms, LEASE_GIVEN, LEASE_FACTS, store, unit_id, tpl)
        rent = _rent(terms.pop("rent", None), problems)
        let_by = terms.get("let_by") or tenants.AGENT_LETS
        base: dict[str, Any] | None = None
        if let_by == tenants.AGENT_LETS and not terms.get("agent_name"):
            try:
                base = agency_of(tx, unit_id)
            except NotFoundError:
                problems.append(f"字段 {_title(tpl, 'let_by')}：房屋 {unit_id} 无租赁委托登记；委托本公司出租请先登记委托"
                                "（rental entrust），业主自行出租请写 let_by = \"业主自行出租\"，委托其他机构请写 agent_name "
                                "(no agency on record)")
            if base is not None and base.get("lease"):
                l0 = base["lease"]
                problems.append(f"字段 {_title(tpl, 'lease_from')}：委托 {base['id']} 已登记租赁合同（"
                                f"{formats.cn_date(l0['from'])}至{formats.cn_date(l0['to'])}），一项委托登记一份租赁 "
                                "(a lease is on record already)")
            if base is None or base.get("lease"):
                raise ValidationError(problems, record)      # nothing to record the lease on
        row: dict[str, Any] = dict(base) if base is not None else {
            "id": _next_id(tx, today.year), "unit": unit_id, "let_by": let_by, "agent_name": terms.get("agent_name")}
        row["lease"] = {key: terms.get(name) for name, key in tenants.LEASE_KEYS.items()}
        row.update({name: terms.get(name) for name in tenants.HOUSEHOLD})
        row["emergency"] = {k.removeprefix("emergency_"): terms.get(k) for k in tenants.EMERGENCY}
        known = (set(tenants.LEASE_KEYS) | set(tenants.HOUSEHOLD) | set(tenants.EMERGENCY) | set(LEASE_FACTS)
                 | set(LEASE_GIVEN) | {"let_by", "agent_name"})
        unknown = {k: v for k, v in terms.items() if k not in known}
        data = {**tenants.registration_values(ws, tx, unit_id, row, today), **_facts_of(terms, LEASE_FACTS),
                **unknown}
        values = _check(ws, tenants.TEMPLATE, data, today, record, tx, problems)
        if values is not None and base is not None:
            _within_agency(tpl, base, values, rent, problems)
        if problems or values is None:
            raise ValidationError(problems, record)
        lease = {key: values.get(name) for name, key in tenants.LEASE_KEYS.items()}
        lease["rent"] = rent
        changes = {"lease": _clean(lease),
                   **{name: _clean(values.get(name)) for name in tenants.HOUSEHOLD},
                   "emergency": _clean({k.removeprefix("emergency_"): values.get(k) for k in tenants.EMERGENCY})}
        for t in changes["tenants"]:
            if t.get("id_number"):
                t["id_number"] = str(t["id_number"]).strip().upper()
        changes = {k: v for k, v in changes.items() if v not in (None, "", [], {})}
        event = _event("let", by, ws)
        if base is not None:
            return tx.update(TABLE, base["id"], {**changes, "events": list(base.get("events") or []) + [event]})
        new = {"id": row["id"], "unit": unit_id, "let_by": values["let_by"], "agent_name": values.get("agent_name"),
               **changes, "events": [event]}
        new = {k: v for k, v in new.items() if v is not None}
        tx.insert(TABLE, new)
    return new


# ---------------------------------------------------------------- list and show

def summary(row: dict[str, Any]) -> dict[str, Any]:
    """One line of `rental list`: the row's terms at a glance, no personal data."""
    a, lease = row.get("agency") or {}, row.get("lease") or {}
    people = row.get("tenants") or []
    holder = next((t["name"] for t in people if t.get("relation") == tenants.TENANT), None)
    return {"id": row["id"], "unit": row["unit"],
            "let_by": tenants.AGENT_LETS if a else row.get("let_by", tenants.OWNER_LETS),
            "agency_from": a.get("from"), "agency_to": a.get("to"), "asking_rent": a.get("asking_rent"),
            "lease_from": lease.get("from"), "lease_to": lease.get("to"), "rent": lease.get("rent"),
            "tenant": holder, "people": len(people) if people else None,
            "recorded_by": (row.get("events") or [{}])[-1].get("by")}


def list_leases(ws: Workspace, unit: str | None = None) -> list[dict[str, Any]]:
    """The `leases` rows (of one unit), by unit and start, as summaries."""
    with ws.store.snapshot() as view:
        if unit is not None:
            view.require("units", unit, "unit")
            rows = unit_rows(view, TABLE, unit)
        else:
            rows = view.all(TABLE)
    return [summary(r) for r in sorted(rows, key=lambda r: (r["unit"], start_of(r), r["id"]))]


def show(ws: Workspace, unit: str, *, reveal: bool = False, by: str | None = None) -> list[dict[str, Any]]:
    """Every `leases` row of `unit`, oldest first, ID numbers masked unless `reveal` (audited)."""
    with ws.store.snapshot() as view:
        view.require("units", unit, "unit")
        rows = sorted(unit_rows(view, TABLE, unit), key=lambda r: (start_of(r), r["id"]))
    if not rows:
        raise NotFoundError(f"房屋 {unit}：无房屋租赁委托或租赁登记（登记用 formsmith rental entrust / rental let）")
    if reveal:
        audit.record(ws, by=by, command=f"rental show {unit} --reveal", revealed=f"ID numbers of leases of {unit}")
        return rows
    return [records.masked(r) for r in rows]
