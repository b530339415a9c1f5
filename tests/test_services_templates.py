"""Services and records templates: each issued from its example (and from the store where a clerk
would), read back as a clerk and an archivist would; their rules tested as rules."""
from __future__ import annotations

import json
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest

from formsmith import formats, issuing
from formsmith.errors import InputError, ValidationError
from formsmith.workspace import load_workspace
from pdftools import attachment_json, fonts_embedded, our_page_codes, page_texts, xmp_text
from receipt_checks import assert_receipt_sheet

TEMPLATES = ("satisfaction-survey", "repair-callback", "complaint-record", "release-pass",
             "service-acceptance", "fee-receipt")
SERIES = {
    "satisfaction-survey": r"物征字〔2025〕\d+号",
    "repair-callback": r"物访字〔2025〕\d+号",
    "complaint-record": r"物投字〔2025〕\d+号",
    "release-pass": r"物放字〔2025〕\d+号",
    "service-acceptance": r"物便字〔2025〕\d+号",
    "fee-receipt": r"No\.2025\d{6}",
}
AS_OF = date(2025, 12, 1)


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory) -> Path:
    """A private copy of the demo workspace for this module (the session demo stays untouched)."""
    dest = tmp_path_factory.mktemp("services") / "ws"
    shutil.copytree(demo_home, dest)
    return dest


@pytest.fixture(scope="module")
def ws(home):
    return load_workspace(home)


def _documents(home: Path) -> dict[str, dict]:
    """The documents recorded in the workspace's store, by doc_id (read through the store's API)."""
    with load_workspace(home).store.snapshot() as view:
        return {d["doc_id"]: d for d in view.all("documents")}


@pytest.fixture(scope="module")
def issued(home, ws, from_store):
    """Every template issued once from its example data: template id → (pdf path, store row).

    The survey's example household got its survey from the store already (`from_store`), so the
    example is issued again on purpose.
    """
    out = {}
    for tid in TEMPLATES:
        if tid == "repair-callback":
            continue  # issued from the store below, as a clerk does
        if tid == "fee-receipt":   # only ever for a recorded payment: taken at the counter
            out[tid] = _pay_at_the_counter(ws).receipt
            continue
        doc = issuing.issue_document(ws, tid, data=ws.catalog.get(tid).example, as_of=AS_OF,
                                     again=True)
        out[tid] = doc
    store = _documents(home)
    return {tid: (Path(d.path), store[d.doc_id]) for tid, d in out.items()}


def _pay_at_the_counter(ws):
    """An owner with two months open pays them: the ledger records it and issues the receipt."""
    from formsmith.processes.ledger import payments
    with ws.store.snapshot() as view:
        open_ = {}
        for c in view.all("charges"):
            if not c.get("paid_on") and c["due"] < AS_OF.isoformat():
                open_.setdefault(c["unit"], []).append(c)
    unit = min(u for u, cs in open_.items() if len({c["period"] for c in cs}) == 2)
    total = sum(Decimal(c["amount"]) for c in open_[unit])
    return payments.pay(ws, unit, total, method="微信支付", paid_on=AS_OF)


