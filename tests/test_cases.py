"""Cases (报修、投诉、来电来访、走访): deadlines from the seed's rules, `today`, the month's figures,
refusals that write nothing, numbers without gaps. No PDF is rendered."""
from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import pytest

from conftest import store_rows

UNIT = "1-1-101"


@pytest.fixture
def home(demo_records_home, tmp_path):
    """A private copy of the demo's records (units, owners … and the demo's November cases)."""
    dest = tmp_path / "ws"
    shutil.copytree(demo_records_home, dest)
    return dest


def today(run_json, home, day):
    out = run_json(home, "today", "--as-of", day)
    return {(i["ref"], i["what"]): i for i in out["overdue"] + out["due_today"]}, out


def test_leak_callback_falls_due_three_days_after_its_leak_test(home, run_json):
    """GIVEN a leak repair finished on 10-02 whose leak test was on 10-04
    THEN its callback is due on 10-07: not listed on 10-06, due today on 10-07, 2 days overdue on
    10-09; a callback made on 10-09 is recorded with its delay (not refused) and leaves the list."""
    case = run_json(home, "cases", "open", "repair", UNIT, "--category", "leak", "--desc", "卫生间渗水",
                    "--at", "2025-10-01T09:00")["id"]
    run_json(home, "cases", "dispatch", case, "--to", "张建华", "--at", "2025-10-01T09:30")
    run_json(home, "cases", "done", case, "--at", "2025-10-02T15:00", "--leak-test", "2025-10-04")
    assert (case, "callback") not in today(run_json, home, "2025-10-06")[0]
    due, out = today(run_json, home, "2025-10-07")
    assert due[(case, "callback")]["due"] == "2025-10-07" and due[(case, "callback")] in out["due_today"]
    due, out = today(run_json, home, "2025-10-09")
    assert due[(case, "callback")] in out["overdue"] and due[(case, "callback")]["days_late"] == 2
    row = run_json(home, "cases", "callback", case, "--at", "2025-10-09T10:00", "--result", "无渗水",
                   "--satisfaction", "满意")
    assert row["events"][-1]["due"] == "2025-10-07" and row["events"][-1]["late_days"] == 2
    assert (case, "callback") not in today(run_json, home, "2025-10-09")[0]


def test_major_complaint_not_answered_in_two_days_is_overdue(home, run_json, run):
    case = run_json(home, "cases", "open", "complaint", UNIT, "--severity", "重大", "--desc", "电梯困人",
                    "--at", "2025-10-01T08:00")["id"]
    assert case.startswith("TS2025-")
    assert today(run_json, home, "2025-10-03")[0][(case, "answer")]["days_late"] == 0
    due, out = today(run_json, home, "2025-10-04")
    assert due[(case, "answer")] in out["overdue"] and due[(case, "answer")]["days_late"] == 1
    assert (case, "resolve") not in due                      # resolved within 10 days: 10-11
    assert today(run_json, home, "2025-10-11")[0][(case, "resolve")]["days_late"] == 0
    text = run(home, "today", "--as-of", "2025-10-04").stdout
    assert text.index("已逾期") < text.index(case) < text.index("今日到期") and "逾期 1 天" in text
    row = run_json(home, "cases", "answer", case, "--at", "2025-10-05T09:00", "--answer", "已约谈维保单位")
    assert row["events"][-1]["late_days"] == 2 and row["state"] == "answered"
    assert (case, "answer") not in today(run_json, home, "2025-10-05")[0]


def test_a_reopened_repair_counts_once_in_repairs_and_twice_in_callbacks(home, run_json):
    case = run_json(home, "cases", "open", "repair", UNIT, "--category", "other", "--desc", "水龙头漏水",
                    "--at", "2025-10-06T09:00")["id"]
    run_json(home, "cases", "done", case, "--at", "2025-10-06T12:00")
    row = run_json(home, "cases", "callback", case, "--at", "2025-10-07T09:00", "--result", "仍漏水",
                   "--satisfaction", "不满意")
    assert row["state"] == "open" and row["events"][-1]["what"] == "reopened"
    run_json(home, "cases", "dispatch", case, "--to", "周志强", "--at", "2025-10-08T09:00")
    run_json(home, "cases", "done", case, "--at", "2025-10-08T11:00")
    run_json(home, "cases", "callback", case, "--at", "2025-10-09T09:00", "--result", "已修好", "--satisfaction", "满意")
    run_json(home, "cases", "close", case, "--at", "2025-10-09T09:05")
    fig = run_json(home, "cases", "month", "2025-10", "--as-of", "2025-11-01")
    assert fig["repairs"]["by_category"]["other"] == 1 and fig["repairs"]["reopened"] == [case]
    assert fig["callbacks"]["other"]["due"] == fig["callbacks"]["other"]["made"] == 2
    assert fig["callbacks"]["other"]["on_time"] == 2
    assert fig["satisfaction"] == {"满意": 1, "基本满意": 0, "不满意": 1}


