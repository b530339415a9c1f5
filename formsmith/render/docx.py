"""Word engine: docxtpl (sandboxed, autoescaped) → editable .docx → LibreOffice PDF/A-3b → page QR codes + record.

The template is a .docx the office edits in Word, with Jinja tags in its text (docxtpl syntax:
`{{ data.x }}`, `{%p for … %}`, `{%tr for … %}`). The engine owns the page furniture, as the
HTML engine does: it writes the footer of every section (document number and 第 x 页 共 y 页 as
Word PAGE/NUMPAGES fields, so LibreOffice and Word both count the pages) and, after LibreOffice
has made the PDF/A, stamps each page's QR code (codes.py payload with that page's number) at the
top right as vector paths — no font, no image, nothing that breaks PDF/A — and attaches
record.json with its PDF/A-3 relationship. The filled .docx is kept beside the PDF.
"""
from __future__ import annotations

import copy
import re
from datetime import timezone
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docxtpl import DocxTemplate
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from .. import formats
from ..catalog import Template
from ..errors import RenderError, TemplateError, TemplateSecurityError
from . import PdfIdentity, RenderedPdf, libreoffice, pagecode

QR_SIZE_MM = 18
MM = 72 / 25.4
# PDF/A-3b (SelectPdfVersion 3, supported since LibreOffice 6.4), tagged, with bookmarks from
# the headings; LibreOffice embeds (subsets) every font in PDF/A mode.
PDF_EXPORT = {"SelectPdfVersion": 3, "UseTaggedPDF": True, "ExportBookmarks": True,
              "EmbedStandardFonts": True, "ExportFormFields": False, "UseLosslessCompression": True}

