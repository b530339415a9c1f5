"""HTML engine: Jinja2 (sandboxed, autoescaped) → WeasyPrint → PDF/A-3b with the record attached."""
from __future__ import annotations

import mimetypes
import re
import time
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jinja2
from markupsafe import Markup, escape
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .. import codes, formats
from ..catalog import Template
from ..errors import RenderError, TemplateError, TemplateSecurityError
from . import BATCH_STATS, PdfIdentity, RenderedPdf

PDF_VARIANT = "pdf/a-3b"
QR_SIZE_MM = 18
MAX_LAYOUTS = 3

_font_config: FontConfiguration | None = None


def font_config() -> FontConfiguration:
    """One FontConfiguration for the whole process: fonts are loaded and cached once."""
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


ASSET_SCHEME = "asset:"    # `asset:pay-qr.png`: a file of the workspace's assets/ folder, by name


class ConfinedFetcher(URLFetcher):
    """Serves `data:` URLs and files inside the allowed folders; anything else stops the render.

    WeasyPrint swallows ordinary fetch errors (the image is just left out); a template that
    reaches for another file or the network must instead be refused, so this raises
    FatalURLFetchingError, which WeasyPrint lets through. `asset:NAME` is the file NAME of the
    first of `assets` (the workspace's assets/ folder): a template names a workspace image
    (`<img src="asset:pay-qr.png">`) without knowing where the workspace is; the Typst engine
    serves the same folder as `/_assets/`.
    """

    def __init__(self, roots: tuple[Path, ...], assets: tuple[Path, ...] = ()):
        super().__init__(allowed_protocols={"data", "file"}, timeout=1)
        self.roots = tuple(Path(r).resolve() for r in roots)
        self.assets = tuple(Path(r).resolve() for r in assets)

    def fetch(self, url: str, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(ASSET_SCHEME):
            name = unquote(url[len(ASSET_SCHEME):])
            if self.assets and name and name == Path(name).name and not name.startswith("."):
                url = (self.assets[0] / name).as_uri()
        parsed = urlparse(url)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            path = Path(unquote(parsed.path)).resolve()
            if any(path.is_relative_to(r) for r in self.roots) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise FatalURLFetchingError(
            f"the template tried to load {url!r}; only files of its own folder and the "
            "workspace assets may be used")


class ConfinedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that also refuses a file whose real path (symbolic links followed)
    lies outside the search path: FileSystemLoader only refuses `..` in the name."""

    def __init__(self, search_path: tuple[Path, ...]):
        super().__init__([str(p) for p in search_path])
        self.roots = tuple(Path(p).resolve() for p in search_path)

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        if not any(Path(filename).resolve().is_relative_to(r) for r in self.roots):
            raise SecurityError(f"{template} 是指向模板文件夹之外的符号链接 "
                                f"({template} is a symbolic link out of the template's folders)")
        return source, filename, uptodate


MAX_REPEAT = 1_000_000     # items or characters a `*` in a template may make
MAX_POWER_BITS = 4096      # size of an integer a `**` in a template may make


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with `*` and `**` bounded: `'x' * 10**10` or `10 ** 10 ** 8` in a template
    is refused instead of taking all memory or minutes of CPU (also when Jinja folds it as a
    constant while compiling)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) \
                        and len(seq) * max(n, 0) > MAX_REPEAT:
                    raise SecurityError(f"结果过大：{len(seq)} × {n} 超过 {MAX_REPEAT} "
                                        "(the result of * is too large)")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) \
                and abs(left) > 1 and right > 0 and right * abs(left).bit_length() > MAX_POWER_BITS:
            raise SecurityError(f"结果过大：{left} ** {right} (the result of ** is too large)")
        return super().call_binop(context, operator, left, right)


def template_line(exc: BaseException, names: tuple[str, ...] = (".html",)) -> str:
    """`file:line` of the innermost template frame of `exc`'s traceback (Jinja maps its frames
    to the template's lines), or ""."""
    import traceback
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(names) and frame.lineno:
            where = f"{Path(frame.filename).name}:{frame.lineno}"
    return where


# What must never be broken across a line (or a page): a statute's article (第一百七十一条), a
# date, a document number, an amount, a number with its unit (98.56平方米, 3日, 50%, 三十日).
_UNBROKEN = re.compile(
    r"\d{4}年\d{1,2}月(?:\d{1,2}日)?"
    r"|第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?"
    r"|〔\d{4}〕\d+号"
    r"|¥[\d,]+(?:\.\d+)?"
    r"|\d[\d,]*(?:\.\d+)?(?:平方米|立方米|千瓦时|个月|小时|周岁|日|元|把|人|年|%|％)"
    r"|[一二三四五六七八九十百]+(?:平方米|个月|小时|周岁|日|年)")
_TAG = re.compile(r"(<[^>]*>)")


def keep_together(html: Any) -> Markup:
    """`html` (a rendered block, `{% filter keep_together %}…{% endfilter %}`) with every
    citation, date, number and amount of its text wrapped in a no-break span: CJK text breaks
    between any two characters, and "第一百/七十一条" or "98.56平/方米" must not. Only text
    between tags is touched, never an attribute."""
    markup = html if isinstance(html, Markup) else escape(html)
    parts = _TAG.split(str(markup))
    for k in range(0, len(parts), 2):
        parts[k] = _UNBROKEN.sub(lambda m: f'<span style="white-space:nowrap">{m.group(0)}</span>', parts[k])
    return Markup("".join(parts))


@lru_cache(maxsize=32)
def _environment(search_path: tuple[Path, ...]) -> jinja2.Environment:
    env = BoundedSandbox(
        loader=ConfinedLoader(search_path),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(formats.JINJA_FILTERS)
    env.filters["card_qr"] = codes.card_qr      # a cut-out card's own code (worker-pass)
    env.filters["keep_together"] = keep_together
    return env


def render_html(template: Template, context: dict[str, Any]) -> str:
    """The template body filled with `context`, as an HTML string."""
    env = _environment(template.search_path)
    try:
        return env.get_template(template.body_for("html").name).render(**context)
    except SecurityError as exc:
        where = template_line(exc)
        raise TemplateSecurityError(f"template {template.id}: {where + ': ' if where else ''}"
                                    f"refused: {exc}") from None
    except jinja2.TemplateNotFound as exc:
        kind = TemplateSecurityError if ".." in str(exc) or str(exc).startswith("/") else TemplateError
        raise kind(f"template {template.id}: cannot include {exc.name!r}: only files of its "
                   "own folder and the shared _base folder may be included") from None
    except jinja2.UndefinedError as exc:
        where = template_line(exc)
        raise TemplateError(f"template {template.id}: {where + ': ' if where else ''}{exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template {template.id}: {exc.filename}:{exc.lineno}: {exc.message}") from None
    except RecursionError:
        raise TemplateError(f"template {template.id}: refused: it includes or extends itself "
                            f"(endless recursion)") from None
    except (ArithmeticError, LookupError, TypeError, ValueError, MemoryError, jinja2.TemplateError) as exc:
        where = template_line(exc)
        raise TemplateError(f"模板 {template.id}：{where + ' ' if where else ''}出错："
                            f"{type(exc).__name__}: {exc} (template {template.id}: the template "
                            "failed while it was filled)") from None


def _css_string(text: str) -> str:
    """`text` as a quoted CSS string, every character that could end or bend it escaped."""
    out = []
    for ch in text:
        if ch in '"\\' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):06x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def page_css(doc_no: str, doc_id: str, pages: int, sans: str) -> str:
    """The page furniture: document number and 第x页　共y页 at the foot, our QR at the top right.

    The QR payload holds the page number and the page count, so every page gets its own rule
    (`@page :nth(k)`); margin boxes do not change the flow, so the page count is stable.
    """
    css = [f"""@page {{
  @bottom-center {{
    content: {_css_string(doc_no + "　　")} "第" counter(page) "页　共" counter(pages) "页";
    font-family: {_css_string(sans)}; font-size: 9pt; color: #333;
  }}
}}"""]
    for page in range(1, pages + 1):
        uri = codes.qr_svg_data_uri(codes.encode(doc_id, page, pages), QR_SIZE_MM)
        css.append(f"@page :nth({page}) {{ @top-right {{ content: {QR_LABEL_CSS} url({_css_string(uri)}); "
                   f"width: {QR_BOX_MM}mm; vertical-align: middle; text-align: right; {qr_label_font(sans)} }} }}")
    return "\n".join(css)


# The page QR is labelled, so that an owner does not take it for a payment code: the label
# stands at the code's lower left, in the same margin box (typst.py FRAME does the same).
QR_LABEL = "文书核验码"
QR_LABEL_CSS = _css_string(QR_LABEL + "\u2002")
QR_BOX_MM = QR_SIZE_MM + 14


def qr_label_font(sans: str) -> str:
    return f"font-family: {_css_string(sans)}; font-size: 7pt; line-height: 1; color: #333;"


PX_TO_PT = 0.75   # WeasyPrint lays out in CSS px (1/96 in) and writes PDF points (1/72 in)


def _matches(element, selector: str) -> bool:
    if selector.startswith("#"):
        return element.get("id") == selector[1:]
    return selector[1:] in (element.get("class") or "").split()


def anchor_selectors(template: Template) -> tuple[str, ...]:
    """The `.class`/`#id` anchors of the template's declared signature fields."""
    return tuple(str(f.get("anchor", "")) for f in template.signature_fields
                 if str(f.get("anchor", ""))[:1] in (".", "#"))


def locate(document, selectors: tuple[str, ...], pages: range | None = None) -> dict[str, tuple]:
    """Where the laid-out elements matching each selector (`.class` or `#id`) ended up.

    Every box an element generated (a block, its anonymous line boxes, a table cell) is
    joined into one rectangle per page, in PDF points from the page's bottom-left corner:
    the place a signature field must cover to sit on that element in the written PDF.
    """
    found: dict[str, tuple] = {}
    pages = pages if pages is not None else range(len(document.pages))
    for selector in selectors:
        per_page = []
        for index, page in ((i - pages.start, document.pages[i]) for i in pages):
            rect = None
            for box in page._page_box.descendants():
                element = getattr(box, "element", None)
                if element is None or not _matches(element, selector):
                    continue
                x, y = box.border_box_x(), box.border_box_y()
                w, h = box.border_width(), box.border_height()
                r = (x, y, x + w, y + h)
                rect = r if rect is None else (min(rect[0], r[0]), min(rect[1], r[1]),
                                               max(rect[2], r[2]), max(rect[3], r[3]))
            if rect is not None:
                top = page.height * PX_TO_PT
                per_page.append((index, (round(rect[0] * PX_TO_PT, 2), round(top - rect[3] * PX_TO_PT, 2),
                                         round(rect[2] * PX_TO_PT, 2), round(top - rect[1] * PX_TO_PT, 2))))
        found[selector] = tuple(per_page)
    return found


def render_pdf(template: Template, context: dict[str, Any], identity: PdfIdentity, out: Path,
               asset_roots: tuple[Path, ...] = (), fonts: dict[str, str] | None = None) -> RenderedPdf:
    """Write the finished PDF/A-3b for `template` filled with `context` to `out`."""
    html_text = render_html(template, context)
    fetcher = ConfinedFetcher(template.search_path + tuple(asset_roots), tuple(asset_roots))
    sans = (fonts or {}).get("sans", "Noto Sans CJK SC")
    base_url = template.folder.as_uri() + "/"
    guess = max(1, template.pages_hint)
    fc = font_config()
    try:
        html = HTML(string=html_text, base_url=base_url, url_fetcher=fetcher)
        for _ in range(MAX_LAYOUTS):
            sheet = CSS(string=page_css(identity.doc_no, identity.doc_id, guess, sans),
                        url_fetcher=fetcher, font_config=fc)
            document = html.render(font_config=fc, stylesheets=[sheet])
            if len(document.pages) == guess:
                break
            guess = len(document.pages)
        else:
            raise RenderError(f"template {template.id}: page count does not settle "
                              f"after {MAX_LAYOUTS} layouts")
        anchors = locate(document, anchor_selectors(template))
        md = document.metadata
        md.title = identity.title
        md.authors = [identity.author]
        md.description = identity.subject
        md.keywords = list(identity.keywords)
        md.generator = "formsmith"
        md.created = md.modified = identity.created.isoformat(timespec="seconds")
        md.lang = identity.lang
        record = Attachment(string=identity.record_json.decode("utf-8"), name=identity.record_name,
                            description=f"{identity.doc_no} 数据记录 (record)",
                            relationship="Data", url_fetcher=fetcher)
        document.write_pdf(str(out), pdf_variant=PDF_VARIANT, attachments=[record],
                           pdf_identifier=identity.doc_id.encode("ascii"), finisher=_af_once)
    except FatalURLFetchingError as exc:
        raise TemplateSecurityError(f"template {template.id}: refused: {exc}") from None
    except (TemplateError, RenderError):
        raise
    except Exception as exc:  # WeasyPrint internals: report, never a traceback for a clerk
        raise RenderError(f"template {template.id}: rendering failed: {type(exc).__name__}: {exc}") from exc
    return RenderedPdf(pages=guess, anchors=anchors, sign_areas=sign_areas(document))


def _af_once(document, pdf) -> None:
    """WeasyPrint's PDF/A-3 step puts each attachment into the catalog's /AF twice (once from
    the EmbeddedFiles name tree, once from its file specification): keep each once, in order."""
    af = pdf.catalog.get("AF")
    if af is not None:
        af[:] = list(dict.fromkeys(af))


SIGN_CLASS = "sign-here"
PX_TO_MM = 25.4 / 96


def sign_areas(document, pages: range | None = None) -> tuple[dict, ...]:
    """The border boxes of elements marked `class="sign-here"`, per page (1-based within
    `pages`, default all), in mm."""
    found = []
    pages = pages if pages is not None else range(len(document.pages))
    for number, page in ((i - pages.start + 1, document.pages[i]) for i in pages):
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            element = getattr(box, "element", None)
            if (element is not None and SIGN_CLASS in (element.get("class") or "").split()
                    and box.element_tag != "::marker" and hasattr(box, "border_box_x")):
                found.append({"page": number,
                              **{k: round(v * PX_TO_MM, 2) for k, v in (
                                  ("x", box.border_box_x()), ("y", box.border_box_y()),
                                  ("w", box.border_width()), ("h", box.border_height()))}})
                continue
            stack.extend(getattr(box, "children", ()))
    return tuple(sorted(found, key=lambda a: (a["page"], a["y"], a["x"])))



# ---------------------------------------------------------------- batches

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)
_TEAROFF = re.compile(r'<(\w+)(\s[^>]*?)?\sclass="receipt"')
# Every letter of a batch is a <section> on pages named `fsl`; each section starts a page group
# of its own (css-gcpm), so `:nth(1 of fsl)` is the first page of each letter. Its number and
# page count come from its own attributes (string-set), so no rule is per letter: the letters
# share their computed styles and the page rules stay three however large the batch.
BATCH_CSS = """.fs-letter { page: fsl; string-set: fs-no attr(data-fs-no), fs-of attr(data-fs-of); }
.fs-letter + .fs-letter { break-before: page; }"""
# The place of the page QR is kept by a blank image of the same size in the same margin box as
# a single document's QR (page_css); the code itself is drawn there as each letter is cut out.
_QR_PLACEHOLDER = ("data:image/svg+xml,%3Csvg%20xmlns%3D%27http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%27"
                   f"%20width%3D%27{QR_SIZE_MM}mm%27%20height%3D%27{QR_SIZE_MM}mm%27%2F%3E")


