"""租户登记表: the household of a let unit registered with the service centre — the lease, each
tenant with only what is needed (the ID number masked), vehicles, an emergency contact, the lease
filing, and the 居住登记 reminder — its data from the store and its rule.

The laws it rests on, by article (see also leases.py):
- 《中华人民共和国个人信息保护法》第六条 (no more than the purpose needs: no ID number of a child
  under 14 is printed), 第十三条 (consent as the basis), 第十七条 (what the notice says: who,
  purpose, kinds, retention, how to exercise rights), 第十九条 (kept no longer than needed),
  第二十八条 (a child's data are sensitive: the form says why they are collected), 第三十一条 (a
  child under 14: the guardian's consent, which the guardian ticks and signs on the printed form —
  the data name the guardian, they never tick the box);
- 《商品房屋租赁管理办法》第八条 (the per-person floor-area standard), 第十四条 (filing within 30
  days), 第十九条 (the parties' identity papers);
- 《居住证暂行条例》第八条 (the lessor helps), 第九条、第十条 (the 居住证 applied for at the local
  police station, with what papers), 第十三条 (endorsed once a year); 《中华人民共和国出境入境管理法》
  第三十九条 (a foreigner living outside a hotel registers with the police within 24 hours: it
  covers foreigners only — a 港澳台 resident is reminded of the local registration, no article) —
  reminders: the company neither registers residents nor holds their papers.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from ... import formats, identity
from ...errors import NotFoundError, ValidationError
from ...rules import RuleContext, field_title, rule
from ...sources import builder
from ...store import View
from ...workspace import Workspace
from .agency import issued_agency
from .leases import age_on, lease_of, lease_term, max_occupants, min_area, not_before, owner_facts

TEMPLATE = "tenant-registration"
TENANT = "承租人"
OWNER_LETS, AGENT_LETS = "业主自行出租", "委托代理出租"
RESIDENT_IDS = ("居民身份证", "港澳台居民居住证")        # GB 11643 numbers, check digit and all
FOREIGN = ("外国人永久居留身份证", "护照")
FILING_DAYS = 30                                       # 《商品房屋租赁管理办法》第十四条
OTHER_ID = re.compile(r"[A-Z0-9]{5,20}")
# Where a `leases` row keeps what the form states (recorded by `rental let`): the lease's
# terms under `lease`, the household at the row's top level, the emergency contact under
# `emergency` (emergency_name → emergency.name).
LEASE_KEYS = {"lease_contract_no": "contract_no", "lease_signed_on": "signed_on", "lease_from": "from",
              "lease_to": "to", "filing_no": "filing_no"}
# No guardian's consent among them: the guardian gives it on the printed form, ticking the box
# and signing (个人信息保护法 第三十一条) — data cannot tick it beforehand.
HOUSEHOLD = ("tenants", "vehicles", "guardian_name", "remarks")
EMERGENCY = ("emergency_name", "emergency_relation", "emergency_phone")


@builder("unit-tenants")
def tenants_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 租户登记表 of `unit_id`: the lease and the household its latest `leases` row records,
    the unit and the owner as the store records them, and the agency agreement issued for it."""
    lease = lease_of(view, unit_id)
    if not lease.get("lease"):
        raise NotFoundError(f"房屋 {unit_id}：字段 lease_from（租赁期限起始日）：{lease['id']}已委托出租，"
                            "尚未登记租赁合同和承租人，无法从登记生成租户登记表（可用 --data 填写） (no lease signed yet)")
    return registration_values(ws, view, unit_id, lease, as_of)


def registration_values(ws: Workspace, view: View, unit_id: str, lease: dict[str, Any],
                        as_of: date) -> dict[str, Any]:
    """The form's data from the `leases` row `lease` of `unit_id` (on record, or about to be:
    `rental let` checks a household by the form it would print). Let through the company (the
    row records an agency): its issued agreement's number, or the company as the agent while
    none is issued; else as the row says (业主自行出租, or another agent)."""
    let = lease.get("lease") or {}
    _, _, data = owner_facts(view, unit_id)
    data.pop("owner_id_number", None)          # the form needs the owner's name and phone only
    data.pop("owner_kind", None)
    if lease.get("agency"):
        agency_no = issued_agency(view, unit_id, lease["id"])
        data.update(let_by=AGENT_LETS, agency_no=agency_no, agent_name=None if agency_no else ws.company.name)
    else:
        data.update(let_by=lease.get("let_by") or OWNER_LETS, agent_name=lease.get("agent_name"))
    data.update({name: let.get(key) for name, key in LEASE_KEYS.items()})
    data.update({name: lease.get(name) for name in HOUSEHOLD})
    data.update({f"emergency_{k}": v for k, v in (lease.get("emergency") or {}).items()})
    data.update(lease_id=lease["id"], register_date=as_of.isoformat(), tenants=lease.get("tenants") or [],
                vehicles=lease.get("vehicles") or [])
    return {k: v for k, v in data.items() if v is not None}


