"""The month-end dunning run, read back as the clerk, the courier and later a court would read it.

GIVEN the demo community where only building 1 still owes (the other buildings paid up) and the
demo's three sample letters were voided, WHEN the centre runs the dunning month after month
(June: notices; September: letters by express; the courier's sheet comes back; March: legal
notices), THEN each stage reaches exactly the units the policy names, with print files, lists
and documents that hold up.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from conftest import FORMSMITH, formsmith_cmd, store_rows
from formsmith import documents
from formsmith.store import Store
from formsmith.verify import verify_file
from formsmith.workspace import load_workspace
from pdftools import (attachment_json, fonts_embedded, our_page_codes, page_texts, signature_widgets,
                      xmp_text)

JUNE, SEPT, MARCH = "2025-06-01", "2025-09-01", "2026-03-10"


def only_buildings_owe(home: Path, buildings: set[str]) -> None:
    """Every unit outside `buildings` pays its arrears; the demo's sample letters are voided."""
    ws = load_workspace(home)
    with ws.store.transaction() as tx:
        units = {u["id"]: u for u in tx.all("units")}
        for c in tx.all("charges"):
            if not c.get("paid_on") and units[c["unit"]]["building"] not in buildings:
                tx.update("charges", c["id"], {"paid_on": c["due"]})
    for d in documents.list_documents(ws, template="dunning-letter"):
        documents.mark(ws, d["doc_no"], "void", note="demo sample")


def overdue_units(home: Path, as_of: str) -> list[str]:
    """Units with a charge unpaid past its due date, straight from the store file."""
    return sorted({c["unit"] for c in store_rows(home, "charges") if not c.get("paid_on") and c["due"] < as_of})


def store_docs(home: Path) -> list[dict]:
    return store_rows(home, "documents")


