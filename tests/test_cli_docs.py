"""`formsmith docs list/show/mark` on the demo workspace (three dunning letters, the documents
printed from its cases and the receipt of a payment taken at the counter)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from formsmith.store import STORE_FILE

DOC1, DOC2, DOC3 = (f"物催字〔2025〕{i}号" for i in (1, 2, 3))
RECEIPT = "No.2025000001"
# The cases' story: a work order, a callback record (dated its repair's completion, 2025-11-20),
# a complaint reply and a day log.
CASE_DOCS = ["物修字〔2025〕1号", "物访字〔2025〕1号", "物投复字〔2025〕1号", "物志字〔2025〕1号"]
# The rounds' story: the renovation's permit and the 整改通知书 of its round's finding.
ROUND_DOCS = ["物装许字〔2025〕1号", "物装整字〔2025〕1号"]


def store_bytes(home) -> bytes:
    return (home / "records" / STORE_FILE).read_bytes()


def one_error_line(result) -> str:
    """The single `formsmith: ...` line a refused command prints; nothing on stdout."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("formsmith: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return lines[0]


# ------------------------------------------------------------------ list

def test_list_json_rows(demo_copy, run_json):
    rows = run_json(demo_copy, "docs", "list")
    assert [r["doc_no"] for r in rows] == [DOC1, DOC2, DOC3, *CASE_DOCS, RECEIPT, *ROUND_DOCS]
    assert rows[7]["template"] == "fee-receipt" and rows[7]["state"] == "generated"
    rows = rows[:3]
    for r in rows:
        assert {"doc_no", "state", "unit", "template", "period"} <= set(r)
        assert r["state"] == "generated"
        assert r["template"] == "dunning-letter"
        assert r["period"] == "2025-12"
        assert r["unit"]
    assert [r["unit"] for r in rows] == ["1-1-802", "1-2-402", "6-1-601"]
    assert len({r["doc_id"] for r in rows}) == 3


