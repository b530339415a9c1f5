"""Is the signature area of a scanned page inked? Compared with the issued PDF's own rendering.

The issued PDF records where the signer writes (`sign_areas`, measured from the layout at issue
time). A scan is turned, scaled and shifted against the issued page; the QR code, found on
both, gives that transform (a similarity: rotation, scale, shift). A small search of shifts
then aligns the printed lines around the area. Ink is what is dark on the scan and not within
reach of anything printed on the issued page, so printed labels and rules never count.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

import pypdfium2 as pdfium
import zxingcpp

DPI = 150
DARK = 150              # gray level below which a pixel is ink or print
MARGIN_MM = 6.0         # context around the area used to align the printed lines
SEARCH_PX = 10          # ± shift searched after the QR-based transform (1.7 mm at 150 dpi)
INSET_MM = 1.0          # the area's own borders are printed rules: look inside them
SPREAD_PX = 3           # printed pixels grow by this much before they hide ink (blur, misfit)
SIGNED_SHARE = 0.006    # this share of the area newly inked reads as a signature


@dataclass(frozen=True)
class Reference:
    """The issued page as printed: pixels at DPI and its QR corners."""

    image: Image.Image
    corners: tuple[tuple[float, float], ...]


def reference(pdf_path: Path, page: int) -> Reference | None:
    """Render page `page` of the issued PDF and find its QR (None if it cannot be read)."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        image = pdf[page - 1].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()
    for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        pos = r.position
        return Reference(image, tuple((p.x, p.y) for p in (pos.top_left, pos.top_right,
                                                           pos.bottom_right, pos.bottom_left)))
    return None


def similarity(src: tuple, dst: tuple) -> tuple[complex, complex]:
    """Least-squares a, b with dst ≈ a·src + b (points as complex numbers)."""
    zs = [complex(*p) for p in src]
    ws = [complex(*p) for p in dst]
    zm, wm = sum(zs) / len(zs), sum(ws) / len(ws)
    num = sum((w - wm) * (z - zm).conjugate() for z, w in zip(zs, ws))
    den = sum(abs(z - zm) ** 2 for z in zs)
    a = num / den
    return a, wm - a * zm


def _dark(image: Image.Image) -> Image.Image:
    """255 where dark, 0 elsewhere (mode L, so filters and counts work on it)."""
    return image.point(lambda v: 255 if v < DARK else 0)


def _count(mask: Image.Image) -> int:
    return mask.histogram()[255]


def ink_share(scan: Image.Image, scan_corners: tuple, ref: Reference, area: dict) -> float:
    """The share of `area` (mm, page top-left origin) inked on `scan` beyond what is printed."""
    px = DPI / 25.4
    a, b = similarity(ref.corners, scan_corners)
    m, s = round(MARGIN_MM * px), SEARCH_PX
    x0, y0 = round(area["x"] * px) - m - s, round(area["y"] * px) - m - s
    w, h = round(area["w"] * px) + 2 * (m + s), round(area["h"] * px) + 2 * (m + s)
    # Pull the scan into the issued page's frame: output (x, y) ← scan(a·(x0+x, y0+y) + b).
    p, q = a.real, a.imag
    warped = scan.transform((w, h), Image.AFFINE,
                            (p, -q, p * x0 - q * y0 + b.real, q, p, q * x0 + p * y0 + b.imag),
                            resample=Image.BILINEAR, fillcolor=255)
    scan_dark = _dark(warped)
    ref_dark = _dark(ref.image.crop((x0, y0, x0 + w, y0 + h)))
    inner = (s, s, w - s, h - s)
    ref_inner = ref_dark.crop(inner)
    best, shift = -1, (0, 0)
    for step, centre in ((3, (0, 0)), (1, None)):
        cx, cy = centre if centre is not None else shift
        span = s if step == 3 else 2
        for dy in range(cy - span, cy + span + 1, step):
            for dx in range(cx - span, cx + span + 1, step):
                if abs(dx) > s or abs(dy) > s:
                    continue
                box = (s + dx, s + dy, w - s + dx, h - s + dy)
                hit = _count(ImageChops.multiply(scan_dark.crop(box), ref_inner))
                if hit > best:
                    best, shift = hit, (dx, dy)
    dx, dy = shift
    inset = round(INSET_MM * px)
    ax, ay = m + inset, m + inset
    aw, ah = round(area["w"] * px) - 2 * inset, round(area["h"] * px) - 2 * inset
    if aw <= 0 or ah <= 0:
        return 0.0
    scan_area = scan_dark.crop((s + dx + ax, s + dy + ay, s + dx + ax + aw, s + dy + ay + ah))
    printed = ref_inner.crop((ax - SPREAD_PX, ay - SPREAD_PX, ax + aw + SPREAD_PX, ay + ah + SPREAD_PX))
    printed = printed.filter(ImageFilter.MaxFilter(2 * SPREAD_PX + 1)).crop(
        (SPREAD_PX, SPREAD_PX, SPREAD_PX + aw, SPREAD_PX + ah))
    return _count(ImageChops.subtract(scan_area, printed)) / (aw * ah)


def is_signed(share: float) -> bool:
    return share >= SIGNED_SHARE
