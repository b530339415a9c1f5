"""Renovation rules (PROCESSES.md §5; 《住宅室内装饰装修管理办法》建设部令第110号, 第五条至第七条).

What 第五条 forbids outright (works.WORKS: 拆除承重墙, 拆除连接阳台的墙体, 扩大承重墙上的门窗,
改为卫生间/厨房间, 损坏节能设施) gets no agreement, no permit and no worker pass, whatever
approval is on file. Every other regulated work needs the approval its article names before the
permit and the passes: the planning authority's (第六条（一）（二）), the heating or gas company's
(第六条（三）（四）), a design unit's design scheme (第五条（一）, 第七条); and a plan that alters
the main structure or clearly adds load needs the local real-estate authority's approval (§5).
The works are the renovation's given `works` codes plus what its plan says (works.classify).

The data names the approvals (approval_authority/no/date for the real-estate authority's,
`approvals` for the others); when the data names a renovation that the store holds, the store is
the truth: its structural flag, its works and its recorded approvals (`formsmith renovation
approve`) decide, so a data file cannot claim an approval that was never recorded.
"""
from __future__ import annotations

from typing import Any

from ... import formats
from ...errors import ValidationError
from ...model import RETIRED
from ...formats import fen, parse_area
from ...renovation_terms import BREACH, PROHIBITIONS, WORK_HOURS, prohibitions, work_hours  # noqa: F401
from ...rules import RuleContext, rule
from .sources import approval_of_kind, approvals_of, issued_for
from .works import AUTHORITIES, BY_CODE, LAW, Found, classify, kinds_of, parse_codes

# The 装修消防安全责任书's duties of owner and contractor: (what, where it comes from). 消防法 is
# 《中华人民共和国消防法》(2021年修正); "本小区装修管理规定" marks the community's own rules (PROHIBITIONS).
FIRE_LAW = "《中华人民共和国消防法》"
FIRE_DUTIES = (
    ("使用的装修、装饰材料的防火性能符合国家标准，没有国家标准的符合行业标准", f"{FIRE_LAW}第二十六条"),
    ("施工现场禁止吸烟；因施工需要使用明火或者进行电焊、气割等动火作业的，事先到物业服务人办理动火审批，"
     "清除周围可燃物，配备灭火器材并专人监护，作业后确认无遗留火种", f"{FIRE_LAW}第二十一条"),
    ("进行电焊、气焊等具有火灾危险作业的人员持证上岗，遵守消防安全操作规程", f"{FIRE_LAW}第二十一条"),
    ("不得损坏、挪用或者擅自拆除、停用消防设施、器材，不得埋压、圈占、遮挡消火栓，不得占用、堵塞、封闭"
     "疏散通道、安全出口、消防车通道；装修材料和垃圾不得堆放在楼道、楼梯间和电梯厅", f"{FIRE_LAW}第二十八条"),
    ("施工用电由电工接驳，不得私拉乱接电线、超负荷用电；油漆、稀释剂等易燃材料限量存放、远离火源，"
     "可燃装修垃圾当日清运；每日收工时切断施工电源、关闭门窗", "本小区装修管理规定"),
    ("施工现场配备灭火器不少于2具，不得在装修房屋内留宿施工人员", "本小区装修管理规定"),
    ("发现火灾立即拨打119报警，及时通知物业服务人，并组织人员疏散、扑救初起火灾", f"{FIRE_LAW}第四十四条"),
)
# Works that alter the main structure or add load: the plan is structural (§5) whatever its flag says.
STRUCTURAL_WORKS = ("structure-change", "floor-load")
APPROVAL_FIELDS = (("approval_authority", "批准机关"), ("approval_no", "批准文号"),
                   ("approval_date", "批准日期"))
# Where `formsmith renovation approve` keeps each of them in a recorded approval.
STORED_AS = {"approval_authority": "authority", "approval_no": "ref", "approval_date": "date"}


def _renovation_on_record(values: dict[str, Any], ctx: RuleContext, document: str):
    """The store's row of the renovation (checked against the data) and its regulated works;
    refused when the data contradicts the row or a work is one the law forbids outright."""
    problems: list[str] = []
    row = stored_renovation(values, ctx)
    _check_against_store(values, row, problems)
    if problems:
        raise ValidationError(problems, ctx.record)
    found = renovation_works(values, row, ctx)
    refuse_forbidden(values, found, ctx, document)
    return row, found


