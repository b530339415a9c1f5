"""The documents of issue 17 the seed's processes need: each issued once (from the store where the
store holds the data), read back as a clerk, an accountant and a lawyer would read them; each rule
refusing what the law it rests on does not allow."""
from __future__ import annotations

import copy
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from formsmith import formats, issuing
from formsmith.errors import ValidationError
from formsmith.workspace import load_workspace
from pdftools import page_texts, signature_widgets

AS_OF = date(2025, 12, 1)
MOVE_IN = '[movein]\nmove_in_from = "2025-12-08"\nmove_in_to = "2025-12-21"\noffice_hours = "每日9:00—12:00、14:00—17:30"\n'


@pytest.fixture(scope="module")
def ws(demo_home, tmp_path_factory):
    """A private copy of the demo workspace, with the move-in days of the hand-over set."""
    home = tmp_path_factory.mktemp("newdocs") / "ws"
    shutil.copytree(demo_home, home)
    config = home / "formsmith.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[movein]\n", MOVE_IN), encoding="utf-8")
    return load_workspace(home)


def _units(ws) -> dict[str, dict]:
    """The demo units the documents are about, with their owners (and agents) as recorded."""
    with ws.store.snapshot() as view:
        units = {u["id"]: u for u in view.all("units")}
        parties = {p["id"]: p for p in view.all("parties")}
    person = next(u for u in units.values()
                  if parties[u["owner"]]["kind"] == "individual" and not parties[u["owner"]].get("agent"))
    company = next(u for u in units.values() if parties[u["owner"]]["kind"] == "company")
    agented = next(u for u in units.values() if parties[u["owner"]].get("agent"))
    out = {}
    for key, u in (("person", person), ("company", company), ("agented", agented)):
        owner = parties[u["owner"]]
        out[key] = {"unit": u, "owner": owner, "agent": parties.get(owner.get("agent", ""))}
    return out


@pytest.fixture(scope="module")
def demo(ws):
    return _units(ws)


def _issue(ws, tid, **kw):
    doc = issuing.issue_document(ws, tid, as_of=AS_OF, again=True, **kw)
    with ws.store.snapshot() as view:
        row = view.get("documents", doc.doc_id)
    return Path(doc.path), row, "".join(page_texts(Path(doc.path)))


@pytest.fixture(scope="module")
def issued(ws, demo):
    """Each new document once, the clerk's way: from the store for a unit (one from data)."""
    out = {
        "contract": _issue(ws, "preliminary-service-contract", unit=demo["person"]["unit"]["id"]),
        "rules": _issue(ws, "interim-management-rules", unit=demo["company"]["unit"]["id"]),
        "poa": _issue(ws, "power-of-attorney", unit=demo["agented"]["unit"]["id"]),
        "notice": _issue(ws, "move-in-notice", unit=demo["company"]["unit"]["id"]),
    }
    company_poa = dict(ws.catalog.get("power-of-attorney").example, owner_name="华中远景软件有限公司",
                       owner_kind="单位", owner_id_number="91420100MA4KX0012G", legal_rep="陈立新")
    out["company-poa"] = _issue(ws, "power-of-attorney", data=company_poa)
    # the sign-off sheet after the agent's power of attorney: its first station lists it
    out["signoff"] = _issue(ws, "move-in-signoff", unit=demo["agented"]["unit"]["id"])
    # renovations of the demo: ZX2025-001 ordinary, -002 forbidden (拆除承重墙), -004 adds load
    for key, unit in (("app-ordinary", "1-2-101"), ("app-forbidden", "2-2-102"), ("app-load", "3-2-601")):
        out[key] = _issue(ws, "renovation-application", unit=unit)
    out["permit"] = _issue(ws, "renovation-permit", unit="1-2-101")
    out["completion-blank"] = _issue(ws, "renovation-completion", unit="1-2-101")
    out["completion"] = _issue(ws, "renovation-completion", data=ws.catalog.get("renovation-completion").example)
    # the board and the first owners' assembly: the notice, then a ballot from the store
    out["water"] = _issue(ws, "board-notice", data=ws.catalog.get("board-notice").example)
    out["assembly"] = _issue(ws, "assembly-notice", data=ws.catalog.get("assembly-notice").example)
    out["ballot"] = _issue(ws, "assembly-ballot", unit=demo["person"]["unit"]["id"])
    return out


# ---------------------------------------------------------------- 前期物业服务合同

def test_contract_names_the_parties_from_the_store_and_masks_the_buyer(issued, demo, ws):
    path, doc, text = issued["contract"]
    unit, owner = demo["person"]["unit"], demo["person"]["owner"]
    assert doc["doc_no"] == "物前合字〔2025〕1号" and doc["unit"] == unit["id"] and doc["pages"] >= 2
    for phrase in ("前期物业服务合同", "甲方（建设单位）：江城阳光置业有限公司", f"乙方（物业服务人）：{ws.company.name}",
                   f"物业买受人（业主）：{owner['name']}", formats.mask_id(owner["id_number"]),
                   f"建筑面积{unit['area']}平方米", "物业买受人确认", "物业买受人（签字）"):
        assert phrase in text, phrase
    assert owner["id_number"] not in text


