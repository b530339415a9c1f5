"""The community's documents of issue 17 beyond the board notice and the assembly's notice and
ballot: the count's result (计票结果公告), the convenience services' price list (便民服务项目及收费
公示), the plan of a community event (小区文化活动方案) and its sign-in sheet (活动签到表).

GIVEN the demo workspace (240 units of 阳光花园, its fee schedule)
WHEN each document is issued (from the store where the store holds its data: the meeting notice,
the event plan) and read back as the clerk, the owners and a lawyer would read it
THEN it states what was computed (participation, each item's result, the budget's total, the rows)
and each rule refuses what the law it rests on does not allow, naming the field and the article."""
from __future__ import annotations

import copy
import re
import shutil
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from formsmith import issuing
from formsmith.errors import ValidationError
from formsmith.workspace import load_workspace
from pdftools import char_boxes, find_chars, our_page_codes, page_texts, signature_widgets

AS_OF = date(2025, 12, 1)


@pytest.fixture(scope="module")
def ws(demo_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("community") / "ws"
    shutil.copytree(demo_home, home)
    return load_workspace(home)


def _issue(ws, tid, **kw):
    doc = issuing.issue_document(ws, tid, as_of=AS_OF, again=True, **kw)
    with ws.store.snapshot() as view:
        row = view.get("documents", doc.doc_id)
    return Path(doc.path), row, page_texts(Path(doc.path))


def _example(ws, tid) -> dict:
    return copy.deepcopy(ws.catalog.get(tid).example)


def _refused(ws, tid, data, *phrases):
    with pytest.raises(ValidationError) as err:
        issuing.prepare(ws, tid, data=data, as_of=AS_OF)
    text = str(err.value)
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in {text}"
    return text


@pytest.fixture(scope="module")
def issued(ws):
    """The meeting notice, then the count's result of it; the price list; the event plan, then its
    sign-in sheet from the store and a meeting's standalone sheet."""
    out = {"notice": _issue(ws, "assembly-notice", data=_example(ws, "assembly-notice"))}
    result = _example(ws, "assembly-result")
    result["notice_no"] = out["notice"][1]["doc_no"]
    out["result"] = _issue(ws, "assembly-result", data=result)
    out["prices"] = _issue(ws, "service-price-list", data=_example(ws, "service-price-list"))
    plan = _example(ws, "event-plan")
    out["plan"] = _issue(ws, "event-plan", data=plan)
    out["sign-in"] = _issue(ws, "event-sign-in", record=out["plan"][1]["doc_no"])
    meeting = {"title": "阳光花园停车管理方案业主座谈会", "date": "2025-12-01", "time": "19:00—20:30",
               "place": "阳光花园客户服务中心一楼会议室", "expected": 12, "phone_column": True, "made_on": "2025-12-01"}
    out["meeting"] = _issue(ws, "event-sign-in", data=meeting)
    return out


# ---------------------------------------------------------------- 计票结果公告

def _store_totals(ws) -> tuple[Decimal, int]:
    with ws.store.snapshot() as view:
        units = view.all("units")
    return sum(Decimal(u["area"]) for u in units), len({u["owner"] for u in units})


def test_result_computes_participation_and_each_items_result(issued, ws):
    path, doc, pages = issued["result"]
    text = "".join(pages)
    example = ws.catalog.get("assembly-result").example
    area, owners = _store_totals(ws)
    voted_area, voted = Decimal(example["voted_area"]), example["voted_owners"]
    assert doc["pages"] == 1 and doc["doc_no"] == "筹备组公字〔2025〕1号"
    assert Fraction(voted_area) >= Fraction(2, 3) * Fraction(area) and Fraction(voted, owners) >= Fraction(2, 3)
    assert doc["record"]["quorum"] is True and doc["record"]["notice_no"] == issued["notice"][1]["doc_no"]
    for n, item in enumerate(example["agenda"]):
        yes_a, yes_o = Fraction(Decimal(item["yes_area"])), item["yes_owners"]
        if item["kind"] == "特别事项":
            want = yes_a >= Fraction(3, 4) * Fraction(voted_area) and Fraction(yes_o, voted) >= Fraction(3, 4)
        else:
            want = yes_a * 2 > Fraction(voted_area) and yes_o * 2 > voted
        assert doc["record"]["agenda"][n]["result"] == ("通过" if want else "未通过"), item["text"]
    assert [i["result"] for i in doc["record"]["agenda"]] == ["通过", "通过", "未通过"]
    pct = (voted_area * 100 / area).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    for phrase in ("首次业主大会计票结果公告", f"专有部分总面积{area}平方米", f"业主总人数{owners}人",
                   f"{voted_area}平方米", f"的{pct}%", "收回表决票198张", "有效票195张", "无效票3张",
                   "72.92%", "73.33%", "第1项、第2项经表决通过", "第3项未获得法定比例的同意",
                   "第二百七十八条第二款", "第二百八十条", "一年内", "第十二条", "未表示意见的419.82平方米、3人",
                   "第十六条", "阳光花园首次业主大会会议筹备组（签章）", "2025年12月30日", issued["notice"][1]["doc_no"]):
        assert phrase in text, phrase
    assert "group" in signature_widgets(path)["fields"]
    assert "（盖章）" not in text and "阳光物业服务有限公司" not in text   # the group's notice, not the company's


def test_result_without_notice_number_is_of_the_last_notice(ws, issued):
    data = _example(ws, "assembly-result")
    data["notice_no"] = None
    _, values, _ = issuing.prepare(ws, "assembly-result", data=data, as_of=AS_OF)
    assert values["notice_no"] == issued["notice"][1]["doc_no"]


def test_result_without_quorum_decides_nothing(ws, issued):
    data = _example(ws, "assembly-result")
    area, owners = _store_totals(ws)
    quorum_area = Decimal(-(-int(area * 100) * 2 // 3)) / 100
    data.update(voted_area=str(quorum_area - Decimal("0.01")))          # one hundredth of a m² short
    for item in data["agenda"]:
        item.update(no_area="0.00", abstain_area="0.00", yes_area=str(quorum_area - Decimal("100.00")))
    for c in data["candidates"]:
        c.update(yes_area="15000.00")
    _, values, _ = issuing.prepare(ws, "assembly-result", data=data, as_of=AS_OF)
    assert values["quorum"] is False
    assert {i["result"] for i in values["agenda"]} == {"未形成决定"}
    assert {c["result"] for c in values["candidates"]} == {"未形成决定"}
    path, doc, pages = _issue(ws, "assembly-result", data=data)
    text = "".join(pages)
    assert "本次会议不能作出决定" in text and "未形成业主大会决定" in text and "经表决通过" not in text
    assert "第十六条" not in text                      # no committee elected, nothing to register


def test_result_thresholds_include_three_quarters_and_exclude_half(ws, issued):
    data = _example(ws, "assembly-result")
    data.update(returned=190, void=2, voted_area="20000.00", voted_owners=188)
    general, special = data["agenda"][0], data["agenda"][2]
    general.update(yes_area="10000.00", yes_owners=94, no_area="10000.00", no_owners=94,
                   abstain_area="0.00", abstain_owners=0)                     # exactly half: not 过半数
    special.update(yes_area="15000.00", yes_owners=141, no_area="5000.00", no_owners=47,
                   abstain_area="0.00", abstain_owners=0)                     # exactly ¾: 四分之三以上
    data["agenda"][1].update(yes_area="15000.00", yes_owners=150, no_area="1000.00", no_owners=10,
                             abstain_area="1000.00", abstain_owners=10)
    for c in data["candidates"]:
        c.update(yes_area="10000.00", yes_owners=90)
    _, values, _ = issuing.prepare(ws, "assembly-result", data=data, as_of=AS_OF)
    assert [i["result"] for i in values["agenda"]] == ["未通过", "通过", "通过"]


def test_result_rule_refuses_what_does_not_add_up(ws, issued):
    tid = "assembly-result"
    over = _example(ws, tid)
    over["agenda"][0]["yes_owners"] = 180
    _refused(ws, tid, over, "agenda[1]", "人数合计203人，多于参与表决的195人")
    over_area = _example(ws, tid)
    over_area["agenda"][1]["no_area"] = "5000.00"
    _refused(ws, tid, over_area, "面积合计25833.14平方米", "多于参与表决的22841.36平方米")
    many = dict(_example(ws, tid), voted_owners=241, returned=245, void=0)
    _refused(ws, tid, many, "超过业主总人数240人", "多于登记的专有部分240个")
    too_much = dict(_example(ws, tid), voted_area="28063.28")
    _refused(ws, tid, too_much, "voted_area", "超过专有部分总面积28063.27平方米")
    early = dict(_example(ws, tid), result_date="2025-12-18")
    _refused(ws, tid, early, "result_date（公告日期）", "投票尚未结束")
    voided = dict(_example(ws, tid), void=199)
    _refused(ws, tid, voided, "无效票199张多于收回的表决票198张")
    wrong_total = dict(_example(ws, tid), total_owners=239)
    _refused(ws, tid, wrong_total, "与登记的业主人数240人不符")
    negative = _example(ws, tid)
    negative["agenda"][2]["abstain_area"] = "-1.00"
    _refused(ws, tid, negative, "abstain_area（弃权面积）")


def test_result_must_count_the_notices_agenda(ws, issued):
    tid = "assembly-result"
    fewer = _example(ws, tid)
    fewer["agenda"] = fewer["agenda"][:2]
    _refused(ws, tid, fewer, "计票事项与会议通知", issued["notice"][1]["doc_no"])
    other_day = dict(_example(ws, tid), vote_to="2025-12-18")
    _refused(ws, tid, other_day, "vote_to（投票截止日）：与会议通知", "2025-12-29")
    other_count = dict(_example(ws, tid), count_date="2025-12-31", result_date="2025-12-31")
    _refused(ws, tid, other_count, "count_date（公开计票日期）：与会议通知", "2025-12-30")
    other_hour = dict(_example(ws, tid), vote_until="18:00")
    _refused(ws, tid, other_hour, "vote_until", "与会议通知")
    fewer_candidates = _example(ws, tid)
    fewer_candidates["candidates"] = fewer_candidates["candidates"][:5]
    _refused(ws, tid, fewer_candidates, "候选人与会议通知", "孙海燕")
    mislabelled = _example(ws, tid)
    mislabelled["agenda"][2]["kind"] = "一般事项"
    _refused(ws, tid, mislabelled, "应为特别事项")


def test_result_says_the_notices_dates_and_applies_only_the_announced_rules(issued):
    """The meeting is the vote period, as the notice says; void ballots and blank answers are
    treated as the notice and the ballot announced (blank: taking part, 视为弃权)."""
    _, doc, pages = issued["result"]
    text = "".join(pages)
    notice_text = "".join(issued["notice"][2])
    period = "2025年12月16日至2025年12月29日"
    assert period in notice_text and period in text
    assert "2025年12月30日由筹备组公开计票" in notice_text and "2025年12月30日在阳光花园客户服务中心一楼会议室公开计票" in text
    assert "12月6日" not in text and "12月19日" not in text
    for phrase in ("计票只适用会议通知和表决票载明的计票规则", "无效票依计票规则第一条认定", "视为弃权"):
        assert phrase in text, phrase
    second = doc["record"]["agenda"][1]                  # 963.12 m², 9 marked 弃权 + 419.82 m², 3 blank
    assert (second["abstain_all_area"], second["abstain_all_owners"]) == ("1382.94", 12)
    assert "1382.94" in text and "第2项表示弃权的963.12平方米、9人，未表示意见的419.82平方米、3人" in text


def test_result_elects_by_candidate_within_the_seats(issued, ws):
    _, doc, pages = issued["result"]
    text = "".join(pages)
    rec = doc["record"]
    assert [(c["name"], c["result"]) for c in rec["candidates"]] == [
        ("刘建国", "当选"), ("李秀英", "当选"), ("张伟明", "当选"), ("陈丽华", "当选"), ("赵国强", "当选"),
        ("孙海燕", "未当选")]
    for phrase in ("第4项", "应选5名", "刘建国", "20588.40", "90.26%", "当选（1）", "当选（5）", "未当选", "46.02%",
                   "第4项刘建国、李秀英、张伟明、陈丽华、赵国强当选业主委员会委员"):
        assert phrase in text, phrase


def test_result_election_needs_more_than_half_and_a_tie_at_the_last_seat_elects_neither(ws, issued):
    data = _example(ws, "assembly-result")
    votes = [("20000.00", 180), ("19000.00", 170), ("18000.00", 160), ("15000.00", 130), ("15000.00", 130),
             ("11420.68", 150)]                       # the last: exactly half of 22841.36 m², not more
    for c, (a, o) in zip(data["candidates"], votes):
        c.update(yes_area=a, yes_owners=o)
    _, values, _ = issuing.prepare(ws, "assembly-result", data=data, as_of=AS_OF)
    got = [(c["name"], c["result"], c["rank"]) for c in values["candidates"]]
    assert got == [("刘建国", "当选", 1), ("李秀英", "当选", 2), ("张伟明", "当选", 3),
                   ("陈丽华", "当选", 4), ("赵国强", "当选", 5), ("孙海燕", "未当选", None)]
    data["candidates"][5].update(yes_area="15000.00", yes_owners=130)     # three tied for the last two seats
    _, values, _ = issuing.prepare(ws, "assembly-result", data=data, as_of=AS_OF)
    assert [c["result"] for c in values["candidates"]] == ["当选", "当选", "当选", "得票相同，另行选举",
                                                           "得票相同，另行选举", "得票相同，另行选举"]
    path, doc, pages = _issue(ws, "assembly-result", data=data)
    assert "当选3名，不足应选名额5名，缺额另行选举" in "".join(pages) and doc["pages"] == 1
    too_many = _example(ws, "assembly-result")
    for c in too_many["candidates"]:
        c.update(yes_owners=190)                                          # 6×190 > 5×195
    _refused(ws, "assembly-result", too_many, "candidates", "多于应选名额5名")


def test_result_percentages_are_rounded_half_up(ws, issued):
    """88.205% is printed 88.21% (not cut to 88.20%); the decision still takes the exact fraction."""
    from formsmith.processes.community.tally import _percent
    assert _percent(Decimal("17641.00"), Decimal("20000.00")) == "88.21"
    assert _percent(2, 3) == "66.67" and _percent(1, 3) == "33.33"
    data = _example(ws, "assembly-result")
    data.update(voted_area="20000.00")
    data["agenda"][0].update(yes_area="17641.00", no_area="1000.00", abstain_area="1359.00")
    for item in data["agenda"][1:]:
        item.update(yes_area="15000.00", no_area="2500.00", abstain_area="2500.00")
    for c in data["candidates"]:
        c.update(yes_area="12000.00")
    path, doc, pages = _issue(ws, "assembly-result", data=data)
    text = "".join(pages)
    assert "88.21%" in text and "88.20%" not in text
    # 50.005% shows 50.01% yet 10001/20000 is more than half: exact, not the printed figure
    data["agenda"][0].update(yes_area="10001.00", no_area="9999.00", abstain_area="0.00")
    _, values, _ = issuing.prepare(ws, "assembly-result", data=data, as_of=AS_OF)
    assert values["agenda"][0]["yes_area_pct"] == "50.01" and values["agenda"][0]["result"] == "通过"


# ---------------------------------------------------------------- 便民服务项目及收费公示

def test_price_list_fits_one_page_with_every_price_and_the_hotlines(issued, ws):
    path, doc, pages = issued["prices"]
    text = "".join(pages)
    example = ws.catalog.get("service-price-list").example
    assert doc["pages"] == 1 and len(example["services"]) == 15
    for item in example["services"]:
        assert item["name"] in text, item["name"]
        assert ("免费" if item.get("free") else f"{item['price']}{item['unit']}") in text, item["name"]
    for phrase in ("便民服务项目及收费公示", "第9项收费标准调整", "新标准自2026年1月1日起执行",
                   "价格举报电话12315", "政务服务便民热线12345", "《中华人民共和国价格法》第十三条",
                   "《物业管理条例》第四十三条", "《物业服务收费明码标价规定》第十条", "不收取表外任何费用",
                   "阳光物业服务有限公司（盖章）", "2025年12月1日"):
        assert phrase in text, phrase
    assert "12358" not in text                          # merged into 12315
    assert "seal" in signature_widgets(path)["fields"]


def test_a_changed_price_shows_the_current_one_first_and_the_new_one_with_its_date(issued):
    """GIVEN item 9 priced 100.00 until 2025-12-31 and 120.00 from 2026-01-01 WHEN an owner reads
    its price THEN the current price comes first as 现行100.00元/台, then 2026年1月1日起120.00元/台,
    in larger type for the current one; no 原 price (100.00 is not the old one yet)."""
    path, _, pages = issued["prices"]
    text = "".join(pages)
    assert "现行100.00元/台2026年1月1日起120.00元/台" in text
    assert "原100.00" not in text
    page = char_boxes(path)[0]
    now, = find_chars(page, "现行100.00元/台")
    new, = find_chars(page, "120.00元/台")
    def size(run):
        return run[0][1][3] - run[0][1][1]
    assert now[0][1][1] > new[0][1][1]                 # above it (PDF y grows upwards)
    assert size(now) > size(new)


def test_price_list_rule_refuses_unmarked_and_early_prices(ws):
    tid = "service-price-list"
    unpriced = _example(ws, tid)
    unpriced["services"][0].pop("price")
    _refused(ws, tid, unpriced, "services[1]（疏通下水管道）.price", "未标明收费标准，也未标明免费", "价格法》第十三条")
    negative = _example(ws, tid)
    negative["services"][1]["price"] = "-20.00"
    _refused(ws, tid, negative, "为负数")
    no_unit = _example(ws, tid)
    no_unit["services"][2]["unit"] = None
    _refused(ws, tid, no_unit, "services[3]（马桶水箱维修）.unit", "须写明计价单位")
    free_and_paid = _example(ws, tid)
    free_and_paid["services"][5]["price"] = "5.00"
    _refused(ws, tid, free_and_paid, "已标明免费")
    before = dict(_example(ws, tid), effective_date="2025-11-30")
    _refused(ws, tid, before, "effective_date", "早于公示日期", "未公示的收费标准不得执行")
    short = dict(_example(ws, tid), effective_date="2025-12-31")
    _refused(ws, tid, short, "第9项调整收费标准", "前一个月", "最早于2026年1月1日执行", "第十条")
    undated = dict(_example(ws, tid), effective_date=None)
    _refused(ws, tid, undated, "须标明新标准开始执行的日期")
    twice = _example(ws, tid)
    twice["services"][1]["name"] = twice["services"][0]["name"]
    _refused(ws, tid, twice, "服务项目重复列出")


def test_price_list_states_the_recorded_schedule_as_recorded(ws):
    """A service the fee schedule publishes (装修垃圾清运费 3.00元/平方米) keeps its recorded price."""
    tid = "service-price-list"
    unchanged = dict(_example(ws, tid), effective_date=None)
    unchanged["services"][8].pop("previous_price")
    debris = {"name": "装修垃圾清运", "content": "装修垃圾集中清运", "price": "5.00", "unit": "元/平方米",
              "materials": "不需材料", "hours": "8:00—18:00", "booking": "前台登记"}
    unchanged["services"].append(debris)
    _refused(ws, tid, unchanged, "收费标准中登记的装修垃圾清运费为3.00元/平方米")
    debris["price"] = "3.00"
    _, values, _ = issuing.prepare(ws, tid, data=unchanged, as_of=AS_OF)
    assert values["changed"] == [] and len(values["services"]) == 16


# ---------------------------------------------------------------- 小区文化活动方案

def test_event_plan_sums_its_budget_and_cites_only_the_law_that_applies(issued, ws):
    path, doc, pages = issued["plan"]
    text = "".join(pages)
    example = ws.catalog.get("event-plan").example
    total = sum(Decimal(b["amount"]) for b in example["budget"])
    assert total == Decimal("2900.00") and Decimal(doc["record"]["budget_total"]) == total
    assert doc["pages"] == 2 and doc["doc_no"] == "物活字〔2025〕1号"
    for phrase in ("小区文化活动方案", example["title"], "2026年2月7日9:00至11:30", "阳光花园中心广场（室外）",
                   "400人", "220人", "猜灯谜", "包饺子比赛", "维修部", "安护部", "环境部", "2,900.00",
                   "人民币大写：贰仟玖佰元整", "安全预案", "雨天预案", "第一千一百九十八条", "拟定人：王敏",
                   "审核（部门主管）", "批准（管理处主任）", "第二十五条"):
        assert phrase in text, phrase
    assert "大型群众性活动" not in text                 # 220 persons: that regulation does not apply
    assert {"drafter", "reviewer", "approver"} <= set(signature_widgets(path)["fields"])


def test_event_plan_rule(ws):
    tid = "event-plan"
    wrong_total = dict(_example(ws, tid), budget_total="3000.00")
    _refused(ws, tid, wrong_total, "budget_total", "与明细之和 2,900.00 不符")
    backwards = dict(_example(ws, tid), end_time="8:30")
    _refused(ws, tid, backwards, "end_time", "不晚于开始时间")
    outside = _example(ws, tid)
    outside["schedule"][4]["until"] = "12:00"
    _refused(ws, tid, outside, "schedule[5]", "不在活动时间")
    crowded = dict(_example(ws, tid), expected=401)
    _refused(ws, tid, crowded, "超过阳光花园中心广场可容纳的400人", "第一千一百九十八条")
    dry = dict(_example(ws, tid), rain_plan=None)
    _refused(ws, tid, dry, "rain_plan", "室外活动须写明雨天")
    assert issuing.prepare(ws, tid, data=dict(dry, outdoor=False), as_of=AS_OF)[1]["large"] is False
    unsafe = dict(_example(ws, tid), safety_plan=None)
    _refused(ws, tid, unsafe, "safety_plan", "安全保障义务")
    large = dict(_example(ws, tid), expected=1200, capacity=3000)
    text = _refused(ws, tid, large, "police_permit", "《大型群众性活动安全管理条例》第二条", "县级人民政府公安机关")
    assert "市级" not in text
    _refused(ws, tid, dict(large, expected=5000, capacity=8000), "设区的市级人民政府公安机关")
    permitted = dict(large, police_permit="南公（治）许字〔2026〕第12号")
    path, doc, pages = _issue(ws, tid, data=permitted)
    assert "南公（治）许字〔2026〕第12号" in "".join(pages) and "第十一条" in "".join(pages)
    late = dict(_example(ws, tid), plan_date="2026-02-08")
    _refused(ws, tid, late, "plan_date", "应当事先制订")


# ---------------------------------------------------------------- 活动签到表

def test_sign_in_from_the_plan_has_a_row_for_everyone_and_a_header_on_every_page(issued, ws):
    path, doc, pages = issued["sign-in"]
    plan = issued["plan"][1]
    rec = doc["record"]
    assert rec["plan_no"] == plan["doc_no"] and rec["title"] == plan["record"]["title"]
    assert rec["date"] == "2026-02-07" and rec["expected"] == 220 and rec["rows"] == 220
    assert doc["pages"] == len(pages) == 11
    for n, page in enumerate(pages, 1):
        for phrase in ("活动签到表", plan["record"]["title"], "2026年2月7日", "阳光花园中心广场", "房号", "姓名",
                       "签到时间", "签名", "是否同意拍照", "第十三条", f"第{n}页共11页"):
            assert phrase in page, (n, phrase)
    numbers = [int(x) for x in re.findall(r"(\d+)同意不同意", "".join(pages))]
    assert numbers == list(range(1, 221))
    assert "联系电话" not in "".join(pages)             # not asked: not collected (个人信息保护法 第六条)
    assert [[(c.page, c.pages) for c in cs] for cs in our_page_codes(path)] == [[(n, 11)] for n in range(1, 12)]


def test_sign_in_closes_on_its_last_page_and_keeps_what_the_plan_says(issued, ws):
    """GIVEN the plan's sign-in sheet (11 pages) and a meeting's (1 page) WHEN the organiser closes
    it THEN the last page, with rows on it, ends with 实到人数…人 签到负责人… 日期…年…月…日 on one
    line, no other page has it; and the sheet and the plan state one retention, the manifests'
    retention_years (归档保存N年), the same for both."""
    years = ws.catalog.get("event-sign-in").retention_years
    assert years == ws.catalog.get("event-plan").retention_years
    for key in ("sign-in", "meeting"):
        path, _, pages = issued[key]
        closing = [n for n, p in enumerate(pages) if "实到人数" in p]
        assert closing == [len(pages) - 1], key
        assert re.search(r"\d+(同意不同意)?实到人数人签到负责人日期年月日", pages[-1]), key
        last = char_boxes(path)[-1]
        line, = find_chars(last, "实到人数")
        end, = find_chars(last, "月日")
        assert abs(line[0][1][1] - end[-1][1][1]) < 1            # one baseline
        assert f"随活动档案一并归档保存{years}年后销毁" in pages[0], key
    plan_text = "".join(issued["plan"][2])
    assert f"方案、签到表和照片由阳光花园客户服务中心随活动档案一并归档保存{years}年后销毁" in plan_text
    assert "留存" not in plan_text


def test_standalone_sign_in_asks_the_phone_only_when_told(issued):
    path, doc, pages = issued["meeting"]
    text = "".join(pages)
    assert doc["pages"] == 1 and doc["record"]["rows"] == 20           # a full page for 12 expected
    assert "联系电话" in text and "联系电话仅用于活动变更" in text
    assert "是否同意拍照" not in text and "第二十五条" not in text     # no photos: no consent asked
    assert "第六条、第十七条" in text


def test_sign_in_rule(ws, issued):
    tid = "event-sign-in"
    base = _example(ws, tid)
    base["plan_no"] = issued["plan"][1]["doc_no"]
    _refused(ws, tid, dict(base, expected=0), "expected", "1至300人")
    _refused(ws, tid, dict(base, expected=301), "1至300人")
    _refused(ws, tid, dict(base, date="2026-02-08"), "date（签到日期）", "不在活动日期（2026年2月7日）之内")
    _refused(ws, tid, dict(base, title="阳光花园元宵游园会"), "与活动方案", "方案为")
    alone = dict(base, plan_no=None, title="阳光花园元宵游园会", event_from="2026-03-03", event_to="2026-03-04",
                 date="2026-03-05")
    _refused(ws, tid, alone, "不在活动日期（2026年3月3日至2026年3月4日）之内")
    _, values, _ = issuing.prepare(ws, tid, data=dict(alone, date="2026-03-04", expected=21), as_of=AS_OF)
    assert values["rows"] == 40
