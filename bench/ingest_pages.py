"""Ingest throughput: pages per second for a 200-page scanned stack, against a bare baseline.

Usage:  .venv/bin/python bench/ingest_pages.py [--pages 200] [--letters 20] [--runs 3] [--json] [--keep]

In a fresh temporary demo workspace, `--letters` dunning letters are issued (one page each), then
a scanner's PDF stack of `--pages` pages is made from them (150 dpi JPEG pages, each turned
-3..3 degrees, every fifth upside down, every other one signed in its signature box; a
letter appears several times, so later copies are filed as duplicates — all the same work).

Measured on the same stack, alternating, `--runs` times each (median and min reported):
- baseline: bare pypdfium2 rendering at 150 dpi + one zxing-cpp read per page, one process —
  the least any reader of these pages must do;
- formsmith 1 worker: `formsmith.ingest.ingest(ws, [stack], workers=1)` on a fresh copy of the
  workspace (preflight, read with retries, split, match, signature check, filing with fsync
  and the store transaction);
- formsmith N workers: the same with a process pool of one worker per core.
CPU seconds (this process and its workers, user + system) are printed too: on a shared,
loaded machine they show the cost that wall time hides. Only numbers are printed; nothing is
asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import pypdfium2 as pdfium  # noqa: E402
import zxingcpp  # noqa: E402

import scansim  # noqa: E402
from formsmith import init_workspace, issuing  # noqa: E402
from formsmith.cli import _demo  # noqa: E402
from formsmith.ingest import ingest  # noqa: E402


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def make_stack(ws, letters: int, pages: int, out: Path) -> None:
    tpl = ws.catalog.get("dunning-letter")
    example = dict(tpl.example)
    rows = []
    for i in range(letters):
        doc = issuing.issue_document(ws, "dunning-letter", data={**example, "unit": f"9-9-{100 + i}"},
                                     again=True)
        with ws.store.snapshot() as view:
            rows.append(view.get("documents", doc.doc_id))
    paper = {r["doc_id"]: scansim.printed(ws.root / r["path"])[0] for r in rows}
    rnd = random.Random(7)
    images = []
    for k in range(pages):
        row = rows[k % letters]
        page = paper[row["doc_id"]]
        if k % 2 == 0:
            page = scansim.sign(page, row["sign_areas"][0], seed=k)
        page = scansim.scanned(page, rnd.uniform(-3, 3), 0.6, 0)
        images.append(page.rotate(180) if k % 5 == 4 else page)
    scansim.save_pdf(images, out)


def baseline(stack: Path) -> int:
    pdf = pdfium.PdfDocument(str(stack))
    found = 0
    try:
        for page in pdf:
            image = page.render(scale=150 / 72, grayscale=True).to_pil()
            found += bool(zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))
    finally:
        pdf.close()
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--letters", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fs-ingest-bench-"))
    try:
        ws, _ = init_workspace(tmp / "ws")
        _demo(ws)
        log(f"issuing {args.letters} letters, making a {args.pages}-page stack ...")
        stack = tmp / "stack.pdf"
        make_stack(ws, args.letters, args.pages, stack)
        cores = os.cpu_count() or 1
        times: dict[str, list[float]] = {"baseline": [], "formsmith_1_worker": [],
                                         f"formsmith_{cores}_workers": []}
        cpu: dict[str, list[float]] = {name: [] for name in times}
        outcome = {}
        for run in range(args.runs):
            for name in times:
                c0 = os.times()
                if name == "baseline":
                    t = time.perf_counter()
                    outcome["baseline_pages_with_code"] = baseline(stack)
                else:
                    copy = tmp / f"ws-{name}-{run}"
                    shutil.copytree(ws.root, copy)
                    from formsmith.workspace import find_workspace
                    w = find_workspace(copy)
                    workers = 1 if name == "formsmith_1_worker" else cores
                    t = time.perf_counter()
                    job = ingest(w, [stack], workers=workers)
                    rep = job.report()
                    outcome[name] = {k: len(rep[k]) for k in ("archived", "duplicates", "incomplete", "unmatched")}
                    outcome[name]["signed"] = sum(1 for e in rep["archived"] + rep["duplicates"] if e["signed"])
                times[name].append(time.perf_counter() - t)
                c1 = os.times()
                cpu[name].append(sum(getattr(c1, k) - getattr(c0, k) for k in
                                     ("user", "system", "children_user", "children_system")))
                log(f"run {run + 1} {name}: {times[name][-1]:.2f} s")
        result = {"pages": args.pages, "cores": cores, "load_avg": os.getloadavg(),
                  "outcome": outcome,
                  **{name: {"median_s": round(statistics.median(v), 3), "min_s": round(min(v), 3),
                            "pages_per_s_median": round(args.pages / statistics.median(v), 1),
                            "pages_per_s_best": round(args.pages / min(v), 1),
                            "cpu_s_median": round(statistics.median(cpu[name]), 3),
                            "ms_cpu_per_page": round(1000 * statistics.median(cpu[name]) / args.pages, 1)}
                     for name, v in times.items()}}
        if args.json:
            print(json.dumps(result, indent=1))
        else:
            print(f"{args.pages}-page stack, {cores} cores, load {result['load_avg'][0]:.2f}")
            print(f"{'':24} {'median s':>9} {'min s':>7} {'pages/s (median)':>17} {'pages/s (best)':>15}"
                  f" {'CPU s':>7} {'CPU ms/page':>12}")
            for name in times:
                r = result[name]
                print(f"{name:24} {r['median_s']:>9} {r['min_s']:>7} {r['pages_per_s_median']:>17} "
                      f"{r['pages_per_s_best']:>15} {r['cpu_s_median']:>7} {r['ms_cpu_per_page']:>12}")
            print("outcome:", json.dumps(outcome, ensure_ascii=False))
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
