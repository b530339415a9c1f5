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
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .. import codes, formats
from ..catalog import Template
from ..errors import RenderError, TemplateError, TemplateSecurityError
from . import PdfIdentity, RenderedPdf

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


class ConfinedFetcher(URLFetcher):
    """Serves `data:` URLs and files inside the allowed folders; anything else stops the render.

    WeasyPrint swallows ordinary fetch errors (the image is just left out); a template that
    reaches for another file or the network must instead be refused, so this raises
    FatalURLFetchingError, which WeasyPrint lets through.
    """

    def __init__(self, roots: tuple[Path, ...]):
        super().__init__(allowed_protocols={"data", "file"}, timeout=1)
        self.roots = tuple(Path(r).resolve() for r in roots)

    def fetch(self, url: str, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parsed = urlparse(url)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            path = Path(unquote(parsed.path)).resolve()
            if any(path.is_relative_to(r) for r in self.roots) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        raise FatalURLFetchingError(
            f"the template tried to load {url!r}; only files of its own folder and the "
            "workspace assets may be used")


@lru_cache(maxsize=32)
def _environment(search_path: tuple[Path, ...]) -> jinja2.Environment:
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(p) for p in search_path]),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(formats.JINJA_FILTERS)
    return env


def render_html(template: Template, context: dict[str, Any]) -> str:
    """The template body filled with `context`, as an HTML string."""
    env = _environment(template.search_path)
    try:
        return env.get_template(template.body_for("html").name).render(**context)
    except SecurityError as exc:
        raise TemplateSecurityError(f"template {template.id}: refused: {exc}") from None
    except jinja2.TemplateNotFound as exc:
        kind = TemplateSecurityError if ".." in str(exc) or str(exc).startswith("/") else TemplateError
        raise kind(f"template {template.id}: cannot include {exc.name!r}: only files of its "
                   "own folder and the shared _base folder may be included") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {template.id}: {exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template {template.id}: {exc.filename}:{exc.lineno}: {exc.message}") from None
    except RecursionError:
        raise TemplateError(f"template {template.id}: refused: it includes or extends itself "
                            f"(endless recursion)") from None


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
    """The page furniture: document number and 第 x 页 共 y 页 at the foot, our QR at the top right.

    The QR payload holds the page number and the page count, so every page gets its own rule
    (`@page :nth(k)`); margin boxes do not change the flow, so the page count is stable.
    """
    css = [f"""@page {{
  @bottom-center {{
    content: {_css_string(doc_no + "　　")} "第 " counter(page) " 页 共 " counter(pages) " 页";
    font-family: {_css_string(sans)}; font-size: 9pt; color: #333;
  }}
}}"""]
    for page in range(1, pages + 1):
        uri = codes.qr_svg_data_uri(codes.encode(doc_id, page, pages), QR_SIZE_MM)
        css.append(f"@page :nth({page}) {{ @top-right {{ content: url({_css_string(uri)}); "
                   f"width: {QR_SIZE_MM}mm; vertical-align: middle; text-align: right; }} }}")
    return "\n".join(css)


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
    fetcher = ConfinedFetcher(template.search_path + tuple(asset_roots))
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
                           pdf_identifier=identity.doc_id.encode("ascii"))
    except FatalURLFetchingError as exc:
        raise TemplateSecurityError(f"template {template.id}: refused: {exc}") from None
    except (TemplateError, RenderError):
        raise
    except Exception as exc:  # WeasyPrint internals: report, never a traceback for a clerk
        raise RenderError(f"template {template.id}: rendering failed: {type(exc).__name__}: {exc}") from exc
    return RenderedPdf(pages=guess, anchors=anchors, sign_areas=sign_areas(document))


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
BATCH_CSS = ".fs-letter + .fs-letter { break-before: page; }"


def batch_page_css(letters: list[tuple[str, str, int]], sans: str) -> str:
    """Page furniture of a batch: letter i is laid out on pages named `fsl<i>`; each of its
    pages gets ITS number and 第 x 页 共 y 页 at the foot and its own QR at the top right."""
    css = [f"@page {{ @bottom-center {{ font-family: {_css_string(sans)}; font-size: 9pt; color: #333; }} }}"]
    for i, (doc_no, doc_id, count) in enumerate(letters):
        for page in range(1, count + 1):
            uri = codes.qr_svg_data_uri(codes.encode(doc_id, page, count), QR_SIZE_MM)
            foot = f"{doc_no}　　第 {page} 页 共 {count} 页"
            css.append(f"@page :nth({page} of fsl{i}) {{ @top-right {{ content: url({_css_string(uri)}); "
                       f"width: {QR_SIZE_MM}mm; vertical-align: middle; text-align: right; }} "
                       f"@bottom-center {{ content: {_css_string(foot)}; }} }}")
    return "\n".join(css)


def _batch_html(template: Template, jobs) -> str:
    """All letters of a batch in one HTML document: one <section> each, each on a new page.

    Every letter is filled by the same template, so the head (styles) of the first serves all;
    the tear-off blocks (class "receipt") get ids so their pages can be found after layout.
    """
    head = body = None
    parts = []
    for i, job in enumerate(jobs):
        text = render_html(template, job.context)
        m = _BODY.search(text)
        if m is None:
            raise TemplateError(f"template {template.id}: the filled template has no <body>")
        if head is None:
            head = text[:m.start()].replace("</style>", BATCH_CSS + "\n</style>", 1)
        counter = iter(range(1_000_000))
        body = _TEAROFF.sub(lambda mm: f'<{mm.group(1)}{mm.group(2) or ""} id="fs-r{i}-{next(counter)}" '
                                       'class="receipt"', m.group(1))
        parts.append(f'<section class="fs-letter" style="page: fsl{i}">{body}</section>')
    return f"{head}<body>{''.join(parts)}</body></html>"


