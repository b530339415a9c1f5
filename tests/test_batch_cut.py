"""Letters cut from a batch: each file holds its own pages only, reads clean in qpdf and pypdf,
and carries its QR exactly where a single render puts it — for both batch engines."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from formsmith import codes
from formsmith.render import engine_for, render_many
from formsmith.render.pagecode import qr_modules
from formsmith.workspace import load_workspace
from batchjobs import batch_jobs
from pdftools import attachment_json, our_page_codes, signature_widgets, xmp_text

ENGINES = ("html", "typst")


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("cut") / "ws"
    shutil.copytree(demo_home, dest)
    return dest


@pytest.fixture(scope="module")
def batches(home, tmp_path_factory):
    """Four dunning letters (letter + 回执, with the seal and signer fields) per engine, one batch each."""
    ws = load_workspace(home)
    out = {}
    for engine in ENGINES:
        folder = tmp_path_factory.mktemp(engine)
        tpl, jobs = batch_jobs(ws, "dunning-letter", 4, folder, engine=engine)
        results = render_many(engine_for(engine), tpl, jobs, fonts=ws.fonts, combined=folder / "print.pdf")
        out[engine] = {"jobs": jobs, "results": results, "combined": folder / "print.pdf"}
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_each_letter_file_holds_its_own_pages_and_nothing_of_the_others(batches, engine):
    b = batches[engine]
    names = [f"业主{i}号" for i in range(len(b["jobs"]))]
    for i, (job, result) in enumerate(zip(b["jobs"], b["results"])):
        with pikepdf.open(job.out) as pdf:
            assert pdf.check_pdf_syntax() == [], (engine, i)   # qpdf: no damaged object or xref
            assert len(pdf.pages) == result.pages
        reader = PdfReader(str(job.out), strict=True)
        text = "".join(page.extract_text() for page in reader.pages)
        assert names[i] in text and not any(n in text for k, n in enumerate(names) if k != i), (engine, i)
        assert attachment_json(job.out) == {"i": i}
        assert 'pdfaid:part="3"' in xmp_text(job.out) or "<pdfaid:part>3" in xmp_text(job.out)
        first_id = reader.trailer["/ID"][0]
        assert (first_id if isinstance(first_id, bytes) else first_id.encode("latin-1")) == job.identity.doc_id.encode("ascii")
        # The SHA-256 the engine reports is the file's.
        assert result.sha256 is None or result.sha256 == hashlib.sha256(job.out.read_bytes()).hexdigest()
    with pikepdf.open(b["combined"]) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert len(pdf.pages) == sum(r.pages for r in b["results"])


@pytest.mark.parametrize("engine", ENGINES)
def test_every_page_of_letters_and_print_pages_carries_its_own_code(batches, engine):
    b = batches[engine]
    print_codes = our_page_codes(b["combined"])
    expected_print = []
    for job, result in zip(b["jobs"], b["results"]):
        expected = [[(job.identity.doc_id, k, result.pages)] for k in range(1, result.pages + 1)]
        assert [[(c.doc_id, c.page, c.pages) for c in page] for page in our_page_codes(job.out)] == expected
        expected_print += expected
    assert [[(c.doc_id, c.page, c.pages) for c in page] for page in print_codes] == expected_print


def test_html_letters_get_their_empty_signature_fields_as_they_are_cut(batches):
    for job, result in zip(batches["html"]["jobs"], batches["html"]["results"]):
        found = signature_widgets(job.out)
        assert found["sig_flags"] == 3
        assert sorted(found["fields"]) == sorted(f["name"] for f in result.signature_fields) == ["receipt_signer", "seal"]
        assert all(not w["signed"] and w["printed"] and w["on_page"] for w in found["fields"].values())


def qr_box(path: Path, dpi: int = 150) -> tuple[int, int, int, int]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        found = zxingcpp.read_barcodes(pdf[0].render(scale=dpi / 72).to_pil())
    finally:
        pdf.close()
    ours = [r for r in found if codes.decode(r.text)]
    assert len(ours) == 1, path
    p = ours[0].position
    xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
    ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("engine", ENGINES)
def test_batch_code_sits_where_a_single_render_puts_it(home, batches, engine, tmp_path):
    """The batch draws the code into the place the layout kept for it; a single render lays the
    code out itself. Same box on the page, to the pixel at 150 dpi."""
    ws = load_workspace(home)
    tpl, jobs = batch_jobs(ws, "dunning-letter", 1, tmp_path, engine=engine)
    single = engine_for(engine).render_pdf(tpl, jobs[0].context, jobs[0].identity, tmp_path / "one.pdf",
                                           fonts=ws.fonts)
    assert single.pages == batches[engine]["results"][0].pages
    a, b = qr_box(tmp_path / "one.pdf"), qr_box(batches[engine]["jobs"][0].out)
    assert all(abs(x - y) <= 1 for x, y in zip(a, b)), (engine, a, b)


def test_qr_symbol_is_the_payload_zxing_reads_back(tmp_path):
    """The vector code's modules come from zxing-cpp's writer; the square of modules is a real
    QR symbol of the payload (checked against segno's matrix size for the same error level)."""
    import segno
    payload = codes.encode(codes.new_doc_id(), 2, 3)
    rows = qr_modules(payload)
    assert len(rows) == len(rows[0]) == len(segno.make(payload, error="m", boost_error=False).matrix)
    assert set(b"".join(rows)) == {0, 1}


def test_typst_letters_get_their_signature_fields_where_the_html_letters_have_them(batches):
    """Each engine's batch letters carry the fields the manifest declares; the Typst ones are
    placed from Typst's own layout, on the page and (within 3 mm) at the place the HTML engine
    finds for the same letter. The cut letters and the print pages stay PDF/A-3b."""
    from validators import assert_fields_where_html_has_them, eol_after_every_eof, pdfsig_fields, verapdf_3b
    html, typst = batches["html"], batches["typst"]
    for k, (job, result) in enumerate(zip(typst["jobs"], typst["results"])):
        assert [f["name"] for f in result.signature_fields] == ["seal", "receipt_signer"]
        assert_fields_where_html_has_them(job.out, html["jobs"][k].out, ["seal", "receipt_signer"], k)
        assert pdfsig_fields(job.out) == ["seal", "receipt_signer"]
        assert eol_after_every_eof(job.out.read_bytes())
    assert eol_after_every_eof(typst["combined"].read_bytes())
    assert verapdf_3b(typst["jobs"][0].out) == ""
