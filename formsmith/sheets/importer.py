"""Import a sheet into the store: every row checked, then all rows written in one transaction or none."""
from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..store import View
from ..workspace import Workspace
from . import cells, kinds
from .io import Sheet, read_sheet, write_error_copy
from .kinds import Kind

ITEM_CODES = {"物业服务费": "FEE", "物业费": "FEE", "车位管理费": "PARK", "停车费": "PARK",
              "水费": "WATER", "电费": "ELEC", "燃气费": "GAS", "垃圾处理费": "WASTE",
              "公摊水电费": "SHARED", "电梯费": "LIFT", "装修押金": "DEPOSIT"}
PARTY_PREFIX = {"owner": "P", "agent": "A", "occupant": "O"}


@dataclass
class Problem:
    """One bad cell (or row): its row number, the column header as in the sheet, and the reason."""

    row: int
    column: str
    reason: str
    field: str = ""
    col_index: int | None = None

    def line(self) -> str:
        return f"第{self.row}行【{self.column}】{self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import found and did; `problems` empty means every row was good."""

    kind: str
    file: str
    fmt: str
    encoding: str = ""
    sheet: str = ""
    header_row: int = 1
    rows: int = 0
    dry_run: bool = False
    written: bool = False
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    errors_file: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "format": self.fmt, "encoding": self.encoding,
                "sheet": self.sheet, "header_row": self.header_row, "rows": self.rows,
                "ok": self.ok, "dry_run": self.dry_run, "written": self.written,
                "bad_rows": self.bad_rows, "errors": [p.as_dict() for p in self.problems],
                "counts": self.counts, "ignored_columns": self.ignored_columns,
                "errors_file": self.errors_file}

    def lines(self) -> list[str]:
        """The report for a clerk, one line per bad cell."""
        if self.ok:
            return []
        head = (f"{self.file}: {len(self.bad_rows)} 行有错误，未导入任何数据"
                f"（{len(self.problems)} 处；nothing imported）")
        tail = [f"已写出标出错误单元格的副本：{self.errors_file}"] if self.errors_file else []
        return [head] + [p.line() for p in self.problems] + tail


class ImportRejected(InputError):
    """An import refused because of bad rows; carries the full report."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__("\n".join(report.lines()))

    def lines(self) -> list[str]:
        return self.report.lines()


@dataclass
class Row:
    """One data row as parsed: its number, the good values by field, where each field's column is."""

    number: int
    values: dict[str, Any]
    present: set[str]                      # fields whose column exists in the sheet


def kind_of(name: str) -> Kind:
    every = kinds.all_kinds()
    try:
        return every[name]
    except KeyError:
        raise InputError(f"unknown kind {name!r} (one of {', '.join(every)})") from None


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


