"""The issued 催缴函 read back as a clerk, an archivist and a court would read it."""
from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal

import pytest

from conftest import store_rows
from pypdf import PdfReader

from formsmith import formats
from pdftools import attachment_json, fonts_embedded, our_page_codes, page_qr_payloads, page_texts, xmp_text


@pytest.fixture(scope="module")
def issued(demo_home):
    """The demo's issued letters with their store rows."""
    docs = [d for d in store_rows(demo_home, "documents") if d["template"] == "dunning-letter"]
    assert len(docs) == 3
    return [(demo_home / d["path"], d) for d in docs]


def test_demo_issues_letters_for_three_kinds_of_units(issued):
    nos = sorted(d["doc_no"] for _, d in issued)
    assert nos == ["物催字〔2025〕1号", "物催字〔2025〕2号", "物催字〔2025〕3号"]
    assert {d["state"] for _, d in issued} == {"generated"}
    assert max(len(d["record"]["items"]) for _, d in issued) == 14, "the longest arrears are shown"


def test_chinese_text_is_extractable_and_reads_as_a_letter(issued):
    for path, doc in issued:
        text = "".join(page_texts(path))
        for phrase in ("物业服务费催缴函", doc["doc_no"], doc["record"]["owner_name"],
                       doc["record"]["unit_address"], "民法典》第九百四十四条", "特此函告",
                       "回执", "沿此线剪下", "签收人", "（盖章）", "2025年12月1日", "自收到本函之日起十五日内"):
            assert phrase in text, (doc["doc_no"], phrase)
        # the days to pay run from receipt: no calendar date that could fall before it
        assert "2025年12月16日" not in text and "最迟不晚于" not in text, doc["doc_no"]


def test_demo_letters_cite_the_demo_contacts_and_claim_nothing_else(issued, demo_home):
    """The contact log of the demo (its calls, texts and visits before the letters) is what the
    letters cite, each with its date and result; the demo issued no earlier notice, so no
    letter says one was sent or delivered."""
    contacts = store_rows(demo_home, "contacts")
    assert contacts
    for path, doc in issued:
        text = "".join(page_texts(path))
        mine = [c for c in contacts if c["unit"] == doc["unit"]]
        for c in mine:
            assert formats.cn_date(c["at"][:10]) in text and c["result"] in text, (doc["doc_no"], c)
        others = [c for c in contacts if c["unit"] != doc["unit"]]
        assert not any(c["result"] in text for c in others if all(c["result"] != m["result"] for m in mine))
        assert doc["record"].get("prior_demands") in (None, [])
        # the letter up to 特此函告: the 回执 below it has lines for who delivers it
        letter = text.split("特此函告")[0]
        for claim in ("送达", "妥投", "多次", "发出《"):
            assert claim not in letter, (doc["doc_no"], claim)
        if not mine:
            assert "此前" not in text


def test_letters_print_how_to_pay_by_transfer(issued, demo_home):
    """The demo configures [payment]: every letter gives the account, the unit to quote, and
    the QR image of the workspace's assets/."""
    for path, doc in issued:
        text = "".join(page_texts(path))
        for part in ("阳光物业服务有限公司", "中国工商银行江城南湖支行", "4202001209000123456",
                     f"请注明房号（{doc['unit']}）"):
            assert part in text, (doc["doc_no"], part)
        assert [img for page in PdfReader(str(path)).pages for img in page.images], doc["doc_no"]
    assert (demo_home / "assets" / "pay-qr.png").is_file()


def test_amount_in_words_equals_the_figure_and_the_items(issued):
    for path, doc in issued:
        text = "".join(page_texts(path))
        m = re.search(r"合计人民币（大写）(.+?)（¥([\d,]+\.\d{2})）", text)
        assert m, doc["doc_no"]
        figure = Decimal(m.group(2).replace(",", ""))
        assert formats.rmb_words(figure) == m.group(1)
        assert figure == sum(Decimal(i["amount"]) for i in doc["record"]["items"])
        assert f"{figure:,.2f}" in text  # the table's total row


def test_every_page_carries_number_page_count_and_our_qr(issued):
    for path, doc in issued:
        texts = page_texts(path)
        codes_per_page = our_page_codes(path)
        assert len(texts) == len(codes_per_page) == doc["pages"]
        for n, (text, page_codes) in enumerate(zip(texts, codes_per_page), 1):
            assert doc["doc_no"] in text
            assert f"第{n}页共{doc['pages']}页" in text
            assert [(c.doc_id, c.page, c.pages) for c in page_codes] == [(doc["doc_id"], n, doc["pages"])]


def test_qr_payload_is_prefixed_and_checked(issued):
    path, doc = issued[0]
    payload = page_qr_payloads(path)[0][0]
    assert payload.startswith("FS1:") and doc["doc_id"] in payload
    tampered = payload.replace(":1/", ":2/")
    from formsmith import codes
    assert codes.decode(payload) is not None and codes.decode(tampered) is None


def test_fonts_are_embedded_and_pdfa_is_claimed(issued):
    for path, _ in issued:
        fonts = fonts_embedded(path)
        assert fonts and all(fonts.values()), fonts
        assert any("CJK" in name for name in fonts)
        xmp = xmp_text(path)
        assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)B', xmp)


def test_metadata_names_the_document(issued):
    for path, doc in issued:
        meta = PdfReader(str(path)).metadata
        assert doc["doc_no"] in meta.title and "催缴函" in meta.title
        assert meta.author == "阳光物业服务有限公司"
        assert doc["record"]["unit_address"] in meta.subject
        assert f"formsmith:{doc['doc_id']}" in meta["/Keywords"]


def test_attached_record_equals_the_store(issued):
    for path, doc in issued:
        attached = attachment_json(path)
        assert attached["doc_no"] == doc["doc_no"] and attached["doc_id"] == doc["doc_id"]
        assert attached["template"] == "dunning-letter"
        assert attached["data"] == doc["record"]


def test_sha256_in_store_matches_the_file(issued):
    for path, doc in issued:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == doc["sha256"]


def test_no_id_numbers_leak_into_the_letter(issued, demo_home):
    ids = {p.get("id_number") for p in store_rows(demo_home, "parties")} - {None}
    for path, _ in issued:
        raw = path.read_bytes()
        text = "".join(page_texts(path)) + json.dumps(attachment_json(path), ensure_ascii=False)
        assert not any(i in text for i in ids)
        assert not any(i.encode() in raw for i in ids)
