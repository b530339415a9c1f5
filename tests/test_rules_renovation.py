"""Renovation rules: no permit (nor passes) for a structural change until the authority's approval
is on file; the applicant's papers; the debris fee; recording the approval."""
from __future__ import annotations

import copy
import shutil
from datetime import date
from decimal import Decimal

import pytest

from formsmith import find_workspace, issuing
from formsmith.errors import InputError, NotFoundError, ValidationError
from formsmith.processes.renovation.sources import record_approval
from pdftools import page_texts

AS_OF = date(2025, 12, 1)
STRUCTURAL_UNIT = "2-2-102"          # ZX2025-002: 拆除客厅与阳台之间的承重墙并扩建阳台


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
        return (view.count("documents"), view.meta("counter:物装许字〔{year}〕{seq}号:2025"),
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


def test_structural_plan_with_approval_gets_its_permit(ws):
    _, values, _ = issuing.prepare(ws, "renovation-permit", as_of=AS_OF,
                                   data=example(ws, "renovation-permit", **STRUCTURAL, **APPROVAL))
    assert values["approval_no"] == "南住建装审〔2025〕21号" and values["approval_date"] == date(2025, 11, 20)


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
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "ZX2025-002" in line and "拆除客厅与阳台之间的承重墙" in line and "缺少批准机关、批准文号、批准日期" in line
    assert "formsmith renovation approve ZX2025-002" in line
    assert run(home, "render", "worker-pass", "--unit", STRUCTURAL_UNIT).exit_code == 2
    assert issued_state(ws) == before


def test_data_cannot_claim_what_the_store_does_not_record(ws):
    base = dict(renovation_id="ZX2025-002", unit=STRUCTURAL_UNIT, unit_address="阳光花园2栋2单元102室",
                owner_name="沈志强", plan="拆除客厅与阳台之间的承重墙并扩建阳台")
    claimed = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", **base,
                                                            structural_change=True, **APPROVAL))
    assert "批准尚未登记" in claimed
    denied = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", **base,
                                                           structural_change=False))
    assert "字段 structural_change" in denied and "不能填写为不涉及" in denied
    wrong_unit = refusal(ws, "renovation-permit", data=example(ws, "renovation-permit", renovation_id="ZX2025-002"))
    assert "字段 unit" in wrong_unit and STRUCTURAL_UNIT in wrong_unit


def test_after_the_approval_is_recorded_the_permit_and_passes_are_issued(ws, home, run, run_json):
    result = run(home, "renovation", "approve", "ZX2025-002", "--authority", "江城市南湖区住房和城市更新局",
                 "--ref", "南住建装审〔2025〕18号", "--date", "2025-11-28")
    assert result.exit_code == 0, result.stderr
    again = run(home, "renovation", "approve", "ZX2025-002", "--authority", "别的机关", "--ref", "x",
                "--date", "2025-11-29")
    assert again.exit_code == 2 and "已登记批准文件" in again.stderr
    doc = run_json(home, "render", "renovation-permit", "--unit", STRUCTURAL_UNIT, "--as-of", "2025-12-01")
    text = "".join(page_texts(doc["path"]))
    assert "已经江城市南湖区住房和城市更新局批准（南住建装审〔2025〕18号，2025年11月28日）" in text
    _, passes, _ = issuing.prepare(ws, "worker-pass", unit=STRUCTURAL_UNIT, as_of=AS_OF)
    with ws.store.snapshot() as view:
        crew = view.get("renovations", "ZX2025-002")["crew"]
    assert [c["name"] for c in passes["cards"]] == [w["name"] for w in crew]
    assert passes["valid_from"] == date(2025, 12, 15)     # not before the renovation starts


def test_record_approval_refuses_bad_input(ws):
    with pytest.raises(NotFoundError):
        record_approval(ws, "ZX2099-999", authority="a", ref="b", approved_on=AS_OF)
    with pytest.raises(InputError, match="晚于今日"):
        record_approval(ws, "ZX2025-003", authority="a", ref="b", approved_on=date(2025, 12, 5), today=AS_OF)
    with pytest.raises(InputError, match="不能为空"):
        record_approval(ws, "ZX2025-003", authority=" ", ref="b", approved_on=AS_OF, today=AS_OF)
    with ws.store.snapshot() as view:
        assert view.get("renovations", "ZX2025-003")["authority_approval"] is None


# ---------------------------------------------------------------- agreement, passes, debris fee

def test_agreement_by_an_agent_needs_the_agent_id_and_power_of_attorney(ws):
    message = refusal(ws, "renovation-agreement", data=example(ws, "renovation-agreement", power_of_attorney=None))
    assert "字段 power_of_attorney（授权委托书）" in message
    _, values, _ = issuing.prepare(ws, "renovation-agreement", as_of=AS_OF, data=example(
        ws, "renovation-agreement", applicant_kind="业主本人", agent_name=None, agent_id_number=None,
        power_of_attorney=None))
    assert values["papers"] == ["业主身份证（查验）"] and len(values["prohibitions"]) == 8


def test_agreement_from_the_store(ws):
    _, values, _ = issuing.prepare(ws, "renovation-agreement", unit="1-2-101", as_of=AS_OF)
    assert values["renovation_id"] == "ZX2025-001" and values["debris_fee"] == Decimal("268.08")
    assert values["contractor"] == "江城美居装饰工程有限公司" and values["structural_change"] is False


def test_one_pass_per_worker(ws):
    workers = example(ws, "worker-pass")["workers"]
    message = refusal(ws, "worker-pass", data=example(ws, "worker-pass", workers=workers + [dict(workers[0])]))
    assert "字段 workers[5].id_number" in message and "一人一证" in message
    late = refusal(ws, "worker-pass", data=example(ws, "worker-pass", valid_to="2026-02-28"))
    assert "晚于装修ZX2025-001登记的完工日期" in late


def test_debris_fee_must_be_area_times_rate(ws):
    message = refusal(ws, "debris-fee-receipt", data=example(ws, "debris-fee-receipt", amount="260.00"))
    assert "字段 amount（金额）" in message and "89.36平方米 × 3.00元 = 268.08元" in message
    assert "须同时填写" in refusal(ws, "debris-fee-receipt", data=example(ws, "debris-fee-receipt", rate=None))
    _, values, _ = issuing.prepare(ws, "debris-fee-receipt", unit="1-2-101", as_of=AS_OF)
    assert str(values["amount"]) == "268.08" and values["method"] is None
