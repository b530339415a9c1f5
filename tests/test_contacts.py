"""The contact log (催缴记录): calls, SMS, visits and hand deliveries, recorded as they happened.

GIVEN the demo community (its three 催缴函 issued on 2025-12-01, state generated), WHEN a clerk
records contacts, THEN what is recorded is exactly what was typed, a hand delivery moves its
document through the lifecycle (and says so), and whatever cannot be true (an unknown unit, a
document of another unit, a time still to come, a delivery without its document or a 留置送达
without a witness) is refused in one line with nothing written.
"""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner

from conftest import store_rows
from formsmith import demo
from formsmith.cli import cli

UNIT, OTHER = "1-1-802", "6-1-601"        # showcase units of the demo (individual, longest arrears)


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory):
    dest = tmp_path_factory.mktemp("contacts") / "ws"
    shutil.copytree(demo_home, dest)
    return dest


@pytest.fixture(scope="module")
def letters(home):
    """The demo's 催缴函 by unit."""
    return {d["unit"]: d for d in store_rows(home, "documents") if d["template"] == "dunning-letter"}


def cli_run(home, *args):
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def add(home, *args):
    return cli_run(home, "contact", "add", *args)


def store_bytes(home):
    return (home / "records" / "formsmith.json").read_bytes()


