"""Rounds (巡查): the schedule computed from the store (custody weekly and around heavy rain,
renovations from their permit to their acceptance), rounds recorded with their delay, refusals
that write nothing, and the three documents read back from the PDF (rendered once per module)."""
from __future__ import annotations

import shutil

import pytest

from conftest import store_rows
from pdftools import page_texts

CUSTODY = ("1-1-302", "2-1-302", "3-1-302", "4-1-302", "5-1-302", "6-1-302")   # the demo's custody units
RENOVATED = "1-2-101"                                                           # ZX2025-001's unit


@pytest.fixture
def home(demo_records_home, tmp_path):
    """The demo's records (its November rounds, no documents): a private copy per test."""
    dest = tmp_path / "ws"
    shutil.copytree(demo_records_home, dest)
    return dest


def agenda(run_json, home, day):
    out = run_json(home, "today", "--as-of", day)
    return {(i["ref"], i["what"]): i for i in out["overdue"] + out["due_today"]}, out


def test_a_custody_unit_not_patrolled_for_8_days_is_overdue_in_today(home, run_json, run):
    """GIVEN every custody unit last patrolled on Monday 11-24 THEN on 12-01 (7 days) each round is
    due today, on 12-02 (8 days) overdue by 1 day; a round made on 12-03 is recorded 2 days late
    (not refused) and the unit leaves the list, its next round due 7 days later."""
    due, out = agenda(run_json, home, "2025-12-01")
    assert {u for u in CUSTODY if due[(u, "weekly")] in out["due_today"]} == set(CUSTODY)
    due, out = agenda(run_json, home, "2025-12-02")
    item = due[("1-1-302", "weekly")]
    assert item in out["overdue"] and item["days_late"] == 1 and item["due"] == "2025-12-01"
    assert item["process"] == "rounds" and item["label"] == "托管每周巡查"
    text = run(home, "today", "--as-of", "2025-12-02").stdout
    assert text.index("已逾期") < text.index("1-1-302  托管每周巡查  应于 2025-12-01  逾期 1 天") < text.index("今日到期")
    row = run_json(home, "rounds", "record", "1-1-302", "--at", "2025-12-03T10:00", "--by", "刘强",
                   "--water", "12.5", "--electricity", "357.0")
    assert row["id"] == "XC2025-0241" and row["purpose"] == "weekly"          # next after the demo's 240
    assert row["due"] == "2025-12-01" and row["late_days"] == 2
    assert all(v == "正常" for v in row["checks"].values()) and row["findings"] == []
    due, _ = agenda(run_json, home, "2025-12-03")
    assert ("1-1-302", "weekly") not in due and due[("2-1-302", "weekly")]["days_late"] == 2
    week = {i["ref"]: i for i in run_json(home, "rounds", "due", "--as-of", "2025-12-03")}
    assert "1-1-302" not in week                                              # next due 12-10, not this week
    assert {i["ref"]: i["due"] for i in run_json(home, "rounds", "due", "--as-of", "2025-12-04")}["1-1-302"] == "2025-12-10"


