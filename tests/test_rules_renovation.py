"""Renovation rules: nothing at all for a work the law forbids (《住宅室内装饰装修管理办法》第五条);
no permit (nor passes) until each approval the plan needs is on file, of the right kind (§5,
第六条, 第七条); the classifier of plans; the applicant's papers; the debris fee; recording approvals."""
from __future__ import annotations

import copy
import shutil
from datetime import date
from decimal import Decimal

import pytest

from formsmith import find_workspace, issuing
from formsmith.errors import InputError, NotFoundError, ValidationError
from formsmith.processes.renovation.sources import record_approval
from formsmith.processes.renovation.works import BY_CODE, classify, kinds_of, recognise
from pdftools import page_texts

AS_OF = date(2025, 12, 1)
FORBIDDEN_UNIT = "2-2-102"           # ZX2025-002: 拆除客厅与阳台之间的承重墙并扩建阳台 (第五条)
STRUCTURAL_UNIT = "3-2-601"          # ZX2025-004: …超过设计标准增加楼面荷载 (第七条, lawful when approved)
SERIES = ("物装协字〔{year}〕{seq}号", "物装许字〔{year}〕{seq}号", "物装证字〔{year}〕{seq}号")


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory):
    dest = tmp_path_factory.mktemp("renovation") / "ws"
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


def refusal(ws, tid, **kw) -> str:
    with pytest.raises(ValidationError) as exc:
        issuing.prepare(ws, tid, as_of=AS_OF, **kw)
    return "\n".join(exc.value.lines())


def issued_state(ws):
    with ws.store.snapshot() as view:
        return (view.count("documents"), [view.meta(f"counter:{series}:2025") for series in SERIES],
                sorted(p.name for p in ws.output_dir.rglob("*.pdf")))


# ---------------------------------------------------------------- the structural-change gate (data)

STRUCTURAL = dict(renovation_id=None, structural_change=True, plan="拆除卧室非承重隔墙并加设楼板夹层")
APPROVAL = dict(approval_authority="江城市南湖区住房和城市更新局", approval_no="南住建装审〔2025〕21号",
                approval_date="2025-11-20")


def test_structural_plan_without_approval_gets_no_permit_and_the_message_names_what_is_missing(ws):
    message = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", **STRUCTURAL))
    assert "涉及拆改主体结构" in message and "不予核发装修施工许可证" in message
    for missing in ("批准机关（approval_authority）", "批准文号（approval_no）", "批准日期（approval_date）"):
        assert missing in message
    partial = refusal(ws, "renovation-permit", data=example(
        ws, "renovation-permit", **STRUCTURAL, approval_authority=APPROVAL["approval_authority"]))
    assert "批准文号（approval_no）" in partial and "批准机关（approval_authority）" not in partial


MEZZANINE_APPROVALS = [  # 加设楼板夹层: 搭建 (第六条（一）) and more floor load (第七条)
    {"authority": "江城市自然资源和规划局", "ref": "江规建〔2025〕77号", "date": "2025-11-18"},
    {"authority": "江城市建筑设计研究院有限公司", "ref": "江建院装字〔2025〕36号", "date": "2025-11-10"}]


def test_structural_plan_with_approval_gets_its_permit(ws):
    _, values, _ = issuing.prepare(ws, "renovation-permit", as_of=AS_OF, data=example(
        ws, "renovation-permit", **STRUCTURAL, **APPROVAL, approvals=MEZZANINE_APPROVALS))
    assert values["approval_no"] == "南住建装审〔2025〕21号" and values["approval_date"] == date(2025, 11, 20)
    assert [(w["work"], w["authority"], w["act"]) for w in values["approved_works"]] == [
        ("搭建建筑物、构筑物", "江城市自然资源和规划局", "批准"),
        ("超过设计标准或者规范增加楼面荷载", "江城市建筑设计研究院有限公司", "出具设计方案")]
    # the real-estate authority's approval alone does not do for what 第六条 and 第七条 name
    message = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", **STRUCTURAL, **APPROVAL))
    lines = message.splitlines()
    assert len(lines) == 2
    assert "第六条第（一）项须经城市规划行政主管部门批准" in lines[0] and "“江城市南湖区住房和城市更新局”不是" in lines[0]
    assert "第七条须由原设计单位或者具有相应资质等级的设计单位提出设计方案" in lines[1]


def test_an_approval_dated_after_today_is_not_an_approval(ws):
    message = refusal(ws, "renovation-permit", data=example(
        ws, "renovation-permit", **STRUCTURAL, **dict(APPROVAL, approval_date="2025-12-20")))
    assert "批准尚未取得" in message


