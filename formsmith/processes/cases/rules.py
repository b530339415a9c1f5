"""Rules of the documents printed from cases (PROCESSES.md §3, §6, §7): a 有偿服务登记表 cites a receipt only when the
ledger issued it for that case's fee; a 答复函 states an answer or a resolution the complaint
has, dated not before them; a register or a day's log from a data file says what the store
records of those days."""
from __future__ import annotations

from typing import Any

from ... import formats
from ...rules import RuleContext, rule
from ...rules import field_title as _field
from ...rules import refuse as _refuse
from . import sources


@rule("paid-repair")
def paid_repair(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The fee in 大写 (会计基础工作规范 第五十二条); a receipt number only for the receipt the
    ledger issued for this case's fee (the fee charge it cleared), and only with its date."""
    problems: list[str] = []
    fee, receipt = values.get("fee"), values.get("receipt_no")
    if fee is not None and fee <= 0:
        problems.append(f"字段 {_field(ctx, 'fee')}：服务费应大于零 (fee must be positive)")
    if receipt:
        if fee is None:
            problems.append(f"字段 {_field(ctx, 'receipt_no')}：未登记服务费，不能有收据 (a receipt needs a fee)")
        if values.get("paid_on") is None:
            problems.append(f"字段 {_field(ctx, 'paid_on')}：有收据号须写明收款日期 (receipt and date go together)")
        why = sources.receipt_problem(ctx.view, values["unit"], values["case_id"], receipt)
        if why:
            problems.append(f"字段 {_field(ctx, 'receipt_no')}：{why}，收据号只写台账已登记的收款 "
                            "(the ledger records no such receipt for this fee)")
    _refuse(ctx, problems)
    return {"fee_words": formats.rmb_words(fee) if fee is not None else ""}


@rule("complaint-reply")
def complaint_reply(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """A reply states an answer or a resolution (with its date), and is dated not before them."""
    problems: list[str] = []
    for text, day in (("answer", "answered_on"), ("result", "resolved_on")):
        if bool(values.get(text)) != (values.get(day) is not None):
            problems.append(f"字段 {_field(ctx, day)}：{_field(ctx, text)}与其日期须同时填写 (text and date go together)")
    if not values.get("answer") and not values.get("result"):
        problems.append(f"字段 {_field(ctx, 'answer')}：答复函须写明答复意见或处理结果 (nothing to reply)")
    letter = values["letter_date"]
    for day in ("answered_on", "resolved_on"):
        if values.get(day) is not None and values[day] > letter:
            problems.append(f"字段 {_field(ctx, 'letter_date')}：{formats.cn_date(letter)} 早于"
                            f"{_field(ctx, day)} {formats.cn_date(values[day])} (the letter follows the answer)")
    _refuse(ctx, problems)
    return {}


def _same_as_store(values: dict[str, Any], ctx: RuleContext, build, key: str) -> None:
    """A data file's register or log of days the store records cases for must list what the
    store lists (the store knows those days)."""
    if ctx.origin != "data":
        return
    stated = values[key]
    built = build(ctx.ws, ctx.view, stated.isoformat() if hasattr(stated, "isoformat") else str(stated), ctx.as_of)
    if not built["lines"]:
        return
    got = [line.get("case_id") for line in values.get("lines") or []]
    want = [line["case_id"] for line in built["lines"]]
    if got != want:
        _refuse(ctx, [f"字段 {_field(ctx, 'lines')}：数据文件列出 {len(got)} 条（{'、'.join(map(str, got)) or '无'}），"
                      f"库中该期间登记为 {len(want)} 条（{'、'.join(want)}） (the data disagrees with the store)"])


@rule("inquiry-register")
def inquiry_register(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The register lists the inquiries of its period as recorded; counts by how they were answered."""
    _same_as_store(values, ctx, sources.inquiry_register, "period")
    lines = values.get("lines") or []
    at_once = sum(1 for x in lines if x.get("way") == "当场答复")
    answered_later = sum(1 for x in lines if x.get("way") != "当场答复" and x.get("answer"))
    return {"count": len(lines), "at_once": at_once, "referred": len(lines) - at_once,
            "answered_later": answered_later, "waiting": len(lines) - at_once - answered_later}


@rule("service-log")
def service_log(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any] | None:
    """A day's log from a data file lists the events the store records of that day."""
    _same_as_store(values, ctx, sources.service_log, "day")
    return None
