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
from pdftools import char_boxes, find_chars, page_texts

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
    body = text.split("特此函告")[0]     # the 回执 below has lines for a hand delivery
    for claim in ("依法送达", "均已", "多次", "合理理由", "直接送达", "短信提醒", "送达并"):
        assert claim not in body, claim
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


# ---------------------------------------------------------------- the page as it is read (issue 17)

MM = 72 / 25.4
FIRM = "6-1-402"       # a company owing 2024-11 … 2025-11 (13 months)
PARKING = "1-2-1002"   # 物业服务费 and 车位管理费, 2024-11 … 2025-11 (13 months)
LONGEST = "6-1-601"    # 14 months of one item
DEC, JUNE26 = date(2025, 12, 1), date(2026, 6, 10)


@pytest.fixture(scope="module")
def layout(demo_records_home, tmp_path_factory):
    """Long letters of the demo's records, each by both engines (the Typst twin voided so it
    does not count as an earlier demand): a 催缴函 with parking over 13 months, the longest of
    one item, a company's 催缴函, which was then left at its door, and the company's 法律催告函;
    the 缴费通知单 with parking."""
    home = tmp_path_factory.mktemp("layout") / "ws"
    shutil.copytree(demo_records_home, home)
    ws = load_workspace(home)
    out: dict[str, dict] = {}

    def both(key, template, unit, as_of):
        out[key] = {}
        for engine in ENGINES:
            doc = issuing.issue_document(ws, template, unit=unit, as_of=as_of, engine=engine, again=True)
            out[key][engine] = doc
            if engine == "typst":
                documents.mark(ws, doc.doc_no, "void", note="the Typst twin, for reading")
    both("parking", "dunning-letter", PARKING, DEC)
    both("longest", "dunning-letter", LONGEST, DEC)
    both("firm", "dunning-letter", FIRM, DEC)
    contact_log.add_contact(ws, FIRM, "留置送达", doc_no=out["firm"]["html"].doc_no, at="2025-12-03T18:20",
                            witness="赵刚（保安）", result="前台拒收，留置于前台并拍照")
    both("firm-legal", "legal-notice", FIRM, JUNE26)
    both("notice", "payment-notice", PARKING, DEC)
    return {"home": home, "ws": ws, "docs": out}


def case_docs(layout, story):
    """(name, engine, issued document) of every letter read below: the layout cases and the
    story's 法律催告函 of an individual owner from the store."""
    docs = [(k, e, d) for k, by in layout["docs"].items() for e, d in by.items()]
    return docs + [("legal", e, story["legal"][e]) for e in ENGINES]


def line_of(chars) -> set[float]:
    """The lines (bottoms of the characters' em boxes, rounded) a run of characters lies on."""
    return {round(b[1] / 4) for _, b, _ in chars}


def test_seal_date_and_receipt_stay_with_the_letters_text(layout, story):
    """GB/T 9704 §7.3.5.5: 特此函告, the issuer, the seal area and the date never stand on a page
    without the letter's text, and the 回执 never stands alone on a sheet. A 催缴函 (13 months
    with parking, 14 months, a company's) fits on one page; a 法律催告函 that needs two takes its
    last paragraph over with the closing."""
    for name, engine, doc in case_docs(layout, story):
        pages = char_boxes(doc.path)
        def page_of(text):
            found = [k for k, p in enumerate(pages) if find_chars(p, text)]
            assert found, (name, engine, text)
            return found[-1]
        seal = page_of("（盖章）")
        assert page_of("特此") == seal and page_of("逾期仍未缴纳的") == seal, (name, engine)
        if name != "notice":
            assert page_of("沿此线剪下") == page_of("签收人（签字）") == seal, (name, engine)
        if name in ("parking", "longest", "firm", "notice"):
            assert doc.pages == 1, (name, engine, doc.pages)
    for name in ("legal", "firm-legal"):
        assert story["legal"]["html"].pages == story["legal"]["typst"].pages if name == "legal" else \
            layout["docs"][name]["html"].pages == layout["docs"][name]["typst"].pages


