"""The rental documents (issue 17, the seed's 制定房屋租赁方案，提供房屋租赁服务): the owner's
房屋租赁委托代理协议 with the company and the 租户登记表 of a let unit.

GIVEN the demo workspace (2-1-501 entrusted and let to a family with a child under 14, its owner
owing two months' fee; 2-1-402 of a company owner entrusted, not let yet) and a local per-person
area standard of 20 m² in formsmith.toml [rental],
WHEN a clerk issues each document from the store (and from data files),
THEN the PDF says what a clerk and a property lawyer check — parties from the store, the owner's
number masked, the rents and the fee in figures and 大写, the articles the clauses rest on, the
headcount the standard allows, the signatures on the last page with text above them — in the pages
a clerk expects, and each rule refuses what the law it cites does not allow, naming the field."""
from __future__ import annotations

import copy
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from formsmith import formats, identity, issuing
from formsmith.errors import NotFoundError, SettingsError, ValidationError
from formsmith.sources import overdue_charges
from formsmith.workspace import load_workspace
from pdftools import bold_texts, char_boxes, page_texts, signature_widgets, text_boxes

AS_OF = date(2025, 12, 1)
AGREEMENT, REGISTRATION = "rental-agency-agreement", "tenant-registration"
FAMILY, COMPANY = "2-1-501", "2-1-402"
RENTAL = '[rental]\nmin_area_per_person = "20"\nmin_area_rule = "《江城市居住房屋租赁管理办法》第十二条"\n'


@pytest.fixture(scope="module")
def ws(demo_home, tmp_path_factory):
    """A private copy of the demo workspace with the local area standard set."""
    home = tmp_path_factory.mktemp("rental") / "ws"
    shutil.copytree(demo_home, home)
    config = home / "formsmith.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + RENTAL, encoding="utf-8")
    return load_workspace(home)


def _issue(ws, tid, **kw):
    doc = issuing.issue_document(ws, tid, as_of=AS_OF, again=True, **kw)
    with ws.store.snapshot() as view:
        row = view.get("documents", doc.doc_id)
    path = Path(doc.path)
    return path, row, page_texts(path)


@pytest.fixture(scope="module")
def stored(ws):
    """What the store records of the two entrusted units: unit, owner, lease row."""
    with ws.store.snapshot() as view:
        out = {}
        for uid in (FAMILY, COMPANY):
            unit = view.get("units", uid)
            out[uid] = {"unit": unit, "owner": view.get("parties", unit["owner"]),
                        "lease": view.find("leases", unit=uid)[0],
                        "overdue": overdue_charges(view, uid, AS_OF)}
    return out


@pytest.fixture(scope="module")
def issued(ws):
    """Each document the clerk's way: the agreements from the store, then the household's
    registration (which cites the unit's agreement), then the gallery examples."""
    return {
        "family": _issue(ws, AGREEMENT, unit=FAMILY),
        "company": _issue(ws, AGREEMENT, unit=COMPANY),
        "household": _issue(ws, REGISTRATION, unit=FAMILY),
        "example-agreement": _issue(ws, AGREEMENT, data=ws.catalog.get(AGREEMENT).example),
        "example-registration": _issue(ws, REGISTRATION, data=ws.catalog.get(REGISTRATION).example),
    }


def _refused(ws, tid, data, *needles):
    with pytest.raises(ValidationError) as caught:
        issuing.prepare(ws, tid, data=data, as_of=AS_OF)
    text = "\n".join(caught.value.lines())
    for needle in needles:
        assert needle in text, (needle, text)
    return text


# ---------------------------------------------------------------- 房屋租赁委托代理协议