def test_a_phone_call_is_recorded_as_typed_and_listed(home):
    result = add(home, UNIT, "--way", "电话", "--at", "2025-12-03T10:30", "--result", "业主表示周末来缴",
                 "--by", "李娜", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    row = json.loads(result.stdout)["contact"]
    assert {k: row[k] for k in ("unit", "way", "at", "by", "result")} == {
        "unit": UNIT, "way": "电话", "at": "2025-12-03T10:30", "by": "李娜", "result": "业主表示周末来缴"}
    assert row["id"] and row["recorded_at"] and "doc_no" not in row and "witness" not in row
    listed = json.loads(cli_run(home, "contact", "list", "--unit", UNIT, "--json").stdout)
    assert row in listed and all(r["unit"] == UNIT for r in listed)
    assert listed == sorted(listed, key=lambda r: (r["at"], r["id"]))
    text = cli_run(home, "contact", "list", "--unit", UNIT)
    assert text.exit_code == 0 and "业主表示周末来缴" in text.stdout and "2025-12-03T10:30" in text.stdout
    shown = cli_run(home, "records", "list", "contacts", "--json")
    assert shown.exit_code == 0 and row["id"] in shown.stdout


def test_a_visit_is_stage_three_of_the_escalation(home):
    """PROCESSES.md §4 stage 3 (上门拜访催缴) is a contact like any other, with its outcome."""
    result = add(home, OTHER, "--way", "上门拜访", "--at", "2025-12-04T15:00",
                 "--result", "业主不在家，留言请其联系服务中心", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    row = json.loads(result.stdout)["contact"]
    assert row["way"] == "上门拜访" and row["by"] == "王敏"        # the workspace clerk by default


@pytest.mark.parametrize("args, field, words", [
    (("9-9-999", "--way", "电话", "--result", "x"), "unit", "9-9-999"),
    ((UNIT, "--way", "电话", "--at", "2099-01-01T09:00", "--result", "x"), "at", "晚于现在"),
    ((UNIT, "--way", "电话", "--at", "2025-13-01T09:00", "--result", "x"), "at", "2025-13-01T09:00"),
    ((UNIT, "--way", "直接送达", "--at", "2025-12-02T09:00", "--result", "本人签收"), "doc", "--doc"),
    ((UNIT, "--way", "留置送达", "--doc", "物催字〔2025〕1号", "--at", "2025-12-02T09:00",
      "--result", "拒收，留置门口"), "witness", "见证人"),
    ((UNIT, "--way", "直接送达", "--doc", "物催字〔2099〕9号", "--at", "2025-12-02T09:00",
      "--result", "本人签收"), "doc", "物催字〔2099〕9号"),
    ((UNIT, "--way", "电话", "--result", "  "), "result", "不能为空"),
    ((UNIT, "--way", "电话", "--result", "ok\u202e"), "result", "U+202E"),
])
def test_what_cannot_be_true_is_refused_with_nothing_written(home, args, field, words):
    before = store_bytes(home)
    result = add(home, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and words in lines[0], lines
    assert "Traceback" not in result.output + result.stderr
    assert store_bytes(home) == before


def test_a_document_of_another_unit_is_refused(home, letters):
    before = store_bytes(home)
    other_letter = letters[OTHER]["doc_no"]
    for way in ("电话", "直接送达"):
        result = add(home, UNIT, "--way", way, "--doc", other_letter, "--at", "2025-12-02T09:00",
                     "--result", "本人签收")
        assert result.exit_code == 2 and "doc" in result.stderr and other_letter in result.stderr
        assert UNIT in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert store_bytes(home) == before


def test_a_delivery_before_the_document_was_issued_is_refused(home, letters):
    before = store_bytes(home)
    doc_no = letters[UNIT]["doc_no"]            # issued 2025-12-01
    result = add(home, UNIT, "--way", "直接送达", "--doc", doc_no, "--at", "2025-11-30T09:00",
                 "--result", "本人签收")
    assert result.exit_code == 2 and "at" in result.stderr and "2025-12-01" in result.stderr
    assert store_bytes(home) == before


def test_a_hand_delivery_moves_its_document_through_the_lifecycle_and_says_so(home, letters):
    doc_no = letters[UNIT]["doc_no"]
    assert letters[UNIT]["state"] == "generated"
    result = add(home, UNIT, "--way", "直接送达", "--doc", doc_no, "--at", "2025-12-02T09:15",
                 "--result", "业主本人签收回执", "--by", "李娜", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    out = json.loads(result.stdout)
    assert out["contact"]["doc_no"] == doc_no and out["contact"]["way"] == "直接送达"
    assert out["document"] == {"doc_no": doc_no, "from": "generated", "to": "delivered",
                               "delivered_on": "2025-12-02"}
    doc = next(d for d in store_rows(home, "documents") if d["doc_no"] == doc_no)
    assert doc["state"] == "delivered" and doc["delivered_on"] == "2025-12-02"
    ev = doc["events"][-1]
    assert ev["state"] == "delivered" and ev["contact"] == out["contact"]["id"] and ev["by"] == "李娜"
    assert ev["way"] == "直接送达" and ev["delivered_on"] == "2025-12-02"
    # The text output names the move too: nothing changes silently.
    again = add(home, UNIT, "--way", "直接送达", "--doc", doc_no, "--at", "2025-12-02T10:00",
                "--result", "再次送达")
    assert again.exit_code == 2 and doc_no in again.stderr and "送达" in again.stderr
    # A call about the delivered letter is a contact naming it; the document stays as it is.
    call = add(home, UNIT, "--way", "电话", "--doc", doc_no, "--at", "2025-12-05T09:00",
               "--result", "提醒业主按函缴费")
    assert call.exit_code == 0, call.output + call.stderr
    assert "delivered" not in call.stdout
    doc_after = next(d for d in store_rows(home, "documents") if d["doc_no"] == doc_no)
    assert doc_after["state"] == "delivered" and doc_after["events"] == doc["events"]


def test_a_leave_delivery_keeps_its_witness(home, letters):
    doc_no = letters[OTHER]["doc_no"]
    result = add(home, OTHER, "--way", "留置送达", "--doc", doc_no, "--at", "2025-12-02T18:40",
                 "--witness", "赵刚（保安）", "--result", "业主拒收，留置于门口并拍照", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    out = json.loads(result.stdout)
    assert out["contact"]["witness"] == "赵刚（保安）"
    assert out["document"]["to"] == "delivered" and out["document"]["delivered_on"] == "2025-12-02"
    text = cli_run(home, "contact", "list", "--unit", OTHER)
    assert "赵刚（保安）" in text.stdout


def test_a_time_a_minute_ago_is_fine_and_one_tomorrow_is_not(home):
    now = datetime.now()
    ok = add(home, UNIT, "--way", "短信", "--at", (now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
             "--result", "短信已发送")
    assert ok.exit_code == 0, ok.output + ok.stderr
    late = add(home, UNIT, "--way", "短信", "--at", (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
               "--result", "短信已发送")
    assert late.exit_code == 2 and "at" in late.stderr


def test_demo_contacts_tell_the_story_of_the_letters_the_demo_issues():
    """Contacts of the showcase units only, before the demo's letters, within each unit's
    unpaid months, naming no document (the demo issues its letters after seeding)."""
    rows = demo.generate()
    contacts = rows["contacts"]
    assert contacts
    units = set(demo.showcase(rows))
    oldest: dict[str, str] = {}
    for c in rows["charges"]:
        if not c["paid_on"] and c["due"] < demo.AS_OF.isoformat():
            oldest[c["unit"]] = min(oldest.get(c["unit"], c["due"]), c["due"])
    ways = set()
    for c in contacts:
        assert c["unit"] in units and c["unit"] in oldest, c
        assert oldest[c["unit"]] <= c["at"][:10] < demo.AS_OF.isoformat(), c
        assert "doc_no" not in c and c["result"] and c["by"], c
        ways.add(c["way"])
    assert {"电话", "短信", "上门拜访"} <= ways
    assert len({c["id"] for c in contacts}) == len(contacts)
    assert date.fromisoformat(max(c["at"][:10] for c in contacts)) < demo.AS_OF
