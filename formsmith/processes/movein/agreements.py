"""The move-in pack's agreements and papers (PROCESSES.md §1): 《前期物业服务合同》, 《临时管理规约》,
授权委托书 / 单位授权委托书, 入住通知书 and 入住手续会签单 — their data from the store and their rules.

The laws they rest on, by article:
- 《中华人民共和国民法典》第九百三十七条至第九百五十条 (物业服务合同): what the contract contains
  (第九百三十八条), that the developer's 前期物业服务合同 binds the owners (第九百三十九条), when
  it ends (第九百四十条), the owner's duty to pay and that supply may not be cut to collect
  (第九百四十四条), the owner's notices (第九百四十五条), hand-over at the end (第九百四十九条);
- 《物业管理条例》第二十一条 (written 前期物业服务合同), 第二十二条/第二十三条 (the developer's
  临时管理规约, acknowledged by the buyer in writing), 第二十五条 (the sales contract contains the
  前期物业服务合同's terms), 第二十六条 (its term), 第四十一条 (who pays before hand-over);
- 民法典 第一百六十五条 (a written power of attorney names the agent, the matters, the powers and the
  term, and is signed or sealed by the principal), 第十八条 (adults act for themselves).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ... import deadlines, fees, formats, identity, model
from ...errors import InputError, ValidationError
from ...rules import RuleContext, field_title, rule
from ...sources import builder, owner_of, unit_address
from ...store import View
from ...workspace import Workspace
from .rules import AGENT, CHECKLISTS, COMPANY, OWNER

INDIVIDUAL, ORGANISATION = "个人", "单位"

# What an agreement's own clauses may not provide, whatever the data adds: a fine is an
# administrative penalty no contract of a company may impose (行政处罚法 第九条、第十八条), and fees
# may not be collected by cutting supply (民法典 第九百四十四条第三款).
FORBIDDEN_TERMS = (
    ("罚款", "罚款是行政处罚，物业服务人和规约均无权设定（《中华人民共和国行政处罚法》第九条、第十八条）"),
    ("停水", "不得以停止供水方式催交物业费（《中华人民共和国民法典》第九百四十四条）"),
    ("停电", "不得以停止供电方式催交物业费（《中华人民共和国民法典》第九百四十四条）"),
    ("停止供", "不得以停止供电、供水、供热、供燃气方式催交物业费（《中华人民共和国民法典》第九百四十四条）"),
)

# What an owner may authorise an agent to do (the 授权委托书's tick list, in this order): each
# step the move-in notice and the sign-off sheet ask the agent to take at the counter (§1), then
# the renovation's declaration, which an agent may also make (PROCESSES.md §5).
MATTERS = {
    "交付入住": "办理上述房屋的交付（收房）及入住手续",
    "住户登记": "填写《住户登记表》",
    "签订合同": "签订《前期物业服务合同》",
    "规约承诺": "签署《临时管理规约》物业买受人承诺书",
    "缴纳费用": "按收费标准缴纳物业服务费等费用，领取收款收据",
    "房屋验收": "参加房屋质量验收，确认水、电、燃气表底数，签署《房屋质量验收登记表》及《维修工作单》",
    "领取钥匙": "领取房屋钥匙，签收《入住物品交接单》所列钥匙、《住户手册》、房屋水电图",
    "装修登记": "办理房屋装饰装修申报登记，签订《装修管理协议》",
}
MOVE_IN_MATTERS = tuple(m for m in MATTERS if m != "装修登记")
# The matters that are a signature on an agreement or a commitment: only a power to sign covers them.
SIGNING_MATTERS = ("签订合同", "规约承诺", "装修登记")
POWERS = ("代为办理并签署相关文件", "代为办理，不得代为签署协议")


# ---------------------------------------------------------------- shared lookups

def owner_kind(owner: dict[str, Any]) -> str:
    return ORGANISATION if owner.get("kind") == "company" else INDIVIDUAL


def owner_number(owner: dict[str, Any]) -> str | None:
    """The owner's 统一社会信用代码 (a company) or 身份证号 (a person)."""
    return owner.get("credit_code") if owner.get("kind") == "company" else owner.get("id_number")


