"""The columns of each kind of sheet: Chinese headers, aliases, types, notes and an example row."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Callable

from .. import identity, registry
from ..formats import unit_id_problem  # noqa: F401  (re-exported: the importer checks unit ids)

UNIT_STATUS = {"occupied": "已入住", "custody": "托管", "vacant": "空置", "renovating": "装修中"}
OWNER_KINDS = {"individual": "个人", "company": "单位"}
_OWNER_KIND_WORDS = {"个人": "individual", "自然人": "individual", "individual": "individual",
                     "单位": "company", "公司": "company", "企业": "company", "company": "company"}

EXAMPLE_ID = identity.make_resident_id("420102", date(1980, 5, 17), 123, "M")
EXAMPLE_AGENT_ID = identity.make_resident_id("420106", date(1992, 11, 3), 88, "F")
EXAMPLE_CREDIT = identity.make_credit_code("91420100MA4K2B3C8")


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the store field it fills (dotted for nested), its header and type."""

    field: str
    header: str
    type: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""
    example: object = None


@dataclass(frozen=True)
class Kind:
    """A kind of sheet: its name, title (sheet name) and columns.

    A process brings its own kinds (a clerk's 来电登记 or 报修登记 log: `register`), each with
    its `planner(ws, view, checker, rows, plan)`, which checks the parsed rows against the store
    (adding every problem to the checker, by row and column) and puts what to write in the plan;
    `export(view)`, if given, gives the store's rows as {column field: value} for `records export`."""

    name: str
    title: str
    columns: tuple[Column, ...]
    note: str = ""
    planner: Callable[..., None] | None = field(default=None, compare=False)
    export: Callable[[Any], list[dict[str, Any]]] | None = field(default=None, compare=False)

    def column(self, field: str) -> Column:
        return next(c for c in self.columns if c.field == field)


