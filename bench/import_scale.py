"""Scale: import a 20,000-unit roster and 100,000 charges from real sheets, then time single-record commands.

Prints numbers only (no assertion). Baselines measured in the same run: openpyxl's bare read of
the same .xlsx (and csv.reader of the same .csv) in a fresh process, `formsmith --version`
(process start-up), and a bare json.load of the store file.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from formsmith import identity  # noqa: E402

FORMSMITH = str(Path(sys.executable).parent / "formsmith")
PY = sys.executable
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def roster(n_units: int, n_charges: int):
    """Deterministic units, owners and outstanding charges (n_charges spread over the units)."""
    units, owners, charges = [], [], []
    per_building = 2 * 30 * 4                      # 2 entrances × 30 floors × 4 rooms
    for i in range(n_units):
        b, rest = divmod(i, per_building)
        e, rest = divmod(rest, 120)
        f, r = divmod(rest, 4)
        uid = f"{b + 1}-{e + 1}-{f + 1}{r + 1:02d}"
        units.append([uid, "阳光花园", str(b + 1), str(e + 1), f"{f + 1}{r + 1:02d}", f + 1,
                      ("89.36", "98.56", "118.20", "132.75")[i % 4], "2.20", "已入住", "否"])
        birth = date(1950, 1, 1) + timedelta(days=i % 15000)      # unique (birth, seq) per owner
        owners.append([uid, "个人", SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)],
                       identity.make_resident_id("420102", birth, 10 * (i // 15000), "MF"[i % 2]),
                       f"13{i % 10}{i:08d}"[:11]])
    months = [(2024 + (m // 12), m % 12 + 1) for m in range(12 * 2)]
    per_unit = -(-n_charges // n_units)
    k = 0
    for i, u in enumerate(units):
        for j in range(per_unit):
            if k == n_charges:
                break
            y, m = months[j % len(months)]
            period = f"{y:04d}-{m:02d}"
            charges.append([u[0], "物业服务费", period, "196.59", f"{period}-28"])
            k += 1
    return units, owners, charges


HEADERS = {
    "units": ["房号", "小区", "楼栋", "单元", "房间", "楼层", "建筑面积", "收费标准", "房屋状态", "车位"],
    "owners": ["房号", "业主类型", "业主姓名", "身份证号", "联系电话"],
    "charges": ["房号", "收费项目", "所属期间", "金额", "到期日"],
}


def write_xlsx(path: Path, header, rows) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def write_csv(path: Path, header, rows) -> None:
    with open(path, "w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - t, p


def repeat(cmd: list[str], runs: int) -> dict:
    times = []
    for _ in range(runs):
        dt, p = timed(cmd)
        if p.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr}")
        times.append(dt)
    return {"median": statistics.median(times), "min": min(times)}


BARE_XLSX = ("import sys; from openpyxl import load_workbook; wb = load_workbook(sys.argv[1], read_only=True, "
             "data_only=True); n = sum(1 for _ in wb.active.iter_rows(values_only=True)); print(n)")
BARE_CSV = ("import sys, csv, io; t = open(sys.argv[1], 'rb').read().decode('gb18030'); "
            "print(sum(1 for _ in csv.reader(io.StringIO(t))))")
BARE_JSON = ("import sys, json, pathlib; [json.loads(p.read_bytes()) for p in pathlib.Path(sys.argv[1]).rglob('*.json')]")


def run_format(fmt: str, data: dict, folder: Path, runs: int) -> dict:
    home = folder / f"ws-{fmt}"
    subprocess.run([FORMSMITH, "init", str(home)], check=True, capture_output=True)
    out: dict = {"format": fmt, "write_s": {}, "import_s": {}, "bare_read_s": {}, "rows": {}}
    for kind in ("units", "owners", "charges"):
        path = folder / f"{kind}.{fmt}"
        t = time.perf_counter()
        (write_xlsx if fmt == "xlsx" else write_csv)(path, HEADERS[kind], data[kind])
        out["write_s"][kind] = time.perf_counter() - t
        out["rows"][kind] = len(data[kind])
        dt, p = timed([PY, "-c", BARE_XLSX if fmt == "xlsx" else BARE_CSV, str(path)])
        out["bare_read_s"][kind] = dt
        log(f"[{fmt}] {kind}: {len(data[kind])} rows written in {out['write_s'][kind]:.1f} s, "
            f"bare read {dt:.1f} s; importing …")
        dt, p = timed([FORMSMITH, "--home", str(home), "records", "import", kind, str(path), "--json"])
        if p.returncode != 0:
            raise SystemExit(f"import {kind} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        out["import_s"][kind] = dt
        log(f"[{fmt}] {kind}: import {dt:.1f} s")
    store = home / "records"
    files = [p for p in store.rglob("*") if p.is_file()]
    out["store_mb"] = sum(p.stat().st_size for p in files) / 1e6
    out["store_files"] = len(files)
    unit = data["units"][len(data["units"]) // 2][0]
    single = {}
    single["formsmith --version (start-up baseline)"] = repeat([FORMSMITH, "--version"], runs)
    single["bare json.load of every store file (baseline)"] = repeat([PY, "-c", BARE_JSON, str(store)], runs)
    single[f"records show {unit}"] = repeat([FORMSMITH, "--home", str(home), "records", "show", unit], runs)
    dt, p = timed([FORMSMITH, "--home", str(home), "render", "dunning-letter", "--unit", unit,
                   "--as-of", "2026-06-01", "--json"])
    if p.returncode != 0:
        raise SystemExit(f"render failed:\n{p.stderr}")
    single["render dunning-letter --unit (1 letter)"] = {"median": dt, "min": dt}
    doc_no = json.loads(p.stdout)["doc_no"]
    single["docs show DOC"] = repeat([FORMSMITH, "--home", str(home), "docs", "show", doc_no], runs)
    single["docs mark DOC printed"] = {"median": timed([FORMSMITH, "--home", str(home), "docs", "mark",
                                                        doc_no, "printed"])[0]}
    single["docs mark DOC printed"]["min"] = single["docs mark DOC printed"]["median"]
    single["records arrears --min-months 3"] = repeat(
        [FORMSMITH, "--home", str(home), "records", "arrears", "--as-of", "2026-06-01", "--min-months", "3",
         "--json"], 1)
    dt, p = timed([FORMSMITH, "--home", str(home), "records", "import", "charges",
                   str(folder / f"charges.{fmt}"), "--json"])
    out["reimport_charges_s"] = dt
    out["reimport_changed"] = json.loads(p.stdout)["counts"] if p.returncode == 0 else p.stderr[-500:]
    out["single"] = single
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--units", type=int, default=20000)
    ap.add_argument("--charges", type=int, default=100000)
    ap.add_argument("--formats", default="xlsx,csv", help="xlsx, csv or both (default xlsx,csv)")
    ap.add_argument("--runs", type=int, default=3, help="repeats of each single-record command")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fs-import-bench-"))
    load = os.getloadavg()
    t = time.perf_counter()
    units, owners, charges = roster(args.units, args.charges)
    gen = time.perf_counter() - t
    data = {"units": units, "owners": owners, "charges": charges}
    results = {"units": args.units, "charges": args.charges, "generate_rows_s": gen, "formats": []}
    try:
        for fmt in args.formats.split(","):
            results["formats"].append(run_format(fmt.strip(), data, folder, args.runs))
    finally:
        if args.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    results["loadavg_before"], results["loadavg_after"] = load, os.getloadavg()
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    print(f"import scale: {args.units} units, {args.charges} charges "
          f"(load avg before {load[0]:.2f}, after {results['loadavg_after'][0]:.2f})")
    for r in results["formats"]:
        print(f"\n[{r['format']}]  store after import: {r['store_mb']:.1f} MB in {r['store_files']} files")
        print(f"  {'kind':<8} {'rows':>7} {'write file':>11} {'bare read':>10} {'records import':>15} {'ratio':>6}")
        for kind in ("units", "owners", "charges"):
            ratio = r["import_s"][kind] / r["bare_read_s"][kind]
            print(f"  {kind:<8} {r['rows'][kind]:>7} {r['write_s'][kind]:>10.1f}s {r['bare_read_s'][kind]:>9.1f}s "
                  f"{r['import_s'][kind]:>14.1f}s {ratio:>6.1f}")
        print(f"  re-import of charges (nothing changes): {r['reimport_charges_s']:.1f} s {r['reimport_changed']}")
        print("  single-record commands (whole command, median / min):")
        for name, v in r["single"].items():
            print(f"    {name:<45} {v['median']:6.2f} s / {v['min']:.2f} s")


if __name__ == "__main__":
    main()