def test_month_figures_equal_a_count_made_from_the_events(home, run_json):
    """The demo's November, counted here from the stored events with the seed's rules written out."""
    fig = run_json(home, "cases", "month", "2025-11", "--as-of", "2025-12-01")
    rows = store_rows(home, "cases")
    nov = lambda stamp: stamp.startswith("2025-11")  # noqa: E731
    days = {"safety": 2, "leak": 3, "other": 2}
    repairs = {c: 0 for c in days}
    calls = {c: [0, 0, 0] for c in days}
    satisfaction = {"满意": 0, "基本满意": 0, "不满意": 0}
    complaints: dict[str, int] = {}
    resolve_late = {"重大": 0, "重要": 0, "轻微": 0}
    limit = {"重大": 10, "重要": 3, "轻微": 2}
    for row in rows:
        evs = row["events"]
        for e in evs:
            if e["what"] == "callback" and nov(e["at"]):
                satisfaction[e["satisfaction"]] += 1
        if row["kind"] == "repair":
            repairs[row["category"]] += nov(evs[0]["at"])
            for i, e in enumerate(evs):
                if e["what"] != "done":
                    continue
                start = date.fromisoformat((e.get("leak_test_on") or e["at"])[:10])
                due = start + timedelta(days=days[row["category"]])
                made = next((x for x in evs[i + 1:] if x["what"] == "callback"), None)
                if due.month == 11 and due.year == 2025 and (made or due <= date(2025, 12, 1)):
                    calls[row["category"]][0] += 1
                    calls[row["category"]][1] += made is not None
                    calls[row["category"]][2] += made is not None and made["at"][:10] <= due.isoformat()
        if row["kind"] == "complaint" and nov(evs[0]["at"]):
            complaints[row["severity"]] = complaints.get(row["severity"], 0) + 1
            deadline = row.get("resident_deadline") or (
                date.fromisoformat(evs[0]["at"][:10]) + timedelta(days=limit[row["severity"]])).isoformat()
            resolved = next((x for x in evs if x["what"] == "resolve"), None)
            resolve_late[row["severity"]] += bool(resolved and resolved["at"][:10] > deadline)
    assert fig["repairs"]["by_category"] == repairs and sum(repairs.values()) >= 5
    assert {c: [v["due"], v["made"], v["on_time"]] for c, v in fig["callbacks"].items()} == calls
    assert fig["satisfaction"] == satisfaction and sum(satisfaction.values()) >= 5
    assert {s: b["count"] for s, b in fig["complaints"].items()} == complaints and "重大" in complaints
    assert {s: b["resolve"]["late"] for s, b in fig["complaints"].items()} == \
        {s: n for s, n in resolve_late.items() if s in complaints}
    # the demo's story: one late callback, one reopened leak repair, the 重大 complaint still open
    assert calls["other"][2] < calls["other"][0] and len(fig["repairs"]["reopened"]) == 1
    assert fig["complaints"]["重大"]["resolve"]["open"] == 1


@pytest.mark.parametrize("args, field", [
    (("cases", "open", "repair", UNIT, "--category", "other", "--desc", "灯不亮", "--at", "2099-01-01T09:00"), "at"),
    (("cases", "open", "repair", "9-9-999", "--category", "other", "--desc", "灯不亮", "--at", "2025-10-01T09:00"), "unit"),
    (("cases", "open", "repair", UNIT, "--desc", "灯不亮", "--at", "2025-10-01T09:00"), "category"),
    (("cases", "open", "inquiry", UNIT, "--desc", "咨询", "--refer", "财务部", "--at", "2025-10-01T09:00"), "promise"),
    (("cases", "close", "BX2025-0008", "--at", "2025-11-30T09:00"), "state"),       # done, not called back
    (("cases", "callback", "BX2025-0008", "--at", "2025-11-20T09:00", "--result", "好",
      "--satisfaction", "满意"), "at"),                                            # before its last event
    (("cases", "done", "BX2025-0010", "--at", "2025-11-29T09:00", "--leak-test", "2025-11-29"), "leak_test"),
])
def test_a_refused_command_writes_nothing(home, run, run_json, args, field):
    before = store_rows(home, "cases")
    result = run(home, *args)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln]
    assert len(lines) == 1 and f"字段 {field}（" in lines[0], lines
    assert ("BX2025-" in lines[0]) == (args[1] != "open")                    # names the case
    assert store_rows(home, "cases") == before
    # and no number was taken: the next case gets the next number
    after = run_json(home, "cases", "open", "complaint", UNIT, "--severity", "轻微", "--desc", "垃圾未清运",
                     "--at", "2025-11-30T09:00")
    assert after["id"] == "TS2025-0005"


