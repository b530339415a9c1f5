"""The empty signature fields every issued PDF carries: declared in the manifest
(`[[signature_fields]]`), placed over the template's anchors, written with pypdf while a file is
written (write_fields, from splice.py as it cuts each letter of a batch) or as an incremental
update of the file just written (add_signature_fields).

Furniture all engines share, like the page codes (pagecode.py) and the cutting of a batch
(splice.py); sealing (formsmith.signing) fills the field named "seal" later.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import TemplateError

FIELD_KINDS = ("signature", "seal")
MM = 72 / 25.4
SEAL_FIELD = "seal"            # the field the seal goes into when a template declares none


# ---------------------------------------------------------------- declarations

@dataclass(frozen=True)
class FieldDecl:
    """One `[[signature_fields]]` entry of a template manifest.

    name      AcroForm field name (ASCII letters, digits, _ and -), unique in the template
    role      what a reader shows as the field's tooltip, e.g. "业主签字"
    anchor    `.class` or `#id` of the element the field covers (found in the real layout)
    page      "first", "last" (default) or a 1-based page number, when the anchor is on several
    kind      "signature" (someone signs here) or "seal" (`formsmith seal` puts the seal here)
    min_height_mm  grow a short box (a signature line) upward to this height
    rect_mm   [x, y, width, height] in mm from the page's top-left corner, for engines that
              cannot report where an element is (used when there is no anchor)
    """

    name: str
    role: str = ""
    anchor: str = ""
    page: str | int = "last"
    kind: str = "signature"
    min_height_mm: float = 0.0
    rect_mm: tuple[float, float, float, float] | None = None


def declared_fields(template) -> tuple[FieldDecl, ...]:
    """The template's signature fields, checked; a malformed declaration is a TemplateError."""
    out: list[FieldDecl] = []
    where = f"template {template.id}: [[signature_fields]]"
    for i, raw in enumerate(template.signature_fields, 1):
        if not isinstance(raw, dict):
            raise TemplateError(f"{where} #{i}: must be a table")
        unknown = set(raw) - {"name", "role", "anchor", "page", "kind", "min_height_mm", "rect_mm"}
        if unknown:
            raise TemplateError(f"{where} #{i}: unknown key(s) {', '.join(sorted(unknown))}")
        name = str(raw.get("name", ""))
        if not name or not all(c.isascii() and (c.isalnum() or c in "_-") for c in name):
            raise TemplateError(f"{where} #{i}: name {name!r} must be ASCII letters, digits, _ or -")
        if any(d.name == name for d in out):
            raise TemplateError(f"{where}: field name {name!r} is declared twice")
        anchor = str(raw.get("anchor", ""))
        rect = raw.get("rect_mm")
        if anchor and (anchor[:1] not in ".#" or len(anchor) < 2 or " " in anchor):
            raise TemplateError(f"{where} {name}: anchor {anchor!r} must be .class or #id")
        if rect is not None and (not isinstance(rect, list) or len(rect) != 4 or
                                 not all(isinstance(v, (int, float)) for v in rect)):
            raise TemplateError(f"{where} {name}: rect_mm must be [x, y, width, height] in mm")
        if not anchor and rect is None:
            raise TemplateError(f"{where} {name}: needs an anchor (.class or #id) or rect_mm")
        page = raw.get("page", "last")
        if not (page in ("first", "last") or (isinstance(page, int) and page >= 1)):
            raise TemplateError(f"{where} {name}: page must be \"first\", \"last\" or a page number")
        kind = str(raw.get("kind", "signature"))
        if kind not in FIELD_KINDS:
            raise TemplateError(f"{where} {name}: kind must be one of {', '.join(FIELD_KINDS)}")
        out.append(FieldDecl(name=name, role=str(raw.get("role", "")), anchor=anchor, page=page,
                             kind=kind, min_height_mm=float(raw.get("min_height_mm", 0)),
                             rect_mm=(float(rect[0]), float(rect[1]), float(rect[2]), float(rect[3]))
                             if rect is not None else None))   # four numbers (checked above)
    if sum(d.kind == "seal" for d in out) > 1:
        raise TemplateError(f"{where}: only one field may be of kind \"seal\"")
    return tuple(out)


# ---------------------------------------------------------------- empty fields at issue

