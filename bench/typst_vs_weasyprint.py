"""Letters per second of the Typst engine's render_many against raw WeasyPrint, in the same run.

Usage:  .venv/bin/python bench/typst_vs_weasyprint.py [N] [--jobs 1,2] [--chunk 100] [--no-raw] [--json]

Renders N (default 1000) one-page 催缴函 (dunning-letter/template.typ, the template's example
with a different owner, address and amounts per letter) as N separate finished files: each a
PDF/A-3b with its own number, metadata, QR code on every page and attached record, written to
a temporary folder. Letters are laid out `--chunk` (default 100) per Typst document and cut
into their files; each chunk's pages are also written as one print part. `--jobs 1,2` runs it in one process and again split over two processes
(each with its own Compiler; process start-up is included). Then it runs the baseline
`raw_weasyprint.py N` (../shared/bench, or $RAW_BENCH): N plain letters in ONE HTML document
and ONE PDF, in one process. It prints letters/s, the ratio to the baseline and peak RSS.

Only the rendering is measured (no store, numbering or validation: bench/ of the dunning run
covers those). Nothing here asserts anything about speed.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from formsmith import catalog, codes  # noqa: E402
from formsmith.render import PdfIdentity  # noqa: E402
from formsmith.workspace import init_workspace  # noqa: E402

TEMPLATE = "dunning-letter"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def raw_script() -> Path | None:
    for p in (REPO.parents[1] / "shared" / "bench" / "raw_weasyprint.py",
              Path(os.environ.get("RAW_BENCH", "/nonexistent"))):
        if p.is_file():
            return p
    return None


def make_jobs(ws, start: int, stop: int, out_dir: Path):
    """The (context, identity, out) of letters start..stop-1, each with its own data and id."""
    tpl = ws.catalog.get(TEMPLATE)
    base = catalog.validate(tpl, tpl.example)
    created = datetime(2025, 12, 1, 9, 0).astimezone()
    jobs = []
    for i in range(start, stop):
        amount = Decimal("200.00") + Decimal(i % 997) / 100
        items = [dict(row, amount=amount) for row in base["items"]]
        values = {**base, "owner_name": f"业主{i:05d}", "unit": f"{i % 30 + 1}-1-{i % 300 + 101}",
                  "unit_address": f"阳光花园{i % 30 + 1}栋1单元{i % 300 + 101}室",
                  "items": items, "total": amount * len(items)}
        doc_id = codes.new_doc_id()
        doc_no = f"物催字〔2025〕{i + 1}号"
        record = {"formsmith": 1, "doc_no": doc_no, "doc_id": doc_id, "template": TEMPLATE,
                  "data": catalog.to_record(values)}
        identity = PdfIdentity(
            doc_no=doc_no, doc_id=doc_id, title=f"{tpl.title}（{doc_no}）", author=ws.company.name,
            subject=tpl.title, keywords=(f"formsmith:{doc_id}", doc_no, TEMPLATE),
            record_json=json.dumps(record, ensure_ascii=False).encode("utf-8"), created=created)
        context = {"data": values, "company": ws.company.as_dict(), "fonts": ws.fonts,
                   "doc": {"no": doc_no, "id": doc_id, "issued_on": values["as_of"],
                           "template": TEMPLATE, "title": tpl.title, "version": tpl.version}}
        jobs.append((context, identity, out_dir / f"{i + 1:06d}.pdf"))
    return tpl, jobs


def worker(args: tuple[str, int, int, str, int]) -> tuple[int, int]:
    """Render letters start..stop-1 in this process, `chunk` letters per Typst document (each
    cut into one PDF per letter, and the chunk's pages written as a print part, as in a dunning
    run); returns (letters, pages)."""
    from formsmith.render import typst as engine
    from formsmith.workspace import load_workspace
    home, start, stop, out_dir, chunk = args
    ws = load_workspace(Path(home))
    tpl, jobs = make_jobs(ws, start, stop, Path(out_dir))
    letters = pages = 0
    for k in range(0, len(jobs), chunk):
        done = engine.render_many(tpl, jobs[k:k + chunk], fonts=ws.fonts,
                                  combined=Path(out_dir) / f"print-{start + k:06d}.part.pdf")
        letters, pages = letters + len(done), pages + sum(r.pages for r in done)
    return letters, pages


def run_typst(home: Path, n: int, jobs: int, out_dir: Path, chunk: int) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    t0, cpu0 = time.perf_counter(), _cpu()
    if jobs == 1:
        letters, pages = worker((str(home), 0, n, str(out_dir), chunk))
    else:
        bounds = [(n * k // jobs, n * (k + 1) // jobs) for k in range(jobs)]
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            parts = pool.map(worker, [(str(home), a, b, str(out_dir), chunk) for a, b in bounds])
        letters, pages = sum(p[0] for p in parts), sum(p[1] for p in parts)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    files = sorted(out_dir.glob("0*.pdf"))
    return {"mode": f"typst render_many, {jobs} process{'es' if jobs > 1 else ''}, chunk {chunk}",
            "letters": letters, "pages": pages, "seconds": round(seconds, 2),
            "letters_per_s": round(letters / seconds, 1),
            "cpu_ms_per_letter": round(1000 * cpu / letters, 1),
            "peak_rss_mb": round(rss_self if jobs == 1 else rss_children, 0),
            "mb_on_disk": round(sum(f.stat().st_size for f in files) / 2 ** 20, 1)}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (all threads): a measure of the
    work done that background load does not inflate the way it inflates wall time."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_raw(script: Path, n: int) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(script), str(n)], stdout=subprocess.PIPE,
                            text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    out = proc.stdout.read().strip()
    if status != 0:
        raise SystemExit(f"raw baseline failed (status {status})")
    return {"mode": "raw WeasyPrint (1 process, 1 document)", "letters": n,
            "pages": n, "seconds": round(seconds, 2), "letters_per_s": round(float(out), 1),
            "cpu_ms_per_letter": round(1000 * (usage.ru_utime + usage.ru_stime) / n, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1000)
    ap.add_argument("--jobs", default="1,2", help="process counts to try, e.g. 1,2")
    ap.add_argument("--chunk", type=int, default=100, help="letters per Typst document")
    ap.add_argument("--no-raw", action="store_true", help="skip the raw WeasyPrint baseline")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="fs-typst-bench-") as tmp:
        home = Path(tmp) / "ws"
        init_workspace(home)
        log(f"load before: {os.getloadavg()[0]:.2f}")
        for jobs in (int(j) for j in args.jobs.split(",")):
            log(f"typst, {args.n} letters, {jobs} process(es) …")
            rows.append(run_typst(home, args.n, jobs, Path(tmp) / f"out-{jobs}", args.chunk))
        script = raw_script()
        if script and not args.no_raw:
            log(f"raw WeasyPrint baseline, {args.n} letters …")
            rows.append(run_raw(script, args.n))
        log(f"load after: {os.getloadavg()[0]:.2f}")
    raw = next((r for r in rows if r["mode"].startswith("raw")), None)
    for r in rows:
        r["ratio_vs_raw"] = round(r["letters_per_s"] / raw["letters_per_s"], 1) if raw else None
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    print(f"{'mode':52} {'letters':>7} {'pages':>6} {'s':>8} {'letters/s':>10} {'× raw':>6} "
          f"{'CPU ms/letter':>13} {'peak MB':>8}")
    for r in rows:
        ratio = "-" if r["ratio_vs_raw"] is None else f"{r['ratio_vs_raw']:.1f}"
        print(f"{r['mode']:52} {r['letters']:>7} {r['pages']:>6} {r['seconds']:>8.2f} "
              f"{r['letters_per_s']:>10.1f} {ratio:>6} {r['cpu_ms_per_letter']:>13.1f} "
              f"{r['peak_rss_mb']:>8.0f}")


if __name__ == "__main__":
    main()
