"""Read a sheet (.xlsx via openpyxl, .csv in UTF-8/GBK/GB18030) and write sheets and error copies."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..errors import InputError
from ..files import staged
from ..inputs import MAX_SHEET_BYTES, read_input, size_text

HEADER_SCAN_ROWS = 20
# what a sheet may hold: a real one (5,000 units × 20 columns) is far below; beyond is refused
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELLS = 2_000_000                    # non-empty cells of the whole workbook
MAX_UNPACKED = 200 * 2**20               # an .xlsx's parts, unzipped (as their headers declare)
CSV_ENCODINGS = ("utf-8", "gb18030")     # GB18030 is a superset of GBK and GB2312
ERROR_FILL = "FFC7CE"                    # Excel's own "bad" red
ERROR_COLUMN = "错误说明"
# A text cell beginning with one of these is run as a formula by Excel / LibreOffice / WPS
# (OWASP "CSV injection"): =WEBSERVICE(...), =cmd|' /C calc'!A0, +1+..., @SUM(...), a tab or CR.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


@dataclass
class Sheet:
    """The table found in a file: its header row and every data row with its row number."""

    path: Path
    fmt: str                                  # "xlsx" or "csv"
    encoding: str = ""                        # csv only: utf-8, utf-8-sig, gb18030
    sheet_name: str = ""                      # xlsx only
    header_row: int = 1                       # 1-based, as Excel numbers rows
    headers: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    raw_rows: list[list[Any]] = field(default_factory=list)   # csv: every line, for the error copy


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise InputError(f"{path}: 不支持的文件类型“{path.suffix}”（应为 .xlsx 或 .csv；"
                     ".xls 请先在 Excel 中另存为 .xlsx）")


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in: UTF-8 (with or without BOM), else GB18030/GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    for enc in CSV_ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError("CSV 文件编码无法识别（应为 UTF-8 或 GBK/GB18030）")


def formula_like(value: Any) -> bool:
    """True for text a spreadsheet would execute (leading spaces ignored): it must be written inert."""
    return isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START)


def csv_unescape(value: str) -> str:
    """A CSV cell as read: the apostrophe formsmith (or OWASP guidance) put before formula-looking
    text is taken off again, so "'=A1" exported by `records export` imports as "=A1"."""
    if value.startswith("'") and formula_like(value[1:]):
        return value[1:]
    return value


def _header_score(values: Sequence[Any], recognise: Callable[[str], bool]) -> int:
    return sum(1 for v in values if isinstance(v, str) and v.strip() and recognise(v))


def _trim(values: Sequence[Any]) -> list[Any]:
    out = list(values)
    while out and (out[-1] is None or (isinstance(out[-1], str) and not out[-1].strip())):
        out.pop()
    return out


def bounded_rows(rows: Iterable[Sequence[Any]], path: Path, title: str = "",
                 budget: list[int] | None = None) -> list[list[Any]]:
    """The rows of a sheet as lists without their trailing empty cells, read one at a time and
    refused (InputError naming the file) as soon as the sheet is absurdly large: more than
    MAX_ROWS rows, a row with a value beyond column MAX_COLUMNS, more than MAX_CELLS values.
    `budget`: the cells left for the whole workbook, shared by its sheets."""
    where = f"工作表“{title}”" if title else ""
    budget = budget if budget is not None else [MAX_CELLS]
    out = []
    for n, values in enumerate(rows, start=1):
        if n > MAX_ROWS:
            raise InputError(f"{path}: {where}超过 {MAX_ROWS} 行，表格过大，未导入（请拆分后分批导入）")
        values = _trim(values)
        if len(values) > MAX_COLUMNS:
            raise InputError(f"{path}: {where}第{n}行有 {len(values)} 列，超过上限 {MAX_COLUMNS} 列，"
                             "表格过大，未导入（请删除多余的列）")
        budget[0] -= len(values)
        if budget[0] < 0:
            raise InputError(f"{path}: 超过 {MAX_CELLS} 个单元格，表格过大，未导入（请拆分后分批导入）")
        out.append(values)
    return out


def xlsx_unpacked_size(data: bytes) -> int:
    """The size of an .xlsx's parts once unzipped, as its zip directory declares them (zipfile
    never inflates a part beyond its declared size); 0 when it is not a zip (openpyxl says so)."""
    import zipfile
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return 0


def check_unpacked(path: Path, data: bytes) -> None:
    unpacked = xlsx_unpacked_size(data)
    if unpacked > MAX_UNPACKED:
        raise InputError(f"{path}: 解压后 {size_text(unpacked)}，超过上限 {size_text(MAX_UNPACKED)}，"
                         "表格过大，未导入")


def _pick_header(rows: list[list[Any]], recognise: Callable[[str], bool]) -> tuple[int, int]:
    """(index of the header row among the first rows, its score): the row naming most columns."""
    best, best_score = 0, 0
    for i, values in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = _header_score(values, recognise)
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def read_sheet(path: Path, recognise: Callable[[str], bool]) -> Sheet:
    """Read the table of `path`; the header row is the first row (of the first 20) naming the most
    known columns, so a title line above the headers is fine. Empty rows are skipped."""
    path = Path(path)
    fmt = _suffix(path)
    data = read_input(path, MAX_SHEET_BYTES)        # a regular file, not too large: else refused
    if fmt == "csv":
        try:
            text, encoding = decode_csv(data)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
        del data
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            lines = bounded_rows(([csv_unescape(c) for c in r] for r in reader), path)
        except csv.Error as exc:   # a cell beyond the csv module's 128 KiB limit, a stray NUL …
            raise InputError(f"{path}: 第{reader.line_num}行无法按 CSV 读取（{exc}）") from None
        idx, score = _pick_header(lines, recognise)
        sheet = Sheet(path=path, fmt="csv", encoding=encoding, raw_rows=lines)
        candidates = [(idx, score, lines, "")]
    else:
        candidates = []
        from openpyxl import load_workbook

        # openpyxl parses zip + XML lazily; a damaged or hand-made file can fail in either step
        # with anything from BadZipFile to lxml's XMLSyntaxError: all of it means "not a sheet"
        check_unpacked(path, data)
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise InputError(f"{path}: 不是有效的 .xlsx 文件 ({exc})") from None
        budget = [MAX_CELLS]
        try:
            for ws in wb.worksheets:
                # the <dimension> the file declares is not trusted: openpyxl would pad every row
                # to its width (A1:XFD1048576: 16,384 cells a row); read the cells there are
                ws.reset_dimensions()
                rows = bounded_rows(ws.iter_rows(values_only=True), path, ws.title, budget)
                idx, score = _pick_header(rows, recognise)
                candidates.append((idx, score, rows, ws.title))
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{path}: 不是有效的 .xlsx 文件，读取表格时出错 ({exc})") from None
        finally:
            wb.close()
        sheet = Sheet(path=path, fmt="xlsx")
    idx, score, rows, title = max(candidates, key=lambda c: c[1]) if candidates else (0, 0, [], "")
    if score == 0:
        # a CSV in another encoding (Big5, Shift-JIS) often decodes as GB18030 mojibake
        hint = ("；若是 CSV，请确认其编码为 UTF-8 或 GBK（在 Excel 中“另存为 CSV UTF-8”）"
                if fmt == "csv" and encoding == "gb18030" else "")
        raise InputError(f"{path}: 找不到表头行（前{HEADER_SCAN_ROWS}行中没有可识别的列名；"
                         f"可用 `formsmith records template KIND` 生成标准表头{hint}）")
    sheet.sheet_name = title
    sheet.header_row = idx + 1
    sheet.headers = [("" if v is None else str(v).strip()) for v in rows[idx]]
    for n, values in enumerate(rows[idx + 1:], start=idx + 2):
        values = _trim(values)
        if values:
            sheet.rows.append((n, values))
    return sheet


# --- writing ------------------------------------------------------------------------------------

def _staged(path: Path):
    """A sheet written atomically: under a random .<name>.XXXXXXXX.part beside it (mode 0600),
    renamed into place when complete, removed on failure; not fsynced (an export, written again
    on demand)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return staged(path, mode=0o600, durable=False)