def incremental_writer(fh):
    """A pyHanko incremental writer over `fh` that keeps the Info dictionary and XMP consistent.

    pyHanko writes "pyHanko x.y" as the XMP producer but appends it to the Info dictionary's
    (e.g. "WeasyPrint 70.0; pyHanko x.y"); PDF/A requires the two to agree, so the Info
    producer is set to the value pyHanko writes to XMP.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata.model import VENDOR

    writer = IncrementalPdfFileWriter(fh)
    info_ref = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if info_ref is not None and "/Metadata" in writer.root:
        info = info_ref.get_object()
        if str(info.get("/Producer", "")) != VENDOR:
            info["/Producer"] = generic.TextStringObject(VENDOR)
            writer.mark_update(info_ref)
    return writer


def _page_index(decl: FieldDecl, pages: int) -> int:
    if decl.page == "first":
        return 0
    if decl.page == "last":
        return pages - 1
    return int(decl.page) - 1


def place_fields(template, anchors: dict | None, page_sizes: list[tuple[float, float]]) -> list[dict]:
    """Where each declared field goes: [{name, role, kind, page (0-based), rect (PDF points)}].

    `anchors` is None when the engine reports no layout boxes (Word): then only fields with a
    fixed `rect_mm` can be placed; anchored ones are left out rather than guessed."""
    placed = []
    pages = len(page_sizes)
    for d in declared_fields(template):
        if anchors is None and d.rect_mm is None:
            continue
        boxes = dict((anchors or {}).get(d.anchor, ())) if d.anchor else {}
        if boxes:
            if d.page == "first":
                page = min(boxes)
            elif d.page == "last":
                page = max(boxes)
            else:
                page = _page_index(d, pages)
            if page not in boxes:
                raise TemplateError(f"template {template.id}: signature field {d.name}: {d.anchor} "
                                    f"is not on page {page + 1} (it is on "
                                    f"{', '.join(str(p + 1) for p in sorted(boxes))})")
            x0, y0, x1, y1 = boxes[page]
        elif d.rect_mm is not None:
            page = _page_index(d, pages)
            if not 0 <= page < pages:
                raise TemplateError(f"template {template.id}: signature field {d.name}: page "
                                    f"{page + 1} does not exist ({pages} pages)")
            x, y, w, h = (v * MM for v in d.rect_mm)
            height = page_sizes[page][1]
            x0, y0, x1, y1 = x, height - y - h, x + w, height - y
        else:
            raise TemplateError(f"template {template.id}: signature field {d.name}: no element "
                                f"{d.anchor} in the rendered document (the template body must "
                                "carry it, e.g. through the seal_area / owner_signature macros; "
                                "in Typst, base.typ's seal-area or sign-anchor)")
        if d.min_height_mm and (y1 - y0) < d.min_height_mm * MM:
            y1 = y0 + d.min_height_mm * MM
        placed.append({"name": d.name, "role": d.role, "kind": d.kind, "page": page,
                       "rect": [round(v, 2) for v in (x0, y0, x1, y1)]})
    return placed


def page_sizes(pages) -> list[tuple[float, float]]:
    """(width, height) in PDF points of each pypdf page in `pages`, from its MediaBox."""
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in pages]


def fields_for_pages(template, anchors: dict | None, pages) -> list[dict]:
    """`place_fields` for a document whose pypdf pages are `pages` (in order); [] at once for a
    template that declares no fields."""
    if not template.signature_fields:
        return []
    return place_fields(template, anchors, page_sizes(pages))


def write_fields(writer, placed: list[dict]) -> None:
    """Put the empty signature fields `placed` (place_fields' output) into a pypdf PdfWriter.

    Each field is one merged field/widget dictionary, as pyHanko's append_signature_field
    writes it (so pyHanko later signs into it by name): /FT /Sig, /T, /TU (the role), /Rect,
    /F 132 (print, locked), /P its page, and an empty appearance stream (/AP /N, a form
    XObject the size of the field: PDF/A wants an appearance for every annotation). It goes
    into its page's /Annots and the catalog's /AcroForm /Fields, and /SigFlags is 3
    (signatures exist, append only): a reader then saves a signature as an incremental update,
    so the issued bytes survive inside the signed file. Nothing is done for no fields.
    """
    if not placed:
        return
    from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject,
                               NameObject, NumberObject, TextStringObject)

    def number(v: float):
        return NumberObject(int(v)) if float(v).is_integer() else FloatObject(round(v, 2))

    root = writer.root_object
    form = root.get("/AcroForm")
    if form is None:
        form = DictionaryObject()
        root[NameObject("/AcroForm")] = writer._add_object(form)
    form = form.get_object()
    if "/Fields" not in form:
        form[NameObject("/Fields")] = ArrayObject()
    form_fields = form["/Fields"].get_object()
    form[NameObject("/SigFlags")] = NumberObject(3)
    for f in placed:
        page = writer.pages[f["page"]]
        x0, y0, x1, y1 = f["rect"]
        appearance = DecodedStreamObject()
        appearance.set_data(b"")
        appearance.update({
            NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([number(0), number(0), number(x1 - x0), number(y1 - y0)]),
            NameObject("/Resources"): DictionaryObject()})
        widget = DictionaryObject({
            NameObject("/FT"): NameObject("/Sig"),
            NameObject("/T"): TextStringObject(f["name"]),
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/F"): NumberObject(132),
            NameObject("/Rect"): ArrayObject([number(v) for v in (x0, y0, x1, y1)]),
            NameObject("/P"): page.indirect_reference,
        })
        if f.get("role"):
            widget[NameObject("/TU")] = TextStringObject(f["role"])
        widget[NameObject("/AP")] = DictionaryObject({NameObject("/N"): writer._add_object(appearance)})
        ref = writer._add_object(widget)
        if "/Annots" in page:
            page["/Annots"].get_object().append(ref)
        else:
            page[NameObject("/Annots")] = ArrayObject([ref])
        form_fields.append(ref)


def add_signature_fields(path: Path, template, anchors: dict | None) -> list[dict]:
    """Add the template's empty signature fields to the PDF at `path`, in place, as an
    incremental update (pypdf builds the objects, _append_update appends them), for engines
    that do not write them as they write the PDF, e.g. the single HTML render (the batch
    passes them to render/splice.py).

    The bytes already written stay as they are (its /ID, XMP, fonts and record.json with
    them). Returns what was placed (recorded in the documents row). A template without
    declarations gets none and the file is not touched.
    """
    if not template.signature_fields or (anchors is None and not any(
            d.rect_mm is not None for d in declared_fields(template))):
        return []
    from pypdf import PdfWriter

    writer = PdfWriter(path, incremental=True)
    placed = fields_for_pages(template, anchors, writer.pages)
    if placed:
        write_fields(writer, placed)
        with open(path, "r+b") as fh:
            _append_update(writer, fh)
    return placed


def _append_update(writer, fh) -> None:
    """Append the objects `writer` (a pypdf PdfWriter in incremental mode) added or changed to
    the file `fh` it was opened on, as an incremental update with a cross-reference stream.

    Written here rather than by pypdf's writer, whose stream does not list itself (qpdf:
    "reported number of objects is not one plus the highest object number"): the stream is
    the update's highest object, its /Size one more, and its own entry is in its /Index. Its
    trailer names /Info (ISO 32000-1 7.5.6: every trailer does; pyHanko reads it from the last
    one when it seals) and keeps the file's /ID.
    """
    import zlib

    from pypdf.generic import ArrayObject, NumberObject

    def serial(obj) -> bytes:
        out = io.BytesIO()
        obj.write_to_stream(out)
        return out.getvalue()

    end = fh.seek(0, io.SEEK_END)
    if end:
        fh.seek(end - 1)
        if fh.read(1) not in (b"\r", b"\n"):
            fh.write(b"\n")
    entries: dict[int, tuple[int, int]] = {}       # number → (offset, generation)
    for ref in writer.list_objects_in_increment():
        entries[ref.idnum] = (fh.tell(), ref.generation)
        fh.write(b"%d %d obj\n" % (ref.idnum, ref.generation) + serial(ref.get_object())
                 + b"\nendobj\n")
    xref_num = max([len(writer._objects), *entries]) + 1
    at = fh.tell()
    entries[xref_num] = (at, 0)
    index: list[list[int]] = []                     # [first, count] runs of consecutive numbers
    for n in sorted(entries):
        if index and index[-1][0] + index[-1][1] == n:
            index[-1][1] += 1
        else:
            index.append([n, 1])
    width = max(4, (at.bit_length() + 7) // 8)
    rows = zlib.compress(b"".join(b"\x01" + off.to_bytes(width, "big") + bytes([gen])
                                  for off, gen in (entries[n] for n in sorted(entries))))
    trailer = b"/Size %d/Root %d %d R" % (xref_num + 1, writer.root_object.indirect_reference.idnum,
                                          writer.root_object.indirect_reference.generation)
    if writer._info is not None:
        info = writer._info.indirect_reference
        trailer += b"/Info %d %d R" % (info.idnum, info.generation)
    if writer._ID:
        trailer += b"/ID" + serial(ArrayObject(writer._ID))
    fh.write(b"%d 0 obj\n<</Type/XRef%s/Prev %d/Index%s/W[1 %d 1]/Filter/FlateDecode/Length %d>>\n"
             b"stream\n" % (xref_num, trailer, writer._reader._startxref,
                            serial(ArrayObject(NumberObject(v) for run in index for v in run)),
                            width, len(rows))
             + rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % at)
    fh.truncate()