class _Checker:
    """Parses the rows of one sheet and collects every problem (never stops at the first)."""

    def __init__(self, kind: Kind, sheet: Sheet):
        self.kind = kind
        self.sheet = sheet
        self.problems: list[Problem] = []
        self.bad: set[int] = set()                           # row numbers with any problem
        self.bad_fields: set[tuple[int, str]] = set()
        self.columns: dict[str, tuple[int, str]] = {}     # field → (index, header as in the sheet)
        self.ignored: list[str] = []
        lookup = kinds.header_map(kind)
        file_problems = []
        for i, header in enumerate(sheet.headers):
            col = lookup.get(kinds.normalise_header(header)) if header else None
            if col is None:
                if header:
                    self.ignored.append(header)
                continue
            if col.field in self.columns:
                file_problems.append(f"第{sheet.header_row}行【{header}】与【{self.columns[col.field][1]}】"
                                     "是同一列（重复的列）")
                continue
            self.columns[col.field] = (i, header)
        missing = [c.header for c in kind.columns if c.required and c.field not in self.columns]
        if kind.name == "units" and "id" not in self.columns and not all(
                f in self.columns for f in ("building", "entrance", "room")):
            missing.append("房号（或 楼栋、单元、房间）")
        if missing:
            file_problems.append(f"缺少必需的列：{'、'.join(missing)}（表头在第{sheet.header_row}行："
                                 f"{'、'.join(h for h in sheet.headers if h) or '空'}）")
        if file_problems:
            raise InputError("\n".join(f"{sheet.path.name}: {p}" for p in file_problems))

    def header(self, fld: str) -> str:
        if fld in self.columns:
            return self.columns[fld][1]
        return self.kind.column(fld).header

    def add(self, row: int, fld: str, reason: str) -> None:
        idx = self.columns.get(fld, (None, ""))[0]
        if idx is None:      # a problem about a column the sheet lacks: mark the row's first column
            idx = min((i for i, _ in self.columns.values()), default=0)
        self.problems.append(Problem(row, self.header(fld), reason, fld, idx))
        self.bad.add(row)
        self.bad_fields.add((row, fld))

    def parse(self) -> list[Row]:
        out = []
        for number, raw in self.sheet.rows:
            values: dict[str, Any] = {}
            for fld, (idx, _) in self.columns.items():
                col = self.kind.column(fld)
                cell = raw[idx] if idx < len(raw) else None
                if cells.blank(cell):
                    if col.required:
                        self.add(number, fld, "必填，不能为空")
                    continue
                try:
                    values[fld] = cells.PARSERS[col.type](cell)
                except cells.CellError as exc:
                    self.add(number, fld, str(exc))
            out.append(Row(number, values, set(self.columns)))
        return out


# --- per-kind planning ---------------------------------------------------------------------------

@dataclass
class Plan:
    """Rows to write, per table: new rows and changes to existing rows (by id)."""

    new: dict[str, list[dict]] = field(default_factory=dict)
    changed: dict[str, list[dict]] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def put(self, table: str, existing: dict | None, row: dict) -> None:
        row = _plain(row)
        if existing is None:
            self.new.setdefault(table, []).append(row)
            return
        changes = {k: v for k, v in row.items() if k != "id" and existing.get(k) != v}
        if changes:
            self.changed.setdefault(table, []).append({"id": existing["id"], **changes})
        else:
            self.unchanged[table] = self.unchanged.get(table, 0) + 1

    def counts(self) -> dict[str, dict[str, int]]:
        tables = set(self.new) | set(self.changed) | set(self.unchanged)
        return {t: {"inserted": len(self.new.get(t, [])), "updated": len(self.changed.get(t, [])),
                    "unchanged": self.unchanged.get(t, 0)} for t in sorted(tables)}


class _Ids:
    """Allocates new ids P0001…, A0001…, O0001… after the highest already used."""

    def __init__(self, existing: list[str]):
        self.next: dict[str, int] = {}
        for rid in existing:
            m = re.fullmatch(r"([A-Z])(\d+)", rid or "")
            if m:
                self.next[m.group(1)] = max(self.next.get(m.group(1), 1), int(m.group(2)) + 1)
        self.taken = set(existing)

    def new(self, prefix: str) -> str:
        n = self.next.get(prefix, 1)
        while f"{prefix}{n:04d}" in self.taken:
            n += 1
        self.next[prefix] = n + 1
        rid = f"{prefix}{n:04d}"
        self.taken.add(rid)
        return rid

    def claim(self, rid: str) -> None:
        self.taken.add(rid)


def _month_end(period: str) -> date:
    y, m = int(period[:4]), int(period[5:7])
    return date(y, m, calendar.monthrange(y, m)[1])


def _nested(values: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) + 1:]: v for k, v in values.items() if k.startswith(prefix + ".")}


