"""Stage 7, file: each document scan as one upright PDF in the archive, recorded on its document.

Layout: `archive/<year>/<template>/<doc_no>/scan-<k>.pdf` with `scan-<k>.pdf.sha256` beside it
(sha256sum format); incomplete scans under `archive/incomplete/<year>/<template>/<doc_no>/`.

Crash safety: per input file, one store transaction holds the lock while that file's scans are
written (temp files, fsynced together, renamed) and commits last. A kill before the commit leaves at most
files nobody recorded, which the re-run overwrites under the same names; a scan already
recorded (same input hash, same input pages) is recognised and not filed again.
"""
from __future__ import annotations

import errno
import io
import shutil
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter

from .. import lifecycle, numbering
from ..errors import FormsmithError
from ..files import StagedFiles, sha256_bytes
from . import rasterize
from .model import DocumentScan, IngestJob, ScanPage, SourceFile

KIND_OUTCOME = {"scan": "archived", "duplicate": "duplicates", "incomplete": "incomplete"}


def folder(ws, doc: dict, incomplete: bool) -> Path:
    base = ws.archive_dir / "incomplete" if incomplete else ws.archive_dir
    return base / str(doc["year"]) / doc["template"] / numbering.safe_filename(doc["doc_no"])


def _image_page_pdf(page: ScanPage) -> bytes:
    """One image page as a one-page PDF, turned upright, at its own resolution."""
    frame = rasterize.image_frame(page.source, page.number)
    if frame.mode not in ("1", "L", "RGB"):       # bilevel scans stay bilevel (small PDFs)
        frame = frame.convert("RGB")
    if page.turn:
        frame = frame.rotate(page.turn, expand=True)
    dpi = rasterize.image_dpi(frame)
    buf = io.BytesIO()
    frame.save(buf, format="PDF", resolution=dpi, quality=85, creationDate=None, modDate=None)
    return buf.getvalue()


# Page entries that make a PDF do things: annotations (links with /Launch or /JavaScript
# actions, file attachments, rich media, form widgets) and page open/close actions. A scan is
# pixels; it needs none of them. The archive's PDF gets a fresh catalog (no /OpenAction, /AA,
# /Names with /JavaScript or /EmbeddedFiles, /AcroForm), so the pages are all that is copied.
ACTIVE_PAGE_KEYS = ("/Annots", "/AA", "/B")


def strip_active(page) -> None:
    """Remove active content from a page about to be archived (in place)."""
    for key in ACTIVE_PAGE_KEYS:
        if key in page:
            del page[key]


def assemble(scan: DocumentScan, readers: dict[Path, PdfReader]) -> bytes:
    """The scan's pages in the document's order, each turned to read upright, as one PDF,
    without active content (strip_active)."""
    writer = PdfWriter()
    for page in scan.pages:
        src = page.source
        if src.kind == "pdf":
            if src.path not in readers:
                readers[src.path] = PdfReader(str(src.path))
            added = writer.add_page(readers[src.path].pages[page.number - 1])
            strip_active(added)
            if page.turn:
                added.rotate((360 - page.turn) % 360)
        else:
            added = writer.add_page(PdfReader(io.BytesIO(_image_page_pdf(page))).pages[0])
    writer.add_metadata({"/Title": f"{scan.known_doc['doc_no']} 扫描件", "/Producer": "formsmith ingest"})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _clear_parts(directory: Path) -> None:
    """Temp files of a killed run (we hold the store lock: no other ingest is writing here)."""
    for part in directory.glob(".*.part"):
        part.unlink(missing_ok=True)


def _kind(scan: DocumentScan, doc: dict) -> str:
    if scan.missing_pages:
        return "incomplete"
    filed = [v for v in doc.get("versions", []) if v["kind"] == "scan"]
    if filed and (doc["state"] == "archived" or not scan.signed):
        return "duplicate"
    return "scan"


def _changes(doc: dict, scan: DocumentScan, kind: str, version: dict, by: str) -> dict[str, Any]:
    """The documents-row changes: the new version, and the state moves a signed scan makes."""
    changes: dict[str, Any] = {"versions": doc.get("versions", []) + [version]}
    state, events = doc["state"], list(doc.get("events", []))
    where = version["path"]
    if kind == "scan" and scan.signed is not False and state in lifecycle.MAIN_STATES \
            and state != "archived":
        if scan.signed and "signed" in lifecycle.allowed_next(state):
            events.append(lifecycle.event("signed", by, "扫描件签字处识别到笔迹", scan=where))
            state = "signed"
        lifecycle.check_transition(doc["doc_no"], state, "archived")
        note = "扫描件已归档" + ("" if scan.signed else "（未检查签字：文书未记录签字区）") + \
            (f"（无可读核验码，由{scan.by_hand}人工对应）" if scan.by_hand else "")
        events.append(lifecycle.event("archived", by, note, scan=where))
        state = "archived"
    else:
        note = {"incomplete": f"收到不完整的扫描件，缺第{'、'.join(map(str, scan.missing_pages))}页",
                "duplicate": "收到重复的扫描件，另存为新版本",
                "scan": ("收到扫描件，签字处未见笔迹" if scan.signed is False
                         else f"收到扫描件；文书状态为{lifecycle.LABELS.get(state, state)}，未改变")}[kind]
        if kind == "scan" and state not in lifecycle.MAIN_STATES:
            scan.reason = f"{doc['doc_no']} {lifecycle.LABELS.get(state, state)}，扫描件已存档，状态未改变"
        events.append(lifecycle.event(state, by, note, scan=where))
    changes.update(state=state, events=events)
    return changes


