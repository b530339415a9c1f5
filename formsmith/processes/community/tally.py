"""The count of the first owners' assembly (计票结果公告): participation and each item's result,
computed from the counts, never typed in.

- 《中华人民共和国民法典》第二百七十八条第二款: the meeting decides only when owners holding two
  thirds of the exclusive area and two thirds in number take part; an item of 第一款第（六）项至
  第（八）项 passes with three quarters of the participating area and of the participating owners
  (以上: the bound included), any other with more than half of each (过半数: the bound excluded).
- 第二百八十条: the decision binds the owners; an owner whose rights it harms may ask the court to
  annul it, within one year of knowing of it (最高人民法院《关于审理建筑物区分所有权纠纷案件
  适用法律若干问题的解释》第十二条).

The notice decides the agenda, the candidates, the dates and the issuer (the one the data names,
else the last issued); the store's units decide the totals (the notice's, else the data's, when it
holds none). Only the counting rules the notice and the ballot announced apply: a void ballot
counts nowhere; an item left blank counts as taking part and as 弃权; a candidate is elected with
more than half of the participating area and owners, ranked by owners (then area) within the seats,
a tie at the last seat electing neither. Percentages are printed rounded half up to 0.01; the
decisions are taken on the exact fractions.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, cast

from ...errors import ValidationError
from ...rules import RuleContext, field_title, rule
from .assembly import (GENERAL, SPECIAL, SPECIAL_SHARE, TAKE_PART, TIME, _agenda, _election,
                       count_rules, issued_notice, notice_disagreements, totals)

PASSED, FAILED, NO_DECISION = "通过", "未通过", "未形成决定"
ELECTED, NOT_ELECTED, TIED = "当选", "未当选", "得票相同，另行选举"
VOTES = (("yes", "同意"), ("no", "反对"), ("abstain", "弃权"))


def _area(raw: Any, label: str, problems: list[str]) -> Decimal | None:
    """A counted area in m²: not negative, at most two decimals."""
    try:
        a = Decimal(str(raw).strip())
    except InvalidOperation:
        a = None
    if a is None or not a.is_finite() or a < 0 or cast(int, a.as_tuple().exponent) < -2:
        problems.append(f"字段 {label}：{raw!r} 应为不小于0、最多两位小数的平方米数 (an area in m²)")
        return None
    return a


def _percent(part: Decimal | int, whole: Decimal | int) -> str:
    """part/whole as a percentage rounded half up to two decimals: 66.67 for 2/3, 88.21 for
    88.205 (printed only: the decisions compare the exact fractions)."""
    if not whole:
        return "0.00"
    exact = Fraction(Decimal(part)) * 100 / Fraction(Decimal(whole))
    return str((Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.01"),
                                                                                 rounding=ROUND_HALF_UP))


def _passes(kind: str, yes_area: Decimal, yes_owners: int, area: Decimal, owners: int) -> bool:
    """民法典 第二百七十八条第二款: ¾ (以上) of the participating area and owners for a special
    item, more than half (过半数) of each for the others."""
    a, o = Fraction(yes_area), Fraction(yes_owners)
    if kind == SPECIAL:
        return a >= SPECIAL_SHARE * Fraction(area) and o >= SPECIAL_SHARE * owners
    return a * 2 > Fraction(area) and o * 2 > owners


@rule("assembly-result")
def assembly_result(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The count agrees with the notice and the register, adds up, and is announced after the
    vote; participation and each item's result are computed."""
    notice = issued_notice(ctx.view, values.get("notice_no"))
    problems = notice_disagreements(values, ctx, notice, "计票事项", "the count must be of", keys=("meeting_form",))
    out: dict[str, Any] = {"notice_no": notice["doc_no"]} if notice is not None else {}
    community = ctx.ws.company.community
    area, owners, units = totals(ctx.view, community)
    stated_area = _area(values["total_area"], field_title(ctx, "total_area"), problems) \
        if values.get("total_area") else None
    stated_owners = values.get("total_owners")
    if units:
        if stated_area is not None and stated_area != area:
            problems.append(f"字段 {field_title(ctx, 'total_area')}：{stated_area}平方米与登记的{community}"
                            f"{units}套房屋专有部分面积合计{area}平方米不符 (the store's total)")
        if stated_owners is not None and stated_owners != owners:
            problems.append(f"字段 {field_title(ctx, 'total_owners')}：{stated_owners}人与登记的业主人数{owners}人不符"
                            "（一个专有部分按一人计算，同一业主拥有多个专有部分的按一人计算） (the store's count)")
    elif notice is not None:
        area, owners = Decimal(notice["record"]["total_area"]), notice["record"]["total_owners"]
    elif stated_area is None or stated_owners is None:
        problems.append(f"字段 {field_title(ctx, 'total_area')}：未登记{community}的房屋，也无会议通知，须写明专有部分"
                        "总面积和业主总人数 (no units on record)")
    else:
        area, owners = stated_area, stated_owners

    # the ballots and who took part
    returned, void = values["returned"], values["void"]
    voted_owners = values["voted_owners"]
    voted_area = _area(values["voted_area"], field_title(ctx, "voted_area"), problems)
    for key in ("returned", "void", "voted_owners"):
        if values[key] < 0:
            problems.append(f"字段 {field_title(ctx, key)}：不能为负数 (negative)")
    if void > returned:
        problems.append(f"字段 {field_title(ctx, 'void')}：无效票{void}张多于收回的表决票{returned}张 (more void than returned)")
    if units and returned > units:
        problems.append(f"字段 {field_title(ctx, 'returned')}：收回表决票{returned}张多于登记的专有部分{units}个"
                        "（表决票按专有部分发放，每个专有部分一张） (more ballots than exclusive parts)")
    if voted_owners > returned - void >= 0:
        problems.append(f"字段 {field_title(ctx, 'voted_owners')}：参与表决{voted_owners}人多于有效表决票{returned - void}张"
                        "（每人至少交回一张有效票） (more voters than valid ballots)")
    if owners and voted_owners > owners:
        problems.append(f"字段 {field_title(ctx, 'voted_owners')}：参与表决{voted_owners}人超过业主总人数{owners}人 "
                        "(more voters than owners)")
    if voted_area is not None and area and voted_area > area:
        problems.append(f"字段 {field_title(ctx, 'voted_area')}：参与表决面积{voted_area}平方米超过专有部分总面积"
                        f"{area}平方米 (more area than the community has)")

    # dates: the vote, then the count, then the announcement
    order = [("vote_to", "vote_from"), ("count_date", "vote_to"), ("result_date", "vote_to"),
             ("result_date", "count_date")]
    for later, earlier in order:
        a, b = values.get(later), values.get(earlier)
        if a and b and a < b:
            what = {"result_date": "投票尚未结束或者尚未计票，不能公告计票结果",
                    "count_date": "投票尚未结束，不能计票"}.get(later, "日期前后矛盾")
            problems.append(f"字段 {field_title(ctx, later)}：{a.isoformat()}早于{field_title(ctx, earlier)}"
                            f"{b.isoformat()}，{what} (dates out of order)")
            break

    if not TIME.match(values.get("vote_until") or ""):
        problems.append(f"字段 {field_title(ctx, 'vote_until')}：“{values.get('vote_until')}”应为时:分，如 17:00 "
                        "(expected HH:MM)")

    # each item: the counts add up to no more than took part
    items = []
    agenda = _agenda(values, ctx, problems)
    seats = _election(values, ctx, problems)
    for n, item in enumerate(agenda, 1):
        counted: dict[str, Any] = {}
        for key, word in VOTES:
            counted[f"{key}_area"] = _area(item[f"{key}_area"], f"agenda[{n}].{key}_area（{word}面积）", problems)
            counted[f"{key}_owners"] = item[f"{key}_owners"]
            if item[f"{key}_owners"] < 0:
                problems.append(f"字段 agenda[{n}].{key}_owners（{word}人数）：不能为负数 (negative)")
        if any(v is None for v in counted.values()) or voted_area is None:
            continue
        sum_area = sum((counted[f"{k}_area"] for k, _ in VOTES), Decimal("0"))
        sum_owners = sum(counted[f"{k}_owners"] for k, _ in VOTES)
        if sum_area > voted_area:
            problems.append(f"字段 agenda[{n}]（{item['text']}）：同意、反对、弃权面积合计{sum_area}平方米，"
                            f"多于参与表决的{voted_area}平方米 (counts exceed who took part)")
        if sum_owners > voted_owners:
            problems.append(f"字段 agenda[{n}]（{item['text']}）：同意、反对、弃权人数合计{sum_owners}人，"
                            f"多于参与表决的{voted_owners}人 (counts exceed who took part)")
        items.append(dict(item, **{k: str(v) if isinstance(v, Decimal) else v for k, v in counted.items()},
                          yes_area_pct=_percent(counted["yes_area"], voted_area),
                          yes_owners_pct=_percent(counted["yes_owners"], voted_owners),
                          blank_area=str(voted_area - sum_area), blank_owners=voted_owners - sum_owners,
                          # 视为弃权 (the announced rule): the blanks are counted with the abstentions
                          abstain_all_area=str(voted_area - counted["yes_area"] - counted["no_area"]),
                          abstain_all_owners=voted_owners - counted["yes_owners"] - counted["no_owners"]))
    candidates = _candidates(values, seats, voted_area, voted_owners, problems)
    if problems:
        raise ValidationError(problems, ctx.record)
    assert voted_area is not None
    quorum = (Fraction(voted_area) >= TAKE_PART * Fraction(area) and Fraction(voted_owners) >= TAKE_PART * owners)
    for item in items:
        if not quorum:
            item["result"] = NO_DECISION
        else:
            ok = _passes(item["kind"], Decimal(item["yes_area"]), item["yes_owners"], voted_area, voted_owners)
            item["result"] = PASSED if ok else FAILED
    _elect(candidates, seats or 0, quorum, voted_area, voted_owners)
    until = values["vote_until"].replace("：", ":")
    out.update(total_area=str(area), total_owners=owners, agenda=items, voted_area=str(voted_area),
               candidates=candidates, vote_until=until, count_rules=count_rules(seats),
               elected_names=[c["name"] for c in candidates if c["result"] == ELECTED],
               election_n=len(items) + 1,
               valid=returned - void, quorum=quorum,
               voted_area_pct=_percent(voted_area, area), voted_owners_pct=_percent(voted_owners, owners),
               passed=[f"第{n}项" for n, i in enumerate(items, 1) if i["result"] == PASSED],
               failed=[f"第{n}项" for n, i in enumerate(items, 1) if i["result"] == FAILED],
               blanks=[{"n": n, "area": i["blank_area"], "owners": i["blank_owners"]}
                       for n, i in enumerate(items, 1) if Decimal(i["blank_area"]) or i["blank_owners"]],
               # a committee elected: it registers within 30 days (物业管理条例 第十六条)
               elected=any(c["result"] == ELECTED for c in candidates),
               has_special=any(i["kind"] == SPECIAL for i in items), general=GENERAL)
    return out