def _plan_units(ws: Workspace, view: View, ck: _Checker, rows: list[Row], plan: Plan) -> None:
    seen: dict[str, int] = {}
    for r in rows:
        v = r.values
        parts: dict[str, Any] = {f: v[f] for f in ("building", "entrance", "room") if f in v}
        uid = v.get("id")
        if uid is None:
            if len(parts) < 3:
                if r.number not in ck.bad:
                    ck.add(r.number, "id", "必须填写房号，或填写楼栋、单元、房间")
                continue
            uid = f"{parts['building']}-{parts['entrance']}-{parts['room']}"
        else:
            pieces = uid.split("-")
            if len(pieces) == 3 and all(pieces):
                for f, p in zip(("building", "entrance", "room"), pieces):
                    if f in parts and parts[f] != p:
                        ck.add(r.number, f, f"与房号“{uid}”不一致（房号中为“{p}”）")
                    parts.setdefault(f, p)
            elif len(parts) < 3:
                ck.add(r.number, "id", f"房号“{uid}”不是 楼栋-单元-房间 格式（如 1-2-301），"
                                       "请另填楼栋、单元、房间列")
                continue
        bad_id = kinds.unit_id_problem(uid)
        if bad_id:
            ck.add(r.number, "id" if "id" in ck.columns else "room", bad_id)
            continue
        if uid in seen:
            ck.add(r.number, "id" if "id" in ck.columns else "room", f"房号“{uid}”重复（与第{seen[uid]}行相同）")
            continue
        seen[uid] = r.number
        existing = view.get("units", uid)
        row: dict[str, Any] = {"id": uid}
        if existing is None or "community" in v:
            row["community"] = v.get("community") or ws.company.community
        row.update(parts)
        if "floor" in v:
            row["floor"] = v["floor"]
        elif existing is None or "room" in r.present or "id" in r.present:
            m = re.fullmatch(r"(\d+)(\d\d)", parts["room"])
            if m:
                row["floor"] = int(m.group(1))
        if "area" in v:
            row["area"] = str(v["area"])
        if "fee_rate" in v:
            row["fee_rate"] = str(v["fee_rate"])
        if "status" in v:
            code = kinds.unit_status(v["status"])
            if code is None:
                ck.add(r.number, "status", f"房屋状态“{v['status']}”无效（应为 已入住、托管、空置 或 装修中）")
                continue
            row["status"] = code
        elif existing is None:
            row["status"] = "occupied"
        if "parking" in v:
            row["parking"] = v["parking"]
        elif existing is None:
            row["parking"] = False
        custody = _nested(v, "custody")
        if custody:
            if "since" in custody:
                custody["since"] = custody["since"].isoformat()
            row["custody"] = custody
        plan.put("units", existing, row)


def _check_kind(ck: _Checker, r: Row) -> str | None:
    v = r.values
    word = v.get("kind")
    if word is not None:
        kind = kinds.owner_kind(word)
        if kind is None:
            ck.add(r.number, "kind", f"业主类型“{word}”无效（应为 个人 或 单位）")
            return None
        return kind
    if _has_problem(ck, r, "kind"):
        return None
    return "company" if "credit_code" in v else "individual"


