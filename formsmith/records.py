"""The records a clerk lists and looks up (`records list KIND`, `records show ID`): each kind a
table of the store and a filter, the kinds of the processes included as they are found.

Identity numbers are masked in what is shown (个人信息保护法: minimal personal data); asking for
them in full is recorded in the audit log with who asked.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import audit, formats, registry
from .errors import InputError
from .workspace import Workspace

MASKED_FIELDS = ("id_number", "credit_code")
PEOPLE_COLUMNS = ("id", "kind", "name", "id_number", "credit_code", "phone")


@dataclass(frozen=True)
class RecordKind:
    """A kind of record: the table it lives in, which rows of it, and the columns a list shows."""

    table: str
    keep: Callable[[dict], bool] | None = None
    columns: tuple[str, ...] = PEOPLE_COLUMNS


CORE_KINDS: dict[str, RecordKind] = {
    "units": RecordKind("units", None, ("id", "community", "building", "entrance", "room", "area",
                                        "status", "owner")),
    "owners": RecordKind("parties", lambda r: r.get("kind") in ("individual", "company")),
    "occupants": RecordKind("parties", lambda r: r.get("kind") == "occupant"),
    "agents": RecordKind("parties", lambda r: r.get("kind") == "agent"),
    "parties": RecordKind("parties"),
    "charges": RecordKind("charges", None, ("id", "unit", "item", "period", "amount", "due", "paid_on")),
}
CORE_TABLES = ("units", "parties", "charges")


def kinds() -> dict[str, RecordKind]:
    """Every kind of record: the core ones and one per table a process owns."""
    out = dict(CORE_KINDS)
    for process in registry.load().values():
        for table in process.tables:
            out.setdefault(table, RecordKind(table, None, process.columns.get(table, ("id", "unit"))))
    return out


def tables() -> tuple[str, ...]:
    """Every table `records show` looks in, in order."""
    return tuple(dict.fromkeys((*CORE_TABLES, *(t for p in registry.load().values() for t in p.tables))))


def _masked_key(key: Any) -> bool:
    return isinstance(key, str) and any(key == f or key.endswith("_" + f) for f in MASKED_FIELDS)


def masked(row: Any) -> Any:
    """A row with identity numbers masked (个人信息保护法): 420102********1234.

    Every key named id_number / credit_code or ending in _id_number / _credit_code is masked, at
    any depth (a document's record: owner_id_number, agent_id_number, workers[].id_number).
    """
    if isinstance(row, dict):
        return {k: (formats.mask_id(v) if _masked_key(k) and isinstance(v, str) and v
                    else masked(v)) for k, v in row.items()}
    if isinstance(row, list):
        return [masked(v) for v in row]
    return row


def list_rows(ws: Workspace, kind: str, unit: str | None = None, *, reveal: bool = False,
              by: str | None = None) -> list[dict]:
    """The rows of `kind` (of one unit), masked unless `reveal` (which is audited)."""
    try:
        k = kinds()[kind]
    except KeyError:
        raise InputError(f"unknown kind of record {kind!r} (one of {', '.join(sorted(kinds()))})") from None
    with ws.store.snapshot() as view:
        rows = [r if reveal else masked(r) for r in view.all(k.table) if (k.keep is None or k.keep(r))
                and (not unit or r.get("unit", r.get("id")) == unit)]
    if reveal:
        audit.record(ws, by=by, command=f"records list {kind}" + (f" --unit {unit}" if unit else "")
                     + " --reveal", revealed=f"ID numbers of {len(rows)} {kind} rows")
    return rows


def show_row(ws: Workspace, record_id: str, *, reveal: bool = False, by: str | None = None) -> dict:
    """One record by id from whichever table holds it, with its table; masked unless `reveal`."""
    with ws.store.snapshot() as view:
        for table in tables():
            row = view.get(table, record_id)
            if row is not None:
                row = {"table": table, **(row if reveal else masked(row))}
                break
        else:
            raise InputError(f"no record {record_id!r} (see `formsmith records list KIND`)")
    if reveal:
        audit.record(ws, by=by, command=f"records show {record_id} --reveal",
                     revealed=f"ID numbers of {table} {record_id}")
    return row
