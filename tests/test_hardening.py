"""Issue 14, second pass: settings, issued files, replacements, damage, killed runs, permissions.

Every refusal is checked as a real `formsmith` process: its exit code (2 bad input, 1 failed),
one line on stderr without a traceback, the store unchanged and no file left behind.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FORMSMITH, formsmith_cmd, store_rows
from formsmith.store import STORE_FILE

AS_OF = "2025-12-01"
LETTER_1 = "物催字〔2025〕1号"


# ---------------------------------------------------------------- the guard

def tree(home: Path) -> dict[str, str]:
    """Every file of a workspace (but the store's lock) with its SHA-256."""
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file() and p.name != ".lock"}


def refused(proc: subprocess.CompletedProcess, code: int, *expected: str) -> str:
    """The one line a refusal printed, after checking its exit code and that it is one line."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def set_setting(home: Path, section: str, line: str) -> None:
    """Put `line` (key = value) into `[section]` of formsmith.toml, in place of that key if it
    is there, else at the section's start (the section is appended if new)."""
    path = home / "formsmith.toml"
    key = line.split("=", 1)[0].strip()
    out, current, done = [], None, False
    for old in path.read_text(encoding="utf-8").splitlines():
        if old.startswith("["):
            current = old.strip()[1:-1]
            out.append(old)
            if current == section and not done:
                out.append(line)
                done = True
            continue
        if current == section and old.split("=", 1)[0].strip() == key and "=" in old:
            continue
        out.append(old)
    if not done:
        out += ["", f"[{section}]", line]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def render_letter(home: Path, *extra: str, unit: str = "1-1-802") -> subprocess.CompletedProcess:
    return formsmith_cmd(home, "render", "dunning-letter", "--unit", unit, "--as-of", AS_OF,
                         "--again", *extra)


# ---------------------------------------------------------------- 1. issued PDFs never replaced

@pytest.mark.parametrize("series", [
    "阳物催字", "阳物催字〔{year}〕号", "{seq.__class__}", "{seq}{seq}", "{seq!r}号",
    "{month}{seq}", "{seq:x}号", "{0}{seq}", "物催字{", "物催字{seq", "", 12])
def test_a_numbering_setting_that_cannot_number_documents_is_refused(demo_copy, series):
    value = json.dumps(series, ensure_ascii=False)
    set_setting(demo_copy, "numbering", f"dunning-letter = {value}")
    before = tree(demo_copy)
    line = refused(render_letter(demo_copy), 2, "formsmith.toml [numbering] dunning-letter")
    assert "{seq}" in line
    assert tree(demo_copy) == before


@pytest.mark.parametrize("series", ["阳物催字〔{year}〕{seq}号", "No.{year}{seq:06d}", "物催{{{seq}}}"])
def test_a_good_numbering_setting_numbers_documents(demo_copy, series):
    set_setting(demo_copy, "numbering", "dunning-letter = " + json.dumps(series, ensure_ascii=False))
    first, second = render_letter(demo_copy, "--json"), render_letter(demo_copy, "--json")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["doc_no"] != b["doc_no"] and a["path"] != b["path"]
    assert Path(a["path"]).is_file() and Path(b["path"]).is_file()


def test_a_number_already_in_the_store_is_never_issued_again(demo_copy):
    """A changed series that spells the old numbers ({seq:d} is {seq}) has a counter of its own:
    its first number is one the store already holds. Refused; the issued PDF is untouched."""
    pdf = demo_copy / "output" / "dunning-letter" / "2025" / f"{LETTER_1}.pdf"
    set_setting(demo_copy, "numbering", 'dunning-letter = "物催字〔{year}〕{seq:d}号"')
    before = tree(demo_copy)
    refused(render_letter(demo_copy), 2, LETTER_1, "[numbering]")
    assert tree(demo_copy) == before and pdf.is_file()


def _pdf_claiming(doc_id: str) -> bytes:
    from pypdf import PdfWriter
    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.add_metadata({"/Keywords": f"formsmith:{doc_id}, 物催字〔2025〕4号"})
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def test_an_issued_file_at_the_next_numbers_path_is_never_replaced(demo_copy):
    """Whatever sits at the path of the next number and is a recorded document's file (here:
    letter 1 copied there by hand) stays as it is: the render is refused."""
    folder = demo_copy / "output" / "dunning-letter" / "2025"
    shutil.copy(folder / f"{LETTER_1}.pdf", folder / "物催字〔2025〕4号.pdf")
    before = tree(demo_copy)
    refused(render_letter(demo_copy), 2, "物催字〔2025〕4号.pdf", "不覆盖")
    assert tree(demo_copy) == before


def test_a_killed_renders_unrecorded_file_gives_way(demo_copy):
    """A file claiming a document the store never recorded (a render killed between placing its
    PDF and committing) is the one thing a render may replace: that number was never issued."""
    from formsmith import codes
    stray = demo_copy / "output" / "dunning-letter" / "2025" / "物催字〔2025〕4号.pdf"
    stray.write_bytes(_pdf_claiming(codes.new_doc_id()))
    done = render_letter(demo_copy, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["doc_no"] == "物催字〔2025〕4号"
    assert formsmith_cmd(demo_copy, "verify", str(stray)).returncode == 0