def _plan_owners(ws: Workspace, view: View, ck: _Checker, rows: list[Row], plan: Plan) -> None:
    units = {u["id"]: u for u in view.all("units")}
    parties = view.all("parties")
    ids = _Ids([p["id"] for p in parties])
    by_key = {(p.get("id_number") or p.get("credit_code")): p for p in parties
              if p.get("kind") in ("individual", "company") and (p.get("id_number") or p.get("credit_code"))}
    by_id = {p["id"]: p for p in parties}
    agents = {(p.get("agent_for"), p.get("id_number")): p for p in parties if p.get("kind") == "agent"}
    seen_units: dict[str, int] = {}
    file_keys: dict[str, tuple[int, str, str]] = {}          # key → (row, name, party id)
    file_ids: dict[str, str] = {}                             # party id → key
    for r in rows:
        v = r.values
        uid = v.get("unit")
        if uid is not None:
            if uid not in units:
                ck.add(r.number, "unit", f"房屋“{uid}”不存在（请先导入房屋：formsmith records import units）")
            elif uid in seen_units:
                ck.add(r.number, "unit", f"房号“{uid}”重复（与第{seen_units[uid]}行相同，一套房屋一行）")
            else:
                seen_units[uid] = r.number
        kind = _check_kind(ck, r)
        if kind == "individual":
            if "id_number" not in v and not _has_problem(ck, r, "id_number"):
                ck.add(r.number, "id_number", "个人业主必须填写身份证号")
            if "credit_code" in v:
                ck.add(r.number, "credit_code", "个人业主不填统一社会信用代码（单位业主请把业主类型填为“单位”）")
        elif kind == "company":
            if "credit_code" not in v and not _has_problem(ck, r, "credit_code"):
                ck.add(r.number, "credit_code", "单位业主必须填写统一社会信用代码")
            if "contact_person" not in v:
                ck.add(r.number, "contact_person", "单位业主必须填写联系人")
        agent = _nested(v, "agent")
        agent_cols = [f for f in ck.columns if f.startswith("agent.")]
        agent_given = bool(agent) or any(_has_problem(ck, r, f) for f in agent_cols)
        if agent_given:
            if "name" not in agent:
                ck.add(r.number, "agent.name", "有代理人信息时必须填写代理人姓名")
            if "id_number" not in agent and not _has_problem(ck, r, "agent.id_number"):
                ck.add(r.number, "agent.id_number", "代理人必须填写身份证号")
            if "power_of_attorney" not in agent:
                ck.add(r.number, "agent.power_of_attorney", "代理人必须有授权委托书（填写委托书名称或编号）")
        if r.number in ck.bad or kind is None or uid is None or "name" not in v:
            continue
        key = v.get("id_number") if kind == "individual" else v.get("credit_code")
        if key is None:                 # missing: reported above, the row is bad
            continue
        what = "身份证号" if kind == "individual" else "统一社会信用代码"
        key_field = "id_number" if kind == "individual" else "credit_code"
        pid = v.get("id")
        stored = by_key.get(key)
        if key in file_keys:
            first_row, first_name, first_pid = file_keys[key]
            if first_name != v["name"]:
                ck.add(r.number, "name", f"与第{first_row}行{what}相同但姓名不同（第{first_row}行为“{first_name}”）")
                continue
            if pid and pid != first_pid:
                ck.add(r.number, "id", f"与第{first_row}行{what}相同但业主编号不同")
                continue
            pid = first_pid
        elif pid:
            if stored is not None and stored["id"] != pid:
                ck.add(r.number, key_field, f"该{what}已登记为业主编号 {stored['id']}（不能再编为 {pid}）")
                continue
            other = by_id.get(pid)
            if other is not None and (other.get("id_number") or other.get("credit_code")) != key:
                ck.add(r.number, "id", f"业主编号 {pid} 已属于另一位业主（{other.get('name')}）")
                continue
            if pid in file_ids and file_ids[pid] != key:
                ck.add(r.number, "id", f"业主编号 {pid} 在本表中已用于另一位业主")
                continue
            ids.claim(pid)
        else:
            pid = stored["id"] if stored is not None else ids.new(PARTY_PREFIX["owner"])
        file_keys.setdefault(key, (r.number, v["name"], pid))
        file_ids[pid] = key
        party: dict[str, Any] = {"id": pid, "kind": kind, "name": v["name"], key_field: key}
        for f in ("contact_person", "phone", "mailing_address", "service_address"):
            if f in v:
                party[f] = v[f]
        if agent:
            aid = agent.get("id")
            found = agents.get((pid, agent["id_number"]))
            if aid is None:
                aid = found["id"] if found is not None else ids.new(PARTY_PREFIX["agent"])
            else:
                other = by_id.get(aid)
                if other is not None and (other.get("kind") != "agent" or other.get("id_number") != agent["id_number"]):
                    ck.add(r.number, "agent.id", f"代理人编号 {aid} 已属于另一人")
                    continue
                ids.claim(aid)
            arow: dict[str, Any] = {"id": aid, "kind": "agent", "name": agent["name"],
                                    "id_number": agent["id_number"]}
            if "phone" in agent:
                arow["phone"] = agent["phone"]
            arow["agent_for"] = pid
            arow["power_of_attorney"] = agent["power_of_attorney"]
            if "poa_date" in agent:
                arow["poa_date"] = agent["poa_date"].isoformat()
            plan.put("parties", by_id.get(aid), arow)
            by_id[aid] = {**by_id.get(aid, {}), **_plain(arow)}
            party["agent"] = aid
        plan.put("parties", by_id.get(pid), party)
        by_id[pid] = {**by_id.get(pid, {}), **_plain(party)}
        plan.put("units", units[uid], {"id": uid, "owner": pid})


