"""The arrears part of the demo story: a 催缴函 to an individual owner, to a company and to the
longest arrears, as of the demo's date."""
from __future__ import annotations

from datetime import date
from typing import Any

from ... import demo, issuing
from ...workspace import Workspace


def showcase_units(view, as_of: date) -> list[str]:
    """Units whose letters the demo issues: an individual, a company owner, the longest arrears."""
    owed: dict[str, set[str]] = {}
    for c in view.all("charges"):
        if not c.get("paid_on") and c["due"] < as_of.isoformat():
            owed.setdefault(c["unit"], set()).add(c["period"])
    units = view.all("units")
    owners = {p["id"]: p for p in view.all("parties")}
    age = {u["id"]: len(owed.get(u["id"], ())) for u in units}
    kind = {u["id"]: owners[u["owner"]]["kind"] for u in units}
    individual = next(u for u in age if age[u] >= 5 and kind[u] == "individual")
    company = next(u for u in age if age[u] >= 2 and kind[u] == "company")
    longest = max(age, key=lambda u: (age[u], u))
    return list(dict.fromkeys([individual, company, longest]))


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