def test_list_text_is_a_table_with_every_document(demo_copy, run):
    result = run(demo_copy, "docs", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["doc_no", "state", "unit", "template", "period"]
    assert [ln.split()[0] for ln in lines[1:]] == [DOC1, DOC2, DOC3, *CASE_DOCS, RECEIPT, *ROUND_DOCS]


def test_list_filters_by_state(demo_copy, run, run_json):
    assert run(demo_copy, "docs", "mark", DOC2, "printed").exit_code == 0
    assert run(demo_copy, "docs", "mark", DOC3, "void", "--note", "地址错误").exit_code == 0
    assert [r["doc_no"] for r in run_json(demo_copy, "docs", "list", "--state", "printed")] == [DOC2]
    assert [r["doc_no"] for r in run_json(demo_copy, "docs", "list", "--state", "generated")] == [DOC1, *CASE_DOCS, RECEIPT, *ROUND_DOCS]
    assert [r["doc_no"] for r in run_json(demo_copy, "docs", "list", "--state", "void")] == [DOC3]
    assert run_json(demo_copy, "docs", "list", "--state", "archived") == []
    rows = run_json(demo_copy, "docs", "list", "--state", "printed")
    assert rows[0]["state"] == "printed"


def test_list_other_filters(demo_copy, run_json):
    assert [r["doc_no"] for r in run_json(demo_copy, "docs", "list", "--unit", "1-2-402")] == [DOC2]
    assert len(run_json(demo_copy, "docs", "list", "--template", "dunning-letter")) == 3
    assert run_json(demo_copy, "docs", "list", "--template", "no-such") == []
    assert len(run_json(demo_copy, "docs", "list", "--period", "2025-12")) == 7   # with the receipt
    assert [r["doc_no"] for r in run_json(demo_copy, "docs", "list", "--period", "2025-11")] == [CASE_DOCS[1], ROUND_DOCS[0]]


def test_list_unknown_state_exits_2(demo_copy, run):
    result = run(demo_copy, "docs", "list", "--state", "lost")
    assert result.exit_code == 2
    assert "lost" in result.stderr and "Traceback" not in result.output


# ------------------------------------------------------------------ show

def test_show_json_has_the_history(demo_copy, run_json):
    doc = run_json(demo_copy, "docs", "show", DOC1)
    assert doc["doc_no"] == DOC1 and doc["state"] == "generated" and doc["unit"] == "1-1-802"
    assert doc["events"], "an issued document has at least its generated event"
    for ev in doc["events"]:
        assert {"at", "state", "by"} <= set(ev)
        assert datetime.fromisoformat(ev["at"]).tzinfo is not None
    assert doc["events"][0]["state"] == "generated"
    assert doc["events"][0]["by"] == "王敏"  # the demo workspace's clerk
    # found by its doc_id too, in any case
    assert run_json(demo_copy, "docs", "show", doc["doc_id"].lower())["doc_no"] == DOC1


def test_show_unknown_exits_2(demo_copy, run):
    result = run(demo_copy, "docs", "show", "物催字〔2025〕99号")
    assert result.exit_code == 2
    assert "物催字〔2025〕99号" in one_error_line(result)


# ------------------------------------------------------------------ mark

def test_mark_printed_records_who_and_why(demo_copy, run, run_json):
    t0 = datetime.now().astimezone().replace(microsecond=0)
    result = run(demo_copy, "docs", "mark", DOC1, "printed", "--note", "x", "--by", "李娜")
    assert result.exit_code == 0, result.stderr
    assert DOC1 in result.stdout and "printed" in result.stdout
    doc = run_json(demo_copy, "docs", "show", DOC1)
    assert doc["state"] == "printed"
    assert len(doc["events"]) == 2
    ev = doc["events"][-1]
    assert ev["state"] == "printed" and ev["by"] == "李娜" and ev["note"] == "x"
    assert t0 <= datetime.fromisoformat(ev["at"]) <= datetime.now().astimezone() + timedelta(seconds=1)
    assert "tracking" not in ev and "tracking" not in doc
    # the other letters did not move
    assert [r["state"] for r in run_json(demo_copy, "docs", "list")] == ["printed"] + ["generated"] * 9


def test_mark_defaults_to_the_workspace_clerk(demo_copy, run, run_json):
    assert run(demo_copy, "docs", "mark", DOC2, "printed").exit_code == 0
    ev = run_json(demo_copy, "docs", "show", DOC2)["events"][-1]
    assert ev["by"] == "王敏"
    assert "note" not in ev


def test_mark_sent_stores_the_tracking_number(demo_copy, run, run_json):
    result = run(demo_copy, "docs", "mark", DOC1, "sent", "--tracking", "SF123", "--json")
    assert result.exit_code == 0, result.stderr
    doc = run_json(demo_copy, "docs", "show", DOC1)
    assert doc["state"] == "sent"  # straight from generated: a forward skip
    assert doc["tracking"] == "SF123"
    assert doc["events"][-1]["state"] == "sent" and doc["events"][-1]["tracking"] == "SF123"
    text = run(demo_copy, "docs", "show", DOC1)
    assert "tracking: SF123" in text.stdout
    assert "tracking=SF123" in text.stdout


def test_mark_json_output(demo_copy, run_json):
    out = run_json(demo_copy, "docs", "mark", DOC3, "delivered")
    assert out["doc_no"] == DOC3 and out["state"] == "delivered"


def test_full_life_then_nothing_more(demo_copy, run, run_json):
    for state in ("printed", "sent", "delivered", "signed", "archived"):
        extra = ("--tracking", "SF9") if state == "sent" else ()
        assert run(demo_copy, "docs", "mark", DOC1, state, *extra).exit_code == 0
    doc = run_json(demo_copy, "docs", "show", DOC1)
    assert [e["state"] for e in doc["events"]] == ["generated", "printed", "sent", "delivered",
                                                   "signed", "archived"]
    before = store_bytes(demo_copy)
    for state in ("printed", "void", "superseded", "archived"):
        result = run(demo_copy, "docs", "mark", DOC1, state)
        assert result.exit_code == 2, state
        assert DOC1 in one_error_line(result)
    assert store_bytes(demo_copy) == before


@pytest.mark.parametrize("first, then", [("printed", "generated"), ("archived", "printed"),
                                         ("sent", "printed"), ("void", "printed"),
                                         ("printed", "printed")])
def test_illegal_transition_exits_2_and_changes_nothing(demo_copy, run, first, then):
    assert run(demo_copy, "docs", "mark", DOC1, first).exit_code == 0
    before = store_bytes(demo_copy)
    result = run(demo_copy, "docs", "mark", DOC1, then, "--note", "不该记录", "--by", "李娜")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert DOC1 in line and first in line and then in line
    assert store_bytes(demo_copy) == before


def test_illegal_transition_through_the_real_command(demo_copy):
    from conftest import formsmith_cmd
    assert formsmith_cmd(demo_copy, "docs", "mark", DOC2, "archived").returncode == 0
    before = store_bytes(demo_copy)
    proc = formsmith_cmd(demo_copy, "docs", "mark", DOC2, "printed")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert DOC2 in lines[0] and "archived" in lines[0] and "printed" in lines[0]
    assert store_bytes(demo_copy) == before


def test_mark_unknown_document_exits_2(demo_copy, run):
    before = store_bytes(demo_copy)
    result = run(demo_copy, "docs", "mark", "物催字〔2025〕4号", "printed")
    assert result.exit_code == 2
    assert "物催字〔2025〕4号" in one_error_line(result)
    assert store_bytes(demo_copy) == before


@pytest.mark.parametrize("state", ["printed", "delivered", "void"])
def test_tracking_only_goes_with_sent(demo_copy, run, run_json, state):
    before = store_bytes(demo_copy)
    result = run(demo_copy, "docs", "mark", DOC1, state, "--tracking", "SF123")
    assert result.exit_code == 2
    assert "--tracking" in one_error_line(result)
    assert store_bytes(demo_copy) == before
    assert run_json(demo_copy, "docs", "show", DOC1)["state"] == "generated"


def test_mark_unknown_state_exits_2(demo_copy, run):
    before = store_bytes(demo_copy)
    result = run(demo_copy, "docs", "mark", DOC1, "lost")
    assert result.exit_code == 2
    assert "lost" in result.stderr
    assert store_bytes(demo_copy) == before
