"""房屋租赁委托代理协议: the owner (委托人) entrusts the company (受托人) with letting the unit —
finding a tenant, showing the unit, signing within the authority given, collecting the rent —
its data from the store and its rule.

The laws it rests on, by article (see also leases.py):
- 《中华人民共和国民法典》第九百一十九条 (the agency contract), 第九百二十二条 (the agent follows the
  principal's instructions), 第九百二十三条 (the agent acts in person; a sub-agent only with consent),
  第九百二十四条 (the agent reports), 第九百二十七条 (what the agent receives is handed over),
  第九百二十八条 (the fee as agreed), 第九百二十九条 (the paid agent's fault), 第九百三十三条 (either
  party may terminate at any time, compensating the loss), 第一百七十一条 (acts beyond the authority
  do not bind the principal), 第四百九十六条 (clauses excluding or limiting liability brought to
  notice), 第七百零五条 (twenty years at most);
- 《商品房屋租赁管理办法》第六条、第八条、第十一条、第十四条;
- 《物业管理条例》第四十一条 (a tenant may pay the fee by agreement, the owner jointly liable),
  第四十七条 (a tenant who breaks the 条例 or the 管理规约: the owner jointly liable — the article
  covers these two only, not the company's own 《住户手册》).

The agreement states only the powers the owner gave (委托事项): the clauses on signing leases
(第七条 the limit of that authority, 第十条 leases signed within it) and on money collected
(第七条 withholding it, 第四条 the owner's account it is paid into) appear only where the owner
entrusted signing (代签租赁合同) or collecting (代收租金、代收押金). What the owner has not stated
(the title certificate, whether anyone else owns the unit, the inventory and meter readings) is
left blank on the page to be filled in when signing, never asserted.

An owner who owes the property fee may still let the unit through the company: no law makes
the agency depend on the fee being paid, and the company may not use its services to press
for it (民法典 第九百四十四条); the agreement only says that what the unit owes up to the
hand-over is the owner's to settle.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from ... import formats, model
from ...errors import ValidationError
from ...rules import RuleContext, field_title, rule
from ...sources import builder
from ...store import View
from ...workspace import Workspace
from .leases import (MAX_LEASE_MONTHS, ORGANISATION, ROOM_RULE, agency_of, max_occupants, min_area,
                     owner_facts, owner_number)

TEMPLATE = "rental-agency-agreement"
PERCENT, FIXED = "按成交月租金比例", "固定金额"

# What the owner may entrust, each as the agreement words it.
MATTERS = {
    "代理出租": "发布房源信息，寻找、推荐承租人，查验意向承租人的身份证明",
    "代为看房": "陪同意向承租人查看房屋，不将钥匙交意向承租人单独看房",
    "代签租赁合同": "在本协议第三条约定的权限内，以甲方名义与承租人签订房屋租赁合同",
    "代收租金": "按房屋租赁合同向承租人收取租金，出具收据，并按本协议第四条转交甲方",
    "代收押金": "收取承租人交付的押金，出具收据，并按本协议第四条转交甲方",
    "房屋交接": "与承租人办理房屋交接，当场查抄水、电、燃气表读数，核对室内设施，由承租人在交接清单上签字",
    "代办登记备案": "协助甲方和承租人在房屋租赁合同订立后三十日内办理房屋租赁登记备案",
    "租期管理": "租赁期间转达承租人的报修，协助甲方履行维修义务，租赁期满或者合同解除时代为收房",
}
COLLECTING = ("代收租金", "代收押金")
# The agreement's fields that are the agency's terms (a `leases` row's `agency`, recorded by
# `rental entrust`), and the row's key of each where it differs; the rest of the agreement is
# the unit and its owner as the store records them, its date and the row's id.
AGENCY_TERMS = ("title_cert_no", "legal_rep", "co_owners", "sole_owner", "agency_from", "agency_to", "matters", "asking_rent",
                "lowest_rent", "payment_cycle", "deposit_months", "max_lease_months", "fee_kind", "fee_percent",
                "fee_amount", "remit_days", "owner_account", "keys_count", "keys_held_by", "inventory",
                "water_base", "electricity_base", "gas_base")
AGENCY_KEYS = {"agency_from": "from", "agency_to": "to"}


def issued_agency(view: View, unit_id: str, lease_id: str | None = None) -> str | None:
    """The number of the unit's latest issued (not voided or superseded) agency agreement; with
    `lease_id`, of that agency (or one issued from a data file, which names none)."""
    def cites(d: dict[str, Any]) -> bool:
        return d["state"] not in model.RETIRED and (
            lease_id is None or (d.get("record") or {}).get("lease_id") in (None, lease_id))
    rows = view.find("documents", template=TEMPLATE, unit=unit_id, where=cites)
    if not rows:
        return None
    return str(max(rows, key=lambda d: (d["issued_on"], d["year"], d["seq"]))["doc_no"])


@builder("unit-rental-agency")
def agency_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The agency agreement of `unit_id` as its `leases` row records it, with the unit and the
    owner as the store records them (the owner's number masked on the page), dated `as_of`: the
    day it is printed for both parties to sign."""
    return agency_values(view, unit_id, agency_of(view, unit_id), as_of)