def test_contract_fee_is_the_recorded_schedule_and_area_times_rate(issued, demo):
    _, doc, text = issued["contract"]
    unit = demo["person"]["unit"]
    monthly = formats.fen(Decimal(unit["area"]) * Decimal(unit["fee_rate"]))
    assert Decimal(doc["record"]["monthly_fee"]) == monthly
    assert f"每月物业服务费为{formats.money_yen(monthly)}" in text
    assert f"（大写）{formats.rmb_words(monthly)}" in text
    for item in ("物业服务费（高层住宅）2.20元/平方米·月", "车位管理费150.00元/个·月", "装修垃圾清运费3.00元/平方米"):
        assert item in text, item


def test_contract_cites_the_law_it_rests_on(issued):
    _, _, text = issued["contract"]
    for article in ("《物业管理条例》第二十一条", "第九百三十九条", "《物业管理条例》第二十五条", "第九百四十条",
                    "第二十六条", "第九百四十四条", "第九百四十九条", "第九百四十五条", "第四十一条"):
        assert article in text, article
    # what the company commits to: the seed's time limits, from formsmith.deadlines
    for limit in ("安全设施维修：维修完成后2天内回访", "房屋渗漏水维修：试漏后3天内回访", "10日内处理完毕"):
        assert limit in text, limit
    assert "不得采取停止供电、供水、供热、供燃气等方式催交物业费" in text
    assert "至业主委员会与业主大会依法选聘的物业服务人订立的物业服务合同生效之日止" in text


def test_contract_quotes_article_943_whole_and_gives_the_owners_the_common_parts_income(issued):
    """GIVEN the contract issued from the store WHEN a lawyer reads 第三条 and 第五条 THEN 民法典
    第九百四十三条 is quoted whole (the maintenance fund, the income of the common parts, the
    report to the assembly and the board), and 第二百八十二条 gives that income to the owners."""
    _, _, text = issued["contract"]
    article_943 = ("物业服务人应当定期将服务的事项、负责人员、质量要求、收费项目、收费标准、履行情况，以及维修资金使用情况、"
                   "业主共有部分的经营与收益情况等以合理方式向业主公开并向业主大会、业主委员会报告（《中华人民共和国民法典》"
                   "第九百四十三条）")
    assert article_943 in text
    assert ("建设单位、物业服务企业或者其他管理人等利用业主的共有部分产生的收入，在扣除合理成本之后，属于业主共有"
            "（《中华人民共和国民法典》第二百八十二条）") in text


def test_contract_seal_and_buyer_fields_are_on_the_last_page(issued):
    path, doc, _ = issued["contract"]
    fields = signature_widgets(path)["fields"]
    assert {"seal", "buyer"} <= set(fields)
    assert fields["seal"]["page"] == fields["buyer"]["page"] == doc["pages"] - 1
    x0, y0, x1, y1 = fields["seal"]["rect"]
    assert x1 - x0 > 40 / 25.4 * 72 * 0.9 and y1 - y0 > 25 / 25.4 * 72   # room for a 42 mm seal


def test_contract_rule_refuses_a_fee_the_schedule_does_not_publish(ws):
    tpl = ws.catalog.get("preliminary-service-contract")
    wrong_rate = dict(tpl.example, fee_rate="2.50")
    with pytest.raises(ValidationError, match="不是收费标准中的物业服务费"):
        issuing.prepare(ws, tpl.id, data=wrong_rate, as_of=AS_OF)
    other_lines = copy.deepcopy(tpl.example)
    other_lines["fees"][2]["price"] = "180.00"
    with pytest.raises(ValidationError, match="与登记的收费标准不符"):
        issuing.prepare(ws, tpl.id, data=other_lines, as_of=AS_OF)
    wrong_total = dict(tpl.example, monthly_fee="260.00")
    with pytest.raises(ValidationError, match="118.20 平方米 × 2.20 元 = 260.04 元"):
        issuing.prepare(ws, tpl.id, data=wrong_total, as_of=AS_OF)
    cut_supply = dict(tpl.example, extra_terms=[{"text": "业主欠费三个月以上的，乙方可以停水停电。"}])
    with pytest.raises(ValidationError, match="第九百四十四条"):
        issuing.prepare(ws, tpl.id, data=cut_supply, as_of=AS_OF)