def test_seal_keeps_15mm_clear_above_the_tear_line(layout, story):
    """A 42 mm seal pressed over the issuer's name and the date reaches ~15 mm below the date:
    tearing the 回执 off along "沿此线剪下" must not cut it."""
    for name, engine, doc in case_docs(layout, story):
        if name == "notice":
            continue
        pages = char_boxes(doc.path)
        page = next(p for p in reversed(pages) if find_chars(p, "（盖章）"))
        issuer = find_chars(page, "（盖章）")[-1]
        on = formats.cn_date(doc_row(story if name == "legal" else layout, doc)["record"]["as_of"])
        date_run = next(r for r in find_chars(page, on) if min(b[1] for _, _, b in r) < min(b[1] for _, _, b in issuer))
        cut = find_chars(page, "沿此线剪下")[0]
        date_bottom = min(b[1] for _, _, b in date_run)
        line = (min(b[1] for _, _, b in cut) + max(b[3] for _, _, b in cut)) / 2
        assert (date_bottom - line) / MM >= 15, (name, engine, f"{(date_bottom - line) / MM:.1f} mm")


def test_nothing_printed_crosses_the_tear_line(layout, story):
    """The dashed "沿此线剪下" line runs through blank paper: the service centre's address and
    phone, the payment box and the seal area beside them end above it (a Typst cell dropped its
    bottom spacing and the line ran through 联系电话), the 回执 begins below it."""
    for name, engine, doc in case_docs(layout, story):
        if name == "notice":
            continue
        page = next(p for p in char_boxes(doc.path) if find_chars(p, "沿此线剪下"))
        cut = find_chars(page, "沿此线剪下")[0]
        line = (min(b[1] for _, _, b in cut) + max(b[3] for _, _, b in cut)) / 2
        # within 1 mm of the line, above or below, nothing but its label
        near = [c for c, loose, tight in page
                if (c, loose, tight) not in cut and tight[1] - MM < line < tight[3] + MM]
        assert not near, (name, engine, "".join(near))


def test_receipt_proves_who_received_what(layout, story):
    """The 回执 names what was received (title and number), asks the signer's relation to the
    owner, a company's seal for a company, and the deliverer's and witness's signatures for a
    hand or left delivery."""
    for name, engine, doc in case_docs(layout, story):
        if name == "notice":
            continue
        text = text_of(layout["home"] if name != "legal" else story["home"], doc)
        receipt = text.split("沿此线剪下")[-1] if "沿此线剪下" in text else text
        title = "物业服务费法律催告函" if "legal" in name else "物业服务费催缴函"
        firm = name.startswith("firm")
        who = "本单位" if firm else "本人"
        assert f"{who}已收到贵司《{title}》（{doc.doc_no}）。" in text, (name, engine)
        for part in ("签收人与业主关系", "送达人（签字）", "见证人（签字）", "签收日期", "留置送达"):
            assert part in text, (name, engine, part)
        assert ("（单位盖章）" in text) is firm, (name, engine)
        assert ("本单位工作人员" in text) is firm and ("家庭成员" in text) is not firm, (name, engine)
        assert receipt


