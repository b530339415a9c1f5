"""Is a scanned page the issued page its code claims? Its print compared with the issued PDF's own.

A page code says which document and page a sheet is, but anyone can copy a code onto another
sheet. So the scan is pulled into the issued page's frame by the QR (as for the signature
check), each tile of the page is aligned on its own by a small shift search (a photo's scale is
known only to about 1 %, paper bends), and then, cell by cell (4 mm squares, a character or
two), we ask how much of what was printed there is dark on the scan as well. Only missing print
counts: what was added on paper (a signature, a stamp, a note) does not make a page someone
else's, but a blank sheet, another letter's page or a page with other numbers lacks the print of
the page it claims to be. The QR itself and the signature areas are left out of the comparison.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from PIL import Image, ImageChops, ImageDraw, ImageStat

from . import signature
from .signature import DPI, Reference

REF_DARK = 128        # the core of printed strokes on the issued rendering
SCAN_DARK = 200       # dark on the scan: blur and JPEG lighten thin strokes, paper stays ≥ 240
TILE = 168            # px (28 mm) aligned on its own; a multiple of CELL and of COARSE
COARSE = 3            # reduction of the masks for the wide shift search
FOLLOW_PX = 1         # a tile is first tried within this of its neighbour's shift …
FOLLOW_FIT = 0.8      # … and kept there when this share of its print overlaps the scan
CELL = 24             # px (4 mm): the unit compared
CELL_MIN = 40         # printed pixels a cell needs to be judged
CELL_LOST = 0.5       # a cell with more than this share of its print missing is lost
QR_PAD_MM = 3.0       # around the QR: a glued-on code may sit a little off
SIGN_PAD_MM = 1.5     # around the signature areas: signatures cover their borders

# The verdict (calibrated on tests/scansim.py's scans: turned, blurred, JPEG, photographed):
PRESENT_MIN = 0.90    # at least this share of the page's print present …
LOST_MAX = 0.03       # … and at most this share of judged cells lost


@dataclass(frozen=True)
class Likeness:
    present: float        # share of the issued page's print (outside QR and sign areas) on the scan
    lost: float           # share of judged cells that lost most of their print
    cells: int            # cells judged

    @property
    def matches(self) -> bool:
        return self.cells > 0 and self.present >= PRESENT_MIN and self.lost <= LOST_MAX

    def as_dict(self) -> dict:
        return asdict(self)


def _qr_box(corners: tuple, pad: float) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def printed_mask(ref: Reference, areas: list[dict]) -> Image.Image:
    """255 where the issued page is printed, outside its QR and its signature areas."""
    px = DPI / 25.4
    mask = ref.image.point(lambda v: 255 if v < REF_DARK else 0)
    draw = ImageDraw.Draw(mask)
    draw.rectangle(_qr_box(ref.corners, QR_PAD_MM * px), fill=0)
    for a in areas:
        pad = SIGN_PAD_MM
        draw.rectangle(((a["x"] - pad) * px, (a["y"] - pad) * px,
                        (a["x"] + a["w"] + pad) * px, (a["y"] + a["h"] + pad) * px), fill=0)
    return mask


def _hits(a: Image.Image, b: Image.Image) -> int:
    """Pixels dark on both masks."""
    return ImageChops.multiply(a, b).histogram()[255]


def _overlap(a: Image.Image, b: Image.Image) -> float:
    """The overlap of two reduced (grey) masks: the sum of their product."""
    return ImageStat.Stat(ImageChops.multiply(a, b)).sum[0]


def _fine(scan_dark: Image.Image, ref_t: Image.Image, x: int, y: int, s: int,
          around: tuple[int, int], span: int) -> tuple[tuple[int, int], int]:
    """The shift within `span` px of `around` (and ±s) that overlaps the tile at (x, y) most."""
    best, shift = -1, around
    for dy in range(around[1] - span, around[1] + span + 1):
        for dx in range(around[0] - span, around[0] + span + 1):
            if abs(dx) <= s and abs(dy) <= s:
                hit = _hits(scan_dark.crop((x + s + dx, y + s + dy, x + s + dx + TILE, y + s + dy + TILE)), ref_t)
                if hit > best:
                    best, shift = hit, (dx, dy)
    return shift, best


def _near(scan_dark: Image.Image, x: int, y: int) -> Image.Image:
    """The tile of `scan_dark` at (x, y), dark also where a neighbour (4-connected) is."""
    out = scan_dark.crop((x, y, x + TILE, y + TILE))
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        out = ImageChops.lighter(out, scan_dark.crop((x + dx, y + dy, x + dx + TILE, y + dy + TILE)))
    return out


def _coarse(scan_small: Image.Image, ref_small: Image.Image, x: int, y: int, s: int) -> tuple[int, int]:
    """The best shift within ±s in steps of COARSE px, on the masks reduced COARSE times."""
    k, n = COARSE, TILE // COARSE
    x, y, r = x // k, y // k, -(-s // k)
    best, shift = -1.0, (0, 0)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            hit = _overlap(scan_small.crop((x + r + dx, y + r + dy, x + r + dx + n, y + r + dy + n)), ref_small)
            if hit > best:
                best, shift = hit, (dx * k, dy * k)
    return shift


def likeness(scan: Image.Image, scan_corners: tuple, ref: Reference, areas: list[dict],
             scale: float | None = None) -> Likeness:
    """How much of the issued page `ref` (its signature `areas` left out) is on `scan`.

    Tiles are aligned in reading order, each first tried within ±FOLLOW_PX of its neighbour's
    shift (the misfit changes slowly over a page); a tile that fits badly there is searched
    over the whole ±s, first on reduced masks, then to the pixel.
    """
    a, b, s = signature.transform(ref.corners, scan_corners, scale)
    s = -(-s // COARSE) * COARSE
    W, H = ref.image.size
    p, q = a.real, a.imag
    x0 = y0 = -s        # the warped scan is padded by s on every side for the shift search
    warped = scan.transform((W + 2 * s, H + 2 * s), Image.Transform.AFFINE,
                            (p, -q, p * x0 - q * y0 + b.real, q, p, q * x0 + p * y0 + b.imag),
                            resample=Image.Resampling.NEAREST, fillcolor=255)
    scan_dark = warped.point(lambda v: 255 if v < SCAN_DARK else 0)
    scan_small = scan_dark.reduce(COARSE)
    mask = printed_mask(ref, areas)
    total = missing = cells = lost = 0
    unit = CELL * CELL / 255
    previous: tuple[int, int] | None = None
    for y in range(0, H, TILE):
        for x in range(0, W, TILE):
            ref_t = mask.crop((x, y, x + TILE, y + TILE))
            n = ref_t.histogram()[255]
            if n < CELL_MIN:
                continue
            shift, hit = _fine(scan_dark, ref_t, x, y, s, previous or (0, 0), FOLLOW_PX)
            if previous is None or hit < FOLLOW_FIT * n:
                shift, hit = _fine(scan_dark, ref_t, x, y, s,
                                   _coarse(scan_small, ref_t.reduce(COARSE), x, y, s), COARSE - 1)
            if hit >= FOLLOW_FIT * n:
                previous = shift
            dx, dy = shift
            gone = ImageChops.subtract(ref_t, _near(scan_dark, x + s + dx, y + s + dy))
            total += n
            missing += gone.histogram()[255]
            for r, g in zip(ref_t.reduce(CELL).tobytes(), gone.reduce(CELL).tobytes()):
                if r * unit >= CELL_MIN:
                    cells += 1
                    lost += g > CELL_LOST * r
    present = 1 - missing / total if total else 0.0
    return Likeness(round(present, 4), round(lost / cells, 4) if cells else 1.0, cells)