def test_agreement_from_the_store_names_the_parties_and_masks_the_owner(issued, stored, ws):
    path, doc, pages = issued["family"]
    text = "".join(pages)
    unit, owner = stored[FAMILY]["unit"], stored[FAMILY]["owner"]
    assert doc["doc_no"] == "物租委字〔2025〕1号" and doc["unit"] == FAMILY
    assert doc["record"]["lease_id"] == "ZL2025-001" and doc["record"]["signed_on"] == "2025-12-01"
    for phrase in ("房屋租赁委托代理协议", f"甲方（委托人）{owner['name']}", formats.mask_id(owner["id_number"]),
                   f"乙方（受托人）{ws.company.name}", f"阳光花园2栋1单元501室（房屋编号{FAMILY}）",
                   f"建筑面积{unit['area']}平方米", "委托期限自2025年11月18日起至2026年11月17日止",
                   "鄂（2023）江城市不动产权第0012345号"):
        assert phrase in text, phrase
    assert owner["id_number"] not in text
    # the owner owes the fee, and may still let the unit through the company (no law refuses it)
    assert stored[FAMILY]["overdue"], "the demo's 2-1-501 owes fees"
    assert "房屋交付承租人之前发生的物业服务费、水电燃气费等费用由甲方结清" in text


def test_agreement_states_the_rents_and_the_fee_in_figures_and_capitals(issued, stored):
    _, doc, pages = issued["family"]
    text = "".join(pages)
    agency = stored[FAMILY]["lease"]["agency"]
    asking, lowest = Decimal(agency["asking_rent"]), Decimal(agency["lowest_rent"])
    fee = formats.fen(asking * Decimal(agency["fee_percent"]) / 100)
    assert fee == Decimal("1600.00") and Decimal(doc["record"]["fee_at_asking"]) == fee
    for phrase in (f"挂牌月租金为{formats.money_yen(asking)}（人民币（大写）{formats.rmb_words(asking)}）",
                   f"每月不低于{formats.money_yen(lowest)}（人民币（大写）{formats.rmb_words(lowest)}）",
                   "须事先取得甲方书面同意", "租金季付，押金为1个月租金", "租赁期限不超过24个月",
                   "按实际成交月租金的50%计收，以挂牌月租金计为¥1,600.00（人民币（大写）壹仟陆佰元整）",
                   "自收到之日起3日内转入本协议载明的甲方收款账户（户名曹晓东，中国建设银行江城光谷支行，账号6217002870012345678）",
                   "甲方交乙方房屋钥匙2把", "布艺沙发", "扶手轻微磨损", "水表156.0立方米", "电表2380.5千瓦时",
                   "燃气表410.2立方米"):
        assert phrase in text, phrase


def _body(pages: list[str]) -> str:
    """The pages' text without their footers (a sentence may run on over a page break)."""
    return re.sub(r"文书核验码[^〕]*〕\d+号第\d+页共\d+页", "", "".join(pages))


def test_agreement_cites_the_law_its_clauses_rest_on(issued, ws):
    path, doc, pages = issued["family"]
    text = _body(pages)
    for article in ("第九百一十九条", "第九百二十二条", "第九百二十三条", "第九百二十四条", "第九百二十七条",
                    "第九百二十九条", "第九百三十三条", "第一百七十一条", "第七百零五条", "第七百零六条",
                    "第七百一十二条", "第七百一十六条", "第四百九十六条", "《商品房屋租赁管理办法》第六条",
                    "《商品房屋租赁管理办法》第十一条", "《商品房屋租赁管理办法》第十四条",
                    "《商品房屋租赁管理办法》第八条", "《物业管理条例》第四十一条", "《物业管理条例》第四十七条",
                    "《居住证暂行条例》", "《中华人民共和国出境入境管理法》第三十九条"):
        assert article in text, article
    for duty in ("房屋租赁合同订立后三十日内", "以原设计的房间为最小出租单位", "厨房、卫生间、阳台和地下储藏室",
                 "租赁期限不得超过二十年，超过部分无效", "甲乙双方均可以随时解除本协议",
                 "解除方应当赔偿对方的直接损失和本协议履行后可以获得的利益", "向房屋所在地人民法院起诉",
                 "未经甲方书面同意不得转委托"):
        assert duty in text, duty
    # the local standard of formsmith.toml: 118.20 m² / 20 m² a person = 5 people at most
    assert "按当地人均不低于20平方米的标准（《江城市居住房屋租赁管理办法》第十二条），该房屋居住人数不得超过5人" in text
    assert doc["record"]["max_occupants"] == 5


