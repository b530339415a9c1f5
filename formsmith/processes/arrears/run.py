"""The month-end dunning run: every letter of a stage at once, numbered, rendered, recorded.

The run never holds the store lock for long. Its steps, and what a kill -9 at any moment leaves:

1. recover: reservations of an earlier run that never got recorded are kept (in the store's
   meta `dunning:pending`) and re-used, so a killed run leaves no gap and no number twice;
2. reserve: one short transaction takes the numbers (and doc ids) of the stage's letters;
3. render: a process pool renders chunks of letters, each chunk in ONE engine document, cut
   into per-letter PDF/A files written as `.part` files beside their final place;
4. record: as chunks finish their files are moved into place and, every few hundred letters,
   recorded in one transaction which also drops their reservations. A letter placed but not
   recorded keeps its reservation: the re-run renders it again at the same number and path;
   a reservation no letter will carry (the owner paid meanwhile, the unit got its notice at
   the counter) is recorded as void with the reason and its placed file removed, so the
   register has every number once and output/ holds no letter that does not count;
5. print file, courier list, SMS list from what the store records for the period
   (`printing.py`); the courier's sheet comes back through `tracking.py`.
"""
from __future__ import annotations

import errno
import gc
import json
import math
import os
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock, Timeout

from ... import catalog, codes, dates, issuing, lifecycle, model, numbering, signing
from . import policy as dunning
from .printing import write_courier_list, write_print_file, write_sms_list
from ...errors import FormsmithError, InputError
from ...render import BATCH_STATS, RenderJob, engine_for, render_many
from ...store import sync_filesystem
from ...workspace import Workspace, load_workspace

PENDING = "dunning:pending"
STAGING = ".dunning-staging"


@dataclass
class Letter:
    """One document the run issues: who, what, and (once reserved) its number and file."""

    stage: int
    template: str
    unit: str
    sort_key: tuple
    values: dict
    record: dict
    period: str
    doc_no: str = ""
    doc_id: str = ""
    seq: int = 0
    year: int = 0
    series: str = ""
    path: str = ""            # relative to the workspace
    pages: int = 0
    sha256: str = ""
    tearoff_pages: tuple[int, ...] = ()
    signature_fields: list = field(default_factory=list)
    sign_areas: list = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return Decimal(str(self.record.get("total") or "0"))


@dataclass
class StageResult:
    """What the run did for one stage."""

    stage: int
    template: str
    issued: list[Letter] = field(default_factory=list)
    print_file: str | None = None
    courier_files: list[str] = field(default_factory=list)
    sms_files: list[str] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)    # every active document of the period
    sealed: list[str] = field(default_factory=list)       # doc_no sealed by this run (--seal)