def test_contract_from_data_must_state_what_the_store_records(ws, demo):
    unit, owner = demo["person"]["unit"], demo["person"]["owner"]
    data = dict(ws.catalog.get("preliminary-service-contract").example, unit=unit["id"],
                unit_address=f"阳光花园{unit['building']}栋{unit['entrance']}单元{unit['room']}室",
                area=unit["area"], owner_name="王某某", owner_id_number=owner["id_number"])
    with pytest.raises(ValidationError, match="owner_name"):
        issuing.prepare(ws, "preliminary-service-contract", data=data, as_of=AS_OF)


# ---------------------------------------------------------------- 临时管理规约

def test_rules_carry_the_buyers_written_commitment(issued, demo):
    path, doc, text = issued["rules"]
    owner = demo["company"]["owner"]
    assert doc["doc_no"] == "物规字〔2025〕1号"
    for phrase in ("临时管理规约", "《物业管理条例》第二十二条", "物业买受人承诺书", "《物业管理条例》第二十三条",
                   f"本单位{owner['name']}", "统一社会信用代码", formats.mask_id(owner["credit_code"]),
                   "承诺遵守本规约", "物业买受人（盖章）", "法定代表人或授权代表（签字）",
                   "规约制定人：江城阳光置业有限公司（盖章）", "制定日期：年月日",
                   "第二百七十九条", "第二百八十六条", "业主大会依法制定管理规约后，本规约终止"):
        assert phrase in text, phrase
    assert owner["credit_code"] not in text
    assert "业主临时公约" not in text            # the pre-2007 name
    assert "buyer" in signature_widgets(path)["fields"]
    assert "日期：年月日" in text.split("物业买受人承诺书", 1)[1]      # the buyer dates it by hand
    assert "2025年12月1日" not in text.split("文书核验码", 1)[0]


def test_rules_are_sealed_and_dated_by_the_developer(issued, ws):
    """GIVEN the 规约 WHEN the developer's part is read THEN its name stands with （盖章） over a
    signature field of its own (建设单位盖章, not the company's seal field) on the last page, with the
    制定日期 the data gives; the buyer's date is left to write."""
    path, doc, _ = issued["rules"]
    fields = signature_widgets(path)["fields"]
    assert "developer" in fields and "seal" not in fields
    assert fields["developer"]["page"] == doc["pages"] - 1
    x0, y0, x1, y1 = fields["developer"]["rect"]
    assert y1 - y0 >= 30 / 25.4 * 72 * 0.95
    tpl = ws.catalog.get("interim-management-rules")
    assert [f["role"] for f in tpl.signature_fields if f["name"] == "developer"] == ["建设单位盖章"]
    dated = _issue(ws, tpl.id, data=dict(tpl.example, signed_on="2025-12-01"))[2]
    for phrase in ("规约制定人：江城阳光置业有限公司（盖章）", "制定日期：2025年6月18日", "日期：2025年12月1日"):
        assert phrase in dated, phrase


def test_rules_refuse_a_fine(ws):
    tpl = ws.catalog.get("interim-management-rules")
    fined = dict(tpl.example, extra_terms=[{"text": "违规停放电动自行车的，处以200元罚款。"}])
    with pytest.raises(ValidationError, match="罚款是行政处罚"):
        issuing.prepare(ws, tpl.id, data=fined, as_of=AS_OF)
    wrong_kind = dict(tpl.example, owner_kind="单位")
    with pytest.raises(ValidationError, match="单位应填写18位统一社会信用代码"):
        issuing.prepare(ws, tpl.id, data=wrong_kind, as_of=AS_OF)
    made_late = dict(tpl.example, made_on="2025-12-02", signed_on="2025-12-01")
    with pytest.raises(ValidationError, match=r"made_on（规约制定日期.*晚于买受人承诺日期.*第二十二条"):
        issuing.prepare(ws, tpl.id, data=made_late, as_of=AS_OF)


# ---------------------------------------------------------------- 授权委托书

def test_power_of_attorney_from_the_store(issued, demo):
    path, doc, text = issued["poa"]
    owner, agent = demo["agented"]["owner"], demo["agented"]["agent"]
    assert doc["pages"] == 1 and doc["doc_no"].startswith("物委字〔2025〕")
    assert text.startswith("授权委托书") or "授权委托书" in text[:40]
    assert "单位授权委托书" not in text
    for phrase in (f"委托人{owner['name']}", formats.mask_id(owner["id_number"]), f"受托人{agent['name']}",
                   formats.mask_id(agent["id_number"]), "一、委托事项", "办理上述房屋的交付（收房）及入住手续",
                   "签订《前期物业服务合同》", "签署《临时管理规约》物业买受人承诺书", "缴纳物业服务费等费用",
                   "领取房屋钥匙", "二、代理权限", "三、委托期限", "自本委托书签署之日起，至上述事项办理完毕之日止",
                   "受托人无转委托权", "第一百六十五条"):
        assert phrase in text, phrase
    assert owner["id_number"] not in text and agent["id_number"] not in text     # both masked
    assert text.count("日期：年月日") == 2 and "2025年12月1日" not in text    # dated by hand when signed
    assert {"principal", "agent"} <= set(signature_widgets(path)["fields"])