def batch_page_css(sans: str) -> str:
    """Page furniture of a batch: at the foot of each page its letter's number and 第x页　共y页
    (the page counter starts again with every letter), at the top right the QR's place."""
    return f"""@page fsl {{
  @top-right {{ content: {QR_LABEL_CSS} url("{_QR_PLACEHOLDER}"); width: {QR_BOX_MM}mm; vertical-align: middle;
    text-align: right; {qr_label_font(sans)} }}
  @bottom-center {{ content: string(fs-no) "第" counter(page) "页　" string(fs-of);
    font-family: {_css_string(sans)}; font-size: 9pt; color: #333; }}
}}
@page :nth(1 of fsl) {{ counter-reset: page 1; }}"""


def _letter_bodies(template: Template, jobs) -> tuple[str, list[str]]:
    """Each job's filled template: the head (styles) of the first, which serves all (they are
    filled by the same template), and the body of each. The tear-off blocks (class "receipt")
    get ids so their pages can be found after layout."""
    head: str | None = None
    bodies = []
    for i, job in enumerate(jobs):
        text = render_html(template, job.context)
        m = _BODY.search(text)
        if m is None:
            raise TemplateError(f"template {template.id}: the filled template has no <body>")
        if head is None:
            head = text[:m.start()].replace("</style>", BATCH_CSS + "\n</style>", 1)
        counter = iter(range(1_000_000))
        bodies.append(_TEAROFF.sub(lambda mm: f'<{mm.group(1)}{mm.group(2) or ""} id="fs-r{i}-{next(counter)}" '
                                              'class="receipt"', m.group(1)))
    if head is None:                    # render_many returns before it for no letters
        raise TemplateError(f"template {template.id}: no letters to fill")
    return head, bodies


