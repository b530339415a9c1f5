"""Move-in pack rules (PROCESSES.md §1): applicant checklists, handover items, meters, repair orders."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ... import fees, formats, identity, model, renovation_terms
from ...errors import ValidationError
from ...formats import meter_value
from ...rules import RuleContext, rule
from ...rules import field_title as _field
from ...rules import refuse as _refuse

OWNER, AGENT, COMPANY = "业主本人", "委托代办", "单位购置"

# What the clerk must see (and copy for the archive) per applicant kind, with the data field
# that records it. An agent brings the owner's papers plus their own; a company buyer brings
# the owner's papers plus the company certificate and the ID of the person who comes.
_BASE = [
    ("业主身份证", "owner_id_number", "复印存档"),
    ("入住通知单", "move_in_notice_no", "原件存档"),
    ("房屋买卖合同", "purchase_contract_no", "查验原件"),
]
CHECKLISTS: dict[str, list[tuple[str, str, str]]] = {
    OWNER: _BASE,
    AGENT: _BASE + [
        ("受托人身份证", "agent_id_number", "复印存档"),
        ("授权委托书", "power_of_attorney", "原件存档"),
    ],
    COMPANY: [
        ("单位证明（营业执照，统一社会信用代码）", "owner_id_number", "复印存档"),
        ("单位证明文件", "company_certificate", "原件存档"),
        ("入住通知单", "move_in_notice_no", "原件存档"),
        ("房屋买卖合同", "purchase_contract_no", "查验原件"),
        ("经办人身份证", "agent_id_number", "复印存档"),
    ],
}
# Who comes to the counter, per kind: fields that must be given (the agent / the person sent
# by the company) and fields that must not be (an owner in person has no agent).
_PERSON_FIELDS = ("agent_name", "agent_id_number", "agent_phone")
_LABELS = {
    "owner_id_number": "业主身份证号", "move_in_notice_no": "入住通知单编号",
    "purchase_contract_no": "房屋买卖合同编号", "agent_name": "受托人/经办人姓名",
    "agent_id_number": "受托人/经办人身份证号", "agent_phone": "受托人/经办人电话",
    "power_of_attorney": "授权委托书", "company_certificate": "单位证明",
}


def applicant_checklist(values: dict[str, Any], record: str = "") -> list[dict[str, Any]]:
    """The identity checklist of the applicant's kind, each item marked as seen; refuses gaps.

    Raises ValidationError naming every missing paper (an agent without 委托书 and ID, a company
    without its 统一社会信用代码 or certificate) and every paper that does not fit the kind.
    """
    kind = values.get("applicant_kind")
    if kind not in CHECKLISTS:
        raise ValidationError([f"字段 applicant_kind（申请人类型）：应为 {OWNER}、{AGENT} 或 {COMPANY}"], record)
    problems: list[str] = []
    items = CHECKLISTS[kind]
    labels = dict(_LABELS, owner_id_number="统一社会信用代码") if kind == COMPANY else _LABELS
    for label, key, _ in items:
        if not values.get(key):
            problems.append(f"字段 {key}（{labels[key]}）：{kind}须提供{label}，未填写 (missing)")
    person = [k for k in _PERSON_FIELDS if values.get(k)]
    if kind == OWNER:
        for key in person + [k for k in ("power_of_attorney", "company_certificate") if values.get(k)]:
            problems.append(f"字段 {key}（{_LABELS[key]}）：申请人为{OWNER}，不应填写受托人或单位资料；"
                            f"如由他人代办请选择“{AGENT}” (does not fit the applicant kind)")
    else:
        if not values.get("agent_name"):
            who = "受托人" if kind == AGENT else "经办人"
            problems.append(f"字段 agent_name（{_LABELS['agent_name']}）：{kind}须填写{who}姓名，未填写 (missing)")
        if kind == AGENT and values.get("company_certificate"):
            problems.append(f"字段 company_certificate（单位证明）：申请人为{AGENT}，"
                            f"单位购房请选择“{COMPANY}” (does not fit the applicant kind)")
    owner_no = values.get("owner_id_number")
    if owner_no:
        is_code = identity.is_valid_credit_code(owner_no)
        if kind == COMPANY and not is_code:
            problems.append("字段 owner_id_number（统一社会信用代码）：单位购置须填写单位的18位统一社会信用代码，"
                            "而非个人身份证号 (expected a credit code)")
        if kind != COMPANY and is_code:
            problems.append(f"字段 owner_id_number（业主身份证号）：{kind}须填写业主本人身份证号，"
                            "填写的是统一社会信用代码 (expected a resident ID)")
    agent_no = values.get("agent_id_number")
    if agent_no and identity.is_valid_credit_code(agent_no) and not identity.is_valid_resident_id(agent_no):
        problems.append("字段 agent_id_number（受托人/经办人身份证号）：应为个人身份证号 (expected a resident ID)")
    if problems:
        raise ValidationError(problems, record)
    return [{"item": label, "action": action, "seen": True} for label, _, action in items]


def _age_on(id_number: str, day) -> int | None:
    """Full years of the holder of resident ID `id_number` on `day` (None: not a resident ID)."""
    from datetime import date
    if not id_number or not identity.is_valid_resident_id(id_number):
        return None
    birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@rule("move-in-registration")
def move_in_registration(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The identity checklist that fits the applicant kind, every paper on it given; and the
    personal information of a child under 14 only with a guardian's consent
    (个人信息保护法 第三十一条: 处理不满十四周岁未成年人个人信息的，应当取得其父母或者其他监护人的同意).

    A child is under 14 when the form says so (`under_14`) or the ID number's birth date does;
    a form whose ID number contradicts its `under_14` is refused. With a child under 14 on the
    form the guardian's consent (`guardian_consent`) and the guardian's name are required; the
    form then prints the guardian's consent and signature line."""
    checklist = applicant_checklist(values, ctx.record)
    problems: list[str] = []
    minors = []
    for i, o in enumerate(values["occupants"], 1):
        age = _age_on(o.get("id_number") or "", values["move_in_date"])
        flagged = o.get("under_14")
        if age is not None and flagged is not None and flagged != (age < 14):
            problems.append(f"字段 occupants[{i}].under_14（未满十四周岁）：与身份证号的出生日期不符"
                            f"（入住日{age}周岁） (contradicts the ID number's birth date)")
        if flagged or (age is not None and age < 14):
            minors.append(o["name"])
    if minors and not (values.get("guardian_consent") and values.get("guardian_name")):
        problems.append(f"字段 guardian_consent（监护人同意）：居住人员{'、'.join(minors)}未满十四周岁，"
                        "登记其个人信息须取得其父母或其他监护人的同意并由监护人签字（个人信息保护法第三十一条）；"
                        "请填写监护人姓名并勾选监护人同意 (a child under 14 needs a guardian's consent)")
    if problems:
        raise ValidationError(problems, ctx.record)
    return {"checklist": checklist, "minors": minors}


