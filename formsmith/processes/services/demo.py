"""The repairs of the demo community, in every state a callback can meet."""
from __future__ import annotations


def demo_rows(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Repairs of fixed units of the demo."""
    unit_ids = [u["id"] for u in rows["units"]]
    repairs: list[dict] = [     # done_at None or a time: list[object] if inferred
        {"id": "BX2025-0101", "unit": unit_ids[9], "reported_at": "2025-11-24T09:12", "category": "safety",
         "description": "入户门锁损坏无法反锁", "status": "done", "done_at": "2025-11-24T15:40"},
        {"id": "BX2025-0102", "unit": unit_ids[44], "reported_at": "2025-11-25T10:05", "category": "leak",
         "description": "卫生间顶板渗水", "status": "leak-test", "done_at": "2025-11-27T11:00"},
        {"id": "BX2025-0103", "unit": unit_ids[101], "reported_at": "2025-11-26T16:30", "category": "other",
         "description": "阳台晾衣架脱落", "status": "open", "done_at": None},
        {"id": "BX2025-0104", "unit": unit_ids[188], "reported_at": "2025-11-28T08:45", "category": "other",
         "description": "厨房下水管堵塞", "status": "done", "done_at": "2025-11-28T13:10"},
    ]
    return {"repairs": repairs}