def test_a_rain_warning_adds_a_before_and_an_after_round_for_every_custody_unit(home, run_json, run):
    warning = run_json(home, "rounds", "rain", "--from", "2025-12-05", "--to", "2025-12-06", "--level", "暴雨蓝色预警",
                       "--source", "江城市气象台", "--at", "2025-12-03T08:00")
    assert warning["id"] == "YJ2025-0002" and warning["units"] == list(CUSTODY)
    week = run_json(home, "rounds", "due", "--as-of", "2025-12-03")
    rain = {(i["ref"], i["what"]): i["due"] for i in week if i["what"].startswith("rain-")}
    assert rain == {**{(u, "rain-before"): "2025-12-05" for u in CUSTODY},
                    **{(u, "rain-after"): "2025-12-07" for u in CUSTODY}}
    before = run_json(home, "rounds", "record", "1-1-302", "--rain", "before", "--at", "2025-12-04T15:00")
    assert before["purpose"] == "rain-before" and before["warning"] == "YJ2025-0002" and "late_days" not in before
    early = run(home, "rounds", "record", "1-1-302", "--rain", "after", "--at", "2025-12-04T16:00")
    assert early.exit_code == 2 and "字段 rain（大雨巡查）" in early.stderr and "雨后巡查须在降雨之后" in early.stderr
    due, out = agenda(run_json, home, "2025-12-06")
    assert ("1-1-302", "rain-before") not in due
    assert due[("2-1-302", "rain-before")] in out["overdue"] and due[("2-1-302", "rain-before")]["days_late"] == 1
    assert ("1-1-302", "rain-after") not in due                                 # due 12-07, not yet
    after = run_json(home, "rounds", "record", "1-1-302", "--rain", "after", "--at", "2025-12-08T09:00",
                     "--finding", "阳台：雨后阳台积水，地漏堵塞", "--finding", "院门外树枝倒伏")
    assert after["due"] == "2025-12-07" and after["late_days"] == 1
    assert after["checks"]["阳台"] == "雨后阳台积水，地漏堵塞"
    assert [(f["item"], f["text"]) for f in after["finding_rows"]] == [("阳台", "雨后阳台积水，地漏堵塞"), ("其他", "院门外树枝倒伏")]
    again = run(home, "rounds", "record", "1-1-302", "--rain", "after", "--at", "2025-12-08T10:00")
    assert again.exit_code == 2 and after["id"] in again.stderr


@pytest.mark.parametrize("args, field", [
    (("rounds", "record", "1-1-101", "--at", "2025-12-01T10:00"), "unit"),            # neither custody nor renovation
    (("rounds", "record", "1-1-302", "--at", "2099-01-01T10:00"), "at"),
    (("rounds", "record", "1-1-302", "--at", "2025-12-01T10:00", "--water", "11.0"), "water"),   # below the base
    (("rounds", "record", "1-1-302", "--at", "2025-12-01T10:00", "--finding", "门窗：\x1b[2J"), "finding"),
    (("rounds", "record", RENOVATED, "--at", "2025-12-01T10:00"), "unit"),            # no permit issued yet
    (("rounds", "rain", "--from", "2025-12-05", "--to", "2025-12-04", "--level", "暴雨", "--at", "2025-12-03T08:00"), "to"),
])
def test_a_refused_round_writes_nothing(home, run, args, field):
    before = {t: store_rows(home, t) for t in ("rounds", "round_findings", "rain_warnings")}
    result = run(home, *args)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln]
    assert len(lines) == 1 and f"字段 {field}（" in lines[0], lines
    assert {t: store_rows(home, t) for t in before} == before


def test_a_meter_over_its_custody_ceiling_is_a_finding(home, run_json):
    row = run_json(home, "rounds", "record", "2-1-302", "--at", "2025-12-01T10:00", "--electricity", "380.0")
    assert [f["text"] for f in row["finding_rows"]] == ["电表读数380.0，超过托管上限（交接底数356.2＋20度）"]
    assert row["checks"]["表具"].startswith("电表读数380.0")


# ---------------------------------------------------------------- the documents (one render each)

