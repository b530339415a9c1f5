"""The bad-input corpus (tests/samples/bad/, written by samples/make_bad.py) through the real commands.

Each input must give one clear line naming it (file, row, field), exit code 2 (3 for verify),
no traceback, nothing written outside the workspace and nothing half-written inside it: the
store root unchanged, no stray PDF, the input files unchanged.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from formsmith import identity
from conftest import formsmith_cmd, store_rows
from samples import make_bad

AS_OF = "2025-12-01"
# An ID number stands alone: not a run of digits inside a longer token (a SHA-256's hex digits
# once held 18 of them in a row, taken for an ID by the store-wide scan).
ID_18 = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


# ---------------------------------------------------------------- fixtures and the guard

@pytest.fixture(scope="session")
def bad() -> dict[str, Path]:
    """The corpus, written afresh into tests/samples/bad/ (git-ignored) once per session."""
    return make_bad.write()


@pytest.fixture(scope="module")
def ws(demo_home, tmp_path_factory) -> Path:
    """One demo workspace for the whole module: every input here is refused, so it must not change."""
    home = tmp_path_factory.mktemp("bad-input") / "ws"
    shutil.copytree(demo_home, home)
    return home


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """A temporary-files folder of this test only (the shared /tmp sees other processes)."""
    d = tmp_path / "tmpdir"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below `folder` (but the store's lock file) with its size and mtime."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}


def _hashes(files) -> dict[str, str]:
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in files}


class Guard:
    """What must not change when an input is refused: the store root's bytes, every file of the
    workspace, the folder holding the workspace, the private temp folder, the corpus itself."""

    def __init__(self, home: Path, tmp: Path, corpus: dict[str, Path]):
        self.home, self.tmp, self.corpus = home, tmp, corpus
        self.before = self.state()

    def state(self):
        return {
            "root": (self.home / "records" / "formsmith.json").read_bytes(),
            "workspace": _files(self.home),
            "beside": sorted(p.name for p in self.home.parent.iterdir()),
            "tmp": sorted(p.name for p in self.tmp.iterdir()),
            "corpus": _hashes(self.corpus.values()),
            "corpus_dir": sorted(p.name for p in make_bad.BAD.iterdir()),
        }

    def unchanged(self) -> None:
        after = self.state()
        for key, value in self.before.items():
            assert after[key] == value, f"{key} changed"


@pytest.fixture
def guard(ws, private_tmp, bad):
    return Guard(ws, private_tmp, bad)


def refused(result, name: str, *expected: str, code: int = 2) -> list[str]:
    """The command refused the input: its exit code, the input named, what is wrong said, no noise."""
    lines = result.stderr.splitlines()
    assert result.exit_code == code, result.output + result.stderr
    assert lines, "no message"
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert name in lines[0], lines
    for text in expected:
        assert text in result.stderr, result.stderr
    for line in lines:   # never echoes a control character or a 5,000-character value back
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", line), repr(line)
        assert len(line) < 400, line[:100]
    return lines


# ---------------------------------------------------------------- scans: ingest and verify

SCANS = {
    "zero-byte.pdf": "空文件",
    "truncated.pdf": "PDF已损坏",
    "encrypted.pdf": "PDF已加密",
    "text-named.pdf": "不是PDF或图片",
    "bomb-20000x20000.png": "图片像素过多",
    "truncated.png": "图片已损坏",
    "page-5m-bomb.pdf": "第1页尺寸过大（5080×5080 毫米）",
}


@pytest.mark.parametrize("name", sorted(SCANS))
def test_ingest_refuses_bad_scan_and_keeps_it(run, ws, bad, guard, name):
    # as in any process that has rendered: importing WeasyPrint makes Pillow lenient with
    # truncated images, for good; a truncated scan must still be refused
    import weasyprint.images  # noqa: F401
    result = run(ws, "ingest", str(bad[name]), "--json")
    lines = refused(result, name, SCANS[name])
    assert lines == [f"formsmith: {bad[name]}: 拒收：{json.loads(result.stdout)['refused'][0]['reason']}"]
    report = json.loads(result.stdout)
    assert report["refused"] == [{"source": str(bad[name]), "reason": report["refused"][0]["reason"]}]
    assert SCANS[name] in report["refused"][0]["reason"]
    assert report["archived"] == report["unmatched"] == [] and report["pages_total"] == 0
    guard.unchanged()


def test_ingest_reads_a_jpeg_named_pdf_by_its_content(run, ws, bad, guard):
    """A phone photo saved as .pdf is an image, read as one: no code on it, so unmatched, not lost."""
    result = run(ws, "ingest", str(bad["jpeg-named.pdf"]), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["refused"] == [] and report["archived"] == []
    assert [u["source"] for u in report["unmatched"]] == [str(bad["jpeg-named.pdf"])]
    assert "二维码" in report["unmatched"][0]["reason"]
    guard.unchanged()


def test_ingest_of_a_scanner_folder_full_of_junk_moves_nothing(run, ws, bad, guard, tmp_path):
    """The whole corpus dropped in the scanner folder: each refusal listed, no input moved or lost."""
    folder = tmp_path / "scanner"
    shutil.copytree(make_bad.BAD, folder)
    before = _hashes(folder.iterdir())
    result = run(ws, "ingest", str(folder), "--move-to", str(tmp_path / "done"), "--json")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    sources = {Path(r["source"]).name for r in report["refused"]} | {
        Path(u["source"]).name for u in report["unmatched"]}
    assert sources == set(bad), set(bad) ^ sources
    assert all(r["reason"] for r in report["refused"])
    assert _hashes(folder.iterdir()) == before          # every input still there, unchanged
    assert not (tmp_path / "done").exists() or not any((tmp_path / "done").iterdir())
    guard.unchanged()


class Proc:
    """A finished `formsmith` process, shaped like click's Result for `refused`."""

    def __init__(self, cp):
        self.exit_code, self.stdout, self.stderr = cp.returncode, cp.stdout, cp.stderr
        self.output = cp.stdout


