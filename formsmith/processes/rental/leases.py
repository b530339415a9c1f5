"""The `leases` table and what both rental documents check: a unit's agency and lease on record,
the lease term the law allows, the local per-person area standard, the owner's number.

The laws the rental documents rest on, by article:
- 《中华人民共和国民法典》第七百零五条 (a lease runs 20 years at most; the excess is void),
  第七百零六条 (an unfiled lease is still valid), 第七百一十六条 (subletting needs the lessor's consent);
- 《商品房屋租赁管理办法》(住房和城乡建设部令第6号) 第六条 (houses that may not be let), 第八条 (the
  original room is the smallest unit let; per-person floor area not below the local standard;
  no kitchen, bathroom, balcony or underground storage let as living space), 第十一条 (subletting
  with the lessor's written consent), 第十四条 (the parties file the lease within 30 days of
  signing), 第十九条 (what the filing needs: the lease, the parties' identity papers, the title).
"""
from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ... import formats, identity
from ...errors import NotFoundError, SettingsError
from ...rules import RuleContext, field_title
from ...sources import owner_of, unit_address, unit_rows
from ...store import View
from ...workspace import Workspace

TABLE = "leases"
MAX_LEASE_MONTHS = 240                 # 民法典 第七百零五条: 二十年
INDIVIDUAL, ORGANISATION = "个人", "单位"
ROOM_RULE = ("出租住房应当以原设计的房间为最小出租单位，厨房、卫生间、阳台和地下储藏室不得出租供人员居住"
             "（《商品房屋租赁管理办法》第八条）")


def start_of(row: dict[str, Any]) -> str:
    """When a `leases` row begins: its agency's first day, or (an owner letting the unit
    himself, no agency) its lease's."""
    agency = row.get("agency") or {}
    return str(agency.get("from") or (row.get("lease") or {}).get("from") or "")


def lease_of(view: View, unit_id: str) -> dict[str, Any]:
    """The unit's latest row on record (an agency, or a lease the owner let himself);
    NotFoundError when there is none (a data file about the unit is then checked against the
    unit's own facts only)."""
    view.require("units", unit_id, "unit")
    rows = unit_rows(view, TABLE, unit_id)
    if not rows:
        raise NotFoundError(f"房屋 {unit_id}：字段 lease_id（租赁委托登记号）：该房屋无房屋租赁委托登记，"
                            "无法从登记生成（可用 --data 填写） (no lease on record)")
    return max(rows, key=lambda r: (start_of(r), r["id"]))


def agency_of(view: View, unit_id: str) -> dict[str, Any]:
    """The unit's latest row that records an agency (the owner's entrusting the company)."""
    view.require("units", unit_id, "unit")
    rows = [r for r in unit_rows(view, TABLE, unit_id) if r.get("agency")]
    if not rows:
        raise NotFoundError(f"房屋 {unit_id}：字段 lease_id（租赁委托登记号）：该房屋无房屋租赁委托登记，"
                            "无法从登记生成（可用 --data 填写；登记委托用 formsmith rental entrust） (no agency on record)")
    return max(rows, key=lambda r: (start_of(r), r["id"]))


def owner_facts(view: View, unit_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(unit row, owner row, what both documents state of the unit and its owner)."""
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    company = owner.get("kind") == "company"
    data = {"unit": unit_id, "unit_address": unit_address(unit), "area": unit.get("area"),
            "owner_name": owner["name"], "owner_kind": ORGANISATION if company else INDIVIDUAL,
            "owner_id_number": owner.get("credit_code") if company else owner.get("id_number"),
            "owner_phone": owner.get("phone")}
    return unit, owner, {k: v for k, v in data.items() if v is not None}


def min_area(ws: Workspace) -> tuple[Decimal | None, str]:
    """The local per-person floor-area standard of formsmith.toml [rental] (m², None when unset)
    and where it is set (`min_area_rule`, may be empty)."""
    raw = ws.setting("rental", "min_area_per_person")
    rule_text = str(ws.setting("rental", "min_area_rule", "") or "")
    if raw is None or raw == "":
        return None, rule_text
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        raise SettingsError([f"formsmith.toml [rental] min_area_per_person: 应为大于0的平方米数，如 \"5\"，"
                             f"实际为 {raw!r}"])
    return value, rule_text


def max_occupants(area: Any, per_person: Decimal | None) -> int | None:
    """How many people may live in `area` m² under the local standard (None: no standard set)."""
    if per_person is None:
        return None
    problems: list[str] = []
    a = formats.parse_area(area, problems)
    return None if a is None else int(a // per_person)


def not_before(values: dict[str, Any], ctx: RuleContext, later: str, earlier: str, problems: list[str]) -> None:
    """`later` may not be before `earlier` (both dates of the data, when given)."""
    a, b = values.get(later), values.get(earlier)
    if a is not None and b is not None and a < b:
        problems.append(f"字段 {field_title(ctx, later)}：{formats.cn_date(a)}早于{field_title(ctx, earlier)}"
                        f"{formats.cn_date(b)}，日期前后矛盾 (dates out of order)")


def twenty_years_after(start: date) -> date:
    """The day a lease begun on `start` has run twenty years (29 February: the 28th)."""
    days = calendar.monthrange(start.year + 20, start.month)[1]
    return date(start.year + 20, start.month, min(start.day, days))


def lease_term(values: dict[str, Any], ctx: RuleContext, start: str, end: str, problems: list[str]) -> None:
    """A lease ends after it starts and runs 20 years at most (民法典 第七百零五条)."""
    a, b = values.get(start), values.get(end)
    if a is None or b is None:
        return
    if b <= a:
        problems.append(f"字段 {field_title(ctx, end)}：{formats.cn_date(b)}不晚于{field_title(ctx, start)}"
                        f"{formats.cn_date(a)}，租赁期限前后矛盾 (the lease ends before it starts)")
    elif b >= twenty_years_after(a):
        problems.append(f"字段 {field_title(ctx, end)}：租赁期限自{formats.cn_date(a)}至{formats.cn_date(b)}，"
                        "超过二十年；租赁期限不得超过二十年，超过部分无效（《中华人民共和国民法典》第七百零五条） "
                        "(a lease runs 20 years at most)")


def owner_number(values: dict[str, Any], ctx: RuleContext, problems: list[str]) -> None:
    """A person is named by a resident ID (GB 11643), a company by its 统一社会信用代码 (GB 32100)."""
    number, kind = values.get("owner_id_number"), values.get("owner_kind")
    if not number or not kind:
        return
    if kind == ORGANISATION and not identity.is_valid_credit_code(number):
        problems.append(f"字段 {field_title(ctx, 'owner_id_number')}：委托人为单位，应填写18位统一社会信用代码"
                        "（GB 32100，《法人和其他组织统一社会信用代码制度建设总体方案》），填写的不是有效的信用代码 "
                        "(a company is named by its credit code)")
    if kind == INDIVIDUAL and not identity.is_valid_resident_id(number):
        problems.append(f"字段 {field_title(ctx, 'owner_id_number')}：委托人为个人，应填写居民身份证号，"
                        "填写的是统一社会信用代码 (a person is named by a resident ID)")


def age_on(id_number: str, day: date) -> int | None:
    """Full years of the holder of resident ID `id_number` on `day` (None: not a resident ID)."""
    if not id_number or not identity.is_valid_resident_id(id_number):
        return None
    birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
