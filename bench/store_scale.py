"""Five years of records: 20,000 units and ~250,000 documents; how fast do single-record commands answer?

Builds a workspace through the store's own API (no rendering: the document rows look like
issued ones, with their record and events), then times whole `formsmith` commands as a clerk
runs them: show one document, mark one, list one unit's documents, show one unit. Baselines
measured in the same run: the bare command start (`formsmith --help`) and what the same store
would cost as one JSON file (formsmith 0.1's layout: parse it all for every command).

Usage: python bench/store_scale.py [--units 20000] [--docs 250000] [--repeat 5] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formsmith.store import Store  # noqa: E402
from formsmith.workspace import init_workspace  # noqa: E402

FORMSMITH = str(Path(sys.executable).parent / "formsmith")
TEMPLATES = ("payment-notice", "dunning-letter", "legal-notice", "satisfaction-survey", "fee-receipt")


def unit_ids(n: int) -> list[str]:
    ids = []
    b = 0
    while len(ids) < n:
        b += 1
        for e in (1, 2, 3, 4):
            for floor in range(1, 26):
                for r in (1, 2):
                    ids.append(f"{b}-{e}-{floor}{r:02d}")
    return ids[:n]


def build(home: Path, n_units: int, n_docs: int) -> dict:
    rng = random.Random(7)
    ws, _ = init_workspace(home)
    store = Store(ws.records_dir)
    units = unit_ids(n_units)
    t0 = time.perf_counter()
    with store.transaction() as tx:
        tx.insert_many("parties", [{"id": f"P{i:05d}", "kind": "individual", "name": f"业主{i}",
                                    "id_number": "11010519491231002X", "phone": "13800138000"}
                                   for i in range(n_units)])
        tx.insert_many("units", [{"id": u, "community": "阳光花园", "building": u.split("-")[0],
                                  "entrance": u.split("-")[1], "room": u.split("-")[2],
                                  "area": "89.50", "status": "occupied", "owner": f"P{i:05d}"}
                                 for i, u in enumerate(units)])
    per_year = n_docs // 5
    seq = 0
    for year in range(2021, 2026):
        rows = []
        for i in range(per_year):
            seq += 1
            unit = rng.choice(units)
            month = rng.randint(1, 12)
            doc_id = f"{seq:016X}"
            rows.append({
                "id": doc_id, "doc_id": doc_id, "doc_no": f"物催字〔{year}〕{i + 1}号",
                "series": "物催字〔{year}〕{seq}号", "year": year, "seq": i + 1,
                "template": rng.choice(TEMPLATES), "template_version": "1", "title": "物业服务费催缴函",
                "unit": unit, "period": f"{year}-{month:02d}", "state": "generated",
                "sha256": "0" * 64, "path": f"output/x/{year}/{i + 1}.pdf", "pages": 1,
                "issued_on": f"{year}-{month:02d}-05", "created_at": f"{year}-{month:02d}-05T09:00:00+08:00",
                "record": {"unit": unit, "owner_name": "业主", "items": [
                    {"period": f"{year}-{m:02d}", "item": "物业服务费", "amount": "205.75"}
                    for m in range(1, rng.randint(2, 12))], "total": "1234.50"},
                "versions": [], "events": [{"state": "generated", "at": f"{year}-{month:02d}-05T09:00:00+08:00",
                                            "by": "王丽", "note": f"unit {unit}"}],
            })
        with store.transaction() as tx:
            tx.insert_many("documents", rows)
        with store.transaction() as tx:
            tx.set_meta(f"counter:物催字〔{{year}}〕{{seq}}号:{year}", per_year)
    return {"build_s": time.perf_counter() - t0, "units": units, "last_doc": rows[-1]}


def timed(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr}")
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=20_000)
    ap.add_argument("--docs", type=int, default=250_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fs-scale-"))
    home = args.keep or tmp / "ws"
    try:
        info = build(home, args.units, args.docs)
        records = home / "records"
        size = sum(p.stat().st_size for p in records.rglob("*.json"))
        print(f"built {args.units} units, {args.docs} documents in {info['build_s']:.1f} s; "
              f"store {size / 2**20:.0f} MiB in {sum(1 for _ in records.rglob('*.json'))} files")
        # baseline: the same rows as one JSON file, parsed whole (formsmith 0.1, every command)
        blob = tmp / "one-file.json"
        with Store(records).snapshot() as view:
            whole = {t: view.all(t) for t in ("units", "parties", "documents")}
        blob.write_text(json.dumps(whole, ensure_ascii=False), encoding="utf-8")
        del whole
        t0 = time.perf_counter()
        json.loads(blob.read_bytes())
        one_file_s = time.perf_counter() - t0
        doc_no, unit = info["last_doc"]["doc_no"], info["last_doc"]["unit"]
        h = ["--home", str(home)]
        rows = [
            ("bare command start (formsmith --help)", [FORMSMITH, "--help"]),
            ("docs show DOC_NO", [FORMSMITH, *h, "docs", "show", doc_no]),
            ("docs mark DOC_NO printed", None),
            ("docs list --unit UNIT", [FORMSMITH, *h, "docs", "list", "--unit", unit]),
            ("records show UNIT", [FORMSMITH, *h, "records", "show", unit]),
        ]
        print(f"\n{'whole command, median of ' + str(args.repeat):<44} seconds")
        for label, argv in rows:
            if argv is None:  # marking changes state: walk one document per repetition
                docs = [f"物催字〔2025〕{i}号" for i in range(1, args.repeat + 1)]
                ts = []
                for d in docs:
                    t0 = time.perf_counter()
                    subprocess.run([FORMSMITH, *h, "docs", "mark", d, "printed"], check=True,
                                   capture_output=True)
                    ts.append(time.perf_counter() - t0)
                print(f"{label:<44} {statistics.median(ts):.3f}")
                continue
            print(f"{label:<44} {timed(argv, args.repeat):.3f}")
        print(f"{'baseline: parse the same store as one file':<44} {one_file_s:.3f}  "
              f"({blob.stat().st_size / 2**20:.0f} MiB; formsmith 0.1 did this per command)")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
