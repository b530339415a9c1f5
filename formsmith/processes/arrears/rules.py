"""Rules of the arrears notices (payment-notice, dunning-letter, legal-notice): what they demand is
owed, the days to pay count from receipt, and the payment QR they print is a workspace asset."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ... import formats
from ...errors import ValidationError
from ...rules import RuleContext, rule

NOTICES = ("payment-notice", "dunning-letter", "legal-notice")
QR_SUFFIXES = (".png", ".jpg", ".jpeg")


def owed_amounts(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Every line and the total are amounts owed (> 0); the days to pay (counted from receipt,
    自收到之日起) are at least one, and are printed in words (deadline_words: 十五). A notice
    demanding ¥-433.66, or payment within no days, is a data error."""
    problems = []
    for i, item in enumerate(values.get("items") or [], start=1):
        amount = item.get("amount")
        if amount is not None and amount <= 0:
            problems.append(f"字段 items[{i}].amount（金额）：催缴金额应大于零，实际为 {formats.money(amount)}")
    total = values.get("total")
    if total is not None and total <= 0:
        problems.append(f"字段 total（欠费合计）：催缴金额应大于零，实际为 {formats.money(total)}")
    days = values.get("deadline_days")
    words = None
    if days is not None:
        if not 1 <= days <= 3650:
            problems.append(f"字段 deadline_days（缴费期限天数）：应为 1 至 3650 天（自收到之日起计算），实际为 {days}")
        else:
            words = formats.cn_count(days)
            stated = values.get("deadline_words")
            if stated and stated != words:
                problems.append(f"字段 deadline_words（缴费期限天数大写）：“{stated}”与 {days} 天（{words}）不符")
    qr = values.get("pay_qr")
    if qr:
        problem = _asset_problem(ctx, qr)
        if problem:
            problems.append(f"字段 pay_qr（缴费二维码）：{problem}")
    if problems:
        raise ValidationError(problems, ctx.record)
    return {"deadline_words": words} if words else {}


def _asset_problem(ctx: RuleContext, name: str) -> str | None:
    """Why `name` is not an image file of the workspace's assets/ folder, or None."""
    if name != Path(name).name or name.startswith(".") or Path(name).suffix.lower() not in QR_SUFFIXES:
        return f"应为工作区 assets/ 文件夹中的图片文件名（.png 或 .jpg），实际为 {name!r}"
    path = ctx.ws.assets_dir / name
    if not path.is_file():
        return f"工作区 assets/ 文件夹中没有 {name}（{path}）(no such file)"
    if not path.resolve().is_relative_to(ctx.ws.assets_dir.resolve()):
        return f"{path} 是指向 assets/ 之外的链接 (a link out of assets/)"
    return None


for _template in NOTICES:
    rule(_template)(owed_amounts)