def run_cli(run, home: Path, *args: str) -> dict:
    result = run(home, "dunning", "run", *args, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def story(demo_records_home, tmp_path_factory):
    """Three months of the dunning run on building 1, with the courier's sheet in between."""
    from click.testing import CliRunner
    from formsmith.cli import cli
    runner = CliRunner()
    run = lambda home, *a: runner.invoke(cli, ["--home", str(home), *a], catch_exceptions=False)  # noqa: E731
    home = tmp_path_factory.mktemp("dunning") / "ws"
    shutil.copytree(demo_records_home, home)
    only_buildings_owe(home, {"1"})
    s = {"home": home, "run": run}
    s["june"] = run_cli(run, home, "--as-of", JUNE, "--jobs", "2")
    s["june_again"] = run_cli(run, home, "--as-of", JUNE)
    s["sept"] = run_cli(run, home, "--as-of", SEPT, "--jobs", "2")
    letters = [d for d in s["sept"]["documents"] if d["template"] == "dunning-letter"]
    # The courier's sheet back: every letter sent, all but the last delivered on 2025-09-05.
    wb = Workbook()
    wb.active.append(["内件品名", "运单号", "妥投日期"])
    for n, d in enumerate(letters):
        wb.active.append([d["doc_no"], f"11512345{n:05d}", "2025-09-05" if n < len(letters) - 1 else None])
    sheet = home / "back.xlsx"
    wb.save(sheet)
    s["letters"] = letters
    s["tracking"] = run(home, "docs", "import-tracking", str(sheet), "--json")
    s["march"] = run_cli(run, home, "--as-of", MARCH, "--stage", "3")
    return s


def test_each_stage_reaches_the_units_the_policy_names(story):
    home = story["home"]
    june = story["june"]
    assert {d["template"] for d in june["documents"]} == {"payment-notice"}
    assert sorted(d["unit"] for d in june["documents"]) == overdue_units(home, JUNE)
    sept = story["sept"]
    by_tpl = {}
    for d in sept["documents"]:
        by_tpl.setdefault(d["template"], []).append(d["unit"])
    # Still unpaid three months after the June notice: a 催缴函; newly overdue: a first notice.
    assert sorted(by_tpl["dunning-letter"]) == overdue_units(home, JUNE)
    assert sorted(by_tpl["payment-notice"]) == sorted(set(overdue_units(home, SEPT)) - set(overdue_units(home, JUNE)))
    # Stage 3 only where the letter was delivered six months ago; the undelivered one waits.
    delivered = [d["unit"] for d in story["letters"][:-1]]
    assert sorted(d["unit"] for d in story["march"]["documents"]) == sorted(delivered)
    assert story["letters"][-1]["unit"] not in [d["unit"] for d in story["march"]["documents"]]


def test_same_period_again_issues_nothing(story):
    again = story["june_again"]
    assert again["issued"] == []
    assert [d["doc_no"] for d in again["documents"]] == [d["doc_no"] for d in story["june"]["documents"]]
    docs = [d for d in store_docs(story["home"]) if d["state"] != "void"]
    keys = [(d["template"], d["unit"], d["period"]) for d in docs]
    assert len(keys) == len(set(keys))


def test_each_letter_is_an_issued_pdfa_document_of_its_own(story, run):
    home = story["home"]
    doc = story["letters"][0]          # a 催缴函 of the September run (2 worker processes)
    path = home / doc["path"]
    row = next(d for d in store_docs(home) if d["doc_no"] == doc["doc_no"])
    texts = page_texts(path)
    assert len(texts) == doc["pages"] == row["pages"]
    for n, text in enumerate(texts, 1):
        assert f"{doc['doc_no']}第{n}页共{doc['pages']}页" in text
    assert [[(c.doc_id, c.page) for c in p] for p in our_page_codes(path)] == \
        [[(row["doc_id"], n)] for n in range(1, doc["pages"] + 1)]
    assert attachment_json(path)["doc_no"] == doc["doc_no"]
    xmp = xmp_text(path)
    assert re.search(r'pdfaid:part(="|>)3', xmp) and f"formsmith:{row['doc_id']}" in xmp
    fonts = fonts_embedded(path)
    assert fonts and all(fonts.values())
    assert run(home, "verify", str(path)).exit_code == 0
    # like a letter issued at the counter: empty signature fields on the seal area and the
    # 回执's 签收人 cell (for a reader's "sign here" and for sealing), and the ink areas the
    # ingest checks when the signed 回执 comes back
    assert row["template"] == "dunning-letter"
    fields = {str(f.get_object()["/T"]): f.get_object() for f in
              PdfReader(str(path)).trailer["/Root"]["/AcroForm"]["/Fields"]}
    assert {"seal", "receipt_signer"} <= set(fields)
    assert all(f["/FT"] == "/Sig" for f in fields.values())
    assert [f["name"] for f in row["signature_fields"]] == sorted(fields, key=lambda n: n != "seal")
    assert row["sign_areas"] and all(a["page"] == doc["pages"] for a in row["sign_areas"][-1:])


def test_run_letters_carry_their_empty_fields_on_the_seal_area(story):
    """The fields are written as each letter's file is cut from the batch: exactly the recorded
    ones, empty, printable, with an appearance the size of the field, SigFlags 3; the seal
    field lies over the issuer's name and the date (the seal area), on the letter's last page."""
    import pypdfium2 as pdfium
    home = story["home"]
    doc = story["letters"][0]
    row = next(d for d in store_docs(home) if d["doc_no"] == doc["doc_no"])
    path = home / doc["path"]
    found = signature_widgets(path)
    assert found["sig_flags"] == 3
    assert list(found["fields"]) == [f["name"] for f in row["signature_fields"]] == ["seal", "receipt_signer"]
    for f in row["signature_fields"]:
        w = found["fields"][f["name"]]
        assert w["type"] == "/Sig" and not w["signed"] and w["printed"] and w["on_page"], w
        assert w["rect"] == f["rect"] and w["page"] == f["page"] == doc["pages"] - 1
        x0, y0, x1, y1 = f["rect"]
        b = w["appearance"]
        assert abs(abs(b[2] - b[0]) - (x1 - x0)) < 0.02 and abs(abs(b[3] - b[1]) - (y1 - y0)) < 0.02
    pdf = pdfium.PdfDocument(str(path))
    try:
        seal_text = "".join(pdf[doc["pages"] - 1].get_textpage().get_text_bounded(
            *found["fields"]["seal"]["rect"]).split())
    finally:
        pdf.close()
    assert seal_text.startswith("阳光物业服务有限公司（盖章）") and seal_text.endswith("日"), seal_text


def test_every_letter_of_the_run_declares_pdfa_and_embeds_its_fonts(story):
    home = story["home"]
    docs = [d for r in ("june", "sept", "march") for d in story[r]["documents"]]
    for d in docs:
        path = home / d["path"]
        assert re.search(r'pdfaid:part(="|>)3', xmp_text(path)), d["doc_no"]
        fonts = fonts_embedded(path)
        assert fonts and all(fonts.values()), (d["doc_no"], fonts)
        assert len(PdfReader(str(path)).pages) == d["pages"]


def test_unknown_community_is_refused(story, run):
    result = run(story["home"], "dunning", "run", "--as-of", JUNE, "--community", "月亮湾")
    assert result.exit_code == 2 and "月亮湾" in result.stderr


def test_print_file_starts_every_letter_on_a_front_side(story):
    for result, template in ((story["sept"], "dunning-letter"), (story["march"], "legal-notice")):
        print_file = next(f for f in result["print_files"] if template in f)
        texts = page_texts(Path(print_file))
        docs = [d for d in result["documents"] if d["template"] == template]
        firsts = [i for i, t in enumerate(texts, 1) if "第1页共" in t]
        assert len(firsts) == len(docs)
        assert all(i % 2 == 1 for i in firsts), firsts
        # The letters come in building/unit order, each exactly once.
        order = [next(d["doc_no"] for d in docs if d["doc_no"] in texts[i - 1]) for i in firsts]
        assert order == [d["doc_no"] for d in docs]
        # A page with a tear-off 回执 has a blank back.
        for i, t in enumerate(texts, 1):
            if "沿此线剪下" in t:
                assert i % 2 == 1 and texts[i] == "", (template, i)
        assert "打印批次封面" in texts[0] and f"{len(docs)}份" in texts[0]


def test_month_end_letters_keep_their_receipt_with_their_text(story):
    """Every 催缴函 of the month fits its letter, seal area and 回执 on one sheet, and every
    法律催告函 carries its last paragraph, 特此函告 and the seal area on the page of its 回执: no
    回执 and no seal alone on a page."""
    home = story["home"]
    letters = [d for d in story["sept"]["documents"] if d["template"] == "dunning-letter"]
    assert letters and [d["pages"] for d in letters] == [1] * len(letters)
    for d in story["march"]["documents"]:
        last = page_texts(home / d["path"])[-1]
        for part in ("逾期仍未缴纳的", "特此函告", "（盖章）", "沿此线剪下", "签收人（签字）"):
            assert part in last, (d["doc_no"], part)


def test_courier_list_has_one_row_per_letter(story):
    letters = story["letters"]
    sheet = next(f for f in Path(story["sept"]["print_files"][0]).parent.parent.glob("stage-2-*/courier.xlsx"))
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))
    head = rows[0]
    assert {"收件人", "收件地址", "收件电话", "内件品名"} <= set(head)
    assert not any("金额" in h or "欠费" in h for h in head), head      # the courier gets no debt
    assert [r[head.index("内件品名")] for r in rows[1:]] == [f"物业服务费催缴函 {d['doc_no']}" for d in letters]
    assert all(r[head.index("收件人")] and r[head.index("收件地址")] for r in rows[1:])
    # the full postal address: the community's address before the unit (or the owner's own)
    records = {d["doc_no"]: d["record"] for d in store_docs(story["home"])}
    for d, r in zip(letters, rows[1:]):
        address = r[head.index("收件地址")]
        assert address == records[d["doc_no"]]["mailing_address"], address
        assert address.startswith("江城市"), address
    internal = sheet.with_name("courier-internal.xlsx")
    book = load_workbook(internal)
    assert "内部留存" in book.active.title
    irows = list(book.active.iter_rows(values_only=True))
    amounts = [r[irows[0].index("欠费金额（元）")] for r in irows[1:-1]]
    assert [f"{a:.2f}" for a in amounts] == [records[d["doc_no"]]["total"] for d in letters]
    assert irows[-1][0] == "合计" and irows[-1][1] == f"{len(letters)}份"
    assert f"{irows[-1][irows[0].index('欠费金额（元）')]:.2f}" == f"{sum(amounts):.2f}"
    sms = next(Path(story["june"]["print_files"][0]).parent.glob("sms.csv"))
    lines = sms.read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) == len(story["june"]["documents"]) + 2 and lines[-1].startswith("合计,")