def test_power_of_attorney_covers_the_move_in_steps_the_notice_and_signoff_ask_of_the_agent(issued, ws):
    """GIVEN the form's list of matters WHEN the store issues it for an agent THEN every move-in
    step the 入住通知书 and 入住手续会签单 send the agent to (the contract, the 规约's commitment,
    the fees, the keys) is ticked, the renovation's declaration is listed but not ticked; the
    manifest's choices are the rule's list."""
    from formsmith.processes.movein.agreements import MATTERS, MOVE_IN_MATTERS
    _, doc, _ = issued["poa"]
    listed = {m["matter"]: m["chosen"] for m in doc["record"]["matter_list"]}
    assert listed == {m: m in MOVE_IN_MATTERS for m in MATTERS} and not listed["装修登记"]
    tpl = ws.catalog.get("power-of-attorney")
    assert list(next(f for f in tpl.field("matters").items if f.name == "matter").choices) == list(MATTERS)
    assert [m["matter"] for m in tpl.example["matters"]] == list(MOVE_IN_MATTERS)
    steps = " ".join(what for _, _, what, _ in __import__(
        "formsmith.processes.movein.agreements", fromlist=["STATIONS"]).STATIONS)
    for doc_name in ("《前期物业服务合同》", "《临时管理规约》", "《住户登记表》", "《入住物品交接单》", "收款收据"):
        assert doc_name in steps and any(doc_name in MATTERS[m] for m in MOVE_IN_MATTERS), doc_name


def test_company_power_of_attorney_is_sealed_and_signed_by_its_representative(issued):
    _, doc, text = issued["company-poa"]
    assert doc["pages"] == 1
    for phrase in ("单位授权委托书", "本单位华中远景软件有限公司", "914201********012G", "法定代表人陈立新",
                   "委托单位（盖章）", "法定代表人（签字）", "420103********002X", "自本委托书签署之日起，至2026年1月31日止",
                   "营业执照复印件（加盖公章）"):
        assert phrase in text, phrase
    assert "91420100MA4KX0012G" not in text and "42010319650722002X" not in text


def test_power_of_attorney_rule(ws):
    tpl = ws.catalog.get("power-of-attorney")
    minor = dict(tpl.example, agent_id_number="420103201001010010")
    with pytest.raises(ValidationError, match="未满十八周岁"):
        issuing.prepare(ws, tpl.id, data=minor, as_of=AS_OF)
    himself = dict(tpl.example, agent_name=tpl.example["owner_name"], agent_id_number=tpl.example["owner_id_number"])
    with pytest.raises(ValidationError, match="受托人与委托人为同一人"):
        issuing.prepare(ws, tpl.id, data=himself, as_of=AS_OF)
    company = dict(tpl.example, owner_kind="单位", owner_id_number="91420100MA4KX0012G")
    with pytest.raises(ValidationError, match="法定代表人"):
        issuing.prepare(ws, tpl.id, data=company, as_of=AS_OF)
    backwards = dict(tpl.example, valid_from="2025-12-01", valid_to="2025-11-30")
    with pytest.raises(ValidationError, match="日期前后矛盾"):
        issuing.prepare(ws, tpl.id, data=backwards, as_of=AS_OF)
    no_signing = dict(tpl.example, powers="代为办理，不得代为签署协议")
    with pytest.raises(ValidationError, match=r"powers（代理权限）：委托事项含签订《前期物业服务合同》.*第一百六十五条"):
        issuing.prepare(ws, tpl.id, data=no_signing, as_of=AS_OF)
    twice = dict(tpl.example, matters=[{"matter": "交付入住"}, {"matter": "交付入住"}])
    with pytest.raises(ValidationError, match="交付入住重复"):
        issuing.prepare(ws, tpl.id, data=twice, as_of=AS_OF)
    dated = _issue(ws, tpl.id, data=dict(tpl.example, signed_on="2025-12-01", valid_from="2025-12-01"))[2]
    assert dated.count("日期：2025年12月1日") == 2 and "自2025年12月1日起" in dated


def test_power_of_attorney_needs_an_agent_on_record(ws, demo):
    from formsmith.errors import InputError
    with pytest.raises(InputError, match="未登记受托人"):
        issuing.prepare(ws, "power-of-attorney", unit=demo["person"]["unit"]["id"], as_of=AS_OF)


# ---------------------------------------------------------------- 入住通知书 and 入住手续会签单

