"""The cases of the demo community in November 2025, before the demo's day (2025-12-01): repairs
called back on time and late, a leak repair reopened by its callback, complaints of every
severity (one 重大, still unresolved, taken to the director at once; the 重要 one taken to its
head 20 minutes past the hour), inquiries answered at once and referred, visits.

Built with the same moves as the library (log.new_case, log.apply), from fixed times and units:
no random draw, so the rest of the demo stays as it was."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from . import log

AS_OF = datetime(2025, 12, 1, 8, 0)      # formsmith.demo.AS_OF, the morning of the demo's day

# (unit index, kind, opened at, by, description, {category|severity|answer|refer…}, [steps])
# a step: (action, at, by, {fields})
STORY: list[tuple[int, str, str, str, str, dict[str, Any], list[tuple[str, str, str, dict[str, Any]]]]] = [
    (2, "inquiry", "2025-11-03T09:10", "王敏", "咨询物业费收费标准及缴费方式", {"answer": "按2.20元/㎡·月收取，可在客服中心或转账缴纳"},
     [("close", "2025-11-03T09:20", "王敏", {})]),
    (12, "repair", "2025-11-03T10:05", "李娜", "单元门禁不能刷卡开门", {"category": "safety"},
     [("dispatch", "2025-11-03T10:15", "李娜", {"to": "张建华"}), ("done", "2025-11-03T15:30", "张建华", {}),
      ("callback", "2025-11-04T10:00", "李娜", {"result": "门禁已恢复正常", "satisfaction": "满意"}),
      ("close", "2025-11-04T10:05", "李娜", {})]),
    (30, "complaint", "2025-11-04T20:10", "王敏", "楼上夜间装修噪音", {"severity": "轻微"},
     [("dispatch", "2025-11-05T08:40", "王敏", {"to": "刘强"}),
      ("resolve", "2025-11-05T16:00", "刘强", {"result": "已告知装修户遵守施工时间，当晚起未再施工"}),
      ("callback", "2025-11-07T10:30", "王敏", {"result": "住户确认夜间已安静", "satisfaction": "满意"}),
      ("close", "2025-11-07T10:35", "王敏", {})]),
    (47, "repair", "2025-11-05T14:20", "李娜", "客厅吊灯不亮", {"category": "other"},
     [("dispatch", "2025-11-05T14:30", "李娜", {"to": "周志强"}),
      ("done", "2025-11-05T17:10", "周志强", {"paid": True, "fee": "35.00", "note": "更换灯座一个"}),
      ("callback", "2025-11-06T09:30", "李娜", {"result": "已更换灯座，使用正常", "satisfaction": "满意"}),
      ("close", "2025-11-06T09:35", "李娜", {})]),
    (58, "repair", "2025-11-06T09:00", "李娜", "卫生间地面渗水至楼下", {"category": "leak"},
     [("dispatch", "2025-11-06T09:20", "李娜", {"to": "张建华"}),
      ("done", "2025-11-08T16:00", "张建华", {"leak_test": date(2025, 11, 10)}),
      ("callback", "2025-11-12T15:00", "李娜", {"result": "闭水试验后楼下无渗水", "satisfaction": "满意"}),
      ("close", "2025-11-12T15:05", "李娜", {})]),
    (5, "visit", "2025-11-08T09:30", "王敏", "托管房屋走访：查看门窗水电", {},
     [("done", "2025-11-08T11:00", "王敏", {"note": "门窗完好，总阀已关闭"}), ("close", "2025-11-08T11:05", "王敏", {})]),
    (77, "repair", "2025-11-10T08:50", "李娜", "厨房水龙头滴水", {"category": "other"},
     [("dispatch", "2025-11-10T09:00", "李娜", {"to": "周志强"}), ("done", "2025-11-10T11:40", "周志强", {}),
      ("callback", "2025-11-14T16:20", "李娜", {"result": "已更换阀芯，仍偶有滴水声", "satisfaction": "基本满意"}),
      ("close", "2025-11-14T16:25", "李娜", {})]),
    (90, "complaint", "2025-11-10T15:30", "王敏", "夜班保安对访客态度生硬", {"severity": "重要"},
     [("escalate", "2025-11-10T16:50", "王敏", {"to": "秩序维护部主管"}),        # 20 minutes past its hour
      ("dispatch", "2025-11-10T16:55", "王敏", {"to": "秩序维护部主管"}),
      ("resolve", "2025-11-14T11:00", "秩序维护部主管", {"result": "已对当班保安批评教育并向住户致歉"}),
      ("callback", "2025-11-15T10:00", "王敏", {"result": "住户接受道歉", "satisfaction": "基本满意"}),
      ("close", "2025-11-15T10:05", "王敏", {})]),
    (103, "repair", "2025-11-12T10:30", "李娜", "外墙窗边渗水", {"category": "leak"},
     [("dispatch", "2025-11-12T10:40", "李娜", {"to": "张建华"}),
      ("done", "2025-11-13T15:00", "张建华", {"leak_test": date(2025, 11, 15)}),
      ("callback", "2025-11-17T09:40", "李娜", {"result": "雨后窗边仍有水迹", "satisfaction": "不满意"}),
      ("dispatch", "2025-11-18T08:30", "李娜", {"to": "张建华", "note": "返修：重新打胶"}),
      ("done", "2025-11-20T14:00", "张建华", {"leak_test": date(2025, 11, 22)}),
      ("callback", "2025-11-24T10:10", "李娜", {"result": "淋水试验无渗漏", "satisfaction": "满意"}),
      ("close", "2025-11-24T10:15", "李娜", {})]),
    (120, "inquiry", "2025-11-14T10:00", "王敏", "询问车位租赁是否还有空位", {"refer_to": "停车场管理员", "promise": "2025-11-17T17:00"},
     [("answer", "2025-11-17T11:00", "停车场管理员", {"result": "地下车位尚余3个，可到客服中心办理"}),
      ("close", "2025-11-17T11:05", "王敏", {})]),
    (135, "repair", "2025-11-18T13:00", "李娜", "消防栓箱门脱落", {"category": "safety"},
     [("dispatch", "2025-11-18T13:10", "李娜", {"to": "周志强"}), ("done", "2025-11-18T16:30", "周志强", {}),
      ("callback", "2025-11-19T09:00", "李娜", {"result": "箱门已修复", "satisfaction": "满意"}),
      ("close", "2025-11-19T09:05", "李娜", {})]),
    (150, "complaint", "2025-11-20T07:50", "王敏", "电梯困人约40分钟，救援迟缓", {"severity": "重大"},
     [("escalate", "2025-11-20T08:30", "王敏", {"to": "管理处主任"}),
      ("dispatch", "2025-11-20T09:00", "王敏", {"to": "管理处主任"}),
      ("answer", "2025-11-21T15:00", "管理处主任", {"result": "已约谈电梯维保单位，承诺更换门机板并加强巡检"})]),
    (165, "visit", "2025-11-22T14:00", "王敏", "走访独居老人住户", {},
     [("done", "2025-11-22T15:00", "王敏", {"note": "住户反映楼道灯不亮，已转报修"})]),
    (170, "repair", "2025-11-24T09:30", "李娜", "楼道声控灯不亮", {"category": "other"},
     [("dispatch", "2025-11-24T09:40", "李娜", {"to": "周志强"}), ("done", "2025-11-25T10:00", "周志强", {}),
      ("callback", "2025-11-26T10:00", "李娜", {"result": "灯已恢复", "satisfaction": "满意"})]),
    (180, "inquiry", "2025-11-25T16:00", "王敏", "咨询装修申请需要哪些材料", {"answer": "身份证、产权证明、装修方案，可到客服中心领取表格"},
     [("close", "2025-11-25T16:10", "王敏", {})]),
    (195, "repair", "2025-11-26T11:00", "李娜", "阳台顶部渗水", {"category": "leak"},
     [("dispatch", "2025-11-26T11:10", "李娜", {"to": "张建华"}),
      ("done", "2025-11-27T16:00", "张建华", {"leak_test": date(2025, 11, 28)})]),
    (200, "repair", "2025-11-27T08:30", "李娜", "卧室插座无电", {"category": "other"},
     [("dispatch", "2025-11-27T08:40", "李娜", {"to": "周志强"}), ("done", "2025-11-27T11:00", "周志强", {})]),
    (210, "complaint", "2025-11-27T18:00", "王敏", "垃圾桶未及时清运有异味", {"severity": "轻微", "resident_deadline": date(2025, 12, 3)},
     []),
    (215, "inquiry", "2025-11-28T10:20", "王敏", "询问公共维修基金使用流程", {"refer_to": "财务部", "promise": "2025-11-30T17:00"},
     []),
    (222, "repair", "2025-11-28T15:00", "李娜", "单元防火门闭门器损坏", {"category": "safety"},
     [("dispatch", "2025-11-28T15:10", "李娜", {"to": "张建华"})]),
    (232, "repair", "2025-11-30T10:00", "李娜", "马桶水箱不停进水", {"category": "other"}, []),
]


def _recorded(at: str) -> str:
    return f"{datetime.fromisoformat(at) + timedelta(minutes=10):%Y-%m-%dT%H:%M:%S}+08:00"


def demo_rows(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The month of cases, numbered in order of their opening per kind."""
    unit_ids = [u["id"] for u in rows["units"]]
    seq: dict[str, int] = {}
    cases = []
    for index, kind, at, by, desc, opening, steps in sorted(STORY, key=lambda s: s[2]):
        seq[kind] = seq.get(kind, 0) + 1
        opened = datetime.fromisoformat(at)
        fields = dict(opening)
        if "promise" in fields:
            fields["promise"] = datetime.fromisoformat(fields["promise"])
        row = log.new_case(kind, unit_ids[index], description=desc, at=opened, by=by,
                           number=f"{log.PREFIX[kind]}{opened.year}-{seq[kind]:04d}", recorded_at=_recorded(at),
                           **fields)
        for action, when, who, extra in steps:
            row = log.apply(row, action, at=datetime.fromisoformat(when), by=who, recorded_at=_recorded(when),
                            now=AS_OF, **extra)
        cases.append(row)
    # A paid repair's fee is a charge of the ledger (log.fee_charge); the demo's was paid on the
    # day, to the previous system (the ledger's demo gives it its payment, without our receipt).
    fees = []
    for row in cases:
        for i in range(1, len(row["events"]) + 1):
            charge = log.fee_charge({**row, "events": row["events"][:i]})
            if charge is not None:
                fees.append({**charge, "paid_on": charge["due"]})
    return {"cases": cases, "charges": rows["charges"] + fees}