def _tenant_problems(values: dict[str, Any], ctx: RuleContext, problems: list[str]) -> list[str]:
    """Each tenant's identity paper, and who is under 14 (by the form or the ID's birth date)."""
    minors: list[str] = []
    day = values.get("register_date") or ctx.as_of
    for i, t in enumerate(values.get("tenants") or [], 1):
        kind, number = t.get("id_type"), (t.get("id_number") or "").upper()
        age = age_on(number, day) if kind in RESIDENT_IDS else None
        flagged = t.get("under_14")
        if number and kind in RESIDENT_IDS and not identity.is_valid_resident_id(number):
            problems.append(f"字段 tenants[{i}].id_number（证件号码）：{t['name']}的{kind}号码无效"
                            "（GB 11643 校验位或出生日期不符） (not a valid resident ID)")
        elif number and kind not in RESIDENT_IDS and not OTHER_ID.fullmatch(number):
            problems.append(f"字段 tenants[{i}].id_number（证件号码）：{t['name']}的{kind}号码应为5至20位字母或数字 "
                            "(not a document number)")
        if age is not None and flagged is not None and flagged != (age < 14):
            problems.append(f"字段 tenants[{i}].under_14（未满十四周岁）：与证件号码的出生日期不符（登记日{age}周岁） "
                            "(contradicts the ID number's birth date)")
        minor = bool(flagged) or (age is not None and age < 14)
        if minor:
            minors.append(t["name"])
        elif not number:
            problems.append(f"字段 tenants[{i}].id_number（证件号码）：{t['name']}未填写证件号码；办理房屋租赁登记备案须提交"
                            "房屋租赁当事人身份证明（《商品房屋租赁管理办法》第十九条） (an identity paper is needed)")
    return minors


@rule(TEMPLATE)
def tenant_registration(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Refuses a lease ending before it starts or running over twenty years (民法典 第七百零五条);
    a household without a tenant (《商品房屋租赁管理办法》第十九条); a tenant of 14 or more without an
    identity paper, or with an invalid one; a child under 14 without a guardian named, who
    consents on the form (个人信息保护法 第三十一条); more people than the unit's floor area allows
    under the local standard, when formsmith.toml [rental] sets it (办法 第八条); 委托代理出租 without the agent.
    Computes the minors, the filing deadline (30 days after signing, 第十四条) and whether a
    foreigner's 24-hour registration is to be recalled."""
    problems: list[str] = []
    lease_term(values, ctx, "lease_from", "lease_to", problems)
    not_before(values, ctx, "lease_from", "lease_signed_on", problems)
    tenants = values.get("tenants") or []
    if not tenants:
        problems.append(f"字段 {field_title(ctx, 'tenants')}：未登记承租人；办理房屋租赁登记备案须提交房屋租赁当事人"
                        "身份证明（《商品房屋租赁管理办法》第十九条） (no tenant)")
    elif not any(t.get("relation") == TENANT for t in tenants):
        problems.append(f"字段 {field_title(ctx, 'tenants')}：须有一人与承租人关系为“承租人”（租赁合同的承租方）"
                        "（《商品房屋租赁管理办法》第十九条） (who signed the lease)")
    minors = _tenant_problems(values, ctx, problems)
    if minors and not values.get("guardian_name"):
        problems.append(f"字段 {field_title(ctx, 'guardian_name')}：{'、'.join(minors)}未满十四周岁，登记其个人信息须取得"
                        "其父母或者其他监护人的同意（《中华人民共和国个人信息保护法》第三十一条）；请填写监护人姓名，"
                        "由监护人在表上勾选同意并签字 (a child under 14 needs a guardian, who consents on the form)")
    per_person, rule_text = min_area(ctx.ws)
    allowed = max_occupants(values.get("area"), per_person)
    if per_person is not None and allowed is not None and len(tenants) > allowed:
        where = f"（{rule_text}）" if rule_text else ""
        problems.append(f"字段 {field_title(ctx, 'tenants')}：登记{len(tenants)}人，房屋建筑面积{values['area']}平方米，"
                        f"按当地人均租住建筑面积不低于{per_person.normalize():f}平方米的标准{where}最多居住{allowed}人；"
                        "人均租住建筑面积不得低于当地人民政府规定的最低标准（《商品房屋租赁管理办法》第八条） "
                        "(more people than the floor area allows)")
    if values.get("let_by") == AGENT_LETS and not (values.get("agency_no") or values.get("agent_name")):
        problems.append(f"字段 {field_title(ctx, 'agent_name')}：委托代理出租须写明受托人或委托代理协议编号 (who lets the unit)")
    if values.get("let_by") == OWNER_LETS and (values.get("agency_no") or values.get("agent_name")):
        problems.append(f"字段 {field_title(ctx, 'let_by')}：填写了受托人或委托代理协议，出租方式应为“委托代理出租” "
                        "(does not fit)")
    if problems:
        raise ValidationError(problems, ctx.record)
    signed = values.get("lease_signed_on")
    filing_by = signed + timedelta(days=FILING_DAYS) if isinstance(signed, date) and not values.get("filing_no") else None
    foreign = [t["name"] for t in tenants if t.get("id_type") in FOREIGN]
    return {"minors": minors, "filing_by": formats.cn_date(filing_by) if filing_by else None,
            "foreigners": foreign, "max_occupants": allowed,
            "min_area": f"{per_person.normalize():f}" if per_person is not None else None}
