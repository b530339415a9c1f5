"""Move-in, custody and renovation templates issued from their example data, read back as a clerk would."""
from __future__ import annotations

import json
import re
import shutil
from datetime import date
from decimal import Decimal

import pytest

from formsmith import catalog, find_workspace, issue_document
from formsmith.workspace import BUILTIN_TEMPLATES
from pdftools import (attachment_json, bold_texts, char_boxes, find_chars, fonts_embedded, our_page_codes, page_texts,
                      xmp_text)
from receipt_checks import assert_receipt_sheet

TEMPLATES = {
    # id: (series prefix, phrases a clerk looks for on the page)
    "move-in-registration": ("物登字", ["住户登记表", "委托他人代办", "受托人身份证（复印存档）",
                                       "授权委托书（原件存档）", "420102********1239", "420111********2140",
                                       "鄂A·3K7N9", "紧急联系人", "受托人（代业主）"]),
    "handover-receipt": ("物交字", ["入住物品交接单", "入户门钥匙", "《住户手册》", "房屋水电图",
                                    "李秀英（受托人）", "接收人（业主或受托人）"]),
    "meter-reading": ("物表字", ["水电气表底数确认单", "水表", "12.0", "电表", "356.2", "燃气表",
                                 "立方米", "业主（住户）确认", "抄表人（维修部）"]),
    "inspection-form": ("物验字", ["房屋质量验收登记表", "共验收16项，其中合格13项，不合格3项",
                                   "东墙距地1.2米处有约30厘米裂缝", "维修部验收人"]),
    "repair-order": ("物修字", ["维修工作单", "物验字〔2025〕1号", "东墙距地1.2米处有约30厘米裂缝",
                                "窗扇关闭不严，密封条脱落", "地漏排水缓慢，疑似堵塞", "维修部复检",
                                "业主再次验收确认", "共3项"]),
    "custody-agreement": ("物托字", ["房屋托管协议", "¥233.46", "¥163.42", "壹佰陆拾叁元肆角贰分",
                                     "按全额的70%收取", "水表用量不超过5立方米、电表用量不超过20千瓦时",
                                     "17.0立方米", "376.2千瓦时", "每周", "大雨前后", "（盖章）"]),
    "renovation-agreement": ("物装协字", ["装修管理协议", "允许施工时间", "禁止行为",
                                         "变动建筑主体和承重结构", "¥268.08", "贰佰陆拾捌元零捌分",
                                         "不涉及拆改主体结构", "江城美居装饰工程有限公司（盖章）"]),
    "renovation-permit": ("物装许字", ["装修施工许可证", "不涉及拆改主体结构和明显加大荷载", "ZX2025-001",
                                       "2025年11月10日至2026年1月20日", "（盖章）", "2025年11月6日"]),
    "worker-pass": ("物装证字", ["施工人员临时出入证", "陈建国", "周海涛", "420115********1010",
                                 "沿虚线剪下"]),
    "renovation-fire-safety": ("物装消字", ["装修消防安全责任书", "施工现场消防安全责任人", "陈建国",
                                            "《中华人民共和国消防法》第二十一条", "动火审批", "第二十八条",
                                            "拨打119报警", "江城美居装饰工程有限公司（盖章）"]),
    "debris-fee-receipt": ("物装清字", ["装修垃圾清运费收据", "人民币（大写）：贰佰陆拾捌元零捌分", "¥268.08",
                                        "建筑面积89.36平方米×3.00元/平方米"]),
}


@pytest.fixture(scope="module")
def issued(demo_records_home, tmp_path_factory):
    """Every template issued once from its example data in a private copy of the demo's records
    (none of the documents its story issues: the examples cite the first permit and agreement)."""
    home = tmp_path_factory.mktemp("movein") / "ws"
    shutil.copytree(demo_records_home, home)
    ws = find_workspace(home)
    out = {}
    for tid in TEMPLATES:          # in pack order: the repair order follows its inspection
        tpl = ws.catalog.get(tid)
        doc = issue_document(ws, tid, data=tpl.example, as_of=date(2025, 12, 1))
        with ws.store.snapshot() as view:
            row = view.get("documents", doc.doc_id)
        out[tid] = (doc, row, page_texts(doc.path))
    return out


