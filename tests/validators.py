"""The independent judges of what formsmith claims of a file: veraPDF (the reference PDF/A
validator), qpdf, Ghostscript, poppler's pdfsig and pyHanko's reader; and the comparison of one
letter's signature fields as two engines place them. Each check returns its complaints (""
when clean); a test that needs a tool not installed here is skipped, naming the tool.

veraPDF is looked for at $VERAPDF (or $FORMSMITH_VERAPDF), else beside the checkout
(`../shared/tools/verapdf/verapdf`), else on PATH.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pdftools import signature_widgets
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

REPO = Path(__file__).resolve().parent.parent
VERAPDF = Path(next((c for c in (os.environ.get("VERAPDF"), os.environ.get("FORMSMITH_VERAPDF"),
                                 str(REPO.parent / "shared" / "tools" / "verapdf" / "verapdf"),
                                 shutil.which("verapdf")) if c and Path(c).is_file()),
                    REPO.parent / "shared" / "tools" / "verapdf" / "verapdf"))


def tool(name: str) -> str:
    """The path of checker `name` ("verapdf", "qpdf", "gs", "pdfsig"), or skip the test."""
    if name == "verapdf":
        if not os.access(VERAPDF, os.X_OK):
            pytest.skip(f"veraPDF not found at {VERAPDF} (set $VERAPDF to its script)")
        return str(VERAPDF)
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (make test installs it)")
    return path


def verapdf_verdicts(paths: list[Path]) -> dict[Path, str]:
    """veraPDF -f 3b on all `paths` in one JVM: path → "" when compliant, else its failed rules."""
    out = subprocess.run([tool("verapdf"), "-f", "3b", "--format", "text", "-v", *map(str, paths)],
                         capture_output=True, text=True, timeout=900).stdout
    found: dict[Path, str] = {}
    current = None
    for line in out.splitlines():
        m = re.match(r"^(PASS|FAIL) (.+) 3b$", line)
        if m:
            current = Path(m.group(2)).resolve()
            found[current] = "" if m.group(1) == "PASS" else "FAIL"
        elif current is not None and found.get(current) and line.strip():
            found[current] += "\n" + line.strip()
    missing = [p for p in paths if Path(p).resolve() not in found]
    assert not missing, f"veraPDF gave no verdict for {missing}:\n{out[-2000:]}"
    return {p: found[Path(p).resolve()] for p in paths}


def qpdf_problems(path: Path) -> str:
    """`qpdf --check` output when it is not clean (an error or any warning), else ""."""
    done = subprocess.run([tool("qpdf"), "--check", str(path)], capture_output=True, text=True)
    text = done.stdout + done.stderr
    return "" if done.returncode == 0 and "WARNING" not in text.upper() else text


def ghostscript_problems(path: Path) -> str:
    """Ghostscript's complaints drawing every page (errors and warnings), else ""."""
    done = subprocess.run([tool("gs"), "-q", "-dNOPAUSE", "-dBATCH", "-o", "/dev/null",
                           "-sDEVICE=nullpage", str(path)], capture_output=True, text=True, timeout=600)
    text = done.stdout + done.stderr
    bad = [line for line in text.splitlines() if re.search(r"error|warning", line, re.I)]
    return "" if done.returncode == 0 and not bad else (text[-2000:] or f"exit {done.returncode}")


def lang(path: Path) -> str | None:
    with pikepdf.open(path) as pdf:
        value = pdf.Root.get("/Lang")
        return None if value is None else str(value)


def signature_fields(path: Path) -> dict[str, bool]:
    """Signature field name → signed, as pyHanko reads the file."""
    with open(path, "rb") as f:
        reader = PdfFileReader(f, strict=False)
        return {name: value is not None for name, value, _ in enumerate_sig_fields(reader)}


def verapdf_3b(path: Path) -> str:
    """veraPDF's verdict on one file as PDF/A-3b: "" when it passes, else the rules that failed."""
    return verapdf_verdicts([path])[path]


