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
    """A scanner's PDF stack: one JPEG image per page."""
    pages[0].save(path, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi, quality=80)
    return path