def test_agreement_brings_its_liability_limits_to_notice_in_bold(issued):
    path, _, pages = issued["family"]
    bold = "".join(bold_texts(path))
    assert "乙方不保证房屋在委托期限内出租或者以挂牌月租金出租" in bold
    assert "乙方不承担赔偿责任" in bold
    assert "第九条中以加粗字体标示的内容为免除或者减轻乙方责任的条款" in "".join(pages)


def test_agreement_fits_three_pages_with_the_signatures_under_text_on_the_last(issued):
    for key in ("family", "company", "example-agreement"):
        path, doc, pages = issued[key]
        assert 2 <= doc["pages"] <= 3 and len(pages) == doc["pages"], (key, doc["pages"])
        last = pages[-1]
        # the signatures are not alone: the last clauses and the acknowledgement stand above them
        assert "第十一条争议解决与其他" in last and "甲方确认签字" in last and "（以下无正文）" in last, key
        assert last.index("第十一条") < last.index("（以下无正文）") < last.index("甲方（委托人）"), key
        fields = signature_widgets(path)["fields"]
        assert fields["seal"]["page"] == fields["owner"]["page"] == doc["pages"] - 1, key
        # seal and owner's block on one baseline: their boxes start and end at the same height
        assert abs(fields["seal"]["rect"][1] - fields["owner"]["rect"][1]) < 1, key
        assert abs(fields["seal"]["rect"][3] - fields["owner"]["rect"][3]) < 1, key


def test_agreement_owner_signs_or_seals_under_a_field(issued):
    """Every （盖章） of the last page, the owner's 签字（盖章） too, lies inside a signature field."""
    for key in ("family", "company"):
        path, doc, pages = issued[key]
        fields = signature_widgets(path)["fields"]
        asks = text_boxes(path, "（盖章）", doc["pages"] - 1)
        assert len(asks) == 2, (key, asks)
        for box in asks:
            assert any(f["rect"][0] <= box[0] and box[2] <= f["rect"][2] and f["rect"][1] <= box[1]
                       and box[3] <= f["rect"][3] for f in fields.values()), (key, box, fields)
    assert "签字（盖章）" in issued["family"][2][-1]


def test_agreement_of_a_company_owner(issued, stored):
    _, doc, pages = issued["company"]
    text = "".join(pages)
    owner = stored[COMPANY]["owner"]
    for phrase in (f"甲方（委托人）{owner['name']}", f"统一社会信用代码{owner['credit_code']}", "法定代表人陈明德",
                   f"{owner['name']}（盖章）", "法定代表人或授权代表签字", "代理费为¥1,200.00（人民币（大写）壹仟贰佰元整）",
                   "租金、押金由承租人直接支付给甲方，乙方不代收任何款项", "乙方不代为签订房屋租赁合同",
                   "租赁合同由甲方或其授权代表与承租人签订", "租金月付，押金为2个月租金", "甲方交乙方房屋钥匙1把",
                   "营业执照复印件"):
        assert phrase in text, phrase
    assert "身份证号" not in text


def test_agreement_rule_refuses_what_the_law_does_not_allow(ws):
    example = ws.catalog.get(AGREEMENT).example
    _refused(ws, AGREEMENT, dict(example, max_lease_months=241), "max_lease_months", "第七百零五条", "二十年")
    _refused(ws, AGREEMENT, dict(example, agency_to="2025-11-30"), "agency_to", "委托期限前后矛盾")
    _refused(ws, AGREEMENT, dict(example, lowest_rent="2900.00"), "lowest_rent", "高于挂牌月租金", "第九百二十二条")
    for percent in ("120", "-5", "abc"):
        _refused(ws, AGREEMENT, dict(example, fee_percent=percent), "fee_percent", "0至100", "第九百二十八条")
    fixed = dict(example, fee_kind="固定金额", fee_percent=None)
    assert issuing.prepare(ws, AGREEMENT, data=dict(fixed, fee_amount="0.00"), as_of=AS_OF)
    _refused(ws, AGREEMENT, dict(fixed, fee_amount="-100.00"), "fee_amount", "不能为负", "第九百二十八条")
    _refused(ws, AGREEMENT, fixed, "fee_amount", "须写明金额")
    _refused(ws, AGREEMENT, dict(example, owner_account=None), "owner_account", "第九百二十七条")