@pytest.mark.parametrize("tid", list(TEMPLATES))
def test_example_renders_to_a_signed_ready_pdf(issued, tid):
    doc, row, texts = issued[tid]
    prefix, phrases = TEMPLATES[tid]
    # the next number of its series (the demo's cases already took 物修字〔2025〕1号)
    assert re.fullmatch(prefix + r"〔2025〕[12]号", doc.doc_no), doc.doc_no
    xmp = xmp_text(doc.path)
    assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)B', xmp)
    fonts = fonts_embedded(doc.path)
    assert fonts and all(fonts.values()), fonts
    attached = attachment_json(doc.path)
    assert attached["doc_no"] == doc.doc_no and attached["template"] == tid
    # the store keeps the full record; the PDF carries it with every ID number masked
    fields = catalog.Catalog([BUILTIN_TEMPLATES]).get(tid).fields
    assert attached["data"] == catalog.masked_record(fields, row["record"])
    codes = our_page_codes(doc.path)
    assert len(codes) == len(texts) == doc.pages == row["pages"]
    for n, (text, page_codes) in enumerate(zip(texts, codes), 1):
        assert [(c.doc_id, c.page, c.pages) for c in page_codes] == [(doc.doc_id, n, doc.pages)]
        assert doc.doc_no in text and f"第{n}页共{doc.pages}页" in text
    whole = "".join(texts)
    missing = [p for p in phrases if re.sub(r"\s+", "", p) not in whole]
    assert missing == []


def test_agreements_run_over_two_pages_each_with_its_qr(issued):
    for tid in ("custody-agreement", "renovation-agreement"):
        doc, _, texts = issued[tid]
        assert doc.pages == 2
        assert "（以下无正文）" in "".join(texts)
    # each party's column names it, the owner's as well as the two companies'
    doc, row, texts = issued["renovation-agreement"]
    owner = row["record"]["owner_name"]
    assert re.search("甲方（(装修人|受托人代签)）[^签]{0,20}" + re.escape(owner), texts[-1]), texts[-1][-300:]


def test_repair_order_lists_only_the_failed_items(issued):
    _, row, texts = issued["repair-order"]
    lines = row["record"]["lines"]
    assert [(line["room"], line["item"]) for line in lines] == [
        ("客厅", "墙面、顶棚"), ("次卧", "窗户"), ("卫生间", "地漏、坐便器排水")]
    assert "防盗门" not in "".join(texts)      # a passed item is not on the order
    # the data lists 6 of the inspection's items; the order counts the issued inspection's 16
    assert "验收，共16项，不合格3项）" in texts[0] and "共6项" not in "".join(texts)
    assert row["record"]["inspection_total"] == 16


def test_worker_pass_has_one_numbered_card_per_worker_and_no_full_id(issued):
    doc, row, texts = issued["worker-pass"]
    text = "".join(texts)
    workers = row["record"]["workers"]
    for n, w in enumerate(workers, 1):
        assert f"{doc.doc_no}-{n:02d}" in text
        assert text.count(w["name"]) == 1
        assert w["id_number"] not in text
    assert text.count("工种") == len(workers)


def test_debris_receipt_is_the_one_receipt_layout(issued, demo_home):
    doc, row, texts = issued["debris-fee-receipt"]
    company = find_workspace(demo_home).company.name
    assert_receipt_sheet(doc.path, row, company, Decimal("268.08"), "2025年11月5日")
    assert texts[0].count("装修垃圾清运费收据") == 3 and texts[0].count("编号：物装清字〔2025〕1号") == 3
    assert texts[0].count("装修登记：ZX2025-001") == 3


def test_registration_prints_each_id_once_masked_and_tells_why_and_how_long(issued):
    """个人信息保护法: the owner's ID once and masked (CONVENTIONS.md), no full number anywhere; the
    child under 14 registered with the guardian's consent (第三十一条); the notice states who
    keeps the data, for what, for how long, and takes the household's consent (第十七条)."""
    _, row, texts = issued["move-in-registration"]
    (text,) = texts
    rec = row["record"]
    for number in (rec["owner_id_number"], rec["agent_id_number"], rec["occupants"][1]["id_number"]):
        assert number not in text
    assert text.count("420102********1239") == 1 and "同业主" in text
    assert "420106********0560" in text
    assert rec["minors"] == ["张子涵"] and "张子涵*" in text and "阳光路小学" in text
    for phrase in ("个人信息处理告知", "用于办理入住", "保存30年", "期满销毁", "查阅、更正、补充或要求删除",
                   "标*者（张子涵）未满十四周岁，其个人信息经监护人张建华同意后登记（个人信息保护法第三十一条）",
                   "同意按上述方式处理本表所列个人信息。签字：", "监护人（签字）："):
        assert phrase in text, phrase


def test_a_child_under_14_is_not_registered_without_a_guardians_consent(demo_home):
    from formsmith import issuing
    from formsmith.errors import ValidationError
    ws = find_workspace(demo_home)
    example = ws.catalog.get("move-in-registration").example
    child = {"name": "张小宇", "relation": "子女", "gender": "男", "id_number": "420102201806150014"}
    for data in ({**example, "guardian_consent": None},
                 {**example, "occupants": example["occupants"][:2] + [child], "guardian_consent": None},
                 {**example, "occupants": example["occupants"][:2] + [dict(child, under_14=False)]}):
        data = {k: v for k, v in data.items() if v is not None}
        with pytest.raises(ValidationError) as exc:
            issuing.prepare(ws, "move-in-registration", data=data, as_of=date(2025, 12, 1))
        assert any("未满十四周岁" in p and ("第三十一条" in p or "出生日期" in p)
                   for p in exc.value.problems), exc.value.problems
    adults = {**example, "occupants": example["occupants"][:2], "guardian_consent": None, "guardian_name": None}
    values = issuing.prepare(ws, "move-in-registration", as_of=date(2025, 12, 1),
                             data={k: v for k, v in adults.items() if v is not None})[1]
    assert values["minors"] == []


