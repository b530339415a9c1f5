"""The `documents` row and its states, as types: the one place that says what an issued
document is in the store.

The store keeps rows as JSON, so a state is a plain string there ("generated", "void", …);
`DocState` names the strings, `DocumentRow` the fields a row holds as formsmith records them
(issuing.issue_document and the dunning run's batch.py `_record` and `_void_row` write them;
documents.transition, signing, filing and the courier sheet import add to them).

This is the bottom layer: it imports nothing of formsmith.
"""
from __future__ import annotations

from typing import Any, Iterable, Literal, Mapping, Protocol, TypedDict, cast, runtime_checkable

DocState = Literal["generated", "printed", "sent", "delivered", "signed", "archived", "void", "superseded"]

# The paper's life, in order. A document may skip forward (a letter handed over at the counter
# goes from printed straight to delivered) but never goes back.
MAIN_STATES: tuple[DocState, ...] = ("generated", "printed", "sent", "delivered", "signed", "archived")
# Ends that keep the number: a voided document keeps its number and says so; a superseded one
# points to the corrected re-issue that replaces it.
SIDE_STATES: tuple[DocState, ...] = ("void", "superseded")
STATES: tuple[DocState, ...] = MAIN_STATES + SIDE_STATES
# A retired document no longer counts: its unit and period may be issued again, it is not sealed.
RETIRED: tuple[DocState, ...] = SIDE_STATES
# Out of the centre, waiting for the owner's signed copy (what `docs list --overdue` chases).
AWAITING_SIGNATURE: tuple[DocState, ...] = ("sent", "delivered")
LABELS: dict[str, str] = {"generated": "已生成", "printed": "已打印", "sent": "已寄出", "delivered": "已送达",
                          "signed": "已签收", "archived": "已归档", "void": "已作废", "superseded": "已被替代"}


class Event(TypedDict, total=False):
    """One entry of a document's history (lifecycle.event); more keys as the move needs
    (sha256, pages, tracking, scan, superseded_by, …)."""

    at: str
    state: DocState
    by: str
    note: str


class DocumentRow(TypedDict, total=False):
    """A row of the `documents` table as recorded (keys present on every issued document
    first, then those only some have)."""

    id: str                     # = doc_id
    doc_no: str                 # the number printed on the paper, e.g. 物催字〔2025〕3号
    doc_id: str
    series: str
    year: int
    seq: int
    template: str
    template_version: str | None
    title: str
    unit: str | None
    period: str | None          # YYYY-MM the document is about
    state: DocState
    sha256: str | None          # the issued PDF's; None on a number voided before it had a file
    path: str | None            # relative to the workspace (or absolute, for --out elsewhere)
    pages: int
    issued_on: str              # ISO date
    created_at: str             # ISO timestamp
    record: dict[str, Any]      # the data it was issued from (catalog.to_record)
    versions: list[dict[str, Any]]   # sealed copies, filed scans: kind, path, sha256, …
    signature_fields: list[dict[str, Any]]
    sign_areas: list[Any]
    events: list[Event]
    # only some documents
    docx_path: str              # the Word engine's .docx beside the PDF
    docx_sha256: str
    replaces: str               # doc_no of the document this one corrects
    superseded_by: str          # doc_no of its correction
    void_reason: str            # a dunning run's reserved number that carried no letter
    dunning_stage: int | None
    tearoff_pages: list[int]
    tracking: str               # the courier's waybill number
    delivered_on: str


def is_active(doc: Mapping[str, Any]) -> bool:
    """Whether a document still counts (neither void nor superseded)."""
    return doc["state"] not in RETIRED


@runtime_checkable
class _Finds(Protocol):
    def find(self, table: str, where: Any = None, **equals: Any) -> list[dict[str, Any]]: ...


def issued_already(docs: _Finds | Iterable[Mapping[str, Any]], template: str, unit: str,
                   period: str, *, excluding: str | None = None) -> list[DocumentRow]:
    """The active documents of `template` for `unit` in `period`, in the store's order (empty:
    not issued yet): what refuses issuing the same document twice.

    `docs` is a store view or transaction (the unit's documents are read through the index on
    `unit`), or the unit's document rows already at hand (a batch's per-snapshot grouping).
    `excluding`: the id of a document not to count (the one a correction replaces)."""
    rows = docs.find("documents", unit=unit) if isinstance(docs, _Finds) else docs
    return [cast(DocumentRow, d) for d in rows
            if d.get("template") == template and d.get("period") == period and is_active(d)
            and not (excluding is not None and d["id"] == excluding)]
