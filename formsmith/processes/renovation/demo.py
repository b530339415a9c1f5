"""The renovations of the demo community: one ordinary; one the law forbids (拆除承重墙, 第五条);
one of windows only; one that adds floor load, lawful with the authority's approval and a design
unit's design scheme (第七条)."""
from __future__ import annotations

from datetime import date

from ... import identity

CREW = [("陈建国", "泥瓦工"), ("刘德胜", "水电工"), ("黄志明", "木工"), ("周海涛", "油漆工"),
        ("吴小兵", "泥瓦工"), ("郑伟", "杂工"), ("孙立军", "水电工"), ("马俊", "木工"),
        ("朱大海", "防水工"), ("何平", "杂工"), ("高长青", "门窗安装工"), ("林木森", "门窗安装工"),
        ("罗成", "杂工"), ("许文斌", "泥瓦工"), ("谢永强", "水电工"), ("韩东", "木工")]


def _crew(first: int, count: int) -> list[dict]:
    """Fixed workers of a demo renovation (no random draws: the rest of the demo stays as it was)."""
    out = []
    for k in range(first, first + count):
        name, trade = CREW[k]
        birth = date(1970 + k * 2, 1 + k % 12, 3 + k)
        out.append({"name": name, "trade": trade, "phone": f"1397{k:03d}{k * 37 % 10000:04d}",
                    "id_number": identity.make_resident_id("420115", birth, 100 + k * 7, "M")})
    return out


def demo_rows(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Renovations of fixed units of the demo (no random draws: the demo stays as it was)."""
    unit_ids = [u["id"] for u in rows["units"]]
    renovations = [
        {"id": "ZX2025-001", "unit": unit_ids[20], "applicant": unit_ids[20], "contractor": "江城美居装饰工程有限公司",
         "plan": "厨卫翻新、墙面刷新、更换地板", "structural_change": False, "authority_approval": None,
         "start": "2025-11-10", "end": "2026-01-20", "workers": 4, "crew": _crew(0, 4),
         "contractor_contact": "陈建国", "contractor_phone": "13971230456"},
        {"id": "ZX2025-002", "unit": unit_ids[61], "applicant": unit_ids[61], "contractor": "南湖匠心装饰有限公司",
         "plan": "拆除客厅与阳台之间的承重墙并扩建阳台", "structural_change": True, "authority_approval": None,
         "start": "2025-12-15", "end": "2026-03-15", "workers": 6, "crew": _crew(4, 6),
         "contractor_contact": "吴小兵", "contractor_phone": "13607159988"},
        {"id": "ZX2025-003", "unit": unit_ids[150], "applicant": unit_ids[150], "contractor": "江城美居装饰工程有限公司",
         "plan": "更换门窗、阳台封闭（不涉及主体结构）", "structural_change": False, "authority_approval": None,
         "start": "2025-11-20", "end": "2025-12-20", "workers": 3, "crew": _crew(10, 3),
         "contractor_contact": "高长青", "contractor_phone": "13871266032"},
        {"id": "ZX2025-004", "unit": unit_ids[110], "applicant": unit_ids[110], "contractor": "楚天筑家装饰工程有限公司",
         "plan": "客厅、餐厅铺设天然石材地面，书房增设通顶实木书墙，超过设计标准增加楼面荷载",
         "structural_change": True, "works": ["floor-load"], "authority_approval": None,
         "start": "2025-12-08", "end": "2026-02-28", "workers": 3, "crew": _crew(13, 3),
         "contractor_contact": "许文斌", "contractor_phone": "13545126870"},
    ]
    return {"renovations": renovations}
