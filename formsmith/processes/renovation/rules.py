"""Renovation rules (PROCESSES.md §5): no permit for a structural change without the authority's approval.

A plan that alters the main structure or clearly adds load needs the approval of the local
real-estate authority (房地产行政主管部门) first. The data names the approval (authority, number,
date); when the data names a renovation that the store holds, the store is the truth: its
structural flag and its recorded approval (`formsmith renovation approve`) decide, so a data
file cannot claim an approval that was never recorded.
"""
from __future__ import annotations

from typing import Any

from ... import formats
from ...errors import ValidationError
from ...formats import fen, parse_area
from ...rules import RuleContext, rule

# Told to owner and contractor, written into the agreement and the permit (§5). The hours are a
# workspace setting ([renovation] work_hours); this is the default.
WORK_HOURS = ("工作日8:00—12:00、14:00—18:00；周六、周日及法定节假日不得进行敲、凿、钻、锯、"
              "切割等产生噪声的施工，其他施工时间为9:00—12:00、14:30—17:30")
# 《住宅室内装饰装修管理办法》（建设部令第110号）第五条、第六条, and the community's own rules.
PROHIBITIONS = (
    "未经原设计单位或者具有相应资质等级的设计单位提出设计方案，变动建筑主体和承重结构；",
    "将没有防水要求的房间或者阳台改为卫生间、厨房间；",
    "扩大承重墙上原有的门窗尺寸，拆除连接阳台的砖、混凝土墙体；",
    "损坏房屋原有节能设施，降低节能效果；",
    "未经批准搭建建筑物、构筑物，改变住宅外立面，在非承重外墙上开门、窗；",
    "未经批准拆改供暖、燃气管道和设施；",
    "在楼道、电梯厅等公共部位堆放材料、搅拌砂浆，或将装修垃圾倒入下水管道、垃圾桶；",
    "在装修房屋内留宿施工人员，未经报批进行电焊、气割等动火作业。",
)
APPROVAL_FIELDS = (("approval_authority", "批准机关"), ("approval_no", "批准文号"),
                   ("approval_date", "批准日期"))
# Where `formsmith renovation approve` keeps each of them in the renovation's authority_approval.
STORED_AS = {"approval_authority": "authority", "approval_no": "ref", "approval_date": "date"}


def work_hours(values: dict[str, Any], ctx: RuleContext) -> str:
    return values.get("work_hours") or str(ctx.ws.setting("renovation", "work_hours", WORK_HOURS))


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


def structural_gate(values: dict[str, Any], ctx: RuleContext, document: str) -> dict[str, Any]:
    """Refuse `document` for a structural plan whose approval is not on file; return the approval.

    The returned dict holds the approval as printed (approval_authority, approval_no,
    approval_date), or is empty for a plan that alters nothing structural.
    """
    problems: list[str] = []
    row = stored_renovation(values, ctx)
    _check_against_store(values, row, problems)
    structural = bool(values.get("structural_change")) or bool(row and row.get("structural_change"))
    if problems:
        raise ValidationError(problems, ctx.record)
    if not structural:
        return {}
    rid = values.get("renovation_id") or values.get("unit") or ""
    if row is not None:
        approval = row.get("authority_approval") or {}
        missing = [label for key, label in APPROVAL_FIELDS if not approval.get(STORED_AS[key])]
        if missing:
            raise ValidationError([
                f"字段 authority_approval（主管部门批准文件）：装修{rid}的方案（{row.get('plan', '')}）涉及拆改主体结构，"
                f"房地产行政主管部门的批准尚未登记（缺少{'、'.join(missing)}），不予核发{document}；"
                f"请取得批准后先登记：formsmith renovation approve {row['id']} "
                "(structural change without the authority's approval on file)"], ctx.record)
        stated = {k: values.get(k) for k, _ in APPROVAL_FIELDS if values.get(k)}
        recorded = {"approval_authority": approval["authority"], "approval_no": approval["ref"],
                    "approval_date": formats.parse_date(approval["date"])}
        for key, label in APPROVAL_FIELDS:
            if key in stated and stated[key] != recorded[key]:
                problems.append(f"字段 {key}（{label}）：与装修{row['id']}登记的批准文件不符（登记为"
                                f"{formats.cn_date(recorded[key]) if key == 'approval_date' else recorded[key]}）"
                                " (does not match the recorded approval)")
        if problems:
            raise ValidationError(problems, ctx.record)
        return recorded
    missing = [f"{label}（{key}）" for key, label in APPROVAL_FIELDS if not values.get(key)]
    if missing:
        raise ValidationError([
            f"字段 approval_no（主管部门批准文件）：装修{rid}的方案涉及拆改主体结构，缺少房地产行政主管部门的"
            f"批准文件：{'、'.join(missing)}，不予核发{document} "
            "(structural change without the authority's approval)"], ctx.record)
    if values["approval_date"] > ctx.as_of:
        raise ValidationError([f"字段 approval_date（批准日期）：{formats.cn_date(values['approval_date'])}"
                               "晚于今日，批准尚未取得 (approval date is in the future)"], ctx.record)
    return {k: values[k] for k, _ in APPROVAL_FIELDS}


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
    """Agreement: the applicant's papers, the period, the hours and prohibitions to be told."""
    papers = applicant_papers(values, ctx)
    _period(values, ctx, "start_date", "end_date")
    problems: list[str] = []
    _check_against_store(values, stored_renovation(values, ctx), problems)
    if problems:
        raise ValidationError(problems, ctx.record)
    row = stored_renovation(values, ctx)
    structural = bool(values.get("structural_change")) or bool(row and row.get("structural_change"))
    approval = (row or {}).get("authority_approval") or {}
    return {"papers": papers, "work_hours": work_hours(values, ctx),
            "prohibitions": list(PROHIBITIONS), "structural_change": structural,
            "approval": {"authority": approval["authority"], "ref": approval["ref"],
                         "date": formats.parse_date(approval["date"])} if approval else None}


@rule("renovation-permit")
def renovation_permit(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """No permit for a structural change before the authority's approval is on file."""
    _period(values, ctx, "start_date", "end_date")
    approval = structural_gate(values, ctx, "装修施工许可证")
    if values.get("workers") is not None and values["workers"] < 1:
        raise ValidationError(["字段 workers（施工人数）：至少1人 (at least one worker)"], ctx.record)
    out = {"work_hours": work_hours(values, ctx), "prohibitions": list(PROHIBITIONS), **approval}
    if approval:
        out["structural_change"] = True
    return out


@rule("worker-pass")
def worker_pass(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Passes only for a renovation that may have its permit; one card per worker, no one twice."""
    _period(values, ctx, "valid_from", "valid_to")
    approval = structural_gate(values, ctx, "施工人员临时出入证")
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
    out = {"cards": [dict(w, card_no=f"{n:02d}") for n, w in enumerate(values["workers"], 1)], **approval}
    if approval:
        out["structural_change"] = True
    return out


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