def test_move_in_notice_for_a_company_buyer(issued, demo):
    path, doc, text = issued["notice"]
    unit, owner = demo["company"]["unit"], demo["company"]["owner"]
    monthly = formats.fen(Decimal(unit["area"]) * Decimal(unit["fee_rate"]))
    assert doc["pages"] == 1                       # the seal stays with the text
    for phrase in ("入住通知书", f"尊敬的{owner['name']}：", "贵单位购买的", "2025年12月8日至2025年12月21日",
                   "单位证明（营业执照，统一社会信用代码）", "经办人身份证", "另带受托人身份证、授权委托书",
                   "验明资料", "房屋验收", formats.money_yen(monthly), formats.rmb_words(monthly), "第四十一条",
                   "（盖章）"):
        assert phrase in text, phrase
    assert "您" not in text                        # one form of address for a company
    assert "seal" in signature_widgets(path)["fields"]


def test_move_in_notice_rule(ws):
    tpl = ws.catalog.get("move-in-notice")
    early = dict(tpl.example, period_from="2025-11-20")
    with pytest.raises(ValidationError, match="日期前后矛盾"):
        issuing.prepare(ws, tpl.id, data=early, as_of=AS_OF)


def test_signoff_sheet_stations_in_order_with_the_units_documents(issued, demo):
    path, doc, text = issued["signoff"]
    agent = demo["agented"]["agent"]
    poa_no = issued["poa"][1]["doc_no"]
    assert doc["pages"] == 1
    stations = ["验明资料", "填写资料、签订协议", "收取费用", "房屋验收", "发放物品", "资料归档"]
    positions = [text.index(s) for s in stations]
    assert positions == sorted(positions)
    for phrase in ("入住手续会签单", f"委托代办：{agent['name']}（受托人）", poa_no, "经办人签字", "财务部", "维修部",
                   "业主（受托人）签字"):
        assert phrase in text, phrase
    assert doc["record"]["stations"][0]["issued"] == poa_no
    assert "owner" in signature_widgets(path)["fields"]


def test_signoff_masks_the_phone_and_leaves_a_line_for_each_document_not_yet_issued(issued, demo, ws):
    """GIVEN the sign-off sheet of the agented unit, issued before its contract, 规约 and receipt
    WHEN the clerk reads the 已开具文书 column THEN rows 2 and 3 hold a labelled line to write each
    number (合同, 规约, 收据), the owner's phone is masked; and once the contract and 规约 are
    issued for the unit, a new sheet prints their numbers instead of the lines."""
    path, doc, text = issued["signoff"]
    owner = demo["agented"]["owner"]
    assert formats.mask_phone(owner["phone"]) in text and owner["phone"] not in text
    stations = doc["record"]["stations"]
    assert stations[1]["blanks"] == ["登记表", "合同", "规约"] and stations[2]["blanks"] == ["收据"]
    assert stations[0]["blanks"] == ["通知书"] and stations[5]["blanks"] == []   # no notice issued for it yet
    for label in ("合同：", "规约：", "收据："):
        assert label in text, label
    unit = demo["agented"]["unit"]["id"]
    contract = _issue(ws, "preliminary-service-contract", unit=unit)[1]["doc_no"]
    rules = _issue(ws, "interim-management-rules", unit=unit)[1]["doc_no"]
    _, later, later_text = _issue(ws, "move-in-signoff", unit=unit)
    row = later["record"]["stations"][1]
    assert row["numbers"] == [contract, rules] and row["blanks"] == ["登记表"]
    assert contract in later_text and rules in later_text and "合同：" not in later_text


def test_signoff_rule(ws):
    tpl = ws.catalog.get("move-in-signoff")
    shuffled = copy.deepcopy(tpl.example)
    shuffled["stations"][2], shuffled["stations"][3] = shuffled["stations"][3], shuffled["stations"][2]
    with pytest.raises(ValidationError, match="会签环节应依次为"):
        issuing.prepare(ws, tpl.id, data=shuffled, as_of=AS_OF)
    no_agent = dict(tpl.example, agent_name=None)
    with pytest.raises(ValidationError, match="委托代办须填写受托人姓名"):
        issuing.prepare(ws, tpl.id, data=no_agent, as_of=AS_OF)


# ---------------------------------------------------------------- 装修申请登记表 and 装修完工验收单

def test_application_reviews_each_regulated_work(issued):
    _, doc, ordinary = issued["app-ordinary"]
    assert doc["pages"] == 1 and doc["record"]["renovation_id"] == "ZX2025-001"
    for phrase in ("装修申请登记表", "ZX2025-001", "江城美居装饰工程有限公司", "《住宅室内装饰装修管理办法》第十四条",
                   "房屋所有权证（或者证明其合法权益的有效凭证）", "装饰装修企业相关资质证书的复印件", "第五条至第七条",
                   "同意登记，签订《装修管理协议》后核发装修施工许可证", "第十五条", "申请人（签字）"):
        assert phrase in ordinary, phrase
    _, _, forbidden = issued["app-forbidden"]
    assert "拆除承重墙：属《住宅室内装饰装修管理办法》第五条第（五）项禁止的行为，不予办理" in forbidden
    assert "不予办理装修登记" in forbidden and "同意登记" not in forbidden
    _, _, load = issued["app-load"]
    for phrase in ("第七条", "待批准", "须经房屋所在地房地产行政主管部门批准，须在开工前提交", "同意登记；上列待批准事项"):
        assert phrase in load, phrase


