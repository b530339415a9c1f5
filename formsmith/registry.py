"""The processes formsmith knows, found automatically: one package per process under
`formsmith/processes/`, registered like plugins.

A process package (`formsmith/processes/custody/`, …) declares in its `__init__.py`

    PROCESS = register(Process("custody", "房屋托管", tables=(...), ...))

and imports its own modules there: `sources.py` (data builders, `@sources.builder`), `rules.py`
(`@rules.rule`), optionally `cli.py` (click commands, added by `formsmith.cli` on discovery) and
`demo.py` (its demo rows). Its templates name it in their manifest (`process = "custody"`).
Nothing else has to be edited to add a process: `load()` imports every package it finds.

The lower layers (data builders, rules) ask for `load()` before they look a name up; they name
the processes package as a string, so no module below the processes imports them.
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from . import store

PACKAGE = "formsmith.processes"

DemoRows = Callable[[dict[str, list[dict]]], dict[str, list[dict]]]


@dataclass(frozen=True)
class Process:
    """One process of the service centre (PROCESSES.md): what it keeps and what it adds.

    `tables` are the store tables the process owns (rows of its own records, listed by
    `records list`); `demo` adds its rows to the demo community, given the rows generated so far
    (units, parties, charges, …), and returns its own tables' rows; `columns` are what
    `records list TABLE` shows of each of its tables.
    """

    name: str
    title: str                                   # 托管, 装修管理, … (what a clerk calls it)
    summary: str = ""
    tables: tuple[str, ...] = ()
    demo: DemoRows | None = None
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)   # table → `records list` columns
    indexes: dict[str, tuple[str, ...]] = field(default_factory=dict)   # table → fields the store indexes
    # `init --demo`'s part of this process, after the rows are seeded: story(ws, as_of) issues
    # what the process shows (not again when issued already) and returns those documents.
    story: Callable[[Any, Any], list[dict]] | None = None
    # `formsmith today`'s part of this process: agenda(ws, view, as_of) returns what falls due on
    # or before `as_of` and was not done by then, each item a dict {ref, process, kind, unit,
    # what, label, due (ISO date, or date and time), days_late, overdue, assignee, description};
    # `today` (processes/cases/agenda.py) collects them from every process (agenda_items()).
    agenda: Callable[[Any, Any, Any], list[dict]] | None = None
    module: str = field(default="", compare=False)

    @property
    def commands_module(self) -> str | None:
        """The process's click commands (`<package>.cli`), if it has any."""
        name = f"{self.module}.cli"
        return name if importlib.util.find_spec(name) is not None else None


_PROCESSES: dict[str, Process] = {}
_loaded = False


def register(process: Process, module: str | None = None) -> Process:
    """Record `process` (called by the process package's `__init__`)."""
    if module is None:
        module = f"{PACKAGE}.{process.name}"
    registered = dataclasses.replace(process, module=module)
    for table in process.tables:
        if table not in store.TABLES:      # renovations, repairs: laid out by the store itself
            store.register_table(table, indexes=process.indexes.get(table, ()))
    previous = _PROCESSES.get(process.name)
    if previous is not None and previous.module != module:
        raise RuntimeError(f"two processes named {process.name!r}: {previous.module} and {module}")
    _PROCESSES[process.name] = registered
    return registered


def load() -> dict[str, Process]:
    """Every process, by name, in the order of their package names; imports them once."""
    global _loaded
    if not _loaded:
        locations: Any = importlib.import_module(PACKAGE).__path__
        for info in sorted(pkgutil.iter_modules(locations), key=lambda i: i.name):
            if info.ispkg and not info.name.startswith("_"):
                module = importlib.import_module(f"{PACKAGE}.{info.name}")
                if not isinstance(getattr(module, "PROCESS", None), Process):
                    raise RuntimeError(f"{PACKAGE}.{info.name} declares no PROCESS = register(Process(...))")
        _loaded = True
    return dict(sorted(_PROCESSES.items()))


def agenda_items(ws: Any, view: Any, as_of: Any) -> list[dict]:
    """What every process has due on or before `as_of` (their `agenda` hooks), overdue first."""
    items = [item for p in load().values() if p.agenda is not None for item in p.agenda(ws, view, as_of)]
    return sorted(items, key=lambda i: (not i["overdue"], -i["days_late"], i["due"], i["ref"]))


def tables() -> dict[str, str]:
    """Every table a process owns → the process's name."""
    return {t: p.name for p in load().values() for t in p.tables}
