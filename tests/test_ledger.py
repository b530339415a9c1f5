"""The ledger and the recorded-facts rule (issue 16): a payment clears charges before a receipt
exists, a receipt exists only for a recorded payment, a data file naming a unit the store knows
agrees with it or is refused, numbers never run against dates, the handbook publishes the fee
schedule the charges follow. Each scenario through the real CLI on a copy of the demo."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from formsmith import fees
from formsmith.workspace import load_workspace
from pdftools import attachment_json, page_texts

AS_OF = "2025-12-01"


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("ledger") / "ws"
    shutil.copytree(demo_home, dest)
    return dest


def store_rows(home: Path, table: str) -> list[dict]:
    with load_workspace(home).store.snapshot() as view:
        return view.all(table)


def owing(home: Path, months: int, at_least: bool = False) -> str:
    """A unit (owner an individual, no document yet) owing exactly (or `at_least`) `months`
    months as of the demo date."""
    with load_workspace(home).store.snapshot() as view:
        by_unit: dict[str, set[str]] = {}
        for c in view.all("charges"):
            if not c.get("paid_on") and c["due"] < AS_OF:
                by_unit.setdefault(c["unit"], set()).add(c["period"])
        docs = {d["unit"] for d in view.all("documents")}
        owners = {u["id"]: view.get("parties", u["owner"]) for u in view.all("units")}
    return min(u for u, ps in by_unit.items() if (len(ps) >= months if at_least else len(ps) == months)
               and u not in docs
               and owners[u]["kind"] == "individual")


def open_total(home: Path, unit: str, through: str | None = None) -> Decimal:
    return sum((Decimal(c["amount"]) for c in store_rows(home, "charges")
                if c["unit"] == unit and not c.get("paid_on") and (through is None or c["period"] <= through)),
               Decimal("0.00"))


def snapshot_of(home: Path) -> tuple[bytes, list[str]]:
    """The committed store and every file under output/: what "nothing written" compares."""
    return ((home / "records" / "formsmith.json").read_bytes(),
            sorted(str(p.relative_to(home)) for p in (home / "output").rglob("*") if p.is_file()))


def test_a_paid_owner_gets_no_notice_letter_or_legal_notice_for_what_was_paid(home, run, run_json):
    unit = owing(home, 3)
    total = open_total(home, unit)
    paid = run_json(home, "pay", unit, str(total), "--method", "现金", "--date", AS_OF)
    assert Decimal(paid["payment"]["amount"]) == total and len(paid["payment"]["charges"]) >= 3
    for template in ("payment-notice", "dunning-letter", "legal-notice"):
        refused = run(home, "render", template, "--unit", unit, "--as-of", AS_OF)
        assert refused.exit_code == 2 and "无逾期欠费" in refused.stderr, (template, refused.stderr)
    account = run_json(home, "records", "ledger", unit)
    assert Decimal(account["owed"]) == 0
    # reconcilable: what was received (every recorded payment) is what the paid charges add up to
    assert Decimal(account["received"]) == Decimal(account["paid"]) == Decimal(account["cleared_by_payments"])
    assert paid["receipt"]["doc_no"] in [p["receipt"] for p in account["payments"]]
    # the month-end run has nothing to send this owner
    plan = run_json(home, "dunning", "run", "--as-of", AS_OF, "--dry-run")
    assert unit not in json.dumps(plan, ensure_ascii=False)


def test_a_partial_payment_leaves_only_the_later_months_on_the_letter(home, run_json):
    unit = owing(home, 4)
    months = sorted({c["period"] for c in store_rows(home, "charges")
                     if c["unit"] == unit and not c.get("paid_on") and c["due"] < AS_OF})
    first_two = months[1]
    paid = run_json(home, "pay", unit, str(open_total(home, unit, first_two)), "--method", "微信支付",
                    "--through", first_two, "--date", AS_OF)
    receipt = paid["receipt"]
    record = attachment_json(home / receipt["path"])["data"]
    assert [(i["period_from"], i["period_to"]) for i in record["items"]][0] == (months[0], first_two)
    letter = run_json(home, "render", "dunning-letter", "--unit", unit, "--as-of", AS_OF)
    items = attachment_json(Path(letter["path"]))["data"]["items"]
    assert sorted({i["period"] for i in items}) == months[2:]
    assert Decimal(attachment_json(Path(letter["path"]))["data"]["total"]) == open_total(home, unit)


def test_a_wrong_amount_records_nothing_and_issues_nothing(home, run):
    unit = owing(home, 2)
    before = snapshot_of(home)
    result = run(home, "pay", unit, str(open_total(home, unit) - Decimal("0.01")), "--method", "现金",
                 "--date", AS_OF)
    assert result.exit_code == 2 and "不符" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot_of(home) == before


def test_a_receipt_only_for_a_recorded_payment(home, run, tmp_path):
    data = tmp_path / "receipt.json"
    data.write_text(json.dumps(load_workspace(home).catalog.get("fee-receipt").example, ensure_ascii=False),
                    encoding="utf-8")
    before = snapshot_of(home)
    result = run(home, "render", "fee-receipt", "--data", str(data), "--as-of", AS_OF)
    assert result.exit_code == 2 and "已登记的收款" in result.stderr
    assert snapshot_of(home) == before


def test_voiding_a_receipt_reopens_its_charges_and_keeps_its_number(home, run_json):
    unit = owing(home, 1)
    paid = run_json(home, "pay", unit, str(open_total(home, unit)), "--method", "银行卡", "--date", AS_OF)
    doc_no = paid["receipt"]["doc_no"]
    voided = run_json(home, "ledger", "void", doc_no, "--reason", "收款金额录错，退回重收")
    assert voided["state"] == "void" and voided["voided"]["reason"] == "收款金额录错，退回重收"
    charges = {c["id"]: c for c in store_rows(home, "charges")}
    assert all(not charges[c]["paid_on"] and not charges[c].get("payment") for c in paid["payment"]["charges"])
    doc = next(d for d in store_rows(home, "documents") if d["doc_no"] == doc_no)
    assert doc["state"] == "void" and doc["events"][-1]["note"] == "收款金额录错，退回重收"
    # the 作废 copy: every page of the receipt stamped 作废 with the reason; the issued file unchanged
    (copy,) = [v for v in doc["versions"] if v["kind"] == "void"]
    texts = page_texts(home / copy["path"])
    assert len(texts) == doc["pages"] == 1             # the three 联 on one sheet
    assert all("作" in t and "废" in t and "收款金额录错，退回重收" in t for t in texts)
    assert hashlib.sha256((home / doc["path"]).read_bytes()).hexdigest() == doc["sha256"]
    checked = subprocess.run(["qpdf", "--check", str(home / copy["path"])], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert run_json(home, "verify", str(home / copy["path"]))["verified"]
    again = run_json(home, "pay", unit, str(open_total(home, unit)), "--method", "现金", "--date", AS_OF)
    assert again["receipt"]["doc_no"] != doc_no       # a new number; the void one stays void


def test_a_data_file_that_disagrees_with_the_store_is_refused_naming_each_field(home, run, tmp_path):
    """The issue's case: the example letter names 1-2-301 with another owner, area and amount."""
    ws = load_workspace(home)
    data = dict(ws.catalog.get("dunning-letter").example, unit="1-2-301",
                unit_address="阳光花园1栋2单元301室")
    path = tmp_path / "letter.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = snapshot_of(home)
    result = run(home, "render", "dunning-letter", "--data", str(path), "--as-of", AS_OF)
    assert result.exit_code == 2, result.output
    for field in ("owner_name", "area", "total", "items"):
        assert f"字段 {field}" in result.stderr, (field, result.stderr)
    assert "登记为“潘磊”" in result.stderr and "Traceback" not in result.stderr
    assert snapshot_of(home) == before


