"""The arrears part of the demo story: a 催缴函 to an individual owner, to a company and to the
longest arrears, as of the demo's date."""
from __future__ import annotations

from datetime import date
from typing import Any

from ... import demo, issuing
from ...workspace import Workspace


def showcase_units(view, as_of: date) -> list[str]:
    """Units whose letters the demo issues: an individual, a company owner, the longest arrears
    (demo.showcase, which the contact log's demo rows follow too)."""
    return demo.showcase({t: view.all(t) for t in ("units", "parties", "charges")}, as_of)


def story(ws: Workspace, as_of: date) -> list[dict[str, Any]]:
    """Issue the showcase letters not issued yet; returns every showcase letter."""
    with ws.store.snapshot() as view:
        units = showcase_units(view, as_of)
        done = {d["unit"]: d for d in view.find("documents", template="dunning-letter")}
    out = []
    for unit in units:
        if unit in done:
            out.append(demo.issued_row(done[unit]))
        else:
            out.append(issuing.issue_document(ws, "dunning-letter", unit=unit, as_of=as_of).as_dict())
    return out