def test_cover_lists_the_numbers_it_holds_and_how_to_print(story):
    """The cover names the numbers as they run (never "first 至 last" over numbers the file does
    not hold), sums the buildings in a 合计 row, and speaks of a 回执's blank back only for
    letters that have a 回执."""
    from formsmith.processes.arrears.printing import number_ranges
    assert number_ranges(["物通字〔2025〕1号", "物通字〔2025〕2号", "物通字〔2025〕3号", "物通字〔2025〕7号"]) \
        == "物通字〔2025〕1—3号、7号"
    for result, template, receipt in ((story["june"], "payment-notice", False),
                                      (story["sept"], "payment-notice", False),
                                      (story["sept"], "dunning-letter", True)):
        cover = page_texts(Path(next(f for f in result["print_files"] if template in f)))[0]
        docs = [d for d in result["documents"] if d["template"] == template]
        assert number_ranges([d["doc_no"] for d in docs]) + "（按楼栋、房号排序）" in cover, cover
        assert "至" not in cover.split("文书编号")[1].split("份数")[0]
        assert ("回执" in cover) is receipt, (template, cover)
        total = sum(Decimal(records_total(story, d)) for d in docs)
        assert f"合计{len(docs)}{total:,.2f}" in cover, cover


def records_total(story, doc) -> str:
    return next(d for d in store_docs(story["home"]) if d["doc_no"] == doc["doc_no"])["record"]["total"]