def test_a_plan_that_alters_nothing_structural_needs_no_approval(ws):
    _, values, _ = issuing.prepare(ws, "renovation-permit", as_of=AS_OF,
                                   data=example(ws, "renovation-permit"))
    assert values["structural_change"] is False and not values.get("approval_no")
    assert "敲、凿、钻、锯" in values["work_hours"]


# ---------------------------------------------------------------- the gate against the store

def test_store_structural_renovation_is_refused_by_unit_and_nothing_is_issued(ws, home, run):
    before = issued_state(ws)
    result = run(home, "render", "renovation-permit", "--unit", STRUCTURAL_UNIT, "--as-of", "2025-12-01")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2            # one line a problem: the authority's approval, the design scheme
    line = lines[0]
    assert "ZX2025-004" in line and "超过设计标准增加楼面荷载" in line and "缺少批准机关、批准文号、批准日期" in line
    assert "formsmith renovation approve ZX2025-004" in line
    assert "ZX2025-004" in lines[1] and "第七条" in lines[1] and "设计方案尚未登记" in lines[1]
    assert "formsmith renovation approve ZX2025-004 --kind design" in lines[1]
    assert run(home, "render", "worker-pass", "--unit", STRUCTURAL_UNIT).exit_code == 2
    assert issued_state(ws) == before


def test_data_cannot_claim_what_the_store_does_not_record(ws):
    base = dict(renovation_id="ZX2025-004", unit=STRUCTURAL_UNIT, unit_address="阳光花园3栋2单元601室",
                owner_name="刘丽", plan="客厅、餐厅铺设天然石材地面，书房增设通顶实木书墙，超过设计标准增加楼面荷载")
    claimed = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", **base,
                                                            structural_change=True, **APPROVAL,
                                                            approvals=MEZZANINE_APPROVALS[1:]))
    assert "批准尚未登记" in claimed and "设计方案尚未登记" in claimed
    assert "字段 approvals[1]（批准文件）：装修ZX2025-004未登记江城市建筑设计研究院有限公司的江建院装字〔2025〕36号" in claimed
    denied = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", **base,
                                                           structural_change=False))
    assert "字段 structural_change" in denied and "不能填写为不涉及" in denied
    wrong_unit = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", renovation_id="ZX2025-004"))
    assert "字段 unit" in wrong_unit and STRUCTURAL_UNIT in wrong_unit


def test_after_the_approvals_are_recorded_the_permit_and_passes_are_issued(ws, home, run, run_json):
    result = run(home, "renovation", "approve", "ZX2025-004", "--authority", "江城市南湖区住房和城市更新局",
                 "--ref", "南住建装审〔2025〕18号", "--date", "2025-11-28")
    assert result.exit_code == 0, result.stderr
    assert "房地产行政主管部门" in result.stdout
    again = run(home, "renovation", "approve", "ZX2025-004", "--authority", "江城市住房和城乡建设局", "--ref", "x",
                "--date", "2025-11-29")
    assert again.exit_code == 2 and "已登记批准文件" in again.stderr
    still = run(home, "render", "renovation-permit", "--unit", STRUCTURAL_UNIT, "--as-of", "2025-12-01")
    assert still.exit_code == 2 and len(still.stderr.strip().splitlines()) == 1
    assert "第七条" in still.stderr and "已登记：江城市南湖区住房和城市更新局（房地产行政主管部门）" in still.stderr
    design = run_json(home, "renovation", "approve", "ZX2025-004", "--authority", "江城市建筑设计研究院有限公司",
                      "--ref", "江建院装字〔2025〕36号", "--date", "2025-11-25")
    assert design["approval"]["kind"] == "design" and [a["kind"] for a in design["approvals"]] == ["housing", "design"]
    doc = run_json(home, "render", "renovation-permit", "--unit", STRUCTURAL_UNIT, "--as-of", "2025-12-01")
    text = "".join(page_texts(doc["path"]))
    assert "已经江城市南湖区住房和城市更新局批准（南住建装审〔2025〕18号，2025年11月28日）" in text
    assert "江城市建筑设计研究院有限公司已出具设计方案（江建院装字〔2025〕36号，2025年11月25日）" in text
    _, passes, _ = issuing.prepare(ws, "worker-pass", unit=STRUCTURAL_UNIT, as_of=AS_OF)
    with ws.store.snapshot() as view:
        crew = view.get("renovations", "ZX2025-004")["crew"]
    assert [c["name"] for c in passes["cards"]] == [w["name"] for w in crew]
    assert passes["valid_from"] == date(2025, 12, 8)     # not before the renovation starts


