"""Typst engine: the same data contract as the HTML engine, laid out by Typst into PDF/A-3b."""
from __future__ import annotations

import atexit
import io
import json
import re
import shutil
import tempfile
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import segno
import typst
import zxingcpp

from .. import codes, formats
from ..catalog import Template
from ..errors import RenderError, TemplateError
from ..fonts import font_file
from . import PdfIdentity, RenderedPdf

PDF_STANDARD = "a-3b"
QR_SIZE_MM = 18
QR_BORDER = 2
MAX_LAYOUTS = 3

# The page furniture the engine puts around every template body: metadata, page size and
# margins, our QR top right and the number with 第 x 页 共 y 页 at the foot of every page, the
# attached record. The template file only lays out the letter; it cannot leave these out.
# `fs.qr` maps a page count to the QR images (SVG) of pages 1..count; when the laid-out page
# count is not among them no QR is drawn, the engine reads the count back from the PDF and
# compiles once more with the right codes.
#
# The context and the record reach Typst as two files in the compile root (INPUT_DIR): the
# root is a private folder (see Stage), so the template reads its data the same way it reads
# its shared pieces, and nothing else. (sys.inputs would do as well; measured in CPU time, a
# letter costs the same ~12 ms either way.)
INPUT_DIR = "_formsmith_input"
FRAME = """\
#let fs = json("/%(input)s/context.json")
#set document(title: fs.meta.title, author: fs.meta.author, description: fs.meta.subject,
  keywords: fs.meta.keywords, date: auto)
#set text(font: (fs.fonts.serif,), lang: "zh", region: "cn", fallback: false, size: 11pt)
#set page(paper: "a4", margin: (top: 27mm, right: 26mm, bottom: 18mm, left: 28mm),
  header-ascent: 4.5mm, footer-descent: 6.5mm,
  header: context {
    let n = str(counter(page).final().first())
    let p = counter(page).get().first()
    if n in fs.qr and p <= fs.qr.at(n).len() {
      align(right + bottom, image(bytes(fs.qr.at(n).at(p - 1)), format: "svg",
        width: %(qr)smm, alt: "formsmith page code"))
    }
  },
  footer: context align(center, text(font: (fs.fonts.sans,), size: 9pt, fill: rgb("#333333"),
    fs.meta.doc_no + "\u3000\u3000第 " + str(counter(page).get().first()) + " 页 共 "
    + str(counter(page).final().first()) + " 页")))
#pdf.attach("record.json", read("/%(input)s/record.json", encoding: none), relationship: "data",
  mime-type: "application/json", description: fs.meta.doc_no + " 数据记录 (record)")
#include "/%(body)s"
""".replace("%(qr)s", str(QR_SIZE_MM)).replace("%(input)s", INPUT_DIR)

_local = threading.local()
_SVG_SIZE = re.compile(r'<svg width="(\d+)" height="(\d+)"')
_PAGE_TREE = re.compile(rb"<<\s*/Type\s*/Pages\s*/Count\s+(\d+)\s*/Kids")


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


def inputs(template: Template, context: dict[str, Any], identity: PdfIdentity,
           pages: int) -> dict[str, str]:
    """The input files of one compile: the context as JSON and the record to attach."""
    doc = dict(context.get("doc", {}))
    doc = {k: display(v) for k, v in doc.items()}
    fs = {
        "data": display_values(context.get("data", {}), template.fields),
        "company": context.get("company", {}),
        "doc": doc,
        "fonts": context.get("fonts") or {"serif": "Noto Serif CJK SC", "sans": "Noto Sans CJK SC"},
        "meta": {"title": identity.title, "author": identity.author, "subject": identity.subject,
                 "keywords": list(identity.keywords), "doc_no": identity.doc_no},
        "qr": {str(pages): [qr_svg(codes.encode(identity.doc_id, p, pages))
                            for p in range(1, pages + 1)]},
    }
    return {"context.json": json.dumps(fs, ensure_ascii=False),
            "record.json": identity.record_json.decode("utf-8")}


# ---------------------------------------------------------------- compiling