# ---------------------------------------------------------------- handover receipt

# What every household receives at move-in (§1): the keys, the handbook, the drawings.
HANDOVER_REQUIRED = (("钥匙", "房屋钥匙"), ("住户手册", "《住户手册》"), ("水电图", "房屋水电图"))


@rule("handover-receipt")
def handover_receipt(values: dict[str, Any], ctx: RuleContext) -> None:
    """Keys, 《住户手册》 and 房屋水电图 must all be on the list, each at least once."""
    names = [i["name"] for i in values.get("items") or []]
    missing = [label for word, label in HANDOVER_REQUIRED if not any(word in n for n in names)]
    problems = [f"字段 items（交付物品）：缺少{label}，入住交付必须包括房屋钥匙、《住户手册》和房屋水电图 "
                "(a required handover item is missing)" for label in missing]
    for i, item in enumerate(values.get("items") or [], 1):
        if item.get("quantity") is not None and item["quantity"] < 1:
            problems.append(f"字段 items[{i}].quantity（数量）：{item['name']}的数量应至少为1 (must be ≥ 1)")
    if problems:
        raise ValidationError(problems, ctx.record)
    return None


# ---------------------------------------------------------------- meter readings

METERS = {"水表": "立方米", "电表": "千瓦时", "燃气表": "立方米"}   # m³, kWh, m³: what the meters count