def test_record_approval_refuses_bad_input(ws):
    with pytest.raises(NotFoundError):
        record_approval(ws, "ZX2099-999", authority="a", ref="b", approved_on=AS_OF)
    with pytest.raises(InputError, match="晚于今日"):
        record_approval(ws, "ZX2025-003", authority="a", ref="b", approved_on=date(2025, 12, 5), today=AS_OF)
    with pytest.raises(InputError, match="不能为空"):
        record_approval(ws, "ZX2025-003", authority=" ", ref="b", approved_on=AS_OF, today=AS_OF)
    with pytest.raises(InputError, match="无法从“江城市南湖区城市管理局”看出是哪类批准机关"):
        record_approval(ws, "ZX2025-003", authority="江城市南湖区城市管理局", ref="b", approved_on=AS_OF)
    with pytest.raises(InputError, match="“江城港华燃气有限公司”不是供暖管理单位"):
        record_approval(ws, "ZX2025-003", authority="江城港华燃气有限公司", ref="b", approved_on=AS_OF,
                        kind="heating")
    with pytest.raises(InputError, match="请用 --kind heating/gas"):
        record_approval(ws, "ZX2025-003", authority="江城燃气热力集团有限公司", ref="b", approved_on=AS_OF)
    with pytest.raises(InputError, match="无法从“南湖匠心装饰设计有限公司”"):     # a decoration firm's design
        record_approval(ws, "ZX2025-003", authority="南湖匠心装饰设计有限公司", ref="b", approved_on=AS_OF)
    with ws.store.snapshot() as view:
        row = view.get("renovations", "ZX2025-003")
        assert row["authority_approval"] is None and not row.get("approvals")


# ---------------------------------------------------------------- what the law forbids outright (第五条)

def test_a_forbidden_renovation_gets_no_agreement_permit_or_pass_whatever_approval_is_on_file(ws, home, run):
    # GIVEN ZX2025-002 (拆除客厅与阳台之间的承重墙并扩建阳台) with every kind of approval its plan could have
    for authority, ref in (("江城市南湖区住房和城市更新局", "南住建装审〔2025〕19号"),
                           ("江城市自然资源和规划局", "江规建〔2025〕80号"),
                           ("江城市建筑设计研究院有限公司", "江建院装字〔2025〕40号")):
        assert run(home, "renovation", "approve", "ZX2025-002", "--authority", authority, "--ref", ref,
                   "--date", "2025-11-20").exit_code == 0
    before = issued_state(ws)
    for tid, document in (("renovation-agreement", "装修管理协议"), ("renovation-permit", "装修施工许可证"),
                          ("worker-pass", "施工人员临时出入证")):
        # WHEN the clerk asks for each document of it
        result = run(home, "render", tid, "--unit", FORBIDDEN_UNIT, "--as-of", "2025-12-01")
        # THEN each is refused, a line per forbidden work, naming renovation, work, article and the law
        assert result.exit_code == 2, result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 2, lines
        for line in lines:
            assert line.startswith(f"formsmith: unit {FORBIDDEN_UNIT}: 字段 plan（装修内容）：装修登记ZX2025-002的方案“拆除客厅与阳台之间的承重墙”")
            assert f"不予办理{document}，任何批准均不能豁免" in line and "《住宅室内装饰装修管理办法》" in line
        assert "含“拆除承重墙”，属《住宅室内装饰装修管理办法》第五条第（五）项禁止的行为（“其他影响建筑结构和使用安全的行为”）" in lines[0]
        assert "含“拆除连接阳台的砖、混凝土墙体”，属《住宅室内装饰装修管理办法》第五条第（三）项禁止的行为" in lines[1]
    # AND nothing is written: no document row, no number taken, no PDF
    assert issued_state(ws) == before


def test_a_forbidden_work_in_data_is_refused_by_plan_or_by_code(ws):
    message = refusal(ws, "renovation-agreement", data=example(ws, "renovation-agreement",
                                                               plan="将次卧改为卫生间，全屋墙面刷新"))
    assert "方案“将次卧改为卫生间”含“将没有防水要求的房间或者阳台改为卫生间、厨房间”" in message
    assert "第五条第（二）项" in message and "不予办理装修管理协议" in message
    coded = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", works="balcony-wall-removal",
                                                          **STRUCTURAL, **APPROVAL, approvals=MEZZANINE_APPROVALS))
    assert "字段 works（装修事项）：登记的装修事项含“拆除连接阳台的砖、混凝土墙体”" in coded and "第五条第（三）项" in coded
    unknown = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", works="knock-through"))
    assert "字段 works（装修事项）：未知的事项代码 knock-through" in unknown