def test_agreement_rule_refuses_a_company_without_a_credit_code(ws):
    example = ws.catalog.get(AGREEMENT).example
    person_number = dict(example, owner_kind="单位", owner_name="江城某某贸易有限公司", legal_rep="王某")
    _refused(ws, AGREEMENT, person_number, "owner_id_number", "统一社会信用代码")
    # a number that is no valid credit code (its check character altered) is refused as such
    bad_code = dict(person_number, owner_id_number="91420100MA4KX0012H")
    _refused(ws, AGREEMENT, bad_code, "owner_id_number", "统一社会信用代码")
    no_rep = dict(person_number, owner_id_number="91420100MA4KX0012G", legal_rep=None)
    _refused(ws, AGREEMENT, no_rep, "legal_rep", "法定代表人")
    assert issuing.prepare(ws, AGREEMENT, data=dict(no_rep, legal_rep="王某"), as_of=AS_OF)


def test_agreement_from_data_must_agree_with_the_store(ws, stored):
    """A data file about a unit the store knows: owner, number and area as recorded."""
    unit, owner = stored[FAMILY]["unit"], stored[FAMILY]["owner"]
    about = dict(ws.catalog.get(AGREEMENT).example, unit=FAMILY, unit_address="阳光花园2栋1单元501室",
                 area=unit["area"], owner_name=owner["name"], owner_id_number=owner["id_number"],
                 owner_phone=owner["phone"], owner_address=None)
    assert issuing.prepare(ws, AGREEMENT, data=about, as_of=AS_OF)[1]["owner_name"] == owner["name"]
    _refused(ws, AGREEMENT, dict(about, owner_name="王某某"), "owner_name", "王某某", owner["name"])
    _refused(ws, AGREEMENT, dict(about, area="120.00"), "area", "120.00", unit["area"])
    other = dict(about, owner_id_number="420106198307150424")
    text = _refused(ws, AGREEMENT, other, "owner_id_number", formats.mask_id(owner["id_number"]))
    assert owner["id_number"] not in text and "420106198307150424" not in text   # masked in messages


def test_agreement_refused_for_a_unit_the_store_does_not_know_or_never_entrusted(ws):
    with pytest.raises(NotFoundError, match="not found"):
        issuing.prepare(ws, AGREEMENT, unit="9-9-999", as_of=AS_OF)
    with pytest.raises(NotFoundError, match="无房屋租赁委托登记"):
        issuing.prepare(ws, AGREEMENT, unit="1-1-101", as_of=AS_OF)


# ---------------------------------------------------------------- 租户登记表

def test_registration_from_the_store_lists_the_household_minimally(issued, stored):
    path, doc, pages = issued["household"]
    text = "".join(pages)
    lease, owner = stored[FAMILY]["lease"], stored[FAMILY]["owner"]
    assert doc["pages"] == 1 and doc["doc_no"] == "物租登字〔2025〕1号"
    for t in lease["tenants"]:
        assert t["id_number"] not in text, t["name"]
        # no number at all of a child under 14 (个人信息保护法 第六条): "—" in its place
        assert (formats.mask_id(t["id_number"]) in text) is not t.get("under_14"), t["name"]
    for phrase in ("租户登记表", "刘洋", "陈静", "刘子墨*", "承租人", "配偶", "子女", "身份证", "13986120357",
                   "江城星辰信息技术有限公司", "鄂A·7M2Q5", "刘建国", "13607160428",
                   f"业主{owner['name']}", "2025年12月1日至2026年11月30日",
                   "编号阳光租2025-001，2025年11月25日签订",
                   f"《房屋租赁委托代理协议》{issued['family'][1]['doc_no']}"):
        assert phrase in text, phrase
    assert owner["id_number"] not in text
    # not filed yet (no number on record): the box ticked, the deadline 30 days after signing (办法 第十四条)
    assert "√未办理" in text and "请于2025年12月25日前办理" in text and "第十四条" in text
    assert doc["record"]["minors"] == ["刘子墨"]