def test_application_rule_takes_the_store_as_truth(ws):
    tpl = ws.catalog.get("renovation-application")
    with ws.store.snapshot() as view:
        row = view.get("renovations", "ZX2025-002")
    data = dict(tpl.example, renovation_id="ZX2025-002", unit=row["unit"], structural_change=False)
    with pytest.raises(ValidationError, match="不能填写为不涉及"):
        issuing.prepare(ws, tpl.id, data=data, as_of=AS_OF)
    agent_without_poa = dict(tpl.example, applicant_kind="委托代办", agent_name="李秀英",
                             agent_id_number="42010319650722002X")
    with pytest.raises(ValidationError, match="授权委托书"):
        issuing.prepare(ws, tpl.id, data=agent_without_poa, as_of=AS_OF)


def test_completion_from_the_store_cites_the_permit_and_leaves_results_blank(issued):
    _, doc, text = issued["completion-blank"]
    permit_no = issued["permit"][1]["doc_no"]
    assert doc["pages"] == 1 and doc["record"]["permit_no"] == permit_no
    for phrase in ("装修完工验收单", permit_no, "ZX2025-001", "第三十条", "房屋主体和承重结构", "检查结果",
                   "装修垃圾清运", "符合协议", "发现违规", "未发现违反《装修管理协议》的行为", "整改后申请复查"):
        assert phrase in text, phrase
    assert doc["record"]["outcome"] == "" and all(not i.get("result") for i in doc["record"]["items"])


def test_completion_is_the_companys_check_against_the_agreement_not_a_quality_acceptance(issued):
    """GIVEN the completion form WHEN a lawyer reads it against 《住宅室内装饰装修管理办法》第三十条
    THEN it is the company's 现场检查 against the 装修管理协议 (each item citing the agreement's
    clause), quality acceptance is said to be between 装修人 and 装饰装修企业, nothing certifies
    quality (no 闭水试验, no 合格), and no standard cites 第六条 for what 第六条 does not say."""
    for key in ("completion", "completion-blank"):
        _, doc, text = issued[key]
        assert doc["pages"] == 1
        for phrase in ("按照《装修管理协议》对装修工程进行现场检查", "是否符合协议、是否发现违规",
                       "装修工程的质量由装修人按照与装饰装修企业的合同约定和相应的质量标准验收", "本单不是质量验收",
                       "《装修管理协议》约定", "检查结果", "检查人（签字）"):
            assert phrase in text, (key, phrase)
        for wrong in ("闭水试验", "验收合格。", "不合格", "验收标准", "符合小区统一要求", "验收人"):
            assert wrong not in text, (key, wrong)
        for item in doc["record"]["items"]:
            assert "（协议第" in item["standard"], item


def test_completion_with_a_failed_item(issued):
    _, doc, text = issued["completion"]
    assert doc["record"]["outcome"] == "发现违规"
    for phrase in ("公共部位及共用设施发现违反《装修管理协议》的行为", "6楼电梯厅墙面瓷砖碰损2块",
                   "2025年12月8日前按上列要求整改", "劝阻、制止，并向有关行政主管部门报告"):
        assert phrase in text, phrase
    assert "责令" not in text                  # a company has no administrative power


def test_completion_rule(ws):
    tpl = ws.catalog.get("renovation-completion")
    partial = copy.deepcopy(tpl.example)
    partial["items"][0]["result"] = None
    with pytest.raises(ValidationError, match="未填写检查结果"):
        issuing.prepare(ws, tpl.id, data=partial, as_of=AS_OF)
    silent = copy.deepcopy(tpl.example)
    silent["items"][4].pop("remarks")
    with pytest.raises(ValidationError, match="发现违规，须写明违反协议的问题.*第三十条"):
        issuing.prepare(ws, tpl.id, data=silent, as_of=AS_OF)
    no_deadline = dict(tpl.example, rectify_by=None)
    with pytest.raises(ValidationError, match="须写明整改期限"):
        issuing.prepare(ws, tpl.id, data=no_deadline, as_of=AS_OF)


# ---------------------------------------------------------------- 宣传栏公告

def test_water_cut_notice_in_large_type(issued):
    path, doc, text = issued["water"]
    assert doc["pages"] == 1
    for phrase in ("停水通知", "停水时间", "2025年12月3日9:00至17:00", "影响范围", "二次供水水箱清洗消毒", "温馨提示",
                   "（盖章）"):
        assert phrase in text, phrase
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        textpage = pdf[0].get_textpage()
        sizes = []
        for i in range(textpage.count_chars()):
            if textpage.get_text_range(i, 1) == "时":          # the body's characters, not the footer
                sizes.append(pdfium.raw.FPDFText_GetFontSize(textpage.raw, i))
    finally:
        pdf.close()
    assert sizes and min(sizes) >= 15.5                          # large type for the board (16 pt)