def stored_renovation(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any] | None:
    """The store's row of the renovation the data names, if the store holds it."""
    rid = values.get("renovation_id")
    if not rid:
        return None
    return ctx.view.get("renovations", rid)


def _check_against_store(values: dict[str, Any], row: dict[str, Any] | None,
                         problems: list[str]) -> None:
    if row is None:
        return
    rid = row["id"]
    if values.get("unit") and values["unit"] != row["unit"]:
        problems.append(f"字段 unit（房屋编号）：装修登记{rid}的房屋为{row['unit']}，与填写的{values['unit']}不符 "
                        "(does not match the renovation on record)")
    if row.get("structural_change") and values.get("structural_change") is False:
        problems.append(f"字段 structural_change（涉及拆改主体结构）：装修登记{rid}的方案涉及拆改主体结构，"
                        "不能填写为不涉及 (the record says the plan alters the main structure)")


def renovation_works(values: dict[str, Any], row: dict[str, Any] | None, ctx: RuleContext) -> list[Found]:
    """The regulated works of the renovation: given codes (data and store) plus what its plans say."""
    given, unknown = parse_codes(values.get("works"))
    stored, stored_unknown = parse_codes((row or {}).get("works"))
    if unknown or stored_unknown:
        raise ValidationError([f"字段 works（装修事项）：未知的事项代码 {'、'.join(unknown + stored_unknown)}，"
                               f"可选：{'、'.join(BY_CODE)} (unknown work code)"], ctx.record)
    return classify([values.get("plan"), (row or {}).get("plan")], stored + given)


def _whose(values: dict[str, Any]) -> str:
    return f"装修登记{values['renovation_id']}的" if values.get("renovation_id") else ""


def _said(found: Found) -> str:
    return f"方案“{found.where}”含“{found.work.label}”" if found.where else f"登记的装修事项含“{found.work.label}”"


def refuse_forbidden(values: dict[str, Any], found: list[Found], ctx: RuleContext, document: str) -> None:
    """第五条: no document at all for a plan with a work the law forbids outright; a line per work."""
    lines = [f"字段 {'plan（装修内容）' if f.where else 'works（装修事项）'}：{_whose(values)}{_said(f)}，属{LAW}"
             f"{f.work.article}禁止的行为（“{f.work.law}”），不予办理{document}，任何批准均不能豁免 "
             "(forbidden outright by law, whatever approval is on file)"
             for f in found if f.work.forbidden]
    if lines:
        raise ValidationError(lines, ctx.record)


def structural_of(values: dict[str, Any], row: dict[str, Any] | None, found: list[Found]) -> bool:
    return (bool(values.get("structural_change")) or bool(row and row.get("structural_change"))
            or any(f.work.code in STRUCTURAL_WORKS for f in found))


def _housing_from_store(values: dict[str, Any], row: dict[str, Any], document: str,
                        problems: list[str]) -> dict[str, Any]:
    """§5: the real-estate authority's approval of a structural plan, as recorded; {} if missing."""
    approval = approval_of_kind(row, "housing") or {}
    missing = [label for key, label in APPROVAL_FIELDS if not approval.get(STORED_AS[key])]
    if missing:
        problems.append(
            f"字段 authority_approval（主管部门批准文件）：装修{row['id']}的方案（{row.get('plan', '')}）涉及拆改主体结构或明显加大荷载，"
            f"房地产行政主管部门的批准尚未登记（缺少{'、'.join(missing)}），不予核发{document}；"
            f"请取得批准后先登记：formsmith renovation approve {row['id']} "
            "(structural change without the authority's approval on file)")
        return {}
    recorded = {"approval_authority": approval["authority"], "approval_no": approval["ref"],
                "approval_date": formats.parse_date(approval["date"])}
    for key, label in APPROVAL_FIELDS:
        if values.get(key) and values[key] != recorded[key]:
            problems.append(f"字段 {key}（{label}）：与装修{row['id']}登记的批准文件不符（登记为"
                            f"{formats.cn_date(recorded[key]) if key == 'approval_date' else recorded[key]}）"
                            " (does not match the recorded approval)")
    return recorded


