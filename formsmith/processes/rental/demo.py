"""The lettings of the demo community: an individual owner (who owes two months' fee) lets 2-1-501
through the company, let since December to a family of three with a child under 14; a company
owner has just entrusted 2-1-402, not let yet."""
from __future__ import annotations

from datetime import date

from ... import identity


def demo_rows(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Leases of fixed units of the demo (no random draws: the rest of the demo stays as it was)."""
    unit_ids = [u["id"] for u in rows["units"]]
    family, company = unit_ids[48], unit_ids[47]       # 2-1-501 (个人业主), 2-1-402 (单位业主)
    leases = [
        {"id": "ZL2025-001", "unit": family,
         "agency": {"from": "2025-11-18", "to": "2026-11-17",
                    "title_cert_no": "鄂（2023）江城市不动产权第0012345号", "sole_owner": True,
                    "matters": ["代理出租", "代为看房", "代签租赁合同", "代收租金", "房屋交接", "代办登记备案", "租期管理"],
                    "asking_rent": "3200.00", "lowest_rent": "3000.00", "payment_cycle": "季付",
                    "deposit_months": 1, "max_lease_months": 24,
                    "fee_kind": "按成交月租金比例", "fee_percent": "50", "remit_days": 3,
                    "owner_account": "中国建设银行江城光谷支行，账号6217 0028 7001 2345 678",
                    "keys_count": 2, "keys_held_by": "受托人保管",
                    "inventory": [{"item": "空调", "quantity": 3, "condition": "完好"},
                                  {"item": "冰箱", "quantity": 1, "condition": "完好"},
                                  {"item": "洗衣机", "quantity": 1, "condition": "完好"},
                                  {"item": "燃气热水器", "quantity": 1, "condition": "完好"},
                                  {"item": "双人床（含床垫）", "quantity": 2, "condition": "完好"},
                                  {"item": "布艺沙发", "quantity": 1, "condition": "扶手轻微磨损"}],
                    "water_base": "156.0", "electricity_base": "2380.5", "gas_base": "410.2"},
         "lease": {"contract_no": "阳光租2025-001", "signed_on": "2025-11-25", "from": "2025-12-01",
                   "to": "2026-11-30", "rent": "3100.00", "filing_no": None},
         "tenants": [
             {"name": "刘洋", "relation": "承租人", "gender": "男", "id_type": "居民身份证",
              "id_number": identity.make_resident_id("420111", date(1990, 6, 18), 123, "M"),
              "phone": "13986120357", "workplace": "江城星辰信息技术有限公司"},
             {"name": "陈静", "relation": "配偶", "gender": "女", "id_type": "居民身份证",
              "id_number": identity.make_resident_id("420106", date(1992, 3, 9), 88, "F"),
              "phone": "13971552468", "workplace": "江城市第一人民医院"},
             {"name": "刘子墨", "relation": "子女", "gender": "男", "id_type": "居民身份证",
              "id_number": identity.make_resident_id("420111", date(2016, 8, 21), 45, "M"),
              "workplace": "阳光路小学", "under_14": True},
         ],
         "guardian_name": "刘洋",
         "vehicles": [{"plate": "鄂A·7M2Q5", "model": "比亚迪秦", "color": "白色"}],
         "emergency": {"name": "刘建国", "relation": "父亲", "phone": "13607160428"}},
        {"id": "ZL2025-002", "unit": company,
         "agency": {"from": "2025-12-01", "to": "2026-05-31",
                    "legal_rep": "陈明德",
                    "matters": ["代理出租", "代为看房", "房屋交接"],
                    "asking_rent": "2600.00", "lowest_rent": "2400.00", "payment_cycle": "月付",
                    "deposit_months": 2, "max_lease_months": 12, "fee_kind": "固定金额", "fee_amount": "1200.00",
                    "keys_count": 1, "keys_held_by": "受托人保管"}},
    ]
    return {"leases": leases}
