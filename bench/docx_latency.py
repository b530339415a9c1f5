"""Latency of the Word engine (住户手册) against one `soffice --convert-to` process per document.

Usage:  .venv/bin/python bench/docx_latency.py [--runs N]

Measures, in one fresh temporary workspace:

1. baseline: the filled handbook .docx converted by `soffice --headless --convert-to pdf`, one
   soffice process per document (what a script without a converter object does), R times;
2. formsmith's converter: starting the one soffice (UNO worker, private profile) once, then the
   same .docx converted R times by that process (PDF/A-3b, table of contents updated);
3. formsmith whole issue in-process: `issue_document(ws, "owner-handbook", …)` R times (fill
   the .docx, convert, stamp the page QR codes, attach record.json, fsync, store transaction);
4. the whole command `formsmith render owner-handbook --data …` as a subprocess, R times
   (pays the soffice start every time: one command, one document).

It prints median and min seconds; it asserts nothing. The load average is printed before and
after, so a noisy run is easy to spot.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from formsmith import init_workspace, issuing  # noqa: E402
from formsmith.render import libreoffice  # noqa: E402
from formsmith.render.docx import PDF_EXPORT  # noqa: E402
from formsmith.workspace import find_workspace  # noqa: E402

TEMPLATE = "owner-handbook"


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def summary(name: str, xs: list[float]) -> str:
    return f"{name:<52} median {statistics.median(xs):6.2f} s   min {min(xs):6.2f} s   (n={len(xs)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="formsmith-bench-docx-") as tmp:
        tmp = Path(tmp)
        init_workspace(tmp / "ws")
        ws = find_workspace(tmp / "ws")
        example = ws.catalog.get(TEMPLATE).example
        first = issuing.issue_document(ws, TEMPLATE, data=example, again=True)
        docx_file = Path(first.path).with_suffix(".docx")
        print(f"handbook: {first.pages} pages, .docx {docx_file.stat().st_size // 1024} KB")

        soffice = libreoffice.find_soffice()
        base = []
        profile = (tmp / "baseline-profile").as_uri()
        for i in range(args.runs):
            base.append(timed(lambda: subprocess.run(
                [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                 "--outdir", str(tmp / "base"), str(docx_file)], check=True, capture_output=True)))

        lo = libreoffice.LibreOffice()
        start = timed(lambda: lo.convert(docx_file, tmp / "warm0.pdf", PDF_EXPORT))
        warm = [timed(lambda i=i: lo.convert(docx_file, tmp / f"warm{i + 1}.pdf", PDF_EXPORT))
                for i in range(args.runs)]
        lo.close()

        issue = [timed(lambda: issuing.issue_document(ws, TEMPLATE, data=example, again=True))
                 for _ in range(args.runs)]

        data = tmp / "hb.json"
        data.write_text(json.dumps(example, ensure_ascii=False), encoding="utf-8")
        exe = shutil.which("formsmith", path=str(Path(sys.executable).parent)) or "formsmith"
        cli = [timed(lambda: subprocess.run(
            [exe, "--home", str(ws.root), "render", TEMPLATE, "--data", str(data), "--again"],
            check=True, capture_output=True)) for _ in range(args.runs)]

    print(summary("baseline: one soffice --convert-to per document", base))
    print(f"{'formsmith converter: start + first conversion':<52} {start:6.2f} s")
    print(summary("formsmith converter: each further conversion", warm))
    print(summary("formsmith issue_document in-process (warm soffice)", issue))
    print(summary("formsmith render (whole command, own soffice)", cli))
    b, w = statistics.median(base), statistics.median(warm)
    print(f"ratio warm conversion / baseline: {w / b:.2f}  "
          f"(a batch of 100 handbooks: ~{start + 99 * w:.0f} s vs ~{100 * b:.0f} s for conversion)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
