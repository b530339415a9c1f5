"""Stage 3, read codes: our QR on each page (zxing-cpp), with retries at a higher resolution and on corner crops."""
from __future__ import annotations

from PIL import Image

import zxingcpp

from .. import codes
from . import rasterize
from .model import IngestJob, ScanPage

# Corner crops tried in this order when the whole page yields nothing: our code sits top-right,
# so an upside-down page has it bottom-left; a sideways page in one of the other corners.
CROP = 0.6
CORNERS = ((1 - CROP, 0.0), (0.0, 1 - CROP), (0.0, 0.0), (1 - CROP, 1 - CROP))


def _found(image: Image.Image, scale: float = 1.0, offset: tuple[int, int] = (0, 0)):
    """(our PageCode or None, payload, corners in working-image pixels, orientation) per QR read."""
    out = []
    for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
        pos = r.position
        corners = tuple(((pt.x + offset[0]) / scale, (pt.y + offset[1]) / scale)
                        for pt in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left))
        out.append((codes.decode(r.text), r.text, corners, r.orientation))
    return out


def _apply(page: ScanPage, results) -> bool:
    ours = [r for r in results if r[0] is not None]
    # a cut-out card's own code (codes.CardCode) is ours too, and says nothing about the page
    page.foreign = tuple(sorted(set(page.foreign) | {r[1] for r in results
                                                     if r[0] is None and codes.decode_card(r[1]) is None}))
    if not ours:
        return False
    code, _, corners, orientation = ours[0]
    page.code, page.corners = code, corners
    # Two different codes of ours on one sheet (one glued onto another letter's page): which
    # document it is cannot be told from the codes; split sends the page to review.
    page.others = tuple(sorted({r[0] for r in ours if r[0] != code}, key=str))
    page.turn = (round(orientation / 90) * 90) % 360
    return True


def read(page: ScanPage) -> ScanPage:
    """Find our code on `page`: whole page first, then sharper corner crops. Sets code, corners, turn."""
    page.tries = 1
    if _apply(page, _found(page.working_image)):
        return page
    sharp = rasterize.sharper(page)
    if sharp is None:
        return page
    image, factor = sharp
    w, h = image.size
    for fx, fy in CORNERS:
        page.tries += 1
        box = (int(fx * w), int(fy * h), int((fx + CROP) * w), int((fy + CROP) * h))
        if _apply(page, _found(image.crop(box), factor, (box[0], box[1]))):
            return page
    return page


def upright(page: ScanPage) -> Image.Image:
    """The page's working image turned to read upright."""
    image = page.working_image
    return image.rotate(page.turn, expand=True) if page.turn else image


def run(job: IngestJob) -> IngestJob:
    for page in job.pages:
        read(page)
    return job