@rule("meter-reading")
def meter_reading(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Water, electricity and gas base readings: each meter exactly once, each a real reading."""
    problems: list[str] = []
    rows = values.get("readings") or []
    for meter in METERS:
        n = sum(1 for r in rows if r["meter"] == meter)
        if n != 1:
            problems.append(f"字段 readings（表底数）：{meter}应恰有一行，实际{n}行 "
                            "(water, electricity and gas each exactly once)")
    for i, r in enumerate(rows, 1):
        meter_value(r["reading"], f"readings[{i}].reading", problems)
    if problems:
        raise ValidationError(problems, ctx.record)
    order = list(METERS)
    return {"readings": [dict(r, unit_word=METERS[r["meter"]])
                         for r in sorted(rows, key=lambda r: order.index(r["meter"]))]}


# ---------------------------------------------------------------- inspection and repair order

PASS, FAIL = "合格", "不合格"


@rule("inspection-form")
def inspection_form(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """A failed item must say what is wrong (the repair order is made from it)."""
    problems = [f"字段 items[{i}].remarks（问题描述）：{it['room']}{it['item']}验收不合格，须写明问题 "
                "(a failed item needs a description)"
                for i, it in enumerate(values.get("items") or [], 1)
                if it["result"] == FAIL and not it.get("remarks")]
    if problems:
        raise ValidationError(problems, ctx.record)
    failed = sum(1 for it in values["items"] if it["result"] == FAIL)
    return {"failed_count": failed, "passed_count": len(values["items"]) - failed}


def failed_lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The failed inspection items as repair-order lines, numbered in inspection order."""
    return [{"no": n, "room": it["room"], "item": it["item"], "problem": it.get("remarks") or "",
             "handling": "", "repairer": "", "done_on": ""}
            for n, it in enumerate((it for it in items if it["result"] == FAIL), 1)]


@rule("repair-order")
def repair_order_source(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any] | None:
    """One order, one source: the failed items of an inspection (movein's rule makes the lines)
    or the repair case's reported problem (one line)."""
    case, inspection = values.get("case_id"), values.get("inspection_no")
    if case and inspection:
        _refuse(ctx, [f"字段 {_field(ctx, 'case_id')}：一张维修工作单只对应一个来源：报修单 {case} 或验收登记表 "
                      f"{inspection}，不能同时填写 (one source per order)"])
    if not case and not inspection:
        _refuse(ctx, [f"字段 {_field(ctx, 'case_id')}：须写明报修单号（报修案件）或验收登记表编号（入住验收） "
                      "(the order names its source)"])
    if not case:
        return None
    missing = [f"字段 {_field(ctx, k)}：报修工作单须填写 (required for a repair case's order)"
               for k in ("reported_at", "category", "description") if not values.get(k)]
    _refuse(ctx, missing)
    return {"lines": [{"no": 1, "room": "", "item": values["category"], "problem": values["description"],
                       "handling": values.get("done_note") or "", "repairer": values.get("dispatched_to") or "",
                       "done_on": (values.get("done_at") or "")[:10]}]}


@rule("repair-order")
def repair_order(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The order's lines are the inspection's failed items; no failed item, no order."""
    if values.get("case_id"):      # an order of a repair case: the cases process makes its line
        return {}
    items = values.get("inspection_items") or []
    lines = failed_lines(items)
    if not lines:
        raise ValidationError([f"字段 inspection_items（验收项目）：{values.get('inspection_no') or '该验收'}"
                               "没有不合格项目，无需开具维修工作单 (no failed item: no repair order)"],
                              ctx.record)
    missing = [f"字段 inspection_items[{i}].remarks（问题描述）：不合格项目须写明问题 (missing)"
               for i, it in enumerate(items, 1) if it["result"] == FAIL and not it.get("remarks")]
    if missing:
        raise ValidationError(missing, ctx.record)
    # The order states how many items the inspection had only when it knows: from the issued
    # inspection it names (the data may carry only some of its items), whose failed items must be
    # the order's lines; otherwise it counts only what it prints (不合格N项).
    inspection = _issued_inspection(ctx, values.get("inspection_no"))
    total = None
    if inspection is not None:
        stored = inspection.get("record") or {}
        want = [(line["room"], line["item"], line["problem"]) for line in failed_lines(stored.get("items") or [])]
        if [(line["room"], line["item"], line["problem"]) for line in lines] != want:
            raise ValidationError([f"字段 inspection_items（验收项目）：与{inspection['doc_no']}登记的不合格项目不符，应为："
                                   + "；".join(f"{r}{i}（{p}）" for r, i, p in want)
                                   + " (the failed items differ from the issued inspection)"], ctx.record)
        total = len(stored.get("items") or [])
    return {"lines": lines, "inspection_total": total}


def _issued_inspection(ctx: RuleContext, doc_no: Any) -> dict[str, Any] | None:
    """The issued, not retired 房屋质量验收登记表 numbered `doc_no`, if the store holds it."""
    if not doc_no:
        return None
    return next((d for d in ctx.view.find("documents", doc_no=doc_no)
                 if d.get("template") == "inspection-form" and d.get("state") not in model.RETIRED), None)


# ---------------------------------------------------------------- 住户手册 (§1)

@rule("owner-handbook")
def owner_handbook(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any] | None:
    """The handbook publishes the fee schedule the charges follow (明码标价): with a schedule on
    record its fee table is the schedule's, and a data file whose table differs is refused; its
    renovation rules are the agreement's words."""
    out = _handbook_renovation(values, ctx)
    published = fees.published_lines(ctx.view)
    if not published:
        return out
    stated = values.get("fees")
    if stated:
        want = [(p["item"], Decimal(p["price"]), p["unit"]) for p in published]
        got = [(s.get("item"), s.get("price"), s.get("unit")) for s in stated]
        if got != want:
            lines = "；".join(f"{i} {formats.money(p)} {u}" for i, p, u in want)
            raise ValidationError([f"字段 fees（收费标准）：与登记的收费标准不符，应为：{lines} "
                                   "(the handbook must publish the recorded fee schedule)"], ctx.record)
    return {**out, "fees": [{**p, "price": Decimal(p["price"])} for p in published]}


def _handbook_renovation(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The handbook's 装修管理 says what the agreement says, in the same words (renovation_terms):
    the working hours (the workspace's; a data file's other text is refused), the prohibitions by
    article, and what the company does about a breach."""
    hours = renovation_terms.work_hours({}, ctx)
    stated = values.get("renovation_hours")
    if stated and stated != hours:
        raise ValidationError([f"字段 renovation_hours（装修施工时间）：与装修管理协议、装修施工许可证所写的施工时间"
                               f"（{hours}）不一致；施工时间在 formsmith.toml [renovation] work_hours 设置 "
                               "(the handbook and the agreement state one working time)"], ctx.record)
    return {"renovation_hours": hours, "renovation_prohibitions": renovation_terms.prohibitions(),
            "renovation_breach": renovation_terms.BREACH.format(who="装修人、装饰装修企业", what="装修管理规定",
                                                                company="客户服务中心")}