def test_board_notice_rule(ws):
    tpl = ws.catalog.get("board-notice")
    same_day = dict(tpl.example, start_date="2025-12-01")
    with pytest.raises(ValidationError, match="提前24小时"):
        issuing.prepare(ws, tpl.id, data=same_day, as_of=AS_OF)
    assert issuing.prepare(ws, tpl.id, data=dict(same_day, urgent=True), as_of=AS_OF)[1]["what"] == "停水"
    power = dict(tpl.example, kind="停电通知", carried_out_by="国网江城供电公司", start_date="2025-12-05",
                 reason="线路计划检修")
    with pytest.raises(ValidationError, match="提前7天"):
        issuing.prepare(ws, tpl.id, data=power, as_of=AS_OF)
    for_fees = dict(tpl.example, reason="业主长期欠费")
    with pytest.raises(ValidationError, match="第九百四十四条"):
        issuing.prepare(ws, tpl.id, data=for_fees, as_of=AS_OF)
    reminder = {"kind": "温馨提示", "heading": "冬季防冻温馨提示", "audience": "阳光花园全体业主、住户",
                "notice_date": "2025-12-01", "points": [{"text": "请包裹室外水表和管道。"}]}
    assert issuing.prepare(ws, tpl.id, data=reminder, as_of=AS_OF)[1]["title"] == "冬季防冻温馨提示"


# ---------------------------------------------------------------- 首次业主大会: 会议通知 and 表决票