_PAGES_SEEN: dict[tuple, int] = {}
# Seconds spent per step of batch rendering in this process (the benchmark reads them):
# "layout" and "write" are WeasyPrint's own work, "furniture" (template filling, QR codes, page
# CSS) and "split" (cutting per-letter PDF/A files) are formsmith's.
BATCH_STATS: dict[str, float] = {"fill": 0.0, "furniture": 0.0, "layout": 0.0, "write": 0.0, "split": 0.0}


def _shape(template: Template, context: dict[str, Any]) -> tuple:
    """What mostly decides a letter's page count: its lists and how long they are. Used only to
    guess the count before layout (a wrong guess costs one more layout, never a wrong page)."""
    data = context.get("data", {})
    lists = tuple(sorted((k, len(v), len({str(sorted(x.items())[0]) for x in v if isinstance(x, dict)}))
                         for k, v in data.items() if isinstance(v, list)))
    return (template.id, template.version, lists)


def _letter_of(page) -> int:
    """Which letter of the batch a laid-out page belongs to (its named page fsl<i>)."""
    name = page._page_box.page_type.name or ""
    return int(name[3:]) if name.startswith("fsl") else -1


def render_many(template: Template, jobs, asset_roots: tuple[Path, ...] = (),
                fonts: dict[str, str] | None = None, combined: Path | None = None) -> list[RenderedPdf]:
    """The batch contract (render.render_many): many letters laid out in ONE WeasyPrint document
    (styles parsed and fonts loaded and subset once), then cut into one PDF/A-3b per letter."""
    from pypdf import PdfReader

    from .pdfa import write_part
    if not jobs:
        return []
    fetcher = ConfinedFetcher(template.search_path + tuple(asset_roots))
    sans = (fonts or {}).get("sans", "Noto Sans CJK SC")
    fc = font_config()
    shapes = [_shape(template, j.context) for j in jobs]
    counts = [_PAGES_SEEN.get(sh, max(1, template.pages_hint)) for sh in shapes]
    target = Path(combined) if combined else jobs[0].out.with_name(f".{jobs[0].out.name}.batch.part")
    clock = time.perf_counter
    try:
        t = clock()
        html = HTML(string=_batch_html(template, jobs), base_url=template.folder.as_uri() + "/",
                    url_fetcher=fetcher)
        BATCH_STATS["fill"] += clock() - t
        for _ in range(MAX_LAYOUTS):
            t = clock()
            furniture = [(j.identity.doc_no, j.identity.doc_id, c) for j, c in zip(jobs, counts)]
            sheet = CSS(string=batch_page_css(furniture, sans), url_fetcher=fetcher, font_config=fc)
            t2 = clock()
            BATCH_STATS["furniture"] += t2 - t
            document = html.render(font_config=fc, stylesheets=[sheet])
            BATCH_STATS["layout"] += clock() - t2
            owner = [_letter_of(page) for page in document.pages]
            if owner != sorted(owner) or set(owner) != set(range(len(jobs))):
                raise RenderError(f"template {template.id}: batch layout lost or mixed letters")
            tearoffs: dict[int, list[int]] = {}
            for p, page in enumerate(document.pages):
                for anchor in page.anchors:
                    if anchor.startswith("fs-r"):
                        tearoffs.setdefault(owner[p], []).append(p)
            bounds = [owner.index(i) for i in range(len(jobs))] + [len(document.pages)]
            actual = [bounds[i + 1] - bounds[i] for i in range(len(jobs))]
            _PAGES_SEEN.update(zip(shapes, actual))
            if actual == counts:
                break
            counts = actual
        else:
            raise RenderError(f"template {template.id}: page counts do not settle "
                              f"after {MAX_LAYOUTS} layouts")
        selectors = anchor_selectors(template)
        layout = [(locate(document, selectors, range(bounds[i], bounds[i + 1])),
                   sign_areas(document, range(bounds[i], bounds[i + 1]))) for i in range(len(jobs))]
        md = document.metadata
        md.title = f"{template.title}（批量 {len(jobs)} 份）"
        md.generator = "formsmith"
        md.lang = jobs[0].identity.lang
        t = clock()
        document.write_pdf(str(target), pdf_variant=PDF_VARIANT)
        del document
        t2 = clock()
        BATCH_STATS["write"] += t2 - t
        reader = PdfReader(str(target))
        results = []
        for i, job in enumerate(jobs):
            write_part(reader, range(bounds[i], bounds[i + 1]), job.identity, job.out)
            results.append(RenderedPdf(pages=counts[i], anchors=layout[i][0], sign_areas=layout[i][1],
                                       tearoff_pages=tuple(sorted({p - bounds[i] + 1
                                                                   for p in tearoffs.get(i, [])}))))
        BATCH_STATS["split"] += clock() - t2
    except FatalURLFetchingError as exc:
        raise TemplateSecurityError(f"template {template.id}: refused: {exc}") from None
    except (TemplateError, RenderError):
        raise
    except Exception as exc:  # WeasyPrint internals: report, never a traceback for a clerk
        raise RenderError(f"template {template.id}: batch rendering failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    finally:
        if combined is None:
            target.unlink(missing_ok=True)
    return results
