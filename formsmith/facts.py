"""What a data file states about a unit the store knows must be what the store records.

A template may be filled from a data file (`render --data`), but where the data names a unit
the store holds, every fact it states about that unit is checked against the store before a
number is taken: its owner, its area, its address; for a template the store can build (the
arrears letters), everything the store would have put there — the months owed and their
amounts, the total, the earlier letters it cites. Each field that differs is named with both
values; the document is refused, nothing is written. What the data may choose (the letter's
date, its deadline) is not a fact about the unit and is not compared.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from . import catalog, dates, formats, sources
from .errors import FormsmithError, NotFoundError
from .store import View, known_tables
from .workspace import Workspace

# Facts about a unit a template without a store builder may state, by field name.
UNIT_FACTS = ("unit_address", "area", "owner_name", "owner_kind")
# What a data file chooses for itself even where the store could build the rest.
CHOSEN = ("as_of", "deadline", "deadline_days", "contract",
          "applicant_kind",   # who applies (owner or an agent) is the application's, not the unit's
          # the number of a document the data cites (a pass its permit, a permit its agreement):
          # any of that renovation's documents in force, which its rule checks against the store
          # (renovation rules.cited_document), not only the latest one the builder names
          "permit_no", "agreement_no")


def unit_facts(view: View, unit: dict[str, Any]) -> dict[str, Any]:
    """The facts of UNIT_FACTS as the store records them."""
    owner = view.get("parties", unit.get("owner", "")) or {}
    return {"unit_address": sources.unit_address(unit), "area": unit.get("area"),
            "owner_name": owner.get("name"),
            "owner_kind": "单位" if owner.get("kind") == "company" else "个人" if owner else None}


def _shown(value: Any, key: str = "") -> str:
    """A value as the refusal shows it: identity numbers masked (the message is printed and
    logged; it must not carry a full ID number the data file or the store holds)."""
    if key.endswith(("id_number", "credit_code")) and isinstance(value, str) and value:
        return formats.mask_id(value)
    if isinstance(value, list):
        return f"{len(value)} 项"
    if value is None or value == "":
        return "（空）"
    return str(value)


def _comparable(value: Any) -> Any:
    """A value as compared: lists of rows as tuples of their items, in order."""
    if isinstance(value, list):
        return [tuple(sorted((k, _comparable(v)) for k, v in row.items())) if isinstance(row, dict)
                else _comparable(row) for row in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def problems(ws: Workspace, template: catalog.Template, view: View, values: dict[str, Any],
             as_of: date, record: str) -> list[str]:
    """Every field of `values` that disagrees with what the store records about the unit they
    name (none when they name no unit, or one the store does not hold)."""
    unit_keyed = any(sources.key_of(n) == "unit" for n in template.sources or (template.source,) if n)
    for table in sources.record_keys(template):
        found = _record_named(view, table, values)
        if found is not None:      # a form about a record the store holds: 回访记录 of a repair
            try:
                of_record = sources.build(ws, template, view, found, as_of, key="record")
            except FormsmithError as exc:
                return [f"数据文件所写{found}与登记不符：{line}" for line in exc.lines()]
            return _disagreements(template, values, of_record, f"{found} 登记为")
    unit_id = values.get("unit")
    if not isinstance(unit_id, str) or not unit_id:
        return []
    unit = view.get("units", unit_id)
    if unit is None:
        return []
    where = f"房屋 {unit_id} 登记为"
    built: dict[str, Any] | None = None
    if unit_keyed:
        # built as of the date the document states (its period field, else as_of)
        stated = values.get(template.period_field) if template.period_field else None
        stated = stated if isinstance(stated, date) else values.get("as_of")
        stated_as_of: date = stated if isinstance(stated, date) else as_of
        if dates.date_problem(stated_as_of):
            return []        # no date to build the store's version at: the date check refuses it
        try:
            built = sources.build(ws, template, view, unit_id, stated_as_of)
        except NotFoundError:
            built = None     # the process's record is not in the store (no renovation registered)
        except FormsmithError as exc:   # the store knows better: no arrears, no letter delivered
            return [f"数据文件所写房屋 {unit_id} 与登记不符：{line}" for line in exc.lines()]
        # The store's record of the unit (its current renovation) and the data's must be the
        # same one to be compared: a data file about another renovation names another id.
        if built is not None and any(values.get(k) != v for k, v in built.items()
                                     if k.endswith("_id") and k != "unit"):
            built = None
    if built is not None:
        return _disagreements(template, values, built, where)
    stored = {}
    for k, v in unit_facts(view, unit).items():
        field = template.field(k)
        if v is None or field is None or (k == "area" and "建筑面积" not in field.label):
            continue            # a 服务面积 is not the unit's floor area
        problems_: list[str] = []   # typed as the template types it (area "98.56" a number)
        typed = catalog.coerce(field, v, k, problems_)
        stored[k] = v if problems_ else typed
    return _lines(template, values, stored, [k for k in UNIT_FACTS if k in values and k in stored], [], where)


def _record_named(view: View, table: str, values: dict[str, Any]) -> str | None:
    """The id of the row of `table` the data names in one of its `…_id` fields, if the store holds it."""
    if table not in known_tables():      # a builder keyed by a day or a period, not by a row
        return None
    for k, v in values.items():
        if k.endswith("_id") and isinstance(v, str) and v and view.get(table, v) is not None:
            return v
    return None


def _disagreements(template: catalog.Template, values: dict[str, Any], built: dict[str, Any],
                   where: str) -> list[str]:
    """The fields the data states that the store's version (`built`) states otherwise."""
    try:
        stored = catalog.validate(template, built, record=where)
    except FormsmithError as exc:
        return [f"{where.removesuffix('登记为')}的登记数据不能用于本模板：{line}" for line in exc.lines()]
    chosen = set(CHOSEN) | ({template.period_field} if template.period_field else set())
    recorded = {k for k, v in built.items() if v not in (None, "", [])}   # what the store knows
    keys = [k for k in values if k in stored and k in recorded and k not in chosen
            and values[k] not in (None, "", [])]
    missing: list[str] = [k for k in ("items", "total", "prior_demands")
                          if k in recorded and k in stored and k not in values]
    return _lines(template, values, stored, keys, missing, where)


def _lines(template: catalog.Template, values: dict[str, Any], stored: dict[str, Any], keys: list[str],
           missing: list[str], where: str) -> list[str]:
    out = []
    for key in keys:
        if _comparable(values[key]) != _comparable(stored[key]):
            field = template.field(key)
            label = f"{key}（{field.label}）" if field is not None and field.label else key
            out.append(f"字段 {label}：数据文件写的是“{_shown(values[key], key)}”，{where}“{_shown(stored[key], key)}” "
                       "(the data disagrees with the store)")
    for key in missing:
        field = template.field(key)
        label = f"{key}（{field.label}）" if field is not None and field.label else key
        out.append(f"字段 {label}：数据文件未写，{where}“{_shown(stored[key], key)}” (the store records it)")
    return out
