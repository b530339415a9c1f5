"""Word engine: docxtpl (sandboxed, autoescaped) → editable .docx → LibreOffice PDF/A-3b → page QR codes + record.

The template is a .docx the office edits in Word, with Jinja tags in its text (docxtpl syntax:
`{{ data.x }}`, `{%p for … %}`, `{%tr for … %}`). The engine owns the page furniture, as the
HTML engine does: it writes the footer of every section (document number and 第x页　共y页 as
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
import struct
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

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


def refuse_doctype(template: Template) -> None:
    """Refuse a .docx with a DOCTYPE in any XML part: Word never writes one, and its entities
    (XXE: <!ENTITY e SYSTEM "file:///etc/passwd">, or a billion laughs) are an attack."""
    import zipfile
    try:
        with zipfile.ZipFile(template.body) as z:
            for info in z.infolist():
                if info.filename.endswith((".xml", ".rels")):
                    with z.open(info) as fh:
                        head = fh.read(1 << 16)
                    if b"<!doctype" in head.lower() or b"<!entity" in head.lower():
                        raise TemplateSecurityError(
                            f"模板 {template.id}：{template.body.name} 的 {info.filename} 含有 DOCTYPE "
                            f"（实体声明），已拒绝 (template {template.id}: refused: {info.filename} "
                            "declares a DOCTYPE or entities)")
    except (zipfile.BadZipFile, OSError) as exc:
        raise TemplateError(f"模板 {template.id}：{template.body.name} 不是有效的 Word 文件 "
                            f"(not a .docx: {exc})") from None


def side_file(out: Path) -> Path:
    """Where the engine writes the filled .docx for the PDF at `out`."""
    return out.with_name(out.name + ".docx")


# ---------------------------------------------------------------- the .docx

def fill_docx(template: Template, context: dict[str, Any], identity: PdfIdentity,
              out: Path, fonts: dict[str, str] | None = None) -> None:
    """Write the template filled with `context` as an editable .docx (with footer and metadata)."""
    refuse_doctype(template)
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
    _set_language(doc, identity.lang)
    _no_autospace(doc)
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


# What follows w:autoSpaceDN in a paragraph's properties (CT_PPrBase), where it must go before.
_AFTER_AUTOSPACE = ("w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
                    "w:pPrChange")


def _no_autospace(doc) -> None:
    """No extra space between Chinese and Latin letters or digits: the house style writes
    2025年12月1日 and 第1页 (CONVENTIONS.md), while Word and LibreOffice add about a quarter
    em there by default (w:autoSpaceDE / w:autoSpaceDN, on unless turned off), which reads and
    copies as "2025 年 12 月 1 日". Turned off in the document defaults and in every style."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    para_default = defaults.find(qn("w:pPrDefault"))
    if para_default is None:
        para_default = OxmlElement("w:pPrDefault")
        defaults.append(para_default)
    targets = [para_default] + [st for st in styles.findall(qn("w:style")) if st.get(qn("w:type")) == "paragraph"]
    for target in targets:
        ppr = target.find(qn("w:pPr"))
        if ppr is None:
            if target is not para_default and target.find(qn("w:rPr")) is not None:
                ppr = OxmlElement("w:pPr")
                target.find(qn("w:rPr")).addprevious(ppr)
            else:
                ppr = OxmlElement("w:pPr")
                target.append(ppr)
        for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
            old = ppr.find(qn(tag))
            if old is not None:
                ppr.remove(old)
        for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
            el = OxmlElement(tag)
            el.set(qn("w:val"), "0")
            after = next((ppr.find(qn(t)) for t in _AFTER_AUTOSPACE if ppr.find(qn(t)) is not None), None)
            if after is not None:
                after.addprevious(el)
            else:
                ppr.append(el)


def _set_language(doc, lang: str) -> None:
    """The document's language (`lang`, zh-CN) as Word keeps it: the default run language of the
    styles (w:docDefaults, Latin and East Asian text alike) and the theme fonts' languages.

    LibreOffice declares the document default's Latin language as the PDF's /Lang, and python-docx's
    blank document (which Word templates often start from) says en-US there and ja-JP for the theme's
    East Asian fonts. Languages the template sets on its own styles and runs are left as they are.
    """
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    run_default = defaults.find(qn("w:rPrDefault"))
    if run_default is None:
        run_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, run_default)
    rpr = run_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        run_default.append(rpr)
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        rpr.insert_element_before(language, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    language.set(qn("w:val"), lang)
    language.set(qn("w:eastAsia"), lang)
    settings = doc.settings.element
    theme = settings.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.set(qn("w:val"), lang)
        theme.set(qn("w:eastAsia"), lang)


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
    """Every page's footer: document number, 第x页　共y页 (Word fields), centred, 9 pt sans."""
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
        probe = p.add_run(doc_no + "　　第")
        probe.font.size = Pt(9)
        probe.font.name = sans
        probe._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), sans)
        rpr = probe._r.rPr
        _field(p, "PAGE", "1", rpr)
        mid = copy.deepcopy(probe._r)
        mid.find(qn("w:t")).text = "页　共"
        p._p.append(mid)
        _field(p, "NUMPAGES", "1", rpr)
        tail = copy.deepcopy(probe._r)
        tail.find(qn("w:t")).text = "页"
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
    # add_attachment wrote /EF /F: the embedded file's stream (a dictionary)
    stream = cast(DictionaryObject, cast(DictionaryObject, spec["/EF"])["/F"].get_object())
    # pypdf holds a name decoded and escapes it when writing: "/application/json" is written as
    # /application#2Fjson, the MIME type PDF/A-3 (6.8) reads; "#2F" here would come out as #232F.
    stream[NameObject("/Subtype")] = NameObject("/application/json")
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