def file_source(job: IngestJob, src: SourceFile, scans: list[DocumentScan]) -> None:
    """File every matched scan of one input in one store transaction.

    A write that fails (disk full, quota, permissions) leaves no partial file and records
    nothing: the transaction does not commit, the input stays where it is, and the run stops
    with one line (a FormsmithError) saying so.
    """
    # The scans under temp names (.<name>.<pid>.part, 0644), made durable together (fsync is
    # most of the cost of filing: from a few threads at once the file system commits them
    # together), then renamed into place just before the store commits.
    placement = StagedFiles()
    try:
        _file_source(job, src, scans, placement)
    except OSError as exc:
        placement.abandon()
        reasons: dict[int | None, str] = {errno.ENOSPC: "磁盘空间已满", errno.EDQUOT: "超出磁盘配额"}
        why = reasons.get(exc.errno, exc.strerror or type(exc).__name__)
        where = Path(exc.filename).parent if exc.filename else job.ws.archive_dir
        raise FormsmithError(
            f"{src.path}: 归档失败：写入 {where} 时出错（{why}）；此文件的扫描件未存档、未记录，"
            "原文件未移动，腾出空间后重新导入即可") from None


def _file_source(job: IngestJob, src: SourceFile, scans: list[DocumentScan], placement: StagedFiles) -> None:
    ws = job.ws
    readers: dict[Path, PdfReader] = {}
    cleared: set[Path] = set()
    with ws.store.transaction() as tx:
        for scan in scans:
            doc = tx.get("documents", scan.doc_id)
            prior = next((v for v in doc.get("versions", [])
                          if v.get("source_sha256") == src.sha256
                          and v.get("source_pages") == scan.source_pages), None)
            if prior is not None:
                scan.again, scan.doc = True, doc
                scan.outcome = KIND_OUTCOME[prior["kind"]]
                scan.path, scan.sha256 = prior["path"], prior["sha256"]
                continue
            kind = _kind(scan, doc)
            directory = folder(ws, doc, kind == "incomplete")
            directory.mkdir(parents=True, exist_ok=True)
            if directory not in cleared:        # once: later .part files here are ours
                _clear_parts(directory)
                cleared.add(directory)
            k = 1 + sum(1 for v in doc.get("versions", []) if (v["kind"] == "incomplete") == (kind == "incomplete"))
            target = directory / f"scan-{k}.pdf"
            data = assemble(scan, readers)
            digest = sha256_bytes(data)
            placement.write(target, data)
            placement.write(target.with_name(target.name + ".sha256"), f"{digest}  {target.name}\n".encode())
            rel = str(target.relative_to(ws.root))
            version = {"kind": kind, "path": rel, "sha256": digest, "pages": scan.pages_expected,
                       "pages_present": [p.known_code.page for p in scan.pages],
                       "missing_pages": scan.missing_pages, "signed": scan.signed, "ink": scan.ink,
                       "source": str(src.path), "source_sha256": src.sha256,
                       "source_pages": scan.source_pages, "turned": [p.turn for p in scan.pages],
                       "likeness": [(p.likeness or {}).get("present") for p in scan.pages],
                       "filed_at": lifecycle.now_iso(), "by": job.by,
                       **({"matched_by_hand": scan.by_hand} if scan.by_hand else {})}
            scan.doc = tx.update("documents", doc["id"], _changes(doc, scan, kind, version, job.by))
            scan.outcome, scan.path, scan.sha256 = KIND_OUTCOME[kind], rel, digest
        placement.commit()          # every file durable and in place before the store commits


def move_done(job: IngestJob, src: SourceFile) -> None:
    """Move an input whose every page was filed (archived or duplicate) into --move-to."""
    if job.move_to is None:
        return
    entries = [s for s in job.scans if s.source is src]
    held = job.unmatched + job.review
    if any(p.source is src for p, _ in held) or not entries or any(
            s.outcome not in ("archived", "duplicates") for s in entries):
        return
    job.move_to.mkdir(parents=True, exist_ok=True)
    target = job.move_to / src.path.name
    n = 1
    while target.exists():
        n += 1
        target = job.move_to / f"{src.path.stem}-{n}{src.path.suffix}"
    shutil.move(str(src.path), str(target))
    job.moved[str(src.path)] = str(target)


def run(job: IngestJob) -> IngestJob:
    for src in job.sources:
        if src.refused:
            continue
        scans = [s for s in job.scans if s.source is src and s.outcome in ("", "incomplete")]
        if scans:
            file_source(job, src, scans)
        move_done(job, src)
    return job
