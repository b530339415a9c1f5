"""Typst engine: the same data contract as the HTML engine, laid out by Typst into PDF/A-3b."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from multiprocessing.util import Finalize
from typing import Any, Final, Iterable

import segno
import typst
import zxingcpp

from .. import codes, formats
from ..catalog import Template
from ..errors import RenderError, TemplateError
from ..fonts import font_file
from ..lifeline import remove_left_by_dead
from . import BATCH_STATS, PdfIdentity, RenderedPdf

PDF_STANDARD: Final = "a-3b"
QR_SIZE_MM = 18
QR_BORDER = 2
# The frame's page (A4) and where its header puts the QR: right edge on the right margin (26 mm),
# bottom on the header's baseline (top margin 27 mm less the header ascent 4.5 mm).
PAGE_MM = (210.0, 297.0)
QR_RIGHT_MM, QR_TOP_MM = 26.0, 27.0 - 4.5 - QR_SIZE_MM
MAX_LAYOUTS = 3
INPUT_DIR = "_formsmith_input"
ASSETS_DIR = "_assets"     # the workspace's assets/ folder, as `/_assets/NAME` (HTML: `asset:NAME`)
MAIN = "_formsmith_main.typ"
ROOT_PREFIX = "formsmith-typst-"
MEMORY_SOFT_LIMIT_MB = 320

# The main file the engine compiles: it lays out one or many letters, each by the template's
# `letter(ctx)` function, and puts around every page what the template cannot leave out: page
# size and margins, our QR at the top right and the number with 第x页　共y页 at the foot
# (both counted per letter), the document metadata and,
# for a single document, the attached record. The inputs are files of the private compile
# root (see Stage): letters.json (one context per letter, with `qr`: page count → the QR
# images of pages 1..count), meta.json, fonts.json, record.json. When a letter's laid-out page
# count is not among its QR sets no QR is drawn; the engine reads the counts back from the
# <fs-summary> metadata and compiles again with the right codes. The summary also says where
# the corners of each signature-field anchor (base.typ `sign-anchor`) were laid out: (anchor,
# "start" or "end", page, x, y) in points from the page's bottom-left corner, as in the PDF.
FRAME = r"""#import "/%(body)s": letter
#let letters = json("/%(input)s/letters.json")
#let meta = json("/%(input)s/meta.json")
#let fonts = json("/%(input)s/fonts.json")
#set document(title: meta.title, author: meta.author, description: meta.subject,
  keywords: meta.keywords, date: auto)
#set text(font: (fonts.serif,), lang: "zh", region: "cn", fallback: false, size: 11pt)
// Which letter a page belongs to, and its page number and count within that letter. The
// letter counter is stepped just BEFORE the page break that starts the next letter, so a
// page's header (laid out before anything in the page body) already sees the new letter;
// the footer of a letter's last page comes after that step and goes back one letter. The
// page numbers come from the letter's own start and end markers.
#let letter-index = counter("fs-letter")
#let position() = {
  let i = letter-index.get().first()
  if i > 0 and locate(label("fs-start-" + str(i))).page() > here().page() { i -= 1 }
  let first = locate(label("fs-start-" + str(i))).page()
  let last = locate(label("fs-end-" + str(i))).page()
  (letters.at(i), here().page() - first + 1, last - first + 1)
}
#set page(paper: "a4", margin: (top: 27mm, right: 26mm, bottom: 18mm, left: 28mm),
  header-ascent: 4.5mm, footer-descent: 6.5mm,
  header: context {
    let (l, p, n) = position()
    let codes = l.at("qr", default: (:)).at(str(n), default: ())
    // The code's label at its lower left, so that an owner does not take it for a payment
    // code (html.py QR_LABEL).
    let label = text(font: (fonts.sans,), size: 7pt, fill: rgb("#333333"), "文书核验码")
    if p <= codes.len() {
      align(right + bottom, stack(dir: ltr, spacing: 1mm, label, image(bytes(codes.at(p - 1)),
        format: "svg", width: %(qr)smm, alt: "formsmith page code")))
    } else if meta.stamp {
      // A batch: the code is drawn into this place as each letter is cut out (pagecode.py).
      align(right + bottom, stack(dir: ltr, spacing: 1mm, label, box(width: %(qr)smm, height: %(qr)smm)))
    }
  },
  footer: context {
    let (l, p, n) = position()
    align(center, text(font: (fonts.sans,), size: 9pt, fill: rgb("#333333"),
      l.meta.doc_no + "\u{3000}\u{3000}第" + str(p) + "页\u{3000}共" + str(n) + "页"))
  })