def _candidates(values: dict[str, Any], seats: int | None, voted_area: Decimal | None, voted_owners: int,
                problems: list[str]) -> list[dict[str, Any]]:
    """Each candidate's votes: no more than took part; together no more than each voter choosing
    the full number of seats (选 no more than 应选名额)."""
    out = []
    for n, c in enumerate(values.get("candidates") or [], 1):
        yes_area = _area(c["yes_area"], f"candidates[{n}].yes_area（{c['name']}得票面积）", problems)
        if c["yes_owners"] < 0:
            problems.append(f"字段 candidates[{n}].yes_owners（{c['name']}得票人数）：不能为负数 (negative)")
        if yes_area is None or voted_area is None:
            continue
        if yes_area > voted_area or c["yes_owners"] > voted_owners:
            problems.append(f"字段 candidates[{n}]（{c['name']}）：得票{yes_area}平方米、{c['yes_owners']}人，多于参与表决的"
                            f"{voted_area}平方米、{voted_owners}人 (more votes than took part)")
        out.append(dict(c, yes_area=str(yes_area), yes_area_pct=_percent(yes_area, voted_area),
                        yes_owners_pct=_percent(c["yes_owners"], voted_owners)))
    if seats and voted_area is not None and len(out) == len(values.get("candidates") or []):
        sum_area = sum((Decimal(c["yes_area"]) for c in out), Decimal("0"))
        sum_owners = sum(c["yes_owners"] for c in out)
        if sum_owners > seats * voted_owners or sum_area > seats * voted_area:
            problems.append("字段 candidates（候选人得票）"
                            f"：得票合计{sum_area}平方米、{sum_owners}人，多于应选名额{seats}名"
                            f"乘参与表决的{voted_area}平方米、{voted_owners}人（每票所选不超过应选名额） "
                            "(more votes than seats allow)")
    return out


def _elect(candidates: list[dict[str, Any]], seats: int, quorum: bool, voted_area: Decimal,
           voted_owners: int) -> None:
    """Each candidate's rank and result: elected with more than half of the participating area and
    owners (民法典 第二百七十八条第一款第（四）项、第二款), by owners then area within the seats; a
    tie across the last seat elects neither."""
    def key(c: dict[str, Any]) -> tuple[int, Decimal]:
        return c["yes_owners"], Decimal(c["yes_area"])
    for c in candidates:
        c["rank"] = None
        c["passes"] = _passes(GENERAL, Decimal(c["yes_area"]), c["yes_owners"], voted_area, voted_owners)
        c["result"] = NO_DECISION if not quorum else NOT_ELECTED
    ranked = sorted((c for c in candidates if c["passes"]), key=key, reverse=True)
    for rank, c in enumerate(ranked, 1):
        c["rank"] = rank
    if not quorum:
        return
    for c in ranked[:seats]:
        c["result"] = ELECTED
    if len(ranked) > seats > 0 and key(ranked[seats - 1]) == key(ranked[seats]):
        for c in ranked:
            if key(c) == key(ranked[seats]):
                c["result"] = TIED