# ---------------------------------------------------------------- 第六条: the approval of the authority it names

GAS_PLAN = dict(renovation_id=None, plan="厨房燃气管道移位，橱柜更换")
GAS_APPROVAL = dict(approval_authority="江城港华燃气有限公司", approval_no="港燃改〔2025〕107号",
                    approval_date="2025-11-25")


def test_an_article_6_work_needs_the_approval_of_its_kind(ws):
    none = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", **GAS_PLAN))
    assert "方案“厨房燃气管道移位”含“拆改燃气管道和设施”，依《住宅室内装饰装修管理办法》第六条第（四）项须经燃气管理单位批准" in none
    assert "未填写批准文件" in none
    wrong = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", **GAS_PLAN, **APPROVAL))
    assert "填写的“江城市南湖区住房和城市更新局”不是燃气管理单位" in wrong and "不予核发装修施工许可证" in wrong
    _, values, _ = issuing.prepare(ws, "renovation-permit", as_of=AS_OF,
                                   data=example(ws, "renovation-permit", **GAS_PLAN, **GAS_APPROVAL))
    assert values["approved_works"] == [{"work": "拆改燃气管道和设施", "article": "第六条第（四）项",
                                         "authority": "江城港华燃气有限公司", "ref": "港燃改〔2025〕107号",
                                         "date": date(2025, 11, 25), "act": "批准"}]
    assert values["structural_change"] is False      # gas pipes are not the main structure
    late = refusal(ws, "worker-pass", data=example(ws, "worker-pass", renovation_id=None, works="gas", approvals=[
        {"authority": "江城港华燃气有限公司", "ref": "港燃改〔2025〕107号", "date": "2025-12-20"}]))
    assert "字段 approvals[1].date（日期）" in late and "批准尚未取得" in late


def test_the_agreement_lists_what_each_regulated_work_needs(ws):
    _, values, _ = issuing.prepare(ws, "renovation-agreement", unit=STRUCTURAL_UNIT, as_of=AS_OF)
    assert values["renovation_id"] == "ZX2025-004" and values["structural_change"] is True
    assert [(w["work"], w["article"]) for w in values["regulated"]] == [("超过设计标准或者规范增加楼面荷载", "第七条")]
    assert values["regulated"][0]["requirement"] == "须由原设计单位或者具有相应资质等级的设计单位提出设计方案"


# ---------------------------------------------------------------- the classifier, on plans as clerks write them

