"""Benchmark of the month-end dunning run: N letters per engine and job count, against raw WeasyPrint.

Prints numbers only; asserts nothing. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from formsmith import catalog, demo  # noqa: E402
from formsmith.workspace import init_workspace  # noqa: E402

FORMSMITH = str(Path(sys.executable).parent / "formsmith")
AS_OF = "2025-12-01"


def raw_script() -> Path | None:
    for cand in (REPO.parent / "shared/bench/raw_weasyprint.py", REPO.parents[1] / "shared/bench/raw_weasyprint.py", Path(os.environ.get("RAW_BENCH", "/nonexistent"))):
        if cand.is_file():
            return cand
    return None


def seed(home: Path, n: int) -> None:
    """A community of `n` units, each owing the six months 2025-06..11 of one fee (one-page
    letters, as the raw baseline's letter has six month rows)."""
    ws, _ = init_workspace(home)
    rng = random.Random(7)
    units, parties, charges = [], [], []
    for i in range(n):
        b, e, floor, room = i // 400 + 1, (i // 200) % 2 + 1, (i // 2) % 100 + 1, i % 2 + 1
        uid = f"{b}-{e}-{floor}{room:02d}"
        pid = f"P{i + 1:05d}"
        parties.append({"id": pid, "kind": "individual",
                        "name": rng.choice(demo.SURNAMES) + rng.choice(demo.GIVEN),
                        "phone": "13" + "".join(rng.choice("0123456789") for _ in range(9))})
        area = rng.choice(demo.AREAS)
        units.append({"id": uid, "community": "阳光花园", "building": str(b), "entrance": str(e),
                      "room": f"{floor}{room:02d}", "floor": floor, "area": area,
                      "fee_rate": "2.20", "status": "occupied", "owner": pid, "parking": False})
        for m in range(6, 12):
            due = demo.month_end(2025, m).isoformat()
            charges.append({"id": f"C{uid}-2025-{m:02d}-FEE", "unit": uid, "item": "物业服务费",
                            "period": f"2025-{m:02d}", "amount": "205.75", "due": due, "paid_on": None})
    with ws.store.transaction() as tx:
        tx.insert_many("parties", parties)
        tx.insert_many("units", units)
        tx.insert_many("charges", charges)
    with ws.store.snapshot() as view:  # the store opens it as usual
        assert view.count("units") == len(units)


RAW_LETTER_HTML = """<html lang="zh-CN"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 25mm 20mm; }
body { font-family: "Noto Serif CJK SC", serif; font-size: 12pt; line-height: 1.7 }
td, th { border: 1px solid #000; padding: 4px } table { border-collapse: collapse; width: 100% }
</style></head><body><h1>物业管理费催缴函</h1>
<p>编号：{{ doc.no }}</p><p>尊敬的{{ data.owner_name }}业主：</p>
<p>您位于{{ data.unit_address }}的房屋尚欠物业管理费共计人民币{{ data.total | money }}元，明细如下：</p>
<table><tr><th>月份</th><th>金额</th></tr>{% for i in data["items"] %}<tr><td>{{ i.period | cn_month }}</td>
<td>{{ i.amount | money }}</td></tr>{% endfor %}</table>
<p>请您于收到本函之日起十五日内到客户服务中心缴纳。逾期仍未缴纳的，我司将依法通过法律途径追缴。</p>
<p style="text-align:right">{{ company.name }}（盖章）<br>{{ data.as_of | cn_date }}</p></body></html>
"""


def use_raw_letter(home: Path) -> None:
    """Like for like: the stage-1 template of this workspace becomes the raw baseline's letter
    (same text, table and styles; same data contract), so the run measures formsmith's
    pipeline — numbers, QR per page, per-letter PDF/A, store, print file — on the same layout
    work as the baseline."""
    folder = home / "templates" / "payment-notice"
    shutil.copytree(REPO / "templates" / "payment-notice", folder)
    (folder / "template.typ").unlink(missing_ok=True)
    (folder / "template.html").write_text(RAW_LETTER_HTML, encoding="utf-8")
    manifest = (folder / "manifest.toml").read_text(encoding="utf-8")
    start = manifest.find("[[signature_fields]]")
    if start >= 0:   # the raw letter has no seal area to anchor a field on
        end = manifest.find("\n[fields.", start)
        manifest = manifest[:start] + manifest[end + 1:]
    (folder / "manifest.toml").write_text(manifest, encoding="utf-8")


def tree_rss_kb(root: int) -> int:
    """Memory of a process and all its descendants (from /proc), in KiB: the proportional set
    size (Pss: shared pages split between the processes sharing them) where the kernel gives
    it, else VmRSS."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
            try:
                with open(f"/proc/{pid}/{name}") as fh:
                    kb = next((int(line.split()[1]) for line in fh if line.startswith(key)), None)
            except OSError:
                kb = None
            if kb is not None:
                total += kb
                break
    return total


def measure(cmd: list[str]) -> dict:
    """Run `cmd`; wall time, its stdout, the largest process's peak RSS (wait4) and the peak of
    the whole process tree's RSS, sampled every second (reading Pss walks the process's page
    tables: sampled every 0.2 s, the 6 GB raw baseline at 10,000 letters ran ~40% slower)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss_kb(proc.pid))
            stop.wait(1.0)
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    # ru_maxrss of a reaped child covers it and its reaped descendants (the largest of them).
    import resource
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()[-2000:]}")
    return {"wall": wall, "stdout": out.decode(), "tree_peak_mb": peak[0] / 1024, "children_maxrss_mb": maxrss / 1024}