def _has_problem(ck: _Checker, r: Row, fld: str) -> bool:
    return (r.number, fld) in ck.bad_fields


def _plan_occupants(ws: Workspace, view: View, ck: _Checker, rows: list[Row], plan: Plan) -> None:
    units = {u["id"] for u in view.all("units")}
    parties = view.all("parties")
    ids = _Ids([p["id"] for p in parties])
    by_id = {p["id"]: p for p in parties}
    by_key = {(p.get("unit"), p.get("id_number") or p.get("name")): p for p in parties
              if p.get("kind") == "occupant"}
    seen: dict[tuple, int] = {}
    for r in rows:
        v = r.values
        uid = v.get("unit")
        if uid is not None and uid not in units:
            ck.add(r.number, "unit", f"房屋“{uid}”不存在（请先导入房屋：formsmith records import units）")
        if r.number in ck.bad or uid is None or "name" not in v:
            continue
        key = (uid, v.get("id_number") or v["name"])
        if key in seen:
            fld = "id_number" if v.get("id_number") else "name"
            ck.add(r.number, fld, f"同一房屋的住户重复（与第{seen[key]}行相同）")
            continue
        seen[key] = r.number
        stored = by_key.get(key)
        oid = v.get("id")
        if oid is None:
            oid = stored["id"] if stored is not None else ids.new(PARTY_PREFIX["occupant"])
        else:
            other = by_id.get(oid)
            if other is not None and (other.get("kind") != "occupant" or
                                      (other.get("unit"), other.get("id_number") or other.get("name")) != key):
                ck.add(r.number, "id", f"住户编号 {oid} 已属于另一人")
                continue
            ids.claim(oid)
        row: dict[str, Any] = {"id": oid, "kind": "occupant", "unit": uid, "name": v["name"]}
        for f in ("id_number", "phone", "relation"):
            if f in v:
                row[f] = v[f]
        if "since" in v:
            row["since"] = v["since"].isoformat()
        plan.put("parties", by_id.get(oid), row)


def charge_id(unit: str, item: str, period: str) -> str:
    """The id of a new charge: C<unit>-<YYYY-MM>-<item code> (FEE, PARK, … or a hash of the item)."""
    code = ITEM_CODES.get(item) or "X" + hashlib.sha1(item.encode("utf-8")).hexdigest()[:6].upper()
    return f"C{unit}-{period}-{code}"


def _charge_index(view: View) -> tuple[dict[tuple, dict], dict[str, dict]]:
    rows = view.all("charges")
    return {(c["unit"], c["item"], c["period"]): c for c in rows}, {c["id"]: c for c in rows}


