"""The works a renovation plan may contain that the law regulates (《住宅室内装饰装修管理办法》
建设部令第110号, 第五条至第七条), who must approve each, and the classifier of a plan's text.

第五条 forbids its works outright, except (一): the main structure and load-bearing structure may
be altered on a design scheme by the original design unit or a design unit of the required
grade. Removing a load-bearing wall is treated as forbidden outright (第五条（五）: it affects
the building's structure and safety; issue 16), as are the works (三) names. 第六条 works need the
approval of the authority the article names, 第七条 (more floor load than the design allows) a
design scheme. The approvals themselves are recorded per renovation (sources.record_approval).

The classifier reads a plan clause by clause and recognises only clear wordings; a clause's
negation ("不涉及主体结构", "不动燃气管道", "保留承重墙") cuts what follows it, and "非承重"
is never "承重". A plan it misreads is corrected by rewording the plan, never by an override.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

LAW = "《住宅室内装饰装修管理办法》"
FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Authority:
    """A kind of body whose approval (or design scheme) a regulated work needs."""

    kind: str              # housing, planning, heating, gas, design
    title: str             # the law's name for it: 城市规划行政主管部门, …
    requirement: str       # what the work needs, as the law says it
    act: str               # how the document calls what it did: 批准 | 出具设计方案
    names: tuple[str, ...]             # words one of which its name contains
    government: bool = False           # a government department (局, 委员会…), never a company


AUTHORITIES: dict[str, Authority] = {a.kind: a for a in (
    # PROCESSES.md §5 (the service centre's process): a plan that alters the main structure or
    # clearly adds load is approved by the local real-estate authority first.
    Authority("housing", "房地产行政主管部门", "须经房屋所在地房地产行政主管部门批准", "批准",
              ("住房", "住建", "房地产", "房产", "房屋管理", "房管", "城乡建设", "建设局", "建设委员会", "建委"),
              government=True),
    Authority("planning", "城市规划行政主管部门", "须经城市规划行政主管部门批准", "批准",
              ("规划", "自然资源"), government=True),
    Authority("heating", "供暖管理单位", "须经供暖管理单位批准", "批准", ("供暖", "供热", "热力", "采暖")),
    Authority("gas", "燃气管理单位", "须经燃气管理单位批准", "批准", ("燃气", "煤气", "天然气")),
    Authority("design", "原设计单位或者具有相应资质等级的设计单位",
              "须由原设计单位或者具有相应资质等级的设计单位提出设计方案", "出具设计方案", ("设计",)),
)}
_GOVERNMENT = re.compile(r"局|委员会|委|厅|人民政府|管理处|管理办|办公室")
_COMPANY = re.compile(r"公司|企业|集团")
# A decoration firm designs finishes, not structures: its scheme is not the one 第五条（一）/第七条 want.
_NOT_DESIGN_UNIT = re.compile(r"装饰|装修|装潢|家装|家居|软装")


def kinds_of(authority: str) -> tuple[str, ...]:
    """The kinds of body an authority's name says it is (none for a name that says nothing)."""
    name = unicodedata.normalize("NFKC", authority or "").replace(" ", "")
    out = []
    for a in AUTHORITIES.values():
        if not any(w in name for w in a.names):
            continue
        if a.government and (_COMPANY.search(name) or "设计" in name or not _GOVERNMENT.search(name)):
            continue
        if a.kind == "design" and _NOT_DESIGN_UNIT.search(name):
            continue
        out.append(a.kind)
    return tuple(out)


@dataclass(frozen=True)
class Work:
    """One regulated work: what the law calls it, where, and what it takes."""

    code: str
    label: str             # the law's words for the work
    article: str           # 第五条第（三）项 …
    law: str               # the item of the article, quoted
    needs: str             # FORBIDDEN, or the kind of authority (AUTHORITIES) that must approve it
    patterns: tuple[str, ...] = ()
    subsumes: tuple[str, ...] = ()     # works of the same clause this one already says

    @property
    def forbidden(self) -> bool:
        return self.needs == FORBIDDEN

    @property
    def authority(self) -> Authority | None:
        return AUTHORITIES.get(self.needs)