def test_registration_reminds_without_claiming_a_power(issued):
    text = "".join(issued["household"][2])
    for phrase in ("《居住证暂行条例》第九条、第十条", "到居住地公安派出所", "房屋出租人应当协助（第八条）",
                   "本中心仅作提醒，不代为办理，不收存证件原件", "第三十一条", "监护人刘洋勾选同意并签字",
                   "《中华人民共和国个人信息保护法》第十三条、第十七条", "本表保存至租赁期满后3年，期满销毁（第十九条）",
                   "撤回同意", "承租人签字", "监护人签字", "业主或受托人", "客服中心经办人",
                   "该房屋居住人数不得超过5人"):
        assert phrase in text, phrase
    assert "入住后二十四小时内" not in text            # no foreign tenant in this household


def test_registration_of_four_tenants_fits_one_page(issued):
    _, doc, pages = issued["example-registration"]
    text = "".join(pages)
    assert doc["pages"] == 1 and len(doc["record"]["tenants"]) == 4
    for phrase in ("王磊", "李娟", "王梓萱*", "陈美玲", "港澳居民来往内地通行证", "H6*****35", "420111********031X"):
        assert phrase in text, phrase


def test_registration_reminds_a_foreigner_of_the_24_hour_registration(ws):
    data = copy.deepcopy(ws.catalog.get(REGISTRATION).example)
    data["tenants"][3].update(id_type="护照", id_number="E12345678", name="John Smith")
    _, values, _ = issuing.prepare(ws, REGISTRATION, data=data, as_of=AS_OF)
    assert values["foreigners"] == ["John Smith"]


def test_registration_rule_refuses_what_the_law_does_not_allow(ws):
    example = ws.catalog.get(REGISTRATION).example
    _refused(ws, REGISTRATION, dict(example, lease_to="2025-11-30"), "lease_to", "租赁期限前后矛盾")
    _refused(ws, REGISTRATION, dict(example, lease_to="2045-12-01"), "lease_to", "超过二十年", "第七百零五条")
    assert issuing.prepare(ws, REGISTRATION, data=dict(example, lease_to="2045-11-30"), as_of=AS_OF)
    _refused(ws, REGISTRATION, dict(example, tenants=[]), "tenants", "未登记承租人", "第十九条")
    no_tenant = copy.deepcopy(example)
    no_tenant["tenants"][0]["relation"] = "同住人"
    _refused(ws, REGISTRATION, no_tenant, "tenants", "承租人")
    _refused(ws, REGISTRATION, dict(example, guardian_name=None), "guardian_name", "王梓萱", "第三十一条")
    no_paper = copy.deepcopy(example)
    no_paper["tenants"][1].pop("id_number")
    _refused(ws, REGISTRATION, no_paper, "tenants[2].id_number", "李娟", "第十九条")
    bad_id = copy.deepcopy(example)
    bad_id["tenants"][0]["id_number"] = "420111199104220310"
    _refused(ws, REGISTRATION, bad_id, "tenants[1].id_number", "GB 11643")
    child_as_adult = copy.deepcopy(example)
    child_as_adult["tenants"][2].update(id_number=identity.make_resident_id("420111", date(2016, 8, 21), 45, "F"),
                                        under_14=False)
    _refused(ws, REGISTRATION, child_as_adult, "tenants[3].under_14", "出生日期不符")
    _refused(ws, REGISTRATION, dict(example, agency_no=None), "agent_name", "委托代理出租")


