"""What owner and contractor are told about a renovation, in one text (PROCESSES.md §5): the
working hours, the prohibitions by article of 《住宅室内装饰装修管理办法》 (建设部令第110号,
第五条至第七条) and the community's rules, and what the company does about a breach. The
装修管理协议, the 装修施工许可证, the 装修消防安全责任书 and the 住户手册 print these words and no
others (renovation/rules.py; movein/rules.py for the handbook)."""
from __future__ import annotations

from typing import Any

# Told to owner and contractor, written into the agreement and the permit (§5). The hours are a
# workspace setting ([renovation] work_hours); this is the default.
WORK_HOURS = ("工作日8:00—12:00、14:00—18:00；周六、周日及法定节假日不得进行敲、凿、钻、锯、"
              "切割等产生噪声的施工，其他施工时间为9:00—12:00、14:30—17:30")
# What owner and contractor are told they may not do: (where it comes from, unless, what). The
# 办法's items in its words: 第五条 forbids (its item (一) unless on a design scheme); 第六条 and 第七条
# forbid doing without the approval or the design scheme they name. "" marks the community's rules.
PROHIBITIONS = (
    ("第五条第（一）项", "未经原设计单位或者具有相应资质等级的设计单位提出设计方案，", "变动建筑主体和承重结构"),
    ("第五条第（二）项", "", "将没有防水要求的房间或者阳台改为卫生间、厨房间"),
    ("第五条第（三）项", "", "扩大承重墙上原有的门窗尺寸，拆除连接阳台的砖、混凝土墙体"),
    ("第五条第（四）项", "", "损坏房屋原有节能设施，降低节能效果"),
    ("第五条第（五）项", "", "其他影响建筑结构和使用安全的行为"),
    ("第六条第（一）项、第（二）项", "未经城市规划行政主管部门批准，",
     "搭建建筑物、构筑物，改变住宅外立面，在非承重外墙上开门、窗"),
    ("第六条第（三）项", "未经供暖管理单位批准，", "拆改供暖管道和设施"),
    ("第六条第（四）项", "未经燃气管理单位批准，", "拆改燃气管道和设施"),
    ("第七条", "未经原设计单位或者具有相应资质等级的设计单位提出设计方案，", "超过设计标准或者规范增加楼面荷载"),
    ("", "", "在楼道、电梯厅等公共部位堆放材料、搅拌砂浆，或将装修垃圾倒入下水管道、垃圾桶"),
    ("", "", "在装修房屋内留宿施工人员，未经报批进行电焊、气割等动火作业"),
)
# What the company may do about a breach: it has no administrative power (no 责令改正, no fine);
# 《物业管理条例》第四十五条: 制止, and report to the administrative department; 民法典 第九百四十五条
# adds 采取合理措施制止 and 协助处理. Printed in the agreement and in the 住户手册 alike.
BREACH = ("{who}违反{what}的，{company}有权劝阻、制止，要求停止违规施工、恢复原状；劝阻、制止无效的，"
          "{company}及时向有关行政管理部门报告（《物业管理条例》第四十五条）。"
          "造成共用部位、共用设施设备或者相邻房屋损坏的，由责任方负责修复并赔偿损失。")


def work_hours(values: dict[str, Any], ctx: Any) -> str:
    """The working hours: the data's, else the workspace's [renovation] work_hours (`ctx` a
    rules.RuleContext), else WORK_HOURS."""
    return values.get("work_hours") or str(ctx.ws.setting("renovation", "work_hours", WORK_HOURS))


def prohibitions() -> list[dict[str, str]]:
    """PROHIBITIONS for a template: article (第五条第（一）项; "" for the community's rules), law
    (第五条), text (the whole item), act (what is done, without the approval that would allow it)."""
    return [{"article": a, "law": a[:a.index("条") + 1] if a else "", "text": unless + act, "act": act}
            for a, unless, act in PROHIBITIONS]