def _batch_html(head: str, bodies: list[str], jobs, counts: list[int]) -> str:
    """All letters of a batch in one HTML document: one <section> each, each on a new page,
    carrying its number and (guessed) page count for the page foot."""
    from html import escape
    parts = [f'<section class="fs-letter" id="fs-l{i}" data-fs-no="{escape(job.identity.doc_no + "　　")}" '
             f'data-fs-of="共{count}页">{body}</section>'
             for i, (job, body, count) in enumerate(zip(jobs, bodies, counts))]
    return f"{head}<body>{''.join(parts)}</body></html>"


def _qr_places(document) -> list:
    """Per laid-out page, where its QR goes: the box of the placeholder in its top-right
    margin box, in PDF points."""
    from .pagecode import Place
    places = []
    for page in document.pages:
        place = None
        for margin in page._page_box.children:
            if getattr(margin, "at_keyword", None) != "@top-right":
                continue
            for box in margin.descendants():
                if hasattr(box, "replacement"):
                    x, y, w = box.content_box_x(), box.content_box_y(), box.width
                    top = page.height * PX_TO_PT
                    place = Place(right=round((x + w) * PX_TO_PT, 3), top=round(top - y * PX_TO_PT, 3),
                                  size=round(w * PX_TO_PT, 3))
        if place is None:
            raise RenderError("batch layout: a page has no place for its QR code")
        places.append(place)
    return places