def pdfsig_fields(path: Path) -> list[str]:
    """The signature field names poppler's pdfsig lists (signed or not)."""
    out = subprocess.run([tool("pdfsig"), str(path)], capture_output=True, text=True, timeout=120)
    return [line.split(":", 1)[1].strip() for line in out.stdout.splitlines()
            if line.strip().startswith("- Signature Field Name:")]


def eol_after_every_eof(data: bytes) -> bool:
    """Whether every %%EOF marker of the file is followed by an end-of-line (ISO 32000-1 7.5.5;
    PDF/A: an incremental update must start on a line of its own), and there is one at all."""
    at = [m.start() for m in re.finditer(rb"%%EOF", data)]
    return bool(at) and all(data[i + 5:i + 6] in (b"\n", b"\r") for i in at)


MM_PT = 72 / 25.4
FIELD_TOLERANCE_MM = 4
# What each field of the dunning letters is laid out around: the seal area holds the issuer's
# "（盖章）" line, the 签收人 cell sits right of its label.
LANDMARKS = {"seal": "（盖章）", "receipt_signer": "签收人（签字）"}


def text_box(path: Path, page: int, text: str) -> tuple[float, float, float, float]:
    """The box (PDF points) of the first occurrence of `text` on `page`, as pdfium finds it."""
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        tp = pdf[page].get_textpage()
        chars = "".join(tp.get_text_range(k, 1) for k in range(tp.count_chars()))
        at = chars.find(text)
        assert at >= 0, (path, page, text)
        boxes = [tp.get_charbox(k) for k in range(at, at + len(text))]
    finally:
        pdf.close()
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def text_inside(path: Path, page: int, rect: list[float]) -> str:
    """The text pdfium finds inside `rect` (PDF points) on `page`, whitespace removed."""
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "".join(pdf[page].get_textpage().get_text_bounded(*rect).split())
    finally:
        pdf.close()


def assert_fields_where_html_has_them(typ_path: Path, html_path: Path, declared: list[str], key) -> dict:
    """The Typst file carries every declared signature field, empty, on the page where the HTML
    engine puts it for the same letter, and (within a few mm) where it puts it on the page:
    the same left edge (the right one within twice that), and top and bottom at the same
    height relative to what it is laid out around (LANDMARKS: the two engines' body text does not break at the same heights, so the
    seal area of a Typst letter may sit some mm higher or lower on the page than in HTML),
    covering the same words."""
    t, h = signature_widgets(typ_path), signature_widgets(html_path)
    assert t["sig_flags"] == 3 and list(t["fields"]) == declared == list(h["fields"]), (key, t, h)
    for name in declared:
        tw, hw = t["fields"][name], h["fields"][name]
        assert tw["type"] == "/Sig" and not tw["signed"] and tw["printed"] and tw["on_page"], (key, tw)
        assert tw["page"] == hw["page"] and tw["appearance"] is not None, (key, name, tw, hw)
        x0, y0, x1, y1 = tw["rect"]
        assert x1 - x0 > 10 * MM_PT and y1 - y0 > 5 * MM_PT, (key, name, tw["rect"])
        # The same words inside (the seal area: the issuer's name and the date, no body text).
        assert text_inside(typ_path, tw["page"], tw["rect"]) == text_inside(html_path, hw["page"], hw["rect"]), \
            (key, name)
        tl, hl = (text_box(path, w["page"], LANDMARKS[name])
                  for path, w in ((typ_path, tw), (html_path, hw)))
        relative = [(a - tl[i % 2]) - (b - hl[i % 2]) for i, (a, b) in enumerate(zip(tw["rect"], hw["rect"]))]
        off = max(abs(v) for v in relative[1::2] + [tw["rect"][0] - hw["rect"][0]])
        assert off <= FIELD_TOLERANCE_MM * MM_PT, (key, name, tw["rect"], hw["rect"], f"{off / MM_PT:.1f} mm")
        # The right edge: HTML lays the 回执 table out automatically (a cell's width follows
        # the row's text: owner name, address), Typst with fixed columns.
        assert abs(tw["rect"][2] - hw["rect"][2]) <= 2 * FIELD_TOLERANCE_MM * MM_PT, (key, name, tw, hw)
    return t