def unit_owner(view: View, unit_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(unit row, owner row, the unit's and owner's fields every move-in paper states)."""
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    data = {"unit": unit_id, "unit_address": unit_address(unit), "area": unit.get("area"),
            "owner_name": owner["name"], "owner_kind": owner_kind(owner),
            "owner_id_number": owner_number(owner), "owner_phone": owner.get("phone")}
    return unit, owner, {k: v for k, v in data.items() if v is not None}


def _developer(ws: Workspace) -> dict[str, Any]:
    value = ws.setting("movein", "developer")
    return {"developer": str(value)} if value else {}


def _problems_of_kind(values: dict[str, Any], ctx: RuleContext, problems: list[str],
                      key: str = "owner_id_number", kind_key: str = "owner_kind") -> None:
    """A person is named by a resident ID, an organisation by its 统一社会信用代码."""
    number, kind = values.get(key), values.get(kind_key)
    if not number or not kind:
        return
    if kind == ORGANISATION and not identity.is_valid_credit_code(number):
        problems.append(f"字段 {field_title(ctx, key)}：单位应填写18位统一社会信用代码，"
                        "填写的是个人身份证号 (expected a credit code)")
    if kind == INDIVIDUAL and not identity.is_valid_resident_id(number):
        problems.append(f"字段 {field_title(ctx, key)}：个人应填写身份证号，填写的是统一社会信用代码 "
                        "(expected a resident ID)")


def forbidden_terms(values: dict[str, Any], ctx: RuleContext, key: str, problems: list[str]) -> None:
    """Clauses the data adds may not impose fines or cut supply (FORBIDDEN_TERMS)."""
    for i, clause in enumerate(values.get(key) or [], 1):
        text = clause.get("text", "") if isinstance(clause, dict) else str(clause)
        for word, why in FORBIDDEN_TERMS:
            if word in text:
                problems.append(f"字段 {key}[{i}]（{field_title(ctx, key).split('（', 1)[-1].rstrip('）')}）："
                                f"“{text[:30]}”含“{word}”：{why} (a clause the law does not allow)")
                break


def _fee_schedule(values: dict[str, Any], ctx: RuleContext, problems: list[str]) -> list[dict[str, Any]]:
    """The fee lines the document prints: the recorded schedule (明码标价), which a data file
    must repeat exactly; the data's lines where no schedule is recorded."""
    published = fees.published_lines(ctx.view)
    stated = values.get("fees") or []
    if not published:
        if not stated:
            problems.append(f"字段 {field_title(ctx, 'fees')}：未登记收费标准，须在数据中写明 (no fee schedule)")
        return stated
    want = [(p["item"], Decimal(p["price"]), p["unit"]) for p in published]
    got = [(s.get("item"), s.get("price"), s.get("unit")) for s in stated]
    if stated and got != want:
        lines = "；".join(f"{i} {formats.money(p)} {u}" for i, p, u in want)
        problems.append(f"字段 {field_title(ctx, 'fees')}：与登记的收费标准不符，应为：{lines} "
                        "(the document must state the recorded fee schedule)")
    return [{**p, "price": Decimal(p["price"])} for p in published]


def _monthly_fee(values: dict[str, Any], ctx: RuleContext, lines: list[dict[str, Any]],
                 problems: list[str]) -> Decimal | None:
    """This unit's 物业服务费 a month: area × its rate, the rate one the schedule publishes."""
    rate, area_text = values.get("fee_rate"), values.get("area")
    if rate is None or area_text is None:
        return None
    area = formats.parse_area(area_text, problems)
    rates = [ln["price"] for ln in lines if fees.PROPERTY_FEE in str(ln.get("item"))
             and "平方米" in str(ln.get("unit"))]
    if rates and rate not in rates:
        problems.append(f"字段 {field_title(ctx, 'fee_rate')}：{formats.money(rate)} 元不是收费标准中的物业服务费"
                        f"（{'、'.join(formats.money(r) for r in rates)} 元/平方米·月） (not a published rate)")
    if area is None:
        return None
    due = formats.fen(area * rate)
    given = values.get("monthly_fee")
    if given is not None and given != due:
        problems.append(f"字段 {field_title(ctx, 'monthly_fee')}：{formats.money(given)} 元与 {area} 平方米 × "
                        f"{formats.money(rate)} 元 = {formats.money(due)} 元不符 (area × rate)")
    return due


def _not_before(values: dict[str, Any], ctx: RuleContext, later: str, earlier: str,
                problems: list[str]) -> None:
    a, b = values.get(later), values.get(earlier)
    if a is not None and b is not None and a < b:
        problems.append(f"字段 {field_title(ctx, later)}：{formats.cn_date(a)} 早于 {field_title(ctx, earlier)} "
                        f"{formats.cn_date(b)}，日期前后矛盾 (dates out of order)")


def _raise(problems: list[str], ctx: RuleContext) -> None:
    if problems:
        raise ValidationError(problems, ctx.record)


# ---------------------------------------------------------------- 前期物业服务合同

@builder("unit-contract")
def contract_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 《前期物业服务合同》 of `unit_id` for its buyer: the unit, its owner, its fee rate; the fee
    lines and the monthly fee come from the recorded schedule (the rule fills them in)."""
    unit, _, data = unit_owner(view, unit_id)
    data.pop("owner_phone", None)
    data.update(_developer(ws), contract_date=as_of.isoformat(), fee_rate=unit.get("fee_rate"))
    return {k: v for k, v in data.items() if v is not None}


@rule("preliminary-service-contract")
def preliminary_service_contract(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The fee is the recorded schedule's (the unit's rate one it publishes, area × rate to the
    fen, in 大写); the term ends after it starts; the buyer's number fits the buyer; no clause
    added by the data imposes a fine or cuts supply (民法典 第九百四十四条)."""
    problems: list[str] = []
    lines = _fee_schedule(values, ctx, problems)
    monthly = _monthly_fee(values, ctx, lines, problems)
    _not_before(values, ctx, "term_end", "term_start", problems)
    _problems_of_kind(values, ctx, problems)
    forbidden_terms(values, ctx, "extra_terms", problems)
    _raise(problems, ctx)
    return {"fees": lines, "monthly_fee": monthly, "service_limits": service_limits()}


def service_limits() -> list[str]:
    """The time limits the contract commits the company to: the seed's (formsmith.deadlines)."""
    callbacks = [f"维修回访，{b}" for b in deadlines.CALLBACK_BASIS.values()]
    complaints = [f"{name}（{r['basis'].split('：', 1)[0]}）：{r['basis'].split('：', 1)[1]}"
                  for name, r in deadlines.COMPLAINT_RULES.items()]
    return callbacks + complaints


# ---------------------------------------------------------------- 临时管理规约

@builder("unit-rules")
def rules_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 《临时管理规约》 with the buyer's written commitment (物业管理条例 第二十三条): the day the
    developer made it from formsmith.toml [movein] rules_made_on; the buyer dates the commitment
    by hand when signing it."""
    _, _, data = unit_owner(view, unit_id)
    for k in ("owner_phone", "area"):
        data.pop(k, None)
    data.update(_developer(ws))
    made_on = ws.setting("movein", "rules_made_on")
    if made_on:
        data["made_on"] = str(made_on)
    return data


@rule("interim-management-rules")
def interim_management_rules(values: dict[str, Any], ctx: RuleContext) -> None:
    """The buyer's number fits the buyer; the developer's added rules impose no fine and no cut
    of supply, which no 规约 may (物业管理条例 第二十二条第二款: it may not infringe the buyer's
    lawful rights); the rules were made before the buyer promised to keep them (第二十二条第一款:
    made before the sale)."""
    problems: list[str] = []
    _problems_of_kind(values, ctx, problems)
    forbidden_terms(values, ctx, "extra_terms", problems)
    made, signed = values.get("made_on"), values.get("signed_on")
    if made is not None and signed is not None and made > signed:
        problems.append(f"字段 {field_title(ctx, 'made_on')}：{formats.cn_date(made)}晚于买受人承诺日期"
                        f"{formats.cn_date(signed)}；临时管理规约由建设单位在物业销售前制定，并在签订买卖合同时"
                        "向买受人明示（《物业管理条例》第二十二条、第二十三条） (made after the buyer's commitment)")
    _raise(problems, ctx)


# ---------------------------------------------------------------- 授权委托书

@builder("unit-agent")
def power_of_attorney_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 授权委托书 of the owner of `unit_id` to the agent on record, for the owner to sign and
    date by hand: the move-in matters, from the day it is signed until the matters are done."""
    _, owner, data = unit_owner(view, unit_id)
    data.pop("area", None)
    agent = view.get("parties", owner["agent"]) if owner.get("agent") else None
    if agent is None:
        raise InputError(f"unit {unit_id}: field agent: 业主{owner['name']}未登记受托人，"
                         "无法从登记生成授权委托书（可用 --data 填写） (no agent on record)")
    # undated: the principal dates it by hand when signing, and the term runs from that day
    data.update(agent_name=agent["name"], agent_id_number=agent.get("id_number"),
                agent_phone=agent.get("phone"), matters=[{"matter": m} for m in MOVE_IN_MATTERS],
                powers=POWERS[0])
    if owner.get("kind") == "company" and owner.get("legal_rep"):
        data["legal_rep"] = owner["legal_rep"]
    return {k: v for k, v in data.items() if v is not None}


def adult_on(id_number: str, day: date) -> bool:
    """Whether the holder of a resident ID is 18 on `day` (民法典 第十七条、第十八条)."""
    birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    years = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    return years >= 18


@rule("power-of-attorney")
def power_of_attorney(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """民法典 第一百六十五条: agent, matters, powers and term, signed by the principal; the agent an
    adult person other than the principal; a company names its 法定代表人 and signs by its seal."""
    problems: list[str] = []
    _problems_of_kind(values, ctx, problems)
    if values.get("owner_kind") == ORGANISATION and not values.get("legal_rep"):
        problems.append(f"字段 {field_title(ctx, 'legal_rep')}：单位委托须写明法定代表人（或负责人）"
                        "姓名，并由其签字 (a company names its legal representative)")
    if values.get("owner_kind") == INDIVIDUAL and values.get("legal_rep"):
        problems.append(f"字段 {field_title(ctx, 'legal_rep')}：个人委托无法定代表人，"
                        "单位委托请将委托人类型选为“单位” (does not fit the principal)")
    agent_no = values.get("agent_id_number")
    if agent_no:
        if not identity.is_valid_resident_id(agent_no):
            problems.append(f"字段 {field_title(ctx, 'agent_id_number')}：受托人应为自然人，须填写身份证号 "
                            "(the agent is a person)")
        elif agent_no == values.get("owner_id_number") or values.get("agent_name") == values.get("owner_name"):
            problems.append(f"字段 {field_title(ctx, 'agent_id_number')}：受托人与委托人为同一人，"
                            "业主本人办理无需委托 (the agent is the principal)")
        elif not adult_on(agent_no, values.get("signed_on") or ctx.as_of):   # undated: as of its issue
            problems.append(f"字段 {field_title(ctx, 'agent_id_number')}：受托人于委托日未满十八周岁，"
                            "不能作为受托人（《中华人民共和国民法典》第十八条） (the agent is a minor)")
    _not_before(values, ctx, "valid_to", "valid_from", problems)
    _not_before(values, ctx, "valid_from", "signed_on", problems)
    chosen = [m["matter"] for m in values.get("matters") or []]
    if not chosen:
        problems.append(f"字段 {field_title(ctx, 'matters')}：须写明委托事项（民法典 第一百六十五条） (required)")
    twice = sorted({m for m in chosen if chosen.count(m) > 1})
    if twice:
        problems.append(f"字段 {field_title(ctx, 'matters')}：{'、'.join(twice)}重复 (listed twice)")
    signing = [m for m in SIGNING_MATTERS if m in chosen]
    if signing and values.get("powers") == POWERS[1]:
        problems.append(f"字段 {field_title(ctx, 'powers')}：委托事项含{'、'.join(MATTERS[m] for m in signing)}，"
                        f"代理权限却为“{POWERS[1]}”；委托书应载明的代理权限与事项须一致"
                        "（《中华人民共和国民法典》第一百六十五条） (the powers do not cover the matters)")
    _raise(problems, ctx)
    title = "单位授权委托书" if values.get("owner_kind") == ORGANISATION else "授权委托书"
    return {"title": title,
            "matter_list": [{"matter": m, "text": t, "chosen": m in chosen} for m, t in MATTERS.items()]}


# ---------------------------------------------------------------- 入住通知书 and 入住手续会签单

@builder("unit-move-in-notice")
def move_in_notice_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 入住通知书 of `unit_id` to its owner: the unit, the owner, the fee rate (the rule
    computes the monthly fee from the schedule), and the days and hours of the move-in as
    formsmith.toml [movein] move_in_from, move_in_to and office_hours set them."""
    unit, _, data = unit_owner(view, unit_id)
    for k in ("owner_id_number", "owner_phone"):
        data.pop(k, None)
    data.update(notice_date=as_of.isoformat(), fee_rate=unit.get("fee_rate"),
                # the hand-over days are the community's, set for the whole batch of buyers
                period_from=ws.setting("movein", "move_in_from"), period_to=ws.setting("movein", "move_in_to"),
                office_hours=ws.setting("movein", "office_hours"))
    return {k: v for k, v in data.items() if v is not None}


@rule("move-in-notice")
def move_in_notice(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The move-in days after the notice, in order; the papers to bring are the checklist of the
    owner's kind (an agent brings the power of attorney as well); the fee the recorded one."""
    problems: list[str] = []
    _not_before(values, ctx, "period_from", "notice_date", problems)
    _not_before(values, ctx, "period_to", "period_from", problems)
    lines = _fee_schedule(values, ctx, problems)
    monthly = _monthly_fee(values, ctx, lines, problems)
    _raise(problems, ctx)
    own = CHECKLISTS[COMPANY if values.get("owner_kind") == ORGANISATION else OWNER]
    extra = [label for label, _, _ in CHECKLISTS[AGENT] if label not in {x for x, _, _ in CHECKLISTS[OWNER]}]
    return {"fees": lines, "monthly_fee": monthly, "bring": [label for label, _, _ in own],
            "bring_by_agent": extra,
            "steps": [{"dept": dept, "step": step, "what": what} for dept, step, what, _ in STATIONS]}


# The stations of the move-in (PROCESSES.md §1, in its order), the documents each one issues.
STATIONS = (
    ("客户服务中心", "验明资料", "查验身份证、入住通知书、房屋买卖合同；委托代办另验受托人身份证及授权委托书，"
     "单位购置另验单位证明及经办人身份证，复印存档", ("move-in-notice", "power-of-attorney")),
    ("客户服务中心", "填写资料、签订协议", "填写《住户登记表》；签订《前期物业服务合同》，签署《临时管理规约》承诺书",
     ("move-in-registration", "preliminary-service-contract", "interim-management-rules")),
    ("财务部", "收取费用", "按收费标准收取物业服务费，开具收款收据", ("fee-receipt",)),
    ("维修部", "房屋验收", "按《房屋质量验收登记表》逐项验收；共同查抄水表、电表、燃气表底数并签字确认；"
     "质量问题填写《维修工作单》", ("inspection-form", "meter-reading", "repair-order")),
    ("客户服务中心", "发放物品", "发放房屋钥匙、《住户手册》、房屋水电图，签收《入住物品交接单》", ("handover-receipt",)),
    ("客户服务中心", "资料归档", "入住通知书、业主身份证复印件、受托人身份证复印件、单位证明、住户登记表、协议归入房屋档案", ()),
)


# What the sign-off sheet calls each station's document on the blank line left for its number.
SHORT_NAMES = {
    "move-in-notice": "通知书", "power-of-attorney": "委托书", "move-in-registration": "登记表",
    "preliminary-service-contract": "合同", "interim-management-rules": "规约", "fee-receipt": "收据",
    "inspection-form": "验收表", "meter-reading": "表底数", "repair-order": "工作单", "handover-receipt": "交接单",
}


def _series_prefix(ctx: RuleContext, template_id: str) -> str:
    """What the numbers of a template's documents start with: 物委字 of 物委字〔2025〕1号."""
    series = ctx.ws.series_for(template_id, ctx.ws.catalog.get(template_id).series)
    return series.split("〔", 1)[0].split("{", 1)[0]


def issued_for_unit(view: View, unit_id: str, templates: tuple[str, ...]) -> list[str]:
    """The numbers of the unit's issued (not voided or superseded) documents of `templates`."""
    rows = [d for t in templates for d in view.find("documents", template=t, unit=unit_id,
                                                    where=lambda d: d["state"] not in model.RETIRED)]
    return [d["doc_no"] for d in sorted(rows, key=lambda d: (d["issued_on"], d["year"], d["seq"]))]


@builder("unit-move-in-signoff")
def move_in_signoff_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 入住手续会签单 of `unit_id`: the owner (and agent on record), and at each station the
    numbers of the documents already issued for the unit there."""
    _, owner, data = unit_owner(view, unit_id)
    for k in ("owner_id_number", "area"):
        data.pop(k, None)
    agent = view.get("parties", owner["agent"]) if owner.get("agent") else None
    kind = COMPANY if owner.get("kind") == "company" else AGENT if agent else OWNER
    data.update(applicant_kind=kind, signoff_date=as_of.isoformat(),
                stations=[{"step": step, "issued": "、".join(issued_for_unit(view, unit_id, tpls))}
                          for _, step, _, tpls in STATIONS])
    if agent:
        data["agent_name"] = agent["name"]
    for s in data["stations"]:
        if not s["issued"]:
            del s["issued"]
    return data


@rule("move-in-signoff")
def move_in_signoff(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The stations are the six of PROCESSES.md §1, in order; an agent is named when one comes."""
    problems: list[str] = []
    steps = [s["step"] for s in values.get("stations") or []]
    want = [step for _, step, _, _ in STATIONS]
    if steps != want:
        problems.append(f"字段 {field_title(ctx, 'stations')}：会签环节应依次为{'、'.join(want)}，"
                        f"实际为{'、'.join(steps) or '（空）'} (the stations of the move-in, in order)")
    if values.get("applicant_kind") in (AGENT, COMPANY) and not values.get("agent_name"):
        who = "受托人" if values["applicant_kind"] == AGENT else "经办人"
        problems.append(f"字段 {field_title(ctx, 'agent_name')}：{values['applicant_kind']}须填写{who}姓名 (missing)")
    if values.get("applicant_kind") == OWNER and values.get("agent_name"):
        problems.append(f"字段 {field_title(ctx, 'agent_name')}：业主本人办理，不应填写受托人 (does not fit)")
    _raise(problems, ctx)
    by_step = {step: (dept, what, tpls) for dept, step, what, tpls in STATIONS}
    out = []
    for s in values["stations"]:
        dept, what, tpls = by_step[s["step"]]
        numbers = [n for n in (s.get("issued") or "").split("、") if n]
        # a line to write the number of each of the station's documents not yet issued for the
        # unit (the power of attorney only when an agent comes)
        blanks = [SHORT_NAMES[t] for t in tpls
                  if (t != "power-of-attorney" or values.get("applicant_kind") == AGENT)
                  and not any(n.startswith(_series_prefix(ctx, t)) for n in numbers)]
        out.append(dict(s, dept=dept, what=what, numbers=numbers, blanks=blanks))
    return {"stations": out}
