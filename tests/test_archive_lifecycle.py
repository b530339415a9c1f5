"""A document's life beyond issuing: corrected re-issues (superseded) and overdue signed copies."""
from __future__ import annotations

from datetime import date, timedelta

from formsmith import documents
from formsmith.workspace import find_workspace
from test_cli_docs import DOC1, DOC2, DOC3, one_error_line, store_bytes


def test_correction_supersedes_the_old_document(demo_copy, run, run_json):
    # GIVEN letter 1 for unit 1-1-802 (2025-12); WHEN a corrected one is issued replacing it
    new = run_json(demo_copy, "render", "dunning-letter", "--unit", "1-1-802", "--as-of", "2025-12-01",
                   "--replaces", DOC1, "--by", "李娜")
    old = run_json(demo_copy, "docs", "show", DOC1)
    fresh = run_json(demo_copy, "docs", "show", new["doc_no"])
    # THEN the old one is superseded and points to the new one, which says what it replaces
    assert old["state"] == "superseded" and old["superseded_by"] == new["doc_no"]
    assert old["events"][-1]["by"] == "李娜" and new["doc_no"] in old["events"][-1]["note"]
    assert fresh["replaces"] == DOC1 and fresh["state"] == "generated"
    assert fresh["events"][0]["replaces"] == DOC1
    text = run(demo_copy, "docs", "show", DOC1).stdout
    assert f"superseded_by: {new['doc_no']}" in text


def test_reissue_without_replaces_is_refused(demo_copy, run):
    result = run(demo_copy, "render", "dunning-letter", "--unit", "1-1-802", "--as-of", "2025-12-01")
    assert result.exit_code == 2 and DOC1 in one_error_line(result)


def test_a_final_document_cannot_be_replaced_and_nothing_is_written(demo_copy, run):
    assert run(demo_copy, "docs", "mark", DOC2, "void").exit_code == 0
    before = store_bytes(demo_copy)
    pdfs = sorted((demo_copy / "output").rglob("*.pdf"))
    result = run(demo_copy, "render", "dunning-letter", "--unit", "1-2-402", "--as-of", "2025-12-01",
                 "--again", "--replaces", DOC2)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert DOC2 in line and "void" in line and "superseded" in line
    assert store_bytes(demo_copy) == before
    assert sorted((demo_copy / "output").rglob("*.pdf")) == pdfs


def test_superseded_only_through_a_correction(demo_copy, run):
    result = run(demo_copy, "docs", "mark", DOC3, "superseded")
    assert result.exit_code == 2 and "--replaces" in one_error_line(result)


def test_overdue_lists_what_went_out_without_a_signed_copy(demo_copy, run, run_json):
    run(demo_copy, "docs", "mark", DOC1, "sent", "--tracking", "SF1")
    run(demo_copy, "docs", "mark", DOC2, "delivered")
    assert [r["doc_no"] for r in run_json(demo_copy, "docs", "list", "--overdue", "0")] == [DOC1, DOC2]
    assert run_json(demo_copy, "docs", "list", "--overdue", "7") == []
    ws = find_workspace(demo_copy)
    later = date.today() + timedelta(days=15)
    assert [d["doc_no"] for d in documents.list_documents(ws, overdue=14, today=later)] == [DOC1, DOC2]
    assert documents.list_documents(ws, overdue=16, today=later) == []
    run(demo_copy, "docs", "mark", DOC1, "signed")
    assert [d["doc_no"] for d in documents.list_documents(ws, overdue=14, today=later)] == [DOC2]
    assert [r["doc_no"] for r in run_json(demo_copy, "docs", "list", "--overdue", "0",
                                          "--state", "delivered")] == [DOC2]


def test_negative_overdue_is_refused(demo_copy, run):
    result = run(demo_copy, "docs", "list", "--overdue", "-1")
    assert result.exit_code == 2 and "--overdue" in one_error_line(result)
