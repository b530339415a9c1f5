"""Glyph coverage of the configured fonts, and its on-disk cache."""
from __future__ import annotations

from formsmith import fonts

FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")


def test_coverage_knows_rare_names_and_refuses_what_no_font_has(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fonts.coverage.cache_clear()
    cov = fonts.coverage(FAMILIES)
    for ch in "𠮷䶮堃喆王A¥〔〕":
        assert ord(ch) in cov, ch
    assert 0x30000 not in cov
    problems = fonts.missing_glyphs([("owner_name", "王\U00030000\U00030000明")], FAMILIES)
    assert len(problems) == 1 and "U+30000" in problems[0] and "owner_name" in problems[0]


def test_cached_coverage_equals_the_fonts_and_a_broken_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fonts.coverage.cache_clear()
    fresh = fonts.coverage(FAMILIES)
    (cache,) = (tmp_path / "formsmith").iterdir()
    fonts.coverage.cache_clear()
    assert fonts.coverage(FAMILIES).bitmap == fresh.bitmap
    points = set()
    for family in FAMILIES:
        points |= fonts._read_cmap(*fonts.font_file(family))
    assert fresh.bitmap == fonts.Coverage.of(points).bitmap
    cache.write_bytes(b"garbage")
    fonts.coverage.cache_clear()
    assert fonts.coverage(FAMILIES).bitmap == fresh.bitmap
    assert cache.read_bytes() == fresh.bitmap