def test_assembly_notice_counts_area_and_owners_from_the_store(issued, ws):
    _, doc, text = issued["assembly"]
    with ws.store.snapshot() as view:
        units = view.all("units")
    area = sum(Decimal(u["area"]) for u in units)
    owners = len({u["owner"] for u in units})
    quorum_area = Decimal(-(-int(area * 100) * 2 // 3)) / 100       # two thirds, rounded up to 0.01 m²
    quorum_owners = -(-owners * 2 // 3)
    assert doc["pages"] == 1
    for phrase in (f"专有部分总面积{area}平方米", f"业主总人数{owners}人", f"不少于{quorum_area}平方米",
                   f"人数不少于{quorum_owners}人", "三分之二以上", "四分之三以上", "过半数", "第二百七十八条",
                   "同一业主拥有一个以上专有部分的按一人计算", "第十二条"):
        assert phrase in text, phrase


def test_assembly_notice_dates_are_one_meeting_15_days_after_the_notice(issued):
    """The written vote IS the meeting: the notice says the meeting is held over the vote period,
    the count the day after, and the residents' committee told (物业管理条例 第十四条)."""
    path, doc, text = issued["assembly"]
    assert doc["doc_no"].startswith("筹备组字〔2025〕")
    for phrase in ("定于2025年12月16日至2025年12月29日以书面征求意见的形式召开", "投票期间即会议召开期间",
                   "2025年12月29日17:00前（含当日）", "2025年12月30日由筹备组公开计票",
                   "本通知已同时告知阳光社区居民委员会（《物业管理条例》第十四条）"):
        assert phrase in text, phrase
    assert "12月20日" not in text and "12月6日" not in text


def test_assembly_notice_is_the_groups_signed_not_the_companys(issued):
    path, doc, text = issued["assembly"]
    assert "阳光花园首次业主大会会议筹备组（签章）" in text
    assert "（盖章）" not in text and "阳光物业服务有限公司" not in text and "物筹" not in text
    assert list(signature_widgets(path)["fields"]) == ["group"]


def test_assembly_notice_announces_the_election_the_counting_rules_and_where_to_read_the_drafts(issued, ws):
    path, doc, text = issued["assembly"]
    example = ws.catalog.get("assembly-notice").example
    assert "应选5名" in text and "候选人6名" in text
    for c in example["candidates"]:
        assert c["name"] in text
    for phrase in ("表决票无效，不计入参与表决的面积和人数", "未经业主签字", "投票截止时间以后投递的",
                   "未表示意见", "该事项计入参与表决的面积和人数，视为弃权", "所选人数超过应选名额5名的，该事项视为弃权",
                   "按得票人数由多到少", "《阳光花园业主大会议事规则（草案）》", "《阳光花园管理规约（草案）》",
                   "候选人名单及简况", "上述文件置于阳光花园客户服务中心一楼公告栏及会议室",
                   "2025年12月1日至12月29日每日9:00—17:00供业主查阅"):
        assert phrase in text, phrase


def test_assembly_notice_rule(ws):
    tpl = ws.catalog.get("assembly-notice")
    short = dict(tpl.example, vote_from="2025-12-15")            # one day short of 15 days
    with pytest.raises(ValidationError) as err:
        issuing.prepare(ws, tpl.id, data=short, as_of=AS_OF)
    assert "vote_from（投票起始日）" in str(err.value) and "15日以前通知全体业主" in str(err.value)
    assert "《物业管理条例》第十四条" in str(err.value) and "最早于2025年12月16日开始" in str(err.value)
    assert issuing.prepare(ws, tpl.id, data=dict(tpl.example, vote_from="2025-12-16"), as_of=AS_OF)
    early_count = dict(tpl.example, count_date="2025-12-28")
    with pytest.raises(ValidationError, match="count_date"):
        issuing.prepare(ws, tpl.id, data=early_count, as_of=AS_OF)
    no_hour = dict(tpl.example, vote_until="下午")
    with pytest.raises(ValidationError, match="vote_until"):
        issuing.prepare(ws, tpl.id, data=no_hour, as_of=AS_OF)
    unreadable = dict(tpl.example, inspect_place=None)
    with pytest.raises(ValidationError, match="inspect_place"):
        issuing.prepare(ws, tpl.id, data=unreadable, as_of=AS_OF)
    no_seats = dict(tpl.example, seats=None)
    with pytest.raises(ValidationError, match="seats"):
        issuing.prepare(ws, tpl.id, data=no_seats, as_of=AS_OF)
    wrong_total = dict(tpl.example, total_owners=239)
    with pytest.raises(ValidationError, match="与登记的业主人数240人不符"):
        issuing.prepare(ws, tpl.id, data=wrong_total, as_of=AS_OF)
    mislabelled = copy.deepcopy(tpl.example)
    mislabelled["agenda"][2]["kind"] = "一般事项"
    with pytest.raises(ValidationError, match="应为特别事项"):
        issuing.prepare(ws, tpl.id, data=mislabelled, as_of=AS_OF)


def test_ballot_from_the_store_carries_the_notices_agenda(issued, demo):
    path, doc, text = issued["ballot"]
    unit, owner = demo["person"]["unit"], demo["person"]["owner"]
    notice = issued["assembly"][1]
    assert doc["pages"] == 1 and doc["record"]["notice_no"] == notice["doc_no"]
    for item in notice["record"]["agenda"]:
        assert item["text"] in text
    for phrase in ("首次业主大会会议表决票", owner["name"], f"{unit['area']}平方米", "业主人数一人", notice["doc_no"],
                   "同意", "反对", "弃权", "四分之三以上同意", "业主（签字）", "委托代理人（签字）"):
        assert phrase in text, phrase
    assert "owner" in signature_widgets(path)["fields"]


def test_ballot_elects_by_candidate_within_the_seats_by_the_announced_rules(issued):
    path, doc, text = issued["ballot"]
    notice = issued["assembly"][1]["record"]
    assert doc["doc_no"].startswith("筹备组票字〔2025〕")
    assert [c["name"] for c in doc["record"]["candidates"]] == [c["name"] for c in notice["candidates"]]
    for c in notice["candidates"]:
        assert c["name"] in text
    for phrase in ("第4项", "应选5名", "所选人数不得超过应选名额5名，超过的该项无效", "未打√的为不选",
                   "请于2025年12月29日17:00前（含当日）", "投票2025年12月16日至2025年12月29日", "2025年12月30日公开计票",
                   "表决票无效", "视为弃权", "投票截止时间以后投递的"):
        assert phrase in text, phrase
    assert "12月19日前" not in text


def test_ballot_must_carry_the_notices_agenda(ws, issued):
    notice = issued["assembly"][1]
    tpl = ws.catalog.get("assembly-ballot")
    changed = copy.deepcopy(tpl.example)
    changed.update(notice_no=notice["doc_no"])
    changed["agenda"] = changed["agenda"][:2]
    with pytest.raises(ValidationError, match="表决事项与会议通知"):
        issuing.prepare(ws, tpl.id, data=changed, as_of=AS_OF)
    fewer = copy.deepcopy(tpl.example)
    fewer.update(notice_no=notice["doc_no"])
    fewer["candidates"] = fewer["candidates"][:5]
    with pytest.raises(ValidationError, match="候选人与会议通知"):
        issuing.prepare(ws, tpl.id, data=fewer, as_of=AS_OF)
    later = dict(copy.deepcopy(tpl.example), notice_no=notice["doc_no"], vote_until="18:00")
    with pytest.raises(ValidationError, match="vote_until"):
        issuing.prepare(ws, tpl.id, data=later, as_of=AS_OF)


def test_ballot_with_five_candidates_fits_one_page(ws):
    tpl = ws.catalog.get("assembly-ballot")
    data = copy.deepcopy(tpl.example)
    data.update(notice_no="筹备组字〔2025〕99号")            # a notice the store does not hold: the data's own
    data["candidates"] = data["candidates"][:5]
    path, doc, text = _issue(ws, tpl.id, data=data)
    assert doc["pages"] == 1 and "候选人5名" in text