#if meta.attach {
  pdf.attach("record.json", read("/%(input)s/record.json", encoding: none),
    relationship: "data", mime-type: "application/json",
    description: meta.doc_no + " 数据记录 (record)")
}
#for (i, l) in letters.enumerate() {
  if i > 0 {
    letter-index.step()
    pagebreak()
  }
  [#metadata(i) <fs-start>]
  [#metadata(i) #label("fs-start-" + str(i))]
  letter(l)
  [#metadata(i) #label("fs-end-" + str(i))]
}
#context [#metadata((
  starts: query(<fs-start>).map(m => m.location().page()),
  receipts: query(<fs-receipt>).map(m => m.location().page()),
  anchors: query(<fs-anchor>).map(m => {
    let p = m.location().position()
    (m.value.anchor, m.value.edge, p.page, p.x.pt(), (page.height - p.y).pt())
  }),
  pages: here().page(),
)) <fs-summary>]
""".replace("%(qr)s", str(QR_SIZE_MM)).replace("%(input)s", INPUT_DIR)

_local = threading.local()
_SVG_SIZE = re.compile(r'<svg width="(\d+)" height="(\d+)"')


# ---------------------------------------------------------------- the data contract

def display(value: Any, field_type: str = "") -> Any:
    """A typed value as the Typst template gets it: everything already formatted in Python.

    money → {"value": "1084.15", "money": "1,084.15", "yen": "¥1,084.15", "words": "壹仟…",
    "cents": 108415} (cents so a template can add amounts exactly; Typst never sees a float);
    date → {"iso": "2025-12-01", "cn": "2025年12月1日", "month": "2025年12月"};
    month ("2025-07") → {"iso": "2025-07", "cn": "2025年7月"}; the rest as JSON.
    """
    if isinstance(value, Decimal):
        cents = int((value * 100).to_integral_exact())
        return {"value": f"{value:.2f}", "money": formats.money(value),
                "yen": formats.money_yen(value), "words": formats.rmb_words(value), "cents": cents}
    if isinstance(value, date):
        return {"iso": formats.iso_date(value), "cn": formats.cn_date(value),
                "month": formats.cn_month(value)}
    if field_type == "month" and isinstance(value, str):
        return {"iso": value, "cn": formats.cn_month(value)}
    return value


def display_values(values: dict[str, Any], fields: Iterable = ()) -> dict[str, Any]:
    """Every value of a template's `data` converted with `display`, guided by the schema."""
    by_name = {f.name: f for f in fields}
    out: dict[str, Any] = {}
    for name, value in values.items():
        f = by_name.get(name)
        if isinstance(value, list):
            items = f.items if f is not None else ()
            out[name] = [display_values(v, items) if isinstance(v, dict) else display(v)
                         for v in value]
        elif isinstance(value, dict):
            out[name] = display_values(value, f.items if f is not None else ())
        else:
            out[name] = display(value, f.type if f is not None else "")
    return out


def qr_svg(payload: str) -> str:
    """The payload as a QR code (level M, 2-module quiet zone) in SVG; the frame sets its size.

    Drawn by zxing-cpp's writer (C++, ~0.2 ms) rather than segno (~2.4 ms), which would be a
    fifth of a letter's time in a batch; segno stays the fallback if the SVG is not as expected.
    """
    symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    svg = symbol.to_svg(add_quiet_zones=False)
    m = _SVG_SIZE.search(svg)
    if m and m.group(1) == m.group(2):
        w, full = m.group(1), int(m.group(1)) + 2 * QR_BORDER
        svg = svg.replace(m.group(0), f'<svg width="{full}" height="{full}" '
                          f'viewBox="-{QR_BORDER} -{QR_BORDER} {full} {full}"', 1)
        return svg.replace(f'<rect x="0" y="0" width="{w}" height="{w}"',
                           f'<rect x="-{QR_BORDER}" y="-{QR_BORDER}" width="{full}" '
                           f'height="{full}"', 1)
    buf = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buf, kind="svg", border=QR_BORDER,
                                                     xmldecl=False)
    return buf.getvalue().decode("ascii")