def _housing_from_data(values: dict[str, Any], document: str, problems: list[str]) -> dict[str, Any]:
    """§5 for data of a renovation the store does not hold: the approval the data names."""
    rid = values.get("renovation_id") or values.get("unit") or ""
    missing = [f"{label}（{key}）" for key, label in APPROVAL_FIELDS if not values.get(key)]
    if missing:
        problems.append(
            f"字段 approval_no（主管部门批准文件）：装修{rid}的方案涉及拆改主体结构或明显加大荷载，缺少房地产行政主管部门的"
            f"批准文件：{'、'.join(missing)}，不予核发{document} "
            "(structural change without the authority's approval)")
        return {}
    if "housing" not in kinds_of(values["approval_authority"]):
        problems.append(f"字段 approval_authority（批准机关）：装修{rid}的方案涉及拆改主体结构或明显加大荷载，须经房地产行政主管部门批准，"
                        f"“{values['approval_authority']}”不是房地产行政主管部门，不予核发{document} "
                        "(not the real-estate authority)")
        return {}
    return {k: values[k] for k, _ in APPROVAL_FIELDS}


def _stated_approvals(values: dict[str, Any], ctx: RuleContext) -> list[dict[str, Any]]:
    """The approvals data names (for a renovation the store does not hold), each with the kinds
    its authority's name says; one dated after today is refused."""
    stated = [({"authority": values["approval_authority"], "ref": values["approval_no"],
                "date": values["approval_date"]}, "approval_date（批准日期）")] \
        if all(values.get(k) for k, _ in APPROVAL_FIELDS) else []
    stated += [(a, f"approvals[{i}].date（日期）") for i, a in enumerate(values.get("approvals") or [], 1)]
    for a, field in stated:
        if a["date"] > ctx.as_of:
            raise ValidationError([f"字段 {field}：{formats.cn_date(a['date'])}晚于今日，批准尚未取得 "
                                   "(approval date is in the future)"], ctx.record)
    return [dict(a, kinds=kinds_of(a["authority"])) for a, _ in stated]


def _recorded_approvals(values: dict[str, Any], row: dict[str, Any], problems: list[str]) -> list[dict[str, Any]]:
    """The approvals the store records for the renovation; the data's `approvals` must be among them."""
    on_file = [dict(a, kinds=(a["kind"],), date=formats.parse_date(a["date"])) for a in approvals_of(row)]
    for i, a in enumerate(values.get("approvals") or [], 1):
        if not any((r["authority"], r["ref"], r["date"]) == (a["authority"], a["ref"], a["date"]) for r in on_file):
            problems.append(f"字段 approvals[{i}]（批准文件）：装修{row['id']}未登记{a['authority']}的{a['ref']}"
                            f"（{formats.cn_date(a['date'])}），请先登记：formsmith renovation approve {row['id']} "
                            "(an approval that was never recorded)")
    return on_file


def _work_approvals(values: dict[str, Any], row: dict[str, Any] | None, found: list[Found],
                    on_file: list[dict[str, Any]], document: str, problems: list[str]) -> list[dict[str, Any]]:
    """Each regulated work's approval of the kind its article names; a line per one not on file."""
    out = []
    for f in found:
        authority = f.work.authority
        if authority is None:
            continue
        a = next((a for a in on_file if authority.kind in a["kinds"]), None)
        if a is not None:
            out.append({"work": f.work.label, "article": f.work.article, "authority": a["authority"],
                        "ref": a["ref"], "date": a["date"], "act": authority.act})
            continue
        what = "设计方案" if authority.kind == "design" else "批准文件"
        law = f"{_whose(values)}{_said(f)}，依{LAW}{f.work.article}{authority.requirement}"
        if row is not None:
            have = "、".join(f"{a['authority']}（{AUTHORITIES[a['kind']].title}）" for a in approvals_of(row))
            problems.append(f"字段 approvals（批准文件）：{law}，{what}尚未登记{f'（已登记：{have}）' if have else ''}，"
                            f"不予核发{document}；取得后先登记：formsmith renovation approve {row['id']} "
                            f"--kind {authority.kind} --authority … --ref … --date … "
                            f"({_needs_en(authority.kind)} not on file)")
        else:
            named = "、".join(f"“{a['authority']}”" for a in on_file)
            problems.append(f"字段 approvals（批准文件）：{law}，"
                            f"{f'填写的{named}不是{authority.title}' if named else f'未填写{what}'}，"
                            f"不予核发{document} ({_needs_en(authority.kind)} not given)")
    return out


def _needs_en(kind: str) -> str:
    return "a design unit's design scheme" if kind == "design" else f"the {kind} authority's approval"


