"""Records from Excel: real .xlsx and GBK .csv sheets imported all-or-nothing, exported, re-imported."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from formsmith import demo, identity
from formsmith.workspace import load_workspace

ID_A = identity.make_resident_id("420102", date(1980, 5, 17), 123, "M")
ID_B = identity.make_resident_id("420106", date(1975, 2, 9), 456, "F")
ID_C = identity.make_resident_id("110105", date(1990, 12, 1), 77, "M")
BAD_ID = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")          # wrong check digit
CREDIT = identity.make_credit_code("91420100MA4K2B3C8")


def write_xlsx(path: Path, header: list, rows: list[list], title: str | None = None) -> Path:
    """A sheet as a clerk makes it in Excel (optionally a title line above the headers)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    if title:
        ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, header: list, rows: list[list], encoding: str) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def store_bytes(home: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the store (whatever its layout) with its bytes and mtime: equal means untouched."""
    root = home / "records"
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


def table(home: Path, name: str) -> dict[str, dict]:
    with load_workspace(home).store.snapshot() as view:
        return {r["id"]: r for r in view.all(name)}


UNITS_HEADER = ["房屋编号", "楼栋", "单元", "房间", "建筑面积（㎡）", "收费标准", "车位"]
UNITS_ROWS = [["1-1-101", 1, 1, 101, 89.36, 2.2, "否"],
              ["1-1-102", 1, 1, 102, 118.2, 2.2, "是"],
              ["1-2-301", 1, 2, 301, 98.56, 2.2, "否"],
              ["1-2-302", 1, 2, 302, 98.56, 2.2, "否"],
              ["2-1-101", 2, 1, 101, 143.6, 2.2, "否"]]


@pytest.fixture
def home(empty_home, run, tmp_path):
    """An empty workspace with three units imported from a real .xlsx (title line, aliases, numbers)."""
    path = write_xlsx(tmp_path / "units.xlsx", UNITS_HEADER, UNITS_ROWS, title="阳光花园住户花名册")
    result = run(empty_home, "records", "import", "units", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    return empty_home


def test_units_from_xlsx_keep_the_demo_row_shape(home):
    units = table(home, "units")
    assert units["1-1-102"] == {"id": "1-1-102", "community": "阳光花园", "building": "1", "entrance": "1",
                                "room": "102", "floor": 1, "area": "118.20", "fee_rate": "2.20",
                                "status": "occupied", "parking": True}
    assert units["1-2-301"]["floor"] == 3 and units["1-2-301"]["area"] == "98.56"


def test_owners_with_agent_and_company(home, run, tmp_path):
    header = ["房号", "业主类型", "业主姓名", "身份证号", "统一社会信用代码", "联系人", "手机",
              "代理人姓名", "代理人身份证号", "委托书", "委托日期"]
    rows = [["1-1-101", "个人", "张伟", ID_A, None, None, "138 1234 5678", "李娜", ID_B, "委托书第1号",
             datetime(2025, 3, 1)],
            ["1-1-102", "单位", "江城恒信贸易有限公司", None, CREDIT, "王强", "027-87654321"],
            ["1-2-301", None, "张伟", ID_A]]                      # the same owner owns a second unit
    path = write_xlsx(tmp_path / "owners.xlsx", header, rows)
    result = run(home, "records", "import", "owners", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["parties"]["inserted"] == 3
    parties = table(home, "parties")
    units = table(home, "units")
    owner = parties[units["1-1-101"]["owner"]]
    assert units["1-2-301"]["owner"] == owner["id"]
    assert owner == {"id": owner["id"], "kind": "individual", "name": "张伟", "id_number": ID_A,
                     "phone": "13812345678", "agent": owner["agent"]}
    assert parties[owner["agent"]] == {"id": owner["agent"], "kind": "agent", "name": "李娜", "id_number": ID_B,
                                       "agent_for": owner["id"], "power_of_attorney": "委托书第1号",
                                       "poa_date": "2025-03-01"}
    company = parties[units["1-1-102"]["owner"]]
    assert (company["kind"], company["credit_code"], company["contact_person"], company["phone"]) == \
        ("company", CREDIT, "王强", "027-87654321")


def test_bad_owner_rows_are_all_reported_and_nothing_is_written(home, run, tmp_path):
    header = ["房号", "业主类型", "业主姓名", "身份证号", "统一社会信用代码", "联系人", "代理人姓名",
              "代理人身份证号", "委托书"]
    rows = [["1-1-101", "个人", "张伟", ID_A],                                 # 2 good
            ["1-1-102", "个人", "刘洋", BAD_ID],                               # 3 wrong check digit
            ["9-9-999", "个人", "陈静", ID_C],                                 # 4 unknown unit
            ["1-2-301", "单位", "南湖科技发展有限公司", None, CREDIT],          # 5 company without contact
            ["1-1-101", "个人", "张伟", ID_A],                                 # 6 same unit again
            ["1-2-302", "个人", "周杰", ID_C, None, None, "吴敏", ID_B],        # 7 agent without 委托书
            ["2-1-101", "个人", "何平", 420102198005171234]]                   # 8 ID typed as a number
    path = write_xlsx(tmp_path / "owners.xlsx", header, rows)
    before = store_bytes(home)
    errors = tmp_path / "owners-errors.xlsx"
    result = run(home, "records", "import", "owners", str(path), "--json", "--errors", str(errors))
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    got = [(e["row"], e["column"]) for e in report["errors"]]
    assert got == [(3, "身份证号"), (4, "房号"), (5, "联系人"), (6, "房号"), (7, "委托书"), (8, "身份证号")]
    reasons = {(e["row"], e["column"]): e["reason"] for e in report["errors"]}
    assert "校验位" in reasons[(3, "身份证号")]
    assert "不存在" in reasons[(4, "房号")]
    assert "联系人" in reasons[(5, "联系人")]
    assert "与第2行相同" in reasons[(6, "房号")]
    assert "委托书" in reasons[(7, "委托书")]
    assert "数字" in reasons[(8, "身份证号")]
    assert report["written"] is False and report["bad_rows"] == [3, 4, 5, 6, 7, 8]
    assert store_bytes(home) == before
    # the error copy marks exactly the bad cells, with the reason as a comment
    ws = load_workbook(errors).active
    marked = sorted((c.row, ws.cell(row=1, column=c.column).value) for r in ws.iter_rows() for c in r
                    if c.fill.fgColor.rgb == "00FFC7CE" and c.row > 1 and ws.cell(row=1, column=c.column).value != "错误说明")
    assert marked == sorted(set(got))
    assert "校验位" in ws["D3"].comment.text
    assert ws.cell(row=1, column=10).value == "错误说明" and "不存在" in ws.cell(row=4, column=10).value
    # fixing row 4 in the error copy and importing it again: the old note of row 4 is gone
    wb = load_workbook(errors)
    wb.active["A4"] = "1-1-101"
    wb.save(errors)
    again = tmp_path / "again-errors.xlsx"
    run(home, "records", "import", "owners", str(errors), "--errors", str(again))
    ws = load_workbook(again).active
    assert ws.cell(row=1, column=10).value == "错误说明" and ws.cell(row=1, column=11).value is None
    assert "重复" in ws.cell(row=4, column=10).value and "不存在" not in ws.cell(row=4, column=10).value
    # the text report: one line per problem, in Chinese, exit code 2, no traceback
    text = run(home, "records", "import", "owners", str(path))
    assert text.exit_code == 2 and "Traceback" not in text.output
    assert "第3行【身份证号】身份证号校验位错误" in text.stderr
    assert "6 行有错误，未导入任何数据" in text.stderr
    assert store_bytes(home) == before


CHARGES_HEADER = ["房号", "收费项目", "所属期间", "应收金额", "到期日"]


def test_bad_charge_rows_gbk_csv(home, run, tmp_path):
    rows = [["1-1-101", "物业服务费", "2025-01", "196.59", "2025-01-31"],   # 2 good
            ["1-1-101", "物业服务费", "2025年2月", "1.234", "2025/2/28"],     # 3 more than two decimals
            ["8-1-101", "物业服务费", "2025-01", "100.00", "2025-01-31"],    # 4 unknown unit
            ["1-1-101", "物业服务费", "2025/1", "196.59", "2025-01-31"],     # 5 duplicate of row 2
            ["1-1-102", "车位管理费", "2025-13", "150", "2025年1月5日"]]     # 6 no such month
    path = write_csv(tmp_path / "欠费明细.csv", CHARGES_HEADER, rows, "gbk")
    before = store_bytes(home)
    errors = tmp_path / "欠费明细-错误.xlsx"
    report = json.loads(run(home, "records", "import", "charges", str(path), "--json",
                            "--errors", str(errors)).stdout)
    assert report["encoding"] == "gb18030"
    ws = load_workbook(errors).active          # the CSV's cells, as text, the bad ones marked
    assert [c.value for c in ws[1]] == CHARGES_HEADER + ["错误说明"]
    assert ws["D3"].value == "1.234" and "两位小数" in ws["D3"].comment.text
    assert ws["A4"].comment is not None and ws["A2"].comment is None
    assert [(e["row"], e["column"]) for e in report["errors"]] == \
        [(3, "应收金额"), (4, "房号"), (5, "所属期间"), (6, "所属期间")]
    assert "两位小数" in report["errors"][0]["reason"] and "1.234" in report["errors"][0]["reason"]
    assert "第2行" in report["errors"][2]["reason"]
    assert store_bytes(home) == before


def test_good_gbk_csv_imports_exact_amounts_and_dates(home, run, tmp_path):
    rows = [["1-1-101", "物业服务费", "2025-01", "196.59", "2025/1/5"],
            ["1-1-101", "车位管理费", "2025年2月", "1,150.5", "2025年2月5日"],
            ["1-1-102", "物业服务费", "2025-02", "260", ""]]
    path = write_csv(tmp_path / "欠费明细.csv", CHARGES_HEADER, rows, "gbk")
    assert run(home, "records", "import", "charges", str(path)).exit_code == 0
    charges = table(home, "charges")
    assert charges["C1-1-101-2025-01-FEE"] == {"id": "C1-1-101-2025-01-FEE", "unit": "1-1-101",
                                               "item": "物业服务费", "period": "2025-01", "amount": "196.59",
                                               "due": "2025-01-05", "paid_on": None}
    assert charges["C1-1-101-2025-02-PARK"]["amount"] == "1150.50"
    assert charges["C1-1-102-2025-02-FEE"]["due"] == "2025-02-28"       # month end when blank


def test_xlsx_numbers_are_read_exactly(home, run, tmp_path):
    """A float cell 205.75 is 205.75 to the fen; a float cell 1.234 is refused, never rounded."""
    rows = [["1-1-101", "物业服务费", "2025-01", 205.75, datetime(2025, 1, 31)],
            ["1-1-102", "物业服务费", datetime(2025, 2, 1), 1.234, datetime(2025, 2, 28)]]
    path = write_xlsx(tmp_path / "charges.xlsx", CHARGES_HEADER, rows)
    report = json.loads(run(home, "records", "import", "charges", str(path), "--json").stdout)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "应收金额")]
    wb = load_workbook(path)
    wb.active["D3"] = 88.1
    wb.save(path)
    assert run(home, "records", "import", "charges", str(path)).exit_code == 0
    charges = table(home, "charges")
    assert charges["C1-1-101-2025-01-FEE"]["amount"] == "205.75"
    assert charges["C1-1-102-2025-02-FEE"]["amount"] == "88.10"
    assert charges["C1-1-102-2025-02-FEE"]["period"] == "2025-02"


def test_dry_run_writes_nothing_and_reimport_changes_nothing(home, run, tmp_path):
    path = write_xlsx(tmp_path / "charges.xlsx", CHARGES_HEADER,
                      [["1-1-101", "物业服务费", "2025-01", "196.59", "2025-01-31"]])
    before = store_bytes(home)
    dry = run(home, "records", "import", "charges", str(path), "--dry-run", "--json")
    report = json.loads(dry.stdout)
    assert report["counts"]["charges"] == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert report["written"] is False
    assert store_bytes(home) == before
    assert run(home, "records", "import", "charges", str(path)).exit_code == 0
    after = store_bytes(home)
    assert after != before
    again = json.loads(run(home, "records", "import", "charges", str(path), "--json").stdout)
    assert again["counts"]["charges"] == {"inserted": 0, "updated": 0, "unchanged": 1}
    assert store_bytes(home) == after


def test_payments_clear_charges(home, run, tmp_path):
    charges = write_xlsx(tmp_path / "charges.xlsx", CHARGES_HEADER,
                         [["1-1-101", "物业服务费", "2025-01", "196.59", "2025-01-31"],
                          ["1-1-101", "物业服务费", "2025-02", "196.59", "2025-02-28"]])
    assert run(home, "records", "import", "charges", str(charges)).exit_code == 0
    header = ["房号", "收费项目", "所属期间", "实收金额", "缴费日期", "收据号"]
    bad = write_xlsx(tmp_path / "pay.xlsx", header, [["1-1-101", "物业服务费", "2025-01", "100", "2025-02-03"],
                                                     ["1-1-101", "物业服务费", "2024-12", "196.59", "2025-02-03"]])
    report = json.loads(run(home, "records", "import", "payments", str(bad), "--json").stdout)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(2, "实收金额"), (3, "收费项目")]
    good = write_xlsx(tmp_path / "pay2.xlsx", header, [["1-1-101", "物业服务费", "2025-01", 196.59, "2025-02-03", "SJ001"]])
    assert run(home, "records", "import", "payments", str(good)).exit_code == 0
    row = table(home, "charges")["C1-1-101-2025-01-FEE"]
    assert (row["paid_on"], row["receipt"]) == ("2025-02-03", "SJ001")
    # the arrears list then re-imported does not un-pay it, and a changed amount is refused
    assert run(home, "records", "import", "charges", str(charges)).exit_code == 0
    assert table(home, "charges")["C1-1-101-2025-01-FEE"]["paid_on"] == "2025-02-03"


def test_missing_column_is_one_clear_line(home, run, tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", ["房号", "收费项目", "应收金额"], [["1-1-101", "物业服务费", "1.00"]])
    result = run(home, "records", "import", "charges", str(path))
    assert result.exit_code == 2
    assert "缺少必需的列：所属期间" in result.stderr
    as_json = run(home, "records", "import", "charges", str(path), "--json")
    assert as_json.exit_code == 2
    assert "缺少必需的列：所属期间" in json.loads(as_json.stdout)["errors"][0]["reason"]


def test_template_has_headers_example_and_notes_and_imports(empty_home, run, tmp_path):
    path = tmp_path / "units-template.xlsx"
    assert run(empty_home, "records", "template", "units", "--xlsx", str(path)).exit_code == 0
    wb = load_workbook(path)
    assert wb.sheetnames == ["房屋", "说明"]
    head = [c.value for c in wb["房屋"][1]]
    assert head[:4] == ["房号", "小区", "楼栋", "单元"] and wb["房屋"]["A2"].value == "1-2-301"
    assert wb["说明"]["A1"].value == "列名"
    assert run(empty_home, "records", "import", "units", str(path)).exit_code == 0
    assert table(empty_home, "units")["1-2-301"]["area"] == "98.56"
    owners = tmp_path / "owners-template.xlsx"
    assert run(empty_home, "records", "template", "owners", "--xlsx", str(owners)).exit_code == 0
    assert run(empty_home, "records", "import", "owners", str(owners)).exit_code == 0
    text = run(empty_home, "records", "template", "charges")
    assert "所属期间" in text.stdout and "账期" in text.stdout


SHEET_KINDS = ("units", "owners", "occupants", "charges", "payments")


def test_demo_exports_and_reimports_identically(demo_copy, empty_home, run, tmp_path):
    for kind in SHEET_KINDS:
        suffix = "csv" if kind == "charges" else "xlsx"
        out = tmp_path / f"{kind}.{suffix}"
        assert run(demo_copy, "records", "export", kind, str(out), "--reveal", "--by", "测试员").exit_code == 0
    for kind in SHEET_KINDS:
        suffix = "csv" if kind == "charges" else "xlsx"
        result = run(empty_home, "records", "import", kind, str(tmp_path / f"{kind}.{suffix}"))
        assert result.exit_code == 0, result.stderr
    for name in ("units", "parties"):
        assert table(empty_home, name) == table(demo_copy, name), name
    # Charges identical, each with its payment: what the demo took over from the old system has
    # the id an import gives it; what was paid at our counter (its receipt ours) is a payment of
    # that workspace's ledger, and the import records it as a payment of its own.
    counter = {p["id"] for p in table(demo_copy, "payments").values() if p.get("receipt_doc_id")}
    assert counter, "the demo has a payment taken at the counter"
    imported, original = table(empty_home, "charges"), table(demo_copy, "charges")
    for cid, row in original.items():
        if row.get("payment") in counter:
            assert imported[cid]["paid_on"] == row["paid_on"] and imported[cid]["receipt"] == row["receipt"]
            imported[cid] = dict(imported[cid], payment=row["payment"])
    assert imported == original
    audit = table(demo_copy, "audit")
    assert len(audit) == 5 and {a["by"] for a in audit.values()} == {"测试员"}
    assert all("--reveal" in a["command"] for a in audit.values())
    again = store_bytes(empty_home)
    for kind in SHEET_KINDS:
        suffix = "csv" if kind == "charges" else "xlsx"
        run(empty_home, "records", "import", kind, str(tmp_path / f"{kind}.{suffix}"))
    assert store_bytes(empty_home) == again


def test_id_numbers_masked_unless_revealed(demo_copy, run, tmp_path):
    owner = demo.generate()["parties"][0]
    listing = run(demo_copy, "records", "list", "owners")
    assert owner["id_number"] not in listing.stdout
    assert owner["id_number"][:6] + "********" + owner["id_number"][-4:] in listing.stdout
    assert owner["id_number"] not in run(demo_copy, "records", "show", owner["id"]).stdout
    assert table(demo_copy, "audit") == {}
    shown = run(demo_copy, "records", "show", owner["id"], "--reveal", "--by", "李主管")
    assert owner["id_number"] in shown.stdout
    (event,) = table(demo_copy, "audit").values()
    assert event["by"] == "李主管" and event["command"] == f"records show {owner['id']} --reveal"
    assert owner["id"] in event["revealed"] and owner["id_number"] not in json.dumps(event, ensure_ascii=False)
    # a masked export cannot be imported back by mistake
    out = tmp_path / "owners.xlsx"
    run(demo_copy, "records", "export", "owners", str(out))
    cells = json.dumps([[c.value for c in r] for r in load_workbook(out).active.iter_rows()], default=str)
    assert owner["id_number"] not in cells and owner["id_number"][:6] + "********" in cells
    report = json.loads(run(demo_copy, "records", "import", "owners", str(out), "--json").stdout)
    assert report["errors"] and "已打码" in report["errors"][0]["reason"]
    assert len(table(demo_copy, "audit")) == 1


def test_arrears_view_matches_the_demo(demo_home, run):
    with load_workspace(demo_home).store.snapshot() as view:     # the demo story's counter payment
        cleared = {c for p in view.all("payments") if p.get("receipt_doc_id") for c in p["charges"]}
    assert cleared
    rows = generate_expected(cleared)
    got = json.loads(run(demo_home, "records", "arrears", "--as-of", "2025-12-01", "--json").stdout)
    assert {r["unit"]: (r["months"], r["amount"], r["oldest_due"], r["oldest_age_days"]) for r in got} == rows
    assert got[0]["months"] == 14 and got == sorted(got, key=lambda r: (-r["months"], -Decimal(r["amount"]), r["unit"]))
    with load_workspace(demo_home).store.snapshot() as view:
        letters = {d["unit"]: d["doc_no"] for d in view.find("documents", template="dunning-letter")}
    reminded = {r["unit"]: r["last_reminder"]["doc_no"] for r in got if r["last_reminder"]}
    assert reminded == letters
    assert all("********" in r["owner_id_number"] for r in got)
    five = json.loads(run(demo_home, "records", "arrears", "--as-of", "2025-12-01", "--min-months", "5",
                          "--json").stdout)
    assert {r["unit"] for r in five} == {u for u, v in rows.items() if v[0] >= 5}
    text = run(demo_home, "records", "arrears", "--as-of", "2025-12-01")
    total = sum(Decimal(v[1]) for v in rows.values())
    assert f"{len(rows)} 户欠费，合计 {total:,.2f} 元" in text.stdout


def generate_expected(cleared: set[str] = frozenset()) -> dict[str, tuple]:
    """Per overdue demo unit: (months, amount, oldest due, age in days), straight from
    demo.generate(), less the charges `cleared` by a payment since."""
    out: dict[str, list] = {}
    for c in demo.generate()["charges"]:
        if not c["paid_on"] and c["due"] < "2025-12-01" and c["id"] not in cleared:
            out.setdefault(c["unit"], []).append(c)
    return {u: (len({c["period"] for c in cs}), str(sum(Decimal(c["amount"]) for c in cs)),
                min(c["due"] for c in cs), (date(2025, 12, 1) - date.fromisoformat(min(c["due"] for c in cs))).days)
            for u, cs in out.items()}


def test_duplicates_against_the_store_are_refused(demo_copy, run, tmp_path):
    rows = demo.generate()
    p1, p2 = rows["parties"][0], rows["parties"][1]            # P0001 owns 1-1-101, P0002 1-1-102
    paid = next(c for c in rows["charges"] if c["paid_on"])
    owners = write_xlsx(tmp_path / "owners.xlsx", ["房号", "业主编号", "业主姓名", "身份证号"],
                        [["1-1-101", p1["id"], p1["name"], p1["id_number"]],      # 2 as stored: fine
                         ["1-1-102", p1["id"], "冒名", ID_C],                     # 3 P0001 is someone else
                         ["1-1-201", "P9999", p2["name"], p2["id_number"]]])     # 4 that ID is P0002
    before = store_bytes(demo_copy)
    report = json.loads(run(demo_copy, "records", "import", "owners", str(owners), "--json").stdout)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "业主编号"), (4, "身份证号")]
    assert p1["name"] in report["errors"][0]["reason"] and "P0002" in report["errors"][1]["reason"]
    charges = write_xlsx(tmp_path / "charges.xlsx", CHARGES_HEADER,
                         [[paid["unit"], paid["item"], paid["period"], "999.99", paid["due"]]])
    report = json.loads(run(demo_copy, "records", "import", "charges", str(charges), "--json").stdout)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(2, "应收金额")]
    assert paid["paid_on"] in report["errors"][0]["reason"]
    assert store_bytes(demo_copy) == before


@pytest.mark.parametrize("value, expected", [
    (205.75, Decimal("205.75")), (0.1, Decimal("0.10")), (1e5, Decimal("100000.00")), (150, Decimal("150.00")),
    ("1,234.5", Decimal("1234.50")), ("¥12.30", Decimal("12.30"))])
def test_money_cells_are_exact(value, expected):
    from formsmith.sheets import cells
    got = cells.money(value)
    assert got == expected and str(got) == str(expected)


@pytest.mark.parametrize("value", [1.234, "1.234", 0.001, "abc", -5, True])
def test_money_cells_refused(value):
    from formsmith.sheets import cells
    with pytest.raises(cells.CellError):
        cells.money(value)


@pytest.mark.parametrize("value, expected", [
    (45658, date(2025, 1, 1)), (datetime(2025, 1, 5, 0, 0), date(2025, 1, 5)), ("2025/1/5", date(2025, 1, 5)),
    ("2025年1月5日", date(2025, 1, 5)), ("2025-01-05", date(2025, 1, 5))])
def test_date_cells(value, expected):
    from formsmith.sheets import cells
    assert cells.day(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("2025-1", "2025-01"), ("2025年3月", "2025-03"), ("2025/12", "2025-12"), ("202507", "2025-07"),
    (datetime(2025, 2, 1), "2025-02"), ("2025-02-15", "2025-02")])
def test_month_cells(value, expected):
    from formsmith.sheets import cells
    assert cells.month(value) == expected


def test_an_agreed_service_address_is_imported_and_exported(home, run, tmp_path):
    """约定送达地址: the address an owner agreed in writing for the letters (they go there)."""
    path = write_xlsx(tmp_path / "owners.xlsx", ["房号", "业主姓名", "身份证号", "约定送达地址"],
                      [["1-1-101", "张伟", ID_A, "上海市浦东新区张杨路1500号"]])
    assert run(home, "records", "import", "owners", str(path)).exit_code == 0
    (owner,) = [p for p in table(home, "parties").values() if p["name"] == "张伟"]
    assert owner["service_address"] == "上海市浦东新区张杨路1500号"
    out = tmp_path / "back.xlsx"
    assert run(home, "records", "export", "owners", str(out)).exit_code == 0
    cells = [[c.value for c in r] for r in load_workbook(out).active.iter_rows()]
    col = cells[0].index("约定送达地址")
    assert cells[1][col] == "上海市浦东新区张杨路1500号"
