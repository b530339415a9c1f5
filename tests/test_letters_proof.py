"""The arrears letters claim only what the store records (issue 16), read back as a lawyer would.

GIVEN a unit owing May to November 2025 whose 缴费通知单 (June, May only) was never recorded as
delivered, whose 催缴函 (September, May to August) went by express mail and was delivered, with
a phone call and a home visit in the contact log (and a text sent after the legal notice, and a
call to another unit), WHEN the 法律催告函 is issued with each engine, THEN it cites each earlier
demand with the number, date, months and amount IT demanded and only the delivery recorded for
it, and only the contacts recorded before it; deadlines run from receipt; the letters say how
to pay by transfer; the courier gets the full address and what is inside, never the debt.
"""
from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from formsmith import catalog, documents, formats, issuing
from formsmith.errors import InputError
from formsmith.processes.arrears import printing, tracking
from formsmith.processes.contacts import log as contact_log
from formsmith.workspace import load_workspace
from pdftools import page_texts

A = "1-2-102"          # owes 2025-05 … 2025-11 (7 months)
B = "2-1-801"          # owes 2025-08 … 2025-11
C = "3-2-201"          # an owner with an agreed service address
D = "3-1-901"          # a letter marked delivered by hand without any record of how
COMMUNITY_ADDRESS = "江城市南湖区阳光路88号"
JUNE, SEPT, NOV, MARCH = date(2025, 6, 1), date(2025, 9, 1), date(2025, 11, 1), date(2026, 3, 10)


def text_of(home: Path, doc) -> str:
    path = Path(doc.path) if hasattr(doc, "path") else home / doc["path"]
    return "".join(page_texts(path if path.is_absolute() else home / path))