# ---------------------------------------------------------------- font names
#
# LibreOffice (7.4) embeds a CFF font as a Type 1 subset named after the CFF table's own font
# name. A font collection's faces share one CFF table: Noto CJK's TTC holds the JP, KR, SC, TC
# and HK faces over the CFF of the JP one, so text set in Noto Serif CJK SC (the SC face's
# cmap, SC glyphs) reaches the PDF as "NotoSerifCJKjp-Regular-VKana" (the last font dict of
# the CID font's FDArray). The engine names each such subset after the face of the collection
# whose cmap gives its glyphs — the face's PostScript name, e.g. NotoSerifCJKsc-Regular — in
# the font dictionary, its descriptor and the font program.

_SUBSET_TAG = re.compile(r"([A-Z]{6}\+)?(.+)")
_TYPE1_GLYPH = re.compile(rb"dup (\d+) /cid(\d+) put")
_CMAP_PAIR = r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>"


@lru_cache(maxsize=None)
def _family_faces(family: str) -> tuple[tuple[str, int], ...]:
    """(file, face index) of the installed faces of `family` (every weight), as fontconfig lists them."""
    try:
        out = subprocess.run(["fc-list", "--format", "%{file}\t%{index}\n", family],
                             capture_output=True, text=True, check=False, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    faces = (line.rsplit("\t", 1) for line in out.splitlines())
    return tuple(dict.fromkeys((f[0], int(f[1])) for f in faces if len(f) == 2 and f[1].isdigit()))


@lru_cache(maxsize=None)
def _cff_names(path: str) -> tuple[str | None, ...]:
    """For each face of the font file (one, or each of a collection): its CFF table's font name."""
    names = []
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            starts = [0]
            if head[:4] == b"ttcf":
                count = int.from_bytes(head[8:12], "big")
                starts = [int.from_bytes(fh.read(4), "big") for _ in range(count)]
            for start in starts:
                fh.seek(start)
                tables = int.from_bytes(fh.read(6)[4:6], "big")
                fh.seek(start + 12)
                records = fh.read(16 * tables)
                cff = b""
                for k in range(tables):
                    if records[16 * k:16 * k + 4] == b"CFF ":
                        fh.seek(int.from_bytes(records[16 * k + 8:16 * k + 12], "big"))
                        cff = fh.read(1024)
                names.append(_first_cff_name(cff))
    except OSError:
        return ()
    return tuple(names)


def _first_cff_name(cff: bytes) -> str | None:
    """The first name of a CFF table's Name INDEX (header, then count, offSize, offsets, data)."""
    if len(cff) < 8:
        return None
    at = cff[2]
    count, size = int.from_bytes(cff[at:at + 2], "big"), cff[at + 2]
    if count < 1 or not 1 <= size <= 4:
        return None
    offsets = at + 3
    first = int.from_bytes(cff[offsets:offsets + size], "big")
    end = int.from_bytes(cff[offsets + size:offsets + 2 * size], "big")
    base = offsets + (count + 1) * size - 1
    return cff[base + first:base + end].decode("latin-1") or None


@lru_cache(maxsize=None)
def _face(path: str, index: int) -> tuple[str, bytes]:
    """PostScript name and Unicode cmap (the format 12 groups, raw) of face `index` of `path`.

    Read from the table bytes: the cmap of a CJK face is 30,000 groups, and fontTools would
    first parse the 17 MB CFF table for the glyph names (a quarter second a face).
    """
    from fontTools.ttLib import TTFont
    font = TTFont(path, fontNumber=index, lazy=True)
    ps_name = str(font["name"].getDebugName(6) or "")
    groups = b""
    try:
        cmap = font.reader["cmap"]
        for k in range(int.from_bytes(cmap[2:4], "big")):
            platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * k)
            if (platform, encoding) in ((3, 10), (0, 4), (0, 6)) and \
                    int.from_bytes(cmap[offset:offset + 2], "big") == 12:
                count = int.from_bytes(cmap[offset + 12:offset + 16], "big")
                groups = bytes(cmap[offset + 16:offset + 16 + 12 * count])
                break
    except (KeyError, struct.error):
        pass
    return ps_name, groups


