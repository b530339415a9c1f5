"""Cost of signature fields, sealing and signature checking, against rendering the letter in the same run.

Usage:  .venv/bin/python bench/signing.py [--runs N] [--json]

In a fresh temporary demo workspace with a test certificate, for one dunning letter:
  render       the baseline: the HTML engine writing the PDF/A (what issuing costs anyway)
  fields before  the way formsmith added the empty signature fields until 2026-11: a pyHanko
               incremental update of the written file (kept here, as it was, for comparison)
  fields after, single render  `signing.add_signature_fields`: the same fields as a pypdf
               incremental update of the written file (`formsmith render`)
  fields after, batch  what the fields add to cutting a letter from its batch (render/splice.py),
               which writes each letter of a dunning run anyway (with the fields minus without)
  pyHanko import  what a process pays to import pyHanko's field code, which a plain render and
               the batch workers no longer do (fresh interpreters, with minus without)
  seal         `signing.seal_document` on a freshly issued letter (PAdES B-B, visible seal)
  verify       `verify_file` on an issued letter (hash + fields, no signature) and on a sealed one
               (hash + pyHanko validation with difference analysis)
Each is measured N times (default 5); median and min are printed in ms per document, with the
ratio to render. It prints numbers only and asserts nothing.
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
from formsmith.render.pagecode import Place  # noqa: E402
from formsmith.render.splice import BatchPdf  # noqa: E402
from formsmith.verify import verify_file  # noqa: E402
from formsmith.workspace import load_workspace  # noqa: E402


def timed(fn, runs: int, setup=None) -> list[float]:
    out = []
    for _ in range(runs):
        if setup is not None:
            setup()  # not timed (e.g. a fresh copy of the file to change)
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def pyhanko_fields(path: Path, template, anchors) -> list[dict]:
    """The empty signature fields as formsmith added them before (pyHanko, incremental update)."""
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field, ensure_sig_flags

    with open(path, "rb+") as fh:
        writer = signing.incremental_writer(fh)
        sizes = []
        for i in range(writer.root["/Pages"]["/Count"]):
            box = writer.find_page_for_modification(i)[0].get_object()["/MediaBox"]
            sizes.append((float(box[2]) - float(box[0]), float(box[3]) - float(box[1])))
        placed = signing.place_fields(template, anchors, sizes)
        for f in placed:
            append_signature_field(writer, SigFieldSpec(
                sig_field_name=f["name"], on_page=f["page"], box=tuple(f["rect"]),
                readable_field_name=f["role"] or None))
        ensure_sig_flags(writer, lock_sig_flags=True)
        writer.write_in_place()
    return placed


def import_seconds(modules: str, runs: int) -> list[float]:
    """Wall time of fresh interpreters importing formsmith.signing and then `modules`."""
    code = f"import formsmith.signing{', ' + modules if modules else ''}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return timed(lambda: subprocess.run([sys.executable, "-c", code], check=True, env=env), runs)


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
        fresh = lambda: shutil.copy(plain, copy)  # noqa: E731
        anchors = rendered["r"].anchors
        for add in (pyhanko_fields, signing.add_signature_fields):  # warm-up: imports
            fresh()
            add(copy, tpl, anchors)
        t_before = timed(lambda: pyhanko_fields(copy, tpl, anchors), args.runs, fresh)
        t_single = timed(lambda: signing.add_signature_fields(copy, tpl, anchors), args.runs, fresh)
        batch = BatchPdf.of(plain.read_bytes())
        reader = batch.reader
        pages = range(len(reader.pages))
        placed = signing.fields_for_pages(tpl, anchors, reader.pages)
        places = [Place(right=500.0, top=800.0, size=51.0)] * len(pages)
        part = tmp / "part.pdf"
        batch.write_letter(pages, identity, part, places, fields=placed)  # warm-up
        t_part, t_part_fields = [], []
        for _ in range(args.runs * 3):  # interleaved, so that both see the same load
            t_part += timed(lambda: batch.write_letter(pages, identity, part, places), 1)
            t_part_fields += timed(lambda: batch.write_letter(pages, identity, part, places, fields=placed), 1)
        t_import = import_seconds("", args.runs)
        t_import_hanko = import_seconds("pyhanko.sign.fields", args.runs)

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
        diff = [a - b for a, b in zip(t_part_fields, t_part)]
        imp = [a - b for a, b in zip(sorted(t_import_hanko), sorted(t_import))]
        rows = [("render PDF/A (baseline)", t_render),
                ("fields before: pyHanko", t_before),
                ("fields after: pypdf, render", t_single),
                ("fields after: batch letter", diff),
                ("  cut letter without fields", t_part),
                ("  cut letter with fields", t_part_fields),
                ("pyHanko import (no longer)", imp),
                ("seal (PAdES B-B, visible)", t_seal), ("verify issued file", t_verify_plain),
                ("verify sealed file", t_verify_sealed)]
        result = {name.strip(): {"median_ms": round(statistics.median(v) * 1000, 2),
                                 "min_ms": round(min(v) * 1000, 2),
                                 "ratio_to_render": round(statistics.median(v) / base, 3)} for name, v in rows}
        result["_meta"] = {"runs": args.runs, "loadavg": os.getloadavg(),
                           "sizes_bytes": {"issued": issued.stat().st_size, "sealed": sealed.stat().st_size}}
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
            return
        print(f"{'measure (ms per document)':<30} {'median':>9} {'min':>9} {'× render':>9}")
        for name, _ in rows:
            r = result[name.strip()]
            print(f"{name:<30} {r['median_ms']:>9.2f} {r['min_ms']:>9.2f} {r['ratio_to_render']:>9.3f}")
        m = result["_meta"]
        print(f"runs {m['runs']}; load average {m['loadavg'][0]:.2f}; issued file "
              f"{m['sizes_bytes']['issued']} bytes, sealed {m['sizes_bytes']['sealed']} bytes; "
              "batch letter (render/splice.py): 3×runs interleaved pairs, the fields' cost is each pair's difference")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
