"""Ingest scanned copies: a pipeline of small stages from scanner output to the archive.

    preflight → rasterize → read codes → split → match → check → file

check compares every coded page with the issued page it claims (a code copied onto another
sheet is not that document): what does not match ends in `review`, never in the archive.

Each stage is a module with `run(job) -> job` working on one IngestJob (model.py), so it can be
run and tested alone; `ingest()` runs `pipeline()`, the stages of STAGES in order. Rasterizing and reading codes — nearly all
of the time — run page by page in a process pool; the later stages are quick and run here.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable

import pypdfium2 as pdfium

from ..workspace import Workspace
from . import check, filing, match, preflight, rasterize, readcodes, split
from .model import DocumentScan, IngestJob, ScanPage, SourceFile

# The pipeline as ingest() runs it, in order. "read" is rasterize → read codes → the pixel part
# of check, page by page in a pool (read_all); every other stage is its module's run(job).
STAGES = ("preflight", "read", "split", "match", "check", "filing")
CHUNK = 6                    # pages per pool task: small enough to spread, big enough to amortise
POOL_MIN_PAGES = 8           # below this a pool costs more than it saves

__all__ = ["ingest", "IngestJob", "ScanPage", "DocumentScan", "SourceFile", "STAGES"]

# Per worker process: what the documents' issued files are, and rendered references.
_DOCS: dict[str, dict] = {}
_ROOT: Path | None = None
_REFS: dict = {}


def _init_worker(root: Path, docs: dict[str, dict], parent: int | None = None) -> None:
    """A pool worker: dies with the ingest (a kill -9 or SIGTERM of `formsmith ingest` leaves
    no reader behind), then holds the documents' signature and comparison info."""
    global _ROOT, _DOCS
    if parent is not None:
        from ..lifeline import die_with_parent
        die_with_parent(parent)
    _ROOT, _DOCS = root, docs
    _REFS.clear()


def read_pages(src: SourceFile, numbers: list[int]) -> list[ScanPage]:
    """Rasterize and read `numbers` of `src`; compare each coded page with its issued page,
    measure the signature ink of last pages; drop pixels.

    Runs in a worker: what comes back is small (codes, corners, ink), never the page images.
    """
    pdf = pdfium.PdfDocument(str(src.path)) if src.kind == "pdf" else None
    out = []
    try:
        for n in numbers:
            page = readcodes.read(rasterize.page(src, n, pdf))
            if page.code is not None and not page.others and _ROOT is not None:
                info = _DOCS.get(page.code.doc_id)
                page.likeness = check.page_likeness(page, info, _ROOT, _REFS)
                if page.code.page == page.code.pages and info is not None:
                    page.ink = check.page_ink(page, check.sign_info(info), _ROOT, _REFS)
            page.image = None
            out.append(page)
    finally:
        if pdf is not None:
            pdf.close()
    return out


def _tasks(job: IngestJob) -> list[tuple[SourceFile, list[int]]]:
    tasks: list[tuple[SourceFile, list[int]]] = []
    for src in job.sources:
        if not src.refused:
            numbers = list(range(1, src.pages + 1))
            tasks.extend((src, numbers[i:i + CHUNK]) for i in range(0, len(numbers), CHUNK))
    return tasks


def read_all(job: IngestJob, workers: int | None = None,
             advance: Callable[[int], None] = lambda n: None) -> IngestJob:
    """Stages rasterize + read codes (+ the pixel part of check) over every page, in a pool."""
    with job.ws.store.snapshot() as view:
        docs = {d["doc_id"]: check.doc_info(d) for d in view.all("documents")}
    tasks = _tasks(job)
    total = sum(len(n) for _, n in tasks)
    workers = workers or min(os.cpu_count() or 1, 4)
    results: list[list[ScanPage]] = []
    if workers <= 1 or total < POOL_MIN_PAGES:
        _init_worker(job.ws.root, docs)
        for src, numbers in tasks:
            results.append(read_pages(src, numbers))
            advance(len(numbers))
    else:
        # fork is quickest (nothing to import again) but unsafe once threads run (a progress
        # bar's refresh thread may hold a lock at the moment of the fork).
        method = "fork" if threading.active_count() == 1 else "forkserver"
        with ProcessPoolExecutor(workers, mp_context=get_context(method), initializer=_init_worker,
                                 initargs=(job.ws.root, docs, os.getpid())) as pool:
            futures = [pool.submit(read_pages, src, numbers) for src, numbers in tasks]
            for fut in futures:
                results.append(fut.result())
                advance(len(results[-1]))
    # Pages came back as copies: point them at this process's SourceFile objects again.
    by_path = {s.path: s for s in job.sources}
    for chunk in results:
        for page in chunk:
            page.source = by_path[page.source.path]
            job.pages.append(page)
    return job


def ingest(ws: Workspace, paths: Iterable[Path], *, move_to: Path | None = None,
           by: str | None = None, workers: int | None = None,
           progress: Callable[[str, int, int], None] | None = None) -> IngestJob:
    """Run the whole pipeline over `paths` (files or folders); returns the finished job.

    `progress(stage, done, total)` is called as pages are read (for a progress bar).
    """
    job = IngestJob(ws=ws, paths=[Path(p) for p in paths], by=by or ws.clerk,
                    move_to=Path(move_to) if move_to else None)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("read", done, sum(s.pages for s in job.sources if not s.refused))

    for _name, run in pipeline(workers, advance):
        run(job)
    return job


def pipeline(workers: int | None = None, advance: Callable[[int], None] = lambda n: None
             ) -> list[tuple[str, Callable[[IngestJob], object]]]:
    """The stages of STAGES with what runs each: (name, run(job))."""
    runs: dict[str, Callable[[IngestJob], object]] = {
        "preflight": preflight.run, "read": lambda job: read_all(job, workers, advance),
        "split": split.run, "match": match.run, "check": check.run, "filing": filing.run}
    return [(name, runs[name]) for name in STAGES]
