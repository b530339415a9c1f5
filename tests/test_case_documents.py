"""Documents printed from case records (issue 18): each states what the case's events record.

GIVEN the demo (a month of November 2025 cases; `init --demo` prints a work order, a callback
record, a complaint reply and a day log from them) and a paid repair recorded here, WHEN the
clerk prints from a case (`formsmith cases print`, `cases log`), THEN the text read back from
the PDF carries the case number, its events' dates, the callback result, and the receipt number
only once the ledger records the payment; a case that cannot have the document is refused with
one line naming the case and the field. Each document is rendered once for the module."""
from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from formsmith import issuing
from formsmith.cli import cli
from formsmith.errors import FormsmithError
from formsmith.workspace import find_workspace

AS_OF = "2025-12-01"


def _text(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return _flat("".join(page.get_textpage().get_text_range() for page in pdf))
    finally:
        pdf.close()


def _flat(text: str) -> str:
    """Text without white space: the PDF's cells and line breaks fall between any two words."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("casedocs") / "ws"
    shutil.copytree(demo_home, dest, symlinks=True)
    return dest


def _cli(home: Path, *args: str):
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def _ok(home: Path, *args: str) -> dict:
    r = _cli(home, *args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _case(home: Path, desc: str) -> dict:
    return next(c for c in _ok(home, "cases", "list") if c["description"] == desc)


def _issued(home: Path, template: str, key: str, value: str) -> Path:
    ws = find_workspace(str(home))
    with ws.store.snapshot() as view:
        doc = next(d for d in view.find("documents", template=template) if d["record"].get(key) == value)
    return home / doc["path"]


@pytest.fixture(scope="module")
def paid(home):
    """A paid repair recorded now: opened, dispatched, done with its fee; its 有偿服务登记表
    printed before the payment, then the payment at the counter and the form printed again."""
    unit = "1-1-101"
    case = _ok(home, "cases", "open", "repair", unit, "--category", "other", "--desc", "更换卫生间门锁",
               "--reporter", "王先生", "--at", "2025-12-01T09:00")["id"]
    _ok(home, "cases", "dispatch", case, "--to", "周志强", "--at", "2025-12-01T09:10")
    _ok(home, "cases", "done", case, "--paid", "--fee", "80.00", "--note", "更换门锁锁芯", "--at", "2025-12-01T11:00")
    before = _ok(home, "cases", "print", case, "--as", "paid-repair", "--as-of", AS_OF)
    receipt = _ok(home, "pay", unit, "80.00", "--method", "现金", "--item", f"有偿维修服务费（{case}）",
                  "--date", AS_OF)["receipt"]["doc_no"]
    after = _ok(home, "cases", "print", case, "--as", "paid-repair", "--as-of", AS_OF,
                "--replaces", before["doc_no"])
    return {"case": case, "receipt": receipt, "before": _text(Path(before["path"])),
            "after": _text(Path(after["path"]))}


@pytest.fixture(scope="module")
def printed(home):
    """One render of each other document printed from the demo's cases."""
    visit = _case(home, "托管房屋走访：查看门窗水电")["id"]
    major = _case(home, "电梯困人约40分钟，救援迟缓")["id"]
    return {
        "visit": (visit, _text(Path(_ok(home, "cases", "print", visit, "--as-of", AS_OF)["path"]))),
        "complaint": (major, _text(Path(_ok(home, "cases", "print", major, "--as-of", AS_OF)["path"]))),
        "register": _text(Path(_ok(home, "cases", "log", "--from", "2025-11-01", "--to", "2025-11-30",
                                   "--as", "inquiry-register", "--as-of", AS_OF)["path"])),
    }


def test_the_demo_prints_a_work_order_a_callback_a_reply_and_a_day_log_from_its_cases(home):
    order_case = _case(home, "单元防火门闭门器损坏")
    order = _text(_issued(home, "repair-order", "case_id", order_case["id"]))
    for phrase in ("维修工作单", "业主报修登记", order_case["id"], "2025-11-28 15:00", "2025-11-28 15:10，派张建华",
                   "单元防火门闭门器损坏", "维修完成情况", "业主验收确认"):
        assert _flat(phrase) in order, phrase
    assert "验收登记表" not in order              # a case's order, not a move-in defect's

    leak = _case(home, "外墙窗边渗水")
    callback = _text(_issued(home, "repair-callback", "repair_id", leak["id"]))
    for phrase in (leak["id"], "2025年11月12日", "2025年11月20日", "试漏日期2025年11月22日",
                   "应于2025年11月25日", "2025年11月24日", "淋水试验无渗漏",
                   "2025年11月13日完成，2025年11月17日回访：雨后窗边仍有水迹（不满意），返修", "回访人李娜"):
        assert _flat(phrase) in callback, phrase

    major = _case(home, "电梯困人约40分钟，救援迟缓")
    reply = _text(_issued(home, "complaint-reply", "case_id", major["id"]))
    for phrase in ("投诉处理答复函", major["id"], "2025年11月20日7时50分", "按重大投诉受理",
                   "答复意见（2025年11月21日）：已约谈电梯维保单位", "截至发函之日尚未办结",
                   "（盖章）", "2025年12月1日"):
        assert _flat(phrase) in reply, phrase
    assert "回执" not in reply

    day = _text(_issued(home, "service-log", "day", "2025-11-20"))
    for phrase in ("客服工作日志", "2025年11月20日", "07:50", major["id"], "交管理处主任", leak["id"],
                   "当日记录4条", "登记1条", "派工1条", "完成1条", "上报1条"):
        assert _flat(phrase) in day, phrase


def test_the_receipt_number_appears_only_once_the_ledger_records_the_payment(paid):
    for text in (paid["before"], paid["after"]):
        for phrase in ("业主报修有偿服务登记表", paid["case"], "更换卫生间门锁", "更换门锁锁芯", "周志强",
                       "¥80.00", "捌拾元整"):
            assert _flat(phrase) in text, phrase
    assert "未收款" in paid["before"] and paid["receipt"] not in paid["before"] and "No." not in paid["before"]
    assert _flat(f"已于2025年12月1日收款（现金），收款收据 {paid['receipt']}") in paid["after"]


def test_a_visit_a_complaint_record_and_the_period_register(printed):
    visit, text = printed["visit"]
    for phrase in ("走访记录表", visit, "托管房屋走访：查看门窗水电", "2025-11-08 11:00", "门窗完好，总阀已关闭"):
        assert _flat(phrase) in text, phrase
    major, text = printed["complaint"]
    for phrase in ("投诉处理记录", major, "2025年11月20日 07:50", "重大投诉", "管理处主任",
                   "2025-11-21 管理处主任答复", "实际答复：2025年11月21日"):
        assert _flat(phrase) in text, phrase
    reg = printed["register"]
    for phrase in ("来电来访登记表", "2025年11月1日至2025年11月30日", "LD2025-0001", "LD2025-0004",
                   "当场答复", "转停车场管理员", "承诺2025-11-17 17:00前答复", "2025-11-17 11:00答复",
                   "共4件：当场答复2件，转办2件（已答复1件，待答复1件）"):
        assert _flat(phrase) in reg, phrase


@pytest.mark.parametrize("desc, template, field", [
    ("马桶水箱不停进水", "repair-callback", "state"),               # not done
    ("马桶水箱不停进水", "paid-repair", "state"),
    ("客厅吊灯不亮", "complaint-reply", "kind"),                    # a repair, not a complaint
    ("垃圾桶未及时清运有异味", "complaint-reply", "answer"),          # no answer recorded
    ("卧室插座无电", "paid-repair", "paid"),                         # done, but not paid
])
def test_a_case_that_cannot_have_the_document_is_refused_naming_the_case_and_field(home, desc, template, field):
    case = _case(home, desc)["id"]
    ws = find_workspace(str(home))
    with pytest.raises(FormsmithError) as exc:
        issuing.prepare(ws, template, record=case, as_of=date(2025, 12, 1))
    line = str(exc.value)
    assert case in line and f"字段 {field}" in line, line


def test_a_leak_repair_still_in_its_leak_test_gets_no_callback_form_on_either_path(home):
    ws = find_workspace(str(home))
    case = _ok(home, "cases", "open", "repair", "1-1-102", "--category", "leak", "--desc", "厨房顶板渗水",
               "--at", "2025-12-01T08:00")["id"]
    with pytest.raises(FormsmithError) as exc:
        issuing.prepare(ws, "repair-callback", record=case, as_of=date(2025, 12, 1))
    assert case in str(exc.value) and "字段 leak_test" in str(exc.value) and "试漏" in str(exc.value)
    r = _cli(home, "cases", "print", case, "--as", "repair-callback", "--as-of", AS_OF)
    assert r.exit_code == 2 and case in r.output and "leak_test" in r.output
    # a data file about that case is refused by what the store records of it
    data = dict(ws.catalog.get("repair-callback").example, repair_id=case, unit="1-1-102")
    with pytest.raises(FormsmithError) as exc:
        issuing.prepare(ws, "repair-callback", data=data, as_of=date(2025, 12, 1))
    assert case in str(exc.value) and "试漏" in str(exc.value)
    # and a data file of a repair the store does not know, whose leak test is still to come
    data = dict(ws.catalog.get("repair-callback").example, completed_on="2025-11-30", leak_test_on="2025-12-03")
    with pytest.raises(FormsmithError) as exc:
        issuing.prepare(ws, "repair-callback", data=data, as_of=date(2025, 12, 1))
    assert "字段 leak_test_on" in str(exc.value) and "尚在试漏" in str(exc.value)


def test_one_document_per_case_and_a_register_claimed_by_a_data_file_must_be_the_stores(home, printed):
    visit, _ = printed["visit"]
    r = _cli(home, "cases", "print", visit, "--as-of", AS_OF)
    assert r.exit_code == 2 and visit in r.output and "一案一份" in r.output
    r = _cli(home, "cases", "print", _case(home, "询问车位租赁是否还有空位")["id"])
    assert r.exit_code == 2 and "cases log --day 2025-11-14 --as inquiry-register" in r.output
    ws = find_workspace(str(home))
    data = dict(ws.catalog.get("inquiry-register").example, period="2025-11-14", period_from="2025-11-14",
                period_to="2025-11-14")                          # a day of the demo's: LD2025-0002
    with pytest.raises(FormsmithError) as exc:
        issuing.prepare(ws, "inquiry-register", data=data, as_of=date(2025, 12, 1))
    assert "字段 lines" in str(exc.value) and "LD2025-0002" in str(exc.value)


def test_an_unpaid_repair_fee_is_no_property_fee_arrears(home):
    """GIVEN a paid repair done on 2025-11-20 whose 有偿维修服务费 is still unpaid on 2025-12-01,
    on a unit owing nothing else and on a unit owing 物业服务费: the fee is the price of a
    service the owner ordered, not 物业费 (民法典 第九百四十四条), so no 缴费通知单 or 催缴函 claims it,
    the unit owing only the fee is due for no letter, and the other's letter sums its property
    charges alone."""
    from formsmith.processes.arrears import policy as dunning
    ws = find_workspace(str(home))
    as_of = date(2025, 12, 1)
    with ws.store.snapshot() as view:
        owing = next(s.unit for s in dunning.statuses(view, dunning.policy(ws), as_of))
        clear = next(u["id"] for u in view.all("units")
                     if not any(not c.get("paid_on") for c in view.find("charges", unit=u["id"])))
    for unit in (owing, clear):
        case = _ok(home, "cases", "open", "repair", unit, "--category", "other", "--desc", "更换厨房水龙头",
                   "--reporter", "业主", "--at", "2025-11-20T09:00")["id"]
        _ok(home, "cases", "done", case, "--paid", "--fee", "120.00", "--note", "更换水龙头", "--at", "2025-11-20T11:00")
    with ws.store.snapshot() as view:
        due = {s.unit: s for s in dunning.statuses(view, dunning.policy(ws), as_of)}
        fees = {c["unit"]: c for c in view.all("charges") if c.get("case") and not c.get("paid_on")}
    assert fees[owing]["amount"] == fees[clear]["amount"] == "120.00"       # the ledger does hold them
    assert clear not in due and owing in due
    _, data, _ = issuing.prepare(ws, "payment-notice", unit=owing, as_of=as_of)
    assert not [i for i in data["items"] if "有偿维修" in i["item"]], data["items"]
    with ws.store.snapshot() as view:
        property_owed = sum(Decimal(c["amount"]) for c in view.find("charges", unit=owing)
                            if not c.get("paid_on") and not c.get("case") and c["due"] < as_of.isoformat())
    assert Decimal(data["total"]) == property_owed
    with pytest.raises(FormsmithError) as refused:
        issuing.prepare(ws, "payment-notice", unit=clear, as_of=as_of)
    assert clear in str(refused.value) and "无逾期欠费（物业服务费）" in str(refused.value)
