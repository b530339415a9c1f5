"""Rules of the 收款收据: issued only for a recorded payment, its lines and total consistent."""
from __future__ import annotations

from typing import Any

from ... import formats
from ...errors import ValidationError
from ...rules import RuleContext, rule
from ...rules import field_title as _field
from ...rules import refuse as _refuse

@rule("fee-receipt")
def fee_receipt(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """Only for a recorded payment (`formsmith pay`): a receipt from a data file, or from any
    path but the ledger's, is refused. Then: positive lines, periods in order, the total in
    capitals computed and any typed 大写 checked."""
    if ctx.origin != "ledger":
        raise ValidationError([f"收款收据只能为已登记的收款开具：请用 `formsmith pay 房号 金额 --method 方式` "
                               f"登记收款并开具收据（{ctx.record} 不是已登记的收款）"], ctx.record)
    problems: list[str] = []
    for i, item in enumerate(values["items"], 1):
        where = f"字段 items[{i}]"
        if item["amount"] is not None and item["amount"] <= 0:
            problems.append(f"{where}.amount（金额）：{formats.money(item['amount'])} 应大于零 "
                            "(a receipt line is a positive amount)")
        a, b = item.get("period_from"), item.get("period_to")
        if (a is None) != (b is None):
            problems.append(f"{where}.period_to（止月）：起止月份须同时填写 (give both months or neither)")
        elif a is not None and b < a:
            problems.append(f"{where}.period_to（止月）：{formats.cn_month(b)} 早于起月 "
                            f"{formats.cn_month(a)} (period ends before it starts)")
    total = values["total"]
    words = formats.rmb_words(total) if total is not None else ""
    typed = values.get("total_words")
    if typed is not None and total is not None:
        given = typed.removeprefix("人民币").removeprefix("（大写）").removeprefix("(大写)").strip("：: ")
        if given != words:
            problems.append(f"字段 {_field(ctx, 'total_words')}：大写 {typed} 与合计 "
                            f"{formats.money_yen(total)} 不符，应为 {words} (amount in words does not match)")
    _refuse(ctx, problems)
    return {"total_words": words}