@pytest.fixture(scope="module")
def issued(demo_home, tmp_path_factory):
    """A copy of the demo (its permit for ZX2025-001, the renovation round of 12-01 and its
    整改通知书 issued by `init --demo`); here the late custody round's and the renovation round's
    records are printed once."""
    from click.testing import CliRunner
    from formsmith.cli import cli
    home = tmp_path_factory.mktemp("rounds") / "ws"
    shutil.copytree(demo_home, home)
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, ["--home", str(home), *args, "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output + result.stderr
        return __import__("json").loads(result.stdout)
    late = next(r for r in store_rows(home, "rounds") if r.get("late_days"))
    reno = next(r for r in store_rows(home, "rounds") if r["kind"] == "renovation" and r["findings"])
    docs = {d["template"]: d for d in store_rows(home, "documents")}
    custody_doc = run("render", "custody-round", "--record", late["id"], "--as-of", "2025-12-01")
    reno_doc = run("render", "renovation-round", "--record", reno["id"], "--as-of", "2025-12-01")
    return {"home": home, "late": late, "reno": reno, "run": run,
            "custody": "".join(page_texts(custody_doc["path"])), "renovation": "".join(page_texts(reno_doc["path"])),
            "notice_doc": docs["renovation-rectification"],
            "notice": "".join(page_texts(home / docs["renovation-rectification"]["path"]))}


def test_the_custody_round_record_states_the_round_its_delay_and_the_meters(issued):
    text, late = issued["custody"], issued["late"]
    assert "托管巡查记录" in text and "物托巡字〔2025〕1号" in text and late["unit"] == "3-1-302"
    assert "阳光花园3栋1单元302室" in text and "2025年11月12日16:00" in text
    assert "2025年11月10日（含当日）前，本次巡查超过时限2天" in text
    for item in ("门窗", "外墙", "阳台", "管道", "表具"):
        assert item in text
    assert "12.0" in text and "17.0" in text and "356.2" in text and "376.2" in text and "未超过" in text
    assert "本次巡查未发现问题" in text and "告知业主" in text


def test_the_renovation_round_record_and_its_notice_say_only_what_a_property_company_may(issued):
    text, notice, reno = issued["renovation"], issued["notice"], issued["reno"]
    assert "装修巡查记录" in text and "ZX2025-001" in text and "物装许字〔2025〕1号" in text
    assert "2025年12月3日（含当日）前，按时" in text and "卫生间与卧室之间的隔墙已被拆除" in text
    assert f"问题编号{reno['findings'][0]}" in text
    assert issued["notice_doc"]["doc_no"] == "物装整字〔2025〕1号" and issued["notice_doc"]["unit"] == RENOVATED
    assert "装修整改通知书" in notice and "（装修人）、江城美居装饰工程有限公司（装饰装修企业）" in notice
    assert "2025年12月1日10时00分" in notice and reno["id"] in notice
    assert "请在2025年12月4日（含当日）前自行整改完毕" in notice and "恢复原状" in notice
    assert "劝阻、制止" in notice and "《物业管理条例》第四十五条" in notice and "第十七条" in notice
    assert "报告有关行政主管部门" in notice and "《民法典》第二百八十六条" in notice
    assert "《装修管理协议》第一条（装修内容与期限）、第三条（禁止行为）" in notice
    for word in ("责令", "罚款", "处罚", "没收", "强制"):
        assert word not in notice and word not in text, word
    assert "沿此线剪下" in notice and "签收人" in notice


def test_renovation_rounds_run_from_the_permit_until_the_works_are_accepted(issued):
    run, reno = issued["run"], issued["reno"]
    week = {i["ref"]: i for i in run("rounds", "due", "--as-of", "2025-12-02")}
    assert week["ZX2025-001"]["due"] == "2025-12-04" and week["ZX2025-001"]["permit"] == "物装许字〔2025〕1号"
    late = {i["ref"]: i for i in run("today", "--as-of", "2025-12-06")["overdue"]}
    assert late["ZX2025-001"]["days_late"] == 2 and late["ZX2025-001"]["label"] == "装修巡查"
    assert run("renovation", "accept", "ZX2025-001", "--date", "2025-12-05")["accepted_on"] == "2025-12-05"
    assert "ZX2025-001" not in {i["ref"] for i in run("today", "--as-of", "2025-12-06")["overdue"]}
    assert "ZX2025-001" in {i["ref"] for i in run("today", "--as-of", "2025-12-04")["due_today"]}   # a past day reads as it was
    assert reno["due"] == "2025-12-03" and "late_days" not in reno                # 3 days after the round of 11-30
    rounds = sorted(r["at"][:10] for r in store_rows(issued["home"], "rounds") if r.get("renovation_id") == "ZX2025-001")
    assert rounds[0] == "2025-11-12" and len(rounds) == 8                     # from the works' start (11-10), every 3 days