def test_numbers_run_per_kind_and_year_without_gaps(home, run_json):
    taken = {r["id"] for t in ("cases", "repairs") for r in store_rows(home, t)}
    last_bx = max(int(i[7:]) for i in taken if i.startswith("BX2025-"))
    got = [run_json(home, "cases", "open", kind, UNIT, "--desc", "测试", *extra, "--at", at)["id"]
           for kind, extra, at in [
               ("repair", ("--category", "other"), "2025-10-01T09:00"),
               ("complaint", ("--severity", "重要"), "2025-10-01T10:00"),
               ("repair", ("--category", "safety"), "2025-10-02T09:00"),
               ("inquiry", ("--answer", "已答复"), "2025-10-02T10:00"),
               ("visit", (), "2025-10-03T09:00"),
               ("repair", ("--category", "leak"), "2024-12-30T09:00"),
               ("repair", ("--category", "other"), "2025-10-03T11:00")]]
    assert got == [f"BX2025-{last_bx + 1:04d}", "TS2025-0005", f"BX2025-{last_bx + 2:04d}", "LD2025-0005",
                   "ZF2025-0003", "BX2024-0001", f"BX2025-{last_bx + 3:04d}"]
    assert len(set(got) | taken) == len(got) + len(taken)                    # none twice, across both tables


def test_list_show_and_the_demo_today(home, run_json, run):
    listed = run_json(home, "cases", "list", "--kind", "repair", "--state", "done")
    assert {r["id"] for r in listed} == {"BX2025-0008", "BX2025-0009"}
    shown = run_json(home, "cases", "show", "BX2025-0008", "--as-of", "2025-12-01")
    assert shown["pending"] == {"callback": "2025-12-01"}
    _, out = today(run_json, home, "2025-12-01")
    assert [i["ref"] for i in out["overdue"]][0] == "BX2025-0009"
    assert json.dumps(out, ensure_ascii=False).count("TS2025-0003") == 1
    assert run(home, "cases", "show", "BX2025-0008").exit_code == 0


def test_an_important_complaint_escalated_after_an_hour_is_counted_late(home, run_json, run):
    """GIVEN a 重要 complaint at 10:00 (to its head within 1 hour) and a 重大 one at 09:00 (to the
    director the same day) THEN both show in today until escalated; the 重要 one escalated at 11:30
    is recorded 30 minutes late (not refused) and the month counts it late, the 重大 one on time."""
    important = run_json(home, "cases", "open", "complaint", UNIT, "--severity", "重要", "--desc", "保洁员态度差",
                         "--at", "2025-10-01T10:00")["id"]
    major = run_json(home, "cases", "open", "complaint", UNIT, "--severity", "重大", "--desc", "水管爆裂淹水",
                     "--at", "2025-10-01T09:00")["id"]
    due, out = today(run_json, home, "2025-10-01")
    assert due[(important, "escalate")]["due"] == "2025-10-01T11:00" and due[(important, "escalate")] in out["overdue"]
    assert due[(major, "escalate")]["due"] == "2025-10-01T23:59" and due[(major, "escalate")]["label"] == "转呈管理处主任"
    assert today(run_json, home, "2025-10-02")[0][(important, "escalate")]["days_late"] == 1
    row = run_json(home, "cases", "escalate", important, "--to", "保洁部主管", "--at", "2025-10-01T11:30")
    assert row["events"][-1]["escalate_due"] == "2025-10-01T11:00" and row["events"][-1]["late_minutes"] == 30
    assert row["state"] == "open"
    run_json(home, "cases", "escalate", major, "--to", "管理处主任", "--at", "2025-10-01T17:00")
    assert not {k for k in today(run_json, home, "2025-10-02")[0] if k[1] == "escalate"}
    again = run(home, "cases", "escalate", important, "--to", "保洁部主管", "--at", "2025-10-01T12:00")
    assert again.exit_code == 2 and "已于 2025-10-01T11:30 转呈" in again.stderr
    minor = run_json(home, "cases", "open", "complaint", UNIT, "--severity", "轻微", "--desc", "路灯不亮",
                     "--at", "2025-10-02T09:00")["id"]
    refused = run(home, "cases", "escalate", minor, "--to", "主管", "--at", "2025-10-02T09:10")
    assert refused.exit_code == 2 and "字段 severity（" in refused.stderr
    fig = run_json(home, "cases", "month", "2025-10", "--as-of", "2025-11-01")["complaints"]
    assert fig["重要"]["escalate"] == {"to": "部门主管", "limit": "1小时内", "made": 1, "on_time": 0, "missing": [],
                                     "late": [{"case": important, "due": "2025-10-01T11:00", "at": "2025-10-01T11:30",
                                               "late_minutes": 30}]}
    assert fig["重大"]["escalate"]["on_time"] == 1 and "escalate" not in fig["轻微"]
    text = run(home, "cases", "month", "2025-10", "--as-of", "2025-11-01").stdout
    assert f"1小时内转呈部门主管 1，按时 0，迟转呈：{important} 迟 30 分钟" in text