def overhead(t: dict) -> dict:
    """formsmith's own time (store, numbers, QR and page furniture, cutting per-letter files,
    print file and lists) against the engine's (template filling, layout, PDF writing, and
    collecting the layout's garbage once per chunk: the run does in one pass what Python's
    collector would otherwise do many times over during the layout)."""
    engine = sum(t.get(f"worker.{k}", 0) for k in ("fill", "layout", "write", "gc"))
    inner = sum(t.get(f"worker.{k}", 0) for k in ("fill", "furniture", "layout", "write", "split", "gc"))
    parts = {
        "select+prepare": t.get("select", 0),
        "reserve numbers": sum(v for k, v in t.items() if k.startswith("reserve")),
        "record (store)": t.get("record", 0),
        "QR + page furniture": t.get("worker.furniture", 0),
        "cut per-letter PDF/A + print pages": t.get("worker.split", 0),
        "sha256 + fields": max(0.0, t.get("worker.chunk", 0) - inner),
        "print file + lists": sum(v for k, v in t.items() if k.startswith("outputs") and "." not in k),
    }
    own = sum(parts.values())
    return {"render_s": engine, "gc_s": t.get("worker.gc", 0), "own_s": own,
            "share": own / engine if engine else None, "parts": parts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--letters", type=int, default=10_000)
    ap.add_argument("--jobs", default="1,2", help="job counts to run, e.g. 1,2")
    ap.add_argument("--engines", default="html,typst", help="engines to run, e.g. html,typst")
    ap.add_argument("--raw-letters", type=int, default=0,
                    help="letters for the raw baseline (default: same as --letters)")
    ap.add_argument("--like-raw", action="store_true",
                    help="also run the html engine on the raw baseline's letter (like for like)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    n = a.letters
    tmp = Path(tempfile.mkdtemp(prefix="fs-dunning-bench-"))
    log = lambda *m: print(*m, file=sys.stderr, flush=True)  # noqa: E731
    report: dict = {"letters": n, "load_before": os.getloadavg(), "runs": []}
    try:
        t = time.perf_counter()
        seeded = tmp / "seed"
        seed(seeded, n)
        report["seed_s"] = time.perf_counter() - t
        log(f"seeded {n} units in {report['seed_s']:.1f} s")
        raw = raw_script()
        if raw:
            rn = a.raw_letters or n
            log(f"raw baseline: {rn} letters …")
            m = measure([sys.executable, str(raw), str(rn)])
            report["raw"] = {"letters": rn, "letters_per_s": float(m["stdout"].strip().splitlines()[-1]),
                             "wall": m["wall"], "tree_peak_mb": m["tree_peak_mb"]}
        variants = [(e, False) for e in a.engines.split(",")]
        if a.like_raw:
            variants.append(("html", True))
        for engine, like_raw in variants:
            if engine not in catalog.ENGINES:
                log(f"engine {engine}: not available in this formsmith (engines: {', '.join(catalog.ENGINES)})")
                report["runs"].append({"engine": engine, "available": False})
                continue
            for jobs in (int(j) for j in a.jobs.split(",")):
                home = tmp / f"{engine}-{jobs}{'-raw-letter' if like_raw else ''}"
                shutil.copytree(seeded, home)
                if like_raw:
                    use_raw_letter(home)
                label = engine + (" (the raw baseline's letter)" if like_raw else "")
                log(f"{label}, {jobs} job(s): {n} letters …")
                m = measure([FORMSMITH, "--home", str(home), "dunning", "run", "--as-of", AS_OF,
                             "--stage", "1", "--jobs", str(jobs), "--engine", engine, "--json"])
                out = json.loads(m["stdout"])
                assert len(out["issued"]) == n, (len(out["issued"]), n)
                run = {"engine": engine, "letter": "raw" if like_raw else "formsmith", "jobs": jobs, "wall": m["wall"], "letters_per_s": n / m["wall"],
                       "tree_peak_mb": m["tree_peak_mb"], "timings": out["timings"],
                       "overhead": overhead(out["timings"]),
                       "print_file_mb": os.path.getsize(out["print_files"][0]) / 2**20}
                if "raw" in report:
                    run["vs_raw"] = run["letters_per_s"] / report["raw"]["letters_per_s"]
                report["runs"].append(run)
                if not a.keep:
                    shutil.rmtree(home, ignore_errors=True)
        report["load_after"] = os.getloadavg()
    finally:
        if a.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    print(f"letters: {n}   load before/after: {report['load_before'][0]:.2f} / {report.get('load_after', [0])[0]:.2f}")
    if "raw" in report:
        r = report["raw"]
        print(f"raw WeasyPrint, 1 process, {r['letters']} letters: {r['letters_per_s']:.2f} letters/s   "
              f"wall {r['wall']:.1f} s   peak memory {r['tree_peak_mb']:.0f} MB")
    for r in report["runs"]:
        if not r.get("engine") or r.get("available") is False:
            print(f"{r['engine']}: not available")
            continue
        o = r["overhead"]
        what = r["engine"] + (" on the raw letter" if r.get("letter") == "raw" else "")
        print(f"formsmith {what} --jobs {r['jobs']}: {r['letters_per_s']:.2f} letters/s"
              f" ({r.get('vs_raw', float('nan')):.2f}× raw)   wall {r['wall']:.1f} s   "
              f"peak memory (process tree, Pss) {r['tree_peak_mb']:.0f} MB   print file {r['print_file_mb']:.1f} MB")
        print(f"    own overhead {o['own_s']:.1f} s = {100 * (o['share'] or 0):.1f}% of engine time "
              f"{o['render_s']:.1f} s (of which garbage collection {o['gc_s']:.1f} s): "
              + ", ".join(f"{k} {v:.1f}" for k, v in o["parts"].items()))


if __name__ == "__main__":
    main()
