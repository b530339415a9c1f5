"""Recording the rental process's rows through the command line (`rental entrust`, `rental let`,
`rental list`, `rental show`) and issuing both rental documents from what was recorded.

GIVEN a copy of the demo workspace and units the demo never entrusted (1-1-101, 1-1-102 …),
WHEN a clerk records an owner's agency and then the lease and household from data files, and
issues the 房屋租赁委托代理协议 and the 租户登记表 with `render … --unit U`,
THEN the PDFs state the recorded terms with the owner as the store records him, and every
refusal — data the agreement or the form refuses, an owner the store does not record, a lease
over twenty years, a child without the guardian's consent, a lease after the agency ended —
exits 2 with one line naming the unit and the field, and leaves the `leases` table as it was;
what the commands print never carries a full ID number."""
from __future__ import annotations

import copy
import json
import re
import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from formsmith import formats, identity
from formsmith.cli import cli
from formsmith.workspace import find_workspace
from pdftools import page_texts

AGENT_UNIT, OWNER_UNIT, SPARE_UNIT, LET_UNIT, LONG_UNIT = "1-1-101", "1-1-102", "1-1-201", "1-1-202", "1-1-301"
COMPANY_UNIT, NONE_UNIT = "1-1-402", "1-1-401"      # a company owner; a unit nothing is recorded for
ID_18 = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
TODAY = date.today()
CHILD_ID = identity.make_resident_id("420111", date(TODAY.year - 6, 3, 14), 27, "F")
TENANT_ID = identity.make_resident_id("420111", date(1989, 5, 12), 31, "M")

AGENCY = """
title_cert_no = "鄂（2022）江城市不动产权第0020811号"
agency_from = "2026-12-01"
agency_to = "2027-11-30"
matters = ["代理出租", "代为看房", "代签租赁合同", "代收租金", "房屋交接", "代办登记备案"]
asking_rent = "2900.00"
lowest_rent = "2700.00"
payment_cycle = "月付"
deposit_months = 1
max_lease_months = 12
fee_kind = "按成交月租金比例"
fee_percent = "40"
remit_days = 5
owner_account = "中国农业银行江城东湖支行，账号6228 4800 1234 5678 019"
keys_count = 2
keys_held_by = "受托人保管"
inventory = [{ item = "空调", quantity = 2, condition = "完好" }, { item = "冰箱", quantity = 1 }]
water_base = "45.5"
electricity_base = "980.0"
"""

LEASE = {
    "lease_contract_no": "阳光租2026-007", "lease_signed_on": "2026-12-02", "lease_from": "2026-12-05",
    "lease_to": "2027-12-04", "rent": "2800.00", "guardian_name": "周凯",
    "emergency_name": "周国平", "emergency_relation": "父亲", "emergency_phone": "13607185523",
    "tenants": [
        {"name": "周凯", "relation": "承租人", "gender": "男", "id_type": "居民身份证", "id_number": TENANT_ID,
         "phone": "13971234567", "workplace": "江城光谷软件有限公司"},
        {"name": "周小雨", "relation": "子女", "gender": "女", "id_type": "居民身份证", "id_number": CHILD_ID,
         "workplace": "阳光路小学"},
    ],
    "vehicles": [{"plate": "鄂A·K8T21", "model": "大众朗逸", "color": "黑色"}],
}


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("rental-records") / "ws"
    shutil.copytree(demo_home, dest, symlinks=True)
    return dest