_PAGES_SEEN: dict[tuple, int] = {}


def _shape(template: Template, context: dict[str, Any]) -> tuple:
    """What mostly decides a letter's page count: its lists and how long they are. Used only to
    guess the count before layout (a wrong guess costs one more layout, never a wrong page)."""
    data = context.get("data", {})
    lists = tuple(sorted((k, len(v), len({str(sorted(x.items())[0]) for x in v if isinstance(x, dict)}))
                         for k, v in data.items() if isinstance(v, list)))
    return (template.id, template.version, lists)


def render_many(template: Template, jobs, asset_roots: tuple[Path, ...] = (),
                fonts: dict[str, str] | None = None, combined: Path | None = None) -> list[RenderedPdf]:
    """The batch contract (render.render_many): many letters laid out in ONE WeasyPrint document
    (styles parsed and fonts loaded and subset once), then cut into one PDF/A-3b per letter."""
    from .fields import fields_for_pages
    from .splice import BatchPdf
    if not jobs:
        return []
    fetcher = ConfinedFetcher(template.search_path + tuple(asset_roots), tuple(asset_roots))
    sans = (fonts or {}).get("sans", "Noto Sans CJK SC")
    fc = font_config()
    shapes = [_shape(template, j.context) for j in jobs]
    counts = [_PAGES_SEEN.get(sh, max(1, template.pages_hint)) for sh in shapes]
    clock = time.perf_counter
    try:
        t = clock()
        head, bodies = _letter_bodies(template, jobs)
        sheet = CSS(string=batch_page_css(sans), url_fetcher=fetcher, font_config=fc)
        BATCH_STATS["fill"] += clock() - t
        for _ in range(MAX_LAYOUTS):
            t = clock()
            html = HTML(string=_batch_html(head, bodies, jobs, counts),
                        base_url=template.folder.as_uri() + "/", url_fetcher=fetcher)
            t2 = clock()
            BATCH_STATS["furniture"] += t2 - t
            document = html.render(font_config=fc, stylesheets=[sheet])
            BATCH_STATS["layout"] += clock() - t2
            owner, current = [], -1
            tearoffs: dict[int, list[int]] = {}
            for p, page in enumerate(document.pages):
                # A letter's anchor is on each page its section's box reaches; it starts on
                # the first of them.
                starts = sorted({int(a[4:]) for a in page.anchors if a.startswith("fs-l")} - {current})
                if starts:
                    if len(starts) != 1 or starts[0] != current + 1:
                        raise RenderError(f"template {template.id}: batch layout lost or mixed letters")
                    current = starts[0]
                owner.append(current)
                for anchor in page.anchors:
                    if anchor.startswith("fs-r"):
                        tearoffs.setdefault(current, []).append(p)
            if not owner or owner[0] != 0 or current != len(jobs) - 1:
                raise RenderError(f"template {template.id}: batch layout lost or mixed letters")
            bounds = [owner.index(i) for i in range(len(jobs))] + [len(document.pages)]
            actual = [bounds[i + 1] - bounds[i] for i in range(len(jobs))]
            _PAGES_SEEN.update(zip(shapes, actual))
            if actual == counts:
                break
            counts = actual
        else:
            raise RenderError(f"template {template.id}: page counts do not settle "
                              f"after {MAX_LAYOUTS} layouts")
        places = _qr_places(document)
        selectors = anchor_selectors(template)
        layout = [(locate(document, selectors, range(bounds[i], bounds[i + 1])),
                   sign_areas(document, range(bounds[i], bounds[i + 1]))) for i in range(len(jobs))]
        md = document.metadata
        md.title = f"{template.title}（批量 {len(jobs)} 份）"
        md.generator = "formsmith"
        md.lang = jobs[0].identity.lang
        t = clock()
        data = document.write_pdf(pdf_variant=PDF_VARIANT)
        del document
        t2 = clock()
        BATCH_STATS["write"] += t2 - t
        # Each letter's objects are copied as bytes (render/splice.py: ~1 ms a letter against
        # ~3 ms re-written by pypdf).
        batch = BatchPdf.of(data, producer="formsmith (WeasyPrint)")
        reader = batch.reader
        results = []
        for i, job in enumerate(jobs):
            fields = fields_for_pages(template, layout[i][0],
                                      [reader.pages[p] for p in range(bounds[i], bounds[i + 1])])
            digest = batch.write_letter(range(bounds[i], bounds[i + 1]), job.identity, job.out,
                                        codes_at=places[bounds[i]:bounds[i + 1]], fields=fields)
            results.append(RenderedPdf(pages=counts[i], anchors=layout[i][0], sign_areas=layout[i][1],
                                       signature_fields=tuple(fields), sha256=digest,
                                       tearoff_pages=tuple(sorted({p - bounds[i] + 1
                                                                   for p in tearoffs.get(i, [])}))))
        if combined is not None:
            batch.write_stamped([(p, codes.encode(job.identity.doc_id, p - bounds[i] + 1, counts[i]), places[p])
                                 for i, job in enumerate(jobs) for p in range(bounds[i], bounds[i + 1])],
                                combined)
        BATCH_STATS["split"] += clock() - t2
    except FatalURLFetchingError as exc:
        raise TemplateSecurityError(f"template {template.id}: refused: {exc}") from None
    except (TemplateError, RenderError):
        raise
    except Exception as exc:  # WeasyPrint internals: report, never a traceback for a clerk
        raise RenderError(f"template {template.id}: batch rendering failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    return results
