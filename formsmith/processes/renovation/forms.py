"""The renovation's application and its completion (PROCESSES.md §5): 装修申请登记表 and
装修完工验收单, from the renovation on record, with their rules.

《住宅室内装饰装修管理办法》(建设部令第110号): the owner declares the works to the property
company before they start (第十三条), with the papers 第十四条 lists; the company tells owner and
contractor what is forbidden (第十五条). After completion the company inspects the works against
the agreement and keeps the record (第三十条); what breaks the law or the agreement is to be put
right — the company asks for it and reports, it does not order (no administrative power).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from ... import formats, model
from ...errors import ValidationError
from ...rules import RuleContext, field_title, rule
from ...sources import builder, owner_of
from ...store import View
from ...workspace import Workspace
from .rules import _check_against_store, _period, applicant_papers, renovation_works, stored_renovation, structural_of
from .sources import _common, approval_of_kind, approvals_of
from .works import LAW

# 第十四条: what the application brings (the last item only when a firm does the works).
APPLICATION_PAPERS = (
    "房屋所有权证（或者证明其合法权益的有效凭证）",
    "申请人身份证件",
    "装饰装修方案",
)
FIRM_PAPER = "装饰装修企业相关资质证书的复印件"
AGENT_PAPERS = ("受托人身份证（复印存档）", "授权委托书（原件存档）")


def _agent(view: View, unit_id: str) -> dict[str, Any]:
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    agent = view.get("parties", owner["agent"]) if owner.get("agent") else None
    if agent is None:
        return {"applicant_kind": "业主本人"}
    return {"applicant_kind": "委托代办", "agent_name": agent["name"], "agent_id_number": agent.get("id_number"),
            "power_of_attorney": agent.get("power_of_attorney")}


@builder("renovation-application")
def application_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 装修申请登记表 of the unit's renovation on record: owner (or agent), contractor, plan,
    period, crew size; the review of its regulated works is the rule's."""
    row, unit, data = _common(ws, view, unit_id)
    owner = owner_of(view, unit)
    data.update(_agent(view, unit_id), owner_phone=owner.get("phone"), area=unit.get("area"),
                contractor_contact=row.get("contractor_contact"), contractor_phone=row.get("contractor_phone"),
                plan=row.get("plan"), structural_change=bool(row.get("structural_change")),
                start_date=row.get("start"), end_date=row.get("end"),
                workers=row.get("workers") or len(row.get("crew") or []) or None,
                application_date=as_of.isoformat())
    return {k: v for k, v in data.items() if v is not None}


