"""Store → sheets (the same columns the import reads), and blank templates with an example row."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

from .. import formats
from ..errors import InputError
from ..store import View
from . import kinds
from .importer import kind_of
from .io import SheetSpec, write_csv, write_xlsx
from .kinds import Kind

MASKED = ("id_number", "credit_code", "agent.id_number")
NOTES_TITLE = "说明"


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _dec(value: Any) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def _unit_row(u: dict) -> dict[str, Any]:
    custody = u.get("custody") or {}
    status = u.get("status")
    return {"id": u["id"], "community": u.get("community"), "building": u.get("building"),
            "entrance": u.get("entrance"), "room": u.get("room"), "floor": u.get("floor"),
            "area": _dec(u.get("area")), "fee_rate": _dec(u.get("fee_rate")),
            "status": kinds.UNIT_STATUS.get(status, status) if isinstance(status, str) else status,
            "parking": u.get("parking"),
            "custody.since": _day(custody.get("since")), "custody.water_base": custody.get("water_base"),
            "custody.electricity_base": custody.get("electricity_base"),
            "custody.patrol": custody.get("patrol")}


def _rows(view: View, kind: str) -> list[dict[str, Any]]:
    """The store's rows of `kind` as {column field: value}, in store order."""
    if kind == "units":
        return [_unit_row(u) for u in view.all("units")]
    if kind == "owners":
        parties = {p["id"]: p for p in view.all("parties")}
        out = []
        for u in view.all("units"):
            owner = parties.get(u.get("owner") or "")
            if owner is None:
                continue
            row = {"unit": u["id"], "id": owner["id"], "kind": kinds.OWNER_KINDS.get(owner["kind"], owner["kind"])}
            for f in ("name", "id_number", "credit_code", "contact_person", "phone", "mailing_address",
                      "service_address"):
                row[f] = owner.get(f)
            agent = parties.get(owner.get("agent") or "")
            if agent is not None:
                row.update({"agent.id": agent["id"], "agent.name": agent.get("name"),
                            "agent.id_number": agent.get("id_number"), "agent.phone": agent.get("phone"),
                            "agent.power_of_attorney": agent.get("power_of_attorney"),
                            "agent.poa_date": _day(agent.get("poa_date"))})
            out.append(row)
        return out
    if kind == "occupants":
        return [{"unit": p.get("unit"), "id": p["id"], "name": p.get("name"), "id_number": p.get("id_number"),
                 "phone": p.get("phone"), "relation": p.get("relation"), "since": _day(p.get("since"))}
                for p in view.all("parties") if p.get("kind") == "occupant"]
    if kind == "charges":
        return [{"unit": c["unit"], "id": c["id"], "item": c["item"], "period": c["period"],
                 "amount": _dec(c["amount"]), "due": _day(c.get("due")), "case": c.get("case")}
                for c in view.all("charges")]
    if kind == "payments":
        return [{"unit": c["unit"], "item": c["item"], "period": c["period"], "amount": _dec(c["amount"]),
                 "paid_on": _day(c["paid_on"]), "receipt": c.get("receipt")}
                for c in view.all("charges") if c.get("paid_on")]
    process_kind = kinds.all_kinds().get(kind)
    if process_kind is not None and process_kind.export is not None:
        return process_kind.export(view)
    raise InputError(f"records export {kind}: 这类表只能导入，不能导出 (this kind is imported only)"
                     if process_kind is not None else f"unknown kind {kind!r}")


def export_rows(view: View, kind_name: str, *, reveal: bool = False) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of `kind_name` as the import reads them; ID numbers masked unless `reveal`."""
    kind = kind_of(kind_name)
    fields = [c.field for c in kind.columns]
    rows = []
    for r in _rows(view, kind.name):
        if not reveal:
            for f in MASKED:
                if r.get(f):
                    r[f] = formats.mask_id(r[f])
        rows.append([r.get(f) for f in fields])
    return [c.header for c in kind.columns], rows


def _widths(kind: Kind) -> list[int]:
    wide = {"id_number": 22, "credit_code": 22, "agent.id_number": 22, "mailing_address": 30, "service_address": 30,
            "custody.patrol": 30, "agent.power_of_attorney": 26, "id": 14}
    return [max(wide.get(c.field, 12), 2 * len(c.header) + 2) for c in kind.columns]


def write_rows(path: Path, kind: Kind, headers: list[str], rows: list[list[Any]],
               extra: Sequence[SheetSpec] = ()) -> None:
    """Rows to .xlsx or .csv, chosen by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(path, headers, rows)
    elif suffix == ".xlsx":
        write_xlsx(path, [SheetSpec(kind.title, headers, rows, _widths(kind)), *extra])
    else:
        raise InputError(f"{path}: 只能导出为 .xlsx 或 .csv")


def export_kind(view: View, kind_name: str, path: Path, *, reveal: bool = False) -> int:
    """Write the store's `kind_name` records to `path`; returns how many rows."""
    kind = kind_of(kind_name)
    headers, rows = export_rows(view, kind.name, reveal=reveal)
    write_rows(path, kind, headers, rows)
    return len(rows)


def template_notes(kind_name: str) -> list[dict[str, Any]]:
    """One line per column: header, required, type, note, aliases."""
    kind = kind_of(kind_name)
    return [{"column": c.header, "required": c.required, "type": c.type, "note": c.note,
             "aliases": "、".join(c.aliases)} for c in kind.columns]


_TYPE_WORDS: dict[str, str] = {"text": "文字", "money": "金额", "date": "日期", "month": "年月", "int": "整数",
                               "bool": "是/否", "id_number": "身份证号", "credit_code": "信用代码",
                               "phone": "电话", "area": "面积", "rate": "单价", "reading": "读数",
                               "datetime": "日期时间"}


def write_template(kind_name: str, path: Path) -> None:
    """A sheet with the headers and one example row, and a 说明 sheet describing every column."""
    kind = kind_of(kind_name)
    rows = [[c.example for c in kind.columns]]
    notes = [[c.header, "必填" if c.required else "", _TYPE_WORDS.get(c.type, c.type), c.note,
              "、".join(c.aliases)] for c in kind.columns]
    notes.append([])
    notes.append(["说明", kind.note])
    notes.append(["导入", f"formsmith records import {kind.name} 文件.xlsx（先加 --dry-run 检查）；"
                          "有任何一行错误则整表不导入，加 --errors 错误.xlsx 可得到标出错误单元格的副本"])
    write_rows(path, kind, [c.header for c in kind.columns], rows,
               extra=[SheetSpec(NOTES_TITLE, ["列名", "必填", "类型", "说明", "也可写作"], notes, [18, 6, 10, 50, 40])])
