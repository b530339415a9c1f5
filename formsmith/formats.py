"""Pure formatting helpers: amounts in capitals, money figures, Chinese dates, masking."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable, cast

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
MAX_AMOUNT_CENTS = 10 ** 18          # amounts must stay below 10^16 yuan

_MONEY_TEXT = re.compile(
    r"^(?P<sign>[-+]?)\s*[¥￥]?\s*(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?$")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_TEXT = re.compile(r"^(\d{4})\s*(?:-|/|年)\s*(\d{1,2})\s*月?$")


# --- money -------------------------------------------------------------------------------------

def _decimal_cents(d: Decimal, shown: Any) -> int:
    """The exact cents of a finite Decimal below 10^16; ValueError otherwise (never rounds)."""
    sign, digits, exp = d.as_tuple()
    if not d.is_finite() or not isinstance(exp, int):      # exp is 'n', 'N' or 'F' exactly when not finite
        raise ValueError(f"金额无效：{shown!r} (amount must be a finite number)")
    text = "".join(map(str, digits))
    body = text.rstrip("0")
    if not body:
        return 0
    exp += len(text) - len(body)
    if exp < -2:
        raise ValueError(f"金额超过两位小数：{shown!r} "
                         "(more than two decimal places; amounts are never rounded)")
    if len(body) + exp > 16:          # checked before building the integer: 1E+999999 is cheap
        raise ValueError(f"金额过大：{shown!r} (amount must be below 10^16)")
    cents = int(body) * 10 ** (exp + 2)
    return -cents if sign else cents


def _cents(amount: Any) -> int:
    """Exact signed cents of a Decimal, int or numeric string; floats and bools are refused."""
    if isinstance(amount, float):
        raise TypeError(f"金额不能是浮点数：{amount!r} (money is never a float; use Decimal, int or str)")
    if isinstance(amount, bool):
        raise TypeError(f"金额不能是布尔值：{amount!r} (expected Decimal, int or str)")
    if isinstance(amount, int):
        cents = amount * 100
    elif isinstance(amount, Decimal):
        cents = _decimal_cents(amount, amount)
    elif isinstance(amount, str):
        try:
            d = Decimal(amount.strip())
        except InvalidOperation:
            raise ValueError(f"金额格式无效：{amount!r} (not a number)") from None
        cents = _decimal_cents(d, amount)
    else:
        raise TypeError(f"金额类型无效：{type(amount).__name__} (expected Decimal, int or str)")
    if abs(cents) >= MAX_AMOUNT_CENTS:
        raise ValueError(f"金额过大：{amount!r} (amount must be below 10^16)")
    return cents


def _cents_to_decimal(cents: int) -> Decimal:
    """Exact Decimal with exponent -2 (built from a tuple, so no context rounding)."""
    digits = tuple(int(c) for c in str(abs(cents)))
    return Decimal((1 if cents < 0 else 0, digits, -2))


def _section_words(n: int, digits: str | None = None, units: tuple[str, ...] | None = None) -> str:
    """1..9999 in Chinese numerals with no leading zero and one 零 per inner run of zeros: in
    capitals (壹仟零伍, for money) by default, or with `digits` and `units` (一千零五, a count)."""
    digits = digits or DIGITS
    units = units or tuple(SMALL_UNITS)
    out: list[str] = []
    zero = False
    for pos in range(3, -1, -1):
        d = n // 10 ** pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(digits[d] + units[pos])
    return "".join(out)


def _integer_words(n: int) -> str:
    """Capitals of a positive integer below 10^16 (sections of 万 and 亿, 万亿 above)."""
    for size, unit in ((10 ** 8, "亿"), (10 ** 4, "万")):
        if n >= size:
            high, low = divmod(n, size)
            text = _integer_words(high) + unit
            if low:
                if low < size // 10:
                    text += "零"
                text += _integer_words(low)
            return text
    return _section_words(n)


def rmb_words(amount: Decimal | int | str) -> str:
    """Amount in capitals (金额大写) in formsmith's canonical form, without 人民币.

    Examples: 1680.32 → 壹仟陆佰捌拾元零叁角贰分; 100.07 → 壹佰元零柒分; 0.5 → 伍角整;
    0 → 零元整; -12.5 → 负壹拾贰元伍角整. Floats raise TypeError; more than two decimal
    places, NaN/Infinity and amounts of 10^16 or more raise ValueError.
    """
    cents = _cents(amount)
    if cents == 0:
        return "零元整"
    prefix = "负" if cents < 0 else ""
    yuan, rest = divmod(abs(cents), 100)
    jiao, fen = divmod(rest, 10)
    parts: list[str] = []
    if yuan:
        parts.append(_integer_words(yuan) + "元")
    if jiao:
        if yuan and yuan % 10 == 0:
            parts.append("零")
        parts.append(DIGITS[jiao] + "角")
    elif fen and yuan:
        parts.append("零")
    if fen:
        parts.append(DIGITS[fen] + "分")
    else:
        parts.append("整")
    return prefix + "".join(parts)


def money(amount: Decimal | int | str) -> str:
    """Figure with thousands separators and exactly two decimals, no symbol: "1,680.32".

    Same input rules as rmb_words: never rounds, refuses floats and amounts of 10^16 or more.
    """
    cents = _cents(amount)
    yuan, fen = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{yuan:,}.{fen:02d}"


def money_yen(amount: Decimal | int | str) -> str:
    """Figure with the ¥ sign: "¥1,680.32" (negative: "-¥1,680.32")."""
    text = money(amount)
    return "-¥" + text[1:] if text.startswith("-") else "¥" + text


def parse_money(value: Any) -> Decimal:
    """Parse user input ("1,234.5", " 12 ", "¥12.30", Decimal, int) to a Decimal with two places.

    Floats and bools raise TypeError; garbage, NaN/Infinity, more than two decimal places and
    amounts of 10^16 or more raise ValueError. Nothing is ever rounded.
    """
    if isinstance(value, str):
        m = _MONEY_TEXT.match(value.strip())
        if not m:
            raise ValueError(f"金额格式无效：{value!r} (expected an amount such as 1,234.50)")
        text = m.group("sign") + m.group("int").replace(",", "")
        if m.group("frac") is not None:
            text += "." + m.group("frac")
        cents = _decimal_cents(Decimal(text), value)
    else:
        cents = _cents(value)
    return _cents_to_decimal(cents)


# --- dates -------------------------------------------------------------------------------------

def parse_date(value: Any) -> date:
    """Parse a date, "2025-01-05", "2025/1/5", "2025.1.5", "2025年1月5日" or "20250105"."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for pattern in _DATE_PATTERNS:
            m = pattern.match(text)
            if m:
                try:
                    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    break
    raise ValueError(f"日期无效：{value!r} (expected a real date such as 2025-01-05)")


