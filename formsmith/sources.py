"""Template data built from the store: what `render --unit` fills a template with.

The builders themselves live with their process (`formsmith/processes/<name>/sources.py`) and
register here with `@builder(name)`; this module holds the registry and the lookups they share
(a unit's address, its owner, its rows of a table, its overdue charges)."""
from __future__ import annotations

import weakref
from datetime import date
from typing import Any, Callable

from . import registry
from .catalog import Template
from .errors import InputError, TemplateError
from .store import Transaction, View, known_tables
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


def key_of(name: str) -> str | None:
    """What the builder `name` is keyed by ("unit" or a table), None if there is no such builder."""
    registry.load()
    return _KEYS.get(name)


def build(ws: Workspace, template: Template, view: View, unit: str, as_of: date,
          key: str = "unit") -> dict[str, Any]:
    """The data for `template` about `unit` as of `as_of`, from the store in `view`.

    With key="record", `unit` is the id of the row the template's builder is keyed by instead;
    a template with builders for several kinds of record (`source = [...]`) is built by the one
    whose table holds that id.
    """
    if not template.source:
        raise InputError(f"template {template.id} takes its data from a file (--data), not --{key}")
    registry.load()
    names = template.sources or (template.source,)
    for name in names:
        if name not in _BUILDERS:
            raise TemplateError(f"template {template.id}: unknown data source {name!r}")
    if key == "unit":
        chosen = [n for n in names if _KEYS[n] == "unit"]
    else:
        keyed = [n for n in names if _KEYS[n] != "unit"]
        chosen = [n for n in keyed if _holds(view, _KEYS[n], unit)] or keyed
    if not chosen:
        wanted = _KEYS[names[0]]
        hint = "--unit UNIT" if wanted == "unit" else f"--record ID (a row of {wanted})"
        raise InputError(f"template {template.id} is built from the store with {hint}")
    return _BUILDERS[chosen[0]](ws, view, unit, as_of)


def record_keys(template: Template) -> list[str]:
    """The tables (or other keys) the template's record builders are keyed by (not "unit")."""
    registry.load()
    return [_KEYS[n] for n in (template.sources or (template.source,)) if n in _KEYS and _KEYS[n] != "unit"]


def _holds(view: View, table: str, row_id: str) -> bool:
    """Whether store table `table` holds a row `row_id` (False for a key that is no table)."""
    return table in known_tables() and bool(row_id) and view.get(table, row_id) is not None


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
        raise InputError(f"房屋 {unit['id']}：字段 owner（业主）：登记中无业主 {unit.get('owner')!r} (no owner on record)")
    return owner
