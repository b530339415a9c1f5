"""Cost of signature fields, sealing and signature checking, against rendering the letter in the same run.

Usage:  .venv/bin/python bench/signing.py [--runs N] [--json]

In a fresh temporary demo workspace with a test certificate, for one dunning letter:
  render     the baseline: the HTML engine writing the PDF/A (what issuing costs anyway)
  fields     adding the template's empty signature fields to that PDF (incremental update)
  seal       `signing.seal_document` on a freshly issued letter (PAdES B-B, visible seal)
  verify     `verify_file` on an issued letter (hash + fields, no signature) and on a sealed one
             (hash + pyHanko validation with difference analysis)
Each is measured N times (default 5); median and min are printed, with the ratio to render.
It prints numbers only and asserts nothing.
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
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formsmith import certs, issuing, signing  # noqa: E402
from formsmith.render import PdfIdentity, engine_for  # noqa: E402
from formsmith.verify import verify_file  # noqa: E402
from formsmith.workspace import load_workspace  # noqa: E402


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fs-bench-sign-"))
    try:
        home = tmp / "ws"
        exe = Path(sys.executable).parent / "formsmith"
        subprocess.run([str(exe), "init", "--demo", str(home)], check=True, capture_output=True)
        os.environ["FORMSMITH_SEAL_PASSWORD"] = "bench-only-password"
        ws = load_workspace(home)
        certs.make_test_certificate(ws.company.name, home / "certs" / "bench.p12",
                                    os.environ["FORMSMITH_SEAL_PASSWORD"])
        certs.configure_if_unset(ws, home / "certs" / "bench.p12", "FORMSMITH_SEAL_PASSWORD")
        tpl = ws.catalog.get("dunning-letter")
        values = issuing.prepare(ws, tpl.id, data=tpl.example, as_of=date(2025, 12, 1))[1]
        engine = engine_for(tpl.engine)
        identity = PdfIdentity(doc_no="物催字〔2025〕99号", doc_id="BENCH0000000000A", title="bench",
                               author=ws.company.name, subject="bench", keywords=("formsmith:bench",),
                               record_json=b"{}", created=datetime.now().astimezone())
        context = {"data": values, "company": ws.company.as_dict(), "fonts": ws.fonts,
                   "doc": {"no": identity.doc_no, "id": identity.doc_id, "issued_on": date(2025, 12, 1),
                           "template": tpl.id, "title": tpl.title, "version": tpl.version}}
        plain = tmp / "plain.pdf"
        rendered = {}

        def render():
            plain.unlink(missing_ok=True)
            rendered["r"] = engine.render_pdf(tpl, context, identity, plain, asset_roots=(ws.assets_dir,),
                                              fonts=ws.fonts)
        render()  # warm-up: fonts and templates loaded once, as in a batch
        t_render = timed(render, args.runs)

        copy = tmp / "fields.pdf"

        def fields():
            shutil.copy(plain, copy)
            signing.add_signature_fields(copy, tpl, rendered["r"].anchors)
        t_fields = timed(fields, args.runs)

        docs = [issuing.issue_document(ws, tpl.id, data=tpl.example, again=True).doc_no
                for _ in range(args.runs + 1)]
        signer = signing.load_signer(ws)
        signing.seal_document(ws, docs[0], signer=signer)  # warm-up: pyHanko and the seal image
        queue = list(docs[1:])
        t_seal = timed(lambda: signing.seal_document(ws, queue.pop(0), signer=signer), args.runs)

        issued = Path(issuing.issue_document(ws, tpl.id, data=tpl.example, again=True).path)
        to_seal = issuing.issue_document(ws, tpl.id, data=tpl.example, again=True).doc_no
        sealed = Path(signing.seal_document(ws, to_seal, signer=signer).path)
        t_verify_plain = timed(lambda: verify_file(ws, issued), args.runs)
        t_verify_sealed = timed(lambda: verify_file(ws, sealed), args.runs)

        base = statistics.median(t_render)
        rows = [("render PDF/A (baseline)", t_render), ("add signature fields", t_fields),
                ("seal (PAdES B-B, visible)", t_seal), ("verify issued file", t_verify_plain),
                ("verify sealed file", t_verify_sealed)]
        result = {name: {"median_s": round(statistics.median(v), 4), "min_s": round(min(v), 4),
                         "ratio_to_render": round(statistics.median(v) / base, 3)} for name, v in rows}
        result["_meta"] = {"runs": args.runs, "loadavg": os.getloadavg(),
                           "sizes_bytes": {"issued": issued.stat().st_size, "sealed": sealed.stat().st_size}}
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
            return
        print(f"{'measure':<28} {'median s':>9} {'min s':>8} {'× render':>9}")
        for name, _ in rows:
            r = result[name]
            print(f"{name:<28} {r['median_s']:>9.3f} {r['min_s']:>8.3f} {r['ratio_to_render']:>9.2f}")
        m = result["_meta"]
        print(f"runs {m['runs']}; load average {m['loadavg'][0]:.2f}; issued file "
              f"{m['sizes_bytes']['issued']} bytes, sealed {m['sizes_bytes']['sealed']} bytes")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