def cn_date(d: date | str) -> str:
    """Chinese date without leading zeros: 2025年1月5日."""
    d = parse_date(d)
    return f"{d.year}年{d.month}月{d.day}日"


def cn_month(d: date | str) -> str:
    """Chinese month: 2025年3月, from a date, "2025-03" or any full date parse_date accepts."""
    if isinstance(d, str):
        m = _MONTH_TEXT.match(d.strip())
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            if 1 <= month <= 12:
                return f"{year}年{month}月"
            raise ValueError(f"月份无效：{d!r} (expected YYYY-MM)")
    try:
        d = parse_date(d)
    except ValueError:
        raise ValueError(f"月份无效：{d!r} (expected YYYY-MM or a date)") from None
    return f"{d.year}年{d.month}月"


def iso_date(d: date | str) -> str:
    """ISO date for tables: 2025-01-05."""
    d = parse_date(d)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


_CN_DIGITS = "零一二三四五六七八九"


def cn_count(n: int) -> str:
    """A count in ordinary Chinese numerals, as a letter writes a period: 7 → 七, 15 → 十五,
    30 → 三十, 105 → 一百零五, 1200 → 一千二百 (1 … 9999; not money: amounts use rmb_words)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 < n < 10000:
        raise ValueError(f"天数应为 1 至 9999 的整数：{n!r} (a count from 1 to 9999)")
    if 10 <= n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    return _section_words(n, _CN_DIGITS, ("", "十", "百", "千"))


# --- masking -----------------------------------------------------------------------------------

def mask_id(number: Any) -> str:
    """Masked ID or credit code: 18 chars → 110101********1234; others keep first 2 and last 2.

    Strings of four characters or fewer are masked entirely; None or "" gives "".
    """
    if number is None:
        return ""
    s = str(number).strip()
    if not s:
        return ""
    if len(s) == 18:
        return s[:6] + "*" * 8 + s[-4:]
    if len(s) <= 4:
        return "*" * len(s)
    return s[:2] + "*" * (len(s) - 4) + s[-2:]


def mask_phone(phone: Any) -> str:
    """Masked phone: 138****5678 for 11-digit mobiles; others keep the last 4 characters."""
    if phone is None:
        return ""
    s = str(phone).strip()
    if not s:
        return ""
    compact = re.sub(r"[\s\-]", "", s)
    if compact.startswith("+86"):
        compact = compact[3:]
    if re.fullmatch(r"1\d{10}", compact):
        return compact[:3] + "****" + compact[-4:]
    if len(s) <= 4:
        return "*" * len(s)
    return "*" * (len(s) - 4) + s[-4:]


JINJA_FILTERS: dict[str, Callable[..., str]] = {
    "rmb_words": rmb_words,
    "money": money,
    "money_yen": money_yen,
    "cn_date": cn_date,
    "cn_month": cn_month,
    "iso_date": iso_date,
    "mask_id": mask_id,
    "mask_phone": mask_phone,
}


_UNIT_ID_FORBIDDEN = re.compile(r'[\\/:*?"<>|\s]')


def unit_id_problem(uid: str) -> str | None:
    """Why `uid` cannot be a unit id (a path separator, "..", a space …), or None if it can.

    A unit id (1-2-301) is a key clerks type and documents print; it must never look like a path.
    """
    if _UNIT_ID_FORBIDDEN.search(uid) or ".." in uid or uid.startswith("."):
        return (f"房号“{uid}”含有不允许的字符（/ \\ : * ? \" < > | 空格 或 ..），"
                "应为 楼栋-单元-房间，如 1-2-301")
    return None


# ---------------------------------------------------------------- quantities the rules check

FEN = Decimal("0.01")


def fen(amount: Decimal) -> Decimal:
    """Round half up to the fen (分), the way the fee is billed."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def parse_area(text: Any, problems: list[str]) -> Decimal | None:
    """A floor area in m² as a Decimal (positive, at most two decimals); else a problem."""
    try:
        a = Decimal(str(text).strip())
    except InvalidOperation:
        a = None
    # a finite Decimal's exponent is an int ('n', 'N', 'F' only for NaN and infinity)
    if a is None or not a.is_finite() or a <= 0 or cast(int, a.as_tuple().exponent) < -2:
        problems.append(f"字段 area（建筑面积）：{text!r} 应为大于0、最多两位小数的平方米数 "
                        "(area must be a positive number with at most two decimals)")
        return None
    return a


def meter_value(text: Any, path: str, problems: list[str]) -> Decimal | None:
    """A meter reading as a Decimal: not negative, at most two decimals; else a problem."""
    try:
        d = Decimal(str(text).strip())
    except InvalidOperation:
        problems.append(f"字段 {path}（读数）：{text!r} 不是数字 (not a number)")
        return None
    # a finite Decimal's exponent is an int ('n', 'N', 'F' only for NaN and infinity)
    if not d.is_finite() or d < 0 or cast(int, d.as_tuple().exponent) < -2:
        problems.append(f"字段 {path}（读数）：{text!r} 应为不小于0、最多两位小数的数 "
                        "(must be ≥ 0 with at most two decimals)")
        return None
    return d
