"""The rules of the move-in pack, custody and renovation, tested as rules: right input passes,
wrong input is refused with a line naming the field, and a refused command issues nothing."""
from __future__ import annotations

import copy
import json
import shutil
from datetime import date
from decimal import Decimal

import pytest

from formsmith import find_workspace, issuing
from formsmith.errors import InputError, ValidationError
from formsmith.processes.custody import rules as custody_rules
from formsmith.processes.movein import rules as movein_rules

AS_OF = date(2025, 12, 1)


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory):
    """A private copy of the demo workspace shared by this module (tests that issue use --again)."""
    dest = tmp_path_factory.mktemp("rules") / "ws"
    shutil.copytree(demo_home, dest)
    return dest


@pytest.fixture(scope="module")
def ws(home):
    return find_workspace(home)


def example(ws, tid, **changes):
    data = copy.deepcopy(ws.catalog.get(tid).example)
    for k, v in changes.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    return data


def prepared(ws, tid, data):
    """Validation and rules, as issuing runs them before a number is taken: the data."""
    return issuing.prepare(ws, tid, data=data, as_of=AS_OF)[1]


def refused(ws, tid, data) -> str:
    with pytest.raises(ValidationError) as exc:
        prepared(ws, tid, data)
    return "\n".join(exc.value.lines())


def snapshot_counts(ws):
    with ws.store.snapshot() as view:
        docs = view.count("documents")
    files = sorted(p for p in (ws.output_dir).rglob("*") if p.is_file())
    return docs, files


# ---------------------------------------------------------------- custody: 70 %, 5 and 20

@pytest.mark.parametrize("area, rate, full, fee", [
    ("106.12", "2.20", "233.46", "163.42"),
    ("98.56", "2.20", "216.83", "151.78"),
    ("143.60", "2.20", "315.92", "221.14"),
    ("100.15", "1.00", "100.15", "70.11"),     # 70.105: half up to the fen, not half even
    ("89.36", "3.35", "299.36", "209.55"),     # 299.356 → 299.36; 209.552 → 209.55
])
def test_custody_fee_is_seventy_percent_of_the_full_fee_to_the_fen(ws, area, rate, full, fee):
    values = prepared(ws, "custody-agreement",
                      example(ws, "custody-agreement", area=area, fee_rate=rate, full_fee=None,
                              custody_fee=None))
    assert values["full_fee"] == Decimal(full) and values["custody_fee"] == Decimal(fee)
    assert isinstance(values["custody_fee"], Decimal)


def test_custody_fee_matches_what_the_demo_charges_custody_units(ws):
    with ws.store.snapshot() as view:
        units = view.find("units", status="custody")
        assert units
        for unit in units:
            charged = view.get("charges", f"C{unit['id']}-2025-11-FEE")["amount"]
            full = custody_rules.full_fee(Decimal(unit["area"]), Decimal(unit["fee_rate"]))
            assert custody_rules.custody_fee(full) == Decimal(charged), unit["id"]


def test_custody_ceilings_are_computed_from_the_handover_readings(ws):
    values = prepared(ws, "custody-agreement", example(ws, "custody-agreement", water_base="12.5",
                                                        electricity_base="1000"))
    assert (values["water_limit"], values["electricity_limit"]) == (5, 20)
    assert values["water_max"] == Decimal("17.5") and values["electricity_max"] == Decimal("1020")


@pytest.mark.parametrize("changes, field, words", [
    ({"custody_fee": "163.43"}, "custody_fee", "应为全额233.46元的70% = 163.42元"),
    ({"custody_fee": "233.46"}, "custody_fee", "163.42元"),
    ({"full_fee": "230.00"}, "full_fee", "106.12平方米 × 2.20元 = 233.46元"),
    ({"water_limit": 6}, "water_limit", "水表用量上限为5"),
    ({"electricity_limit": 30}, "electricity_limit", "电表用量上限为20"),
    ({"area": "-3"}, "area", "应为大于0"),
    ({"water_base": "abc"}, "water_base", "不是数字"),
    ({"end_date": "2025-02-01"}, "end_date", "不晚于开始日期"),
])
def test_custody_wrong_figures_are_refused(ws, changes, field, words):
    message = refused(ws, "custody-agreement", example(ws, "custody-agreement", **changes))
    assert f"字段 {field}" in message and words in message


def test_custody_stated_figures_that_follow_the_rule_pass(ws):
    values = prepared(ws, "custody-agreement",
                      example(ws, "custody-agreement", water_limit=5, electricity_limit=20))
    assert values["custody_fee"] == Decimal("163.42")


