"""Template data built from the store: what `render --unit` fills a template with."""
from __future__ import annotations

import weakref
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable

from .catalog import Template
from .errors import InputError, TemplateError
from .store import Transaction, View
from .workspace import Workspace

Builder = Callable[[Workspace, View, str, date], dict[str, Any]]
_BUILDERS: dict[str, Builder] = {}
_KEYS: dict[str, str] = {}      # builder name → what it is built from: "unit" or a table name


def builder(name: str, key: str = "unit"):
    """Register a data builder under the name a manifest's `source` uses.

    `key` says what the builder is given: a unit id (`render --unit`), or the id of a row of
    another table such as "repairs" (`render --record BX2025-0101`).
    """
    def register(fn: Builder) -> Builder:
        _BUILDERS[name] = fn
        _KEYS[name] = key
        return fn
    return register


def build(ws: Workspace, template: Template, view: View, unit: str, as_of: date,
          key: str = "unit") -> dict[str, Any]:
    """The data for `template` about `unit` as of `as_of`, from the store in `view`.

    With key="record", `unit` is the id of the row the template's builder is keyed by instead.
    """
    if not template.source:
        raise InputError(f"template {template.id} takes its data from a file (--data), not --{key}")
    fn = _BUILDERS.get(template.source)
    if fn is None:
        raise TemplateError(f"template {template.id}: unknown data source {template.source!r}")
    wanted = _KEYS[template.source]
    if (wanted == "unit") != (key == "unit"):
        hint = "--unit UNIT" if wanted == "unit" else f"--record ID (a row of {wanted})"
        raise InputError(f"template {template.id} is built from the store with {hint}")
    return fn(ws, view, unit, as_of)


def unit_address(unit: dict) -> str:
    """阳光花园1栋2单元301室."""
    return f"{unit['community']}{unit['building']}栋{unit['entrance']}单元{unit['room']}室"


_BY_UNIT: "weakref.WeakKeyDictionary[View, dict[str, dict[str | None, list[dict]]]]" = weakref.WeakKeyDictionary()


def rows_by_unit(view: View, table: str) -> dict[str | None, list[dict]]:
    """Rows of `table` grouped by their `unit` (None: rows without one), built once per
    snapshot (a batch asks for thousands of units; scanning the table for each would be
    quadratic)."""
    if isinstance(view, Transaction):  # rows may change within a transaction: no cache
        index: dict[str | None, list[dict]] = {}
        for row in view.all(table):
            index.setdefault(row.get("unit"), []).append(row)
        return index
    per_view = _BY_UNIT.setdefault(view, {})
    cached = per_view.get(table)
    if cached is None:
        cached = per_view[table] = {}
        for row in view.all(table):
            cached.setdefault(row.get("unit"), []).append(row)
    return cached


def unit_rows(view: View, table: str, unit_id: str) -> list[dict]:
    """Rows of `table` about `unit_id`: from the snapshot's grouping when a batch built one
    (rows_by_unit), else through the store's index on `unit` (reads a few small partitions:
    one letter at the counter must not read every charge of a 20,000-unit estate)."""
    cached = _BY_UNIT.get(view, {}).get(table) if not isinstance(view, Transaction) else None
    if cached is not None:
        return cached.get(unit_id, [])
    return view.find(table, unit=unit_id)


def overdue_charges(view: View, unit_id: str, as_of: date) -> list[dict]:
    """Unpaid charges of `unit_id` whose due date is before `as_of`, oldest first."""
    cut = as_of.isoformat()
    rows = [c for c in unit_rows(view, "charges", unit_id)
            if not c.get("paid_on") and c["due"] < cut]
    return sorted(rows, key=lambda c: (c["period"], c["item"]))


def owner_of(view: View, unit: dict) -> dict:
    owner = view.get("parties", unit.get("owner", ""))
    if owner is None:
        raise InputError(f"unit {unit['id']}: field owner: no owner {unit.get('owner')!r} on record")
    return owner


@builder("unit-arrears")
def unit_arrears(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """Data of a dunning document: the unit, its owner and every overdue charge."""
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    charges = overdue_charges(view, unit_id, as_of)
    if not charges:
        raise InputError(f"unit {unit_id}: no overdue charges as of {as_of.isoformat()} "
                         "(房屋无逾期欠费)")
    address = unit_address(unit)
    days = int(ws.setting("dunning", "deadline_days", 15))
    data: dict[str, Any] = {
        "unit": unit_id,
        "unit_address": address,
        "area": unit.get("area"),
        "owner_name": owner["name"],
        "owner_kind": "单位" if owner["kind"] == "company" else "个人",
        "mailing_address": owner.get("mailing_address") or address,
        "phone": owner.get("phone"),
        "items": [{"period": c["period"], "item": c["item"], "amount": c["amount"], "due": c["due"]}
                  for c in charges],
        "total": str(sum((Decimal(c["amount"]) for c in charges), Decimal("0.00"))),
        "as_of": as_of.isoformat(),
        "deadline": (as_of + timedelta(days=days)).isoformat(),
        "contract": ws.company.contract,
    }
    notices = [{"date": d["date"], "way": d["title"].replace("物业服务费", ""), "doc_no": d["doc_no"]}
               for d in _prior(ws, view, unit_id, as_of, ("payment-notice",))]
    if notices:
        data["prior_notices"] = notices
    return data


def _prior(ws: Workspace, view: View, unit_id: str, as_of: date, templates: tuple[str, ...]) -> list[dict]:
    from .dunning import prior_demands  # dunning builds on this module
    return prior_demands(view, ws, unit_id, as_of, templates)


@builder("unit-legal")
def unit_legal(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """Data of a legal notice: the arrears, and every earlier notice and letter with its delivery."""
    data = unit_arrears(ws, view, unit_id, as_of)
    data.pop("prior_notices", None)
    days = int(ws.setting("dunning", "legal_deadline_days", 7))
    data["deadline"] = (as_of + timedelta(days=days)).isoformat()
    data["prior_demands"] = _prior(ws, view, unit_id, as_of, ("payment-notice", "dunning-letter"))
    if not any(d.get("delivered_on") for d in data["prior_demands"]):
        raise InputError(f"unit {unit_id}: field prior_demands: 无已妥投的催缴函，不能发法律催告函 "
                         "(no delivered dunning letter on record)")
    return data


# Builders of other processes live in their own modules; importing them registers them.
from . import services_sources  # noqa: E402,F401

from . import custody, movein, renovation  # noqa: E402,F401
