"""What the conformance tests share: the cases, the renders (made once per test process) and the
verdict on one issued file. The tests: test_conformance.py (every template and engine, single),
test_conformance_runs_html.py (the month-end run by html; the default typst run: test_dunning_run.py, test_signing.py).

What formsmith says of every file it issues, judged by independent validators.

Every template with every engine it has, rendered from its example data, unsealed and sealed;
the month-end run with the html engine (the default Typst run's letters: test_dunning_run.py's story and
test_signing.py's sealed run), sealed (its issued files judged as well as their
sealed versions), through all three stages; and
the print files. Each issued file must pass veraPDF (`-f 3b`, the reference PDF/A validator),
`qpdf --check` without a warning and Ghostscript without an error or warning, declare
`/Lang (zh-CN)`, and carry every signature field its manifest declares, read by pyHanko. The
print files (not PDF/A: they are for the printer) must pass qpdf and Ghostscript.

The validators are in tests/validators.py. Where one is not installed the test says which and
skips; `make test` installs qpdf and Ghostscript, and CI has veraPDF beside the checkout.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from formsmith import documents
from formsmith.cli import cli
from formsmith.workspace import BUILTIN_TEMPLATES, load_workspace
from validators import (ghostscript_problems, lang, qpdf_problems, signature_fields,
                        verapdf_verdicts)

PASSWORD = "conformance-test-password"
AS_OF = "2025-12-01"


def _engines(folder: Path) -> list[str]:
    return [e for e, body in (("html", "template.html"), ("typst", "template.typ"),
                              ("docx", "template.docx")) if (folder / body).is_file()]


TEMPLATES = sorted(p.name for p in BUILTIN_TEMPLATES.iterdir()
                   if (p / "manifest.toml").is_file())
SINGLE_CASES = [(tid, engine, sealed) for tid in TEMPLATES for engine in _engines(BUILTIN_TEMPLATES / tid)
                for sealed in (False, True)]


PARTS = 3   # the single-template conformance tests, split over this many test modules (xdist workers)


def templates_of_part(part: int) -> list[str]:
    """Every PARTS-th template, from `part`: the templates one conformance module renders."""
    return TEMPLATES[part::PARTS]


def _case_id(case) -> str:
    return "-".join(str(c) if not isinstance(c, bool) else ("sealed" if c else "plain") for c in case)


def assert_issued_file_conforms(path: Path, verdict: str, declared: set[str], sealed: bool,
                                sealed_twin: Path | None = None) -> None:
    """The verdict on one issued file. An unsealed file whose sealed version begins with its
    very bytes (the seal is an incremental update) is drawn by Ghostscript and checked by qpdf
    through that version, in the sealed case's test: each file once, not twice."""
    problems = []
    if verdict:
        problems.append(f"veraPDF -f 3b: {verdict}")
    drawn_in_twin = (not sealed and sealed_twin is not None
                     and sealed_twin.read_bytes().startswith(path.read_bytes()))
    if not drawn_in_twin and (q := qpdf_problems(path)):
        problems.append(f"qpdf --check: {q}")
    if not drawn_in_twin and (g := ghostscript_problems(path)):
        problems.append(f"Ghostscript: {g}")
    if (value := lang(path)) != "zh-CN":
        problems.append(f"/Lang is {value!r}, not 'zh-CN'")
    fields = signature_fields(path)
    if missing := declared - set(fields):
        problems.append(f"declared signature fields missing: {sorted(missing)} (has {sorted(fields)})")
    if sealed and not any(fields.values()):
        problems.append("sealed, yet no signature field is signed")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# ----------------------------------------------------------------- the issued files

def _document(ws, doc_no: str) -> dict:
    with ws.store.snapshot() as view:
        return documents.find(view, doc_no)


def _sealed_path(home: Path, doc: dict) -> Path:
    (sealed,) = [v for v in doc.get("versions", []) if v.get("kind") == "sealed"]
    return home / sealed["path"]