@pytest.fixture(scope="module")
def from_store(home):
    """The clerk's way, through the real CLI: a survey for one household, a callback for a repair."""
    from click.testing import CliRunner
    from formsmith.cli import cli
    runner = CliRunner()
    out = {}
    for tid, args in (("satisfaction-survey", ("--unit", "1-1-101")),
                      ("repair-callback", ("--record", "BX2025-0101"))):
        r = runner.invoke(cli, ["--home", str(home), "render", tid, *args, "--as-of", "2025-12-01",
                                "--json"], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        out[tid] = json.loads(r.stdout)
    store = _documents(home)
    return {tid: (Path(d["path"]), store[d["doc_id"]]) for tid, d in out.items()}


@pytest.fixture(scope="module")
def every_doc(issued, from_store):
    return {**issued, "survey-from-store": from_store["satisfaction-survey"],
            "repair-callback": from_store["repair-callback"]}


# ---------------------------------------------------------------- issued documents read back

def test_every_template_is_listed_with_its_series(ws):
    ids = {t.id: t for t in ws.catalog.list()}
    for tid in TEMPLATES:
        assert tid in ids
        n = ids[tid].series.format(year=2025, seq=7)
        assert re.fullmatch(SERIES[tid], n), n


def test_each_document_is_signed_ready(every_doc):
    """PDF/A-3b claimed, fonts embedded, our QR on every page, the record attached and equal."""
    for name, (path, doc) in every_doc.items():
        assert re.fullmatch(SERIES[doc["template"]], doc["doc_no"]), doc["doc_no"]
        xmp = xmp_text(path)
        assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)B', xmp)
        fonts = fonts_embedded(path)
        assert fonts and all(fonts.values()), (name, fonts)
        codes_per_page = our_page_codes(path)
        assert len(codes_per_page) == doc["pages"], name
        assert [[(c.doc_id, c.page, c.pages) for c in cs] for cs in codes_per_page] == \
            [[(doc["doc_id"], n, doc["pages"])] for n in range(1, doc["pages"] + 1)], name
        attached = attachment_json(path)
        assert attached["doc_no"] == doc["doc_no"] and attached["data"] == doc["record"], name


def test_survey_has_an_empty_box_per_item_and_rating(from_store):
    path, doc = from_store["satisfaction-survey"]
    text = page_texts(path)[0]
    rec = doc["record"]
    assert doc["pages"] == 1 and doc["unit"] == "1-1-101"
    for phrase in ("业主意见征询表", "2025年度", rec["owner_name"], "阳光花园1栋1单元101室",
                   "满意", "较满意", "一般", "不满意", "对物业服务的总体评价", "2025年12月16日前交回",
                   "业主签字", "（盖章）", "2025年12月1日"):
        assert phrase in text, phrase
    for item in rec["items"]:
        assert item["name"] in text
    # the boxes the owner ticks: real drawn squares, none ticked, 4 per rated row (+1 in the
    # instruction "请在□内打√")
    assert _squares(path) == (len(rec["items"]) + 1) * 4 + 1
    assert _ticks(path) == 0


def test_repair_callback_from_the_store_shows_the_deadline(from_store):
    path, doc = from_store["repair-callback"]
    text = page_texts(path)[0]
    rec = doc["record"]
    assert doc["unit"] == rec["unit"] != "BX2025-0101"          # the row is about the unit
    assert rec["repair_id"] == "BX2025-0101" and rec["category"] == "安全设施维修"
    assert rec["completed_on"] == "2025-11-24" and rec["callback_due"] == "2025-11-26"
    for phrase in ("维修回访记录", "BX2025-0101", "入户门锁损坏无法反锁", "安全设施维修：维修完成后2天内回访",
                   "应于2025年11月26日（含当日）前完成回访", "住户确认（签字）", "回访人（签字）"):
        assert phrase in text, phrase
    assert _ticks(path) == 1          # the category is ticked; the outcome is left to the caller
    # a blank form made after the deadline says so (issued 2025-12-01, due 2025-11-26)
    assert "本表于2025年12月1日开具，已超过回访时限5天" in text and rec["issued_late_days"] == 5


def test_a_blank_callback_form_on_time_says_nothing_of_lateness(ws):
    v = _prepare(ws, "repair-callback", as_of=date(2025, 12, 1), repair_id="BX-T5")
    assert v["callback_due"] == date(2025, 12, 1) and v["issued_late_days"] == 0
    assert _prepare(ws, "repair-callback", as_of=date(2025, 12, 3), repair_id="BX-T5")["issued_late_days"] == 2


def test_the_data_path_refuses_a_callback_during_the_leak_test_as_the_store_path_does(ws):
    """Issued on 2025-11-27 for a repair done on the 26th, the example's leak test (2025-11-28) is
    not over: refused, naming the field; nor is a form made for a repair not finished yet."""
    leak = _refused(ws, "repair-callback", "leak_test_on", as_of=date(2025, 11, 27), repair_id="BX-T6",
                    completed_on="2025-11-26")
    assert any("尚在试漏" in p for p in leak.problems)
    unfinished = _refused(ws, "repair-callback", "completed_on", as_of=date(2025, 11, 26), repair_id="BX-T6")
    assert any("维修尚未完成" in p for p in unfinished.problems)