def _near(a: str, b: str, gap: int) -> str:
    """`a` then `b`, or `b` then `a`, at most `gap` characters apart."""
    return f"(?:{a}).{{0,{gap}}}(?:{b})|(?:{b}).{{0,{gap}}}(?:{a})"


_REMOVE = "拆除|拆掉|拆改|拆|打掉|砸掉|砸除|砸|凿除|凿掉|敲掉|敲除|推倒|打通|移除|去掉|去除|取消"
_BEARING = "承重墙体|承重墙|剪力墙|结构墙"
_WALL = "墙(?![面纸布砖漆贴绘角])"              # a wall, not its surface (墙面, 墙砖 …)
_ENLARGE = "扩大|扩宽|加宽|加大|放大|拓宽|加高"
_OPENING = "门窗|门洞|窗洞|洞口|门|窗|洞"
_ROOM = "阳台|露台|卧室|主卧|次卧|书房|客厅|餐厅|起居室|(?<!厨)房间|储藏室|储物间|衣帽间|客房|儿童房|杂物间|走廊|过道|保姆房"
_WET = "卫生间|卫浴间|厕所|洗手间|浴室|淋浴间|淋浴房|厨房"
_CONVERT = "改为|改成|改作|改做|改造为|改造成|改建为|改建成|改装为|变为|变成|做成|作为|当作"
_ENERGY = "保温层|保温板|保温材料|外保温|内保温|墙体保温|外墙保温|隔热层|节能设施"
_STRUCT = (f"{_BEARING}|承重结构|主体结构|建筑主体|结构构件|承重柱|框架柱|构造柱|圈梁|(?<![包吊])梁|"
           "(?<![立马灯门包])柱|楼板|楼盖|屋盖")
_ALTER = ("拆除|拆掉|拆改|拆|凿|切割|切断|截断|开洞|开孔|开槽|开门|开窗|开口|挖|削|移位|移动|改动|变动|改变|"
          "改造|调整|破坏|加固|砸|打掉|打通|变更|改")
_PIPE_WORK = "拆|改|移|迁|挪|更换|换|包|封|截|断开|加装|增加|增设|接入|接|延长|暗埋|埋"
_HEATING = "(?<!电)(?:暖气|供暖|采暖|供热)(?!罩)|散热器"
_GAS = "(?:燃气|煤气|天然气)(?![灶炉具报热])"
_MEZZANINE = "(?:加设|增设|增加|新建|加建|搭|做|建)(?:一个|一层)?.{0,4}(?:夹层|阁楼|隔层)"
_OUTER_WALL = "外墙(?!内)"

