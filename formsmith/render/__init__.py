"""Rendering engines: each turns a template and its context into a finished PDF file."""
from __future__ import annotations

import ctypes
import queue
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence


@dataclass(frozen=True)
class PdfIdentity:
    """What every issued PDF carries besides its body: number, id, metadata, attached record."""

    doc_no: str
    doc_id: str
    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    record_json: bytes
    created: datetime
    lang: str = "zh-CN"

    @property
    def record_name(self) -> str:
        return "record.json"


@dataclass(frozen=True)
class RenderedPdf:
    """What an engine reports about the file it wrote."""

    pages: int
    # Boxes of the elements the template asked for (signature-field anchors such as
    # ".seal-area"): selector → ((page index, (x0, y0, x1, y1) in PDF points from the
    # bottom-left corner)), one union box per page the element is on. None: the engine does
    # not report layout boxes (then only fields with a fixed rect_mm are placed).
    anchors: dict[str, tuple[tuple[int, tuple[float, float, float, float]], ...]] | None = None
    # Further files written beside the PDF, by kind (the Word engine's editable "docx");
    # issuing places each next to the final PDF with the kind as suffix and records it.
    side_files: dict[str, Path] = field(default_factory=dict)
    # Where the signer writes (elements of class `sign-here`): dicts page (1-based), x, y, w, h
    # in mm from the page's top-left corner. The ingest's signature check looks there.
    sign_areas: tuple[dict, ...] = ()
    tearoff_pages: tuple[int, ...] = ()   # 1-based pages carrying a tear-off 回执 (print on one side)
    # The empty signature fields the engine wrote into the PDF as it wrote it (signing.place_fields'
    # output). None: it wrote none, and issuing adds the template's (signing.add_signature_fields).
    signature_fields: tuple[dict, ...] | None = None
    # SHA-256 (hex) of the file as the engine wrote it, when it hashed the bytes it wrote (a
    # batch does: no second read of every letter); None: the caller reads the file.
    sha256: str | None = None


@dataclass(frozen=True)
class RenderJob:
    """One document of a batch: its template context, its identity and where its PDF goes."""

    context: dict[str, Any]
    identity: PdfIdentity
    out: Path


# Seconds spent per step of batch rendering in this process, by the engines' render_many (the
# dunning run reports them and the benchmark reads them): "fill" (template filling, letter
# inputs), "layout" and "write" (the engine's own work; Typst does both in one compile, counted
# as layout), "furniture" (page furniture: QR places, page CSS, parsing the batch document) and
# "split" (cutting per-letter PDF/A files with their QR codes, and the batch's print pages).
BATCH_STATS: dict[str, float] = {"fill": 0.0, "furniture": 0.0, "layout": 0.0, "write": 0.0, "split": 0.0}


def render_many(engine, template, jobs: Sequence[RenderJob], asset_roots: tuple[Path, ...] = (),
                fonts: dict[str, str] | None = None, combined: Path | None = None) -> list[RenderedPdf]:
    """Render a batch of documents of one template: each job's finished PDF to its `out`.

    The batch contract every engine may implement as `render_many(template, jobs, asset_roots,
    fonts, combined)`: each `job.out` must be a complete issued document, exactly as
    `render_pdf` would make it (its own number and QR on every page, metadata, record.json);
    when `combined` is given, the engine also writes there every page of the batch, in job
    order (the print file is assembled from these). An engine without it renders one by one.
    """
    fn = getattr(engine, "render_many", None)
    if fn is not None:
        return fn(template, jobs, asset_roots=asset_roots, fonts=fonts, combined=combined)
    results = [engine.render_pdf(template, j.context, j.identity, j.out, asset_roots=asset_roots,
                                 fonts=fonts) for j in jobs]
    if combined is not None:
        from pypdf import PdfWriter
        writer = PdfWriter()
        for j in jobs:
            writer.append(str(j.out))
        writer.write(str(combined))
    return results


def engine_for(name: str):
    """The rendering engine registered under `name`."""
    if name == "html":
        from . import html
        return html
    if name == "docx":
        from . import docx
        return docx
    if name == "typst":
        from . import typst
        return typst
    from ..errors import TemplateError
    raise TemplateError(f"no rendering engine {name!r}")


# ---------------------------------------------------------------- a render's time limit

DEFAULT_TIME_LIMIT_S = 120.0
GRACE_S = 5.0   # how long a render told to stop may take to unwind before it is abandoned


class Overrun(BaseException):
    """Raised inside a render that ran out of time. A BaseException: the engines' (and the
    templates' libraries') `except Exception` must not swallow it."""


class _Runner:
    """One daemon thread that runs renders one after the other (the Typst engine keeps its
    compilers per thread, so they stay warm from one document to the next)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="formsmith-render", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        try:
            while True:
                fn, box, done = self.jobs.get()
                try:
                    box["value"] = fn()
                except BaseException as exc:  # handed to the caller, who re-raises it
                    box["error"] = exc
                done.set()
        except BaseException:   # an Overrun that came late, between two renders: the caller
            pass                # has abandoned this runner already


_runner: _Runner | None = None
_runner_lock = threading.Lock()


def time_limited(seconds: float | None, fn: Callable[[], Any], what: str) -> Any:
    """`fn()`, stopped after `seconds` (None or 0: no limit) with a RenderError naming `what`.

    The render runs on a daemon thread while this thread waits. Out of time, the render is
    sent an Overrun (Python code, i.e. Jinja loops and the layout, stops at once); a render
    still inside native code after GRACE_S (a Typst compile) is abandoned: its thread can no
    longer write anything (the Overrun fires as soon as it returns), and does not keep the
    process from exiting. The caller removes what the render wrote.
    """
    global _runner
    if not seconds or seconds <= 0:
        return fn()
    with _runner_lock:
        if _runner is None or not _runner.thread.is_alive():
            _runner = _Runner()
        runner = _runner
    box: dict[str, Any] = {}
    done = threading.Event()
    runner.jobs.put((fn, box, done))
    if not done.wait(seconds):
        with _runner_lock:
            if _runner is runner:
                _runner = None     # abandoned: the next render gets a fresh thread
        ident = runner.thread.ident        # set: _Runner() started the thread
        if ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(Overrun))
        done.wait(GRACE_S)
        from ..errors import RenderError
        raise RenderError(f"{what}：排版超过时限 {seconds:g} 秒，已停止，未取号、未留下文件 "
                          f"(rendering took longer than {seconds:g} s; the limit is [render] "
                          "time_limit_s in formsmith.toml)")
    if "error" in box:
        raise box["error"]
    return box["value"]
