"""The first owners' assembly (业主大会筹备, the seed's 协助业主筹办成立业主大会): its meeting
notice and the ballots, with what the law counts.

- 《中华人民共和国民法典》第二百七十八条: the matters owners decide together; owners holding two
  thirds of the exclusive area and two thirds in number take part; matters (六) to (八) (raising
  the maintenance fund, rebuilding, changing the use of common parts or running a business on
  them) need three quarters of the participating area and of the participating owners, the
  others more than half of each.
- 最高人民法院《关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释》第八条、第九条: the
  exclusive area is the registered area; owners are counted one per exclusive part, an owner of
  several parts once.
- 《物业管理条例》第十四条: the meeting is announced to every owner 15 days before it is held,
  the residents' committee told at the same time; in writing (书面征求意见) the vote IS the
  meeting, so the vote opens no earlier than 15 days after the notice; 第十二条: in a meeting or
  in writing, an owner may vote by proxy.

The model: the meeting is held from `vote_from` to `vote_to` (the deadline `vote_until` on the
last day); the group counts in public on `count_date`, announcing the result then or later. The
committee is elected by candidate (`seats`, `candidates`), each candidate elected by the threshold
of a 一般事项 (第二百七十八条第一款第（四）项) and ranked within the seats. The counting rules
(`COUNT_RULES`) are printed on the notice and on the ballot, and the count applies only them.
"""
from __future__ import annotations

import math
import re
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ... import formats, model
from ...errors import InputError, ValidationError
from ...rules import RuleContext, field_title, rule
from ...sources import builder, owner_of, unit_address
from ...store import View
from ...workspace import Workspace

GENERAL, SPECIAL = "一般事项", "特别事项"
NOTICE_DAYS = 15                      # 物业管理条例 第十四条
TAKE_PART = Fraction(2, 3)            # 民法典 第二百七十八条第二款
SPECIAL_SHARE = Fraction(3, 4)
# 第二百七十八条第一款第（六）项至第（八）项, by the words that name them.
SPECIAL_WORDS = ("筹集", "改建", "重建", "改变共有部分", "改变共用部分", "利用共有部分", "经营")
TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")
THRESHOLD = {
    GENERAL: "经参与表决专有部分面积过半数的业主且参与表决人数过半数的业主同意",
    SPECIAL: "经参与表决专有部分面积四分之三以上的业主且参与表决人数四分之三以上的业主同意",
}


def count_rules(seats: int | None) -> list[str]:
    """The counting rules announced on the notice and the ballot (the result applies them)."""
    rules = ["有下列情形之一的，表决票无效，不计入参与表决的面积和人数：未经业主签字（单位业主盖章）或者委托代理人"
             "签字的；委托代理人投票未附授权委托书的；非筹备组制发的；投票截止时间以后投递的。",
             "有效表决票中某一事项未表示意见、表示两种以上意见或者无法辨认的，该事项计入参与表决的面积和人数，视为弃权。"]
    if seats:
        rules.append(f"选举事项所选人数超过应选名额{seats}名的，该事项视为弃权。候选人得票的专有部分面积和人数均超过"
                     "参与表决的半数的，按得票人数由多到少（人数相同的按面积）在应选名额内当选；末位得票相同而超出"
                     "名额的，相同者均不当选，另行选举。")
    return rules


def _election(values: dict[str, Any], ctx: RuleContext, problems: list[str]) -> int | None:
    """The committee's election: seats and candidates both or neither; seats at least one, the
    candidates named once each. The seats, or None without an election."""
    seats, candidates = values.get("seats"), values.get("candidates") or []
    if not seats and not candidates:
        return None
    if not seats or seats < 1:
        problems.append(f"字段 {field_title(ctx, 'seats')}：列有候选人，须写明应选名额（至少1名） (seats)")
        return None
    if not candidates:
        problems.append(f"字段 {field_title(ctx, 'candidates')}：选举业主委员会委员须列出候选人 (no candidates)")
    names = [c["name"] for c in candidates]
    for n, name in enumerate(names, 1):
        if name in names[:n - 1]:
            problems.append(f"字段 candidates[{n}].name（候选人）：{name}重复列出 (named twice)")
    if not values.get("election_text"):
        problems.append(f"字段 {field_title(ctx, 'election_text')}：须写明选举事项，如“选举第一届业主委员会委员” "
                        "(the election's text)")
    return int(seats)


def totals(view: View, community: str) -> tuple[Decimal, int, int]:
    """(exclusive area of every unit, owners counted as the law counts them, units) of `community`."""
    units = [u for u in view.all("units") if u.get("community") == community]
    area = sum((Decimal(str(u["area"])) for u in units), Decimal("0"))
    return area, len({u.get("owner") or u["id"] for u in units}), len(units)