def permit_gate(values: dict[str, Any], ctx: RuleContext, document: str) -> dict[str, Any]:
    """Refuse `document` for a forbidden work or an approval not on file; return what to print.

    Returns structural_change, the real-estate authority's approval of a structural plan
    (approval_authority, approval_no, approval_date) and `approved_works`: each regulated work
    with the approval (or design scheme) it has.
    """
    problems: list[str] = []
    row, found = _renovation_on_record(values, ctx, document)
    on_file = _recorded_approvals(values, row, problems) if row is not None else _stated_approvals(values, ctx)
    housing: dict[str, Any] = {}
    structural = structural_of(values, row, found)
    if structural and row is not None:
        housing = _housing_from_store(values, row, document, problems)
    elif structural:
        housing = _housing_from_data(values, document, problems)
    approved = _work_approvals(values, row, found, on_file, document, problems)
    if problems:
        raise ValidationError(problems, ctx.record)
    return {"structural_change": structural, **housing, "approved_works": approved}


def cited_document(values: dict[str, Any], ctx: RuleContext, key: str, template: str, title: str) -> None:
    """The number of the renovation's agreement (on the permit) or permit (on the passes) the
    data cites: for a renovation the store holds, the one issued for it, if one was; a number
    of the store's that is another document is refused either way."""
    stated, row = values.get(key), stored_renovation(values, ctx)
    if not stated or row is None:
        return
    issued = issued_for(ctx.view, template, row["id"])
    other = next((d for d in ctx.view.find("documents", doc_no=stated)), None)
    problem = None
    valid = other is not None and other["template"] == template and other.get("state") not in RETIRED \
        and (other.get("record") or {}).get("renovation_id") == row["id"]
    if valid:                  # one of its documents in force (a copy issued again is one too)
        return
    if issued is not None and issued["doc_no"] != stated:
        problem = f"装修{row['id']}已开具的{title}为{issued['doc_no']}，不是{stated}"
    elif issued is None and other is not None:
        of = (other.get("record") or {}).get("renovation_id")
        if other["template"] != template:
            problem = f"{stated}是{other.get('title') or other['template']}，不是装修{row['id']}的{title}"
        elif of != row["id"]:
            problem = f"{stated}是{f'装修{of}的' if of else '另一'}{title}，不是装修{row['id']}的"
        else:
            problem = f"{stated}已作废或被替代，不能引用"
    if problem:
        raise ValidationError([f"字段 {key}（{title}编号）：{problem} (cites a document the store records otherwise)"],
                              ctx.record)


def _period(values: dict[str, Any], ctx: RuleContext, start: str, end: str) -> None:
    if values.get(start) and values.get(end) and values[end] < values[start]:
        raise ValidationError([f"字段 {end}：{formats.cn_date(values[end])}早于"
                               f"{formats.cn_date(values[start])} (the period ends before it starts)"],
                              ctx.record)


def applicant_papers(values: dict[str, Any], ctx: RuleContext) -> list[str]:
    """§5: the owner's ID, or the agent's ID and power of attorney (copied into the unit's file)."""
    problems: list[str] = []
    if values.get("applicant_kind") == "委托代办":
        for key, label in (("agent_name", "受托人姓名"), ("agent_id_number", "受托人身份证号"),
                           ("power_of_attorney", "授权委托书")):
            if not values.get(key):
                problems.append(f"字段 {key}（{label}）：委托他人办理装修手续须提供受托人身份证和授权委托书，"
                                f"缺少{label} (missing)")
    else:
        for key, label in (("agent_name", "受托人姓名"), ("agent_id_number", "受托人身份证号"),
                           ("power_of_attorney", "授权委托书")):
            if values.get(key):
                problems.append(f"字段 {key}（{label}）：申请人为业主本人，不应填写受托人资料；"
                                "如由他人代办请选择“委托代办” (does not fit the applicant kind)")
    if problems:
        raise ValidationError(problems, ctx.record)
    papers = ["业主身份证（查验）"]
    if values.get("applicant_kind") == "委托代办":
        papers += ["受托人身份证（复印存档）", "授权委托书（原件存档）"]
    return papers