def test_an_imported_log_with_one_bad_row_imports_nothing_and_names_the_row_and_the_column(home, run, run_json,
                                                                                          tmp_path):
    from openpyxl import Workbook, load_workbook
    header = ["报修时间", "房号", "报修人", "报修内容", "维修类别", "维修人", "完成时间", "试漏日期", "回访时间",
              "回访结果", "满意度"]
    rows = [["2025-10-08 09:10", "1-1-101", "王芳", "卫生间渗水", "渗漏水", "张建华", "2025-10-09 15:00", "2025-10-11",
             "2025-10-13 10:00", "无渗水", "满意"],
            ["2025/10/9 10:00", "1-1-102", "李强", "灯不亮", "其他维修", "周志强", "2025-10-09 16:00", None, None, None, None],
            ["2025-10-10 10:00", "1-1-201", "赵敏", "阳台渗水", "渗漏水", "张建华", "2025-10-10 15:00", None, None, None, None]]
    path = tmp_path / "报修登记.xlsx"

    def write(data):
        wb = Workbook()
        wb.active.append(["业主报修登记表（2025年10月）"])
        wb.active.append(header)
        for r in data:
            wb.active.append(r)
        wb.save(path)
    write(rows)
    before = store_rows(home, "cases")
    errors = tmp_path / "错误.xlsx"
    result = run(home, "records", "import", "repair-log", str(path), "--errors", str(errors))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert "1 行有错误，未导入任何数据" in lines[0]
    assert len(lines) == 3 and "第5行【试漏日期】渗漏水维修须注明试漏日期" in lines[1]
    assert store_rows(home, "cases") == before
    marked = load_workbook(errors).active
    assert "试漏日期" in marked["H5"].comment.text and marked["H5"].fill.fgColor.rgb == "00FFC7CE"
    rows[2][7] = "2025-10-12"
    write(rows)
    report = run_json(home, "records", "import", "repair-log", str(path))
    assert report["ok"] and report["counts"] == {"cases": {"inserted": 3, "updated": 0, "unchanged": 0}}
    taken = sorted(r["id"] for r in store_rows(home, "repairs") + before if r["id"].startswith("BX2025-"))
    last = int(taken[-1][-4:])
    new = sorted((r for r in store_rows(home, "cases") if r.get("imported")), key=lambda r: r["id"])
    assert [r["id"] for r in new] == [f"BX2025-{last + k:04d}" for k in (1, 2, 3)]
    leak = new[0]
    assert [e["what"] for e in leak["events"]] == ["open", "dispatch", "done", "callback"]
    assert leak["events"][2]["leak_test_on"] == "2025-10-11" and leak["events"][3]["due"] == "2025-10-14"
    assert leak["state"] == "called" and new[1]["state"] == "done" and new[1]["opened_at"] == "2025-10-09T10:00"
    again = run_json(home, "records", "import", "repair-log", str(path))
    assert again["counts"] == {"cases": {"inserted": 0, "updated": 0, "unchanged": 3}}
    calls = tmp_path / "来电.csv"
    calls.write_text("来电时间,房号,来电人,来电内容,答复内容,转交,承诺答复时间\n"
                     "2025-10-08 09:10,1-1-101,王芳,咨询缴费方式,可转账缴纳,,\n"
                     "2025-10-09 14:00,1-1-102,李强,询问车位,,停车场管理员,2025-10-10 17:00\n", encoding="utf-8")
    imported = run_json(home, "records", "import", "call-log", str(calls))
    assert imported["counts"]["cases"]["inserted"] == 2
    states = {r["description"]: r["state"] for r in store_rows(home, "cases") if r["kind"] == "inquiry"}
    assert states["咨询缴费方式"] == "answered" and states["询问车位"] == "referred"
