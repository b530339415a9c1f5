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
from .backup import recorded_files
from .files import TEMP_SUFFIXES, sha256_file
from .workspace import Workspace

LEFTOVER_SUFFIXES = TEMP_SUFFIXES   # a file still under its temporary name: an interrupted write
PENDING, STAGING = "dunning:pending", ".dunning-staging"   # as processes/arrears/run.py keeps them


def _unfinished_run(pending: list[dict]) -> str:
    """The notice for reservations of a dunning run that was interrupted: how to finish it."""
    dated = sorted({p["issued_on"] for p in pending if isinstance(p.get("issued_on"), str)})
    periods = sorted({str(p.get("period")) for p in pending})
    as_of = dated[-1] if dated else f"<a day of {periods[-1]}>"
    numbers = sorted(pending, key=lambda p: (str(p.get("series")), p.get("year") or 0, p.get("seq") or 0))
    shown = ", ".join(str(p.get("doc_no")) for p in numbers[:3]) + (" …" if len(numbers) > 3 else "")
    return (f"dunning run of {', '.join(periods)} did not finish: {len(pending)} number(s) reserved "
            f"and not issued yet ({shown}); re-run to complete: "
            f"`formsmith dunning run --as-of {as_of}`")


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
    unchecked = ws.store.unchecked()
    if unchecked:
        report.notices.append(f"store: {unchecked} partition file(s) have no checksum yet (written "
                              f"by an older formsmith); each gets one when it is next written")
    referenced: set[Path] = set()
    unfinished: set[Path] = set()
    with ws.store.snapshot() as view:
        docs = view.all("documents")
        # Files of a document recorded by a command killed before it moved them into place:
        # the next command does (they wait beside their place as .part files).
        placing = {f["final"]: f["tmp"] for e in view.meta("issuing:placing", []) or [] for f in e["files"]}
        # keys and numbers as stored: a damaged row may hold anything (counted below only if an int)
        seqs: dict[tuple[Any, Any], list[Any]] = {}
        for doc in docs:
            seqs.setdefault((doc.get("series"), doc.get("year")), []).append(doc.get("seq"))
        # Numbers a killed `dunning run` reserved and has not recorded yet: not a gap, the
        # re-run issues them (processes/arrears/run.py, step 1).
        pending = [p for p in (view.meta(PENDING, []) or []) if isinstance(p, dict)]
        reserved: dict[tuple[Any, Any], set[Any]] = {}
        for p in pending:
            reserved.setdefault((p.get("series"), p.get("year")), set()).add(p.get("seq"))
            if isinstance(p.get("path"), str):
                unfinished.add((ws.root / p["path"]).resolve())
        if pending:
            report.notices.append(_unfinished_run(pending))
        for series, year, last in numbering.counters(view):
            have = sorted(s for s in seqs.get((series, year), []) if isinstance(s, int))
            missing = sorted(set(range(1, last + 1)) - set(have) - reserved.get((series, year), set()))
            twice = sorted({s for s in have if have.count(s) > 1})
            if missing or twice or any(not 1 <= s <= last for s in have):
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
            where = path.relative_to(ws.root)
            if path.name.endswith(LEFTOVER_SUFFIXES) or STAGING in where.parts:
                report.notices.append(f"{where}: leftover of an interrupted run (safe to delete)")
            elif path.resolve() in unfinished:
                report.notices.append(f"{where}: a letter of the unfinished dunning run (its re-run records it)")
            elif path.suffix.lower() == ".pdf" and path.resolve() not in referenced:
                report.notices.append(f"{where}: a PDF no document records")
    return report