def test_registration_refuses_more_people_than_the_area_allows(ws, demo_home):
    """98.56 m² at 20 m² a person houses 4; a fifth is 群租 (办法 第八条). Without a local standard
    in formsmith.toml the law gives no number, and the form is not refused for it."""
    crowded = copy.deepcopy(ws.catalog.get(REGISTRATION).example)
    crowded["tenants"].append({"name": "赵刚", "relation": "同住人", "gender": "男", "id_type": "居民身份证",
                               "id_number": identity.make_resident_id("420106", date(1988, 7, 15), 41, "M")})
    _refused(ws, REGISTRATION, crowded, "tenants", "登记5人", "最多居住4人", "第八条", "第十二条")
    plain = load_workspace(demo_home)          # the demo sets no standard ([rental] commented out)
    assert issuing.prepare(plain, REGISTRATION, data=crowded, as_of=AS_OF)[1]["max_occupants"] is None


def test_registration_from_the_store_needs_a_known_unit_and_a_signed_lease(ws):
    with pytest.raises(NotFoundError, match="not found"):
        issuing.prepare(ws, REGISTRATION, unit="9-9-999", as_of=AS_OF)
    with pytest.raises(NotFoundError, match="尚未登记租赁合同和承租人"):
        issuing.prepare(ws, REGISTRATION, unit=COMPANY, as_of=AS_OF)


def test_registration_from_data_must_agree_with_the_store(ws, stored):
    unit, owner = stored[COMPANY]["unit"], stored[COMPANY]["owner"]
    about = dict(ws.catalog.get(REGISTRATION).example, unit=COMPANY, unit_address="阳光花园2栋1单元402室",
                 area=unit["area"], owner_name=owner["name"], owner_phone=owner["phone"], agency_no=None,
                 agent_name=ws.company.name)
    about["tenants"] = about["tenants"][:2]
    assert issuing.prepare(ws, REGISTRATION, data=about, as_of=AS_OF)
    _refused(ws, REGISTRATION, dict(about, owner_name="王某某"), "owner_name", owner["name"])
    _refused(ws, REGISTRATION, dict(about, unit_address="阳光花园2栋1单元403室"), "unit_address")


def test_a_local_standard_that_is_no_area_is_refused_naming_the_setting(demo_copy):
    config = demo_copy / "formsmith.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[rental]\nmin_area_per_person = "五平方米"\n',
                      encoding="utf-8")
    ws = load_workspace(demo_copy)
    with pytest.raises(SettingsError, match=r"\[rental\] min_area_per_person"):
        issuing.prepare(ws, REGISTRATION, data=ws.catalog.get(REGISTRATION).example, as_of=AS_OF)


# ---------------------------------------------------------------- a property lawyer's review

# What a reader must find whole on one line of one page: an article, a date, a number with its
# unit, and the form's own short phrases.
UNBROKEN = re.compile(r"第[零〇一二三四五六七八九十百千]+条|\d{4}年\d{1,2}月\d{1,2}日"
                      r"|\d+(?:\.\d+)?(?:平方米|立方米|千瓦时|个月|日|%)|标\*者|监护人同意登记")


def _broken_runs(path: Path, doc_no: str) -> list[str]:
    """Every UNBROKEN run of the body (each page's footer left out, so a run may span a page
    break) whose characters do not all stand on one line of one page."""
    chars = []
    pages = char_boxes(path)
    for n, page in enumerate(pages, 1):
        footer = f"文书核验码{doc_no}第{n}页共{len(pages)}页"
        text = "".join(c for c, _, _ in page)
        assert text.endswith(footer), (n, text[-40:])
        chars += [(c, (n, round(b[1] / 4))) for c, b, _ in page[:len(page) - len(footer)]]
    text = "".join(c for c, _ in chars)
    return [m.group(0) for m in UNBROKEN.finditer(text)
            if len({line for _, line in chars[m.start():m.end()]}) > 1]


def test_no_citation_date_or_quantity_is_broken_across_a_line_or_a_page(issued):
    """"第一百/七十一条" across a page break, "第九百二十四/条", "98.56平/方米", "标/*者", "监护人同/意登记":
    every article, date and number with its unit stays on one line of one page."""
    for key, (path, doc, _) in issued.items():
        assert UNBROKEN.search("".join(issued[key][2])), key
        assert _broken_runs(path, doc["doc_no"]) == [], key


