"""Reading issued PDFs back the way a user (or a court) would: text, QR codes, fonts, metadata."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from pypdf import PdfReader

from formsmith import codes


def page_texts(path: Path) -> list[str]:
    """Text of each page, whitespace removed (CJK text has no meaningful spaces)."""
    return [re.sub(r"\s+", "", p.extract_text() or "") for p in PdfReader(str(path)).pages]


def page_qr_payloads(path: Path, dpi: int = 150) -> list[list[str]]:
    """Every QR payload zxing-cpp reads on each page rendered to pixels."""
    out = []
    pdf = pdfium.PdfDocument(str(path))
    try:
        for page in pdf:
            image = page.render(scale=dpi / 72).to_pil()
            out.append([r.text for r in zxingcpp.read_barcodes(image)
                        if r.format == zxingcpp.BarcodeFormat.QRCode])
    finally:
        pdf.close()
    return out


def our_page_codes(path: Path) -> list[list[codes.PageCode]]:
    return [[c for c in map(codes.decode, payloads) if c] for payloads in page_qr_payloads(path)]


def fonts_embedded(path: Path) -> dict[str, bool]:
    """Base font name → whether its font program is embedded, for every font of every page and
    of the form XObjects the pages draw (Typst puts its text in those)."""
    found: dict[str, bool] = {}
    seen: set[int] = set()

    def walk(resources) -> None:
        resources = resources.get_object() if hasattr(resources, "get_object") else resources
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            desc_fonts = font.get("/DescendantFonts")
            target = desc_fonts[0].get_object() if desc_fonts else font
            desc = target.get("/FontDescriptor")
            desc = desc.get_object() if desc else {}
            found[str(font.get("/BaseFont"))] = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        for ref in (resources.get("/XObject") or {}).values():
            xobj = ref.get_object()
            key = getattr(ref, "idnum", None) or id(xobj)
            if key in seen or xobj.get("/Subtype") != "/Form":
                continue
            seen.add(key)
            walk(xobj.get("/Resources") or {})

    for page in PdfReader(str(path)).pages:
        walk(page.get("/Resources") or {})
    return found


def xmp_text(path: Path) -> str:
    meta = PdfReader(str(path)).trailer["/Root"].get("/Metadata")
    return meta.get_object().get_data().decode("utf-8") if meta else ""


def attachment_json(path: Path, name: str = "record.json") -> dict:
    return json.loads(PdfReader(str(path)).attachments[name][0])


def render_png(path: Path, out: Path, page: int = 0, dpi: int = 100) -> Path:
    pdf = pdfium.PdfDocument(str(path))
    try:
        pdf[page].render(scale=dpi / 72).to_pil().save(out)
    finally:
        pdf.close()
    return out


def signature_widgets(path: Path) -> dict:
    """The AcroForm signature fields as a reader finds them: {"sig_flags", "fields": name → {...}}.

    Each field: rect, page (0-based, from /P), on_page (its widget is in that page's /Annots),
    printed (/F print bit), tooltip (/TU), signed (/V present) and appearance (the /AP /N form
    XObject's BBox, or None when the widget has no appearance stream)."""
    reader = PdfReader(str(path))
    form = reader.trailer["/Root"].get("/AcroForm")
    if form is None:
        return {"sig_flags": None, "fields": {}}
    form = form.get_object()
    pages = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    fields = {}
    for ref in form["/Fields"]:
        f = ref.get_object()
        page = pages[f.raw_get("/P").idnum]
        annots = [a.idnum for a in reader.pages[page].get("/Annots", [])]
        normal = f.get("/AP", {}).get("/N")
        bbox = normal.get_object().get("/BBox") if normal is not None else None
        fields[str(f["/T"])] = {
            "type": f["/FT"], "rect": [float(v) for v in f["/Rect"]], "page": page,
            "on_page": ref.idnum in annots, "printed": bool(int(f.get("/F", 0)) & 4),
            "tooltip": str(f.get("/TU", "")), "signed": "/V" in f,
            "appearance": [float(v) for v in bbox] if bbox is not None else None}
    return {"sig_flags": int(form.get("/SigFlags", 0)), "fields": fields}


def text_boxes(path: Path, needle: str, page: int = 0) -> list[tuple[float, float, float, float]]:
    """Where `needle` is printed on `page`: one (left, bottom, right, top) box in PDF points per
    occurrence, the union of its characters' boxes (pdfium's search, as a reader's Find)."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        tp = pdf[page].get_textpage()
        searcher = tp.search(needle, match_case=True)
        found = []
        while (hit := searcher.get_next()) is not None:
            index, count = hit
            boxes = [tp.get_charbox(i) for i in range(index, index + count)]
            boxes = [b for b in boxes if b[2] > b[0]]
            found.append((min(b[0] for b in boxes), min(b[1] for b in boxes),
                          max(b[2] for b in boxes), max(b[3] for b in boxes)))
        return found
    finally:
        pdf.close()


def bold_texts(path: Path) -> list[str]:
    """Per page, the characters set in a bold font (its name says Bold), whitespace removed:
    what a reader sees brought to notice."""
    import ctypes

    import pypdfium2.raw as pdfium_raw
    out = []
    pdf = pdfium.PdfDocument(str(path))
    try:
        for page in pdf:
            text = page.get_textpage()
            name = ctypes.create_string_buffer(256)
            flags = ctypes.c_int()
            chars = []
            for i in range(text.count_chars()):
                pdfium_raw.FPDFText_GetFontInfo(text.raw, i, name, 256, ctypes.byref(flags))
                if b"Bold" in name.value:
                    chars.append(text.get_text_range(i, 1))
            out.append(re.sub(r"\s+", "", "".join(chars)))
    finally:
        pdf.close()
    return out


def char_boxes(path: Path) -> list[list[tuple[str, tuple, tuple]]]:
    """Per page, every printed character with its loose box (the font's em box: its left edge
    is the glyph's origin) and its tight box (the ink), in PDF points; spaces and line ends
    pdfium adds between characters are left out."""
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in pdf:
            tp = page.get_textpage()
            chars = []
            for k in range(tp.count_chars()):
                c = tp.get_text_range(k, 1)
                if c.strip() and c != "\ufffe":
                    chars.append((c, tp.get_charbox(k, loose=True), tp.get_charbox(k)))
            pages.append(chars)
        return pages
    finally:
        pdf.close()


def find_chars(page: list[tuple[str, tuple, tuple]], text: str) -> list[list[tuple[str, tuple, tuple]]]:
    """Every run of `page`'s characters (char_boxes) that spells `text`."""
    s = "".join(c for c, _, _ in page)
    out, at = [], s.find(text)
    while at >= 0:
        out.append(page[at:at + len(text)])
        at = s.find(text, at + 1)
    return out