def test_a_data_file_naming_no_store_unit_still_fills_the_template(home, run_json, tmp_path):
    ws = load_workspace(home)
    path = tmp_path / "letter.json"
    path.write_text(json.dumps(ws.catalog.get("move-in-registration").example, ensure_ascii=False),
                    encoding="utf-8")
    issued = run_json(home, "render", "move-in-registration", "--data", str(path), "--as-of", AS_OF)
    assert issued["doc_no"]


def test_a_backdated_document_is_refused_naming_the_number_it_would_break(home, run):
    unit = owing(home, 10, at_least=True)     # owing since before April: April has arrears too
    before = snapshot_of(home)
    result = run(home, "render", "dunning-letter", "--unit", unit, "--as-of", "2025-04-01")
    assert result.exit_code == 2, result.output
    assert "倒签" in result.stderr and "物催字〔2025〕" in result.stderr and "2025-12-01" in result.stderr
    assert snapshot_of(home) == before


def test_the_handbook_publishes_the_schedule_the_charges_follow(home, run, tmp_path):
    ws = load_workspace(home)
    with ws.store.snapshot() as view:
        assert fees.billing_problems(view) == []           # the demo's charges follow the schedule
        published = fees.published_lines(view)
    from formsmith import issuing
    _, values, _ = issuing.prepare(ws, "owner-handbook", data=ws.catalog.get("owner-handbook").example)
    assert [(f["item"], str(f["price"])) for f in values["fees"]] == [(p["item"], p["price"]) for p in published]
    assert ("车位管理费", "150.00") in [(f["item"], str(f["price"])) for f in values["fees"]]
    assert ("物业服务费（托管房屋）", "1.54") in [(f["item"], str(f["price"])) for f in values["fees"]]
    data = dict(ws.catalog.get("owner-handbook").example)
    data["fees"] = [dict(f) for f in data["fees"]]
    data["fees"][2]["price"] = "60.00"
    path = tmp_path / "handbook.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = run(home, "render", "owner-handbook", "--data", str(path), "--as-of", AS_OF)
    assert result.exit_code == 2 and "收费标准不符" in result.stderr