def test_agreement_without_an_inventory_prints_a_table_to_fill_by_hand(issued):
    """2-1-402's agency records no inventory nor readings: 第六条 says "如下" and a blank table
    follows (设施名称/数量/状况, and 水表/电表/燃气表 with their units), to be filled in when signing."""
    text = _body(issued["company"][2])
    sixth = text[text.index("第六条"):text.index("第七条")]
    after = sixth[sixth.index("读数如下"):]
    assert "（未登记的由双方签订时当场填写）" in after
    assert "设施名称数量状况设施名称数量状况表具读数水表立方米电表千瓦时燃气表立方米" in after
    family = _body(issued["family"][2])
    assert "表具读数水表156.0立方米电表2380.5千瓦时燃气表410.2立方米" in family
    assert "未登记的由双方签订时当场填写" not in family


def test_agreement_states_only_the_powers_granted(issued):
    """2-1-402's owner neither lets the company sign leases nor collect money: no clause that
    presumes either power (第七条 exceeding a signing authority or withholding money collected,
    第十条 leases signed within the authority); 2-1-501's owner granted both, and has them."""
    limited, full = _body(issued["company"][2]), _body(issued["family"][2])
    assert "乙方不代收任何款项" in limited and "乙方不代为签订房屋租赁合同" in limited
    for clause in ("超越本协议约定的权限签订合同", "截留、挪用代收款项", "乙方在权限内签订的房屋租赁合同继续有效"):
        assert clause not in limited, clause
        assert clause in full, clause
    assert "（一）以甲方名义签订合同、作出承诺或者为本协议约定以外的其他行为" in limited
    assert "（四）改变房屋原设计的房间分隔出租" in limited and "（五）" not in limited[limited.index("第七条"):]
    assert "（四）收取租金不出具收据，或者截留、挪用代收款项" in full


def test_agreement_leaves_what_the_owner_has_not_stated_to_fill_in(issued, ws):
    """No 不动产权证书号 on record: a blank line after its label, not silence. "无其他共有人" only
    where the owner has said so (sole_owner); else both choices to tick."""
    limited, family = _body(issued["company"][2]), _body(issued["family"][2])
    assert "不动产权证书号：。" in limited
    assert "有权出租（该房屋无其他共有人该房屋的其他共有人已书面同意委托出租，同意书附后）" in limited
    assert "有权出租，该房屋无其他共有人；" in family
    example = ws.catalog.get(AGREEMENT).example
    assert "共有人张志强已书面同意委托出租" in _body(issued["example-agreement"][2])
    _refused(ws, AGREEMENT, dict(example, sole_owner=True), "sole_owner", "张志强", "前后矛盾")


def test_joint_liability_only_for_what_article_47_covers(issued):
    """《物业管理条例》第四十七条: the owner answers jointly for a tenant's breach of the 条例 and the
    管理规约 — not of the company's own 《住户手册》."""
    agreement, form = _body(issued["family"][2]), _body(issued["household"][2])
    assert "承租人作为物业使用人，应当遵守《物业管理条例》和管理规约；违反的，甲方作为业主承担连带责任（《物业管理条例》第四十七条）" in agreement
    assert "（3）承租人作为物业使用人，应当遵守《物业管理条例》和管理规约的规定，违反的，业主承担连带责任" in form
    for text in (agreement, form):
        assert "住户手册" not in text


def test_rent_collected_goes_to_the_owners_account_named_in_the_agreement(issued, stored):
    text = _body(issued["family"][2])
    owner = stored[FAMILY]["owner"]
    assert (f"转入本协议载明的甲方收款账户（户名{owner['name']}，中国建设银行江城光谷支行，账号6217002870012345678）；") in text