WORKS: tuple[Work, ...] = (
    Work("bearing-wall-removal", "拆除承重墙", "第五条第（五）项", "其他影响建筑结构和使用安全的行为", FORBIDDEN,
         (_near(_REMOVE, f"(?:{_BEARING})(?![面上表])", 12),), subsumes=("structure-change",)),
    Work("balcony-wall-removal", "拆除连接阳台的砖、混凝土墙体", "第五条第（三）项",
         "扩大承重墙上原有的门窗尺寸，拆除连接阳台的砖、混凝土墙体", FORBIDDEN,
         (f"(?:{_REMOVE}).{{0,12}}阳台.{{0,10}}{_WALL}", f"(?:{_REMOVE}).{{0,12}}{_WALL}.{{0,10}}阳台",
          f"阳台.{{0,10}}{_WALL}.{{0,6}}(?:{_REMOVE})", _near("打通|连通|贯通|合并", "阳台", 10))),
    Work("bearing-opening-enlargement", "扩大承重墙上原有的门窗尺寸", "第五条第（三）项",
         "扩大承重墙上原有的门窗尺寸，拆除连接阳台的砖、混凝土墙体", FORBIDDEN,
         (f"(?:{_ENLARGE}).{{0,10}}(?:{_BEARING}).{{0,6}}(?:{_OPENING})",
          f"(?:{_BEARING}).{{0,8}}(?:{_OPENING}).{{0,8}}(?:{_ENLARGE})",
          f"(?:{_BEARING}).{{0,8}}(?:{_ENLARGE}).{{0,4}}(?:{_OPENING})"), subsumes=("structure-change",)),
    Work("wet-room-conversion", "将没有防水要求的房间或者阳台改为卫生间、厨房间", "第五条第（二）项",
         "将没有防水要求的房间或者阳台改为卫生间、厨房间", FORBIDDEN,
         (f"(?:{_ROOM}).{{0,8}}(?:{_CONVERT}).{{0,6}}(?:{_WET})",
          f"(?:{_ROOM})(?:内|上|里|中|处)?.{{0,4}}(?:增设|加设|新增|新建|设置|砌筑|加建|增加|改出|隔出)"
          f"(?:一个|一间)?.{{0,4}}(?:{_WET})")),
    Work("energy-damage", "损坏房屋原有节能设施", "第五条第（四）项", "损坏房屋原有节能设施，降低节能效果", FORBIDDEN,
         (f"(?:拆除|拆掉|拆|破坏|损坏|凿除|铲除|剥除|剥离|去掉|去除|取消)[^换装新]{{0,6}}(?:{_ENERGY})",
          f"(?:{_ENERGY}).{{0,4}}(?:拆除|拆掉|破坏|损坏|凿除|铲除|剥除|去掉|去除)", "降低.{0,4}节能")),
    Work("structure-change", "变动建筑主体和承重结构", "第五条第（一）项",
         "未经原设计单位或者具有相应资质等级的设计单位提出设计方案，变动建筑主体和承重结构", "design",
         (_near(_ALTER, f"(?:{_STRUCT})(?!上的|上面的|表面|面[砖漆层板饰瓷贴]|里的|内的)", 8),)),
    Work("building", "搭建建筑物、构筑物", "第六条第（一）项", "搭建建筑物、构筑物", "planning",
         ("搭建(?!脚手架)|搭设(?!脚手架)|扩建|加建|增建|加盖|私搭|外扩|外挑", _MEZZANINE,
          _near("搭|建|做|加装|增设", "阳光房|玻璃房|彩钢棚|彩钢房", 6))),
    Work("facade-change", "改变住宅外立面", "第六条第（二）项", "改变住宅外立面，在非承重外墙上开门、窗", "planning",
         (_near("改变|改动|变更|更改|改造|粉刷|涂刷|刷|更换|拆改|调整|装饰|改", "外立面|建筑立面|建筑外观|房屋外观", 8),
          _near("粉刷|涂刷|喷涂|刷|贴|更换|改色|改造|装饰|干挂", f"{_OUTER_WALL}(?:面|皮|颜色|涂料|面砖|瓷砖|饰面)?", 6),
          _near("安装|加装|增设|搭|设置", "雨棚|雨篷|遮阳棚|遮阳篷|外挑式防盗|外凸式防盗|广告牌|招牌", 6))),
    Work("exterior-opening", "在非承重外墙上开门、窗", "第六条第（二）项", "改变住宅外立面，在非承重外墙上开门、窗",
         "planning", (_near(_OUTER_WALL, "开.{0,3}[门窗]|开洞|新开|增开|门洞|窗洞|凿洞|打通|(?:新增|增加|增设|加开).{0,3}[门窗]",
                            8),)),
    Work("heating", "拆改供暖管道和设施", "第六条第（三）项", "拆改供暖管道和设施", "heating",
         (_near(_PIPE_WORK, _HEATING, 8),)),
    Work("gas", "拆改燃气管道和设施", "第六条第（四）项", "拆改燃气管道和设施", "gas", (_near(_PIPE_WORK, _GAS, 8),)),
    Work("floor-load", "超过设计标准或者规范增加楼面荷载", "第七条",
         "超过设计标准或者规范增加楼面荷载的，应当经原设计单位或者具有相应资质等级的设计单位提出设计方案", "design",
         ("(?:增加|加大|增大|提高|超过|超出|超)了?.{0,6}荷载", "荷载.{0,4}(?:增加|加大|增大|超)", _MEZZANINE,
          _near("砌|建|增设|安装|放置|做|设置", "鱼池|水池|泳池|浴池|假山|大型鱼缸|花池|景观池", 6))),
)
BY_CODE = {w.code: w for w in WORKS}
_COMPILED = {w.code: [re.compile(p) for p in w.patterns] for w in WORKS}

