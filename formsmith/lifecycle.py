"""The moves between document states (model.py defines the states) and the events that record them."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, cast

from .errors import StateError
from .model import AWAITING_SIGNATURE, LABELS, MAIN_STATES, SIDE_STATES, STATES, Event  # defined once there

__all__ = ["AWAITING_SIGNATURE", "LABELS", "MAIN_STATES", "SIDE_STATES", "STATES",
           "allowed_next", "check_transition", "event", "now_iso"]


def allowed_next(state: str) -> tuple[str, ...]:
    """The states a document in `state` may move to."""
    if state in SIDE_STATES or state == "archived":
        return ()
    later = MAIN_STATES[MAIN_STATES.index(state) + 1:]
    return later + SIDE_STATES


def check_transition(doc_no: str, current: str, new: str) -> None:
    """Raise StateError unless `current` → `new` is a legal move."""
    if current not in STATES:
        raise StateError(f"{doc_no}: the store records an unknown state {current!r}; "
                         "run `formsmith docs show` and correct the record")
    if new not in STATES:
        raise StateError(f"{doc_no}: unknown state {new!r} (one of {', '.join(STATES)})")
    if new not in allowed_next(current):
        nxt = ", ".join(allowed_next(current)) or "none: it is final"
        raise StateError(f"{doc_no}: cannot go from {current}（{LABELS[current]}）to "
                         f"{new}（{LABELS[new]}）; allowed: {nxt}")


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def event(state: str, by: str, note: str = "", **extra: Any) -> Event:
    """One entry of a document's history."""
    ev: dict[str, Any] = {"at": now_iso(), "state": state, "by": by}
    if note:
        ev["note"] = note
    ev.update({k: v for k, v in extra.items() if v not in (None, "")})
    return cast(Event, ev)
