"""The contact log (催缴记录): every call, text, visit and hand delivery, as the clerk records it.

A row says who reached which unit how, when and with what result: {id, unit, way, at, by,
result, doc_no?, witness?, recorded_at}. The arrears letters cite these rows and nothing else
(issue 16: what is not recorded is not claimed).

A hand delivery (直接送达, 留置送达) names its document and is that document's delivery: it
moves the document to `delivered` through the lifecycle (documents.transition), in the same
transaction, with the contact's day as `delivered_on` and the contact's id on the event. The
register (`docs show`, `docs list --overdue`, the escalation's wait for a delivered 催缴函) and
the letters then tell one story; a delivery the lifecycle cannot take (a void, superseded or
already delivered document) is refused instead of kept beside it.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from ... import dates, documents, lifecycle
from ...errors import FormsmithError, InputError
from ...store import View
from ...workspace import Workspace

PHONE, SMS, VISIT, HANDED, LEFT = "电话", "短信", "上门拜访", "直接送达", "留置送达"
WAYS = (PHONE, SMS, VISIT, HANDED, LEFT)
DELIVERIES = (HANDED, LEFT)          # ways that deliver a document (and need --doc)
ID_PREFIX = "CJ"                     # 催缴: CJ2025-0001, numbered per year of the contact
MAX_TEXT = 200
_AT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$")
FIELDS = {"unit": "房屋", "way": "方式", "at": "联系时间", "by": "经办人", "result": "结果",
          "doc": "文书编号", "witness": "见证人"}


def _refuse(field: str, problem: str) -> InputError:
    """One line naming the field (as the option a clerk typed) and the problem."""
    return InputError(f"字段 {field}（{FIELDS[field]}）：{problem}")


def parse_at(value: str | datetime | None, now: datetime | None = None) -> datetime:
    """A contact's time: "2025-12-03T10:30" (or with a space), to the minute; now when None.
    Refused: another shape, an impossible date, before 2000, later than now."""
    now = (now or datetime.now()).replace(second=0, microsecond=0)
    if value is None:
        return now
    if isinstance(value, datetime):
        at = value.replace(second=0, microsecond=0, tzinfo=None)
    else:
        m = _AT.match(str(value).strip())
        try:
            if not m:
                raise ValueError
            year, month, day, hour, minute = (int(g) for g in m.groups())
            at = datetime(year, month, day, hour, minute)
        except ValueError:
            raise _refuse("at", f"{value!s} 不是有效时间，应为 YYYY-MM-DDTHH:MM，如 2025-12-03T10:30 "
                                "(expected a date and time)") from None
    if at > now:
        raise _refuse("at", f"{at:%Y-%m-%dT%H:%M} 晚于现在（{now:%Y-%m-%dT%H:%M}）：只登记已经发生的联系 "
                            "(in the future)")
    if at.date() < dates.EARLIEST:
        raise _refuse("at", f"{at:%Y-%m-%dT%H:%M} 早于 {dates.EARLIEST.isoformat()} (too early)")
    return at


def _text(field: str, value: str | None, required: bool) -> str | None:
    text = unicodedata.normalize("NFC", value or "").strip()
    if not text:
        if required:
            raise _refuse(field, "不能为空 (required)")
        return None
    bad = sorted({c for c in text if unicodedata.category(c)[0] == "C"})
    if bad:
        raise _refuse(field, "含有控制字符 " + " ".join(f"U+{ord(c):04X}" for c in bad) + " (control characters)")
    if len(text) > MAX_TEXT:
        raise _refuse(field, f"长度 {len(text)} 超过上限 {MAX_TEXT} 字 (too long)")
    return text


def _next_id(view: View, year: int) -> str:
    prefix = f"{ID_PREFIX}{year}-"
    seqs = [int(r["id"][len(prefix):]) for r in view.all("contacts")
            if str(r.get("id", "")).startswith(prefix) and r["id"][len(prefix):].isdigit()]
    return f"{prefix}{max(seqs, default=0) + 1:04d}"


def add_contact(ws: Workspace, unit: str, way: str, *, result: str, at: str | datetime | None = None,
                by: str | None = None, doc_no: str | None = None, witness: str | None = None,
                now: datetime | None = None) -> dict[str, Any]:
    """Record one contact; returns {"contact": row, "document": the move it made or None}.

    All checks come before anything is written, and the contact and the delivery it records
    (for 直接送达 / 留置送达) are written in one transaction: refused, nothing changes."""
    if way not in WAYS:
        raise _refuse("way", f"{way!r} 不是 {'、'.join(WAYS)} 之一")
    when = parse_at(at, now)
    text = _text("result", result, required=True)
    who = _text("by", by, required=False) or ws.clerk
    seen = _text("witness", witness, required=False)
    doc_key = (doc_no or "").strip()
    if way in DELIVERIES and not doc_key:
        raise _refuse("doc", f"{way}须注明送达的文书（--doc 文书编号） (a delivery names its document)")
    if way == LEFT and not seen:
        raise _refuse("witness", "留置送达须有见证人（--witness 姓名） (a leave delivery needs a witness)")
    moved = None
    with ws.store.transaction() as tx:
        if tx.get("units", unit) is None:
            raise _refuse("unit", f"库中没有房屋 {unit!r} (no such unit)")
        doc = None
        if doc_key:
            try:
                doc = documents.find(tx, doc_key)
            except FormsmithError:
                raise _refuse("doc", f"没有编号为 {doc_key} 的文书 (no such document)") from None
            if doc.get("unit") != unit:
                raise _refuse("doc", f"{doc['doc_no']} 不是房屋 {unit} 的文书（它属于 "
                                     f"{doc.get('unit') or '无房屋'}） (not a document of this unit)")
        row: dict[str, Any] = {"id": _next_id(tx, when.year), "unit": unit, "way": way,
                               "at": f"{when:%Y-%m-%dT%H:%M}", "by": who, "result": text}
        if doc is not None:
            row["doc_no"] = doc["doc_no"]
        if seen:
            row["witness"] = seen
        row["recorded_at"] = lifecycle.now_iso()
        if doc is not None and way in DELIVERIES:
            moved = _deliver(tx, doc, row, when)
        tx.insert("contacts", row)
    return {"contact": row, "document": moved}


def _deliver(tx, doc: dict[str, Any], row: dict[str, Any], when: datetime) -> dict[str, Any]:
    """Record the contact as `doc`'s delivery through the lifecycle; the move it made."""
    day = when.date().isoformat()
    if day < doc.get("issued_on", ""):
        raise _refuse("at", f"{day} 早于 {doc['doc_no']} 的签发日期 {doc['issued_on']}：文书签发前不能送达 "
                            "(before the document was issued)")
    if doc["state"] == "delivered" or "delivered" not in lifecycle.allowed_next(doc["state"]):
        label = lifecycle.LABELS.get(doc["state"], doc["state"])
        got = f"，送达日期 {doc['delivered_on']}" if doc.get("delivered_on") else ""
        raise _refuse("doc", f"{doc['doc_no']} 当前为 {doc['state']}（{label}{got}），不能再登记送达；"
                             f"其他联系请用 --way {PHONE}/{SMS}/{VISIT} (it cannot be delivered now)")
    changes = documents.transition(doc, "delivered", row["by"], note=f"{row['way']}（催缴记录 {row['id']}）",
                                   delivered_on=day, contact=row["id"], way=row["way"],
                                   witness=row.get("witness"))
    changes["delivered_on"] = day
    tx.update("documents", doc["id"], changes)
    return {"doc_no": doc["doc_no"], "from": doc["state"], "to": "delivered", "delivered_on": day}


def list_contacts(ws: Workspace, unit: str | None = None) -> list[dict[str, Any]]:
    """The contacts (of one unit), oldest first."""
    with ws.store.snapshot() as view:
        if unit is not None:
            view.require("units", unit, "unit")
        rows = view.find("contacts", unit=unit) if unit is not None else view.all("contacts")
    return sorted(rows, key=lambda r: (r.get("at", ""), r.get("id", "")))