# Clauses end at punctuation and at the conjunctions that start a new work (…并扩建阳台).
_CLAUSE = re.compile(r"[，,；;。、（）()【】\[\]！!？?：:\n]|(?<![合吞兼归])并(?!且)|并且|同时|但是|但|另外|另")
# A negation cuts the rest of its clause: 不涉及主体结构, 不动燃气管道, 保留承重墙, 严禁拆除…
_NEGATION = re.compile(r"不(?:涉及|含|包括|包含|改|变|拆|动|移|破坏|损坏|影响|触及|得|会|做|进行|对|增加|加大|扩大|搭|开)"
                       r"|未涉及|未改|严禁|禁止|无需|避开|保留|保持")


@dataclass(frozen=True)
class Found:
    """A regulated work found in a renovation: the plan's words it is in ("" for a given code)."""

    work: Work
    where: str = ""


def _clauses(text: str) -> list[str]:
    """A plan's clauses, except the 、 of an enumeration (拆改燃气、暖气管道 stays one clause)."""
    text = unicodedata.normalize("NFKC", text)
    parts, start = [], 0
    for m in _CLAUSE.finditer(text):
        if m.group() != "、":
            parts.append(text[start:m.start()])
            start = m.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _readable(clause: str) -> str:
    """The part of a clause that says what is done: before any negation, 非承重 never 承重."""
    cut = _NEGATION.search(clause)
    said = clause[:cut.start()] if cut else clause
    return re.sub(r"\s+", "", said).replace("非承重", "非〇〇")


def recognise(text: str) -> list[Found]:
    """The regulated works a plan's text names, in WORKS order, each with the clause it is in."""
    found: dict[str, Found] = {}
    for clause in _clauses(text or ""):
        said = _readable(clause)
        here = [w for w in WORKS if any(p.search(said) for p in _COMPILED[w.code])]
        dropped = {c for w in here for c in w.subsumes}
        for w in here:
            if w.code not in dropped:
                found.setdefault(w.code, Found(w, clause))
    return [found[w.code] for w in WORKS if w.code in found]


def parse_codes(text: str | Iterable[str] | None) -> tuple[list[str], list[str]]:
    """Work codes given as a list or a string ("gas, floor-load"): (known codes, unknown ones)."""
    if not text:
        return [], []
    items = re.split(r"[\s,，、;；]+", text) if isinstance(text, str) else [str(t) for t in text]
    codes = [c.strip() for c in items if c and c.strip()]
    return [c for c in codes if c in BY_CODE], [c for c in codes if c not in BY_CODE]


def classify(texts: Iterable[str | None], codes: Iterable[str] = ()) -> list[Found]:
    """The works of a renovation: the given codes plus what its plan texts name, in WORKS order.

    A given code names no clause; a work both given and recognised keeps the plan's words."""
    found: dict[str, Found] = {}
    for text in texts:
        for f in recognise(text or ""):
            found.setdefault(f.work.code, f)
    for code in codes:
        if code in BY_CODE:
            found.setdefault(code, Found(BY_CODE[code]))
    return [found[w.code] for w in WORKS if w.code in found]