def letter_input(template: Template, context: dict[str, Any], identity: PdfIdentity,
                 counts: Iterable[int] = ()) -> dict[str, Any]:
    """One letter as the template's `letter(ctx)` gets it, with its QR codes for each page
    count in `counts` (the frame draws the set that matches the laid-out count). Without
    counts (a batch) the frame leaves the QR's place blank; the code is drawn there later."""
    out = {
        "data": display_values(context.get("data", {}), template.fields),
        "company": context.get("company", {}),
        "doc": {k: display(v) for k, v in dict(context.get("doc", {})).items()},
        "meta": {"doc_no": identity.doc_no},
    }
    if counts:
        out["qr"] = {str(n): [qr_svg(codes.encode(identity.doc_id, p, n)) for p in range(1, n + 1)]
                     for n in counts}
    return out


# ---------------------------------------------------------------- compiling

def font_dirs(fonts: dict[str, str] | None) -> tuple[str, ...]:
    """The folders of the configured serif and sans fonts (regular and bold sit side by side)."""
    fonts = fonts or DEFAULT_FONTS
    return tuple(sorted({str(Path(font_file(fonts[k])[0]).parent) for k in ("serif", "sans")}))


DEFAULT_FONTS = {"serif": "Noto Serif CJK SC", "sans": "Noto Sans CJK SC"}


def _fonts(dirs: tuple[str, ...]) -> typst.Fonts:
    """Only the configured fonts: no system search, and never Typst's bundled Latin-only fonts."""
    cache = _local.__dict__.setdefault("fonts", {})
    if dirs not in cache:
        cache[dirs] = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False,
                                  font_paths=list(dirs))
    return cache[dirs]


class Stage:
    """A Compiler with its own compile root: a private temporary folder that links the template's
    folder and the shared `_` folders it may import from (first of each name wins, as in the
    catalog's search path), plus the engine's main file and the input folder it writes each
    compile's data into.

    The template can read nothing else: not the workspace, not other files. One Stage per
    template, fonts and thread; fonts are loaded once and Typst's caches stay warm.
    """

    def __init__(self, template: Template, fonts: dict[str, str]):
        self.template = template
        remove_left_by_dead(ROOT_PREFIX)
        self.root = Path(tempfile.mkdtemp(prefix=f"{ROOT_PREFIX}{os.getpid()}-"))
        # Removed when the Stage goes and at exit, also in a process-pool worker that ends
        # normally (os._exit: plain atexit handlers do not run there, multiprocessing's do);
        # the root of a killed process is removed by the next Stage made on this machine.
        Finalize(self, shutil.rmtree, args=(str(self.root), True), exitpriority=10)
        linked = {template.id}
        (self.root / template.id).symlink_to(template.folder, target_is_directory=True)
        for shared in template.search_path[1:]:
            if shared.name not in linked and shared.name != INPUT_DIR:
                linked.add(shared.name)
                (self.root / shared.name).symlink_to(shared, target_is_directory=True)
        self.inputs = self.root / INPUT_DIR
        self.inputs.mkdir()
        (self.inputs / "fonts.json").write_text(json.dumps(fonts, ensure_ascii=False), encoding="utf-8")
        body = template.body_for("typst")
        main = self.root / MAIN
        main.write_text(FRAME.replace("%(body)s", f"{template.id}/{body.name}"), encoding="utf-8")
        found = _fonts(font_dirs(fonts))
        missing = [fonts[k] for k in ("serif", "sans") if fonts[k] not in found.families()]
        if missing:
            raise RenderError(f"Typst does not find the font {' / '.join(missing)} in "
                              f"{', '.join(font_dirs(fonts))} (it has {', '.join(found.families())})")
        self.compiler = typst.Compiler(input=str(main), root=str(self.root), font_paths=found,
                                       ignore_system_fonts=True)

    def use_assets(self, assets: tuple[Path, ...]) -> None:
        """Serve the regular files of the first of `assets` (the workspace's assets/ folder) as
        `/_assets/NAME`, the only workspace files a template may read (an image such as the
        payment QR). A symbolic link in assets/ is not served (the HTML engine refuses what
        resolves outside the folder too)."""
        wanted: dict[str, str] = {}
        src = Path(assets[0]).resolve() if assets else None
        if src is not None and src.is_dir():
            for p in src.iterdir():
                if not p.name.startswith(".") and not p.is_symlink() and p.is_file():
                    wanted[p.name] = str(p)
        if getattr(self, "_assets", None) == wanted:
            return
        folder = self.root / ASSETS_DIR
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for name, target in wanted.items():
            (folder / name).symlink_to(target)
        self._assets = wanted

    def compile(self, files: dict[str, str], created) -> tuple[bytes, dict[str, Any]]:
        """Write the input files, compile; the PDF and the layout summary (pages per letter)."""
        for name, text in files.items():
            (self.inputs / name).write_text(text, encoding="utf-8")
        try:
            pdf = self.compiler.compile(pdf_standards=[PDF_STANDARD], pdf_tags=False,
                                        timestamp=created)
            summary = json.loads(self.compiler.query("<fs-summary>", field="value", one=True))
        except typst.TypstError as exc:
            where = re.sub(r"\S*" + re.escape(self.root.name) + "/", "", _message(exc))
            raise TemplateError(f"template {self.template.id}: template.typ: {where}") from None
        except (RuntimeError, ValueError) as exc:
            raise RenderError(f"template {self.template.id}: Typst failed: {exc}") from None
        if not isinstance(pdf, bytes):      # one PDF, returned as bytes when no output path is given
            raise RenderError(f"template {self.template.id}: Typst returned no PDF")
        return with_final_eol(pdf), summary