FORBIDDEN_PLANS = [
    ("拆除客厅与阳台之间的承重墙并扩建阳台", {"bearing-wall-removal", "balcony-wall-removal", "building"}),
    ("打通客厅与阳台，拆除阳台窗下墙", {"balcony-wall-removal"}),
    ("阳台墙体拆除，做成开放式客厅", {"balcony-wall-removal"}),
    ("拆除厨房与阳台之间的门连窗及窗下墙", {"balcony-wall-removal"}),
    ("拆掉卫生间与次卧之间的剪力墙", {"bearing-wall-removal"}),
    ("主卧承重墙门洞加宽至1.2米", {"bearing-opening-enlargement"}),
    ("扩大承重墙上原有门洞", {"bearing-opening-enlargement"}),
    ("将次卧改为卫生间", {"wet-room-conversion"}),
    ("阳台改成厨房", {"wet-room-conversion"}),
    ("将没有防水要求的书房改为卫生间", {"wet-room-conversion"}),
    ("餐厅改为开放式厨房", {"wet-room-conversion"}),
    ("主卧增设卫生间", {"wet-room-conversion"}),
    ("铲除外墙保温层", {"energy-damage"}),
]
REGULATED_PLANS = [
    ("承重墙上开门洞", {"structure-change"}),
    ("楼板开洞增设室内楼梯", {"structure-change"}),
    ("承重墙面开槽布线", {"structure-change"}),
    ("拆除卧室非承重隔墙并加设楼板夹层", {"building", "floor-load"}),
    ("露台搭建阳光房", {"building"}),
    ("顶层露台加盖彩钢房", {"building"}),
    ("卧室外墙开落地窗", {"exterior-opening"}),
    ("在非承重外墙上新开一扇窗", {"exterior-opening"}),
    ("外墙刷成蓝色", {"facade-change"}),
    ("改变外立面，安装雨棚", {"facade-change"}),
    ("暖气片移位", {"heating"}),
    ("拆除原有暖气片改装地暖", {"heating"}),
    ("燃气表移位至阳台", {"gas"}),
    ("厨房吊柜安装，燃气管道包管", {"gas"}),
    ("拆改燃气、暖气管道", {"gas", "heating"}),
    ("客厅、餐厅铺设天然石材地面，书房增设通顶实木书墙，超过设计标准增加楼面荷载", {"floor-load"}),
    ("阳台砌筑鱼池", {"floor-load"}),
]
LAWFUL_PLANS = [
    "厨卫翻新、墙面刷新、更换地板",                    # ZX2025-001
    "更换门窗、阳台封闭（不涉及主体结构）",             # ZX2025-003: 阳台封闭 is no wall removed
    "拆除卧室非承重隔墙，重新砌筑轻质隔墙",
    "不改变主体结构，拆除非承重墙",
    "承重墙不动，仅拆除隔墙",
    "保留承重墙，拆除厨房隔墙",
    "严禁拆除承重墙",
    "厨房改为开放式厨房",
    "卫生间干湿分离改造，重做防水",
    "拆除旧窗更换断桥铝节能窗",
    "拆除阳台墙面瓷砖，重新贴砖",
    "拆除阳台旧窗户，更换断桥铝窗",
    "拆除厨房与阳台之间的推拉门",
    "拆除承重墙上的吊柜",
    "吊顶包梁、墙面刷漆",
    "外墙内侧墙面刷乳胶漆",
    "搭建脚手架刷墙",
    "安装电地暖，更换暖气罩",
    "更换燃气灶和燃气热水器",
    "厨房改造，燃气管道不动",
    "厨房改造不涉及燃气管道",
    "保留原有燃气管道位置",
    "不增加楼面荷载",
    "全屋水电改造",
    "客厅吊顶、主卧衣柜定制",
]


@pytest.mark.parametrize("plan, works", FORBIDDEN_PLANS + REGULATED_PLANS, ids=lambda v: v if isinstance(v, str) else "")
def test_the_classifier_recognises_regulated_works(plan, works):
    found = recognise(plan)
    assert {f.work.code for f in found} == works
    assert all(f.where and f.where in plan for f in found)
    assert any(BY_CODE[c].forbidden for c in works) == ((plan, works) in FORBIDDEN_PLANS)


@pytest.mark.parametrize("plan", LAWFUL_PLANS)
def test_the_classifier_does_not_flag_lawful_plans(plan):
    assert recognise(plan) == []


def test_given_codes_join_what_the_plan_says():
    found = classify(["更换门窗、阳台封闭（不涉及主体结构）", None], ["gas", "floor-load"])
    assert [(f.work.code, f.where) for f in found] == [("gas", ""), ("floor-load", "")]
    found = classify(["燃气表移位"], ["gas"])
    assert [(f.work.code, f.where) for f in found] == [("gas", "燃气表移位")]


@pytest.mark.parametrize("authority, kinds", [
    ("江城市南湖区住房和城市更新局", ("housing",)), ("江城市住房和城乡建设局", ("housing",)),
    ("江城市自然资源和规划局", ("planning",)), ("江城市城乡规划局", ("planning",)),
    ("江城港华燃气有限公司", ("gas",)), ("江城市热力集团有限公司", ("heating",)),
    ("江城燃气热力集团有限公司", ("heating", "gas")),
    ("江城市建筑设计研究院有限公司", ("design",)), ("江城市规划设计研究院", ("design",)),
    ("南湖匠心装饰设计有限公司", ()), ("江城房地产开发有限公司", ()), ("别的机关", ())])
def test_an_authority_is_of_the_kind_its_name_says(authority, kinds):
    assert kinds_of(authority) == kinds


# ---------------------------------------------------------------- agreement, passes, debris fee

