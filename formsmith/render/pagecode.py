"""Our page QR drawn straight into a PDF page: vector squares, no image, no font.

The Word engine puts its codes on the pages LibreOffice wrote, and the batch engines put them
on the pages of a batch as they cut it into letters: the batch is laid out once with a blank
box where the code goes, and each page gets the code of ITS letter, page and page count here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pypdf import PdfWriter
from pypdf import PageObject
from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject

from .. import codes

MM = 72 / 25.4          # PDF points per millimetre
QUIET_MODULES = 2       # the light border around the symbol, in modules
_DARK_RUN = re.compile(b"\x01+")
_DARK = bytes(1 if v < 128 else 0 for v in range(256))   # image byte (0 = black) → dark module


@dataclass(frozen=True)
class Place:
    """Where the code goes on a page: its top-right corner and side, in PDF points (from the
    page's bottom-left corner)."""

    right: float
    top: float
    size: float


def qr_modules(payload: str) -> list[bytes]:
    """The QR symbol of `payload` (error level M) as rows of 0 (light) / 1 (dark).

    zxing-cpp writes it in ~0.07 ms, segno in ~1.5 ms (most of a batch letter's own time when
    every page needs one); segno stays the fallback should zxing-cpp's image not be a square.
    """
    try:
        import zxingcpp
        symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        # zxingcpp.Image has the buffer protocol; its stub does not declare __buffer__
        image = memoryview(symbol.to_image(scale=1, add_quiet_zones=False))  # type: ignore[arg-type]
        rows, cols = image.shape or ()     # not a 2-D view: ValueError, segno below
        if rows == cols and rows >= 21:
            raw = image.tobytes().translate(_DARK)
            return [raw[r * cols:(r + 1) * cols] for r in range(rows)]
    except (ImportError, ValueError, RuntimeError, TypeError):
        pass
    import segno
    return [bytes(row) for row in segno.make(payload, error="m", micro=False).matrix]


def qr_ops(payload: str, place: Place) -> bytes:
    """PDF drawing operators for the QR of `payload` at `place`: a white square (the quiet
    zone), then each run of dark modules of a row as one rectangle, filled once."""
    matrix = qr_modules(payload)
    n = len(matrix) + 2 * QUIET_MODULES
    unit = place.size / n
    x0, y0 = place.right - place.size, place.top - place.size
    ops = [b"/Artifact BMC q 1 1 1 rg",
           b"%.3f %.3f %.3f %.3f re f 0 0 0 rg" % (x0, y0, place.size, place.size)]
    for r, row in enumerate(matrix):
        y = place.top - (r + QUIET_MODULES + 1) * unit
        for run in _DARK_RUN.finditer(row):
            start, end = run.span()
            ops.append(b"%.3f %.3f %.3f %.3f re" % (x0 + (start + QUIET_MODULES) * unit, y,
                                                    (end - start) * unit, unit))
    ops.append(b"f Q EMC")
    return b"\n".join(ops) + b"\n"


def stamp(writer: PdfWriter, page: PageObject, payload: str, place: Place, save: object = None) -> None:
    """Draw the code of `payload` on `page` (a page of `writer`), after its own content.

    The page's content is wrapped in q … Q first so whatever state it leaves (a flipped
    coordinate system, a clip) does not move or hide the code. `save` may be a stream object
    holding "q" already added to the writer (one is made otherwise)."""
    if save is None:
        save = opening_save(writer)
    after = DecodedStreamObject()
    after.set_data(b"\nQ\n" + qr_ops(payload, place))
    contents = page.get("/Contents")
    existing = []
    if contents is not None:
        obj = contents.get_object()
        existing = list(obj) if isinstance(obj, ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject([save, *existing, writer._add_object(after.flate_encode())])


def opening_save(writer: PdfWriter):
    """A content stream holding only `q`, added to `writer` (one per file serves every page)."""
    save = DecodedStreamObject()
    save.set_data(b"q\n")
    return writer._add_object(save)


def stamp_pages(writer: PdfWriter, doc_id: str, places: list[Place]) -> None:
    """Page k of the `writer`'s document gets the code FS1:<doc_id>:k/n at `places[k-1]`."""
    pages = len(writer.pages)
    save = opening_save(writer)
    for k, (page, place) in enumerate(zip(writer.pages, places), 1):
        stamp(writer, page, codes.encode(doc_id, k, pages), place, save)
