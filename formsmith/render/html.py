"""HTML engine: Jinja2 (sandboxed, autoescaped) → WeasyPrint → PDF/A-3b with the record attached."""
from __future__ import annotations

import mimetypes
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
        return env.get_template(template.body.name).render(**context)
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


def locate(document, selectors: tuple[str, ...]) -> dict[str, tuple]:
    """Where the laid-out elements matching each selector (`.class` or `#id`) ended up.

    Every box an element generated (a block, its anonymous line boxes, a table cell) is
    joined into one rectangle per page, in PDF points from the page's bottom-left corner:
    the place a signature field must cover to sit on that element in the written PDF.
    """
    found: dict[str, tuple] = {}
    for selector in selectors:
        per_page = []
        for index, page in enumerate(document.pages):
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
        anchors = locate(document, tuple(str(f.get("anchor", "")) for f in template.signature_fields
                                         if str(f.get("anchor", ""))[:1] in (".", "#")))
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
    return RenderedPdf(pages=guess, anchors=anchors)