@dataclass
class RunResult:
    """What `dunning run` did: per stage, and the units it had to skip (with why)."""

    as_of: date
    period: str
    stages: list[StageResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    planned: dict[int, list[str]] = field(default_factory=dict)   # dry run: units per stage
    timings: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        files = [s.print_file for s in self.stages if s.print_file]
        docs = [{"doc_no": d["doc_no"], "unit": d["unit"], "template": d["template"],
                 "period": d["period"], "path": d["path"], "pages": d["pages"]}
                for s in self.stages for d in s.documents]
        out: dict[str, Any] = {"print_files": files, "documents": docs}
        out["issued"] = [lt.doc_no for s in self.stages for lt in s.issued]
        out["courier_lists"] = [f for s in self.stages for f in s.courier_files]
        out["sms_lists"] = [f for s in self.stages for f in s.sms_files]
        out["sealed"] = [n for s in self.stages for n in s.sealed]
        out["skipped"] = [{"unit": u, "problem": p} for u, p in self.skipped]
        if self.planned:
            out["planned"] = {str(k): v for k, v in self.planned.items()}
        out["timings"] = {k: round(v, 3) for k, v in self.timings.items()}
        return out


Progress = Callable[[str, int, int], None]   # (label, done, total)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def stage_dir(ws: Workspace, period: str, stage: dunning.Stage) -> Path:
    return ws.output_dir / "dunning" / period / f"stage-{stage.number}-{stage.template}"


# ---------------------------------------------------------------- the run

def run(ws: Workspace, as_of: date, *, stage: int | None = None, community: str | None = None,
        jobs: int | None = None, engine: str | None = None, dry_run: bool = False,
        by: str | None = None, progress: Progress | None = None,
        chunk: int | None = None, signer=None) -> RunResult:
    """Issue the letters due as of `as_of` (all stages, or only `stage`), then write the
    print file, courier list and SMS list of each stage. Safe to repeat and to resume.

    With a `signer` (signing.load_signer), every letter of the period is also sealed with the
    company certificate (X.sealed.pdf beside X.pdf, for electronic delivery; the print file
    keeps the issued pages, which are sealed in ink). Letters sealed already are left as they
    are, so a repeated or resumed run seals only what is missing."""
    dates.check_as_of(as_of, plan=dry_run)   # the same date check as a single render's
    pol = dunning.policy(ws)
    stages = [pol.stage(stage)] if stage else list(pol.stages)
    period = f"{as_of.year:04d}-{as_of.month:02d}"
    result = RunResult(as_of=as_of, period=period)
    jobs = max(1, jobs or default_jobs())
    by = by or ws.clerk
    lock_path = ws.output_dir / ".dunning.lock"
    ws.output_dir.mkdir(parents=True, exist_ok=True)
    run_lock = FileLock(str(lock_path), timeout=0)
    try:
        run_lock.acquire()
    except Timeout:
        raise InputError("another `formsmith dunning run` is working in this workspace; "
                         "wait for it to finish") from None
    try:
        with _batch_gc():
            return _run_locked(ws, as_of, stages, period, result, pol, community=community,
                               jobs=jobs, engine=engine, dry_run=dry_run, by=by,
                               progress=progress, chunk=chunk, signer=signer)
    finally:
        run_lock.release()


def _run_locked(ws: Workspace, as_of: date, stages: list, period: str, result: RunResult, pol,
                *, community, jobs, engine, dry_run, by, progress, chunk, signer) -> RunResult:
    """The run proper, under the run lock (see `run`)."""
    t0 = time.perf_counter()
    if not dry_run:
        _recover(ws)
    workers: WorkerPool | None = None
    try:
        with ws.store.snapshot() as view:
            if community and not view.find("units", community=community):
                raise InputError(f"--community {community}: 库中没有该小区的房屋 (no units of this community)")
            due = dunning.statuses(view, pol, as_of, community=community)
            todo: dict[int, tuple[catalog.Template, list[str]]] = {}
            for st in stages:
                tpl = _with_engine(ws.catalog.get(st.template), engine) if engine else \
                    _preferred_engine(ws.catalog.get(st.template), pol.engine)
                todo[st.number] = (tpl, [s.unit for s in due if s.due == st.number
                                         and not _issued_already(view, st.template, s.unit, period)])
            if dry_run:
                result.planned = {n: units for n, (_, units) in todo.items()}
                result.timings["select"] = time.perf_counter() - t0
                return result
            # Enough letters for more than one chunk: the workers start now and load their
            # engines while the letters are prepared.
            if jobs > 1 and max((len(u) for _, u in todo.values()), default=0) > (chunk or pol.chunk):
                workers = WorkerPool(ws, jobs, tuple(sorted({t.engine for t, _ in todo.values()})))
            plan = {n: _prepare(ws, view, tpl, pol.stage(n), units, as_of, period, result)
                    for n, (tpl, units) in todo.items()}
        result.timings["select"] = time.perf_counter() - t0
        for st in stages:
            tpl = todo[st.number][0]
            res = StageResult(stage=st.number, template=st.template)
            letters = plan[st.number]
            if letters:
                t1 = time.perf_counter()
                _reserve(ws, tpl, letters)
                result.timings[f"reserve-{st.number}"] = time.perf_counter() - t1
                _render_and_record(ws, tpl, st, letters, jobs=jobs, by=by, progress=progress,
                                   chunk=chunk or pol.chunk, commit_every=pol.commit_every,
                                   timings=result.timings, workers=workers)
                res.issued = letters
            result.stages.append(res)
    finally:
        if workers is not None:
            workers.close()
    # The workers are gone (and the memory their engines held) before the print files are
    # assembled: a run's peak memory is its rendering or its print file, not both.
    t2 = time.perf_counter()
    _void_unused(ws, {st.template for st in stages}, community, as_of, pol, dict(result.skipped), by)
    result.timings["void-unused"] = time.perf_counter() - t2
    for st, res in zip(stages, result.stages):
        tpl = todo[st.number][0]
        t2 = time.perf_counter()
        if signer is not None:
            res.sealed = seal_period(ws, st.template, period, community, signer, by, progress)
            result.timings[f"seal-{st.number}"] = time.perf_counter() - t2
            t2 = time.perf_counter()
        outputs(ws, tpl, st, period, res, community, result.timings)
        result.timings[f"outputs-{st.number}"] = time.perf_counter() - t2
    shutil.rmtree(ws.output_dir / STAGING / f"run-{os.getpid()}", ignore_errors=True)
    return result


def _with_engine(tpl: catalog.Template, engine: str) -> catalog.Template:
    """The template as rendered by another engine (same data contract, e.g. Typst)."""
    if engine == tpl.engine:
        return tpl
    if engine not in catalog.ENGINES:
        raise InputError(f"--engine {engine!r}: not one of {', '.join(catalog.ENGINES)}")
    from dataclasses import replace
    alt = replace(tpl, engine=engine)
    if not alt.body.is_file():
        raise InputError(f"--engine {engine}: template {tpl.id} has no {alt.body.name}")
    return alt


def _preferred_engine(tpl: catalog.Template, engine: str) -> catalog.Template:
    """The template as the policy's month-end engine renders it, where it has a body for that
    engine (a workspace's own template may have only one)."""
    try:
        return _with_engine(tpl, engine)
    except InputError:
        return tpl


def _issued_already(view, template: str, unit: str, period: str) -> bool:
    """The one duplicate check (model.issued_already) over the snapshot's grouping by unit."""
    from ...sources import rows_by_unit
    return bool(model.issued_already(rows_by_unit(view, "documents").get(unit, []), template, unit, period))


def _prepare(ws: Workspace, view, tpl: catalog.Template, st: dunning.Stage, units: list[str],
             as_of: date, period: str, result: RunResult) -> list[Letter]:
    """Data, validation, rules and glyph check of each letter, from one snapshot. A unit whose
    records are wrong is skipped with the reason (the other letters still go out)."""
    letters = []
    keys = {u: dunning.unit_sort_key(view.require("units", u, "unit")) for u in units}
    for unit in units:
        try:
            _, values, _ = issuing.prepare(ws, tpl.id, unit=unit, as_of=as_of, view=view, template=tpl)
        except InputError as exc:
            result.skipped.append((unit, "; ".join(exc.lines())))
            continue
        letters.append(Letter(stage=st.number, template=tpl.id, unit=unit, sort_key=keys[unit],
                              values=values, record=catalog.to_record(values), period=period))
    return letters


def _staging(ws: Workspace, st: dunning.Stage) -> Path:
    """This run's chunk PDFs of a stage (per process: a straggler of a killed run never
    writes into the folder of the run that resumes it)."""
    return ws.output_dir / STAGING / f"run-{os.getpid()}" / f"stage-{st.number}"


def _final_path(ws: Workspace, template: str, year: int, doc_no: str) -> Path:
    return ws.output_dir / template / str(year) / f"{numbering.safe_filename(doc_no)}.pdf"


def _part_path(final: Path, doc_id: str) -> Path:
    return final.parent / f".{final.name}.{doc_id}.part"


def _recover(ws: Workspace) -> None:
    """Clean what a killed run left: staging folders and `.part` files of pending letters.
    Pending reservations stay; recorded ones (if any slipped through) are dropped."""
    shutil.rmtree(ws.output_dir / STAGING, ignore_errors=True)
    with ws.store.transaction() as tx:
        issuing.complete_placements(ws, tx)   # a killed `render`'s recorded, unplaced file
        pending = tx.meta(PENDING, []) or []
        if not pending:
            return
        recorded = {d["doc_no"] for d in tx.all("documents")}
        keep = [p for p in pending if p["doc_no"] not in recorded]
        for p in keep:
            final = ws.root / p["path"]
            for leftover in final.parent.glob(f".{final.name}.*.part") if final.parent.is_dir() else ():
                leftover.unlink(missing_ok=True)
        if len(keep) != len(pending):
            tx.set_meta(PENDING, keep)


def _reserve(ws: Workspace, tpl: catalog.Template, letters: list[Letter]) -> None:
    """Give every letter its number and doc id in one short transaction.

    A number reserved by a killed run and never recorded goes back to its own unit's letter
    (its unrecorded file is simply replaced); it is never handed to another unit's letter (a
    number whose PDF was once placed for one owner must not come to mean another letter).
    Reservations left over at the end of the run are recorded as void (`_void_unused`).
    """
    series = ws.series_for(tpl.id, tpl.series)
    with ws.store.transaction() as tx:
        pending = tx.meta(PENDING, []) or []
        by_unit = {(p["template"], p["unit"], p["period"]): p for p in pending}
        for lt in letters:
            old = by_unit.get((tpl.id, lt.unit, lt.period))
            issued_on = lt.values[tpl.period_field]
            if old and old["series"] == series and old["year"] == issued_on.year:
                # Same number, fresh id: a straggler of the killed run can never write this
                # letter's .part file, and its old file at the number's path is replaced.
                _assign(ws, lt, tpl, old["doc_no"], old["seq"], codes.new_doc_id(), series, issued_on.year)
            else:
                doc_no, seq = numbering.allocate(tx, series, issued_on.year, issued_on)
                _assign(ws, lt, tpl, doc_no, seq, codes.new_doc_id(), series, issued_on.year)
        mine = {lt.doc_no for lt in letters}
        rest = [p for p in pending if p["doc_no"] not in mine]
        tx.set_meta(PENDING, rest + [_pending_entry(tpl, lt) for lt in letters])


def _pending_entry(tpl: catalog.Template, lt: Letter) -> dict:
    """What the store keeps of a reserved, not yet recorded letter (meta `dunning:pending`)."""
    return {"doc_no": lt.doc_no, "seq": lt.seq, "year": lt.year, "series": lt.series,
            "doc_id": lt.doc_id, "template": tpl.id, "unit": lt.unit, "period": lt.period,
            "path": lt.path, "issued_on": lt.values[tpl.period_field].isoformat(),
            "stage": lt.stage}


def _void_row(ws: Workspace, p: dict, reason: str, by: str) -> dict:
    """The register's row for a reserved number that no letter will carry: void, with why.

    It records no file (no path, no SHA-256): the number was never issued on a PDF that counts.
    """
    try:
        tpl = ws.catalog.get(p["template"])
        title, version = tpl.title, tpl.version
    except FormsmithError:   # a template removed since: the number is still accounted for
        title, version = p["template"], None
    return {"id": p["doc_id"], "doc_no": p["doc_no"], "doc_id": p["doc_id"], "series": p["series"],
            "year": p["year"], "seq": p["seq"], "template": p["template"], "template_version": version,
            "title": title, "unit": p["unit"], "period": p["period"], "state": "void",
            "sha256": None, "path": None, "pages": 0,
            "issued_on": p.get("issued_on") or f"{p['period']}-01", "created_at": lifecycle.now_iso(),
            "record": {}, "versions": [], "dunning_stage": p.get("stage"), "void_reason": reason,
            "signature_fields": [], "sign_areas": [],
            "events": [lifecycle.event("void", by, note=f"预留编号未使用：{reason}",
                                       reserved_by="dunning run")]}


def _drop_files(ws: Workspace, p: dict) -> None:
    """Remove what a reservation may have left in output/: its placed letter, its .part files."""
    final = ws.root / p["path"]
    final.unlink(missing_ok=True)
    if final.parent.is_dir():
        for leftover in final.parent.glob(f".{final.name}.*.part"):
            leftover.unlink(missing_ok=True)


def _assign(ws, lt: Letter, tpl, doc_no: str, seq: int, doc_id: str, series: str, year: int) -> None:
    lt.doc_no, lt.seq, lt.doc_id, lt.series, lt.year = doc_no, seq, doc_id, series, year
    lt.path = issuing.relative_to_workspace(ws, _final_path(ws, tpl.id, year, doc_no))


def _chunks(letters: list[Letter], size: int, jobs: int) -> list[list[Letter]]:
    # Enough chunks to keep every worker busy, none larger than `size`.
    size = max(1, min(size, math.ceil(len(letters) / (2 * jobs)) if jobs > 1 else size))
    return [letters[i:i + size] for i in range(0, len(letters), size)]


def _render_and_record(ws: Workspace, tpl: catalog.Template, st: dunning.Stage,
                       letters: list[Letter], *, jobs: int, by: str, progress: Progress | None,
                       chunk: int, commit_every: int, timings: dict[str, float],
                       workers: WorkerPool | None = None) -> None:
    letters.sort(key=lambda lt: lt.sort_key)
    chunks = _chunks(letters, chunk, jobs)
    staging = _staging(ws, st)
    staging.mkdir(parents=True, exist_ok=True)
    for lt in letters:
        _final_path(ws, tpl.id, lt.year, lt.doc_no).parent.mkdir(parents=True, exist_ok=True)

    def task(n: int) -> tuple:
        # Built when the chunk is handed out, not all at once: the parent never holds the
        # filled contexts of more than a few chunks (memory stays flat with the run's size).
        return (str(ws.root), tpl.id, tpl.engine, [_job_spec(ws, tpl, lt) for lt in chunks[n]],
                str(staging / f"chunk-{n:05d}.pdf"))
    done = 0
    waiting: list[Letter] = []
    last_commit = time.perf_counter()
    timings.setdefault("render", 0.0)
    timings.setdefault("record", 0.0)
    t_render = time.perf_counter()
    # The store work (sync the letter files, then one transaction) runs in a thread of its own:
    # the parent goes on handing chunks to the workers meanwhile. Commits stay in order.
    recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dunning-record")
    commits: list = []

    def record(group: list[Letter]) -> None:
        t = time.perf_counter()
        sync_filesystem(ws.output_dir)  # every letter file and rename on disk before the store records it
        _record(ws, tpl, group, by)
        timings["record"] += time.perf_counter() - t

    def commit() -> None:
        nonlocal last_commit
        for f in [f for f in commits if f.done()]:
            f.result()   # a failed commit stops the run here
            commits.remove(f)
        commits.append(recorder.submit(record, list(waiting)))
        waiting.clear()
        last_commit = time.perf_counter()

    def finished(group: list[Letter], outcome: dict) -> None:
        nonlocal done
        for k, v in outcome["stats"].items():
            timings[f"worker.{k}"] = timings.get(f"worker.{k}", 0.0) + v
        for lt, out in zip(group, outcome["letters"]):
            lt.pages, lt.sha256, lt.tearoff_pages = out["pages"], out["sha256"], tuple(out["tearoff_pages"])
            lt.signature_fields, lt.sign_areas = out["signature_fields"], out["sign_areas"]
            final = ws.root / lt.path
            issuing.place_new(_part_path(final, lt.doc_id), final,   # never over an issued letter
                              leftover=lambda p: _unrecorded(ws, p))
        waiting.extend(group)
        done += len(group)
        if progress:
            progress(f"阶段{st.number} {st.label}", done, len(letters))
        if len(waiting) >= commit_every or time.perf_counter() - last_commit > 60:
            commit()

    if progress:
        progress(f"阶段{st.number} {st.label}", 0, len(letters))
    try:
        if workers is None or len(chunks) == 1:
            for n, group in enumerate(chunks):
                finished(group, render_chunk(*task(n)))
        else:
            pool = workers.executor
            futures: dict = {}
            queue = iter(range(len(chunks)))
            try:
                for n in queue:  # two chunks per worker in flight, the next one handed out as one ends
                    futures[pool.submit(render_chunk, *task(n))] = chunks[n]
                    if len(futures) >= 2 * workers.jobs:
                        break
                while futures:
                    ready, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for f in ready:
                        group = futures.pop(f)
                        outcome = f.result()
                        following = next(queue, None)
                        if following is not None:   # the worker gets its next chunk before the parent files this one
                            futures[pool.submit(render_chunk, *task(following))] = chunks[following]
                        finished(group, outcome)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        if waiting:
            commit()
    finally:
        recorder.shutdown(wait=True)   # what was rendered and placed gets recorded, also on failure
    for f in commits:
        f.result()
    timings["render"] += time.perf_counter() - t_render


def _unrecorded(ws: Workspace, path: Path) -> bool:
    """A file already at a letter's path may be replaced only if it is a killed run's unrecorded one."""
    with ws.store.snapshot() as view:
        return issuing.unrecorded_leftover(view, path)


def _job_spec(ws: Workspace, tpl: catalog.Template, lt: Letter) -> tuple:
    issued_on = lt.values[tpl.period_field]
    identity, context = issuing.document_identity(ws, tpl, lt.values, doc_no=lt.doc_no,
                                                  doc_id=lt.doc_id, issued_on=issued_on,
                                                  record=lt.record, unit=lt.unit)
    final = ws.root / lt.path
    return (context, identity, str(_part_path(final, lt.doc_id)))


_WORKER_WS: dict[str, Workspace] = {}


# A batch builds millions of short-lived objects (WeasyPrint's boxes, pypdf's objects), few of
# them in reference cycles; with Python's default thresholds the cyclic collector runs every
# 700 allocations and walks them over and over: a third of a letter's layout time. Collecting
# every 50,000 allocations keeps memory bounded the same way (cycles are still freed) for a
# fraction of the cost.
BATCH_GC_THRESHOLD = (50_000, 20, 100)


class _batch_gc:
    """Within the block, the cyclic collector runs at BATCH_GC_THRESHOLD (restored after), and
    what a chunk rendered in this process leaves alive is frozen (render_chunk) until the end."""

    def __enter__(self):
        self.saved = gc.get_threshold()
        self.frozen = gc.get_freeze_count()
        gc.set_threshold(*BATCH_GC_THRESHOLD)

    def __exit__(self, *exc):
        gc.set_threshold(*self.saved)
        if not self.frozen and gc.get_freeze_count():
            gc.unfreeze()   # the run's long-lived objects go back to the collector's care


def _worker_init(root: str | None = None, engines: tuple[str, ...] = (),
                 parent: int | None = None) -> None:
    """A worker is killed with the run (Linux PR_SET_PDEATHSIG), and exits at once if the run
    died while it was starting: after a kill -9 of the run no orphan goes on writing letters
    of a run that no longer exists, nor waits for chunks for ever. It collects cycles at the
    batch threshold. It loads the workspace and the engines at once, while the parent is
    still preparing the letters."""
    from ...lifeline import die_with_parent
    die_with_parent(parent)
    gc.set_threshold(*BATCH_GC_THRESHOLD)
    if root is not None:
        _WORKER_WS.setdefault(root, load_workspace(Path(root)))
    for name in engines:
        module = engine_for(name)
        if name == "html":
            module.font_config()


class WorkerPool:
    """The run's worker processes, started (spawned, warming up their engines) as soon as the
    run knows it has enough letters for them, used for every stage's chunks."""

    def __init__(self, ws: Workspace, jobs: int, engines: tuple[str, ...]):
        import multiprocessing
        # spawn, not fork: a forked worker would start with the parent's store snapshot and
        # letters in its memory (shared at first, then copied page by page as Python touches
        # reference counts); a spawned one holds only the engine and its chunk.
        self.jobs = jobs
        self.executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_worker_init, initargs=(str(ws.root), engines, os.getpid()))
        # Start them now (the pool would otherwise start a worker per task submitted).
        self.executor.submit(int, 0)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def render_chunk(root: str, template_id: str, engine: str, specs: list[tuple], combined: str) -> dict:
    """In a worker: render one chunk of letters to their `.part` files (the parent syncs them
    before recording them); returns for
    each letter its pages, tear-off pages and SHA-256, and where the time went. Also writes
    the chunk's pages to `combined` (for the print file)."""
    before = dict(BATCH_STATS)
    t0 = time.perf_counter()
    ws = _WORKER_WS.get(root) or _WORKER_WS.setdefault(root, load_workspace(Path(root)))
    tpl = _with_engine(ws.catalog.get(template_id), engine)
    jobs = [RenderJob(context=c, identity=i, out=Path(p)) for c, i, p in specs]
    try:
        results = render_many(engine_for(tpl.engine), tpl, jobs, asset_roots=(ws.assets_dir,),
                              fonts=ws.fonts, combined=Path(combined))
        out, first, index = [], 0, []
        for job, r in zip(jobs, results):
            index.append([job.identity.doc_no, first])
            first += r.pages
            # Empty signature fields (seal area, 签收人): written by the engine with the letter's
            # file, or else added now; the sign areas tell the ingest where to look for ink.
            fields = (list(r.signature_fields) if r.signature_fields is not None
                      else signing.add_signature_fields(job.out, tpl, r.anchors))
            os.chmod(job.out, 0o644)
            out.append({"pages": r.pages, "tearoff_pages": list(r.tearoff_pages),
                        "sha256": (r.sha256 if r.sha256 and r.signature_fields is not None
                                   else issuing.sha256_file(job.out)),
                        "signature_fields": fields,
                        "sign_areas": list(r.sign_areas)})
        # No fsync here: the parent makes the files and their renames durable with one sync
        # before it records them (an fsync per letter costs a journal commit, ~5 ms each).
        Path(combined).with_suffix(".json").write_text(json.dumps(index, ensure_ascii=False),
                                                       encoding="utf-8")
        stats = {k: v - before.get(k, 0.0) for k, v in BATCH_STATS.items()}
        # The chunk's layout is garbage now, much of it in reference cycles that the batch
        # threshold would leave for a long while: free it before the next chunk.
        t1 = time.perf_counter()
        gc.collect()
        if not gc.get_freeze_count():
            # What the process holds after its first chunk (engine, fonts, templates; in a
            # one-process run also the letters and the store's rows) stays for the run: later
            # collections need not walk it again (in a 10,000-letter Typst run walking it was
            # a fifth of the time).
            gc.freeze()
        stats["gc"] = time.perf_counter() - t1
        stats["chunk"] = time.perf_counter() - t0
        return {"letters": out, "stats": stats}
    except BaseException:
        for job in jobs:
            job.out.unlink(missing_ok=True)
        raise