def test_each_cut_out_pass_carries_its_own_code(issued, tmp_path):
    """Cut along the dashed lines, each card still has a code the gate reads: the pass's
    document and the card's number (the page's QR stays on the offcut)."""
    import pypdfium2 as pdfium
    import zxingcpp
    from formsmith import codes
    doc, row, _ = issued["worker-pass"]
    cards = len(row["record"]["workers"])
    pdf = pdfium.PdfDocument(str(doc.path))
    try:
        page = pdf[0]
        scale = 200 / 72
        image = page.render(scale=scale).to_pil()
        text = page.get_textpage()
        height = page.get_height()
        read = []
        for n in range(1, cards + 1):
            found = text.search(f"{doc.doc_no}-{n:02d}")
            box = found.get_next()
            assert box, n
            first, last = text.get_charbox(box[0]), text.get_charbox(box[0] + box[1] - 1)
            centre, top = (first[0] + last[2]) / 2, first[3]
            mm = 72 / 25.4    # the card: 74 mm wide, its number 8 mm below its top edge
            crop = image.crop((int((centre - 37 * mm) * scale), int((height - top - 8 * mm) * scale),
                               int((centre + 37 * mm) * scale), int((height - top + 50 * mm) * scale)))
            payloads = [r.text for r in zxingcpp.read_barcodes(crop)]
            card_codes = [c for c in map(codes.decode_card, payloads) if c]
            assert [(c.doc_id, c.card, c.cards) for c in card_codes] == [(doc.doc_id, n, cards)], (n, payloads)
            assert not any(codes.decode(p) for p in payloads)     # the page's code is not on the card
            read.append(n)
    finally:
        pdf.close()
    assert read == list(range(1, cards + 1))


def test_custody_agreement_states_what_a_lawyer_asks_for(issued):
    """The liability limits in bold with the owner's acknowledgement (民法典 第四百九十六条), who
    pays water and electricity over the ceilings, a dispute clause, the month the 70 % starts, and
    the last clause on the signature page."""
    doc, _, texts = issued["custody-agreement"]
    whole = "".join(texts)
    bold = "".join(bold_texts(doc.path))
    assert "乙方对房屋内物品不承担保管责任" in bold and "乙方对由此扩大的损失不承担责任" in bold
    assert "甲方在托管开始前关闭燃气阀门" not in bold          # only the limits, not the whole clause
    assert "以加粗字体标示的内容为免除或者减轻乙方责任的条款" in whole and "甲方确认签字" in whole
    assert "第四百九十六条" in whole
    assert "超出部分的水费、电费由甲方承担" in whole
    assert "协商不成的，任何一方可以向房屋所在地人民法院起诉" in whole
    assert "托管期间（自2025年3月起），物业服务费按全额的70%收取" in whole
    last = texts[-1]
    assert "第七条" in last and "一式两份" in last and "甲方（业主）" in last and "（以下无正文）" in last


def test_custody_record_keeps_the_computed_fee(issued):
    _, row, _ = issued["custody-agreement"]
    rec = row["record"]
    assert (rec["full_fee"], rec["custody_fee"]) == ("233.46", "163.42")
    assert (rec["water_limit"], rec["electricity_limit"]) == (5, 20)


@pytest.mark.parametrize("tid", list(TEMPLATES))
def test_templates_example_command_gives_valid_data(demo_home, run, tid):
    result = run(demo_home, "templates", "example", tid)
    assert result.exit_code == 0, result.stderr
    tpl = find_workspace(demo_home).catalog.get(tid)
    assert catalog.validate(tpl, json.loads(result.stdout))


def test_fire_safety_signatures_name_every_party_and_keep_the_seal_word_whole(issued):
    """GIVEN the 装修消防安全责任书's signature row (three columns) WHEN a lawyer reads page 2 THEN
    甲方's column prints the owner's name like 乙方's and 丙方's print theirs, on the same line, and
    each （盖章） stands on one line (not （盖/章）)."""
    doc, row, texts = issued["renovation-fire-safety"]
    owner = row["record"]["owner_name"]
    last = char_boxes(doc.path)[-1]
    owner_run, = find_chars(last, owner)
    contractor_run, = find_chars(last, row["record"]["contractor"])
    assert abs(owner_run[0][1][1] - contractor_run[0][1][1]) < 1          # one baseline
    seals = find_chars(last, "（盖章）")
    assert len(seals) == 2
    for run in seals:
        assert max(c[1][1] for c in run) - min(c[1][1] for c in run) < 1, "（盖章） broken over two lines"
