"""Cell values as Excel or a CSV gives them → exact Python values (never a float), or a reason."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from .. import formats, identity

# a cell becomes a string field of a document: the same limits as catalog's "string" type
MAX_CELL_CHARS = 200


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message is for the clerk (Chinese)."""


def blank(value: Any) -> bool:
    """True for an empty cell (None, "", only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: int | float | Decimal) -> str:
    """The digits a numeric cell shows, exactly: a float goes through repr (205.75 → "205.75")."""
    if isinstance(value, bool):
        raise CellError(f"应为数字或文字，而不是{value!r}")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("数字无效")
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return text
    return str(value)


def text(value: Any) -> str:
    """Any cell as trimmed text; integral numbers lose their ".0" (楼栋 1.0 → "1").

    Text with control or invisible formatting characters (NUL, ESC, the right-to-left override
    U+202E, a line break) or longer than MAX_CELL_CHARS is refused; the message never echoes it.
    """
    if isinstance(value, str):
        s = unicodedata.normalize("NFC", value).strip()
        bad = sorted({c for c in s if unicodedata.category(c)[0] == "C"})
        if bad:
            raise CellError("含有控制字符或不可见格式字符 " + " ".join(f"U+{ord(c):04X}" for c in bad)
                            + "，请删除后重新导入")
        if len(s) > MAX_CELL_CHARS:
            raise CellError(f"文字过长：{len(s)} 个字符（上限 {MAX_CELL_CHARS}）")
        return s
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _number_text(value)


def exact_decimal(value: Any, places: int, what: str) -> Decimal:
    """A number with at most `places` decimals, exactly as typed, quantized to `places`."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        raw = _number_text(value)
    else:
        raw = text(value).replace(",", "").replace("，", "")
    try:
        d = Decimal(raw)
    except InvalidOperation:
        raise CellError(f"{what}应为数字，实际为“{raw}”") from None
    if not d.is_finite():
        raise CellError(f"{what}应为数字，实际为“{raw}”")
    if d.adjusted() >= 12:
        raise CellError(f"{what}过大：“{raw}”")
    q = Decimal(1).scaleb(-places)
    if d != d.quantize(q):
        raise CellError(f"{what}最多{places}位小数，实际为“{raw}”（不做四舍五入）")
    return d.quantize(q)


def money(value: Any) -> Decimal:
    """An amount exact to the fen: 205.75 → Decimal('205.75'); 1.234 is refused, never rounded."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        raw = _number_text(value)
    else:
        raw = text(value)
    try:
        d = formats.parse_money(raw)
    except (ValueError, TypeError) as exc:
        if "两位小数" in str(exc):
            raise CellError(f"金额只能精确到分（最多两位小数），实际为“{raw}”，不做四舍五入") from None
        raise CellError(f"金额格式无效：“{raw}”") from None
    if d < 0:
        raise CellError(f"金额不能为负数：“{raw}”")
    return d


def day(value: Any) -> date:
    """A date: an Excel date cell, an Excel serial number, 2025-01-05, 2025/1/5, 2025年1月5日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2958466:
        from openpyxl.utils.datetime import from_excel   # lazy: openpyxl costs every command 40 ms
        return from_excel(value).date()
    raw = text(value)
    try:
        return formats.parse_date(raw)
    except ValueError:
        raise CellError(f"日期无效：“{raw}”（应为如 2025-01-05、2025/1/5 或 2025年1月5日 的日期）") from None


_MOMENT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                     r"(?:\s*[T ]?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?(?::\d{1,2})?)?$")


def moment(value: Any) -> datetime:
    """A date and time to the minute: an Excel date-time cell (or serial number), 2025-11-03 09:10,
    2025/11/3 9:10, 2025年11月3日 9时10分; a date alone is 00:00 of that day."""
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        from openpyxl.utils.datetime import from_excel   # lazy: openpyxl costs every command 40 ms
        return from_excel(value).replace(second=0, microsecond=0)
    raw = text(value)
    m = _MOMENT.match(raw)
    try:
        if not m:
            raise ValueError
        y, mo, d, h, mi = (int(g) if g else 0 for g in m.groups())
        return datetime(y, mo, d, h, mi)
    except ValueError:
        raise CellError(f"时间无效：“{raw}”（应为如 2025-11-03 09:10 或 2025/11/3 9:10 的日期和时间）") from None


_MONTH = re.compile(r"^(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*月?(?:份)?$")


def month(value: Any) -> str:
    """A period as YYYY-MM: 2025-01, 2025/1, 2025年1月, or a date cell (its month)."""
    if isinstance(value, (date, datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    raw = text(value)
    m = _MONTH.match(raw) or re.match(r"^(\d{4})(\d{2})$", raw)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    try:
        d = formats.parse_date(raw)
    except ValueError:
        raise CellError(f"所属期间无效：“{raw}”（应为如 2025-01 或 2025年1月 的月份）") from None
    return f"{d.year:04d}-{d.month:02d}"


def integer(value: Any) -> int:
    """A whole number."""
    raw = text(value)
    if not re.fullmatch(r"-?\d+", raw):
        raise CellError(f"应为整数，实际为“{raw}”")
    return int(raw)


_YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "无", "没有", "n", "no", "false", "0", "×"}


def yes_no(value: Any) -> bool:
    """是/否, 有/无, Y/N, TRUE/FALSE, 1/0, or an Excel boolean cell."""
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise CellError(f"应填“是”或“否”，实际为“{raw}”")


def _id_text(value: Any, what: str) -> str:
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)
                                    and len(str(abs(value))) > 15):
        raise CellError(f"{what}被 Excel 存成了数字，末几位已丢失；请把该列设为“文本”后重新填写")
    raw = text(value)
    if "*" in raw:
        raise CellError(f"{what}已打码（导出时未加 --reveal），不能导入")
    return raw


def resident_id(value: Any) -> str:
    """A resident ID number (GB 11643): length, birth date, check digit."""
    raw = _id_text(value, "身份证号")
    try:
        return identity.validate_resident_id(raw)
    except (ValueError, TypeError) as exc:
        raise CellError(str(exc)) from None


def credit_code(value: Any) -> str:
    """A unified social credit code (GB 32100)."""
    raw = _id_text(value, "统一社会信用代码")
    try:
        return identity.validate_credit_code(raw)
    except (ValueError, TypeError) as exc:
        raise CellError(str(exc)) from None


def phone(value: Any) -> str:
    """A mobile (11 digits) or a landline (010-12345678)."""
    raw = text(value)
    try:
        return identity.validate_phone(raw)
    except (ValueError, TypeError) as exc:
        raise CellError(str(exc)) from None


PARSERS: dict[str, Callable[[Any], Any]] = {
    "text": text,
    "money": money,
    "date": day,
    "datetime": moment,
    "month": month,
    "int": integer,
    "bool": yes_no,
    "id_number": resident_id,
    "credit_code": credit_code,
    "phone": phone,
    "area": lambda v: exact_decimal(v, 2, "面积"),
    "rate": lambda v: exact_decimal(v, 2, "收费标准"),
}


def _reading(value: Any) -> str:
    """A meter reading kept as typed ("12.0" stays "12.0"), checked to be a number."""
    raw = text(value) if not isinstance(value, float) else _number_text(value)
    try:
        d = Decimal(raw)
    except InvalidOperation:
        raise CellError(f"表读数应为数字，实际为“{raw}”") from None
    if not d.is_finite() or d < 0:
        raise CellError(f"表读数应为非负数字，实际为“{raw}”")
    return raw


PARSERS["reading"] = _reading