def with_final_eol(pdf: bytes) -> bytes:
    """`pdf` ending with an end-of-line after its %%EOF. Typst ends the file at %%EOF itself;
    an incremental update (signature fields, the seal) appended to that would start on the
    %%EOF line (`%%EOF16 0 obj`), which ISO 32000 and PDF/A forbid (veraPDF 6.1.9-1)."""
    return pdf if pdf.endswith((b"\n", b"\r")) else pdf + b"\n"


def _rss_mb() -> float:
    """This process's resident memory in MB (Linux /proc; 0 where it cannot be read)."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError, IndexError):
        return 0.0


def bound_memory(limit_mb: float = MEMORY_SOFT_LIMIT_MB) -> bool:
    """Let Typst drop its memoised results when this process holds more than `limit_mb`.

    Typst memoises evaluation and layout in a process-wide cache; typst-py ages it by one
    step per compile and drops what went unused for 10 steps. A batch compile of 100 letters
    adds ~65 MB, so ten of them would hold ~650 MB per worker. Eleven compiles of an empty
    document (~0.1 s) age everything out; fonts stay loaded. Returns whether it flushed.
    """
    if _rss_mb() <= limit_mb:
        return False
    flush = _local.__dict__.get("flush")
    if flush is None:
        flush = _local.flush = typst.Compiler(font_paths=typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=False))
    for _ in range(11):
        flush.compile(input=b"", format="svg")
    return True


def stage(template: Template, fonts: dict[str, str] | None) -> Stage:
    """The Stage of `template` and `fonts` in this thread, made on first use."""
    fonts = dict(fonts or DEFAULT_FONTS)
    key = (str(template.folder), template.search_path, tuple(sorted(fonts.items())))
    cache = _local.__dict__.setdefault("stages", {})
    if key not in cache:
        cache[key] = Stage(template, fonts)
    return cache[key]


def _message(exc: Exception) -> str:
    msg = getattr(exc, "message", "") or str(exc)
    diag = getattr(exc, "diagnostic", "") or ""
    where = next((line.strip() for line in diag.splitlines() if "┌─" in line), "")
    return f"{msg} {where.replace('┌─', 'at')}".strip()


def anchor_boxes(marks: list) -> dict[str, dict[int, tuple[float, float, float, float]]]:
    """Where the compiled document's signature-field anchors (base.typ `sign-anchor`, read
    back from the summary as (anchor, edge, page, x, y)) were laid out: anchor → {page index
    (0-based) → (x0, y0, x1, y1)}, in PDF points from the page's bottom-left corner, the boxes
    of one anchor on one page joined into one, as the HTML engine joins an element's boxes.
    A start corner pairs with the next end corner of the same anchor; a container Typst split
    over two pages (an anchor is meant for an unbreakable box) is left out."""
    opened: dict[str, tuple] = {}
    found: dict[str, dict[int, tuple]] = {}
    for anchor, edge, page, x, y in marks:
        if edge == "start":
            opened[anchor] = (page, x, y)
            continue
        start = opened.pop(anchor, None)
        if start is None or start[0] != page:
            continue
        box = (min(start[1], x), min(start[2], y), max(start[1], x), max(start[2], y))
        per_page = found.setdefault(anchor, {})
        old = per_page.get(page - 1)
        per_page[page - 1] = box if old is None else (min(old[0], box[0]), min(old[1], box[1]),
                                                      max(old[2], box[2]), max(old[3], box[3]))
    return found


def letter_anchors(boxes: dict[str, dict[int, tuple]], pages: range) -> dict[str, tuple]:
    """The anchors of the letter on `pages` (0-based pages of the compiled document) in the
    form render.RenderedPdf.anchors has: anchor → ((page index within the letter, box), …)."""
    return {anchor: tuple((p - pages.start, tuple(round(v, 2) for v in per_page[p]))
                          for p in sorted(per_page) if p in pages)
            for anchor, per_page in boxes.items()}


def sign_areas(template: Template, anchors: dict[str, tuple]) -> tuple[dict, ...]:
    """Where the signer writes, in the form render.RenderedPdf.sign_areas has (page 1-based,
    x, y, w, h in mm from the page's top-left corner): the laid-out boxes of the template's
    signature fields that a person signs (every field but the seal). The HTML engine marks the
    same cells with class `sign-here`, so a scan is checked in the same place either way."""
    mm = 72 / 25.4
    found = []
    for f in template.signature_fields:
        if f.get("kind", "signature") == "seal":
            continue
        for page, (x0, y0, x1, y1) in anchors.get(f["anchor"], ()):
            found.append({"page": page + 1, "x": round(x0 / mm, 2), "y": round(PAGE_MM[1] - y1 / mm, 2),
                          "w": round((x1 - x0) / mm, 2), "h": round((y1 - y0) / mm, 2)})
    return tuple(sorted(found, key=lambda a: (a["page"], a["y"], a["x"])))


def _layout(st: Stage, template: Template, contexts: list[dict[str, Any]],
            identities: list[PdfIdentity], meta: dict[str, Any], record: bytes = b""
            ) -> tuple[bytes, list[int], list[tuple[int, ...]], list[dict[str, tuple]]]:
    """Compile the letters until every letter's QR codes name its real page count.

    Each letter gets the codes for its guessed page count and for one page more, so a letter
    that runs one page over the manifest's pages_hint needs no second compile of its batch.
    Returns the PDF, each letter's page count, each letter's pages (1-based, within the
    letter) that carry a tear-off 回执 and each letter's signature-field anchors (letter_anchors).
    """
    counts = [max(1, template.pages_hint)] * len(contexts)
    files = {"meta.json": json.dumps(meta, ensure_ascii=False)}
    if record:
        files["record.json"] = record.decode("utf-8")
    for _ in range(MAX_LAYOUTS):
        files["letters.json"] = json.dumps(
            [letter_input(template, c, i, (n, n + 1)) for c, i, n in zip(contexts, identities, counts)],
            ensure_ascii=False)
        pdf, summary = st.compile(files, identities[0].created)
        starts = summary["starts"]
        if len(starts) != len(contexts):
            raise RenderError(f"template {template.id}: batch layout lost letters")
        bounds = starts + [summary["pages"] + 1]
        actual = [bounds[k + 1] - bounds[k] for k in range(len(contexts))]
        if all(a in (n, n + 1) for a, n in zip(actual, counts)):
            tearoffs = [tuple(sorted({p - bounds[k] + 1 for p in summary["receipts"]
                                      if bounds[k] <= p < bounds[k + 1]}))
                        for k in range(len(contexts))]
            boxes = anchor_boxes(summary["anchors"])
            anchors = [letter_anchors(boxes, range(bounds[k] - 1, bounds[k + 1] - 1))
                       for k in range(len(contexts))]
            return pdf, actual, tearoffs, anchors
        counts = actual
    raise RenderError(f"template {template.id}: page counts do not settle after {MAX_LAYOUTS} layouts")


def render_pdf(template: Template, context: dict[str, Any], identity: PdfIdentity, out: Path,
               asset_roots: tuple[Path, ...] = (), fonts: dict[str, str] | None = None) -> RenderedPdf:
    """Write the finished PDF/A-3b for `template` (its template.typ) filled with `context` to `out`.

    Typst writes it all itself: metadata, PDF/A, record.json attached (relationship Data).
    The QR codes hold the page count, known only after layout: the first compile carries the
    codes for the manifest's pages_hint and one page more; a letter that came out longer still
    is compiled again with the codes for its real count (the codes are the same size, so the
    layout does not change). The anchors of its signature fields are reported as laid out;
    issuing adds the empty fields there (signing.add_signature_fields), as for the HTML engine.
    """
    st = stage(template, fonts or context.get("fonts"))
    st.use_assets(asset_roots)
    meta = {"title": identity.title, "author": identity.author, "subject": identity.subject,
            "keywords": list(identity.keywords), "doc_no": identity.doc_no, "attach": True,
            "stamp": False}
    pdf, counts, tearoffs, anchors = _layout(st, template, [context], [identity], meta,
                                             identity.record_json)
    Path(out).write_bytes(pdf)
    return RenderedPdf(pages=counts[0], tearoff_pages=tearoffs[0], anchors=anchors[0],
                       sign_areas=sign_areas(template, anchors[0]))


def render_many(template: Template, jobs, asset_roots: tuple[Path, ...] = (),
                fonts: dict[str, str] | None = None, combined: Path | None = None) -> list[RenderedPdf]:
    """The batch contract (render.render_many): all letters of `jobs` laid out in ONE Typst
    document (fonts loaded and subset once; every letter restarts the page counter and has its
    own number and footer), compiled once, then cut into one PDF/A-3b per letter with its own
    metadata, /ID and record.json (render/splice.py), each page getting its QR code as it is cut.
    `combined` gets the whole batch in job order, with the codes.
    """
    from .fields import fields_for_pages
    from .pagecode import MM, Place
    from .splice import BatchPdf
    jobs = [j if hasattr(j, "identity") else _Job(*j) for j in jobs]
    if not jobs:
        return []
    st = stage(template, fonts or jobs[0].context.get("fonts"))
    st.use_assets(asset_roots)
    meta = {"title": f"{template.title}（批量 {len(jobs)} 份）", "author": jobs[0].identity.author,
            "subject": template.title, "keywords": [], "doc_no": "", "attach": False, "stamp": True}
    clock = time.perf_counter
    t = clock()
    files = {"meta.json": json.dumps(meta, ensure_ascii=False),
             "letters.json": json.dumps([letter_input(template, j.context, j.identity) for j in jobs],
                                        ensure_ascii=False)}
    t2 = clock()
    BATCH_STATS["fill"] += t2 - t
    pdf, summary = st.compile(files, jobs[0].identity.created)
    bound_memory()
    t = clock()
    BATCH_STATS["layout"] += t - t2
    starts = summary["starts"]
    if len(starts) != len(jobs):
        raise RenderError(f"template {template.id}: batch layout lost letters")
    bounds = [s - 1 for s in starts] + [summary["pages"]]
    place = Place(right=(PAGE_MM[0] - QR_RIGHT_MM) * MM, top=(PAGE_MM[1] - QR_TOP_MM) * MM,
                  size=QR_SIZE_MM * MM)
    # Typst keeps each object on its own behind a classic xref table: the letters' objects are
    # copied as bytes (render/splice.py).
    batch = BatchPdf.of(pdf, producer="formsmith (Typst)")
    reader = batch.reader
    boxes = anchor_boxes(summary["anchors"])
    results = []
    for k, job in enumerate(jobs):
        first, end = bounds[k], bounds[k + 1]
        anchors = letter_anchors(boxes, range(first, end))
        fields = fields_for_pages(template, anchors, [reader.pages[p] for p in range(first, end)])
        digest = batch.write_letter(range(first, end), job.identity, Path(job.out),
                                    codes_at=[place] * (end - first), fields=fields)
        results.append(RenderedPdf(pages=end - first, anchors=anchors, signature_fields=tuple(fields),
                                   sign_areas=sign_areas(template, anchors), sha256=digest, tearoff_pages=tuple(sorted(
                                       {p - first for p in summary["receipts"] if first < p <= end}))))
    if combined is not None:
        batch.write_stamped([(p, codes.encode(job.identity.doc_id, p - bounds[k] + 1, bounds[k + 1] - bounds[k]), place)
                             for k, job in enumerate(jobs) for p in range(bounds[k], bounds[k + 1])],
                            Path(combined))
    BATCH_STATS["split"] += clock() - t
    return results


class _Job:
    """A (context, identity, out) tuple seen as a RenderJob."""

    def __init__(self, context, identity, out):
        self.context, self.identity, self.out = context, identity, Path(out)