# What `init --demo` prints from the cases (as of the demo's day): a work order for a repair
# waiting for its repairer, the callback record of the leak repair its callback reopened, the
# reply to the 重大 complaint (answered, not yet resolved), the day log of its day.
SHOWN_CASES = (("repair-order", "单元防火门闭门器损坏"), ("repair-callback", "外墙窗边渗水"),
               ("complaint-reply", "电梯困人约40分钟，救援迟缓"))
SHOWN_DAY = "2025-11-20"


def story(ws: Any, as_of: date) -> list[dict[str, Any]]:
    """Issue the case documents of SHOWN_CASES and the 客服工作日志 of SHOWN_DAY, those not on
    record yet; returns them all."""
    from ... import demo, issuing
    out = []
    with ws.store.snapshot() as view:
        cases = {r["description"]: r["id"] for r in view.all("cases")}
        issued = view.all("documents")
    wanted = [(tid, cases[desc]) for tid, desc in SHOWN_CASES if desc in cases] + [("service-log", SHOWN_DAY)]
    for tid, key in wanted:
        field = {"repair-callback": "repair_id", "service-log": "day"}.get(tid, "case_id")
        done = [d for d in issued if d.get("template") == tid and (d.get("record") or {}).get(field) == key]
        if done:
            out.append(demo.issued_row(done[0]))
        else:
            out.append(issuing.issue_document(ws, tid, record=key, as_of=as_of).as_dict())
    return out