def _plan_charges(ws: Workspace, view: View, ck: _Checker, rows: list[Row], plan: Plan) -> None:
    units = {u["id"] for u in view.all("units")}
    by_key, by_id = _charge_index(view)
    seen: dict[tuple, int] = {}
    seen_ids: dict[str, int] = {}
    for r in rows:
        v = r.values
        uid = v.get("unit")
        if uid is not None and uid not in units:
            ck.add(r.number, "unit", f"房屋“{uid}”不存在（请先导入房屋：formsmith records import units）")
        if r.number in ck.bad or not all(f in v for f in ("unit", "item", "period", "amount")):
            continue
        key = (v["unit"], v["item"], v["period"])   # all four present (above)
        if key in seen:
            ck.add(r.number, "period", f"与第{seen[key]}行重复（同一房屋、收费项目、所属期间）")
            continue
        seen[key] = r.number
        amount = str(v["amount"])
        stored = by_key.get(key)
        cid = stored["id"] if stored is not None else (v.get("id") or charge_id(*key))
        if v.get("id") and v["id"] != cid:
            ck.add(r.number, "id", f"该费用已登记为编号 {cid}（不能再编为 {v['id']}）")
            continue
        other = by_id.get(cid)
        if stored is None and other is not None:
            ck.add(r.number, "id", f"费用编号 {cid} 已属于另一笔费用（{other['unit']} {other['item']} {other['period']}）")
            continue
        if cid in seen_ids:
            ck.add(r.number, "id", f"费用编号 {cid} 与第{seen_ids[cid]}行重复")
            continue
        seen_ids[cid] = r.number
        due = (v.get("due") or _month_end(v["period"])).isoformat()
        if stored is not None and stored.get("paid_on"):
            if stored["amount"] != amount:
                ck.add(r.number, "amount", f"该费用已于{stored['paid_on']}缴清，金额为{stored['amount']}元，"
                                           f"不能改为{amount}元")
                continue
            row = {"id": cid, "unit": uid, "item": v["item"], "period": v["period"], "amount": amount}
            if "due" in v:
                row["due"] = due
        else:
            row = {"id": cid, "unit": uid, "item": v["item"], "period": v["period"], "amount": amount,
                   "due": due, "paid_on": None}
        if v.get("case"):          # a paid repair's fee: the case it is for (the 有偿服务登记 reads it)
            row["case"] = str(v["case"]).strip().upper()
        plan.put("charges", stored, row)


def payment_id(unit: str, paid_on: str) -> str:
    """The ledger id of what `unit` paid on `paid_on` outside the counter (imported, or taken
    over by the demo): one payment per unit and day."""
    return f"SK-{unit}-{paid_on}"


def _plan_payments(ws: Workspace, view: View, ck: _Checker, rows: list[Row], plan: Plan) -> None:
    units = {u["id"] for u in view.all("units")}
    by_key, by_id = _charge_index(view)
    paid: dict[str, dict] = {}
    seen: dict[tuple, int] = {}
    for r in rows:
        v = r.values
        uid = v.get("unit")
        if uid is not None and uid not in units:
            ck.add(r.number, "unit", f"房屋“{uid}”不存在")
        if r.number in ck.bad or not all(f in v for f in ("unit", "item", "period", "amount", "paid_on")):
            continue
        key = (uid, v["item"], v["period"])
        if key in seen:
            ck.add(r.number, "period", f"与第{seen[key]}行重复（同一房屋、收费项目、所属期间）")
            continue
        seen[key] = r.number
        charge = by_key.get(key)
        if charge is None:
            ck.add(r.number, "item", f"找不到这笔应收费用（{uid} {v['item']} {v['period']}），请先导入应收费用")
            continue
        amount, paid_on = str(v["amount"]), v["paid_on"].isoformat()
        if amount != charge["amount"]:
            ck.add(r.number, "amount", f"实收金额{amount}元与应收金额{charge['amount']}元不符（不支持部分缴费）")
            continue
        if charge.get("paid_on") and charge["paid_on"] != paid_on:
            ck.add(r.number, "paid_on", f"该费用已于{charge['paid_on']}缴清")
            continue
        pid = payment_id(str(uid), paid_on)
        row = {"id": charge["id"], "paid_on": paid_on, "payment": pid}
        if "receipt" in v:
            row["receipt"] = v["receipt"]
        plan.put("charges", charge, row)
        group = paid.setdefault(pid, {"id": pid, "unit": uid, "paid_on": paid_on, "charges": [],
                                      "amounts": [], "receipts": []})
        group["charges"].append(charge["id"])
        group["amounts"].append(Decimal(amount))
        if v.get("receipt"):
            group["receipts"].append(str(v["receipt"]))
    # Every imported payment is a payment of the ledger too: one per unit and day, naming the
    # charges it cleared, so the ledger reconciles receipts with 应收 whatever the source.
    for pid, g in paid.items():
        existing = view.get("payments", pid)
        charges = sorted(set((existing or {}).get("charges", [])) | set(g["charges"]))
        amounts = {c: a for c, a in zip(g["charges"], g["amounts"])}
        for c in charges:
            if c not in amounts:
                amounts[c] = Decimal(by_id[c]["amount"])
        receipts = list(dict.fromkeys(g["receipts"]))
        plan.put("payments", existing, {
            "id": pid, "unit": g["unit"], "paid_on": g["paid_on"], "charges": charges,
            "amount": str(sum(amounts.values(), Decimal("0.00"))),
            "method": (existing or {}).get("method", "导入"), "payer": (existing or {}).get("payer"),
            "by": (existing or {}).get("by", "导入"), "state": "recorded",
            "receipt": (existing or {}).get("receipt") or ("、".join(receipts) or None),
            "source": (existing or {}).get("source", "缴费表导入（收据由原系统开具）")})


