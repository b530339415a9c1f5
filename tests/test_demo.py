"""The demo community is deterministic and has every case the issues ask for."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

from formsmith import demo, identity


def test_same_seed_same_community():
    assert demo.generate() == demo.generate()


def test_size_buildings_and_owner_kinds():
    rows = demo.generate()
    units = rows["units"]
    assert len(units) >= 240 and len({u["building"] for u in units}) >= 6
    kinds = Counter(p["kind"] for p in rows["parties"])
    assert kinds["individual"] and kinds["company"] and kinds["agent"]
    for p in rows["parties"]:
        if p["kind"] in ("individual", "agent"):
            assert identity.is_valid_resident_id(p["id_number"]), p
        if p["kind"] == "company":
            assert identity.is_valid_credit_code(p["credit_code"]) and p["contact_person"]
        if p["kind"] == "agent":
            assert p["power_of_attorney"] and p["agent_for"]


def test_a_quarter_overdue_with_ages_one_to_fourteen_months():
    rows = demo.generate()
    owed: dict[str, set] = {}
    for c in rows["charges"]:
        assert Decimal(c["amount"]) == Decimal(c["amount"]).quantize(Decimal("0.01"))
        if not c["paid_on"] and c["due"] < demo.AS_OF.isoformat():
            owed.setdefault(c["unit"], set()).add(c["period"])
    assert len(owed) >= len(rows["units"]) / 4
    assert {len(p) for p in owed.values()} == set(range(1, 15))


def test_custody_units_pay_seventy_percent_from_the_agreements_start_and_other_records_exist():
    rows = demo.generate()
    custody = [u for u in rows["units"] if u["status"] == "custody"]
    assert custody
    u = custody[0]
    assert u["custody"]["since"] == "2025-03-01"
    full = (Decimal(u["area"]) * Decimal(u["fee_rate"])).quantize(Decimal("0.01"))
    billed = {c["period"]: Decimal(c["amount"]) for c in rows["charges"]
              if c["unit"] == u["id"] and c["item"] == "物业服务费"}
    # the custody agreement starts on 2025-03-01: the 70 % from March, the months before in full
    assert billed["2024-10"] == billed["2025-02"] == full
    assert billed["2025-03"] == billed["2025-11"] == (full * Decimal("0.7")).quantize(Decimal("0.01"))
    assert any(r["structural_change"] for r in rows["renovations"])
    assert len(rows["renovations"]) >= 2 and len(rows["repairs"]) >= 3


def test_the_renovations_show_every_case_of_the_law():
    """ZX2025-002 is what the law forbids outright, ZX2025-004 a structural plan lawful once
    approved, ZX2025-001 and ZX2025-003 need nothing; no two renovations share a unit."""
    from formsmith.processes.renovation.works import classify
    rows = demo.generate()
    works = {r["id"]: classify([r["plan"]], r.get("works") or []) for r in rows["renovations"]}
    assert [r["id"] for r in rows["renovations"]] == ["ZX2025-001", "ZX2025-002", "ZX2025-003", "ZX2025-004"]
    assert any(f.work.forbidden for f in works["ZX2025-002"])
    assert [f.work.code for f in works["ZX2025-004"]] == ["floor-load"]
    assert works["ZX2025-001"] == works["ZX2025-003"] == []
    assert len({r["unit"] for r in rows["renovations"]}) == len(rows["renovations"])