def test_complaint_record_prints_its_deadlines(issued):
    path, doc = issued["complaint-record"]
    text = page_texts(path)[0]
    for phrase in ("投诉处理记录", "重要投诉", "部门主管", "2025年11月27日15时20分前",
                   "2025年11月30日前处理完毕", "投诉人确认（签字）"):
        assert phrase in text, phrase


def test_release_pass_lists_goods_and_the_gate_check(issued):
    path, doc = issued["release-pass"]
    text = page_texts(path)[0]
    for phrase in ("物品放行条", "冰箱", "纸箱（衣物、书籍）", "业主已同意搬出（业主书面同意）", "门岗查验",
                   "安护员（签字）", "仅限2025年12月1日当日一次有效", "（盖章）"):
        assert phrase in text, phrase
    # the goods counted per unit of measure, never 1张+1组+2台+12箱 = "16"
    assert "合计（按单位）1张、1组、2台、12箱，共5项" in text and "16" not in text
    assert doc["record"]["totals"] == [{"measure": "张", "quantity": 1}, {"measure": "组", "quantity": 1},
                                       {"measure": "台", "quantity": 2}, {"measure": "箱", "quantity": 12}]
    # one seal, the company's: the one the seal area asks for and the note names
    assert "客户服务中心印章" not in text and "加盖阳光物业服务有限公司印章（上方盖章处）后有效" in text
    assert text.count("（盖章）") == 1 and [f["kind"] for f in doc["signature_fields"]] == ["seal"]


def test_service_form_shows_fee_in_words_and_acceptance(issued):
    path, doc = issued["service-acceptance"]
    text = page_texts(path)[0]
    assert "合计人民币（大写）：肆佰叁拾捌元叁角陆分" in text and "¥438.36" in text
    for phrase in ("便民服务委托及验收单", "服务验收", "委托人验收（签字）", "验收合格后收取¥438.36", "（盖章）"):
        assert phrase in text, phrase


def test_fee_receipt_is_one_sheet_of_three_parts_with_its_seal_place(issued, ws):
    path, doc = issued["fee-receipt"]
    assert re.fullmatch(r"No\.2025\d{6}", doc["doc_no"])
    rec = doc["record"]
    total = Decimal(rec["total"])
    assert total == sum(Decimal(i["amount"]) for i in rec["items"])
    assert_receipt_sheet(path, doc, ws.company.name, total, formats.cn_date(rec["receipt_date"]))
    text = page_texts(path)[0]
    assert f"No.{doc['doc_no'].removeprefix('No.')}" in text and text.count("收款收据") == 3
    assert text.count(f"收款方式：{rec['payment_method']}") == 3


# ---------------------------------------------------------------- the rules, as rules

