"""The Typst engine: the dunning documents issued with --engine typst, read back like the HTML ones."""
from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from formsmith import catalog, formats
from formsmith.cli import cli
from formsmith.render import render_many
from formsmith.render import typst as typst_engine
from formsmith.workspace import load_workspace
from batchjobs import batch_jobs
from pdftools import attachment_json, fonts_embedded, our_page_codes, page_texts, signature_widgets, xmp_text

TEMPLATES = ("dunning-letter", "payment-notice", "legal-notice")


def cli_run(home: Path, *args: str):
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def issue(home: Path, template: str, data: dict, engine: str, name: str) -> dict:
    src = home / f"{name}.json"
    src.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = cli_run(home, "render", template, "--data", str(src), "--engine", engine,
                     "--again", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    doc = json.loads(result.stdout)
    with load_workspace(home).store.snapshot() as view:
        row = view.get("documents", doc["doc_id"])
    return {**doc, "row": row, "path": Path(doc["path"])}


def long_arrears(months: int = 40) -> dict:
    """Two fee items over `months` months, set in two halves: 40 run over two pages (the
    pages_hint is 1), 200 over three (a second compile with the codes for the real page count)."""
    manifest = Path(__file__).resolve().parent.parent / "templates" / "dunning-letter" / "manifest.toml"
    data = dict(tomllib.loads(manifest.read_text(encoding="utf-8"))["example"])
    items = []
    for k in range(months):
        year, month = 2024 + (k + 3) // 12, (k + 3) % 12 + 1
        due = f"{year}-{month:02d}-28"
        items.append({"period": f"{year}-{month:02d}", "item": "物业服务费", "amount": "216.83", "due": due})
        items.append({"period": f"{year}-{month:02d}", "item": "车位服务费", "amount": "60.00", "due": due})
    data["items"] = items
    return data


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("typst") / "ws"
    shutil.copytree(demo_home, dest)
    return dest


@pytest.fixture(scope="module")
def issued(home) -> dict[str, dict]:
    """Each dunning template's example issued with both engines, and one long letter with Typst."""
    ws = load_workspace(home)
    out = {}
    for tid in TEMPLATES:
        example = catalog.to_record(catalog.validate(ws.catalog.get(tid), ws.catalog.get(tid).example))
        for engine in ("html", "typst"):
            out[f"{tid}/{engine}"] = issue(home, tid, example, engine, f"{tid}-{engine}")
    out["long/typst"] = issue(home, "dunning-letter", long_arrears(), "typst", "long")
    out["longer/typst"] = issue(home, "dunning-letter", long_arrears(200), "typst", "longer")
    with ws.store.snapshot() as view:
        demo_letters = view.find("documents", template="dunning-letter",
                                 where=lambda d: d["path"].startswith("output/"))
    for k, row in enumerate(sorted(demo_letters, key=lambda d: d["seq"])[:3]):
        out[f"demo{k}/html"] = {**row, "row": row, "path": home / row["path"]}
        out[f"demo{k}/typst"] = issue(home, "dunning-letter", row["record"], "typst", f"demo{k}")
    return out


def typst_docs(issued):
    return [(k, d) for k, d in issued.items() if k.endswith("/typst")]


def test_templates_offer_both_engines(home):
    ws = load_workspace(home)
    for tid in TEMPLATES:
        t = ws.catalog.get(tid)
        assert t.engine == "html" and t.engines == ("html", "typst")
        assert t.body_for("typst").name == "template.typ"


def test_typst_pdf_is_pdfa_with_only_our_cjk_fonts_embedded(issued):
    for key, doc in typst_docs(issued):
        xmp = xmp_text(doc["path"])
        assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)B', xmp), key
        fonts = fonts_embedded(doc["path"])
        assert fonts and all(fonts.values()), (key, fonts)
        assert all("NotoSerifCJK" in f or "NotoSansCJK" in f for f in fonts), (key, fonts)
        assert "Typst" in str(PdfReader(str(doc["path"])).metadata.get("/Creator")), key


