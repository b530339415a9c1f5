"""The independent judges of what formsmith claims of a file: veraPDF (the reference PDF/A
validator), qpdf, Ghostscript and pyHanko's reader. Each check returns its complaints ("" when
clean); a missing tool skips the test that needs it, naming the tool.

veraPDF is looked for at $VERAPDF, else beside the checkout (`../shared/tools/verapdf/verapdf`).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

REPO = Path(__file__).resolve().parent.parent
VERAPDF = Path(os.environ.get("VERAPDF", REPO.parent / "shared" / "tools" / "verapdf" / "verapdf"))


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (make test installs it)")
    return path


def verapdf_verdicts(paths: list[Path]) -> dict[Path, str]:
    """veraPDF -f 3b on all `paths` in one JVM: path → "" when compliant, else its failed rules."""
    if not os.access(VERAPDF, os.X_OK):
        pytest.skip(f"veraPDF not found at {VERAPDF} (set $VERAPDF)")
    out = subprocess.run([str(VERAPDF), "-f", "3b", "--format", "text", "-v", *map(str, paths)],
                         capture_output=True, text=True, timeout=900).stdout
    verdicts: dict[Path, str] = {}
    current = None
    for line in out.splitlines():
        m = re.match(r"^(PASS|FAIL) (.+) 3b$", line)
        if m:
            current = Path(m.group(2))
            verdicts[current] = "" if m.group(1) == "PASS" else "FAIL"
        elif current is not None and verdicts.get(current) and line.strip():
            verdicts[current] += "\n" + line.strip()
    missing = [p for p in paths if p not in verdicts]
    assert not missing, f"veraPDF gave no verdict for {missing}:\n{out[-2000:]}"
    return verdicts


def qpdf_problems(path: Path) -> str:
    """`qpdf --check` output when it is not clean (an error or any warning), else ""."""
    done = subprocess.run([_need("qpdf"), "--check", str(path)], capture_output=True, text=True)
    text = done.stdout + done.stderr
    return "" if done.returncode == 0 and "WARNING" not in text.upper() else text


def ghostscript_problems(path: Path) -> str:
    """Ghostscript's complaints drawing every page (errors and warnings), else ""."""
    done = subprocess.run([_need("gs"), "-q", "-dNOPAUSE", "-dBATCH", "-o", "/dev/null",
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