PLANNERS = {"units": _plan_units, "owners": _plan_owners, "occupants": _plan_occupants,
            "charges": _plan_charges, "payments": _plan_payments}


def check_sheet(ws: Workspace, view: View, kind: Kind, sheet: Sheet) -> tuple[list[Problem], Plan, list[str]]:
    """Every problem of the sheet and, when there are none, what to write."""
    ck = _Checker(kind, sheet)
    rows = ck.parse()
    plan = Plan()
    (kind.planner or PLANNERS[kind.name])(ws, view, ck, rows, plan)
    ck.problems.sort(key=lambda p: (p.row, p.col_index if p.col_index is not None else -1))
    return ck.problems, plan, ck.ignored


def import_file(ws: Workspace, kind_name: str, path: Path, *, dry_run: bool = False,
                errors_out: Path | None = None) -> ImportReport:
    """Check every row of `path` and, if all are good (and not `dry_run`), write them in one
    transaction. With bad rows nothing is written; `errors_out` then gets a copy of the sheet
    with the bad cells marked. Re-importing the same file writes nothing (natural-key upsert)."""
    kind = kind_of(kind_name)
    path = Path(path)
    sheet = read_sheet(path, lambda h: kinds.normalise_header(h) in kinds.header_map(kind))
    report = ImportReport(kind=kind.name, file=str(path), fmt=sheet.fmt, encoding=sheet.encoding,
                          sheet=sheet.sheet_name, header_row=sheet.header_row, rows=len(sheet.rows),
                          dry_run=dry_run)
    if dry_run:
        with ws.store.snapshot() as view:
            problems, plan, ignored = check_sheet(ws, view, kind, sheet)
    else:
        with ws.store.transaction() as tx:
            problems, plan, ignored = check_sheet(ws, tx, kind, sheet)
            if not problems:
                for table, new in plan.new.items():
                    tx.insert_many(table, new)
                for table, changed in plan.changed.items():
                    tx.upsert_many(table, changed)
                report.written = bool(plan.new or plan.changed)
    report.problems = problems
    report.ignored_columns = ignored
    report.counts = plan.counts() if not problems else {}
    if problems and errors_out is not None:
        write_error_copy(sheet, [(p.row, p.col_index, p.reason) for p in problems], Path(errors_out))
        report.errors_file = str(errors_out)
    return report