def test_custody_agreement_from_the_store_and_refused_for_a_unit_not_in_custody(ws):
    tpl, values, _ = issuing.prepare(ws, "custody-agreement", unit="5-1-302", as_of=AS_OF)
    assert values["area"] == "132.75" and values["custody_fee"] == Decimal("204.44")
    assert values["water_base"] == "12.0" and values["water_max"] == Decimal("17.0")
    with pytest.raises(InputError, match="字段 status（状态）：该房屋未办理托管"):
        issuing.prepare(ws, "custody-agreement", unit="1-1-301", as_of=AS_OF)


# ---------------------------------------------------------------- move-in: applicant checklists

OWNER_ONLY = dict(agent_name=None, agent_id_number=None, agent_phone=None, power_of_attorney=None)


def test_checklist_of_an_owner_in_person(ws):
    values = prepared(ws, "move-in-registration",
                      example(ws, "move-in-registration", applicant_kind="业主本人", **OWNER_ONLY))
    assert [c["item"] for c in values["checklist"]] == ["业主身份证", "入住通知单", "房屋买卖合同"]


def test_checklist_of_an_agent_adds_the_agent_id_and_the_power_of_attorney(ws):
    values = prepared(ws, "move-in-registration", example(ws, "move-in-registration"))
    assert [c["item"] for c in values["checklist"]] == [
        "业主身份证", "入住通知单", "房屋买卖合同", "受托人身份证", "授权委托书"]


def test_an_agent_without_power_of_attorney_and_id_is_refused(ws):
    message = refused(ws, "move-in-registration", example(
        ws, "move-in-registration", power_of_attorney=None, agent_id_number=None))
    assert "字段 power_of_attorney（授权委托书）：委托代办须提供授权委托书" in message
    assert "字段 agent_id_number" in message and "受托人身份证" in message


def test_checklist_of_a_company_buyer(ws):
    data = example(ws, "move-in-registration", applicant_kind="单位购置", owner_name="江城恒信贸易有限公司",
                   owner_id_number="91420100MA4K3R2P7D", company_certificate="营业执照副本复印件（加盖公章）",
                   agent_name="王强", power_of_attorney=None)
    values = prepared(ws, "move-in-registration", data)
    items = [c["item"] for c in values["checklist"]]
    assert items[0].startswith("单位证明") and "经办人身份证" in items


@pytest.mark.parametrize("changes, words", [
    ({"owner_id_number": None}, "字段 owner_id_number（统一社会信用代码）：单位购置须提供单位证明"),
    ({"owner_id_number": "420102197805121239"}, "须填写单位的18位统一社会信用代码"),
    ({"company_certificate": None}, "字段 company_certificate（单位证明）"),
    ({"agent_id_number": None}, "经办人身份证"),
])
def test_a_company_buyer_without_its_papers_is_refused(ws, changes, words):
    base = dict(applicant_kind="单位购置", owner_name="江城恒信贸易有限公司",
                owner_id_number="91420100MA4K3R2P7D", company_certificate="营业执照副本复印件",
                agent_name="王强", power_of_attorney=None)
    message = refused(ws, "move-in-registration", example(ws, "move-in-registration", **{**base, **changes}))
    assert words in message


def test_an_owner_in_person_with_agent_data_or_a_credit_code_is_refused(ws):
    message = refused(ws, "move-in-registration", example(ws, "move-in-registration", applicant_kind="业主本人"))
    assert "申请人为业主本人，不应填写受托人或单位资料" in message
    message = refused(ws, "move-in-registration", example(
        ws, "move-in-registration", applicant_kind="业主本人", owner_id_number="91420100MA4K3R2P7D",
        **OWNER_ONLY))
    assert "填写的是统一社会信用代码" in message


def test_checklist_function_names_every_missing_paper_at_once():
    with pytest.raises(ValidationError) as exc:
        movein_rules.applicant_checklist({"applicant_kind": "委托代办", "agent_name": "李秀英"})
    fields = [line.split("：")[0] for line in exc.value.lines()]
    assert fields == ["字段 owner_id_number（业主身份证号）", "字段 move_in_notice_no（入住通知单编号）",
                      "字段 purchase_contract_no（房屋买卖合同编号）", "字段 agent_id_number（受托人/经办人身份证号）",
                      "字段 power_of_attorney（授权委托书）"]


# ---------------------------------------------------------------- handover, meters, inspection

def test_handover_without_the_handbook_or_the_drawings_is_refused(ws):
    items = [i for i in example(ws, "handover-receipt")["items"]
             if "住户手册" not in i["name"] and "水电图" not in i["name"]]
    message = refused(ws, "handover-receipt", example(ws, "handover-receipt", items=items))
    assert "缺少《住户手册》" in message and "缺少房屋水电图" in message