def test_a_charge_that_does_not_follow_the_schedule_is_reported(home, run):
    ok = run(home, "ledger", "check")
    assert ok.exit_code == 0 and "一致" in ok.stdout
    ws = load_workspace(home)
    with ws.store.transaction() as tx:
        charge = next(c for c in tx.all("charges") if c["item"] == "车位管理费" and not c.get("paid_on"))
        tx.update("charges", charge["id"], {"amount": "60.00"})
    bad = run(home, "ledger", "check")
    assert bad.exit_code == 3 and charge["id"] in bad.stdout and "150.00" in bad.stdout
    with ws.store.transaction() as tx:
        tx.update("charges", charge["id"], {"amount": charge["amount"]})


def test_the_demo_receipt_states_its_payment(home):
    payment = next(p for p in store_rows(home, "payments") if p.get("receipt"))
    doc = next(d for d in store_rows(home, "documents") if d["doc_no"] == payment["receipt"])
    (text,) = page_texts(home / doc["path"])
    assert "第二联收据联" in text and text.count(f"收款方式：{payment['method']}") == 3
    record = attachment_json(home / doc["path"])["data"]
    assert record["total"] == payment["amount"] and record["unit"] == payment["unit"]


def test_a_callback_form_from_a_data_file_that_disagrees_with_the_repair_is_refused(home, run, tmp_path):
    """The 维修回访记录 of a repair the store holds says what the repair record says, or nothing
    is issued: the data claims BX2025-0101 was a leak, done on another day."""
    ws = load_workspace(home)
    data = dict(ws.catalog.get("repair-callback").example, repair_id="BX2025-0101", unit="1-1-502",
                unit_address="阳光花园1栋1单元502室", category="房屋渗漏水维修")
    path = tmp_path / "callback.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = snapshot_of(home)
    result = run(home, "render", "repair-callback", "--data", str(path), "--as-of", AS_OF)
    assert result.exit_code == 2, result.output
    assert "字段 category" in result.stderr and "BX2025-0101 登记为“安全设施维修”" in result.stderr
    assert snapshot_of(home) == before


def test_custody_is_billed_at_the_share_from_the_agreements_start_only(home, run):
    """The 70 % runs from the month the custody agreement starts (custody.since, the agreement's
    托管期限自…起); a month before it billed at the share is reported, as is one after it in full."""
    from formsmith.processes.custody import rules as custody_rules
    ws = load_workspace(home)
    with ws.store.transaction() as tx:
        unit = next(u for u in tx.all("units") if u["status"] == "custody")
        full = custody_rules.full_fee(Decimal(unit["area"]), Decimal(unit["fee_rate"]))
        share = custody_rules.custody_fee(full)
        assert unit["custody"]["since"] == "2025-03-01"
        early, late = f"C{unit['id']}-2025-02-FEE", f"C{unit['id']}-2025-03-FEE"
        assert (Decimal(tx.get("charges", early)["amount"]), Decimal(tx.get("charges", late)["amount"])) == (full, share)
        tx.update("charges", early, {"amount": str(share)})
        tx.update("charges", late, {"amount": str(full)})
    bad = run(home, "ledger", "check")
    assert bad.exit_code == 3
    lines = {line.split("：")[0]: line for line in bad.stdout.splitlines() if "应收 C" in line}
    assert f"= {full} 元" in lines[f"应收 {early}"] and "（托管）" not in lines[f"应收 {early}"]
    assert f"（托管） = {share} 元" in lines[f"应收 {late}"]
    with ws.store.transaction() as tx:        # the module's workspace as it was
        tx.update("charges", early, {"amount": str(full)})
        tx.update("charges", late, {"amount": str(share)})