def test_every_typst_page_carries_number_page_count_and_our_qr(issued):
    pages_seen = set()
    for key, doc in typst_docs(issued):
        texts = page_texts(doc["path"])
        per_page = our_page_codes(doc["path"])
        assert len(texts) == len(per_page) == doc["pages"] == doc["row"]["pages"], key
        pages_seen.add(doc["pages"])
        for n, (text, found) in enumerate(zip(texts, per_page), 1):
            assert doc["doc_no"] in text and f"第{n}页共{doc['pages']}页" in text, (key, n)
            assert [(c.doc_id, c.page, c.pages) for c in found] == [(doc["doc_id"], n, doc["pages"])], key
    assert issued["long/typst"]["pages"] == 2, "the long letter outgrew its page hint"
    assert issued["dunning-letter/typst"]["pages"] == 1, "letter and 回执 share one page"
    assert issued["longer/typst"]["pages"] == 3
    assert pages_seen == {1, 2, 3}


def test_typst_pdf_has_our_keywords_and_the_record_attached(issued, home):
    for key, doc in typst_docs(issued):
        meta = PdfReader(str(doc["path"])).metadata
        assert f"formsmith:{doc['doc_id']}" in meta["/Keywords"] and doc["doc_no"] in meta["/Keywords"]
        assert doc["doc_no"] in meta["/Title"] and meta["/Author"] == "阳光物业服务有限公司"
        record = attachment_json(doc["path"])
        assert record["doc_id"] == doc["doc_id"] and record["data"] == doc["row"]["record"], key
        result = cli_run(home, "verify", str(doc["path"]))
        assert result.exit_code == 0, result.output


def test_typst_letter_says_what_the_html_letter_says(issued):
    """Same data → the same words, figures and dates on the page, whichever engine set them."""
    for tid in (*TEMPLATES, "demo0", "demo1", "demo2"):
        html, typ = issued[f"{tid}/html"], issued[f"{tid}/typst"]
        assert typ["pages"] == html["pages"], tid

        def chars(doc):
            text = "".join(page_texts(doc["path"])).replace(doc["doc_no"], "#")
            return Counter(re.sub(r"第\d+页共\d+页", "", text))
        assert chars(typ) == chars(html), (tid, chars(typ) - chars(html), chars(html) - chars(typ))
        text = "".join(page_texts(typ["path"]))
        rec = typ["row"]["record"]
        for phrase in (rec["owner_name"], rec["unit_address"], "（盖章）", "阳光物业服务有限公司",
                       formats.cn_date(rec["as_of"]), f"自收到本{'通知' if tid == 'payment-notice' else '函'}之日起{rec['deadline_words']}日内",
                       f"合计人民币（大写）{formats.rmb_words(rec['total'])}（{formats.money_yen(rec['total'])}）"):
            assert phrase in text, (tid, phrase)
        assert ("回执" in text) == (tid != "payment-notice")
    assert max(len(issued[f"demo{k}/typst"]["row"]["record"]["items"]) for k in range(3)) == 14


def test_long_letter_sums_months_exactly(issued):
    doc = issued["long/typst"]
    text = "".join(page_texts(doc["path"]))
    assert "车位服务费" in text and "小计（元）" in text
    assert "276.83" in text  # 216.83 + 60.00, added in integer cents by the template
    assert f"合计（大写）：{formats.rmb_words('11073.20')}11,073.20" in text


def test_engine_the_template_has_no_file_for_is_refused(home):
    """An engine the template has no body file for, or no such engine: exit 2, nothing written."""
    own = home / "templates" / "html-only-letter"
    src = Path(__file__).resolve().parent.parent / "templates" / "dunning-letter"
    own.mkdir(parents=True)
    for name in ("manifest.toml", "template.html"):
        shutil.copy(src / name, own / name)
    before = sorted(p.name for p in (home / "output").rglob("*.pdf"))
    for tid, engine, hint in (("html-only-letter", "typst", "template.typ"),
                              ("dunning-letter", "latex", "html, typst")):
        result = cli_run(home, "render", tid, "--unit", "1-2-301", "--engine", engine, "--again")
        assert result.exit_code == 2, result.output
        assert f"模板 {tid} 没有 {engine} 版本" in result.stderr and hint in result.stderr
        assert "Traceback" not in result.output + result.stderr
    assert sorted(p.name for p in (home / "output").rglob("*.pdf")) == before
    assert load_workspace(home).catalog.get("html-only-letter").engines == ("html",)