def test_meter_readings_need_each_meter_once_and_real_numbers(ws):
    rows = example(ws, "meter-reading")["readings"]
    message = refused(ws, "meter-reading", example(ws, "meter-reading", readings=rows[:2] + [dict(rows[0])]))
    assert "燃气表应恰有一行，实际0行" in message and "水表应恰有一行，实际2行" in message
    bad = [dict(rows[0], reading="-1"), rows[1], rows[2]]
    assert "readings[1].reading" in refused(ws, "meter-reading", example(ws, "meter-reading", readings=bad))


def test_a_failed_inspection_item_must_say_what_is_wrong(ws):
    items = example(ws, "inspection-form")["items"]
    items[2] = {k: v for k, v in items[2].items() if k != "remarks"}
    assert "字段 items[3].remarks" in refused(ws, "inspection-form", example(ws, "inspection-form", items=items))


# ---------------------------------------------------------------- repair order from the inspection

def test_repair_order_lines_are_the_failed_items_in_order():
    items = [{"room": "客厅", "item": "地面", "result": "合格"},
             {"room": "厨房", "item": "水槽", "result": "不合格", "remarks": "下水渗漏"},
             {"room": "卧室", "item": "窗户", "result": "不合格", "remarks": "玻璃破损"}]
    assert movein_rules.failed_lines(items) == [
        {"no": 1, "room": "厨房", "item": "水槽", "problem": "下水渗漏", "handling": "", "repairer": "", "done_on": ""},
        {"no": 2, "room": "卧室", "item": "窗户", "problem": "玻璃破损", "handling": "", "repairer": "", "done_on": ""}]


def test_no_repair_order_without_a_failed_item(ws):
    items = [dict(i, result="合格") for i in example(ws, "repair-order")["inspection_items"]]
    message = refused(ws, "repair-order", example(ws, "repair-order", inspection_items=items))
    assert "没有不合格项目，无需开具维修工作单" in message


def test_repair_order_from_the_units_last_inspection_in_the_store(ws, home, run):
    """GIVEN an inspection issued for a unit WHEN the order is rendered with --unit THEN its lines
    are that inspection's failed items; an all-passed inspection gives no order and no number."""
    unit = "3-2-502"
    with ws.store.snapshot() as view:   # a form about a unit on record states its recorded owner
        owner = view.get("parties", view.get("units", unit)["owner"])["name"]
    inspection = example(ws, "inspection-form", unit=unit, unit_address="阳光花园3栋2单元502室",
                         owner_name=owner)
    path = home / "inspection.json"
    path.write_text(json.dumps(inspection, ensure_ascii=False), encoding="utf-8")
    assert run(home, "render", "inspection-form", "--data", str(path)).exit_code == 0
    _, values, _ = issuing.prepare(ws, "repair-order", unit=unit, as_of=date(2025, 12, 2))
    with ws.store.snapshot() as view:
        insp = view.find("documents", template="inspection-form", unit=unit)[-1]
    assert values["inspection_no"] == insp["doc_no"]
    assert [line["problem"] for line in values["lines"]] == [
        i["remarks"] for i in inspection["items"] if i["result"] == "不合格"]

    passed = dict(inspection, items=[dict(i, result="合格") for i in inspection["items"]],
                  inspection_date="2025-12-05")
    path.write_text(json.dumps(passed, ensure_ascii=False), encoding="utf-8")
    assert run(home, "render", "inspection-form", "--data", str(path), "--again").exit_code == 0
    before = snapshot_counts(ws)
    result = run(home, "render", "repair-order", "--unit", unit, "--as-of", "2025-12-06")
    assert result.exit_code == 2 and "没有不合格项目" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot_counts(ws) == before


def test_repair_order_for_a_unit_without_inspection_is_refused(ws):
    with pytest.raises(InputError, match="no 房屋质量验收登记表"):
        issuing.prepare(ws, "repair-order", unit="6-2-1002", as_of=AS_OF)


def test_cli_refuses_a_custody_fee_that_is_not_seventy_percent_and_issues_nothing(ws, home, run):
    path = home / "custody.json"
    path.write_text(json.dumps(example(ws, "custody-agreement", custody_fee="170.00", water_limit=8),
                               ensure_ascii=False), encoding="utf-8")
    before = snapshot_counts(ws)
    result = run(home, "render", "custody-agreement", "--data", str(path))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2                     # one line per problem, each naming file and field
    assert "custody.json: 字段 water_limit（水表用量上限）" in lines[0]
    assert "custody.json: 字段 custody_fee（托管物业服务费）" in lines[1] and "163.42元" in lines[1]
    assert snapshot_counts(ws) == before
