"""Check a workspace against itself: the store's structure, every recorded file and its SHA-256.

What drifts over years on an office PC: a PDF deleted or edited by hand, a scan moved, a disk
error in a partition, a killed render's leftovers. `fsck` finds each and says what it is; it
never changes anything.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import numbering
from .backup import recorded_files, sha256_file
from .workspace import Workspace

LEFTOVER_SUFFIXES = (".part", ".tmp")


@dataclass
class FsckReport:
    documents: int = 0
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)   # something recorded is wrong or lost
    notices: list[str] = field(default_factory=list)    # not wrong, worth knowing (stray files)

    @property
    def clean(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "clean": self.clean}


def fsck(ws: Workspace) -> FsckReport:
    """Check the store and every file its documents record; nothing is modified."""
    report = FsckReport()
    report.problems += [f"store: {p}" for p in ws.store.check()]
    if report.problems:
        return report
    referenced: set[Path] = set()
    with ws.store.snapshot() as view:
        docs = view.all("documents")
        # Files of a document recorded by a command killed before it moved them into place:
        # the next command does (they wait beside their place as .part files).
        placing = {f["final"]: f["tmp"] for e in view.meta("issuing:placing", []) or [] for f in e["files"]}
        seqs: dict[tuple[str, int], list[int]] = {}
        for doc in docs:
            seqs.setdefault((doc.get("series"), doc.get("year")), []).append(doc.get("seq"))
        for series, year, last in numbering.counters(view):
            have = sorted(s for s in seqs.get((series, year), []) if isinstance(s, int))
            if have != list(range(1, last + 1)):
                missing = sorted(set(range(1, last + 1)) - set(have))
                twice = sorted({s for s in have if have.count(s) > 1})
                report.problems.append(
                    f"numbers {series} {year}: 1..{last} taken"
                    + (f", no document for {missing[:10]}" if missing else "")
                    + (f", used twice: {twice[:10]}" if twice else ""))
        for doc in docs:
            report.documents += 1
            for rel, sha in recorded_files(doc):
                path = (ws.root / rel).resolve()
                referenced.add(path)
                report.files_checked += 1
                if not path.is_file() and rel in placing and (ws.root / placing[rel]).is_file():
                    referenced.add((ws.root / placing[rel]).resolve())
                    report.notices.append(f"{doc['doc_no']}: {rel} is still {placing[rel]} (an "
                                          "interrupted render; the next command puts it in place)")
                elif not path.is_file():
                    report.problems.append(f"{doc['doc_no']}: {rel} is missing")
                elif sha256_file(path) != sha:
                    report.problems.append(f"{doc['doc_no']}: {rel} does not match its recorded "
                                           f"SHA-256 (changed after it was issued or filed)")
    for folder in (ws.output_dir, ws.archive_dir):
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(ws.root)
            if path.name.endswith(LEFTOVER_SUFFIXES):
                report.notices.append(f"{rel}: leftover of an interrupted run (safe to delete)")
            elif path.suffix.lower() == ".pdf" and path.resolve() not in referenced:
                report.notices.append(f"{rel}: a PDF no document records")
    return report