def test_sms_list_is_one_segment_each_with_amounts_as_numbers(story):
    """sms.xlsx: each text fits one SMS segment (70 characters with the 【signature】), names the
    unit, the amount and the notice's number and the days to pay from receipt; the amount
    column holds number cells; the text column is the wide one; a 合计 row closes the list."""
    from openpyxl.utils import get_column_letter
    june = story["june"]
    sheet = next(Path(june["print_files"][0]).parent.glob("sms.xlsx"))
    book = load_workbook(sheet)
    ws = book.active
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    widths = {h: ws.column_dimensions[get_column_letter(k + 1)].width for k, h in enumerate(head)}
    assert max(widths, key=lambda h: widths[h]) == "短信内容" and widths["短信内容"] >= 80, widths
    assert widths["业主"] < 20 and widths["方式"] < 10, widths
    docs = june["documents"]
    assert len(rows) == len(docs) + 2
    for d, r in zip(docs, rows[1:-1]):
        text = r[head.index("短信内容")]
        assert len(text) <= 70, (len(text), text)
        total = records_total(story, d)
        assert d["unit"] in text and d["doc_no"] in text and f"{Decimal(total):,.2f}元" in text, text
        assert "收到后十五日内" in text and text.startswith("【阳光物业服务有限公司】"), text
        assert isinstance(r[head.index("欠费金额（元）")], (int, float)), r
    last = list(ws.iter_rows(min_row=ws.max_row, max_row=ws.max_row))[0]
    amount = last[head.index("欠费金额（元）")]
    assert last[0].value == "合计" and amount.data_type == "n" and amount.number_format == "0.00"
    assert f"{amount.value:.2f}" == f"{sum(Decimal(records_total(story, d)) for d in docs):.2f}"


def test_tracking_import_moves_letters_to_sent_and_delivered(story):
    result = story["tracking"]
    assert result.exit_code == 0, result.output
    moved = json.loads(result.stdout)
    letters = [d["doc_no"] for d in story["letters"]]
    assert moved["sent"] == letters and moved["delivered"] == letters[:-1]
    rows = {d["doc_no"]: d for d in store_docs(story["home"])}
    assert rows[letters[0]]["state"] == "delivered" and rows[letters[0]]["delivered_on"] == "2025-09-05"
    assert rows[letters[-1]]["state"] == "sent" and rows[letters[-1]]["tracking"]