@rule("renovation-application")
def renovation_application(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The papers of 第十四条 (and the agent's); the period in order; the store's record of the
    renovation is the truth; each regulated work of the plan reviewed: forbidden (不予办理), or
    the approval its article needs, on file or still to be brought."""
    papers = applicant_papers(values, ctx)
    _period(values, ctx, "start_date", "end_date")
    problems: list[str] = []
    row = stored_renovation(values, ctx)
    _check_against_store(values, row, problems)
    if values.get("workers") is not None and values["workers"] < 1:
        problems.append(f"字段 {field_title(ctx, 'workers')}：至少1人 (at least one worker)")
    if problems:
        raise ValidationError(problems, ctx.record)
    found = renovation_works(values, row, ctx)
    on_file = approvals_of(row) if row is not None else []
    review = []
    for f in found:
        authority = f.work.authority
        if f.work.forbidden:
            review.append({"work": f.work.label, "article": f.work.article, "verdict": "禁止",
                           "text": f"属{LAW}{f.work.article}禁止的行为，不予办理"})
            continue
        if authority is None:
            continue
        a = next((a for a in on_file if a["kind"] == authority.kind), None)
        text = (f"{authority.requirement}：已登记{a['authority']}{a['ref']}" if a
                else f"{authority.requirement}，须在开工前提交")
        review.append({"work": f.work.label, "article": f.work.article, "verdict": "已批准" if a else "待批准",
                       "text": text})
    structural = structural_of(values, row, found)
    housing = approval_of_kind(row, "housing") if row is not None else None
    if structural and not any(r["verdict"] == "禁止" for r in review):
        # PROCESSES.md §5: a plan that alters the main structure or clearly adds load is
        # approved by the local real-estate authority before any permit
        review.append({"work": "拆改主体结构或明显加大荷载", "article": "—",
                       "verdict": "已批准" if housing else "待批准",
                       "text": (f"须经房屋所在地房地产行政主管部门批准：已登记{housing['authority']}{housing['ref']}"
                                if housing else "须经房屋所在地房地产行政主管部门批准，须在开工前提交")})
    wanted = list(APPLICATION_PAPERS) + ([FIRM_PAPER] if values.get("contractor") else [])
    return {"papers": papers, "application_papers": wanted, "review": review, "structural_change": structural,
            "housing_approval": f"{housing['authority']}{housing['ref']}" if housing else "",
            "refused": any(r["verdict"] == "禁止" for r in review)}


# ---------------------------------------------------------------- 装修完工验收单

# What the service centre checks at completion: the works against the 《装修管理协议》 (第三十条:
# 物业管理单位应当按照装饰装修管理服务协议进行现场检查), each item the agreement's clause it rests on
# (its 第三条 prints renovation_terms.PROHIBITIONS, the 办法's article with each). The works'
# quality is the owner's to accept with the contractor (第三十条第一款), not the company's.
COMPLETION_ITEMS = (
    ("房屋主体和承重结构", "未变动建筑主体和承重结构，未扩大承重墙上原有的门窗尺寸，未拆除连接阳台的砖、混凝土墙体，"
     "未超过设计标准或者规范增加楼面荷载（协议第三条；办法第五条、第七条）"),
    ("房间用途与防水", "未将没有防水要求的房间或者阳台改为卫生间、厨房间（协议第三条；办法第五条）"),
    ("外立面及外墙门窗", "封闭阳台、更换外窗未改变住宅外立面，未在非承重外墙上开门、窗，未搭建建筑物、构筑物，"
     "未损坏房屋原有节能设施（协议第三条；办法第五条、第六条）"),
    ("燃气、供暖管道", "未擅自拆改燃气、供暖管道和设施（协议第三条；办法第六条）"),
    ("公共部位及共用设施", "未在楼道、电梯厅等公共部位堆放材料、搅拌砂浆，未将装修垃圾倒入下水管道、垃圾桶；"
     "共用部位、共用设施设备未损坏（协议第三条、第六条）"),
    ("装修垃圾清运", "装修垃圾已按指定的时间、地点堆放，清运完毕（协议第五条）"),
    ("施工人员临时出入证", "施工人员临时出入证已交回（协议第四条、第七条）"),
)
PASS, FAIL = "符合协议", "发现违规"


def permit_of(view: View, unit_id: str, renovation_id: str) -> str | None:
    """The number of the renovation's issued (not voided) 装修施工许可证, if there is one."""
    rows = view.find("documents", template="renovation-permit", unit=unit_id,
                     where=lambda d: d["state"] not in model.RETIRED
                     and (d.get("record") or {}).get("renovation_id") == renovation_id)
    return max(rows, key=lambda d: (d["issued_on"], d["year"], d["seq"]))["doc_no"] if rows else None


@builder("renovation-completion")
def completion_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 装修完工验收单 of the unit's renovation: the renovation, its permit's number, the items
    to check (their results are filled in at the inspection, or by a data file)."""
    row, _, data = _common(ws, view, unit_id)
    data.update(plan=row.get("plan"), start_date=row.get("start"), end_date=row.get("end"),
                permit_no=permit_of(view, unit_id, row["id"]), inspection_date=as_of.isoformat(),
                items=[{"item": i, "standard": s} for i, s in COMPLETION_ITEMS])
    return {k: v for k, v in data.items() if v is not None}


@rule("renovation-completion")
def renovation_completion(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Results for every item or for none (a blank form for the walk); an item found in breach of
    the agreement says what is wrong (第三十条: the company asks for it to be put right and keeps
    the record); the inspection after the works started; the overall result is computed."""
    problems: list[str] = []
    items = values.get("items") or []
    given = [i for i in items if i.get("result")]
    if given and len(given) != len(items):
        missing = "、".join(i["item"] for i in items if not i.get("result"))
        problems.append(f"字段 {field_title(ctx, 'items')}：{missing}未填写检查结果；"
                        "检查结果须逐项填写，或全部留空打印空白验收单 (all results or none)")
    for n, i in enumerate(items, 1):
        if i.get("result") == FAIL and not i.get("remarks"):
            problems.append(f"字段 items[{n}].remarks（发现的问题及整改要求）：{i['item']}发现违规，须写明违反协议的"
                            "问题（《住宅室内装饰装修管理办法》第三十条：要求纠正并将检查记录存档） (missing)")
    start, inspected = values.get("start_date"), values.get("inspection_date")
    if start and inspected and inspected < start:
        problems.append(f"字段 {field_title(ctx, 'inspection_date')}：{formats.cn_date(inspected)}早于开工日期"
                        f"{formats.cn_date(start)} (inspection before the works started)")
    if values.get("rectify_by") and not any(i.get("result") == FAIL for i in items):
        problems.append(f"字段 {field_title(ctx, 'rectify_by')}：各项均符合协议，无需整改期限 (nothing to put right)")
    if any(i.get("result") == FAIL for i in items) and not values.get("rectify_by"):
        problems.append(f"字段 {field_title(ctx, 'rectify_by')}：发现违规，须写明整改期限 (missing)")
    if values.get("rectify_by") and inspected and values["rectify_by"] <= inspected:
        problems.append(f"字段 {field_title(ctx, 'rectify_by')}：整改期限应在检查日之后 (dates out of order)")
    if problems:
        raise ValidationError(problems, ctx.record)
    failed = [i["item"] for i in items if i.get("result") == FAIL]
    outcome = "" if not given else FAIL if failed else PASS
    return {"outcome": outcome, "failed": failed}
