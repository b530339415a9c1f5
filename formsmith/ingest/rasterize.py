"""Stage 2, rasterize: every input page as grayscale pixels (pypdfium2 for PDF, Pillow for images)."""
from __future__ import annotations

import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

from .model import IngestJob, ScanPage, SourceFile
from .preflight import open_image

DPI = 150               # QR modules of our 18 mm code are ~3 px here: enough, and fast
RETRY_DPI = 300         # second chance for a page whose code was not read at DPI
MAX_SIDE = 2400         # a phone photo is scaled down to this for the first reading
A4_LONG_INCH = 297 / 25.4


def pdf_page(src: SourceFile, number: int, dpi: float = DPI, pdf: pdfium.PdfDocument | None = None,
             fast: bool = True) -> tuple[Image.Image, float]:
    """Page `number` (1-based) of a PDF input in grayscale, and its resolution.

    A scanner's page — one JPEG filling the page, upright — is decoded straight from its JPEG
    (several times faster than rendering, at the scan's own resolution, at least `dpi`);
    anything else is rendered at `dpi` with its /Rotate applied.
    """
    own = pdf is None
    pdf = pdf or pdfium.PdfDocument(str(src.path))
    try:
        page = pdf[number - 1]
        try:
            scan = _scan_image(page, dpi) if fast else None
            if scan is not None:
                return scan
            return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"), dpi
        finally:
            page.close()
    finally:
        if own:
            pdf.close()


def _scan_image(page: pdfium.PdfPage, dpi: float) -> tuple[Image.Image, float] | None:
    """The page's single full-page JPEG (gray or RGB, placed upright), decoded; else None."""
    if page.get_rotation():
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    a, b, c, d, e, f = image.get_matrix().get()
    width, height = page.get_size()
    if (abs(b) > 0.01 or abs(c) > 0.01 or abs(a - width) > 1 or abs(d - height) > 1
            or abs(e) > 1 or abs(f) > 1 or image.get_filters() != ["DCTDecode"]
            or image.get_metadata().colorspace not in (pdfium_c.FPDF_COLORSPACE_DEVICEGRAY,
                                                       pdfium_c.FPDF_COLORSPACE_DEVICERGB)):
        return None
    buf = io.BytesIO()
    image.extract(buf)
    buf.seek(0)
    try:
        decoded = Image.open(buf)
        # JPEG can decode at 1/2, 1/4, 1/8 scale: take the smallest that keeps `dpi`.
        decoded.draft("L", (round(width / 72 * dpi), round(height / 72 * dpi)))
        gray = decoded.convert("L")
    except (OSError, SyntaxError, ValueError):
        return None
    return gray, gray.width / (width / 72)


def image_frame(src: SourceFile, number: int) -> Image.Image:
    """Frame `number` (1-based) of an image input, turned by its EXIF orientation (phone photos)."""
    with open_image(src.path) as im:
        im.seek(number - 1)
        frame = ImageOps.exif_transpose(im) if number == 1 else im.copy()
        frame.load()
        return frame


def recorded_dpi(image: Image.Image) -> float | None:
    """The resolution a scanner recorded. 72 and 96 are what cameras and editors write when
    they know nothing, so anything under 100 dpi is taken as unknown."""
    dpi = image.info.get("dpi")
    return float(dpi[0]) if dpi and float(dpi[0]) >= 100 else None


def image_dpi(image: Image.Image) -> float:
    """The image's resolution: as recorded by the scanner, else as if the page filled it (A4)."""
    return recorded_dpi(image) or max(image.size) / A4_LONG_INCH


def page(src: SourceFile, number: int, pdf: pdfium.PdfDocument | None = None) -> ScanPage:
    """One ScanPage with its working image: PDF pages at DPI, images at most MAX_SIDE pixels long."""
    if src.kind == "pdf":
        image, dpi = pdf_page(src, number, DPI, pdf)
        return ScanPage(source=src, number=number, dpi=dpi, image=image)
    frame = image_frame(src, number)
    dpi = image_dpi(frame)
    known = recorded_dpi(frame) is not None
    gray = frame.convert("L")
    if max(gray.size) > MAX_SIDE:
        factor = MAX_SIDE / max(gray.size)
        gray = gray.resize((round(gray.width * factor), round(gray.height * factor)), Image.Resampling.BILINEAR)
        dpi *= factor
    return ScanPage(source=src, number=number, dpi=dpi, dpi_known=known, image=gray)


def sharper(page_: ScanPage) -> tuple[Image.Image, float] | None:
    """The same page at a higher resolution for a second reading (None if there is none)."""
    src = page_.source
    if src.kind == "pdf":
        dpi = max(RETRY_DPI, 2 * page_.dpi)
        return pdf_page(src, page_.number, dpi, fast=False)[0], dpi / page_.dpi
    frame = image_frame(src, page_.number).convert("L")
    factor = frame.width / page_.working_image.width
    if factor > 1.2:
        return frame, factor
    return frame.resize((frame.width * 2, frame.height * 2), Image.Resampling.BICUBIC), 2.0 * factor


def run(job: IngestJob) -> IngestJob:
    """Rasterize every page of every accepted input (single process; the pipeline uses a pool)."""
    for src in job.sources:
        if src.refused:
            continue
        pdf = pdfium.PdfDocument(str(src.path)) if src.kind == "pdf" else None
        try:
            job.pages.extend(page(src, n, pdf) for n in range(1, src.pages + 1))
        finally:
            if pdf is not None:
                pdf.close()
    return job
