"""The demo community 阳光花园: deterministic units, owners, arrears, custody, renovations, repairs."""
from __future__ import annotations

import calendar
import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from decimal import ROUND_HALF_UP, Decimal

from . import fees, identity, registry
from .errors import InputError
from .files import write_atomic
from .store import Transaction

if TYPE_CHECKING:
    from .workspace import Workspace

COMMUNITY = "阳光花园"
AS_OF = date(2025, 12, 1)          # the demo's "today": arrears are computed as of this date
BUILDINGS, ENTRANCES, FLOORS, ROOMS = 6, 2, 10, 2     # 6 × 2 × 10 × 2 = 240 households
FEE_RATE = Decimal("2.20")          # 元 per m² per month
CUSTODY_SHARE = Decimal("0.70")     # custody units pay 70% of the full fee (PROCESSES.md §2)
CUSTODY_SINCE = "2025-03-01"        # the demo's custody agreements start here; earlier months are billed in full
PARKING_FEE = Decimal("150.00")
MONTHS = [(2024, 10), (2024, 11), (2024, 12)] + [(2025, m) for m in range(1, 12)]  # 14 months
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "雪梅", "子涵",
         "浩然", "梓萱", "一鸣", "思远", "嘉怡", "堃", "喆", "宇轩", "欣怡", "俊杰", "雨桐"]
COMPANIES = ["江城恒信贸易有限公司", "南湖科技发展有限公司", "江城市明德教育咨询有限公司",
             "华中鼎盛建材有限公司", "江城安泰医疗器械有限公司", "楚风文化传媒有限公司",
             "江城市绿源餐饮管理有限公司", "长江汇通物流有限公司", "江城瑞丰投资管理有限公司",
             "南湖区新视界广告有限公司", "江城市启航人力资源有限公司", "华中远景软件有限公司"]