@pytest.mark.parametrize("name", sorted([*SCANS, "jpeg-named.pdf"]))
def test_verify_bad_scan_says_one_line(ws, bad, guard, private_tmp, name):
    """The real command (a separate process: what pypdf logs about a damaged file reaches the
    terminal there, not in-process under pytest): one line, exit 3."""
    result = Proc(formsmith_cmd(ws, "verify", str(bad[name]), env={"TMPDIR": str(private_tmp)}))
    lines = refused(result, name, code=3)
    assert len(lines) == 1 and lines[0].startswith(f"NOT VERIFIED: {bad[name]}: "), lines
    assert result.stdout == ""
    guard.unchanged()


def test_verify_truncated_copy_of_an_issued_letter(ws, guard, tmp_path, private_tmp):
    """Half of a real issued PDF: claims its number in the metadata it no longer has; one line."""
    issued = next((ws / "output").rglob("*.pdf"))
    half = tmp_path / "half.pdf"
    half.write_bytes(issued.read_bytes()[: issued.stat().st_size // 2])
    result = Proc(formsmith_cmd(ws, "verify", str(half), env={"TMPDIR": str(private_tmp)}))
    lines = refused(result, "half.pdf", code=3)
    assert len(lines) == 1 and lines[0].startswith("NOT VERIFIED:")
    guard.unchanged()


# ---------------------------------------------------------------- sheets: records import

SHEETS = [
    ("owners", "corrupt.xlsx", "不是有效的 .xlsx 文件"),
    ("units", "pdf-named.xlsx", "不是有效的 .xlsx 文件"),
    ("owners", "broken-xml.xlsx", "不是有效的 .xlsx 文件"),
    ("charges", "docx-named.xlsx", "不是有效的 .xlsx 文件"),
    ("owners", "utf16.csv", "编码无法识别"),
    ("owners", "big5.csv", "CSV UTF-8"),
    ("owners", "owners-long-5000.xlsx", "第2行【业主姓名】文字过长：5000 个字符"),
    ("charges", "charges-long-5000.xlsx", "第2行【收费项目】文字过长：5000 个字符"),
    ("owners", "huge-cell.csv", "第2行无法按 CSV 读取"),
    ("owners", "owners-control-nul.csv", "第2行【业主姓名】含有控制字符或不可见格式字符 U+0000"),
    ("owners", "owners-control-esc.csv", "第2行【业主姓名】含有控制字符或不可见格式字符 U+001B"),
    ("owners", "owners-control-rlo.csv", "第2行【业主姓名】含有控制字符或不可见格式字符 U+202E"),
    ("units", "units-slash-dotdot.csv", "第2行【房号】房号“1-1-101/../../x”含有不允许的字符"),
    ("units", "units-slash.csv", "第2行【房号】房号“1/1/101”含有不允许的字符"),
    ("owners", "owners-unit-dotdot.csv", "第2行【房号】房屋“../../etc/passwd”不存在"),
    # formula-looking names are text (kept, exported inert): only the bad check digit is refused
    ("owners", "owners-formula.csv", "第2行【身份证号】身份证号校验位错误"),
    ("owners", "owners-formula.xlsx", "第2行【身份证号】身份证号校验位错误"),
    # a cell in the sheet's last row or last column: absurdly large, refused before checking rows
    ("owners", "owners-row-1048576.xlsx", "工作表“Sheet”超过 200000 行"),
    ("owners", "owners-column-XFD.xlsx", "工作表“Sheet”第3行有 16384 列"),
]


def test_corpus_sheets_are_otherwise_valid():
    """The owner rows differ from a good row only in the cell under test (a valid ID number)."""
    assert identity.validate_resident_id(make_bad.ID) == make_bad.ID


@pytest.mark.parametrize("kind,name,expected", SHEETS, ids=[s[1] for s in SHEETS])
def test_import_refuses_bad_sheet(run, ws, bad, guard, kind, name, expected):
    result = run(ws, "records", "import", kind, str(bad[name]))
    refused(result, f"formsmith: {bad[name]}", expected)
    guard.unchanged()


def test_import_json_report_names_row_and_column(run, ws, bad, guard):
    result = run(ws, "records", "import", "owners", str(bad["owners-control-rlo.csv"]), "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["written"] is False
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(2, "业主姓名")]
    assert "\u202e" not in result.stdout
    guard.unchanged()


# ---------------------------------------------------------------- JSON data: render --data

DATA = {
    "control-nul.json": "字段 owner_name（业主姓名或单位名称）：含有控制字符 U+0000",
    "control-esc.json": "字段 owner_name（业主姓名或单位名称）：含有控制字符 U+001B",
    "control-rlo.json": "字段 owner_name（业主姓名或单位名称）：含有控制字符 U+202E",
    "control-item.json": "字段 items[1].item（费用项目）：含有控制字符 U+0007",
    # a clerk expects a name, not a page of text: refused, not rendered
    "long-5000.json": "字段 owner_name（业主姓名或单位名称）：长度 5000 超过上限 200 字",
    "long-address-5000.json": "字段 mailing_address（邮寄地址）：长度 5004 超过上限",
    "unit-dotdot.json": "字段 unit（房屋编号）：房号“../../x”含有不允许的字符",
    "not-utf8.json": "not valid UTF-8 JSON",
    "truncated.json": "not valid UTF-8 JSON",
    "list.json": "数据必须是一个 JSON 对象",
    "deep-nesting.json": "JSON nested too deeply",
    "negative-amount.json": "字段 items[1].amount（金额）：催缴金额应大于零",
    "year-0001.json": "字段 as_of：文书日期 0001-01-01 不在合理范围内",
    "deadline-zero-days.json": "字段 deadline_days（缴费期限天数）：应为 1 至 3650 天（自收到之日起计算），实际为 0",
}


@pytest.mark.parametrize("name", sorted(DATA))
def test_render_refuses_bad_data(run, ws, bad, guard, name):
    result = run(ws, "render", "dunning-letter", "--data", str(bad[name]))
    refused(result, f"formsmith: {bad[name]}", DATA[name])
    guard.unchanged()


# ---------------------------------------------------------------- ids, numbers and paths

@pytest.mark.parametrize("args,expected", [
    (("docs", "show", "../../etc/passwd"), "no document '../../etc/passwd'"),
    (("docs", "show", "../../etc/passwd", "--json"), "no document '../../etc/passwd'"),
    (("docs", "mark", "物催字〔2025〕1号/../x", "printed"), "no document '物催字〔2025〕1号/../x'"),
    (("docs", "show", "\x1b[2J物催字"), r"no document '\x1b[2J物催字'"),
    (("records", "show", "../../etc/passwd"), "no record '../../etc/passwd'"),
    (("render", "dunning-letter", "--unit", "../../x", "--as-of", AS_OF), "../../x"),
    (("render", "dunning-letter", "--unit", "1-1-101/../../x", "--as-of", AS_OF), "1-1-101/../../x"),
], ids=["show", "show-json", "mark", "show-esc", "records-show", "render-unit", "render-unit-2"])
def test_ids_with_path_separators_are_just_unknown_ids(run, ws, guard, args, expected):
    result = run(ws, *args)
    refused(result, "formsmith:", expected)
    guard.unchanged()


def test_backup_into_the_workspace_is_refused(run, ws, guard):
    result = run(ws, "backup", str(ws / "output" / "backup"))
    refused(result, "formsmith:", "inside the workspace")
    guard.unchanged()


def _a_unit_in_arrears(home: Path) -> str:
    issued = {d["unit"] for d in store_rows(home, "documents")}
    owing = sorted({c["unit"] for c in store_rows(home, "charges") if not c.get("paid_on")} - issued)
    return owing[0]


def test_render_out_goes_exactly_where_the_user_said(run, demo_copy, tmp_path, monkeypatch, private_tmp):
    """--out ../../outside.pdf is the user's explicit path (relative to where they stand): the PDF
    lands there and nowhere else; records/ and archive/ are refused, as is a name not ending .pdf."""
    here = tmp_path / "a" / "b"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    unit = _a_unit_in_arrears(demo_copy)
    root = (demo_copy / "records" / "formsmith.json").read_bytes()
    files = _files(demo_copy)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (here / "link.pdf").symlink_to(elsewhere / "target.pdf")   # dangling: writing would follow it
    for out, why in ((Path("link.pdf"), "符号链接"),
                     (demo_copy / "records" / "x.pdf", "cannot be inside"),
                     (demo_copy / "archive" / "x.pdf", "cannot be inside"),
                     (Path("../../outside.txt"), "must end in .pdf"),
                     (Path("../nowhere/x.pdf"), "no such folder")):
        result = run(demo_copy, "render", "dunning-letter", "--unit", unit, "--as-of", AS_OF,
                     "--out", str(out))
        refused(result, "formsmith:", why)
    assert (demo_copy / "records" / "formsmith.json").read_bytes() == root
    assert _files(demo_copy) == files
    assert not list(elsewhere.iterdir())
    (here / "link.pdf").unlink()
    outside = lambda: {p for p in tmp_path.rglob("*") if p.is_file()  # noqa: E731
                       and not p.is_relative_to(demo_copy)}
    before = outside()
    result = run(demo_copy, "render", "dunning-letter", "--unit", unit, "--as-of", AS_OF,
                 "--out", "../../outside.pdf", "--json")
    assert result.exit_code == 0, result.stderr
    target = (tmp_path / "outside.pdf").resolve()
    assert json.loads(result.stdout)["path"] == str(target)
    assert target.read_bytes().startswith(b"%PDF-")
    assert sorted(outside() - before) == [tmp_path / "outside.pdf"]   # no .part, nothing else
    assert not [f for f in set(_files(demo_copy)) - set(files) if not f.startswith("records/")]
    again = run(demo_copy, "render", "dunning-letter", "--unit", unit, "--as-of", AS_OF, "--again",
                "--out", "../../outside.pdf")
    refused(again, "formsmith:", "exists already")
    assert target.read_bytes() == (tmp_path / "outside.pdf").read_bytes()


# ---------------------------------------------------------------- ID numbers stay masked

@pytest.fixture(scope="module")
def ws_ids(demo_home, tmp_path_factory) -> Path:
    """The demo plus a renovation agreement, whose record carries the owner's ID number."""
    home = tmp_path_factory.mktemp("ids") / "ws"
    shutil.copytree(demo_home, home)
    from formsmith import issuing
    from formsmith.demo import AS_OF as DEMO_AS_OF
    from formsmith.workspace import find_workspace
    unit = store_rows(home, "renovations")[0]["unit"]
    issuing.issue_document(find_workspace(home), "renovation-agreement", unit=unit, as_of=DEMO_AS_OF)
    return home


def _ids_in_store(home: Path) -> set[str]:
    found: set[str] = set()

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            found.update(ID_18.findall(v))
    for table in ("parties", "documents", "leases"):
        walk(store_rows(home, table))
    return found


def test_id_numbers_never_leave_unmasked_without_reveal(run, ws_ids, tmp_path):
    ids = _ids_in_store(ws_ids)
    assert len(ids) > 100                                    # the demo's owners, agents, occupants
    parties = store_rows(ws_ids, "parties")
    person = next(p for p in parties if p.get("id_number"))
    unit = next(u["id"] for u in store_rows(ws_ids, "units") if u.get("owner") == person["id"])
    docs = [d["doc_no"] for d in store_rows(ws_ids, "documents")]
    assert any(ID_18.search(json.dumps(d["record"])) for d in store_rows(ws_ids, "documents"))
    commands = [("records", "list", kind, "--json") for kind in ("owners", "occupants", "agents", "parties")]
    commands += [("records", "list", "owners"), ("records", "show", person["id"], "--json"),
                 ("records", "show", person["id"]), ("records", "show", unit, "--json"),
                 ("records", "list", "owners", "--unit", unit, "--json"),
                 ("records", "arrears", "--as-of", AS_OF, "--json"), ("records", "arrears", "--as-of", AS_OF),
                 ("docs", "list", "--json")]
    let = next(r["unit"] for r in store_rows(ws_ids, "leases") if r.get("tenants"))    # tenants' IDs
    commands += [("rental", "list"), ("rental", "list", "--json"), ("rental", "show", let),
                 ("rental", "show", let, "--json")]
    commands += [("docs", "show", d, "--json") for d in docs] + [("docs", "show", d) for d in docs]
    for args in commands:
        result = run(ws_ids, *args)
        assert result.exit_code == 0, (args, result.stderr)
        leaked = ids & set(ID_18.findall(result.stdout + result.stderr))
        assert not leaked, (args, sorted(leaked)[:3])
    export = tmp_path / "owners.csv"
    assert run(ws_ids, "records", "export", "owners", str(export)).exit_code == 0
    assert not ids & set(ID_18.findall(export.read_text(encoding="utf-8-sig")))
    # with --reveal they do appear (so the check above looks for the right numbers)
    agreement = next(d for d in store_rows(ws_ids, "documents") if d["template"] == "renovation-agreement")
    shown = run(ws_ids, "docs", "show", agreement["doc_no"], "--json", "--reveal")
    assert agreement["record"]["owner_id_number"] in shown.stdout
    assert person["id_number"] in run(ws_ids, "records", "show", person["id"], "--json", "--reveal").stdout
    audit = [a["command"] for a in store_rows(ws_ids, "audit")]
    assert f"docs show {agreement['doc_no']} --reveal" in audit


def test_control_characters_in_names_never_reach_the_terminal(run, ws, bad, guard, tmp_path):
    """A file name or id carrying ESC or U+202E is shown escaped (\\x1b, \\u202e) in the one line."""
    odd = tmp_path / "扫描\x1b[2J件.pdf"
    odd.write_bytes(b"")
    sheet = tmp_path / "花名册\u202eslx.csv"
    sheet.write_bytes(bad["utf16.csv"].read_bytes())
    for args, code, expected in ((("ingest", str(odd)), 2, "扫描\\x1b[2J件.pdf: 拒收：空文件"),
                                 (("verify", str(odd)), 3, "扫描\\x1b[2J件.pdf: an empty file"),
                                 (("records", "import", "owners", str(sheet)), 2, "花名册\\u202eslx.csv"),
                                 (("docs", "show", "物催字\u202e〔2025〕1号"), 2, "物催字\\u202e〔2025〕1号")):
        refused(run(ws, *args), expected, code=code)
    guard.unchanged()


def test_restore_from_a_folder_with_a_hostile_manifest(run, ws, bad, guard, tmp_path):
    """A "backup" whose manifest is nested beyond the recursion limit: refused, nothing restored."""
    from formsmith.backup import MANIFEST
    src = tmp_path / "backup"
    src.mkdir()
    (src / MANIFEST).write_bytes(bad["deep-nesting.json"].read_bytes())
    result = run(ws, "restore", str(src), str(tmp_path / "restored"))
    refused(result, MANIFEST, "nested too deeply", code=3)
    assert not (tmp_path / "restored").exists()
    guard.unchanged()


@pytest.mark.parametrize("name,expected", [
    ("utf16.csv", "编码无法识别"), ("corrupt.xlsx", "不是有效的 .xlsx 文件"),
    ("broken-xml.xlsx", "不是有效的 .xlsx 文件"), ("huge-cell.csv", "第2行无法按 CSV 读取"),
])
def test_courier_sheet_refused(run, ws, bad, guard, name, expected):
    """`docs import-tracking` meets the courier company's sheet: the same corpus, the same rules
    and the same words as `records import` (one sheet reader, formsmith.sheets.io)."""
    refused(run(ws, "docs", "import-tracking", str(bad[name])), f"formsmith: {bad[name]}", expected)
    guard.unchanged()


@pytest.mark.parametrize("name", ["owners-control-nul.csv", "owners-control-esc.csv"])
def test_error_copy_of_a_sheet_with_control_characters(run, ws, bad, guard, tmp_path, name):
    """--errors writes the marked copy even when the CSV holds what a worksheet cannot (NUL, ESC)."""
    from openpyxl import load_workbook
    copy = tmp_path / "错误.xlsx"
    result = run(ws, "records", "import", "owners", str(bad[name]), "--errors", str(copy))
    refused(result, f"formsmith: {bad[name]}", "第2行【业主姓名】含有控制字符")
    sheet = load_workbook(copy).active
    assert sheet["B2"].value == make_bad.CONTROL_NAMES[name[15:18]].replace(
        "\x00", "\\x00").replace("\x1b", "\\x1b")
    assert "控制字符" in sheet["F2"].value and sheet["B2"].comment is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmpdir", "错误.xlsx"]
    guard.unchanged()