UNIT = Column("unit", "房号", required=True, aliases=("房屋编号", "房屋号", "房间编号"),
              note="楼栋-单元-房间，如 1-2-301；须已在房屋表中", example="1-2-301")

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("units", "房屋", (
        Column("id", "房号", aliases=("房屋编号", "房屋号", "房间编号"),
               note="楼栋-单元-房间，如 1-2-301；不填则由楼栋、单元、房间组成", example="1-2-301"),
        Column("community", "小区", aliases=("小区名称", "项目", "项目名称"),
               note="不填则为工作区设置的小区", example="阳光花园"),
        Column("building", "楼栋", aliases=("楼号", "栋", "栋号", "楼栋号"), example="1"),
        Column("entrance", "单元", aliases=("单元号",), example="2"),
        Column("room", "房间", aliases=("房间号", "室", "门牌号"), example="301"),
        Column("floor", "楼层", "int", note="不填则取房间号百位以上（301 → 3）", example=3),
        Column("area", "建筑面积", "area", aliases=("面积", "建筑面积㎡", "建筑面积m2", "建筑面积平方米"),
               note="平方米，最多两位小数", example=Decimal("98.56")),
        Column("fee_rate", "收费标准", "rate", aliases=("物业费单价", "单价", "物业费标准"),
               note="元/平方米·月，最多两位小数", example=Decimal("2.20")),
        Column("status", "房屋状态", aliases=("状态",),
               note="已入住、托管、空置 或 装修中；不填为已入住", example="已入住"),
        Column("parking", "车位", "bool", aliases=("有无车位", "是否有车位"),
               note="是 / 否；不填为否", example=False),
        Column("custody.since", "托管起始日", "date", aliases=("托管日期",), note="托管房屋填写"),
        Column("custody.water_base", "托管水表底数", "reading", note="托管房屋填写"),
        Column("custody.electricity_base", "托管电表底数", "reading", note="托管房屋填写"),
        Column("custody.patrol", "巡查安排", aliases=("巡查频次",), note="托管房屋填写"),
    ), "住户花名册中的房屋。按房号更新：再次导入同一文件不会产生变化。"),
    Kind("owners", "业主", (
        UNIT,
        Column("id", "业主编号", note="不填则按身份证号/信用代码匹配已有业主，或新编号"),
        Column("kind", "业主类型", aliases=("类型", "产权人类型"),
               note="个人 或 单位；不填时有信用代码为单位，否则为个人", example="个人"),
        Column("name", "业主姓名", required=True,
               aliases=("业主", "姓名", "业主名称", "单位名称", "产权人", "产权人姓名"), example="张伟"),
        Column("id_number", "身份证号", "id_number", aliases=("身份证号码", "身份证", "证件号码", "业主身份证号"),
               note="个人业主必填，18位，校验位按 GB 11643 检查；请设为文本列", example=EXAMPLE_ID),
        Column("credit_code", "统一社会信用代码", "credit_code", aliases=("信用代码", "社会信用代码"),
               note="单位业主必填，18位，按 GB 32100 检查"),
        Column("contact_person", "联系人", aliases=("单位联系人",), note="单位业主必填"),
        Column("phone", "联系电话", "phone", aliases=("电话", "手机", "手机号", "手机号码", "联系方式"),
               example="13812345678"),
        Column("mailing_address", "通讯地址", aliases=("邮寄地址", "地址", "联系地址")),
        Column("service_address", "约定送达地址", aliases=("送达地址", "约定送达地点"),
               note="业主书面约定的文书送达地址（含省市区）；填写后催缴文书寄往此地址"),
        Column("agent.id", "代理人编号"),
        Column("agent.name", "代理人姓名", aliases=("代理人", "委托代理人", "受托人")),
        Column("agent.id_number", "代理人身份证号", "id_number", aliases=("代理人身份证号码", "代理人证件号码")),
        Column("agent.phone", "代理人电话", "phone", aliases=("代理人手机", "代理人联系电话")),
        Column("agent.power_of_attorney", "委托书", aliases=("授权委托书", "委托书编号"),
               note="有代理人时必填（授权委托书的名称或编号）"),
        Column("agent.poa_date", "委托日期", "date", aliases=("委托书日期",)),
    ), "每行一套房屋的业主；单位业主须有信用代码和联系人；代理人须有授权委托书。"),
    Kind("occupants", "住户", (
        UNIT,
        Column("id", "住户编号"),
        Column("name", "姓名", required=True, aliases=("住户姓名", "住户", "居住人"), example="李娜"),
        Column("id_number", "身份证号", "id_number", aliases=("身份证号码", "身份证", "证件号码")),
        Column("phone", "联系电话", "phone", aliases=("电话", "手机", "手机号", "手机号码")),
        Column("relation", "与业主关系", aliases=("关系",), note="如 本人、配偶、子女、租户", example="租户"),
        Column("since", "入住日期", "date", aliases=("入住时间",), example=date(2025, 3, 1)),
    ), "实际居住人（含租户）。按房号+身份证号（无身份证号时按姓名）更新。"),
    Kind("charges", "应收费用", (
        UNIT,
        Column("id", "费用编号", note="不填则自动编号"),
        Column("item", "收费项目", required=True, aliases=("费用项目", "费项", "项目", "费用名称"),
               example="物业服务费"),
        Column("period", "所属期间", "month", required=True,
               aliases=("账期", "期间", "计费月份", "所属月份", "月份", "费用期间"), example="2025-01"),
        Column("amount", "金额", "money", required=True,
               aliases=("应收金额", "欠费金额", "应缴金额", "金额元", "应收"),
               note="元，精确到分，最多两位小数", example=Decimal("216.83")),
        Column("due", "到期日", "date", aliases=("应缴日期", "缴费期限", "截止日期", "应收日期"),
               note="不填则为所属期间的月末", example=date(2025, 1, 31)),
        Column("case", "关联案件", aliases=("案件编号", "报修单号"),
               note="有偿维修服务费所属的报修案件编号，如 BX2025-0002；其余费用不填"),
    ), "财务导出的欠费明细：每行一笔应收。按 房号+收费项目+所属期间 更新。"),
    Kind("payments", "缴费", (
        UNIT,
        Column("item", "收费项目", required=True, aliases=("费用项目", "费项", "项目", "费用名称"),
               example="物业服务费"),
        Column("period", "所属期间", "month", required=True,
               aliases=("账期", "期间", "计费月份", "所属月份", "月份", "费用期间"), example="2025-01"),
        Column("amount", "实收金额", "money", required=True,
               aliases=("金额", "缴费金额", "收款金额", "实收"), note="须等于应收金额", example=Decimal("216.83")),
        Column("paid_on", "缴费日期", "date", required=True, aliases=("收款日期", "实收日期", "付款日期"),
               example=date(2025, 2, 10)),
        Column("receipt", "收据号", aliases=("票据号", "收据编号", "发票号")),
    ), "已收款项：每行结清一笔应收费用（房号+收费项目+所属期间）。"),
)}


_PROCESS_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make a process's kind of sheet known to `records import` (called by the process package)."""
    if kind.name in KINDS or kind.planner is None:
        raise RuntimeError(f"internal: sheet kind {kind.name!r} is the core's, or has no planner")
    _PROCESS_KINDS[kind.name] = kind
    return kind


def all_kinds() -> dict[str, Kind]:
    """Every kind of sheet: the core's (units, owners, …) and those the processes registered."""
    registry.load()
    return {**KINDS, **_PROCESS_KINDS}


def normalise_header(text: str) -> str:
    """A header as compared: no spaces, no *, no unit in brackets (建筑面积（㎡） → 建筑面积㎡)."""
    s = re.sub(r"[\s*＊:：]", "", str(text))
    s = re.sub(r"[()（）\[\]【】]", "", s)
    return s.lower()


def header_map(kind: Kind) -> dict[str, Column]:
    """Normalised header or alias → column."""
    out: dict[str, Column] = {}
    for col in kind.columns:
        for name in (col.header, *col.aliases):
            out.setdefault(normalise_header(name), col)
    return out


def owner_kind(word: str) -> str | None:
    """个人 / 单位 (and synonyms) → individual / company; None if unknown."""
    return _OWNER_KIND_WORDS.get(word.strip().lower())


def unit_status(word: str) -> str | None:
    """已入住 / 托管 / 空置 / 装修中 or the code → the code; None if unknown."""
    w = word.strip()
    if w in UNIT_STATUS:
        return w
    return next((code for code, label in UNIT_STATUS.items() if label == w), None)