def agency_values(view: View, unit_id: str, lease: dict[str, Any], as_of: date) -> dict[str, Any]:
    """The agreement's data from the `leases` row `lease` of `unit_id` (on record, or about to be
    recorded: `rental entrust` checks a new agency by the agreement it would print)."""
    _, owner, data = owner_facts(view, unit_id)
    a = lease.get("agency") or {}
    data.update({name: a.get(AGENCY_KEYS.get(name, name)) for name in AGENCY_TERMS})
    data.update(lease_id=lease["id"], owner_address=owner.get("mailing_address"), signed_on=as_of.isoformat(),
                matters=[{"matter": m} for m in a.get("matters") or []])
    return {k: v for k, v in data.items() if v is not None}


def _percent(raw: Any, ctx: RuleContext, problems: list[str]) -> Decimal | None:
    """The fee percentage: a number from 0 to 100 with at most two decimals."""
    try:
        p = Decimal(str(raw).strip().rstrip("%％"))
    except InvalidOperation:
        p = None
    if p is None or not p.is_finite() or cast(int, p.as_tuple().exponent) < -2 or not 0 <= p <= 100:
        problems.append(f"字段 {field_title(ctx, 'fee_percent')}：“{raw}”应为0至100之间、最多两位小数的百分比；"
                        "报酬按约定支付（《中华人民共和国民法典》第九百二十八条），比例须明确 (a percentage 0–100)")
        return None
    return p


def _fee(values: dict[str, Any], ctx: RuleContext, problems: list[str]) -> dict[str, Any]:
    """代理费: a share of the agreed monthly rent (shown at the asking rent) or a fixed amount."""
    kind, percent_raw, amount = values.get("fee_kind"), values.get("fee_percent"), values.get("fee_amount")
    if kind == PERCENT:
        if amount is not None:
            problems.append(f"字段 {field_title(ctx, 'fee_amount')}：代理费按成交月租金比例计收，不应另填固定金额 "
                            "(one way to compute the fee)")
        if percent_raw in (None, ""):
            problems.append(f"字段 {field_title(ctx, 'fee_percent')}：代理费按比例计收，须写明比例"
                            "（《中华人民共和国民法典》第九百二十八条） (missing)")
            return {}
        percent = _percent(percent_raw, ctx, problems)
        asking = values.get("asking_rent")
        if percent is None or asking is None:
            return {}
        at_asking = formats.fen(asking * percent / 100)
        return {"fee_percent": f"{percent.normalize():f}", "fee_at_asking": at_asking}
    if kind == FIXED:
        if percent_raw not in (None, ""):
            problems.append(f"字段 {field_title(ctx, 'fee_percent')}：代理费为固定金额，不应另填比例 "
                            "(one way to compute the fee)")
        if amount is None:
            problems.append(f"字段 {field_title(ctx, 'fee_amount')}：代理费为固定金额，须写明金额"
                            "（《中华人民共和国民法典》第九百二十八条） (missing)")
        elif amount < 0:
            problems.append(f"字段 {field_title(ctx, 'fee_amount')}：{formats.money(amount)}元为负数；代理费是甲方"
                            "向乙方支付的报酬（《中华人民共和国民法典》第九百二十八条），不能为负 (negative fee)")
    return {}


def store_owner_number(values: dict[str, Any], ctx: RuleContext, problems: list[str]) -> None:
    """A data file about a unit the store knows names the owner by the number the store records."""
    unit_id = values.get("unit")
    if ctx.origin != "data" or not isinstance(unit_id, str) or not values.get("owner_id_number"):
        return
    if ctx.view.get("units", unit_id) is None:
        return
    _, _, stored = owner_facts(ctx.view, unit_id)
    want = stored.get("owner_id_number")
    if want and want != values["owner_id_number"]:
        problems.append(f"字段 {field_title(ctx, 'owner_id_number')}：数据文件写的是“{formats.mask_id(values['owner_id_number'])}”，"
                        f"房屋 {unit_id} 的业主登记为“{formats.mask_id(want)}”；委托人须为登记的业主 "
                        "(the data disagrees with the store)")


