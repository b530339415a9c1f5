"""Scanner and phone simulation for ingest tests: issued PDFs → printed, signed, scanned pages.

Samples are made here, from documents the test issued, never checked in. Every distortion is
something a service-centre scanner or a clerk's phone really does to paper.
"""
from __future__ import annotations

import io
import random
from pathlib import Path

import pypdfium2 as pdfium
import segno
from PIL import Image, ImageDraw, ImageFilter

DPI = 150
A4_PX = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))


def printed(pdf: Path, dpi: int = DPI) -> list[Image.Image]:
    """Each page of an issued PDF as paper would look: RGB pixels at `dpi`."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in doc]
    finally:
        doc.close()


def sign(page: Image.Image, area: dict, dpi: int = DPI, seed: int = 1) -> Image.Image:
    """A hand-written signature (blue ink strokes) inside `area` (mm) of an upright page."""
    rnd = random.Random(seed)
    px = dpi / 25.4
    x0, y0 = (area["x"] + 3) * px, (area["y"] + 2) * px
    w, h = (area["w"] - 6) * px, (area["h"] - 4) * px
    out = page.copy()
    draw = ImageDraw.Draw(out)
    for stroke in range(3):
        pts = [(x0 + w * (stroke / 3 + rnd.random() * 0.3), y0 + h * rnd.random()) for _ in range(5)]
        draw.line(pts, fill=(20, 30, 120), width=3, joint="curve")
    return out


def scanned(page: Image.Image, angle: float = 0.0, blur: float = 0.0, quality: int = 0) -> Image.Image:
    """The page through a scanner: turned by `angle` degrees, blurred, JPEG-compressed."""
    out = page.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=(250, 250, 250)) if angle else page
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if quality:
        buf = io.BytesIO()
        out.save(buf, format="JPEG", quality=quality)
        out = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return out


def blank(noise_seed: int = 0) -> Image.Image:
    """A blank sheet with a little scanner dust."""
    out = Image.new("RGB", A4_PX, (248, 248, 248))
    draw = ImageDraw.Draw(out)
    rnd = random.Random(noise_seed)
    for _ in range(30):
        x, y = rnd.randrange(A4_PX[0]), rnd.randrange(A4_PX[1])
        draw.point((x, y), fill=(90, 90, 90))
    return out


def courier_slip(text: str = "SF1402038791234") -> Image.Image:
    """A courier slip: someone else's QR code (a waybill) and some print, no code of ours."""
    out = Image.new("RGB", A4_PX, "white")
    qr = segno.make(f"https://www.sf-express.com/waybill/{text}", error="m")
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=6, border=2)
    out.paste(Image.open(buf).convert("RGB"), (A4_PX[0] - 400, 120))
    draw = ImageDraw.Draw(out)
    draw.rectangle((100, 600, A4_PX[0] - 100, 900), outline="black", width=4)
    return out


def save_pdf(pages: list[Image.Image], path: Path, dpi: int = DPI) -> Path:
    """A scanner's PDF stack: one JPEG image per page, in the order given.

    Pillow (13.0 here) writes its save options into `encoderinfo` of every appended image and
    reads them back on the next save of the same objects, so a second stack of the same pages
    in another order came out wrong ([p2, p3, p1] as [p2, p2, p3]). Fresh copies carry no such
    state, and the same page may appear twice.
    """
    fresh = [page.copy() for page in pages]
    fresh[0].save(path, format="PDF", save_all=True, append_images=fresh[1:], resolution=dpi, quality=80)
    return path


def code_box(page: Image.Image, which: int = 0) -> tuple[int, int, int, int]:
    """The pixel box of the `which`-th QR symbol found on an upright page, with its quiet zone."""
    import zxingcpp
    found = zxingcpp.read_barcodes(page.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    pts = [(p.x, p.y) for p in (found[which].position.top_left, found[which].position.top_right,
                                found[which].position.bottom_right, found[which].position.bottom_left)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    pad = round((max(xs) - min(xs)) * 0.08)
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def paste_code(onto: Image.Image, code_from: Image.Image, at: tuple[int, int] | None = None) -> Image.Image:
    """`onto` with the QR of `code_from` cut out and glued on: where it was on `code_from`, or at `at`."""
    box = code_box(code_from)
    out = onto.copy()
    out.paste(code_from.crop(box), at or box[:2])
    return out


def scribble(page: Image.Image, area: dict, dpi: int = DPI, seed: int = 3) -> Image.Image:
    """A zigzag of pen in `area` (mm): ink, but not anyone's signature of this letter."""
    rnd = random.Random(seed)
    px = dpi / 25.4
    x0, y0, w, h = area["x"] * px, area["y"] * px, area["w"] * px, area["h"] * px
    out = page.copy()
    pts = [(x0 + w * (0.1 + 0.8 * i / 9), y0 + h * (0.25 + 0.5 * rnd.random())) for i in range(10)]
    ImageDraw.Draw(out).line(pts, fill=(30, 30, 40), width=3)
    return out


def coffee(page: Image.Image, area: dict, dpi: int = DPI, ring: bool = True) -> Image.Image:
    """A coffee cup's mark in `area` (mm): a brownish ring, or a filled blot, with a ragged edge."""
    px = dpi / 25.4
    cx, cy = (area["x"] + area["w"] * 0.45) * px, (area["y"] + area["h"] / 2) * px
    r = (area["h"] / 2 - 0.6) * px
    out = page.copy()
    stain = Image.new("L", out.size, 0)
    draw = ImageDraw.Draw(stain)
    rnd = random.Random(11)
    for k in range(24):                        # overlapping circles: a ragged, uneven mark
        dx, dy = rnd.uniform(-1.5, 1.5), rnd.uniform(-1.5, 1.5)
        rr = r * rnd.uniform(0.93, 1.0)
        box = (cx - rr + dx, cy - rr + dy, cx + rr + dx, cy + rr + dy)
        if ring:
            draw.ellipse(box, outline=200, width=round(1.6 * px))
        else:
            draw.ellipse(box, fill=200)
    stain = stain.filter(ImageFilter.GaussianBlur(1.2))
    brown = Image.new("RGB", out.size, (120, 78, 40))
    out.paste(brown, (0, 0), stain)
    return out