def _record(ws: Workspace, tpl: catalog.Template, letters: list[Letter], by: str) -> None:
    """Record placed letters and drop their reservations, in one transaction. A letter whose
    unit got the same document meanwhile (a clerk at the counter) is not recorded: its file is
    removed and its reserved number is recorded as void, naming the document the unit got."""
    with ws.store.transaction() as tx:
        recorded = set()
        pending = tx.meta(PENDING, []) or []
        reserved = {p["doc_no"] for p in pending}
        for lt in letters:
            if lt.doc_no not in reserved:   # its reservation was settled meanwhile: not ours to use
                (ws.root / lt.path).unlink(missing_ok=True)
                continue
            # Through the index on unit: reading every document of the store at each commit
            # made a month-end run's recording grow with the square of its size.
            dup = [d for d in tx.find("documents", unit=lt.unit) if d["template"] == tpl.id
                   and d.get("period") == lt.period and d["state"] not in model.RETIRED]
            if dup:
                (ws.root / lt.path).unlink(missing_ok=True)
                tx.insert("documents", _void_row(ws, _pending_entry(tpl, lt),
                                                 f"该户本期已另行开具{dup[0]['doc_no']}", by))
                recorded.add(lt.doc_no)
                continue
            issued_on = lt.values[tpl.period_field]
            tx.insert("documents", {
                "id": lt.doc_id, "doc_no": lt.doc_no, "doc_id": lt.doc_id, "series": lt.series,
                "year": lt.year, "seq": lt.seq, "template": tpl.id,
                "template_version": tpl.version, "title": tpl.title, "unit": lt.unit,
                "period": lt.period, "state": "generated", "sha256": lt.sha256, "path": lt.path,
                "pages": lt.pages, "issued_on": issued_on.isoformat(),
                "created_at": lifecycle.now_iso(), "record": lt.record, "versions": [],
                "dunning_stage": lt.stage, "tearoff_pages": list(lt.tearoff_pages),
                "signature_fields": lt.signature_fields, "sign_areas": lt.sign_areas,
                "events": [lifecycle.event("generated", by, note=f"dunning run stage {lt.stage}",
                                           sha256=lt.sha256, pages=lt.pages)],
            })
            recorded.add(lt.doc_no)
        tx.set_meta(PENDING, [p for p in pending if p["doc_no"] not in recorded])


