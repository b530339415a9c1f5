"""The values passed between ingest stages: input files, scanned pages, document scans, the job."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from ..codes import PageCode

# Outcomes a page can end in; every input page ends in exactly one entry of one of these.
# review: a coded page that does not match the issued page it claims to be (or carries two
# documents' codes): nothing filed, no state changed, the input left where it is.
OUTCOMES = ("archived", "incomplete", "duplicates", "unmatched", "review")


@dataclass
class SourceFile:
    """One input file as preflight found it. `refused` holds the reason it cannot be read."""

    path: Path
    kind: str = ""            # pdf | jpeg | png | tiff (by content)
    size: int = 0
    sha256: str = ""
    pages: int = 0
    refused: str = ""


@dataclass
class ScanPage:
    """One page of an input: its pixels (while needed) and what its codes say.

    `corners` are the four corners of our QR symbol (its own top-left, top-right, bottom-right,
    bottom-left) in `image` pixels; `turn` is how many degrees counter-clockwise the page must
    be turned to read upright (a multiple of 90, from the QR's orientation).
    """

    source: SourceFile
    number: int                               # 1-based page of the source
    dpi: float = 150.0
    dpi_known: bool = True                    # False: a photo, its resolution only guessed
    image: Image.Image | None = None          # grayscale, as scanned (not turned)
    code: PageCode | None = None
    corners: tuple[tuple[float, float], ...] = ()
    turn: int = 0
    foreign: tuple[str, ...] = ()             # QR payloads on the page that are not ours
    tries: int = 0                            # decoding passes it took
    ink: float | None = None                  # signature-area ink, when checked where read
    others: tuple[PageCode, ...] = ()         # further, different codes of ours on the same page
    likeness: dict | None = None              # compare.Likeness.as_dict() against the issued page,
                                              # or {"error": why} when it could not be compared

    @property
    def label(self) -> str:
        return f"{self.source.path.name} p.{self.number}"

    @property
    def known_code(self) -> PageCode:
        """`code` where the page is known to carry one (a document scan's pages, review pages)."""
        if self.code is None:
            raise ValueError(f"{self.label}: no code of ours was read")
        return self.code

    @property
    def working_image(self) -> Image.Image:
        """`image` where it is known to be held (from rasterizing until it is released)."""
        if self.image is None:
            raise ValueError(f"{self.label}: the page image is no longer held")
        return self.image


@dataclass
class DocumentScan:
    """The pages of one input that carry the same document's code, in the document's order."""

    doc_id: str
    pages_expected: int
    pages: list[ScanPage] = field(default_factory=list)
    doc: dict[str, Any] | None = None         # the documents row (match)
    missing_pages: list[int] = field(default_factory=list)
    signed: bool | None = None                # None: no signature area known
    ink: float | None = None                  # share of the signature area newly inked
    outcome: str = ""                         # archived | incomplete | duplicates | unmatched | review
    reason: str = ""
    path: str = ""                            # the filed PDF, relative to the workspace
    sha256: str = ""
    again: bool = False                       # this very scan was filed by an earlier run
    by_hand: str = ""                         # who matched it to its document by hand (no code read)

    @property
    def source(self) -> SourceFile:
        return self.pages[0].source

    @property
    def known_doc(self) -> dict[str, Any]:
        """`doc` where the scan is known to be matched (check, filing)."""
        if self.doc is None:
            raise ValueError(f"document scan {self.doc_id}: not matched to an issued document")
        return self.doc

    @property
    def complete(self) -> bool:
        return not self.missing_pages

    @property
    def source_pages(self) -> list[int]:
        return sorted(p.number for p in self.pages)

    @property
    def origin(self) -> dict[str, Any]:
        """What makes this scan this scan: the input's hash and which of its pages."""
        return {"source_sha256": self.source.sha256, "source_pages": self.source_pages}


@dataclass
class IngestJob:
    """Everything one `ingest` run knows, handed from stage to stage."""

    ws: Any
    paths: list[Path]
    by: str = ""
    move_to: Path | None = None
    sources: list[SourceFile] = field(default_factory=list)
    pages: list[ScanPage] = field(default_factory=list)
    scans: list[DocumentScan] = field(default_factory=list)
    unmatched: list[tuple[ScanPage, str]] = field(default_factory=list)
    review: list[tuple[ScanPage, str]] = field(default_factory=list)   # pages held for a person
    moved: dict[str, str] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        """The run as the CLI prints it with --json: every input page in exactly one entry."""
        out: dict[str, Any] = {"pages_total": sum(s.pages for s in self.sources if not s.refused),
                               **{k: [] for k in OUTCOMES}, "refused": []}
        for scan in self.scans:
            entry: dict[str, Any] = {
                "source": str(scan.source.path), "source_pages": scan.source_pages,
                "doc_no": scan.doc["doc_no"] if scan.doc else None, "doc_id": scan.doc_id,
                "complete": scan.complete, "pages": scan.pages_expected}
            if scan.outcome in ("unmatched", "review"):
                entry["reason"] = scan.reason
            if scan.outcome == "incomplete":
                entry["missing_pages"] = scan.missing_pages
            if scan.outcome in ("archived", "duplicates"):
                entry["signed"] = scan.signed
                entry["state"] = scan.doc["state"] if scan.doc else None
            if scan.path:
                entry.update(path=scan.path, sha256=scan.sha256)
            if scan.again:
                entry["again"] = True
            if scan.reason and scan.outcome not in ("unmatched", "review"):
                entry["note"] = scan.reason
            out[scan.outcome].append(entry)
        for page, reason in self.unmatched:
            out["unmatched"].append({"source": str(page.source.path), "source_pages": [page.number],
                                     "doc_no": None, "reason": reason,
                                     **({"foreign_codes": list(page.foreign)} if page.foreign else {})})
        for page, reason in self.review:
            out["review"].append({"source": str(page.source.path), "source_pages": [page.number],
                                  "doc_no": None, "reason": reason,
                                  "codes": [c.payload for c in (page.known_code, *page.others)]})
        for s in self.sources:
            if s.refused:
                out["refused"].append({"source": str(s.path), "reason": s.refused})
        if self.moved:
            out["moved"] = self.moved
        return out