@pytest.fixture(scope="module")
def story(demo_records_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("proof") / "ws"
    shutil.copytree(demo_records_home, home)
    ws = load_workspace(home)
    s = {"home": home, "ws": ws}
    s["notice"] = issuing.issue_document(ws, "payment-notice", unit=A, as_of=JUNE)
    contact_log.add_contact(ws, A, "电话", at="2025-07-10T10:30", result="无人接听", by="李娜")
    s["letter"] = issuing.issue_document(ws, "dunning-letter", unit=A, as_of=SEPT)
    # The same letter set by Typst, to read both engines' wording; voided, so it is not an
    # earlier demand of its own (a void document keeps its number and counts for nothing).
    s["letter_typst"] = issuing.issue_document(ws, "dunning-letter", unit=A, as_of=SEPT, engine="typst",
                                               again=True)
    documents.mark(ws, s["letter_typst"].doc_no, "void", note="the Typst twin, for reading")
    # The courier's sheet back, 内件品名 as the courier list wrote it: title and number.
    with ws.store.snapshot() as view:
        row = documents.find(view, s["letter"].doc_no)
    sheet = home / "back.csv"
    sheet.write_text(f"内件品名,运单号,妥投日期\n{row['title']} {row['doc_no']},1151234500001,2025-09-04\n",
                     encoding="utf-8")
    s["tracked"] = tracking.import_tracking(ws, sheet)
    contact_log.add_contact(ws, A, "上门拜访", at="2025-10-20T15:00", result="业主称电梯维修不及时，暂不缴费")
    contact_log.add_contact(ws, B, "电话", at="2025-10-21T09:00", result="另一户的电话")
    contact_log.add_contact(ws, A, "短信", at="2026-04-01T09:00", result="法律催告函之后的短信")
    s["legal"] = {"html": issuing.issue_document(ws, "legal-notice", unit=A, as_of=MARCH),
                  "typst": issuing.issue_document(ws, "legal-notice", unit=A, as_of=MARCH,
                                                  engine="typst", again=True)}
    # Unit B: the notice was left at the door before a witness (留置送达), then the letter.
    s["notice_b"] = issuing.issue_document(ws, "payment-notice", unit=B, as_of=SEPT)
    contact_log.add_contact(ws, B, "留置送达", doc_no=s["notice_b"].doc_no, at="2025-09-03T18:20",
                            witness="赵刚（保安）", result="业主拒收，留置于门口并拍照")
    s["letter_b"] = {"html": issuing.issue_document(ws, "dunning-letter", unit=B, as_of=NOV),
                     "typst": issuing.issue_document(ws, "dunning-letter", unit=B, as_of=NOV,
                                                     engine="typst", again=True)}
    return s


def doc_row(story, issued) -> dict:
    with story["ws"].store.snapshot() as view:
        return documents.find(view, issued.doc_no)


ENGINES = ("html", "typst")


# ---------------------------------------------------------------- the legal notice

@pytest.mark.parametrize("engine", ENGINES)
def test_legal_notice_claims_no_delivery_that_is_not_recorded(story, engine):
    text = text_of(story["home"], story["legal"][engine])
    notice, letter = doc_row(story, story["notice"]), doc_row(story, story["letter"])
    assert notice["state"] == "generated"
    for claim in ("依法送达", "均已", "多次", "合理理由", "直接送达", "短信提醒", "送达并"):
        assert claim not in text, claim
    # The notice's entry: its number, date, what it demanded, and no delivery of any kind.
    start = text.index(notice["doc_no"])
    entry = text[start:text.index(letter["doc_no"], start)]
    assert "2025年6月1日" in entry or "2025-06-01" in entry
    assert "送达" not in entry and "妥投" not in entry and "签收" not in entry, entry
    # The letter's entry: the waybill and the day the courier delivered it.
    entry = text[text.index(letter["doc_no"]):]
    assert "1151234500001" in entry and ("2025年9月4日" in entry or "2025-09-04" in entry)
    assert "妥投" in entry


@pytest.mark.parametrize("engine", ENGINES)
def test_each_earlier_demand_shows_the_months_and_amount_it_demanded(story, engine):
    text = text_of(story["home"], story["legal"][engine])
    notice, letter = doc_row(story, story["notice"]), doc_row(story, story["letter"])
    for row, months in ((notice, "2025年5月共1个月"), (letter, "2025年5月至2025年8月共4个月")):
        start = text.index(row["doc_no"])
        entry = text[start:start + 160]
        assert months in entry, (row["doc_no"], entry)
        assert formats.money(row["record"]["total"]) in entry, (row["doc_no"], entry)
    # The legal notice itself demands all seven months.
    assert "2025年5月至2025年11月共7个月" in text
    legal = doc_row(story, story["legal"][engine])
    assert formats.rmb_words(legal["record"]["total"]) in text
    assert [p["doc_no"] for p in legal["record"]["prior_demands"]] == [notice["doc_no"], letter["doc_no"]]
    assert legal["record"]["prior_demands"][0]["total"] == notice["record"]["total"]


@pytest.mark.parametrize("engine", ENGINES)
def test_legal_notice_cites_the_recorded_contacts_and_no_other(story, engine):
    text = text_of(story["home"], story["legal"][engine])
    assert "2025年7月10日" in text and "无人接听" in text
    assert "2025年10月20日" in text and "业主称电梯维修不及时，暂不缴费" in text
    assert "另一户的电话" not in text and "法律催告函之后的短信" not in text


@pytest.mark.parametrize("engine", ENGINES)
def test_legal_deadline_runs_from_receipt(story, engine):
    text = text_of(story["home"], story["legal"][engine])
    assert "自收到本函之日起七日内" in text
    assert formats.cn_date(date(2026, 3, 17)) not in text and "最迟于" not in text


def test_both_engines_print_the_same_legal_notice(story):
    html, typ = (story["legal"][e] for e in ENGINES)
    assert html.pages == typ.pages == 2

    def chars(doc):
        return Counter(text_of(story["home"], doc).replace(doc.doc_no, "#"))
    assert chars(html) == chars(typ), (chars(typ) - chars(html), chars(html) - chars(typ))


def test_no_legal_notice_without_a_provable_delivery(story):
    """A 催缴函 marked delivered with no waybill and no contact record proves nothing."""
    ws = story["ws"]
    letter = issuing.issue_document(ws, "dunning-letter", unit=D, as_of=NOV)
    documents.mark(ws, letter.doc_no, "delivered", note="说是送过了")
    with pytest.raises(InputError) as exc:
        issuing.prepare(ws, "legal-notice", unit=D, as_of=MARCH)
    assert "prior_demands" in str(exc.value) and letter.doc_no in str(exc.value)


# ---------------------------------------------------------------- the earlier letters

@pytest.mark.parametrize("engine", ENGINES)
def test_dunning_letter_cites_the_notice_with_what_it_demanded(story, engine):
    text = text_of(story["home"], story["letter"] if engine == "html" else story["letter_typst"])
    notice = doc_row(story, story["notice"])
    assert "提示您缴纳上述费用" not in text and "多次" not in text
    start = text.index(notice["doc_no"])
    entry = text[start - 40:start + 120]
    assert "2025年6月1日" in entry and "2025年5月共1个月" in entry
    assert formats.money(notice["record"]["total"]) in entry
    assert "送达" not in entry and "妥投" not in entry
    assert "2025年7月10日" in text and "无人接听" in text          # the call before the letter
    assert "2025年10月20日" not in text                          # the visit came after it
    assert "自收到本函之日起十五日内" in text and "最迟不晚于" not in text
    assert formats.cn_date(date(2025, 9, 16)) not in text


@pytest.mark.parametrize("engine", ENGINES)
def test_dunning_letter_cites_a_recorded_leave_delivery_with_its_witness(story, engine):
    text = text_of(story["home"], story["letter_b"][engine])
    notice = doc_row(story, story["notice_b"])
    assert notice["state"] == "delivered" and notice["delivered_on"] == "2025-09-03"
    entry = text[text.index(notice["doc_no"]) - 40:]
    assert "2025年9月3日" in entry and "留置送达" in entry and "赵刚（保安）" in entry


def test_payment_notice_counts_from_receipt(story):
    text = text_of(story["home"], story["notice"])
    assert "自收到本通知之日起十五日内" in text
    assert formats.cn_date(date(2025, 6, 16)) not in text


# ---------------------------------------------------------------- how to pay

@pytest.mark.parametrize("which", ["notice", "letter", "legal-html", "legal-typst", "letter_b-typst"])
def test_letters_say_how_to_pay_by_transfer(story, which):
    name, _, engine = which.partition("-")
    doc = story[name][engine] if engine else story[name]
    ws = story["ws"]
    pay = ws.config["payment"]
    text = text_of(story["home"], doc)
    for value in (pay["account_name"], pay["bank"], pay["account_no"].replace(" ", ""), pay["transfer_note"]):
        assert value in text, value
    unit = doc_row(story, doc)["unit"]
    assert unit in text
    # the QR image from the workspace's assets/ is on the page (a raster image: our page codes are vectors)
    images = [img for page in PdfReader(str(doc.path)).pages for img in page.images]
    assert images, "payment QR image"


# ---------------------------------------------------------------- the courier's lists

@pytest.fixture(scope="module")
def courier(story, tmp_path_factory):
    out = tmp_path_factory.mktemp("courier")
    ws = story["ws"]
    rows = [doc_row(story, story["letter"]), doc_row(story, story["letter_b"]["html"])]
    files = printing.write_courier_list(ws, rows, out / "courier")
    return {"rows": rows, "files": files, "out": out}


def sheet_rows(path: Path) -> list[tuple]:
    return list(load_workbook(path).active.iter_rows(values_only=True))


def test_courier_list_carries_full_address_and_contents_and_no_debt(courier):
    xlsx = next(p for p in courier["files"] if p.name == "courier.xlsx")
    rows = sheet_rows(xlsx)
    head = rows[0]
    assert not any("金额" in str(h) or "欠费" in str(h) for h in head), head
    assert not any("¥" in str(v) for r in rows for v in r)
    for doc, row in zip(courier["rows"], rows[1:]):
        assert row[head.index("内件品名")] == f"{doc['title']} {doc['doc_no']}"
        address = row[head.index("收件地址")]
        assert address.startswith(COMMUNITY_ADDRESS) and address.endswith(doc["record"]["unit_address"]), address
        assert doc["record"]["total"] not in [str(v) for v in row]
    csv_text = next(p for p in courier["files"] if p.name == "courier.csv").read_text(encoding="utf-8-sig")
    assert "欠费" not in csv_text and all(d["record"]["total"] not in csv_text for d in courier["rows"])


def test_the_office_keeps_the_amounts_in_an_internal_list(courier):
    xlsx = next(p for p in courier["files"] if p.name == "courier-internal.xlsx")
    book = load_workbook(xlsx)
    assert "内部留存" in book.active.title
    rows = list(book.active.iter_rows(values_only=True))
    head = next(r for r in rows if "内件品名" in r)
    body = rows[rows.index(head) + 1:]
    amounts = [r[head.index("欠费金额（元）")] for r in body[:-1]]
    assert [f"{a:.2f}" for a in amounts] == [d["record"]["total"] for d in courier["rows"]]
    assert body[-1][0] == "合计" and f"{body[-1][head.index('欠费金额（元）')]:.2f}" == f"{sum(amounts):.2f}"
    assert any("内部留存" in str(v) for r in rows for v in r if v)


def test_agreed_service_address_takes_precedence(story):
    ws = story["ws"]
    agreed = "湖北省江城市洪山区珞喻路100号7栋1单元502室"
    with ws.store.transaction() as tx:
        unit = tx.get("units", C)
        owner = tx.get("parties", unit["owner"])
        tx.update("parties", owner["id"], {"service_address": agreed,
                                           "mailing_address": "江城市南湖区别处1号"})
    _, values, _ = issuing.prepare(ws, "dunning-letter", unit=C, as_of=NOV)
    assert values["mailing_address"] == agreed
    rows = printing.courier_rows([{"doc_no": "物催字〔2025〕99号", "title": "物业服务费催缴函", "unit": C,
                                   "record": catalog.to_record(values)}])
    assert agreed in rows[0]
    with ws.store.transaction() as tx:
        tx.update("parties", owner["id"], {"service_address": None})
    _, values, _ = issuing.prepare(ws, "dunning-letter", unit=C, as_of=NOV)
    assert values["mailing_address"] == "江城市南湖区别处1号"       # the owner's own, as written


def test_tracking_sheet_with_title_and_number_moved_the_letter(story):
    assert story["tracked"].delivered == [story["letter"].doc_no]
    row = doc_row(story, story["letter"])
    assert row["state"] == "delivered" and row["delivered_on"] == "2025-09-04"


def test_templates_read_only_the_regular_files_of_assets(story, tmp_path):
    """The payment QR comes from the workspace's assets/ folder and from nowhere else: a name
    that is a link out of it is refused before a number is taken, and the Typst engine serves
    only the folder's regular files (a link is not there to read)."""
    from formsmith.errors import ValidationError
    from formsmith.render import typst as typst_engine
    ws = story["ws"]
    outside = tmp_path / "secret.png"
    outside.write_bytes((ws.assets_dir / "pay-qr.png").read_bytes())
    link = ws.assets_dir / "link.png"
    link.symlink_to(outside)
    try:
        data = issuing.prepare(ws, "payment-notice", unit=A, as_of=NOV)[1]
        data = catalog.to_record(data)
        data.pop("deadline_words")
        with pytest.raises(ValidationError) as exc:
            issuing.prepare(ws, "payment-notice", data=dict(data, pay_qr="link.png"), as_of=NOV)
        assert "pay_qr" in str(exc.value) and "之外的链接" in str(exc.value)
        st = typst_engine.stage(ws.catalog.get("payment-notice"), ws.fonts)
        st.use_assets((ws.assets_dir,))
        assert sorted(p.name for p in (st.root / typst_engine.ASSETS_DIR).iterdir()) == ["pay-qr.png"]
    finally:
        link.unlink()