def test_registration_leaves_the_guardians_consent_to_the_guardian(issued, ws):
    """The box is empty for the guardian to tick and sign (no data may tick it); the form says
    why a child's data are collected (个人信息保护法 第二十八条、第三十一条) and prints no ID number of
    an under-14 (第六条)."""
    path, doc, pages = issued["household"]
    text = _body(pages)
    assert "监护人同意登记未满十四周岁子女的个人信息。监护人签字" in text
    assert "√监护人同意" not in text
    assert "其个人信息为敏感个人信息（第二十八条），仅为确认实际居住人员和紧急联络而收集" in text
    assert "不登记其证件号码（第六条）" in text
    assert "刘子墨*子女男身份证—阳光路小学" in text
    example = ws.catalog.get(REGISTRATION).example
    _refused(ws, REGISTRATION, dict(example, guardian_consent=True), "guardian_consent", "未声明")


def test_registration_names_the_papers_and_the_24_hour_rule_rightly(issued, ws):
    """A H/M number is a 港澳居民来往内地通行证; 出境入境管理法 第三十九条 binds foreigners only: a
    港澳 resident is reminded of the local registration without it, a passport holder of it as a
    foreigner's duty."""
    text = _body(issued["example-registration"][2])
    assert "港澳通行证" not in text and "陈美玲其他亲属女港澳居民来往内地通行证H6*****35" in text
    assert "陈美玲为港澳台居民，请按当地规定办理居住登记。" in text
    assert "二十四小时" not in text and "出境入境管理法" not in text
    data = copy.deepcopy(ws.catalog.get(REGISTRATION).example)
    data["tenants"][3].update(id_type="护照", id_number="E12345678", name="John Smith")
    _, _, pages = _issue(ws, REGISTRATION, data=data)
    foreign = _body(pages)
    assert ("外国人在旅馆以外的住所居住的，须在入住后二十四小时内由本人或者留宿人向居住地公安机关办理住宿登记"
            "（《中华人民共和国出境入境管理法》第三十九条）：JohnSmith持护照，为外国人的请按此办理。") in foreign
    assert "港澳台居民" not in foreign.split("提示")[1].split("（2）")[0]


def test_registration_ticks_the_filing_as_recorded(issued, ws):
    """No filing number on record: "未办理" ticked; one on record: "已办理" ticked with the number."""
    assert "登记备案√未办理" in _body(issued["household"][2])
    example = ws.catalog.get(REGISTRATION).example
    _, _, pages = _issue(ws, REGISTRATION, data=dict(example, filing_no="江房租备2025-00871"))
    text = _body(pages)
    assert "√已办理房屋租赁登记备案，备案编号江房租备2025-00871" in text and "未办理" not in text


def test_registration_cites_the_residence_permit_articles_rightly(issued):
    """《居住证暂行条例》: 第九条、第十条 the application, 第十三条 the yearly 签注."""
    text = _body(issued["household"][2])
    assert "居住证每年签注一次（第十三条）" in text and "按年签注；" not in text


def test_registration_prints_every_phone_in_full(issued, stored):
    """The household's own record, kept to reach each person on it and the owner: every phone in
    full, the owner's too (ID numbers stay masked)."""
    text = _body(issued["household"][2])
    lease, owner = stored[FAMILY]["lease"], stored[FAMILY]["owner"]
    phones = [owner["phone"], lease["emergency"]["phone"]] + [t["phone"] for t in lease["tenants"] if t.get("phone")]
    assert len(phones) == 4
    for phone in phones:
        assert phone in text, phone
    assert not re.search(r"1\d{2}\*{4}\d{4}", text)            # no masked mobile


def test_registration_cites_the_agreement_issued_for_its_agency(demo_copy):
    """Before an agreement is issued for the agency the form names the company; once issued, it
    cites that agreement's number — not one of another agency of the unit."""
    ws = load_workspace(demo_copy)
    before = "".join(_issue(ws, REGISTRATION, unit=FAMILY)[2])
    # none issued yet: a line to write its number on once signed, never silence
    assert "受托人阳光物业服务有限公司，《房屋租赁委托代理协议》编号（尚未出具，签订后填写）" in before
    _, agreement, _ = _issue(ws, AGREEMENT, unit=FAMILY)
    after = "".join(_issue(ws, REGISTRATION, unit=FAMILY)[2])
    assert f"《房屋租赁委托代理协议》{agreement['doc_no']}" in after