REGIONS = ["420102", "420103", "420106", "420111", "110105", "310115", "440106", "510107"]
AREAS = ["89.36", "98.56", "106.12", "118.20", "132.75", "143.60"]


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _money(x: Decimal) -> str:
    return str(x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _person(rng: random.Random, pid: str, kind: str = "individual") -> dict:
    sex = rng.choice("MF")
    birth = date(1955, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
    return {
        "id": pid, "kind": kind,
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "id_number": identity.make_resident_id(rng.choice(REGIONS), birth, rng.randrange(0, 1000), sex),
        "phone": "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9)),
    }


def _credit_code(rng: random.Random, region: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + region + "".join(rng.choice(alphabet) for _ in range(9))
    return identity.make_credit_code(body)


def generate(seed: int = 2025) -> dict[str, list[dict]]:
    """Every demo row, by table. The same seed gives the same community, byte for byte."""
    rng = random.Random(seed)
    units, parties, charges = [], [], []
    unit_ids = [f"{b}-{e}-{f}{r:02d}" for b in range(1, BUILDINGS + 1) for e in range(1, ENTRANCES + 1)
                for f in range(1, FLOORS + 1) for r in range(1, ROOMS + 1)]
    # Which units are what: fixed positions so the demo always has every case.
    company_units = set(unit_ids[7::20])                 # 12 company owners
    agent_units = set(unit_ids[11::16]) - company_units  # owners represented by an agent
    custody_units = set(unit_ids[5::40])                 # 6 units in custody (托管)
    overdue_order = unit_ids[3::3][:72]                  # 72 of 240 units overdue (30 %)
    overdue_months = {u: 1 + i % len(MONTHS) for i, u in enumerate(overdue_order)}
    company_names = iter(COMPANIES)
    agent_no = 0
    for n, uid in enumerate(unit_ids, 1):
        b, e, room = uid.split("-")
        pid = f"P{n:04d}"
        if uid in company_units:
            contact = _person(rng, "")
            owner = {"id": pid, "kind": "company", "name": next(company_names),
                     "credit_code": _credit_code(rng, rng.choice(REGIONS)),
                     "contact_person": contact["name"], "phone": contact["phone"],
                     "mailing_address": f"江城市南湖区光谷大道{rng.randrange(10, 300)}号"}
        else:
            owner = _person(rng, pid)
        if uid in agent_units:
            agent_no += 1
            agent = _person(rng, f"A{agent_no:04d}", kind="agent")
            agent.update({"agent_for": pid, "power_of_attorney": f"委托书（{COMMUNITY}）第{agent_no}号",
                          "poa_date": (date(2024, 6, 1) + timedelta(days=agent_no * 7)).isoformat()})
            parties.append(agent)
            owner["agent"] = agent["id"]
        parties.append(owner)
        area = Decimal(rng.choice(AREAS))
        custody = uid in custody_units
        has_parking = rng.random() < 0.2
        unit = {"id": uid, "community": COMMUNITY, "building": b, "entrance": e, "room": room,
                "floor": int(room[:-2]), "area": str(area), "fee_rate": str(FEE_RATE),
                "status": "custody" if custody else "occupied", "owner": pid, "parking": has_parking}
        if custody:
            unit["custody"] = {"since": CUSTODY_SINCE, "water_base": "12.0", "electricity_base": "356.2",
                               "patrol": "weekly and before/after heavy rain"}
        units.append(unit)
        unpaid_from = len(MONTHS) - overdue_months.get(uid, 0)
        for i, (y, m) in enumerate(MONTHS):
            due = month_end(y, m)
            paid_on = None if i >= unpaid_from else (due - timedelta(days=rng.randrange(0, 20))).isoformat()
            # the custody share only for the months the custody agreement covers (fees.in_custody)
            fee = area * FEE_RATE * (CUSTODY_SHARE if fees.in_custody(unit, f"{y:04d}-{m:02d}") else 1)
            items = [("物业服务费", "FEE", fee)] + ([("车位管理费", "PARK", PARKING_FEE)] if has_parking else [])
            for item, code, amount in items:
                charges.append({"id": f"C{uid}-{y:04d}-{m:02d}-{code}", "unit": uid, "item": item,
                                "period": f"{y:04d}-{m:02d}", "amount": _money(amount),
                                "due": due.isoformat(), "paid_on": paid_on})
    rows: dict[str, list[dict]] = {"units": units, "parties": parties, "charges": charges}
    for process in registry.load().values():     # each process adds the rows of its own tables
        if process.demo is not None:
            rows.update(process.demo(rows))
    return rows


def seed(tx: Transaction, seed_value: int = 2025) -> dict[str, int]:
    """Insert the demo rows into an empty store; returns counts per table."""
    rows = generate(seed_value)
    for table, items in rows.items():
        for row in items:
            tx.insert(table, row)
    tx.set_meta("demo", {"community": COMMUNITY, "as_of": AS_OF.isoformat(), "seed": seed_value})
    return {t: len(r) for t, r in rows.items()}


def showcase(rows: dict[str, list[dict]], as_of: date = AS_OF) -> list[str]:
    """Units whose letters the demo issues, from the demo's rows (units, parties, charges): an
    individual, a company owner, the longest arrears. The arrears story issues their letters;
    other processes' demo rows (the contact log) tell the story that led to them."""
    owed: dict[str, set[str]] = {}
    for c in rows["charges"]:
        if not c.get("paid_on") and c["due"] < as_of.isoformat():
            owed.setdefault(c["unit"], set()).add(c["period"])
    units = rows["units"]
    owners = {p["id"]: p for p in rows["parties"]}
    age = {u["id"]: len(owed.get(u["id"], ())) for u in units}
    kind = {u["id"]: owners[u["owner"]]["kind"] for u in units}
    individual = next(u for u in age if age[u] >= 5 and kind[u] == "individual")
    company = next(u for u in age if age[u] >= 2 and kind[u] == "company")
    longest = max(age, key=lambda u: (age[u], u))
    return list(dict.fromkeys([individual, company, longest]))


DEMO_PAYMENT_QR = "pay-qr.png"
DEMO_PAYMENT_URL = "https://example.com/pay/yangguang-huayuan"   # the demo's: no real payee behind it


def write_payment_qr(ws: "Workspace") -> None:
    """The demo's payment QR image (assets/pay-qr.png), when [payment] names it and it is not
    there yet; a real workspace puts the bank's own image there."""
    if ws.setting("payment", "payment_qr") != DEMO_PAYMENT_QR:
        return
    target = ws.assets_dir / DEMO_PAYMENT_QR
    if target.exists():
        return
    import io

    import segno
    ws.assets_dir.mkdir(mode=0o755, exist_ok=True)
    png = io.BytesIO()
    segno.make(DEMO_PAYMENT_URL, error="m", micro=False).save(png, kind="png", scale=8, border=2)
    write_atomic(target, png.getvalue(), mode=0o644, overwrite=False)


def create(ws: "Workspace") -> dict[str, Any]:
    """`init --demo`: seed the demo once, then let each process tell its part of the story (the
    showcase letters, a payment at the counter …): what is already issued is not issued again.

    Returns {"seeded": counts per table or None when already seeded, "issued": the letters}.
    Refused when the store holds records that are not the demo's."""
    seeded = None
    with ws.store.transaction() as tx:
        if tx.meta("demo") is None:
            if tx.all("units"):
                raise InputError(f"{ws.root}: the store already holds records; the demo is only "
                                 "seeded into an empty workspace")
            seeded = seed(tx)
    write_payment_qr(ws)            # before the letters that print it
    issued: list[dict[str, Any]] = []
    for process in registry.load().values():    # each process tells its part: letters, a payment …
        if process.story is not None:
            issued.extend(process.story(ws, AS_OF))
    return {"seeded": seeded, "issued": issued}


def issued_row(doc: dict[str, Any]) -> dict[str, Any]:
    """A recorded document as `init --demo` reports it."""
    return {k: doc[k] for k in ("doc_no", "doc_id", "unit", "pages", "path", "sha256")}