def _void_unused(ws: Workspace, templates: set[str], community: str | None, as_of: date,
                 pol: dunning.Policy, skipped: dict[str, str], by: str) -> None:
    """Reservations still pending once the run has issued its letters (of this run's templates
    and community) will carry no letter: each is recorded as void with the reason (the owner
    paid meanwhile: 已缴清; the unit got its document at the counter; its records were wrong),
    so the register keeps every number, and the letter a killed run had placed for it is
    removed from output/. One transaction for all of them."""
    with ws.store.transaction() as tx:
        pending = tx.meta(PENDING, []) or []
        mine = [p for p in pending if p["template"] in templates and (
            not community or (tx.get("units", p["unit"]) or {}).get("community") == community)]
        if not mine:
            return
        owing = {s.unit for s in dunning.statuses(tx, pol, as_of, units=sorted(
            {p["unit"] for p in mine if tx.get("units", p["unit"]) is not None}))}
        for p in mine:
            if tx.find("documents", doc_no=p["doc_no"]):
                continue   # recorded already (cannot happen: _recover drops these); never twice
            other = [d for d in tx.find("documents", unit=p["unit"]) if d["template"] == p["template"]
                     and d.get("period") == p["period"] and d["state"] not in model.RETIRED]
            if other:
                reason = f"该户本期已另行开具{other[0]['doc_no']}"
            elif p["unit"] not in owing:
                reason = "已缴清"
            elif p["unit"] in skipped:
                reason = f"资料有误，未发出：{skipped[p['unit']]}"
            else:
                reason = "本次催缴未发出该函（催缴进度已变化）"
            _drop_files(ws, p)
            tx.insert("documents", _void_row(ws, p, reason, by))
        voided = {p["doc_no"] for p in mine}
        tx.set_meta(PENDING, [p for p in pending if p["doc_no"] not in voided])