@rule(TEMPLATE)
def rental_agency_agreement(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Refuses what the law or the owner's own instructions do not allow: a lease the agent may
    sign of more than twenty years (民法典 第七百零五条); an agency ending before it starts; a lowest
    rent above the asking rent (instructions that contradict themselves, 第九百二十二条); a fee
    percentage outside 0–100 or a negative fee (第九百二十八条); a company owner without a valid
    统一社会信用代码, or without its 法定代表人; rent collected without the account it is handed
    over to (第九百二十七条); a data file whose owner is not the store's. Computes the fee at the
    asking rent (in 大写), the matters' words and the headcount the local standard allows."""
    problems: list[str] = []
    months = values.get("max_lease_months")
    if months is not None and not 1 <= months <= MAX_LEASE_MONTHS:
        problems.append(f"字段 {field_title(ctx, 'max_lease_months')}：{months}个月；租赁期限不得超过二十年"
                        f"（{MAX_LEASE_MONTHS}个月），超过部分无效（《中华人民共和国民法典》第七百零五条） "
                        "(a lease runs 20 years at most)" if months > MAX_LEASE_MONTHS else
                        f"字段 {field_title(ctx, 'max_lease_months')}：应至少为1个月 (at least one month)")
    start, end = values.get("agency_from"), values.get("agency_to")
    if start is not None and end is not None and end < start:
        problems.append(f"字段 {field_title(ctx, 'agency_to')}：{formats.cn_date(end)}早于委托期限起始日"
                        f"{formats.cn_date(start)}，委托期限前后矛盾（《中华人民共和国民法典》第九百一十九条） "
                        "(the agency ends before it starts)")
    asking, lowest = values.get("asking_rent"), values.get("lowest_rent")
    for key in ("asking_rent", "lowest_rent"):
        if values.get(key) is not None and values[key] <= 0:
            problems.append(f"字段 {field_title(ctx, key)}：应大于0 (must be positive)")
    if asking is not None and lowest is not None and lowest > asking:
        problems.append(f"字段 {field_title(ctx, 'lowest_rent')}：{formats.money(lowest)}元高于挂牌月租金"
                        f"{formats.money(asking)}元，甲方的指示前后矛盾；受托人应当按照委托人的指示处理委托事务"
                        "（《中华人民共和国民法典》第九百二十二条） (the lowest rent is above the asking rent)")
    computed = _fee(values, ctx, problems)
    owner_number(values, ctx, problems)
    store_owner_number(values, ctx, problems)
    if values.get("owner_kind") == ORGANISATION and not values.get("legal_rep"):
        problems.append(f"字段 {field_title(ctx, 'legal_rep')}：委托人为单位，须写明法定代表人（或负责人），"
                        "由其或其授权代表签字并加盖单位公章（《中华人民共和国民法典》第四百九十条） "
                        "(a company names its legal representative)")
    if values.get("owner_kind") != ORGANISATION and values.get("legal_rep"):
        problems.append(f"字段 {field_title(ctx, 'legal_rep')}：委托人为个人，无法定代表人；单位委托请将委托人类型选为"
                        "“单位” (does not fit the principal)")
    if values.get("sole_owner") and values.get("co_owners"):
        problems.append(f"字段 {field_title(ctx, 'sole_owner')}：已写明共有人{values['co_owners']}，不能同时确认无其他共有人，"
                        "前后矛盾 (contradicts co_owners)")
    chosen = [m["matter"] for m in values.get("matters") or []]
    if not chosen:
        problems.append(f"字段 {field_title(ctx, 'matters')}：须写明委托事项（《中华人民共和国民法典》第九百一十九条） "
                        "(required)")
    twice = sorted({m for m in chosen if chosen.count(m) > 1})
    if twice:
        problems.append(f"字段 {field_title(ctx, 'matters')}：{'、'.join(twice)}重复 (listed twice)")
    collects = [m for m in COLLECTING if m in chosen]
    if collects and not values.get("owner_account"):
        problems.append(f"字段 {field_title(ctx, 'owner_account')}：委托{'、'.join(collects)}须写明甲方收款账户；"
                        "受托人处理委托事务取得的财产，应当转交给委托人（《中华人民共和国民法典》第九百二十七条） "
                        "(where the rent collected goes)")
    if collects and not values.get("remit_days"):
        problems.append(f"字段 {field_title(ctx, 'remit_days')}：委托{'、'.join(collects)}须约定转交期限"
                        "（《中华人民共和国民法典》第九百二十七条） (missing)")
    for key in ("water_base", "electricity_base", "gas_base"):
        if values.get(key) not in (None, ""):
            formats.meter_value(values[key], key, problems)
    if problems:
        raise ValidationError(problems, ctx.record)
    per_person, rule_text = min_area(ctx.ws)
    return {**computed, "matters": [{"matter": m, "text": MATTERS[m]} for m in chosen],
            "collects_rent": "代收租金" in chosen, "collects_deposit": "代收押金" in chosen,
            "signs_lease": "代签租赁合同" in chosen,
            "min_area": f"{per_person.normalize():f}" if per_person is not None else None,
            "min_area_rule": rule_text, "max_occupants": max_occupants(values.get("area"), per_person),
            "room_rule": ROOM_RULE}