def _invoke(runner: CliRunner, home: Path, *args: str) -> dict:
    result = runner.invoke(cli, ["--home", str(home), *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, f"{args}: {result.output}{result.stderr}"
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def sealing_env():
    old = os.environ.get("FORMSMITH_SEAL_PASSWORD")
    os.environ["FORMSMITH_SEAL_PASSWORD"] = PASSWORD
    yield
    if old is None:
        os.environ.pop("FORMSMITH_SEAL_PASSWORD", None)
    else:
        os.environ["FORMSMITH_SEAL_PASSWORD"] = old


def _workspace_with_certificate(demo_home: Path, dest: Path, runner: CliRunner) -> Path:
    shutil.copytree(demo_home, dest)
    made = runner.invoke(cli, ["--home", str(dest), "certs", "make-test"], catch_exceptions=False)
    assert made.exit_code == 0, made.output + made.stderr
    return dest


# What the fixtures made, per test process: pytest tears a module's fixtures down whenever it
# runs out of queued tests on an xdist worker, and these renders take a minute; the files they
# point to live in the session's temporary folder.
_MADE: dict = {}


@pytest.fixture(scope="module")
def singles(request, demo_home, tmp_path_factory, sealing_env):
    """The test module's templates (its TEMPLATES_HERE, else all) with every engine, rendered
    once, then sealed with `formsmith seal`: case → [(file, veraPDF verdict, declared fields)]."""
    here = tuple(getattr(request.module, "TEMPLATES_HERE", TEMPLATES))
    key = ("singles", here)
    if key not in _MADE:
        _MADE[key] = _singles(demo_home, tmp_path_factory, set(here))
    return _MADE[key]


def _open_account(ws) -> tuple[str, str]:
    """A unit owing as of the demo's date and what it owes: (unit, amount)."""
    from decimal import Decimal
    with ws.store.snapshot() as view:
        owed: dict[str, Decimal] = {}
        for c in view.all("charges"):
            if not c.get("paid_on") and c["due"] < "2025-12-01":
                owed[c["unit"]] = owed.get(c["unit"], Decimal("0.00")) + Decimal(c["amount"])
    unit = min(owed)
    return unit, str(owed[unit])


def _singles(demo_home: Path, tmp_path_factory, templates: set[str]) -> dict:
    runner = CliRunner()
    home = _workspace_with_certificate(demo_home, tmp_path_factory.mktemp("conformance") / "ws", runner)
    ws = load_workspace(home)
    out = {}
    # Documents that other examples cite (a pass names its permit) are issued again last: a
    # second permit first would make the pass example's permit number an older one.
    cited_last = ("renovation-agreement", "renovation-permit")
    for tid, engine in sorted({(tid, engine) for tid, engine, _ in SINGLE_CASES if tid in templates},
                              key=lambda c: (c[0] in cited_last, c)):
        if tid == "fee-receipt":    # a receipt is only ever issued for a recorded payment
            got = _invoke(runner, home, "pay", *_open_account(ws), "--method", "现金",
                          "--date", "2025-12-01")["receipt"]
        else:
            data = home / f"{tid}.json"
            data.write_text(json.dumps(ws.catalog.get(tid).example, ensure_ascii=False), encoding="utf-8")
            got = _invoke(runner, home, "render", tid, "--data", str(data), "--engine", engine, "--again")
        _invoke(runner, home, "seal", got["doc_no"])
        declared = {f["name"] for f in ws.catalog.get(tid).signature_fields}
        out[(tid, engine, False)] = ([Path(got["path"])], declared)
        out[(tid, engine, True)] = ([_sealed_path(home, _document(ws, got["doc_no"]))], declared)
    every = [p for files, _ in out.values() for p in files]
    verdicts = verapdf_verdicts(every)
    return {case: [(p, verdicts[p], declared) for p in files] for case, (files, declared) in out.items()}


OWING = 2   # units left owing for the month-end runs: more than one letter per batch, a short test


def _pay_all_but_a_few(home: Path) -> None:
    """A small run: only the OWING units owing longest still owe; the demo's sample letters are voided."""
    ws = load_workspace(home)
    with ws.store.transaction() as tx:
        charges = tx.all("charges")
        oldest: dict[str, str] = {}
        for c in charges:
            if not c.get("paid_on"):
                oldest[c["unit"]] = min(oldest.get(c["unit"], c["due"]), c["due"])
        keep = sorted(oldest, key=lambda u: (oldest[u], u))[:OWING]   # the longest owing
        for c in charges:
            if not c.get("paid_on") and c["unit"] not in keep:
                tx.update("charges", c["id"], {"paid_on": c["due"]})
    for d in documents.list_documents(ws, template="dunning-letter"):
        documents.mark(ws, d["doc_no"], "void", note="demo sample")


@pytest.fixture(scope="module")
def batches(demo_records_home, tmp_path_factory, sealing_env):
    """The three stages of the month-end run with one engine, made when a test of that engine
    first asks: (engine, sealed) → ([(file, veraPDF verdict, declared signature fields)], print
    files). One sealed run serves both cases: a sealed letter keeps the file the run issued
    (the document's own path) beside its sealed version, so the unsealed case judges the
    former and the sealed case the latter; the print files are the run's."""
    def get(case):
        engine, sealed = case
        if engine not in _MADE:
            _MADE[engine] = _month_end(engine, demo_records_home, tmp_path_factory)
        issued, prints = _MADE[engine]
        return [(sealed_file if sealed else plain, verdicts[1 if sealed else 0], declared, sealed_file)
                for (plain, sealed_file), verdicts, declared in issued], prints
    return get


def _month_end(engine: str, demo_home: Path, tmp_path_factory):
    runner = CliRunner()
    home = _workspace_with_certificate(
        demo_home, tmp_path_factory.mktemp(f"batch-{engine}") / "ws", runner)
    _pay_all_but_a_few(home)
    ws = load_workspace(home)
    extra = ["--engine", engine, "--seal"]
    runs = [_invoke(runner, home, "dunning", "run", "--as-of", "2025-06-01", *extra),
            _invoke(runner, home, "dunning", "run", "--as-of", "2025-09-01", *extra)]
    letters = [d for d in runs[1]["documents"] if d["template"] == "dunning-letter"]
    wb = Workbook()
    wb.active.append(["内件品名", "运单号", "妥投日期"])
    for n, d in enumerate(letters):
        wb.active.append([d["doc_no"], f"11512345{n:05d}", "2025-09-05"])
    wb.save(home / "back.xlsx")
    _invoke(runner, home, "docs", "import-tracking", str(home / "back.xlsx"))
    runs.append(_invoke(runner, home, "dunning", "run", "--as-of", "2026-03-10", "--stage", "3", *extra))
    issued = []
    for run in runs:
        for d in run["documents"]:
            doc = _document(ws, d["doc_no"])
            declared = {f["name"] for f in ws.catalog.get(d["template"]).signature_fields}
            issued.append(((home / doc["path"], _sealed_path(home, doc)), declared))
    assert {d["template"] for run in runs for d in run["documents"]} == \
        {"payment-notice", "dunning-letter", "legal-notice"}
    prints = [Path(p) for run in runs for p in run["print_files"] if str(p).endswith(".pdf")]
    assert prints
    verdicts = verapdf_verdicts([p for pair, _ in issued for p in pair])
    return [(pair, (verdicts[pair[0]], verdicts[pair[1]]), declared) for pair, declared in issued], prints


def month_end_tests(engine: str):
    """The two tests of the month-end run with `engine`, unsealed and sealed, for a test module
    to take as its own (one module per engine, so xdist runs the engines side by side)."""
    cases = [(engine, False), (engine, True)]

    @pytest.mark.parametrize("case", cases, ids=_case_id)
    def test_every_letter_of_the_month_end_run_conforms(batches, case):
        issued, _ = batches(case)
        for path, verdict, declared, twin in issued:
            assert_issued_file_conforms(path, verdict, declared, sealed=case[1], sealed_twin=twin)

    # One run serves both cases, so its print files are checked once.
    @pytest.mark.parametrize("case", cases[1:], ids=_case_id)
    def test_the_print_files_draw_and_check_clean(batches, case):
        _, prints = batches(case)
        problems = {p.name: (qpdf_problems(p), ghostscript_problems(p)) for p in prints}
        assert not {k: v for k, v in problems.items() if any(v)}, problems

    return test_every_letter_of_the_month_end_run_conforms, test_the_print_files_draw_and_check_clean


def _company_sealed(tid: str) -> bool:
    """Whether the company seals the template: it has a signature field of kind "seal"."""
    import tomllib
    manifest = tomllib.loads((BUILTIN_TEMPLATES / tid / "manifest.toml").read_text(encoding="utf-8"))
    return any(f.get("kind") == "seal" for f in manifest.get("signature_fields", []))


# Templates whose （盖章） is stamped by hand on each of several cut-out parts: one electronic
# seal (one field of kind "seal") cannot sit on each of them.
HAND_SEALED = {"worker-pass": "eight cut-out cards a sheet, each stamped by hand at the gate office"}


def single_tests(part: int):
    """The two tests of one part of the templates (templates_of_part), for a test module to take
    as its own (test_conformance.py, _b.py, _c.py: xdist runs the parts side by side). The
    module sets TEMPLATES_HERE = templates_of_part(part), which the `singles` fixture renders."""
    here = templates_of_part(part)
    cases = [c for c in SINGLE_CASES if c[0] in here]

    @pytest.mark.parametrize("case", cases, ids=_case_id)
    def test_every_template_with_every_engine_issues_a_conforming_file(singles, case):
        (twin, _, _), = singles[(case[0], case[1], True)]
        for path, verdict, declared in singles[case]:
            assert_issued_file_conforms(path, verdict, declared, sealed=case[2], sealed_twin=twin)

    @pytest.mark.parametrize("tid", sorted(set(here) - set(HAND_SEALED)))
    def test_every_seal_the_page_asks_for_has_its_field_and_the_seal_covers_the_request(singles, tid):
        """Every page that says （盖章） carries a signature field over it (the company's own: the
        field of kind "seal", where `formsmith seal` draws); sealed, the seal shows there and the
        words （盖章） under it no longer do."""
        from pypdf import PdfReader

        from pdftools import signature_widgets, text_boxes
        from test_signing import dark_pixels, render_with_forms

        def inside(box, rect):
            return rect[0] <= box[0] and box[2] <= rect[2] and rect[1] <= box[1] and box[3] <= rect[3]

        for engine in sorted({c[1] for c in cases if c[0] == tid}):
            (plain, _, _), = singles[(tid, engine, False)]
            (sealed, _, _), = singles[(tid, engine, True)]
            fields = signature_widgets(plain)["fields"]
            pages = len(PdfReader(str(plain)).pages)
            asks = [(p, b) for p in range(pages) for b in text_boxes(plain, "（盖章）", p)]
            for page, box in asks:
                assert any(f["page"] == page and inside(box, f["rect"]) for f in fields.values()), \
                    f"{tid}/{engine}: （盖章） on page {page + 1} at {box} has no field over it: {fields}"
            if not asks:
                continue
            if not _company_sealed(tid):
                continue     # each （盖章） is another party's own, under its field (the 规约's 建设单位盖章)
            seal = [(n, f) for n, f in signature_widgets(sealed)["fields"].items() if f["signed"]]
            assert len(seal) == 1 and seal[0][1]["appearance"] is not None, (tid, engine, seal)
            name, field = seal[0]
            covered = [b for p, b in asks if p == field["page"] and inside(b, field["rect"])]
            assert covered, f"{tid}/{engine}: the seal field {name} covers no （盖章）"
            dpi = 100
            before, after = render_with_forms(plain, field["page"], dpi), render_with_forms(sealed, field["page"], dpi)
            for b in covered:
                px = (round(b[0] * dpi / 72), round(before.height - b[3] * dpi / 72),
                      round(b[2] * dpi / 72), round(before.height - b[1] * dpi / 72))
                assert dark_pixels(before, px) > 20 and dark_pixels(after, px) == 0, (tid, engine, b)

    return (test_every_template_with_every_engine_issues_a_conforming_file,
            test_every_seal_the_page_asks_for_has_its_field_and_the_seal_covers_the_request)