def csv_cell(value: Any) -> str:
    """A value as CSV text: dates ISO, booleans 是/否, Decimals as written; text that a spreadsheet
    would run as a formula gets a leading apostrophe (OWASP), numbers never do."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if formula_like(value):
        return "'" + value
    return str(value)


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A UTF-8 CSV with a BOM (Excel on Chinese Windows opens it correctly), written atomically."""
    with _staged(path) as st, open(st.tmp, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in rows:
            w.writerow([csv_cell(v) for v in r])


@dataclass
class SheetSpec:
    """One worksheet to write: title, header row, rows, column widths, cells to keep as text."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def inert(cell: Any) -> Any:
    """`cell` (openpyxl, normal or write-only) with a text value kept as text: never a formula
    (openpyxl makes any string starting with "=" one), and quote-prefixed when it looks like one,
    so Excel does not turn it into a formula when the clerk edits the cell either."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if formula_like(cell.value):
            cell.quotePrefix = True
    return cell


def write_xlsx(path: Path, sheets: Sequence[SheetSpec]) -> None:
    """An .xlsx with one worksheet per spec (streamed with openpyxl's write-only mode), atomically.

    Text stays text (an ID number never becomes a number), money is a numeric cell written
    from its Decimal digits, dates are date cells shown as yyyy-mm-dd.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    for spec in sheets:
        ws = wb.create_sheet(spec.title)
        for i, width in enumerate(spec.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        bold = Font(bold=True)
        head = []
        for h in spec.headers:
            c = inert(WriteOnlyCell(ws, value=h))
            c.font = bold
            head.append(c)
        ws.append(head)
        for r in spec.rows:
            out = []
            for v in r:
                v = _xlsx_value(v)
                if isinstance(v, date):
                    c = WriteOnlyCell(ws, value=v)
                    c.number_format = "yyyy-mm-dd"
                    out.append(c)
                elif isinstance(v, Decimal):
                    c = WriteOnlyCell(ws, value=v)
                    c.number_format = "0.00"
                    out.append(c)
                elif isinstance(v, str):
                    out.append(inert(WriteOnlyCell(ws, value=v)))
                else:
                    out.append(v)
            ws.append(out)
    with _staged(path) as st:
        wb.save(st.tmp)


def write_error_copy(sheet: Sheet, problems: Sequence[tuple[int, int | None, str]], out: Path) -> None:
    """A copy of the sheet with every bad cell filled red and commented with its reason, and a
    last column 错误说明 on every bad row. `problems`: (row number, 0-based column or None, reason).

    An .xlsx source is copied with its formatting and the values the import read (a formula
    cell becomes its last computed value); a .csv source becomes an .xlsx of its cells (as text,
    so ID numbers keep every digit). Either way no text cell of the copy is a live formula.
    """
    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    if sheet.fmt == "xlsx":
        wb = load_workbook(sheet.path, data_only=True)
        ws = wb[sheet.sheet_name]
        for each in wb.worksheets:    # the cells there are (iter_rows would fill the rectangle)
            for cell in list(each._cells.values()):
                inert(cell)
    else:
        wb = Workbook()
        ws = wb.active
        ws.title = "导入数据"
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        for r, values in enumerate(sheet.raw_rows, start=1):
            for c, v in enumerate(values, start=1):
                if v != "":
                    # a CSV may hold what a worksheet cannot (NUL, ESC): shown as \x1b in the copy
                    v = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", v)
                    cell = inert(ws.cell(row=r, column=c, value=v))
                    cell.number_format = "@"
    fill = PatternFill("solid", fgColor=ERROR_FILL)
    width = max(len(sheet.headers), max((len(v) for _, v in sheet.rows), default=0))
    note_col = width + 1
    if ERROR_COLUMN in sheet.headers:            # an error copy re-imported: replace its old notes
        note_col = sheet.headers.index(ERROR_COLUMN) + 1
        for row in range(sheet.header_row + 1, ws.max_row + 1):
            ws.cell(row=row, column=note_col).value = None
    head = ws.cell(row=sheet.header_row, column=note_col, value=ERROR_COLUMN)
    head.font = Font(bold=True, color="9C0006")
    ws.column_dimensions[get_column_letter(note_col)].width = 60
    by_row: dict[int, list[str]] = {}
    for row, col, reason in problems:
        by_row.setdefault(row, []).append(reason)
        cell = ws.cell(row=row, column=(col if col is not None else 0) + 1)
        cell.fill = fill
        old = cell.comment.text + "\n" if cell.comment else ""
        cell.comment = Comment(old + reason, "formsmith")
    for row, reasons in by_row.items():
        inert(ws.cell(row=row, column=note_col, value="；".join(reasons))).fill = fill
    with _staged(out) as st:
        wb.save(st.tmp)