def test_bad_tracking_sheet_changes_nothing(story, tmp_path):
    home = story["home"]
    before = (home / "records" / "formsmith.json").read_bytes()
    sheet = tmp_path / "bad.csv"
    good = story["letters"][-1]["doc_no"]
    sheet.write_text(f"内件品名,运单号,妥投日期\n{good},1151234500099,2025-09-06\n"
                     "物催字〔2099〕1号,1151234500100,\n", encoding="utf-8")
    result = formsmith_cmd(home, "docs", "import-tracking", str(sheet))
    assert result.returncode == 2
    assert "第3行" in result.stderr and "物催字〔2099〕1号" in result.stderr and "Traceback" not in result.stderr
    assert (home / "records" / "formsmith.json").read_bytes() == before


def test_legal_notice_cites_the_real_earlier_numbers(story):
    home = story["home"]
    rows = store_docs(home)
    doc = story["march"]["documents"][0]
    text = "".join(page_texts(home / doc["path"]))
    unit = doc["unit"]
    earlier = [d for d in rows if d["unit"] == unit and d["template"] in ("payment-notice", "dunning-letter")
               and d["state"] != "void"]
    assert len(earlier) == 2
    for d in earlier:
        assert d["doc_no"] in text and d["issued_on"] in text
    letter = next(d for d in earlier if d["template"] == "dunning-letter")
    assert f"经特快专递（运单号{letter['tracking']}）于2025年9月5日妥投" in text
    # the June notice went to no courier and no delivery of it is recorded: none is claimed
    notice = next(d for d in earlier if d["template"] == "payment-notice")
    assert notice["state"] == "generated"
    entry = text[text.index(notice["doc_no"]):text.index(letter["doc_no"])]
    assert "送达" not in entry and "妥投" not in entry, entry
    assert "书面催告共2份" in text and "多次" not in text and "依法送达" not in text
    assert "法律催告函" in text and "回执" in text


def test_status_shows_stage_and_what_is_next(story, run_json):
    rows = {r["unit"]: r for r in run_json(story["home"], "dunning", "status", "--as-of", MARCH)}
    waiting = story["letters"][-1]["unit"]
    assert rows[waiting]["stage"] == 2 and rows[waiting]["due_now"] is None and "妥投" in rows[waiting]["note"]
    legal = story["march"]["documents"][0]["unit"]
    assert rows[legal]["stage"] == 3