@rule("renovation-agreement")
def renovation_agreement(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Agreement: the applicant's papers, the period, the hours and prohibitions to be told; none
    for a plan the law forbids; the regulated works listed with what each needs and has."""
    papers = applicant_papers(values, ctx)
    _period(values, ctx, "start_date", "end_date")
    row, found = _renovation_on_record(values, ctx, "装修管理协议")
    on_file = approvals_of(row) if row is not None else []
    regulated = []
    for f in found:
        authority = f.work.authority
        if authority is not None:
            a = next((a for a in on_file if a["kind"] == authority.kind), None)
            regulated.append({"work": f.work.label, "article": f.work.article, "requirement": authority.requirement,
                              "approval": _printed(a, authority.act)})
    housing = approval_of_kind(row, "housing") if row is not None else None
    return {"papers": papers, "work_hours": work_hours(values, ctx), "prohibitions": prohibitions(),
            "structural_change": structural_of(values, row, found), "regulated": regulated,
            "approval": _printed(housing, "批准"),
            "breach_text": BREACH.format(who="甲方、乙方", what="本协议", company="丙方")}


@rule("renovation-fire-safety")
def renovation_fire_safety(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The fire-safety undertaking: signed with the agreement, so refused like it for a plan the
    law forbids outright (第五条); the period in order; the duties by article of 消防法."""
    _period(values, ctx, "start_date", "end_date")
    _renovation_on_record(values, ctx, "装修消防安全责任书")
    return {"fire_duties": [{"text": t, "source": src} for t, src in FIRE_DUTIES],
            "breach_text": BREACH.format(who="甲方、乙方", what="本责任书", company="丙方")}


def _printed(approval: dict[str, Any] | None, act: str) -> dict[str, Any] | None:
    return {"authority": approval["authority"], "ref": approval["ref"], "act": act,
            "date": formats.parse_date(approval["date"])} if approval else None


@rule("renovation-permit")
def renovation_permit(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """No permit for a forbidden work, nor before each approval the plan needs is on file."""
    _period(values, ctx, "start_date", "end_date")
    gate = permit_gate(values, ctx, "装修施工许可证")
    cited_document(values, ctx, "agreement_no", "renovation-agreement", "装修管理协议")
    if values.get("workers") is not None and values["workers"] < 1:
        raise ValidationError(["字段 workers（施工人数）：至少1人 (at least one worker)"], ctx.record)
    return {"work_hours": work_hours(values, ctx), "prohibitions": prohibitions(), **gate}


@rule("worker-pass")
def worker_pass(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Passes only for a renovation that may have its permit; one card per worker, no one twice."""
    _period(values, ctx, "valid_from", "valid_to")
    gate = permit_gate(values, ctx, "施工人员临时出入证")
    cited_document(values, ctx, "permit_no", "renovation-permit", "装修施工许可证")
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, w in enumerate(values.get("workers") or [], 1):
        if w["id_number"] in seen:
            problems.append(f"字段 workers[{i}].id_number（身份证号）：与第{seen[w['id_number']]}人重复，"
                            "一人一证 (the same worker twice)")
        seen.setdefault(w["id_number"], i)
    row = stored_renovation(values, ctx)
    if row is not None:
        if row.get("end") and values["valid_to"].isoformat() > row["end"]:
            problems.append(f"字段 valid_to（有效期至）：晚于装修{row['id']}登记的完工日期"
                            f"{formats.cn_date(row['end'])} (beyond the renovation period)")
    if problems:
        raise ValidationError(problems, ctx.record)
    return {"cards": [dict(w, card_no=f"{n:02d}") for n, w in enumerate(values["workers"], 1)], **gate}


@rule("debris-fee-receipt")
def debris_fee_receipt(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any] | None:
    """The fee is area × rate to the fen when both are given; a different amount is refused."""
    amount = values["amount"]
    if amount <= 0:
        raise ValidationError(["字段 amount（金额）：应大于0 (must be positive)"], ctx.record)
    area, rate = values.get("area"), values.get("rate")
    if (area is None) != (rate is None):
        raise ValidationError(["字段 area/rate（面积与收费标准）：须同时填写或同时不填 (give both or neither)"],
                              ctx.record)
    if area is not None and rate is not None:          # both or neither (above)
        problems: list[str] = []
        a = parse_area(area, problems)
        if problems or a is None:                      # None: a problem was listed
            raise ValidationError(problems, ctx.record)
        due = fen(a * rate)
        if amount != due:
            raise ValidationError([f"字段 amount（金额）：{formats.money(amount)}元与收费标准不符，应为"
                                   f"{a}平方米 × {formats.money(rate)}元 = {formats.money(due)}元 "
                                   "(amount differs from area × rate)"], ctx.record)
    return None
