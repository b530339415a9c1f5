"""Latency of issuing one dunning letter, compared with raw WeasyPrint in the same run.

Usage:  .venv/bin/python bench/render_latency.py [--runs N] [--letters N] [--json] [--keep]

Measures, all against a fresh temporary demo workspace (`formsmith init --demo`):

1. `formsmith init --demo DIR` once (seeds the store and issues three letters).
2. The whole command `formsmith --home DIR render dunning-letter --unit U --as-of 2025-12-01
   --again --json`, R times as subprocesses: wall seconds per letter, pages, peak RSS.
3. `formsmith.issuing.issue_document(...)` in this process: the first call (cold: fonts,
   templates, QR code machinery loaded) and then R warm calls; seconds per letter and peak RSS.
4. The baseline `raw_weasyprint.py` (../shared/bench): `raw_weasyprint.py 1` R times as a whole
   process (like the CLI), and `raw_weasyprint.py N` once for throughput.

This only prints numbers; it asserts nothing about speed. The machine is expected to be small
and noisy, so every repeated measure reports median and min, and the CLI and raw single-letter
runs are interleaved so that background load hits both sides alike.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

AS_OF = "2025-12-01"
TEMPLATE = "dunning-letter"
TIMEOUT_S = 900
RAW_OUT = Path("/tmp/rawbench.pdf")  # where raw_weasyprint.py writes its PDF
RAW_TABLE_ROWS = 6                   # lines in the arrears table of the raw baseline letter


def log(msg: str) -> None:
    """Progress goes to stderr so that --json keeps stdout clean."""
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- running and timing processes

class Run:
    """One finished subprocess: wall seconds, exit code, output, peak RSS (KiB)."""

    def __init__(self, cmd: list[str], wall: float, rc: int, out: str, err: str, maxrss_kib: int):
        self.cmd, self.wall, self.rc, self.out, self.err, self.maxrss_kib = cmd, wall, rc, out, err, maxrss_kib

    def check(self) -> "Run":
        if self.rc != 0:
            raise SystemExit(f"command failed (exit {self.rc}): {' '.join(self.cmd)}\n{self.err.strip()}")
        return self


def run(cmd: list[str], timeout: float = TIMEOUT_S) -> Run:
    """Run `cmd`, timing it wall-clock from spawn to reap; per-child peak RSS via os.wait4.

    Output goes to temporary files (no pipes to drain while waiting), and the child is reaped
    with os.wait4 so that its own resource usage is available, not the running maximum over
    every child that RUSAGE_CHILDREN would give.
    """
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fout, stderr=ferr, stdin=subprocess.DEVNULL)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting
        fout.seek(0)
        ferr.seek(0)
        out = fout.read().decode("utf-8", "replace")
        err = ferr.read().decode("utf-8", "replace")
    return Run(cmd, wall, proc.returncode, out, err, usage.ru_maxrss)


def stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median": None, "min": None, "max": None}
    return {"n": len(values), "median": statistics.median(values), "min": min(values), "max": max(values)}


# ---------------------------------------------------------------- locating things

def formsmith_command() -> list[str]:
    """The `formsmith` entry point of the interpreter running this script (the project venv)."""
    beside = Path(sys.executable).parent / "formsmith"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("formsmith")
    if found:
        return [found]
    return [sys.executable, "-m", "formsmith.cli"]


def raw_bench_path() -> Path | None:
    """../shared/bench/raw_weasyprint.py relative to the repository, else $RAW_BENCH."""
    candidates = [Path(__file__).resolve().parents[2] / "shared/bench/raw_weasyprint.py"]
    if os.environ.get("RAW_BENCH"):
        candidates.append(Path(os.environ["RAW_BENCH"]).expanduser())
    for path in candidates:
        if path.is_file():
            return path.resolve()
    return None


def overdue_units(fs: list[str], home: Path, exclude: set[str]) -> list[str]:
    """Units with charges unpaid and due before AS_OF, minus `exclude`.

    Ordered by how close their number of unpaid charge lines is to the raw baseline letter's
    table (RAW_TABLE_ROWS), so both sides render letters of about the same size: one page each.
    (Demo units with long arrears plus parking fees get two-page letters.)
    """
    charges = json.loads(run(fs + ["--home", str(home), "records", "list", "charges", "--json"]).check().out)
    rows: dict[str, int] = {}
    for c in charges:
        if not c.get("paid_on") and c["due"] < AS_OF and c["unit"] not in exclude:
            rows[c["unit"]] = rows.get(c["unit"], 0) + 1
    order = {u: i for i, u in enumerate(rows)}
    return sorted(rows, key=lambda u: (abs(rows[u] - RAW_TABLE_ROWS), order[u]))


def pdf_pages(path: Path) -> int | None:
    try:
        from pypdf import PdfReader
        return len(PdfReader(str(path)).pages)
    except Exception:  # the count is informative only
        return None


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version
    out = {"python": platform.python_version(), "implementation": platform.python_implementation()}
    for pkg in ("formsmith", "weasyprint", "pydyf", "fonttools", "jinja2", "segno"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


# ---------------------------------------------------------------- the measures

def bench_cli_and_raw(fs: list[str], home: Path, units: list[str], runs: int,
                      raw: Path | None) -> tuple[dict, dict | None]:
    """The whole `formsmith render` command and `raw_weasyprint.py 1`, interleaved, `runs` times each.

    One untimed warm-up of each comes first, so both sides start with a warm page cache.
    """
    def cli_cmd(unit: str) -> list[str]:
        return fs + ["--home", str(home), "render", TEMPLATE, "--unit", unit, "--as-of", AS_OF,
                     "--again", "--json"]

    raw_cmd = [sys.executable, str(raw), "1"] if raw else None
    log("warm-up: one untimed run of each command")
    run(cli_cmd(units[0])).check()
    if raw_cmd:
        run(raw_cmd).check()

    cli_walls, cli_rss, pages, raw_walls, raw_inner, raw_rss = [], [], [], [], [], []
    raw_pages = None
    for i in range(runs):
        unit = units[(i + 1) % len(units)]
        r = run(cli_cmd(unit)).check()
        doc = json.loads(r.out)
        cli_walls.append(r.wall)
        cli_rss.append(r.maxrss_kib)
        pages.append(doc["pages"])
        msg = f"run {i + 1}/{runs}: formsmith render {unit}: {r.wall:.3f} s, {doc['pages']} page(s)"
        if raw_cmd:
            rr = run(raw_cmd).check()
            raw_walls.append(rr.wall)
            raw_rss.append(rr.maxrss_kib)
            raw_inner.append(1.0 / float(rr.out.strip().splitlines()[-1]))  # it prints letters/s
            raw_pages = pdf_pages(RAW_OUT) if raw_pages is None else raw_pages
            msg += f"; raw 1: {rr.wall:.3f} s"
        log(msg)
    cli = {"wall_s": stats(cli_walls), "pages": sorted(set(pages)),
           "peak_rss_mib": stats([k / 1024 for k in cli_rss])}
    if not raw_cmd:
        return cli, None
    raw_single = {"wall_s": stats(raw_walls), "in_process_s": stats(raw_inner),
                  "pages": raw_pages, "peak_rss_mib": stats([k / 1024 for k in raw_rss])}
    return cli, raw_single


def bench_raw_throughput(raw: Path, letters: int) -> dict:
    log(f"raw baseline: {letters} letters in one process")
    r = run([sys.executable, str(raw), str(letters)]).check()
    rate = float(r.out.strip().splitlines()[-1])
    return {"letters": letters, "letters_per_s": rate, "per_letter_s": 1.0 / rate,
            "wall_s": r.wall, "pages": pdf_pages(RAW_OUT), "peak_rss_mib": r.maxrss_kib / 1024}


def bench_in_process(home: Path, units: list[str], runs: int) -> dict:
    """issue_document() in this process: one cold call, then `runs` warm calls.

    Imports (formsmith and the lazily imported WeasyPrint engine) are timed apart, so that the
    cold call is comparable with the time raw_weasyprint.py reports (which excludes its imports).
    """
    log(f"in-process: issue_document, 1 cold + {runs} warm")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    from formsmith.issuing import issue_document
    from formsmith.render import engine_for
    from formsmith.workspace import find_workspace
    engine_for("html")  # the engine (WeasyPrint) is imported lazily: count it as import, not cold
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ws = find_workspace(home)
    load_s = time.perf_counter() - t0
    as_of = date.fromisoformat(AS_OF)

    times, pages = [], []
    for i in range(runs + 1):
        unit = units[i % len(units)]
        t0 = time.perf_counter()
        doc = issue_document(ws, TEMPLATE, unit=unit, as_of=as_of, again=True)
        times.append(time.perf_counter() - t0)
        pages.append(doc.pages)
        log(f"  {'cold' if i == 0 else 'warm'} {unit}: {times[-1]:.3f} s, {doc.pages} page(s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    warm = stats(times[1:])
    return {"import_s": import_s, "workspace_load_s": load_s, "cold_s": times[0], "warm_s": warm,
            "warm_letters_per_s": 1.0 / warm["median"] if warm["median"] else None,
            "pages": sorted(set(pages)), "peak_rss_mib": peak / 1024,
            "peak_rss_before_mib": rss_before / 1024}


# ---------------------------------------------------------------- report

def fmt(v: float | None, unit: str = "s") -> str:
    if v is None:
        return "-"
    if unit == "s":
        return f"{v:.3f} s"
    if unit == "MiB":
        return f"{v:.0f} MiB"
    return f"{v:.2f} {unit}"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def table(res: dict) -> str:
    cli, ip = res["cli"], res["in_process"]
    rs, rt = res.get("raw_single") or {}, res.get("raw_throughput") or {}
    g = lambda d, *ks: _dig(d, ks)  # noqa: E731
    rows = [
        ("whole command, 1 letter, median", g(cli, "wall_s", "median"), g(rs, "wall_s", "median"), "s"),
        ("whole command, 1 letter, min", g(cli, "wall_s", "min"), g(rs, "wall_s", "min"), "s"),
        ("in-process 1st letter (cold)", ip["cold_s"], g(rs, "in_process_s", "median"), "s"),
        ("in-process per letter (warm), median", g(ip, "warm_s", "median"), rt.get("per_letter_s"), "s"),
        ("in-process per letter (warm), min", g(ip, "warm_s", "min"), rt.get("per_letter_s"), "s"),
        ("throughput, letters/s", ip["warm_letters_per_s"], rt.get("letters_per_s"), "/s"),
        ("peak RSS, whole command (median)", g(cli, "peak_rss_mib", "median"), g(rs, "peak_rss_mib", "median"), "MiB"),
        ("peak RSS, in-process / raw N", ip["peak_rss_mib"], rt.get("peak_rss_mib"), "MiB"),
    ]
    head = ("measure", "formsmith", "raw baseline", "ratio")
    body = [(m, fmt(a, u), fmt(b, u), ratio(a, b)) for m, a, b, u in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(4)]
    line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    out = [line(head), line(tuple("-" * w for w in widths)), *map(line, body)]
    return "\n".join(out)


def _dig(d: dict, keys: tuple) -> float | None:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def report(res: dict) -> str:
    v, cli, ip = res["versions"], res["cli"], res["in_process"]
    lines = [
        f"formsmith render latency — {res['runs']} run(s) of each, median and min (ratio = formsmith / raw)",
        f"python {v['python']}, weasyprint {v['weasyprint']}, pydyf {v['pydyf']}, formsmith {v['formsmith']}; "
        f"{res['machine']['cpus']} CPUs, load avg {res['machine']['loadavg_before']} -> {res['machine']['loadavg_after']}",
        f"init --demo (seed + 3 letters): {res['init_s']:.3f} s",
        f"formsmith pages per letter: {cli['pages']} (CLI), {ip['pages']} (in-process); "
        f"in-process import {ip['import_s']:.3f} s, workspace load {ip['workspace_load_s']:.3f} s",
    ]
    if res.get("raw_bench"):
        rs, rt = res["raw_single"], res["raw_throughput"]
        lines.append(f"raw baseline {res['raw_bench']}: pages for 1 letter {rs['pages']}, "
                     f"for {rt['letters']} letters {rt['pages']} (wall {rt['wall_s']:.3f} s)")
    else:
        lines.append(f"raw baseline: NOT FOUND ({res['raw_missing']}); its columns are skipped")
    lines += ["", table(res), "",
              "Notes: in-process times exclude imports on both sides (formsmith's cold call still "
              "loads the workspace",
              "catalog, templates and fonts); raw 'cold' is the time raw_weasyprint.py 1 reports for "
              "itself, after its imports;",
              "raw warm per letter is 1 / its N-letter throughput (all letters in one HTML, one PDF), "
              "while formsmith",
              "issues one numbered PDF/A-3b per letter with its record attached, fsynced and stored."]
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="repetitions of each latency measure (default 7)")
    ap.add_argument("--letters", type=int, default=50, help="letters for the raw throughput run (default 50)")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a table")
    ap.add_argument("--keep", action="store_true", help="keep the temporary workspace and say where")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.letters < 1:
        ap.error("--runs and --letters must be at least 1")

    fs = formsmith_command()
    raw = raw_bench_path()
    res: dict = {"runs": args.runs, "versions": versions(),
                 "machine": {"cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in os.getloadavg()]},
                 "raw_bench": str(raw) if raw else None}
    if raw is None:
        res["raw_missing"] = (f"{Path(__file__).resolve().parents[2] / 'shared/bench/raw_weasyprint.py'}"
                              " and $RAW_BENCH")
        log(f"raw baseline not found ({res['raw_missing']}): skipping it")

    tmp = tempfile.mkdtemp(prefix="formsmith-bench-")
    home = Path(tmp) / "ws"
    try:
        log(f"formsmith init --demo {home}")
        r = run(fs + ["init", "--demo", str(home), "--json"]).check()
        res["init_s"] = r.wall
        showcase = {d["unit"] for d in json.loads(r.out)["issued"]}
        units = overdue_units(fs, home, exclude=showcase)
        if not units:
            units = sorted(showcase)
        n = args.runs + 1  # each part needs a warm-up/cold letter plus `runs` letters
        cli_units, ip_units = units[:n], (units[n:2 * n] or units[:n])

        res["cli"], res["raw_single"] = bench_cli_and_raw(fs, home, cli_units, args.runs, raw)
        if raw:
            res["raw_throughput"] = bench_raw_throughput(raw, args.letters)
        res["in_process"] = bench_in_process(home, ip_units, args.runs)
        res["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if args.keep:
            log(f"workspace kept: {home}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(json.dumps(res, indent=2, ensure_ascii=False) if args.json else report(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