def _cli(home: Path, *args: str):
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def _ok(home: Path, *args: str):
    r = _cli(home, *args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _file(tmp_path: Path, name: str, data) -> str:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _leases(home: Path) -> list[dict]:
    with find_workspace(home).store.snapshot() as view:
        return view.all("leases")


def _store(home: Path, table: str, row_id: str) -> dict:
    with find_workspace(home).store.snapshot() as view:
        return view.require(table, row_id)


def _text(path: str) -> str:
    return "".join("".join(page.split()) for page in page_texts(Path(path)))


@pytest.fixture(scope="module")
def recorded(home, tmp_path_factory):
    """1-1-101 entrusted and let through the CLI, then both documents issued from the store."""
    tmp = tmp_path_factory.mktemp("rental-files")
    agency = _ok(home, "rental", "entrust", AGENT_UNIT, "--data", _file(tmp, "agency.toml", AGENCY), "--by", "李娜")
    lease = _ok(home, "rental", "let", AGENT_UNIT, "--data", _file(tmp, "lease.json", LEASE), "--by", "赵敏")
    agreement = _ok(home, "render", "rental-agency-agreement", "--unit", AGENT_UNIT)
    registration = _ok(home, "render", "tenant-registration", "--unit", AGENT_UNIT)
    return {"agency": agency, "lease": lease, "agreement": agreement, "registration": registration,
            "row": next(r for r in _leases(home) if r["id"] == agency["id"])}


def _refused(home: Path, *args: str, field: str, needles: tuple[str, ...] = (), unit: str = AGENT_UNIT) -> str:
    """The command exits 2 with one line naming the unit and the field, and writes nothing."""
    before = _leases(home)
    r = _cli(home, *args)
    lines = r.stderr.strip().splitlines()
    assert r.exit_code == 2, (args, r.output, r.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"formsmith: 房屋 {unit}: 字段 {field}"), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert _leases(home) == before
    return lines[0]


# ---------------------------------------------------------------- recorded, then issued from the store

def test_entrust_records_the_terms_with_the_clerk_and_a_new_number(recorded):
    row = recorded["row"]
    assert re.fullmatch(rf"ZL{TODAY.year}-\d{{3}}", row["id"]) and row["unit"] == AGENT_UNIT
    a = row["agency"]
    assert (a["from"], a["to"], a["asking_rent"], a["lowest_rent"]) == ("2026-12-01", "2027-11-30", "2900.00",
                                                                         "2700.00")
    assert a["matters"][:2] == ["代理出租", "代为看房"] and a["fee_percent"] == "40"
    assert a["inventory"][1] == {"item": "冰箱", "quantity": 1}
    assert "owner_name" not in a and "owner_id_number" not in a        # the owner is the store's
    assert [(e["what"], e["by"]) for e in row["events"]] == [("entrust", "李娜"), ("let", "赵敏")]
    assert all(e["recorded_at"][:10] == TODAY.isoformat() for e in row["events"])


def test_let_records_the_household_on_the_agency(recorded):
    row = recorded["row"]
    assert row["lease"] == {"contract_no": "阳光租2026-007", "signed_on": "2026-12-02", "from": "2026-12-05",
                            "to": "2027-12-04", "rent": "2800.00"}
    assert [t["name"] for t in row["tenants"]] == ["周凯", "周小雨"] and row["tenants"][0]["id_number"] == TENANT_ID
    assert row["emergency"] == {"name": "周国平", "relation": "父亲", "phone": "13607185523"}
    assert row["guardian_name"] == "周凯" and "guardian_consent" not in row
    # what `let --json` printed is the row, its ID numbers masked
    assert recorded["lease"]["tenants"][0]["id_number"] == formats.mask_id(TENANT_ID)


def test_the_agreement_from_the_store_states_the_recorded_terms(recorded, home):
    doc = recorded["agreement"]
    text = _text(doc["path"])
    unit = _store(home, "units", AGENT_UNIT)
    owner = _store(home, "parties", unit["owner"])
    assert doc["pages"] == 3
    for phrase in (f"甲方（委托人）{owner['name']}", formats.mask_id(owner["id_number"]),
                   f"（房屋编号{AGENT_UNIT}）", f"建筑面积{unit['area']}平方米", "鄂（2022）江城市不动产权第0020811号",
                   "委托期限自2026年12月1日起至2027年11月30日止",
                   "挂牌月租金为¥2,900.00（人民币（大写）贰仟玖佰元整）", "每月不低于¥2,700.00",
                   "租赁期限不超过12个月", "租金月付，押金为1个月租金",
                   "按实际成交月租金的40%计收，以挂牌月租金计为¥1,160.00（人民币（大写）壹仟壹佰陆拾元整）",
                   "自收到之日起5日内", "甲方交乙方房屋钥匙2把", "冰箱", "水表45.5立方米", "电表980.0千瓦时"):
        assert phrase in text, phrase
    assert owner["id_number"] not in text
    assert not re.search(r"燃气表[0-9]", text)          # no gas reading was recorded


def test_the_registration_from_the_store_states_the_recorded_household(recorded, home):
    doc = recorded["registration"]
    text = _text(doc["path"])
    owner = _store(home, "parties", _store(home, "units", AGENT_UNIT)["owner"])
    assert doc["pages"] == 1
    for phrase in ("租户登记表", f"业主{owner['name']}", "周凯", "周小雨*", formats.mask_id(TENANT_ID),
                   "2026年12月5日至2027年12月4日", "编号阳光租2026-007，2026年12月2日签订",
                   f"《房屋租赁委托代理协议》{recorded['agreement']['doc_no']}", "鄂A·K8T21", "大众朗逸",
                   "周国平", "13607185523", "监护人周凯勾选同意", "请于2027年1月1日前办理"):
        assert phrase in text, phrase
    assert TENANT_ID not in text and CHILD_ID not in text and formats.mask_id(CHILD_ID) not in text


def test_list_and_show_give_the_rows_with_ids_masked(recorded, home):
    ids = {t["id_number"] for r in _leases(home) for t in r.get("tenants") or [] if t.get("id_number")}
    with find_workspace(home).store.snapshot() as view:
        ids |= {p["id_number"] for p in view.all("parties") if p.get("id_number")}
    assert TENANT_ID in ids and len(ids) > 100
    listed = _ok(home, "rental", "list", "--unit", AGENT_UNIT)
    assert [(r["id"], r["tenant"], r["people"], r["rent"]) for r in listed] == [
        (recorded["row"]["id"], "周凯", 2, "2800.00")]
    assert {r["unit"] for r in _ok(home, "rental", "list")} >= {AGENT_UNIT, "2-1-501", "2-1-402"}
    shown = _ok(home, "rental", "show", AGENT_UNIT)
    assert shown[0]["tenants"][0]["id_number"] == formats.mask_id(TENANT_ID)
    for args in (("rental", "list"), ("rental", "list", "--json"), ("rental", "show", AGENT_UNIT),
                 ("rental", "show", AGENT_UNIT, "--json"), ("rental", "show", "2-1-501"),
                 ("rental", "show", "2-1-501", "--json")):
        r = _cli(home, *args)
        assert r.exit_code == 0, (args, r.output)
        assert not ids & set(ID_18.findall(r.output)), args
    text = _cli(home, "rental", "show", AGENT_UNIT).stdout
    assert "委托 2026-12-01 至 2027-11-30" in text and "李娜  entrust" in text and "赵敏  let" in text
    # in full only with --reveal, which the audit log records
    assert TENANT_ID in _cli(home, "rental", "show", AGENT_UNIT, "--reveal", "--by", "李娜").stdout
    with find_workspace(home).store.snapshot() as view:
        audit = view.all("audit")
    assert any(a["command"] == f"rental show {AGENT_UNIT} --reveal" and a["by"] == "李娜" for a in audit)


def test_an_owner_letting_himself_without_an_agency(home, tmp_path):
    data = dict(copy.deepcopy(LEASE), let_by="业主自行出租", lease_contract_no="自租2026-001")
    row = _ok(home, "rental", "let", OWNER_UNIT, "--data", _file(tmp_path, "own.json", data))
    assert "agency" not in row and row["let_by"] == "业主自行出租"
    doc = _ok(home, "render", "tenant-registration", "--unit", OWNER_UNIT)
    text = _text(doc["path"])
    assert "自租2026-001" in text and "周凯" in text and "受托人" not in text.split("出租方式")[1][:40]
    r = _cli(home, "render", "rental-agency-agreement", "--unit", OWNER_UNIT)
    assert r.exit_code == 2 and "无房屋租赁委托登记" in r.stderr


# ---------------------------------------------------------------- refusals: one line, nothing written

def test_entrust_refuses_what_the_agreement_refuses(home, tmp_path):
    terms = tomllib.loads(AGENCY)
    cases = [
        (dict(terms, lowest_rent="3000.00"), "lowest_rent（", ("高于挂牌月租金", "第九百二十二条")),
        (dict(terms, max_lease_months=241), "max_lease_months（", ("第七百零五条",)),
        (dict(terms, fee_percent="120"), "fee_percent（", ("第九百二十八条",)),
        (dict(terms, owner_account=None), "owner_account（", ("第九百二十七条",)),
        (dict(terms, asking_rent="两千"), "asking_rent（", ()),
        (dict(terms, signed_on="2026-12-01"), "signed_on（", ("协议打印之日",)),
        (dict(terms, agency_to="2026-11-01"), "agency_to（", ("委托期限前后矛盾",)),
        (dict(terms, rent_free="3个月"), "rent_free", ("未声明",)),
    ]
    for i, (data, field, needles) in enumerate(cases):
        _refused(home, "rental", "entrust", SPARE_UNIT, "--data", _file(tmp_path, f"bad{i}.json", data),
                 field=field, needles=needles, unit=SPARE_UNIT)


def test_entrust_refuses_a_file_naming_another_owner_or_area(home, tmp_path):
    terms = tomllib.loads(AGENCY)
    unit = _store(home, "units", SPARE_UNIT)
    owner = _store(home, "parties", unit["owner"])
    line = _refused(home, "rental", "entrust", SPARE_UNIT, "--data",
                    _file(tmp_path, "owner.json", dict(terms, owner_name="王某某")),
                    field="owner_name（", needles=("王某某", owner["name"]), unit=SPARE_UNIT)
    assert "与登记不符" in line or "登记为" in line
    _refused(home, "rental", "entrust", SPARE_UNIT, "--data", _file(tmp_path, "area.json", dict(terms, area="999.00")),
             field="area（", needles=("999.00", unit["area"]), unit=SPARE_UNIT)
    other = identity.make_resident_id("420106", date(1983, 7, 15), 42, "F")
    line = _refused(home, "rental", "entrust", SPARE_UNIT, "--data",
                    _file(tmp_path, "number.json", dict(terms, owner_id_number=other)),
                    field="owner_id_number（", needles=(formats.mask_id(owner["id_number"]),), unit=SPARE_UNIT)
    assert other not in line and owner["id_number"] not in line
    _refused(home, "rental", "entrust", SPARE_UNIT, "--data",
             _file(tmp_path, "phone.json", dict(terms, owner_phone="13900000000")),
             field="owner_phone（", needles=("13900000000",), unit=SPARE_UNIT)


def test_a_company_owner_entrusts_with_its_legal_representative(home, tmp_path):
    terms = tomllib.loads(AGENCY)
    _refused(home, "rental", "entrust", COMPANY_UNIT, "--data", _file(tmp_path, "company.json", terms),
             field="legal_rep（", needles=("法定代表人",), unit=COMPANY_UNIT)
    row = _ok(home, "rental", "entrust", COMPANY_UNIT, "--data",
              _file(tmp_path, "company-rep.json", dict(terms, legal_rep="何志远")))
    assert row["agency"]["legal_rep"] == "何志远"
    owner = _store(home, "parties", _store(home, "units", COMPANY_UNIT)["owner"])
    text = _text(_ok(home, "render", "rental-agency-agreement", "--unit", COMPANY_UNIT)["path"])
    assert f"统一社会信用代码{owner['credit_code']}" in text and "法定代表人何志远" in text


def test_entrust_refuses_an_agency_overlapping_the_one_on_record(recorded, home, tmp_path):
    terms = dict(tomllib.loads(AGENCY), agency_from="2027-06-01", agency_to="2028-05-31")
    _refused(home, "rental", "entrust", AGENT_UNIT, "--data", _file(tmp_path, "again.json", terms),
             field="agency_from（", needles=(recorded["row"]["id"], "重叠"))


def test_let_refuses_what_the_form_refuses(recorded, home, tmp_path):
    """On a unit entrusted and not let yet; each refusal one line, the agency row untouched."""
    terms = dict(tomllib.loads(AGENCY), agency_from="2026-12-01", agency_to="2027-05-31")
    _ok(home, "rental", "entrust", LET_UNIT, "--data", _file(tmp_path, "spare.json", terms))
    no_guardian = copy.deepcopy(LEASE)
    no_guardian.pop("guardian_name")
    cases = [
        (no_guardian, "guardian_name（", ("周小雨", "第三十一条")),
        # the consent is the guardian's tick and signature on the form, never a value in a file
        (dict(LEASE, guardian_consent=True), "guardian_consent", ("未声明",)),
        (dict(LEASE, lease_from="2027-06-01", lease_to="2028-05-31"), "lease_from（",
         ("2027年5月31日届满", "第一百七十三条")),
        (dict(LEASE, lease_to="2027-12-05"), "lease_to（", ("最长租期12个月", "第一百七十一条")),
        (dict(LEASE, rent="2500.00"), "rent（", ("低于", "最低月租金", "第九百二十二条")),
        (dict(LEASE, tenants=[]), "tenants（", ("未登记承租人",)),
        (dict(LEASE, lease_from="2026-13-01"), "lease_from（", ()),
        (dict(LEASE, owner_name="王某某"), "owner_name（", ("王某某",)),
        (dict(LEASE, agency_no="物租委字〔2026〕9号"), "agency_no（", ()),
    ]
    bad_id = copy.deepcopy(LEASE)
    bad_id["tenants"][0]["id_number"] = TENANT_ID[:-1] + ("0" if TENANT_ID[-1] != "0" else "1")
    cases.append((bad_id, "tenants[1].id_number", ("GB 11643",)))
    for i, (data, field, needles) in enumerate(cases):
        _refused(home, "rental", "let", LET_UNIT, "--data", _file(tmp_path, f"lease{i}.json", data),
                 field=field, needles=needles, unit=LET_UNIT)
    # the agency on record already has its lease
    _refused(home, "rental", "let", AGENT_UNIT, "--data", _file(tmp_path, "second.json", LEASE),
             field="lease_from（", needles=("已登记租赁合同",))


def test_let_refuses_a_lease_over_twenty_years(home, tmp_path):
    data = dict(LEASE, let_by="业主自行出租", lease_from="2026-12-05", lease_to="2046-12-05")
    _refused(home, "rental", "let", LONG_UNIT, "--data", _file(tmp_path, "long.json", data),
             field="lease_to（", needles=("超过二十年", "第七百零五条"), unit=LONG_UNIT)


def test_let_refuses_a_unit_without_an_agency_unless_the_owner_lets_it(home, tmp_path):
    _refused(home, "rental", "let", LONG_UNIT, "--data", _file(tmp_path, "no-agency.json", LEASE),
             field="let_by（", needles=("无租赁委托登记", "业主自行出租"), unit=LONG_UNIT)


def test_bad_files_and_units_exit_2_with_one_line(home, tmp_path):
    before = _leases(home)
    for args, needle in (
            (("rental", "entrust", SPARE_UNIT, "--data", _file(tmp_path, "broken.toml", "agency_from = ")), "TOML"),
            (("rental", "entrust", SPARE_UNIT, "--data", _file(tmp_path, "list.json", [1, 2])), "应为一个对象"),
            (("rental", "entrust", SPARE_UNIT, "--data", str(tmp_path / "missing.json")), "文件不存在"),
            (("rental", "entrust", "9-9-999", "--data", _file(tmp_path, "ok.toml", AGENCY)), "9-9-999"),
            (("rental", "show", "9-9-999"), "9-9-999"),
            (("rental", "show", NONE_UNIT), "无房屋租赁委托或租赁登记")):
        r = _cli(home, *args)
        assert r.exit_code == 2, (args, r.output)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], (args, lines)
    assert _leases(home) == before
