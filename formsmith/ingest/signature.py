"""Is the signature area of a scanned page inked? Compared with the issued PDF's own rendering.

The issued PDF records where the signer writes (`sign_areas`, measured from the layout at issue
time). A scan is turned, scaled and shifted against the issued page; the QR code, found on
both, gives that transform (a similarity: rotation, scale, shift). A small search of shifts
then aligns the printed lines around the area. Ink is what is dark on the scan and not within
reach of anything printed on the issued page, so printed labels and rules never count.
Of that ink only pen strokes count (thin lines): a broad blot or a ring around an empty centre
(a coffee cup set down on the 回执) is no signature.
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
SEARCH_PX_GUESSED = 24  # … when the scale is only the QR's estimate (photos): 4 mm
INSET_MM = 1.0          # the area's own borders are printed rules: look inside them
SPREAD_PX = 3           # printed pixels grow by this much before they hide ink (blur, misfit)
SIGNED_SHARE = 0.006    # this share of the area newly inked reads as a signature
THICK_PX = 7           # ink this wide (1.2 mm) and more is broad: a blot, not a pen line
BROAD_MAX = 0.25       # a stroke may have this share of broad ink (a marker, crossings)
RING_MIN_PX = 24       # a ring (4 mm across or more) …
RING_SPREAD = 0.16     # … whose pixels lie this evenly around an empty centre is a cup's mark
SCALE_SNAP = 0.04       # a QR-measured scale this close to the known one is taken as the known one


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
    for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
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


def transform(ref_corners: tuple, scan_corners: tuple, scale: float | None) -> tuple[complex, complex, int]:
    """(a, b, search): scan point ≈ a·(issued page point) + b from the QR corners, and the ± shift
    in pixels still to be searched around it. A known scan scale close to the QR's replaces it."""
    a, b = similarity(ref_corners, scan_corners)
    if scale and abs(abs(a) / scale - 1) < SCALE_SNAP:
        zm = sum(complex(*p) for p in ref_corners) / len(ref_corners)
        wm = sum(complex(*p) for p in scan_corners) / len(scan_corners)
        a = a / abs(a) * scale
        return a, wm - a * zm, SEARCH_PX
    return a, b, SEARCH_PX_GUESSED


def _dark(image: Image.Image) -> Image.Image:
    """255 where dark, 0 elsewhere (mode L, so filters and counts work on it)."""
    return image.point(lambda v: 255 if v < DARK else 0)


def _count(mask: Image.Image) -> int:
    return mask.histogram()[255]