def _ceil_area(area: Decimal, share: Fraction) -> Decimal:
    """The least area (to 0.01 m²) that is at least `share` of `area` (以上 includes the number)."""
    hundredths = Fraction(int(area * 100)) * share
    return Decimal(math.ceil(hundredths)) / 100


def _agenda(values: dict[str, Any], ctx: RuleContext, problems: list[str]) -> list[dict[str, Any]]:
    """Each item with its threshold; an item of 第二百七十八条第（六）至（八）项 may not be called 一般事项."""
    out = []
    for n, item in enumerate(values.get("agenda") or [], 1):
        special_words = [w for w in SPECIAL_WORDS if w in item["text"]]
        if special_words and item["kind"] == GENERAL:
            problems.append(f"字段 agenda[{n}].kind（事项类别）：“{item['text']}”涉及“{special_words[0]}”，属《中华人民共和国"
                            "民法典》第二百七十八条第一款第（六）项至第（八）项的事项，应为特别事项，须经参与表决专有部分"
                            "面积和人数四分之三以上同意 (a three-quarters matter)")
        out.append(dict(item, threshold=THRESHOLD[item["kind"]]))
    return out


@rule("assembly-notice")
def assembly_notice(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """15 days' notice; the vote within them; the totals are the store's (the data's where the
    store holds no unit of the community); the thresholds computed from them."""
    problems: list[str] = []
    notice, vote_from = values.get("notice_date"), values.get("vote_from")
    if notice and vote_from and vote_from < notice + timedelta(days=NOTICE_DAYS):
        problems.append(f"字段 {field_title(ctx, 'vote_from')}：业主大会会议应当于召开15日以前通知全体业主"
                        f"（《物业管理条例》第十四条），书面征求意见的投票即为会议的召开，{formats.cn_date(notice)}"
                        f"通知，投票最早于{formats.cn_date(notice + timedelta(days=NOTICE_DAYS))}开始 (15 days' notice)")
    if not TIME.match(values.get("vote_until") or ""):
        problems.append(f"字段 {field_title(ctx, 'vote_until')}：“{values.get('vote_until')}”应为时:分，如 17:00 "
                        "(expected HH:MM)")
    order = [("vote_to", "vote_from"), ("count_date", "vote_to")]
    for later, earlier in order:
        a, b = values.get(later), values.get(earlier)
        if a and b and a < b:
            problems.append(f"字段 {field_title(ctx, later)}：{formats.cn_date(a)}早于{field_title(ctx, earlier)}"
                            f"{formats.cn_date(b)}，日期前后矛盾 (dates out of order)")
    community = ctx.ws.company.community
    area, owners, units = totals(ctx.view, community)
    if units:
        stated_area, stated_owners = values.get("total_area"), values.get("total_owners")
        if stated_area and Decimal(stated_area) != area:
            problems.append(f"字段 {field_title(ctx, 'total_area')}：{stated_area}平方米与登记的{community}"
                            f"{units}套房屋专有部分面积合计{area}平方米不符 (the store's total)")
        if stated_owners is not None and stated_owners != owners:
            problems.append(f"字段 {field_title(ctx, 'total_owners')}：{stated_owners}人与登记的业主人数{owners}人不符"
                            "（一个专有部分按一人计算，同一业主拥有多个专有部分的按一人计算） (the store's count)")
    else:
        if not values.get("total_area") or values.get("total_owners") is None:
            problems.append(f"字段 {field_title(ctx, 'total_area')}：未登记{community}的房屋，须写明专有部分总面积和业主总人数 "
                            "(no units on record)")
        else:
            area, owners = Decimal(values["total_area"]), values["total_owners"]
    agenda = _agenda(values, ctx, problems)
    seats = _election(values, ctx, problems)
    if values.get("attachments"):
        for key in ("inspect_place", "inspect_hours"):
            if not values.get(key):
                problems.append(f"字段 {field_title(ctx, key)}：列有附件，须写明业主查阅草案和名单的地点和时间 "
                                "(where and when the drafts may be read)")
    if problems:
        raise ValidationError(problems, ctx.record)
    return {"total_area": str(area), "total_owners": owners, "agenda": agenda,
            "vote_until": values["vote_until"].replace("：", ":"),
            "count_rules": count_rules(seats),
            "quorum_area": str(_ceil_area(area, TAKE_PART)), "quorum_owners": math.ceil(owners * TAKE_PART),
            "has_special": any(i["kind"] == SPECIAL for i in agenda)}


# ---------------------------------------------------------------- 表决票

# what a ballot (and the count) repeats of its notice
NOTICE_KEYS = ("vote_from", "vote_to", "vote_until", "count_date", "election_text", "seats")

def last_notice(view: View) -> dict[str, Any]:
    """The latest issued (not voided) 首次业主大会会议通知."""
    rows = view.find("documents", template="assembly-notice", where=lambda d: d["state"] not in model.RETIRED)
    if not rows:
        raise InputError("assembly-notice: 尚未发布首次业主大会会议通知，表决票依据会议通知的表决事项制作；"
                         "请先开具 assembly-notice (no meeting notice issued)")
    return max(rows, key=lambda d: (d["issued_on"], d["year"], d["seq"]))


def issued_notice(view: View, notice_no: str | None) -> dict[str, Any] | None:
    """The meeting notice a ballot or a count is of: the one numbered `notice_no` (None when the
    store does not hold it), else the last issued."""
    if not notice_no:
        return last_notice(view)
    found = view.find("documents", doc_no=notice_no)
    return next((d for d in found if d["template"] == "assembly-notice" and d["state"] not in model.RETIRED), None)


def notice_disagreements(values: dict[str, Any], ctx: RuleContext, notice: dict[str, Any] | None,
                         items: str, gloss: str, keys: tuple[str, ...] = ()) -> list[str]:
    """Where a ballot or a count differs from its notice's record (agenda, candidates, issuer,
    dates, seats and `keys`), one line each; none when the store does not hold the notice.
    `items` names the paper's list (表决事项, 计票事项), `gloss` begins the English gloss."""
    if notice is None:
        return []
    rec, no = notice["record"], notice["doc_no"]
    problems = []
    want = [(i["text"], i["kind"]) for i in rec["agenda"]]
    got = [(i["text"], i["kind"]) for i in values.get("agenda") or []]
    if got != want:
        problems.append(f"字段 {field_title(ctx, 'agenda')}：{items}与会议通知{no}所列不符，"
                        f"应为：{'；'.join(t for t, _ in want)} ({gloss} the notice's agenda)")
    names = [c["name"] for c in values.get("candidates") or []]
    if names != [c["name"] for c in rec.get("candidates") or []]:
        problems.append(f"字段 {field_title(ctx, 'candidates')}：候选人与会议通知{no}所列不符，应为："
                        f"{'、'.join(c['name'] for c in rec.get('candidates') or []) or '无'} "
                        f"({gloss} the notice's candidates)")
    for key in ("issuer", *keys, *NOTICE_KEYS):
        stated = values.get(key)
        stated = stated.isoformat() if isinstance(stated, date) else stated
        if stated != rec.get(key):
            problems.append(f"字段 {field_title(ctx, key)}：与会议通知{no}不符（通知为{rec.get(key)}） "
                            "(the notice says otherwise)")
    return problems


@builder("unit-ballot")
def ballot_data(ws: Workspace, view: View, unit_id: str, as_of: date) -> dict[str, Any]:
    """The 表决票 of `unit_id`'s owner for the meeting of the last notice: its agenda and dates,
    the unit's exclusive area."""
    unit = view.require("units", unit_id, "unit")
    owner = owner_of(view, unit)
    notice = last_notice(view)
    rec = notice["record"]
    return {"unit": unit_id, "unit_address": unit_address(unit), "area": unit.get("area"),
            "owner_name": owner["name"], "owner_kind": "单位" if owner.get("kind") == "company" else "个人",
            "notice_no": notice["doc_no"], "issuer": rec["issuer"],
            **{key: rec.get(key) for key in NOTICE_KEYS}, "ballot_date": as_of.isoformat(),
            "agenda": [{"text": i["text"], "kind": i["kind"]} for i in rec["agenda"]],
            "candidates": [{"name": c["name"], "note": c.get("note")} for c in rec.get("candidates") or []]}


@rule("assembly-ballot")
def assembly_ballot(values: dict[str, Any], ctx: RuleContext) -> dict[str, Any]:
    """The agenda is the notice's (when the store holds the notice, its record decides); each
    item's threshold; the owner is counted once, however many units they hold."""
    notice = issued_notice(ctx.view, values["notice_no"])
    problems = notice_disagreements(values, ctx, notice, "表决事项", "the ballot must carry")
    agenda = _agenda(values, ctx, problems)
    seats = _election(values, ctx, problems)
    if not TIME.match(values.get("vote_until") or ""):
        problems.append(f"字段 {field_title(ctx, 'vote_until')}：“{values.get('vote_until')}”应为时:分，如 17:00 "
                        "(expected HH:MM)")
    if problems:
        raise ValidationError(problems, ctx.record)
    unit = ctx.view.get("units", values.get("unit") or "")
    held = len([u for u in ctx.view.all("units") if unit and u.get("owner") == unit.get("owner")]) if unit else 1
    until = values["vote_until"].replace("：", ":")
    return {"agenda": agenda, "units_held": held, "vote_until": until,
            "count_rules": count_rules(seats)}