@pytest.mark.slow
def test_killed_run_resumes_without_duplicate_or_reused_number(demo_home, tmp_path):
    home = tmp_path / "ws"
    shutil.copytree(demo_home, home)
    only_buildings_owe(home, {"1"})
    cfg = (home / "formsmith.toml").read_text(encoding="utf-8")
    cfg = cfg.replace("batch_chunk = 100", "batch_chunk = 2").replace("commit_every = 2000", "commit_every = 1")
    (home / "formsmith.toml").write_text(cfg, encoding="utf-8")
    expected = overdue_units(home, "2025-12-01")
    proc = subprocess.Popen([FORMSMITH, "--home", str(home), "dunning", "run", "--as-of", "2025-12-01",
                             "--stage", "1", "--jobs", "2", "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(d["template"] == "payment-notice" for d in store_docs(home)):
                break
        except ValueError:
            pass
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)   # the run, mid-way (its workers die with it)
    proc.wait()
    partial = [d for d in store_docs(home) if d["template"] == "payment-notice"]
    assert 0 < len(partial) < len(expected), "the kill came mid-way"
    result = formsmith_cmd(home, "dunning", "run", "--as-of", "2025-12-01", "--stage", "1", "--json")
    assert result.returncode == 0, result.stderr
    notices = [d for d in store_docs(home) if d["template"] == "payment-notice"]
    assert sorted(d["unit"] for d in notices) == expected
    nos = [d["doc_no"] for d in notices]
    assert len(set(nos)) == len(nos)
    assert sorted(d["seq"] for d in notices) == list(range(1, len(expected) + 1)), "no gap, none twice"
    assert {d["doc_no"] for d in partial} <= set(nos)
    assert not list((home / "output").rglob("*.part"))
    ws = load_workspace(home)
    for d in notices:
        assert verify_file(ws, home / d["path"]).identical, d["doc_no"]
    with Store(home / "records").snapshot() as view:
        assert not view.meta("dunning:pending")
    print_pages = len(PdfReader(str(home / json.loads(result.stdout)["print_files"][0])).pages)
    assert print_pages == 2 + sum(d["pages"] + d["pages"] % 2 for d in notices)


# ---------------------------------------------------------------- the print file as PDF readers see it

def gs_complaints(path: Path) -> list[str]:
    """The lines Ghostscript prints about errors or warnings while drawing every page."""
    out = subprocess.run(["gs", "-q", "-o", "/dev/null", "-sDEVICE=nullpage", str(path)],
                         capture_output=True, text=True)
    return [line.strip() for line in (out.stdout + out.stderr).splitlines()
            if "error" in line.lower() or "warning" in line.lower()]


@pytest.fixture(scope="module")
def month_end(demo_home, tmp_path_factory):
    """Stage 1 as of 2025-12-01 on building 1 by each engine, laid out in chunks of 3 letters
    (so the print file puts pages of several engine documents and the cover together):
    {engine: print.pdf}."""
    out = {}
    for engine in ("html", "typst"):
        home = tmp_path_factory.mktemp(f"month-end-{engine}") / "ws"
        shutil.copytree(demo_home, home)
        only_buildings_owe(home, {"1"})
        cfg = (home / "formsmith.toml").read_text(encoding="utf-8")
        (home / "formsmith.toml").write_text(cfg.replace("batch_chunk = 100", "batch_chunk = 3"),
                                             encoding="utf-8")
        result = formsmith_cmd(home, "dunning", "run", "--as-of", "2025-12-01", "--stage", "1",
                               "--jobs", "1", "--engine", engine, "--json")
        assert result.returncode == 0, result.stderr
        done = json.loads(result.stdout)
        assert len(done["documents"]) > 3, "more than one chunk"
        out[engine] = home / done["print_files"][0]
    return out


@pytest.mark.parametrize("engine", ["html", "typst"])
def test_print_file_blank_backs_are_valid_streams(month_end, engine):
    """A blank back is drawn from a content stream that decodes: none of the file's streams
    claims /FlateDecode over no bytes (Ghostscript: "Page drawing error", MuPDF: "premature
    end of data in flate filter")."""
    import pikepdf
    path = month_end[engine]
    with pikepdf.open(path) as pdf:
        blanks = 0
        for n, page in enumerate(pdf.pages, 1):
            contents = page.obj.get("/Contents")
            streams = [] if contents is None else list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            blanks += all(s.read_bytes().strip() == b"" for s in streams)
            for s in streams:
                filters = s.get("/Filter")
                assert not (filters is not None and "/FlateDecode" in str(filters)
                            and len(s.read_raw_bytes()) == 0), (engine, n, "empty FlateDecode stream")
        assert blanks >= 2, "the run has blank backs"
        empty_flate = [o.objgen for o in pdf.objects if isinstance(o, pikepdf.Stream)
                       and "/FlateDecode" in str(o.get("/Filter", "")) and len(o.read_raw_bytes()) == 0]
        assert empty_flate == [], (engine, empty_flate)


@pytest.mark.parametrize("engine", ["html", "typst"])
def test_print_file_gives_each_subset_tag_one_font_program(month_end, engine):
    """ISO 32000-1 9.6.4: a subset tag (ABCDEF+) names one font program. The print file puts
    together subsets of the same font from several engine documents (and the cover), which
    may carry the same tag; the tags a font's dictionary, its descendant and its descriptor
    carry still agree."""
    import hashlib
    import pikepdf
    programs: dict[str, set[str]] = {}
    with pikepdf.open(month_end[engine]) as pdf:
        for font in (o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"):
            parts = list(font.get("/DescendantFonts", ())) or [font]
            for part in parts:
                fd = part.get("/FontDescriptor")
                if fd is None:
                    continue
                name = str(fd["/FontName"])
                assert str(part["/BaseFont"]).startswith(name) and str(font["/BaseFont"]).startswith(name), \
                    (engine, str(font["/BaseFont"]), str(part["/BaseFont"]), name)
                program = next((fd[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in fd), None)
                if program is not None and re.match(r"/[A-Z]{6}\+", name):
                    programs.setdefault(name[1:7], set()).add(hashlib.sha256(program.read_bytes()).hexdigest())
    assert programs, "the print file has subset fonts"
    shared = {tag: len(h) for tag, h in programs.items() if len(h) > 1}
    assert shared == {}, (engine, shared)


@pytest.mark.parametrize("engine", ["html", "typst"])
def test_print_file_draws_cleanly_in_ghostscript_and_passes_qpdf(month_end, engine):
    if not shutil.which("gs") or not shutil.which("qpdf"):
        pytest.skip("Ghostscript (gs) or qpdf is not installed")
    path = month_end[engine]
    assert gs_complaints(path) == []
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr, check.stdout + check.stderr


def test_sms_too_long_for_one_segment_is_refused_and_nothing_written(story, tmp_path):
    """A signature that leaves no room for the reminder in one segment is refused naming the
    notice and the setting; no list is written. A short one signs every text."""
    from formsmith.errors import InputError
    from formsmith.processes.arrears.printing import write_sms_list
    from formsmith.processes.arrears.run import period_documents
    ws = load_workspace(story["home"])
    docs = period_documents(ws, "payment-notice", "2025-06")
    ws.config.setdefault("dunning", {})["sms_signature"] = "阳光花园物业服务有限公司江城南湖分公司客户服务中心"
    with pytest.raises(InputError) as exc:
        write_sms_list(ws, docs, tmp_path / "sms")
    assert "sms_signature" in str(exc.value) and docs[0]["doc_no"] in str(exc.value)
    assert list(tmp_path.iterdir()) == []
    ws.config["dunning"]["sms_signature"] = "阳光物业"
    files = write_sms_list(ws, docs, tmp_path / "sms")
    rows = list(load_workbook(next(f for f in files if f.suffix == ".xlsx")).active.iter_rows(values_only=True))
    assert all(r[-1].startswith("【阳光物业】") and len(r[-1]) <= 70 for r in rows[1:-1])


@pytest.mark.slow
def test_every_letter_of_the_story_conforms(story):
    """The month-end run's letters (the default engine, Typst) of all three stages, cut from
    their batch documents: each passes what a single document passes (veraPDF -f 3b in one JVM,
    qpdf, Ghostscript, /Lang, its declared signature fields) and records where its signer
    writes. The sealed run's letters: test_signing; the html run's: test_conformance_runs_html.py."""
    from conformance import assert_issued_file_conforms
    from validators import verapdf_verdicts
    home = story["home"]
    ws = load_workspace(home)
    docs = [d for key in ("june", "sept", "march") for d in story[key]["documents"]]
    assert {d["template"] for d in docs} == {"payment-notice", "dunning-letter", "legal-notice"}
    paths = [home / d["path"] for d in docs]
    verdicts = verapdf_verdicts(paths)
    for d, path in zip(docs, paths):
        declared = {f["name"] for f in ws.catalog.get(d["template"]).signature_fields}
        assert_issued_file_conforms(path, verdicts[path], declared, sealed=False)
    # The 回执's 签收人 cell is where the ingest looks for ink on the signed copy: every letter
    # with a 回执 records it on its last page, below the letter's text; a notice has none.
    with ws.store.snapshot() as view:
        rows = [view.get("documents", d["doc_id"]) if "doc_id" in d else
                next(r for r in view.find("documents", doc_no=d["doc_no"])) for d in docs]
    for row in rows:
        areas = row["sign_areas"]
        if row["template"] == "payment-notice":
            assert areas == [], (row["doc_no"], areas)
            continue
        assert len(areas) == 1 and areas[0]["page"] == row["pages"], (row["doc_no"], areas)
        assert 20 < areas[0]["y"] < 280 and 40 < areas[0]["w"] < 60 and 5 < areas[0]["h"] < 12, \
            (row["doc_no"], areas)