# Characters XML 1.0 forbids (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/FFFF):
# a single one makes Word refuse the whole file, so they are dropped from the data.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_xml_invalid(value: Any) -> Any:
    """`value` with every XML-invalid character removed from every string inside it."""
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    if isinstance(value, dict):
        return {strip_xml_invalid(k): strip_xml_invalid(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strip_xml_invalid(v) for v in value]
    return value


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja environment of Word templates: sandboxed, autoescaped (XML), strict, our filters."""
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(formats.JINJA_FILTERS)
    return env


def external_references(document) -> list[str]:
    """Targets outside the file that LibreOffice would fetch (linked images, frames, templates).

    Hyperlinks are only printed text and are allowed; anything else would let a template reach
    the network or the disk while the PDF is made, which the HTML engine forbids as well.
    """
    found = []
    for part in document.part.package.iter_parts():
        for rel in part.rels.values():
            if rel.is_external and not rel.reltype.endswith("/hyperlink"):
                found.append(f"{rel.reltype.rsplit('/', 1)[-1]} → {rel.target_ref}")
    return found


def side_file(out: Path) -> Path:
    """Where the engine writes the filled .docx for the PDF at `out`."""
    return out.with_name(out.name + ".docx")


# ---------------------------------------------------------------- the .docx

def fill_docx(template: Template, context: dict[str, Any], identity: PdfIdentity,
              out: Path, fonts: dict[str, str] | None = None) -> None:
    """Write the template filled with `context` as an editable .docx (with footer and metadata)."""
    tpl = DocxTemplate(str(template.body))
    outside = external_references(tpl.get_docx())
    if outside:
        raise TemplateSecurityError(f"template {template.id}: refused: {template.body.name} links to "
                                    f"content outside the file ({'; '.join(outside)}); embed it instead")
    try:
        tpl.render(strip_xml_invalid(context), environment(), autoescape=True)
    except SecurityError as exc:
        raise TemplateSecurityError(f"template {template.id}: refused: {exc}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {template.id}: {exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template {template.id}: {template.body.name}: {exc.message} "
                            "(run `formsmith templates check` for the details)") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {template.id}: {exc}") from None
    except Exception as exc:  # docxtpl/lxml on a body its tags leave malformed: no traceback
        raise RenderError(f"template {template.id}: filling {template.body.name} failed: "
                          f"{type(exc).__name__}: {exc} (run `formsmith templates check`)") from exc
    doc = tpl.docx
    _write_footers(doc, identity.doc_no, (fonts or {}).get("sans", "Noto Sans CJK SC"))
    props = doc.core_properties
    props.title = identity.title
    props.author = identity.author
    props.subject = identity.subject
    props.keywords = ", ".join(identity.keywords)
    props.identifier = identity.doc_id
    props.language = identity.lang
    props.comments = f"formsmith {identity.doc_no}"
    props.last_modified_by = "formsmith"
    created = identity.created  # python-docx writes a naive time as UTC
    if created.tzinfo is not None:
        created = created.astimezone(timezone.utc).replace(tzinfo=None)
    props.created = props.modified = created
    # Word recomputes the table of contents and page fields when the file is opened.
    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)
    doc.save(str(out))


def _field(paragraph, instruction: str, placeholder: str, rpr) -> None:
    """A Word field (PAGE, NUMPAGES …) as begin/instr/separate/result/end runs."""
    def run(child):
        r = OxmlElement("w:r")
        r.append(copy.deepcopy(rpr))
        r.append(child)
        paragraph._p.append(r)
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run(instr)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run(sep)
    text = OxmlElement("w:t")
    text.text = placeholder
    run(text)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run(end)


def _write_footers(doc, doc_no: str, sans: str) -> None:
    """Every page's footer: document number, 第 x 页 共 y 页 (Word fields), centred, 9 pt sans."""
    doc.settings.odd_and_even_pages_header_footer = False
    for section in doc.sections:
        section.different_first_page_header_footer = False
        footer = section.footer
        footer.is_linked_to_previous = False
        for p in list(footer.paragraphs)[1:]:
            p._p.getparent().remove(p._p)
        for t in footer.tables:
            t._tbl.getparent().remove(t._tbl)
        p = footer.paragraphs[0]
        for child in list(p._p):
            if child.tag != qn("w:pPr"):
                p._p.remove(child)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        probe = p.add_run(doc_no + "　　第 ")
        probe.font.size = Pt(9)
        probe.font.name = sans
        probe._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), sans)
        rpr = probe._r.rPr
        _field(p, "PAGE", "1", rpr)
        mid = copy.deepcopy(probe._r)
        mid.find(qn("w:t")).text = " 页 共 "
        p._p.append(mid)
        _field(p, "NUMPAGES", "1", rpr)
        tail = copy.deepcopy(probe._r)
        tail.find(qn("w:t")).text = " 页"
        p._p.append(tail)
        for t in p._p.iter(qn("w:t")):
            t.set(qn("xml:space"), "preserve")


# ---------------------------------------------------------------- the PDF

def _stamp_codes(writer: PdfWriter, doc_id: str, right_mm: float, top_mm: float) -> None:
    """Put page k's own QR (FS1:<doc_id>:k/n) at the top right of every page."""
    places = [pagecode.Place(right=float(p.mediabox.right) - right_mm * MM,
                             top=float(p.mediabox.top) - top_mm * MM, size=QR_SIZE_MM * MM)
              for p in writer.pages]
    pagecode.stamp_pages(writer, doc_id, places)


def _attach(writer: PdfWriter, identity: PdfIdentity) -> None:
    """record.json as an embedded file with its PDF/A-3 associated-file relationship (Data)."""
    embedded = writer.add_attachment(identity.record_name, identity.record_json)
    spec = embedded.pdf_object
    spec[NameObject("/AFRelationship")] = NameObject("/Data")
    spec[NameObject("/Desc")] = TextStringObject(f"{identity.doc_no} 数据记录 (record)")
    spec[NameObject("/UF")] = TextStringObject(identity.record_name)
    stream = spec["/EF"]["/F"].get_object()
    stream[NameObject("/Subtype")] = NameObject("/application#2Fjson")
    params = DictionaryObject()
    params[NameObject("/Size")] = NumberObject(len(identity.record_json))
    params[NameObject("/ModDate")] = TextStringObject(
        identity.created.strftime("D:%Y%m%d%H%M%S") + _pdf_tz(identity.created))
    stream[NameObject("/Params")] = params
    root = writer._root_object
    af = root.get("/AF")
    af = af.get_object() if af is not None else ArrayObject()
    af.append(spec.indirect_reference or writer._add_object(spec))
    root[NameObject("/AF")] = af