def _prepare(ws, tid, as_of=AS_OF, **changes):
    """The values `tid` gets from its example with `changes`, issued on `as_of`; a receipt's as
    the ledger gives them (no receipt from a data file: test_ledger.py)."""
    data = {**ws.catalog.get(tid).example, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    origin = "ledger" if tid == "fee-receipt" else None
    return issuing.prepare(ws, tid, data=data, as_of=as_of, origin=origin)[1]


def _refused(ws, tid, field, as_of=AS_OF, **changes):
    with pytest.raises(ValidationError) as exc:
        _prepare(ws, tid, as_of=as_of, **changes)
    assert any(field in p for p in exc.value.problems), exc.value.problems
    return exc.value


@pytest.mark.parametrize("category, completed, leak_test, due", [
    ("安全设施维修", "2025-11-24", None, date(2025, 11, 26)),
    ("其他维修", "2025-11-28", None, date(2025, 11, 30)),
    ("房屋渗漏水维修", "2025-11-27", "2025-11-28", date(2025, 12, 1)),
    ("房屋渗漏水维修", "2025-12-27", "2025-12-30", date(2026, 1, 2)),   # across the year end
])
def test_callback_deadline_per_kind_of_repair(ws, category, completed, leak_test, due):
    v = _prepare(ws, "repair-callback", max(AS_OF, date.fromisoformat(leak_test or completed)), repair_id="BX-T1",
                 category=category, reported_on="2025-11-20", completed_on=completed, leak_test_on=leak_test)
    assert v["callback_due"] == due
    assert ("试漏后3天" if leak_test else "维修完成后2天") in v["callback_basis"]


def test_a_late_callback_is_recorded_with_its_delay(ws):
    v = _prepare(ws, "repair-callback", repair_id="BX-T2", callback_on="2025-12-04", callback_way="电话")
    assert v["callback_due"] == date(2025, 12, 1) and v["callback_late_days"] == 3


@pytest.mark.parametrize("changes, field", [
    ({"leak_test_on": None}, "leak_test_on"),                                # leak without test
    ({"category": "其他维修"}, "leak_test_on"),                                # test on a non-leak
    ({"leak_test_on": "2025-11-26"}, "leak_test_on"),                         # test before repair
    ({"completed_on": "2025-11-20"}, "completed_on"),                         # done before reported
    ({"callback_on": "2025-11-27", "callback_way": "电话"}, "callback_on"),    # before the test
    ({"callback_on": "2025-11-30"}, "callback_way"),
    ({"category": "维修"}, "category"),
])
def test_callback_refuses_inconsistent_input(ws, changes, field):
    _refused(ws, "repair-callback", field, repair_id="BX-T3", **changes)


@pytest.mark.parametrize("severity, at, deadline, expect", [
    ("重大投诉", "09:05", None, dict(escalate_to="管理处主任", escalate_by="2025年11月27日当日",
                                   answer_by=date(2025, 11, 29), resolve_by=date(2025, 12, 7))),
    ("重要投诉", "14:20", None, dict(escalate_to="部门主管", escalate_by="2025年11月27日15时20分前",
                                   answer_by=None, resolve_by=date(2025, 11, 30))),
    ("重要投诉", "23:30", None, dict(escalate_by="2025年11月28日0时30分前")),   # past midnight
    ("轻微投诉", "10:00", None, dict(escalate_to="", resolve_by=date(2025, 11, 29))),
    ("轻微投诉", "10:00", "2025-12-05", dict(resolve_by=date(2025, 12, 5), resolve_from="住户要求的期限")),
])
def test_complaint_deadlines_by_severity(ws, severity, at, deadline, expect):
    v = _prepare(ws, "complaint-record", severity=severity, received_time=at, resident_deadline=deadline)
    for k, want in expect.items():
        assert v[k] == want, k


@pytest.mark.parametrize("changes, field", [
    ({"severity": "严重投诉"}, "severity"),
    ({"received_time": "25:10"}, "received_time"),
    ({"received_time": "下午两点"}, "received_time"),
    ({"resident_deadline": "2025-11-26"}, "resident_deadline"),
    ({"resolved_on": "2025-11-20", "result": "已修复"}, "resolved_on"),
    ({"answered_on": "2025-11-29", "resolved_on": "2025-11-28", "result": "已修复"}, "resolved_on"),
    ({"resolved_on": "2025-11-29"}, "result"),
])
def test_complaint_refuses_wrong_severity_and_inconsistent_dates(ws, changes, field):
    _refused(ws, "complaint-record", field, **changes)


def test_complaint_resolved_late_shows_the_delay(ws):
    v = _prepare(ws, "complaint-record", resolved_on="2025-12-02", result="查明为楼上防水层破损，已修复并赔偿吊顶")
    assert v["resolve_by"] == date(2025, 11, 30) and v["resolve_late_days"] == 2


def test_receipt_total_in_words_and_three_copies(ws):
    v = _prepare(ws, "fee-receipt", total=None, total_words="人民币（大写）：壹仟捌佰叁拾肆元壹角伍分")
    assert v["total"] == Decimal("1834.15") and v["total_words"] == "壹仟捌佰叁拾肆元壹角伍分"
    assert "copies" not in v           # the 联 are the shared receipt layout's (_base/receipt.html)


@pytest.mark.parametrize("changes, field", [
    ({"total": "1834.16"}, "total"),                                         # not the sum
    ({"total_words": "壹仟捌佰叁拾肆元伍角壹分"}, "total_words"),             # wrong capitals
    ({"items": [{"item": "物业服务费", "period_from": "2025-11", "period_to": "2025-07",
                 "amount": "1834.15"}]}, "period_to"),
    ({"items": [{"item": "物业服务费", "period_from": "2025-11", "amount": "1834.15"}]}, "period_to"),
    ({"items": [{"item": "物业服务费", "amount": "1834.15"}, {"item": "优惠", "amount": "0.00"}]}, "amount"),
    ({"items": [{"item": "物业服务费", "amount": "1834.155"}], "total": None}, "amount"),
])
def test_receipt_refuses_wrong_totals_and_lines(ws, changes, field):
    _refused(ws, "fee-receipt", field, **changes)


@pytest.mark.parametrize("changes, field", [
    ({"paid": True}, "paid"),                                               # not accepted yet
    ({"accepted": "不合格", "accepted_on": "2025-12-02", "paid": True}, "paid"),
    ({"accepted": "合格"}, "accepted_on"),
    ({"accepted": "合格", "accepted_on": "2025-12-01"}, "accepted_on"),     # before the service
    ({"agreed_on": "2025-11-27"}, "agreed_on"),
])
def test_service_fee_only_after_acceptance(ws, changes, field):
    _refused(ws, "service-acceptance", field, **changes)


def test_service_paid_after_acceptance_is_fine(ws):
    v = _prepare(ws, "service-acceptance", accepted="合格", accepted_on="2025-12-02", paid=True)
    assert v["fee_words"] == "肆佰叁拾捌元叁角陆分"


@pytest.mark.parametrize("changes, field", [
    ({"owner_consent": None}, "consent_way"),                               # a tenant, no consent
    ({"consent_way": None, "consent_note": "业主吕芳于2025年11月30日来电确认同意，已记录"}, "consent_way"),
    ({"consent_note": "业主2025年11月30日微信确认同意"}, "consent_note"),   # a message is not writing
    ({"move_date": "2025-11-29"}, "move_date"),
    ({"items": [{"name": "冰箱", "quantity": 0, "measure": "台"}]}, "quantity"),
])
def test_release_pass_refusals(ws, changes, field):
    _refused(ws, "release-pass", field, **changes)


def test_owner_needs_no_consent(ws):
    v = _prepare(ws, "release-pass", applicant_role="业主", applicant="吕芳", owner_consent=None,
                 consent_note=None)
    assert v["totals"][-1] == {"measure": "箱", "quantity": 12}


def test_a_tenant_moving_out_on_a_phone_call_is_refused_saying_what_releases_the_goods(ws):
    """The handbook: the owner comes in person, or the applicant brings the owner's written consent."""
    refused = _refused(ws, "release-pass", "consent_way", consent_way=None,
                       consent_note="业主吕芳于2025年11月30日来电确认同意，已记录")
    (line,) = refused.problems
    assert "须业主本人到场确认或出具书面同意方可放行" in line and "电话等口头确认不能放行" in line
    assert "来电确认同意" in line
    v = _prepare(ws, "release-pass", consent_way="业主本人到场确认", consent_note="业主吕芳本人到场签字确认")
    assert v["consent_way"] == "业主本人到场确认"


@pytest.mark.parametrize("changes, field", [
    ({"return_by": "2025-12-01"}, "return_by"),
    ({"survey_year": 2023}, "survey_year"),
    ({"items": [{"name": "客户服务"}, {"name": "绿化养护"}, {"name": "客户服务"}]}, "items"),
])
def test_survey_refusals(ws, changes, field):
    _refused(ws, "satisfaction-survey", field, **changes)


# ---------------------------------------------------------------- refused at the CLI: nothing issued

def _outputs(home: Path) -> set[Path]:
    return {p for p in (home / "output").rglob("*") if p.is_file()}


@pytest.mark.parametrize("args, needle", [
    (("repair-callback", "--record", "BX2025-0102"), "leak_test_at"),   # still in its leak test
    (("repair-callback", "--record", "BX2025-0103"), "done_at"),        # not repaired yet
    (("repair-callback", "--record", "BX2025-0101"), "已有回访记录"),    # called back already
    (("repair-callback", "--record", "BX2099-0001"), "BX2099-0001"),
    (("repair-callback", "--unit", "1-1-101"), "--record"),
    (("satisfaction-survey", "--unit", "9-9-999"), "9-9-999"),
    (("fee-receipt", "--data", "BAD_RECEIPT"), "total"),
])
def test_cli_refuses_with_one_clear_line_and_issues_nothing(home, from_store, run, tmp_path, args, needle):
    if "BAD_RECEIPT" in args:
        bad = tmp_path / "receipt.json"
        data = dict(load_workspace(home).catalog.get("fee-receipt").example, total="1834.00")
        bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        args = tuple(str(bad) if a == "BAD_RECEIPT" else a for a in args)
    before_docs, before_files = _documents(home), _outputs(home)
    result = run(home, "render", *args, "--as-of", "2025-12-01")
    assert result.exit_code == 2, result.output
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert _documents(home) == before_docs and _outputs(home) == before_files


def test_builders_are_keyed_by_what_the_clerk_has(ws):
    with pytest.raises(InputError, match="--unit"):
        issuing.prepare(ws, "satisfaction-survey", record="1-1-101", as_of=AS_OF)


# ---------------------------------------------------------------- helpers: boxes on the page

def _paths(path: Path, page: int = 0):
    pdf = pdfium.PdfDocument(str(path))
    try:
        for obj in pdf[page].get_objects(max_depth=6):
            if obj.type == pdfium_raw.FPDF_PAGEOBJ_PATH:
                left, bottom, right, top = obj.get_bounds()
                yield (right - left) / 72 * 25.4, (top - bottom) / 72 * 25.4
    finally:
        pdf.close()


def _squares(path: Path) -> int:
    """Drawn tick boxes: squares of about 4 mm."""
    return sum(1 for w, h in _paths(path) if 3.5 < w < 4.6 and abs(w - h) < 0.2)


def _ticks(path: Path) -> int:
    """Ticks drawn in boxes: each is a pair of small strokes (the two sides of a rotated corner)."""
    strokes = sum(1 for w, h in _paths(path) if 1.5 < w < 3.2 and 1.5 < h < 3.2)
    assert strokes % 2 == 0, strokes
    return strokes // 2


# ---------------------------------------------------------------- builders

def test_a_leak_repair_is_called_back_from_its_leak_test(ws):
    """Once the leak test is recorded on the repair, its callback form can be made: test + 3 days."""
    with ws.store.transaction() as tx:
        tx.insert("repairs", {"id": "BX2025-0199", "unit": "2-1-301", "reported_at": "2025-12-28T09:00",
                              "category": "leak", "description": "阳台落地窗渗水", "status": "done",
                              "done_at": "2025-12-29T16:00", "leak_test_at": "2025-12-30T10:00"})
    v = issuing.prepare(ws, "repair-callback", record="BX2025-0199", as_of=date(2026, 1, 2))[1]
    assert v["unit"] == "2-1-301" and v["category"] == "房屋渗漏水维修"
    assert v["leak_test_on"] == date(2025, 12, 30) and v["callback_due"] == date(2026, 1, 2)


def test_survey_items_and_return_days_come_from_the_workspace_settings(ws):
    from formsmith.processes.services.sources import unit_survey
    from formsmith.workspace import Workspace
    custom = Workspace(root=ws.root, config={**ws.config, "survey": {
        "return_days": 30, "items": ["客户服务：接待与报修", "停车管理：车位、道闸", "电梯运行"]}})
    with ws.store.snapshot() as view:
        data = unit_survey(custom, view, "1-1-101", AS_OF)
    assert data["return_by"] == "2025-12-31" and data["survey_year"] == 2025
    assert data["items"] == [{"name": "客户服务", "scope": "接待与报修"},
                             {"name": "停车管理", "scope": "车位、道闸"}, {"name": "电梯运行", "scope": ""}]