def ink_share(scan: Image.Image, scan_corners: tuple, ref: Reference, area: dict,
              scale: float | None = None) -> float:
    """The share of `area` (mm, page top-left origin) inked on `scan` beyond what is printed.

    `scale` is the scan's resolution over DPI when it is known (a scanner's PDF). The QR is
    small, so its corners fix the rotation well but the scale only to about 1 %, which is
    2 mm at the foot of the page; a known scale close to the QR's is used instead.
    """
    px = DPI / 25.4
    a, b, search = transform(ref.corners, scan_corners, scale)
    m, s = round(MARGIN_MM * px), search
    x0, y0 = round(area["x"] * px) - m - s, round(area["y"] * px) - m - s
    w, h = round(area["w"] * px) + 2 * (m + s), round(area["h"] * px) + 2 * (m + s)
    # Pull the scan into the issued page's frame: output (x, y) ← scan(a·(x0+x, y0+y) + b).
    p, q = a.real, a.imag
    warped = scan.transform((w, h), Image.Transform.AFFINE,
                            (p, -q, p * x0 - q * y0 + b.real, q, p, q * x0 + p * y0 + b.imag),
                            resample=Image.Resampling.BILINEAR, fillcolor=255)
    scan_dark = _dark(warped)
    ref_dark = _dark(ref.image.crop((x0, y0, x0 + w, y0 + h)))
    inner = (s, s, w - s, h - s)
    ref_inner = ref_dark.crop(inner)
    # Coarse steps over thickened lines (so a thin rule cannot fall between two steps), then
    # single pixels over the lines as they are.
    coarse = 3 if s <= SEARCH_PX else 4
    thick = ImageFilter.MaxFilter(2 * (coarse // 2) + 1)
    shift = (0, 0)
    for step, span, scan_m, ref_m in ((coarse, s, scan_dark.filter(thick), ref_inner.filter(thick)),
                                      (1, coarse - 1, scan_dark, ref_inner)):
        cx, cy = shift if step == 1 else (0, 0)
        best = -1
        for dy in range(cy - span, cy + span + 1, step):
            for dx in range(cx - span, cx + span + 1, step):
                if abs(dx) > s or abs(dy) > s:
                    continue
                box = (s + dx, s + dy, w - s + dx, h - s + dy)
                hit = _count(ImageChops.multiply(scan_m.crop(box), ref_m))
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
    return strokes(ImageChops.subtract(scan_area, printed)) / (aw * ah)


def components(mask: Image.Image) -> list[list[int]]:
    """The 8-connected components of `mask` (255 = ink) as lists of pixel indices (y·width + x)."""
    w, h = mask.size
    data = mask.tobytes()
    seen = bytearray(len(data))
    out = []
    for start in range(len(data)):
        if data[start] != 255 or seen[start]:
            continue
        seen[start] = 1
        stack, comp = [start], []
        while stack:
            i = stack.pop()
            comp.append(i)
            y, x = divmod(i, w)
            for ny in (y - 1, y, y + 1):
                if 0 <= ny < h:
                    for nx in (x - 1, x, x + 1):
                        if 0 <= nx < w:
                            j = ny * w + nx
                            if data[j] == 255 and not seen[j]:
                                seen[j] = 1
                                stack.append(j)
        out.append(comp)
    return out


def shape(comp: list[int], width: int, core: bytes) -> dict:
    """What one ink component looks like: its size, the share of it that is broad ink (`core`:
    255 where the ink is at least THICK_PX across), its box, how ring-like it is (the spread of
    its pixels' distances from their centre over their mean; small for a ring) and whether its
    centre is inked (a ring's is not)."""
    ys = [i // width for i in comp]
    xs = [i % width for i in comp]
    n = len(comp)
    cx, cy = sum(xs) / n, sum(ys) / n
    ds = [((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 for x, y in zip(xs, ys)]
    mean = sum(ds) / n
    spread = (sum((d - mean) ** 2 for d in ds) / n) ** 0.5 / mean if mean else 1.0
    return {"n": n, "broad": round(sum(1 for i in comp if core[i] == 255) / n, 3),
            "w": max(xs) - min(xs) + 1, "h": max(ys) - min(ys) + 1, "spread": round(spread, 3),
            "centre_inked": round(cy) * width + round(cx) in set(comp)}


def is_stroke(f: dict) -> bool:
    """Pen strokes are thin lines going every which way; a coffee cup leaves a broad blot or a
    ring around an empty centre. Small specks count as strokes (dots, the tail of a stroke)."""
    if f["broad"] > BROAD_MAX:
        return False
    big = min(f["w"], f["h"]) >= RING_MIN_PX and 0.6 <= f["w"] / f["h"] <= 1.6
    return not (big and f["spread"] < RING_SPREAD and not f["centre_inked"])


def strokes(new_ink: Image.Image) -> int:
    """Pixels of `new_ink` (255 = ink not printed) that belong to stroke-like components."""
    core = new_ink.filter(ImageFilter.MinFilter(THICK_PX)).tobytes()
    w = new_ink.width
    return sum(len(c) for c in components(new_ink) if is_stroke(shape(c, w, core)))


def is_signed(share: float) -> bool:
    return share >= SIGNED_SHARE