def font_dirs(fonts: dict[str, str] | None) -> tuple[str, ...]:
    """The folders of the configured serif and sans fonts (regular and bold sit side by side)."""
    fonts = fonts or {"serif": "Noto Serif CJK SC", "sans": "Noto Sans CJK SC"}
    return tuple(sorted({str(Path(font_file(fonts[k])[0]).parent) for k in ("serif", "sans")}))


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
    catalog's search path), plus the input folder the engine writes each letter's data into.

    The template can read nothing else: not the workspace, not other templates' data. One Stage
    per template, fonts and thread; fonts are loaded once and Typst's caches stay warm.
    """

    def __init__(self, template: Template, dirs: tuple[str, ...]):
        self.root = Path(tempfile.mkdtemp(prefix="formsmith-typst-"))
        atexit.register(shutil.rmtree, self.root, True)
        linked = {template.id}
        (self.root / template.id).symlink_to(template.folder, target_is_directory=True)
        for shared in template.search_path[1:]:
            if shared.name not in linked and shared.name != INPUT_DIR:
                linked.add(shared.name)
                (self.root / shared.name).symlink_to(shared, target_is_directory=True)
        self.inputs = self.root / INPUT_DIR
        self.inputs.mkdir()
        body = template.body_for("typst")
        self.main = FRAME.replace("%(body)s", f"{template.id}/{body.name}").encode("utf-8")
        self.compiler = typst.Compiler(root=str(self.root), font_paths=_fonts(dirs),
                                       ignore_system_fonts=True)

    def compile(self, files: dict[str, str], created) -> bytes:
        for name, text in files.items():
            (self.inputs / name).write_text(text, encoding="utf-8")
        # The main source is given on every compile: typst-py loses an in-memory main file
        # given to the constructor after the first compile.
        return self.compiler.compile(input=self.main, pdf_standards=[PDF_STANDARD],
                                     pdf_tags=False, timestamp=created)


def stage(template: Template, fonts: dict[str, str] | None) -> Stage:
    """The Stage of `template` and `fonts` in this thread, made on first use."""
    dirs = font_dirs(fonts)
    key = (str(template.folder), template.search_path, dirs)
    cache = _local.__dict__.setdefault("stages", {})
    if key not in cache:
        cache[key] = Stage(template, dirs)
    return cache[key]


def _compile(st: Stage, template: Template, files: dict[str, str],
             identity: PdfIdentity) -> tuple[bytes, int]:
    try:
        pdf = st.compile(files, identity.created)
        pages = page_count(pdf)
    except typst.TypstError as exc:
        where = re.sub(r"\S*" + re.escape(st.root.name) + "/", "", _message(exc))
        raise TemplateError(f"template {template.id}: template.typ: {where}") from None
    except (RuntimeError, ValueError) as exc:
        raise RenderError(f"template {template.id}: Typst failed: {exc}") from None
    return pdf, pages


def page_count(pdf: bytes) -> int:
    """The page count of a PDF Typst wrote: its page tree root (object 1), else read by pypdf.

    (typst-py cannot `query` a document compiled from in-memory source, so the count is read
    from the output; the regular expression is only a fast path.)
    """
    m = _PAGE_TREE.search(pdf, 0, 4096)
    if m:
        return int(m.group(1))
    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _message(exc: Exception) -> str:
    msg = getattr(exc, "message", "") or str(exc)
    diag = getattr(exc, "diagnostic", "") or ""
    where = next((line.strip() for line in diag.splitlines() if "┌─" in line), "")
    return f"{msg} {where.replace('┌─', 'at')}".strip()


def render_pdf(template: Template, context: dict[str, Any], identity: PdfIdentity, out: Path,
               asset_roots: tuple[Path, ...] = (), fonts: dict[str, str] | None = None) -> RenderedPdf:
    """Write the finished PDF/A-3b for `template` (its template.typ) filled with `context` to `out`.

    The QR codes hold the page count, known only after layout: the first compile uses the
    manifest's pages_hint; if the letter came out longer, it is compiled again with the codes
    for the real count (the codes are the same size, so the layout does not change).
    """
    st = stage(template, fonts or context.get("fonts"))
    guess = max(1, template.pages_hint)
    for _ in range(MAX_LAYOUTS):
        pdf, pages = _compile(st, template, inputs(template, context, identity, guess), identity)
        if pages == guess:
            break
        guess = pages
    else:
        raise RenderError(f"template {template.id}: page count does not settle "
                          f"after {MAX_LAYOUTS} layouts")
    Path(out).write_bytes(pdf)
    return RenderedPdf(pages=pages)


def render_many(template: Template, jobs: Iterable[tuple[dict[str, Any], PdfIdentity, Path]],
                asset_roots: tuple[Path, ...] = (), fonts: dict[str, str] | None = None
                ) -> list[RenderedPdf]:
    """Render many documents of one template, one PDF each, with one Compiler (fonts loaded once).

    A one-page letter compiles in a few milliseconds once the Compiler is warm, so per-letter
    files need no chunking: every letter keeps its own metadata, QR codes and attached record.
    """
    return [render_pdf(template, context, identity, Path(out), asset_roots, fonts)
            for context, identity, out in jobs]