# ---------------------------------------------------------------- outputs

def seal_period(ws: Workspace, template: str, period: str, community: str | None, signer,
                 by: str, progress: Progress | None) -> list[str]:
    """Seal every active letter of the period that is not sealed yet; returns their numbers."""
    todo = [d for d in period_documents(ws, template, period, community)
            if not signing.sealed_version(d)]
    done = []
    for d in todo:
        signing.seal_document(ws, d["doc_no"], by=by, signer=signer)
        done.append(d["doc_no"])
        if progress:
            progress(f"盖章 {template}", len(done), len(todo))
    return done


def period_documents(ws: Workspace, template: str, period: str, community: str | None = None) -> list[dict]:
    """Active documents of `template` for `period`, in building/unit order."""
    with ws.store.snapshot() as view:
        docs = view.find("documents", template=template, period=period,
                         where=lambda d: d["state"] not in model.RETIRED)
        units = {d["unit"]: view.get("units", d["unit"]) or {"id": d["unit"]} for d in docs}
    if community:
        docs = [d for d in docs if units[d["unit"]].get("community") == community]
    return sorted(docs, key=lambda d: dunning.unit_sort_key(units[d["unit"]]))


def outputs(ws: Workspace, tpl: catalog.Template, st: dunning.Stage, period: str,
             res: StageResult, community: str | None, timings: dict[str, float] | None = None) -> None:
    clock = time.perf_counter
    t = clock()
    docs = period_documents(ws, tpl.id, period, community)
    res.documents = docs
    if not docs:
        return
    folder = stage_dir(ws, period, st)
    folder.mkdir(parents=True, exist_ok=True)
    staging = _staging(ws, st)
    t1 = clock()
    res.print_file = str(write_print_file(ws, tpl, st, period, docs, folder / "print.pdf", staging))
    shutil.rmtree(staging, ignore_errors=True)
    t2 = clock()
    try:
        if st.courier:
            res.courier_files = [str(p) for p in write_courier_list(ws, docs, folder / "courier")]
        if st.sms:
            res.sms_files = [str(p) for p in write_sms_list(ws, docs, folder / "sms")]
    except OSError as exc:   # each list is written whole, then renamed: none is left cut
        why = "磁盘空间已满" if exc.errno == errno.ENOSPC else f"{exc.strerror or exc}"
        raise FormsmithError(f"{folder}: 寄件/短信清单未能写出（{why}）；信函均已登记，腾出空间后重新运行同一"
                             "命令即可补出清单 (the lists could not be written; the letters are recorded: "
                             "run the same command again to make them)") from None
    if timings is not None:
        timings[f"outputs-{st.number}.documents"] = t1 - t
        timings[f"outputs-{st.number}.print"] = t2 - t1
        timings[f"outputs-{st.number}.lists"] = clock() - t2
