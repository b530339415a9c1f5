"""Domain rules per template: checks that refuse a document and values computed for it.

The manifest declares the data a template takes; the rules of PROCESSES.md that go beyond the
field types (the custody fee is 70% of the full fee, no renovation permit without the
authority's approval of a structural change, complaint deadlines by severity, …) live here, in
Python, in the `rules.py` of each process package (`formsmith/processes/movein/rules.py`, …).
A module registers a function for a template id with `@rule("custody-agreement")`; the function gets the validated values and
a `RuleContext` and returns the values computed from them (merged into the template's `data`),
or raises `ValidationError`/`InputError` naming the field and the problem.

Rules belong to the template id, so a workspace template that overrides a built-in one is bound
by the same rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Callable

from . import registry

if TYPE_CHECKING:
    from .catalog import Template
    from .store import View
    from .workspace import Workspace

RuleFn = Callable[[dict[str, Any], "RuleContext"], dict[str, Any] | None]
_RULES: dict[str, list[RuleFn]] = {}


@dataclass(frozen=True)
class RuleContext:
    """What a rule may consult besides the values: the workspace's settings, the store as the
    data was built from it, and the date.

    `view` is the snapshot the template's data builder read (or the batch's): a rule looks the
    store up there, never in a snapshot of its own, so the data and its checks see one state."""

    ws: "Workspace"        # settings; not its store (use `view`)
    template: "Template"
    as_of: date
    record: str            # how the record is named in messages ("unit 1-2-301", "data.json")
    view: "View"
    # Where the values came from: "data" (a data file or dict), "store" (a data builder), or
    # the process that built them (e.g. "ledger" for a receipt of a recorded payment).
    origin: str = "data"


def rule(template_id: str) -> Callable[[RuleFn], RuleFn]:
    """Register `fn` as a rule of `template_id`; several rules of one template run in order."""
    def register(fn: RuleFn) -> RuleFn:
        _RULES.setdefault(template_id, []).append(fn)
        return fn
    return register


def rules_for(template_id: str) -> list[RuleFn]:
    registry.load()
    return list(_RULES.get(template_id, ()))


def apply(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Run the template's rules; returns the values with every computed value merged in."""
    out = dict(values)
    for fn in rules_for(ctx.template.id):
        computed = fn(out, ctx)
        if computed:
            out.update(computed)
    return out


def refuse(ctx: RuleContext, problems: list[str]) -> None:
    """Raise the problems a rule found (each one line naming its field), if any."""
    if problems:
        from .errors import ValidationError
        raise ValidationError(problems, ctx.record)


def field_title(ctx: RuleContext, name: str) -> str:
    """A field as refusals name it: `name（label）`."""
    f = ctx.template.field(name)
    return f.title if f is not None else name
