"""Document states and the events that move a document between them."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .errors import StateError

# The paper's life, in order. A document may skip forward (a letter handed over at the counter
# goes from printed straight to delivered) but never goes back.
MAIN_STATES = ("generated", "printed", "sent", "delivered", "signed", "archived")
# Ends that keep the number: a voided document keeps its number and says so; a superseded one
# points to the corrected re-issue that replaces it.
SIDE_STATES = ("void", "superseded")
STATES = MAIN_STATES + SIDE_STATES
# Out of the centre, waiting for the owner's signed copy (what `docs list --overdue` chases).
AWAITING_SIGNATURE = ("sent", "delivered")
LABELS = {"generated": "已生成", "printed": "已打印", "sent": "已寄出", "delivered": "已送达",
          "signed": "已签收", "archived": "已归档", "void": "已作废", "superseded": "已被替代"}


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


def event(state: str, by: str, note: str = "", **extra: Any) -> dict[str, Any]:
    """One entry of a document's history."""
    ev = {"at": now_iso(), "state": state, "by": by}
    if note:
        ev["note"] = note
    ev.update({k: v for k, v in extra.items() if v not in (None, "")})
    return ev