def _glyph(groups: bytes, cp: int) -> int | None:
    """The glyph id a format 12 cmap gives code point `cp` (binary search over its groups)."""
    lo, hi = 0, len(groups) // 12
    while lo < hi:
        mid = (lo + hi) // 2
        start, end, first = struct.unpack_from(">III", groups, 12 * mid)
        if cp < start:
            hi = mid
        elif cp > end:
            lo = mid + 1
        else:
            return first + cp - start
    return None


def _to_unicode(cmap: bytes) -> dict[int, int]:
    """Code → code point of a ToUnicode CMap's bfchar and bfrange entries (single characters)."""
    text = cmap.decode("latin-1")
    found: dict[int, int] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for code, dst in re.findall(_CMAP_PAIR, block):
            chars = bytes.fromhex(dst).decode("utf-16-be", "replace")
            if len(chars) == 1:
                found[int(code, 16)] = ord(chars)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(_CMAP_PAIR + r"\s*<([0-9A-Fa-f]+)>", block):
            chars = bytes.fromhex(dst).decode("utf-16-be", "replace")
            if len(chars) == 1:
                for k in range(int(lo, 16), int(hi, 16) + 1):
                    found[k] = ord(chars) + k - int(lo, 16)
    return found


def _page_fonts(writer: PdfWriter):
    """Every font dictionary of the pages and of the forms they draw, once each."""
    seen: set[int] = set()

    def once(ref) -> bool:
        key = ref.idnum if hasattr(ref, "idnum") else id(ref)
        if key in seen:
            return False
        seen.add(key)
        return True

    def walk(resources):
        resources = resources.get_object() if resources is not None else None
        if not resources:
            return
        for ref in (resources.get("/Font") or {}).values():
            if once(ref):
                yield ref.get_object()
        for ref in (resources.get("/XObject") or {}).values():
            form = ref.get_object()
            if form.get("/Subtype") == "/Form" and once(ref):
                yield from walk(form.get("/Resources"))
    for page in writer.pages:
        yield from walk(page.get("/Resources"))


def _name_fonts_after_faces(writer: PdfWriter, families: tuple[str, ...]) -> None:
    """Rename LibreOffice's Type 1 subsets of a collection's shared CFF after the face they show.

    Only the collections holding `families` (the faces the documents are set in) are looked at.
    The face is the one whose cmap gives most of the subset's glyphs (nine in ten at least: a few
    come from OpenType substitutions, such as the CJK em dash), on a tie the face of one of
    `families`; a subset no face explains, or none better than the rest, keeps its name.
    """
    wanted = {face for family in families for face in _family_faces(family)}
    collections: dict[str, list[tuple[str, int]]] = {}  # CFF name → (file, face index)
    for path in dict.fromkeys(path for path, _ in sorted(wanted)):
        names = _cff_names(path)
        for index, cff in enumerate(names):
            if cff and len(names) > 1:
                collections.setdefault(cff, []).append((path, index))
    if not collections:
        return
    for font in _page_fonts(writer):
        if font.get("/Subtype") != "/Type1" or "/FontDescriptor" not in font or "/ToUnicode" not in font:
            continue
        named = _SUBSET_TAG.fullmatch(str(font.get("/BaseFont", ""))[1:])
        if named is None:
            continue
        tag, stem = named.groups()
        cff = next((c for c in collections if stem == c or stem.startswith(c + "-")), None)
        desc = font["/FontDescriptor"].get_object()
        if cff is None or "/FontFile" not in desc:
            continue
        program = desc["/FontFile"].get_object()
        data = program.get_data()
        clear_len = int(program["/Length1"])
        clear = data[:clear_len]
        unicode = _to_unicode(font["/ToUnicode"].get_object().get_data())
        glyphs = [(unicode[int(code)], int(cid)) for code, cid in _TYPE1_GLYPH.findall(clear)
                  if int(code) in unicode]
        if not glyphs:
            continue
        scored = []
        for path, index in collections[cff]:
            ps_name, groups = _face(path, index)
            # a CID-keyed font of a collection (Noto CJK, Source Han) numbers its glyphs by CID
            agree = sum(_glyph(groups, u) == cid for u, cid in glyphs)
            scored.append((agree, (path, index) in wanted, ps_name))
        scored.sort(reverse=True)
        best = scored[0]
        tie = len(scored) > 1 and scored[1][:2] == best[:2]
        if not best[2] or 10 * best[0] < 9 * len(glyphs) or tie:
            continue
        ps_name = best[2]
        new_clear = clear.replace(stem.encode("latin-1"), ps_name.encode("latin-1"))
        program.set_data(new_clear + data[clear_len:])
        program[NameObject("/Length1")] = NumberObject(len(new_clear))
        name = NameObject("/" + (tag or "") + ps_name)
        font[NameObject("/BaseFont")] = name
        desc[NameObject("/FontName")] = name


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
    work = Path(tempfile.mkdtemp(prefix=libreoffice.scratch_prefix()))   # removed by LibreOffice's worker if we die
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
            _name_fonts_after_faces(writer, tuple(dict.fromkeys(
                [*(fonts or {}).values(), "Noto Serif CJK SC", "Noto Sans CJK SC"])))
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
