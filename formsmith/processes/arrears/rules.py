"""Rules of the arrears notices (payment-notice, dunning-letter, legal-notice): what they demand is owed."""
from __future__ import annotations

from typing import Any

from ... import formats
from ...errors import ValidationError
from ...rules import RuleContext, rule

NOTICES = ("payment-notice", "dunning-letter", "legal-notice")


def owed_amounts(values: dict[str, Any], ctx: RuleContext) -> None:
    """Every line and the total are amounts owed (> 0), and the deadline is not before the letter's
    date: a notice demanding ¥-433.66, or payment by a day already past, is a data error."""
    problems = []
    for i, item in enumerate(values.get("items") or [], start=1):
        amount = item.get("amount")
        if amount is not None and amount <= 0:
            problems.append(f"字段 items[{i}].amount（金额）：催缴金额应大于零，实际为 {formats.money(amount)}")
    total = values.get("total")
    if total is not None and total <= 0:
        problems.append(f"字段 total（欠费合计）：催缴金额应大于零，实际为 {formats.money(total)}")
    as_of, deadline = values.get("as_of"), values.get("deadline")
    if as_of and deadline and deadline < as_of:
        problems.append(f"字段 deadline（限缴日期）：{deadline.isoformat()} 早于发函日期 {as_of.isoformat()}")
    if problems:
        raise ValidationError(problems, ctx.record)


for _template in NOTICES:
    rule(_template)(owed_amounts)
