"""The visible company seal (公章): a red round seal drawn from company.seal_text, or the workspace's own image."""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from . import fonts
from .errors import InputError

SEAL_MM = 42            # CONVENTIONS.md: the company seal is about 42 mm across
DPI = 300             # plenty for a red seal; keeps the sealed file ~40 KB larger, not ~130 KB
RED = (218, 24, 32)     # seal-paste red (印泥红)


def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    """A five-pointed star with one point up, outer radius r."""
    inner = r * math.sin(math.radians(18)) / math.sin(math.radians(126))
    pts = []
    for k in range(10):
        rad = r if k % 2 == 0 else inner
        a = math.radians(-90 + 36 * k)
        pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    return pts


@lru_cache(maxsize=4)
def draw_seal(text: str, family: str, test: bool = False) -> Image.Image:
    """A round seal: ring, the text on the upper arc (left to right, upright), a star in the middle
    (for a test certificate's seal, `test`, 测试样章 无效 instead).

    Drawn at 300 dpi as red on a transparent background (RGBA), so the issuer's name and the
    date under it stay visible, as with seal paste on paper.
    """
    text = text.strip()
    if not text:
        raise InputError("formsmith.toml company.seal_text: empty; the seal needs the company name")
    size = _px(SEAL_MM)
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = size / 2
    ring = _px(1.3)
    draw.ellipse((ring / 2, ring / 2, size - ring / 2, size - ring / 2), outline=RED + (255,),
                 width=ring)
    if test:
        _draw_marks(img, family)
    else:
        draw.polygon(_star(c, c, _px(7.5)), fill=RED + (255,))

    path, index = fonts.font_file(family)
    n = len(text)
    glyph_mm = 5.8 if n <= 11 else max(4.0, 5.8 * 11 / n)
    font = ImageFont.truetype(path, _px(glyph_mm), index=index)
    radius = c - ring - _px(1.0) - _px(glyph_mm) / 2      # centre line of the characters
    span = min(250.0, 21.0 * n + 15)                      # degrees of arc the text covers
    step = span / max(n - 1, 1)
    start = -90 - span / 2
    for k, ch in enumerate(text):
        angle = start + step * k if n > 1 else -90
        tile = Image.new("RGBA", (_px(glyph_mm) * 2, _px(glyph_mm) * 2), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((tile.width / 2, tile.height / 2), ch, font=font,
                                  fill=RED + (255,), anchor="mm",
                                  stroke_width=_px(0.25), stroke_fill=RED + (255,))
        # upright towards the centre: a character at angle a is turned by -(a + 90) degrees
        tile = tile.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(math.radians(angle)) - tile.width / 2
        y = c + radius * math.sin(math.radians(angle)) - tile.height / 2
        img.alpha_composite(tile, (round(x), round(y)))
    return img


TEST_MARKS = ("测试样章", "无效")   # what the seal of a test certificate says in its centre


def _draw_marks(img: Image.Image, family: str) -> None:
    """Write 测试样章 / 无效 across the centre of `img` (a seal, SEAL_MM across, in place): where a
    real seal has its star, clear of the issuer's name and date the seal's lower half presses on."""
    draw = ImageDraw.Draw(img)
    path, index = fonts.font_file(family)
    c = img.width / 2
    for text, dy, mm in ((TEST_MARKS[0], -3.0, 5.2), (TEST_MARKS[1], 4.2, 6.0)):
        font = ImageFont.truetype(path, _px(mm), index=index)
        draw.text((c, c + _px(dy)), text, font=font, fill=RED + (255,), anchor="mm",
                  stroke_width=_px(0.25), stroke_fill=RED + (255,))


def seal_image(ws, test: bool = False) -> Image.Image:
    """The seal image of a workspace: `[seal] image` (a PNG with transparency) if set, else drawn.

    `test`: the seal of a test certificate (`certs make-test`): 测试样章 无效 in its centre
    (TEST_MARKS) instead of the star, so it cannot be taken for the company's seal."""
    configured = ws.setting("seal", "image")
    if not configured:
        return draw_seal(ws.company.seal_text, ws.fonts["sans"], test)
    img = _configured_image(ws, str(configured))
    if test:
        img = img.resize((_px(SEAL_MM), _px(SEAL_MM)))
        _draw_marks(img, ws.fonts["sans"])
    return img


def _configured_image(ws, configured: str) -> Image.Image:
    """`[seal] image`, a file of the workspace, read as RGBA (a missing or unreadable file: InputError)."""
    if configured:
        path = (ws.root / configured).resolve()
        if not path.is_file():
            raise InputError(f"formsmith.toml [seal] image: {path}: no such file")
        try:
            img = Image.open(path)
            img.load()
        except (OSError, Image.DecompressionBombError) as exc:
            raise InputError(f"formsmith.toml [seal] image: {path}: not a readable image ({exc})") from None
        return img.convert("RGBA")
    raise InputError("formsmith.toml [seal] image: empty")


def seal_png(ws, out: Path) -> Path:
    seal_image(ws).save(out)
    return out