def test_legal_notice_says_only_what_the_law_gives(layout, story):
    """No cost the court has not allocated, no credit threat, no "最后一次"; 民法典 第九百四十四条
    quoted word for word in quotation marks at the body size; 您 for a person, 贵单位 for a
    company, never both."""
    quote_1 = ("第一款规定：“业主应当按照约定向物业服务人支付物业费。物业服务人已经按照约定和有关规定提供服务的，"
               "业主不得以未接受或者无需接受相关物业服务为由拒绝支付物业费。”")
    quote_2 = ("第二款规定：“业主违反约定逾期不支付物业费的，物业服务人可以催告其在合理期限内支付；"
               "合理期限届满仍不支付的，物业服务人可以提起诉讼或者申请仲裁。”")
    for name, engine, doc in case_docs(layout, story):
        if name == "notice":          # the 缴费通知单 cites no law
            continue
        home = story["home"] if name == "legal" else layout["home"]
        text = text_of(home, doc)
        for wrong in ("保全费", "公告费", "一切费用", "诉讼费", "信用", "最后一次", "再次并", "为由拒绝支付物业费；"):
            assert wrong not in text, (name, engine, wrong)
        assert "《中华人民共和国民法典》第九百四十四条" in text
        assert quote_2 in text, (name, engine)
        assert (quote_1 in text) is ("legal" in name), (name, engine)
        firm = name.startswith("firm")
        body = text.split("沿此线剪下")[0]
        assert ("贵单位" in body) is firm and ("您" in body) is not firm, (name, engine)
        # the statute at the size of the demand that follows it (an ideograph's em box)
        sizes = {}
        for key, words in (("law", "物业服务人可以催告其"), ("demand", "现特函催告")):
            page = next(p for p in char_boxes(doc.path) if find_chars(p, words))
            # the smallest em box: WeasyPrint widens a box by the justification of its line
            sizes[key] = min(round(b[2] - b[0], 1) for _, b, _ in find_chars(page, words)[0])
        assert sizes["law"] == sizes["demand"] == 12.0, (name, engine, sizes)


def test_body_is_12pt_with_full_width_punctuation_in_both_engines(layout, story):
    """The letters' body is set at 12 pt (an ideograph advances 12 pt), and a full-width mark
    (，。、；：（）《》“”) takes a full em in both engines: Typst does not squeeze "服务的，业主"."""
    for name, engine, doc in case_docs(layout, story):
        page = char_boxes(doc.path)[0]
        # the size most ideographs of the first page are set in (tables are smaller)
        sizes = Counter(round(min(b[2] - b[0], page[k + 1][1][0] - b[0]) if k + 1 < len(page) else b[2] - b[0])
                        for k, (c, b, _) in enumerate(page) if "\u4e00" <= c <= "\u9fff")
        assert sizes.most_common(1)[0][0] == 12, (name, engine, sizes.most_common(3))
        # each mark advances its own em (its em box), whatever the line's justification
        for k, (c, b, _) in enumerate(page[:-1]):
            following = page[k + 1][1]
            if c in "，。、；：（）《》“”" and abs(following[1] - b[1]) < 3 and following[0] > b[0]:
                assert following[0] - b[0] >= 0.97 * (b[2] - b[0]), \
                    (name, engine, c, page[k + 1][0], round(following[0] - b[0], 1), round(b[2] - b[0], 1))


def test_words_do_not_break_across_lines(layout, story):
    """"（大写）", the letter's date and "客户服务中心" each stay on one line."""
    for name, engine, doc in case_docs(layout, story):
        record = doc_row(story if name == "legal" else layout, doc)["record"]
        for page in char_boxes(doc.path):
            for word in ("（大写）", formats.cn_date(record["as_of"]), "客户服务中心"):
                for run in find_chars(page, word):
                    assert len(line_of(run)) == 1, (name, engine, word)


def test_page_code_is_labelled_and_the_payment_code_too(layout, story):
    """Every page's QR is labelled 文书核验码 beside it (top right); the payment QR beside the
    seal area is labelled 扫码缴费."""
    for name, engine, doc in case_docs(layout, story):
        pages = char_boxes(doc.path)
        for k, page in enumerate(pages):
            label = find_chars(page, "文书核验码")
            assert len(label) == 1, (name, engine, k)
            x0 = label[0][0][1][0]
            top = max(b[3] for _, b, _ in label[0])
            assert x0 > 120 * MM and top > 270 * MM, (name, engine, x0 / MM, top / MM)
        last = "".join(c for c, _, _ in pages[-1])
        labels = [k for k in range(len(last)) if last.startswith("扫码缴费", k) and last[k - 1] not in "、或"]
        assert len(labels) == 1, (name, engine)