def test_agreement_by_an_agent_needs_the_agent_id_and_power_of_attorney(ws):
    message = refusal(ws, "renovation-agreement", data=example(ws, "renovation-agreement", power_of_attorney=None))
    assert "字段 power_of_attorney（授权委托书）" in message
    _, values, _ = issuing.prepare(ws, "renovation-agreement", as_of=AS_OF, data=example(
        ws, "renovation-agreement", applicant_kind="业主本人", agent_name=None, agent_id_number=None,
        power_of_attorney=None))
    assert values["papers"] == ["业主身份证（查验）"] and len(values["prohibitions"]) == 11
    assert [p["article"] for p in values["prohibitions"]] == [
        "第五条第（一）项", "第五条第（二）项", "第五条第（三）项", "第五条第（四）项", "第五条第（五）项",
        "第六条第（一）项、第（二）项", "第六条第（三）项", "第六条第（四）项", "第七条", "", ""]
    assert values["prohibitions"][2]["text"] == "扩大承重墙上原有的门窗尺寸，拆除连接阳台的砖、混凝土墙体"
    assert values["prohibitions"][7]["text"] == "未经燃气管理单位批准，拆改燃气管道和设施"


def test_agreement_from_the_store(ws):
    _, values, _ = issuing.prepare(ws, "renovation-agreement", unit="1-2-101", as_of=AS_OF)
    assert values["renovation_id"] == "ZX2025-001" and values["debris_fee"] == Decimal("268.08")
    assert values["contractor"] == "江城美居装饰工程有限公司" and values["structural_change"] is False


def test_one_pass_per_worker(ws):
    workers = example(ws, "worker-pass")["workers"]
    # (the example's permit number is, in this workspace, another renovation's: not cited here)
    message = refusal(ws, "worker-pass", data=example(ws, "worker-pass", permit_no=None,
                                                      workers=workers + [dict(workers[0])]))
    assert "字段 workers[5].id_number" in message and "一人一证" in message
    late = refusal(ws, "worker-pass", data=example(ws, "worker-pass", permit_no=None, valid_to="2026-02-28"))
    assert "晚于装修ZX2025-001登记的完工日期" in late


def test_debris_fee_must_be_area_times_rate(ws):
    message = refusal(ws, "debris-fee-receipt", data=example(ws, "debris-fee-receipt", amount="260.00"))
    assert "字段 amount（金额）" in message and "89.36平方米 × 3.00元 = 268.08元" in message
    assert "须同时填写" in refusal(ws, "debris-fee-receipt", data=example(ws, "debris-fee-receipt", rate=None))
    _, values, _ = issuing.prepare(ws, "debris-fee-receipt", unit="1-2-101", as_of=AS_OF)
    assert str(values["amount"]) == "268.08" and values["method"] is None


def test_permit_and_passes_cite_the_documents_issued_before_them(ws):
    """The permit prints the number of the renovation's issued 装修管理协议, the passes that of
    its permit (store path); a data file citing another renovation's number is refused."""
    unit = "4-2-601"                     # ZX2025-003: windows only, needs no approval
    agreement = issuing.issue_document(ws, "renovation-agreement", unit=unit, as_of=AS_OF)
    _, permit_values, _ = issuing.prepare(ws, "renovation-permit", unit=unit, as_of=AS_OF)
    assert permit_values["agreement_no"] == agreement.doc_no
    permit = issuing.issue_document(ws, "renovation-permit", unit=unit, as_of=AS_OF)
    assert f"装修协议{agreement.doc_no}" in page_texts(permit.path)[0]
    _, pass_values, _ = issuing.prepare(ws, "worker-pass", unit=unit, as_of=AS_OF)
    assert pass_values["permit_no"] == permit.doc_no
    from formsmith.processes.renovation.sources import passes_data
    with ws.store.snapshot() as view:
        data = passes_data(ws, view, unit, AS_OF)
    message = refusal(ws, "worker-pass", data=dict(data, permit_no=agreement.doc_no))
    assert "字段 permit_no" in message and f"装修ZX2025-003已开具的装修施工许可证为{permit.doc_no}" in message


def test_fire_safety_undertaking_from_the_store_and_none_for_a_forbidden_plan(ws):
    _, values, _ = issuing.prepare(ws, "renovation-fire-safety", unit="1-2-101", as_of=AS_OF)
    assert values["renovation_id"] == "ZX2025-001" and values["contractor_contact"] == "陈建国"
    assert [d["source"] for d in values["fire_duties"]][:2] == ["《中华人民共和国消防法》第二十六条",
                                                                "《中华人民共和国消防法》第二十一条"]
    assert "《物业管理条例》第四十五条" in values["breach_text"] and "责令" not in values["breach_text"]
    with pytest.raises(ValidationError, match="不予办理装修消防安全责任书"):
        issuing.prepare(ws, "renovation-fire-safety", unit=FORBIDDEN_UNIT, as_of=AS_OF)
