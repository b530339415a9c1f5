"""Audit trail of personal-data disclosures: who revealed which ID numbers, when, with what command."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from .workspace import Workspace

TABLE = "audit"


def record(ws: Workspace, *, by: str | None, command: str, revealed: str, **extra: Any) -> dict[str, Any]:
    """Add one audit event (its own store transaction) and return it."""
    with ws.store.transaction() as tx:
        n = tx.count(TABLE) + 1
        row = {"id": f"AU{n:06d}", "at": datetime.now().astimezone().isoformat(timespec="seconds"),
               "by": by or ws.clerk, "command": command, "revealed": revealed, **extra}
        while tx.get(TABLE, row["id"]) is not None:
            n += 1
            row["id"] = f"AU{n:06d}"
        tx.insert(TABLE, row)
    return row


def events(ws: Workspace) -> list[dict[str, Any]]:
    """Every audit event, oldest first."""
    with ws.store.snapshot() as view:
        return view.all(TABLE)