def _pdf_tz(moment) -> str:
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def _set_keywords(writer: PdfWriter, keywords: tuple[str, ...]) -> None:
    """The keywords exactly as given (LibreOffice splits `formsmith:<id>` at the colon), in the
    document information and, as PDF/A requires them to agree, in the XMP metadata."""
    text = ", ".join(keywords)
    writer.add_metadata({"/Keywords": text})
    meta = writer._root_object.get("/Metadata")
    if meta is None:
        return
    stream = meta.get_object()
    xmp = stream.get_data().decode("utf-8")
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    new, n = re.subn(r"<pdf:Keywords>.*?</pdf:Keywords>", lambda m: f"<pdf:Keywords>{escaped}</pdf:Keywords>",
                     xmp, flags=re.S)
    if n == 0:
        new = xmp.replace(
            "</rdf:RDF>",
            f'  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">\n'
            f"   <pdf:Keywords>{escaped}</pdf:Keywords>\n  </rdf:Description>\n </rdf:RDF>", 1)
    stream.set_data(new.encode("utf-8"))


def _page_geometry(template: Template) -> tuple[float, float]:
    """Right and top distance (mm) of the page QR's top-right corner: in the template's top margin."""
    from docx import Document
    section = Document(str(template.body)).sections[0]
    right = (section.right_margin or 0) / 36000 if section.right_margin is not None else 26.0
    top_margin = (section.top_margin or 0) / 36000 if section.top_margin is not None else 27.0
    return right, max(3.0, (top_margin - QR_SIZE_MM) / 2)


def render_pdf(template: Template, context: dict[str, Any], identity: PdfIdentity, out: Path,
               asset_roots: tuple[Path, ...] = (), fonts: dict[str, str] | None = None,
               converter: libreoffice.LibreOffice | None = None) -> RenderedPdf:
    """Write the PDF/A-3b for `template` filled with `context` to `out`, and the .docx beside it.

    The .docx goes to `side_file(out)`; the caller places both. `converter` defaults to the
    process-wide LibreOffice, so a batch of documents uses one soffice process.
    """
    docx_out = side_file(out)
    work = Path(tempfile.mkdtemp(prefix="formsmith-docx-"))
    try:
        filled = work / "document.docx"
        fill_docx(template, context, identity, filled, fonts)
        raw = work / "document.pdf"
        pages = (converter or libreoffice.shared()).convert(filled, raw, PDF_EXPORT)
        right_mm, top_mm = _page_geometry(template)
        try:
            writer = PdfWriter(clone_from=PdfReader(str(raw)))
            # PDF/A-3 is based on PDF 1.7 (embedded files with /AF); pypdf would write 1.3.
            writer.pdf_header = "%PDF-1.7"
            if len(writer.pages) != pages:
                raise RenderError(f"template {template.id}: LibreOffice reported {pages} pages "
                                  f"but wrote {len(writer.pages)}")
            _stamp_codes(writer, identity.doc_id, right_mm, top_mm)
            _attach(writer, identity)
            _set_keywords(writer, identity.keywords)
            with open(out, "wb") as fh:
                writer.write(fh)
        except RenderError:
            raise
        except Exception as exc:
            raise RenderError(f"template {template.id}: finishing the PDF failed: "
                              f"{type(exc).__name__}: {exc}") from exc
        shutil.copyfile(filled, docx_out)
    except BaseException:
        for leftover in (out, docx_out):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RenderedPdf(pages=pages, side_files={"docx": docx_out})