def test_render_many_lays_out_one_document_and_cuts_one_pdfa_per_letter(home, tmp_path):
    ws = load_workspace(home)
    tpl, jobs = batch_jobs(ws, "payment-notice", 3, tmp_path)
    results = render_many(typst_engine, tpl, jobs, fonts=ws.fonts, combined=tmp_path / "print.pdf")
    assert [(r.pages, r.tearoff_pages) for r in results] == [(1, ())] * 3
    combined = our_page_codes(tmp_path / "print.pdf")
    assert [[c.doc_id for c in page] for page in combined] == [[j.identity.doc_id] for j in jobs]
    for i, job in enumerate(jobs):
        text = page_texts(job.out)[0]
        assert f"业主{i}号" in text and f"{job.identity.doc_no}第1页共1页" in text
        assert [(c.doc_id, c.page, c.pages) for c in our_page_codes(job.out)[0]] == [(job.identity.doc_id, 1, 1)]
        assert attachment_json(job.out) == {"i": i}
        assert f"formsmith:{job.identity.doc_id}" in PdfReader(str(job.out)).metadata["/Keywords"]
        assert re.search(r'pdfaid:part(="|>)3', xmp_text(job.out))
    # Two-page letters with the 回执 on their second page: counted per letter, not per batch.
    tpl, jobs = batch_jobs(ws, "legal-notice", 2, tmp_path)
    results = render_many(typst_engine, tpl, jobs, fonts=ws.fonts)
    assert [(r.pages, r.tearoff_pages) for r in results] == [(2, (2,)), (2, (2,))]
    assert [[(c.page, c.pages) for c in page] for page in our_page_codes(jobs[1].out)] == [[(1, 2)], [(2, 2)]]


def test_workspace_template_uses_the_shared_typst_base_and_reads_nothing_else(home):
    """A workspace's own Typst template imports the built-in _base; other files are out of reach."""
    own = home / "templates" / "own-letter"
    src = Path(__file__).resolve().parent.parent / "templates" / "dunning-letter"
    shutil.copytree(src, own)
    ok = cli_run(home, "render", "own-letter", "--unit", "1-2-301", "--engine", "typst", "--again",
                 "--json")
    assert ok.exit_code == 0, ok.output + ok.stderr
    assert "物业服务费催缴函" in page_texts(Path(json.loads(ok.stdout)["path"]))[0]
    body = (own / "template.typ").read_text(encoding="utf-8")
    (own / "template.typ").write_text(body + '\n#read("/../formsmith.toml")\n', encoding="utf-8")
    before = sorted(p.name for p in (home / "output").rglob("*.pdf"))
    bad = cli_run(home, "render", "own-letter", "--unit", "1-2-301", "--engine", "typst", "--again")
    assert bad.exit_code == 2 and "template.typ" in bad.stderr and "Traceback" not in bad.stderr
    assert sorted(p.name for p in (home / "output").rglob("*.pdf")) == before


def test_memory_bound_flushes_typst_caches_and_rendering_goes_on(home, tmp_path):
    ws = load_workspace(home)
    assert typst_engine.bound_memory(limit_mb=1e9) is False
    assert typst_engine.bound_memory(limit_mb=0) is True   # ages out every memoised result
    tpl, jobs = batch_jobs(ws, "payment-notice", 1, tmp_path)
    assert [r.pages for r in render_many(typst_engine, tpl, jobs, fonts=ws.fonts)] == [1]
    assert [c.doc_id for c in our_page_codes(jobs[0].out)[0]] == [jobs[0].identity.doc_id]


def test_typst_documents_carry_every_declared_field_where_the_html_ones_do(issued, home):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields
    from validators import assert_fields_where_html_has_them, pdfsig_fields

    ws = load_workspace(home)
    for tid in (*TEMPLATES, "demo0", "demo1", "demo2"):
        typ, html = issued[f"{tid}/typst"], issued[f"{tid}/html"]
        declared = [f["name"] for f in ws.catalog.get(typ["row"]["template"]).signature_fields]
        assert declared, tid
        assert_fields_where_html_has_them(typ["path"], html["path"], declared, tid)
        assert [f["name"] for f in typ["row"]["signature_fields"]] == declared
        with open(typ["path"], "rb") as fh:
            assert [name for name, _, _ in enumerate_sig_fields(PdfFileReader(fh))] == declared, tid
        assert pdfsig_fields(typ["path"]) == declared, tid
    # Letters over two and three pages: the fields are on the last page, where the seal area is.
    for key in ("long/typst", "longer/typst"):
        doc = issued[key]
        found = signature_widgets(doc["path"])["fields"]
        assert [found[n]["page"] for n in ("seal", "receipt_signer")] == [doc["pages"] - 1] * 2, key
