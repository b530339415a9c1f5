"""Which characters the configured fonts can print: refuse data that would print as empty boxes."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

from .errors import MissingGlyphError, RenderError
from .files import write_atomic

# Line breaks and tabs are layout, not glyphs.
_LAYOUT = {0x0A, 0x0D, 0x09}


@lru_cache(maxsize=None)
def font_file(family: str) -> tuple[str, int]:
    """The font file and face index fontconfig uses for `family`; an error if it is not installed."""
    if not shutil.which("fc-match"):
        raise RenderError("fontconfig (fc-match) is not installed; run `make setup`")
    out = subprocess.run(["fc-match", "-f", "%{file}\t%{index}\t%{family}", family],
                         capture_output=True, text=True, check=False).stdout
    parts = out.split("\t")
    if len(parts) != 3 or family.lower() not in [f.strip().lower() for f in parts[2].split(",")]:
        raise RenderError(f"font {family!r} is not installed (fontconfig offers {parts[-1]!r}); "
                          "run `make setup`, which installs fonts-noto-cjk")
    return parts[0], int(parts[1] or 0)


class Coverage:
    """A set of code points kept as a bitmap (fast to load, fast to test)."""

    def __init__(self, bitmap: bytes):
        self.bitmap = bitmap

    @classmethod
    def of(cls, points) -> "Coverage":
        bits = bytearray(0x110000 // 8)
        for cp in points:
            bits[cp >> 3] |= 1 << (cp & 7)
        return cls(bytes(bits))

    def __contains__(self, cp: int) -> bool:
        return 0 <= cp < 0x110000 and bool(self.bitmap[cp >> 3] & (1 << (cp & 7)))


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "formsmith"


def _read_cmap(path: str, index: int) -> set[int]:
    if Path(path).suffix.lower() in (".ttc", ".otc"):
        font = TTCollection(path, lazy=True).fonts[index]
    else:
        font = TTFont(path, lazy=True, fontNumber=index)
    return set(font["cmap"].getBestCmap())


@lru_cache(maxsize=None)
def coverage(families: tuple[str, ...]) -> Coverage:
    """Every code point that at least one of `families` has a glyph for.

    Reading a CJK font's cmap takes ~0.2 s, a noticeable part of one `formsmith render`; the
    result is kept in the user's cache folder, keyed by the font files' paths, sizes and mtimes.
    """
    files = [font_file(f) for f in families]
    stamp = "|".join(f"{p}:{i}:{os.stat(p).st_size}:{os.stat(p).st_mtime_ns}" for p, i in files)
    cache = _cache_dir() / f"coverage-{hashlib.sha256(stamp.encode()).hexdigest()[:24]}.bin"
    try:
        data = cache.read_bytes()
        if len(data) == 0x110000 // 8:
            return Coverage(data)
    except OSError:
        pass
    points: set[int] = set()
    for path, index in files:
        points |= _read_cmap(path, index)
    result = Coverage.of(points)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(cache, result.bitmap, mode=None, durable=False, suffix=".tmp")   # a cache: no fsync
    except OSError:
        pass  # a read-only home only costs the 0.2 s again next time
    return result


def missing_glyphs(texts: list[tuple[str, str]], families: tuple[str, ...]) -> list[str]:
    """One problem line per (field, character) that none of `families` can print."""
    have = coverage(tuple(families))
    problems = []
    for where, text in texts:
        seen: set[str] = set()
        for ch in text:
            if ord(ch) not in have and ord(ch) not in _LAYOUT and ch not in seen:
                seen.add(ch)
                problems.append(f"字段 {where}：字符 “{ch}”（U+{ord(ch):04X}）在字体 "
                                f"{' / '.join(families)} 中没有字形，打印会是空框 "
                                "(no installed font has this character)")
    return problems


def require_glyphs(texts: list[tuple[str, str]], families: tuple[str, ...], record: str = "") -> None:
    """Raise MissingGlyphError naming every character of `texts` that would print as a box."""
    problems = missing_glyphs(texts, families)
    if problems:
        raise MissingGlyphError(problems, record)
