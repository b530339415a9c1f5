"""Identity-number checks: resident ID (GB 11643), credit code (GB 32100), phone numbers."""
from __future__ import annotations

import re
from datetime import date

# GB 11643 / ISO 7064 MOD 11-2: weight of position i (0-based, left to right) is 2^(17-i) mod 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"          # indexed by (weighted sum mod 11)
ID_EARLIEST_BIRTH = date(1800, 1, 1)

# GB 32100: 31 characters (no I O Z S V); weight of position i is 3^i mod 31.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9][0-9]{9})$")
_AREA3 = ("010", "02")                  # Beijing and 02x cities have 3-digit area codes
_SEXES = {"m": 1, "male": 1, "男": 1, "f": 0, "female": 0, "女": 0}


def _clean(number: object) -> str:
    """A number as an uppercase string without surrounding or inner spaces."""
    if not isinstance(number, str):
        raise TypeError(f"号码应为文字 (expected a string, got {type(number).__name__})")
    return re.sub(r"\s+", "", number).upper()


# --- resident ID (GB 11643) --------------------------------------------------------------------

def resident_id_check_char(first17: str) -> str:
    """The check character ('0'-'9' or 'X') of the first 17 digits of a resident ID."""
    if not (isinstance(first17, str) and len(first17) == 17 and first17.isascii()
            and first17.isdigit()):
        raise ValueError("身份证号本体应为17位数字 (the first 17 characters must be digits)")
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def validate_resident_id(number: str, *, today: date | None = None) -> str:
    """Return the normalised (uppercase) resident ID, or raise ValueError with the reason.

    Checks length, characters, region (first digit not 0), birth date (a real date, not in
    the future, not before 1800) and the check digit. The number itself is never put into
    the message, so the message is safe to log.
    """
    s = _clean(number)
    if len(s) != 18:
        raise ValueError(f"身份证号应为18位，实际{len(s)}位 (must be 18 characters, got {len(s)})")
    if not (s[:17].isascii() and s[:17].isdigit() and (s[17].isdigit() or s[17] == "X")):
        raise ValueError("身份证号含有无效字符 (only digits, and X as the last character)")
    if s[0] == "0":
        raise ValueError("身份证号地址码无效 (region code cannot start with 0)")
    try:
        birth = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise ValueError("身份证号出生日期无效 (birth date is not a real date)") from None
    if birth > (today or date.today()):
        raise ValueError("身份证号出生日期在未来 (birth date is in the future)")
    if birth < ID_EARLIEST_BIRTH:
        raise ValueError("身份证号出生日期过早 (birth date is before 1800)")
    expected = resident_id_check_char(s[:17])
    if s[17] != expected:
        raise ValueError(f"身份证号校验位错误 (check digit should be {expected})")
    return s


def is_valid_resident_id(number: str) -> bool:
    """True when validate_resident_id accepts the number."""
    try:
        validate_resident_id(number)
    except (ValueError, TypeError):
        return False
    return True


def make_resident_id(region: str, birth: date, seq: int, sex: str) -> str:
    """Build a valid resident ID from a 6-digit region code, a birth date, seq 0-999 and sex.

    The sequence code's last digit is odd for a man and even for a woman (GB 11643); when seq
    has the wrong parity it is replaced by seq ^ 1 (e.g. 2 → 3 for a man, 999 → 998 for a
    woman). sex is "M"/"F", "male"/"female" or 男/女.
    """
    if not (isinstance(region, str) and re.fullmatch(r"[1-9][0-9]{5}", region)):
        raise ValueError(f"地址码应为6位数字：{region!r} (region must be 6 digits, not starting with 0)")
    if not isinstance(birth, date):
        raise TypeError("出生日期应为 date (birth must be a date)")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= 999:
        raise ValueError(f"顺序码应为0-999：{seq!r} (seq must be 0-999)")
    parity = _SEXES.get(str(sex).strip().lower())
    if parity is None:
        raise ValueError(f"性别无效：{sex!r} (expected M/F, male/female or 男/女)")
    if seq % 2 != parity:
        seq ^= 1
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return validate_resident_id(first17 + resident_id_check_char(first17))


# --- unified social credit code (GB 32100) -----------------------------------------------------

def credit_code_check_char(first17: str) -> str:
    """The check character of the first 17 characters of a unified social credit code."""
    if not isinstance(first17, str) or len(first17) != 17:
        raise ValueError("信用代码本体应为17位 (the body must be 17 characters)")
    try:
        total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    except ValueError:
        raise ValueError("信用代码含有无效字符 (allowed: digits and A-Y except I O S V Z)") from None
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(number: str) -> str:
    """Return the normalised (uppercase) credit code, or raise ValueError with the reason."""
    s = _clean(number)
    if len(s) != 18:
        raise ValueError(f"统一社会信用代码应为18位，实际{len(s)}位 (must be 18 characters, got {len(s)})")
    if any(c not in CREDIT_CHARSET for c in s):
        raise ValueError("统一社会信用代码含有无效字符 (allowed: digits and A-Y except I O S V Z)")
    expected = credit_code_check_char(s[:17])
    if s[17] != expected:
        raise ValueError(f"统一社会信用代码校验位错误 (check character should be {expected})")
    return s


def is_valid_credit_code(number: str) -> bool:
    """True when validate_credit_code accepts the code."""
    try:
        validate_credit_code(number)
    except (ValueError, TypeError):
        return False
    return True


def make_credit_code(body17: str) -> str:
    """The full 18-character credit code: body17 (uppercased) plus its check character."""
    body = _clean(body17)
    return body + credit_code_check_char(body)


def validate_id_or_credit_code(number: str) -> str:
    """A 身份证号 or a 统一社会信用代码, normalised; the refusal says which one was meant.

    A number whose first 17 characters are not all digits can only be a credit code (a
    身份证号's are digits), and is judged as one; 17 digits are a 身份证号 unless they pass as a
    credit code; one that is neither is refused with both reasons."""
    s = _clean(number)
    if len(s) == 18 and is_valid_credit_code(s):
        return s
    if len(s) == 18 and not s[:17].isdigit():
        try:
            return validate_credit_code(s)
        except ValueError as exc:
            raise ValueError(f"不是有效的统一社会信用代码：{exc}") from None
    try:
        return validate_resident_id(s)
    except ValueError as exc:
        if len(s) != 18:
            raise ValueError(f"既不是有效的身份证号，也不是有效的统一社会信用代码：应为18位，实际{len(s)}位 "
                             f"(must be 18 characters, got {len(s)})") from None
        raise ValueError(f"不是有效的身份证号（若为统一社会信用代码，其校验位也不符）：{exc}") from None


# --- phone numbers -----------------------------------------------------------------------------

def validate_phone(phone: str) -> str:
    """Normalise a Chinese phone number or raise ValueError.

    Mobiles (1[3-9] and 9 digits, optional +86) come back as 11 digits; landlines
    (0 + 2-3 digit area code, 7-8 digit number, optional extension) as "010-12345678" or
    "010-12345678-123". Spaces and hyphens in the input are free.
    """
    if not isinstance(phone, str):
        raise TypeError(f"电话号码应为文字 (expected a string, got {type(phone).__name__})")
    bad = ValueError("电话号码无效 (expected a mobile such as 13812345678 "
                     "or a landline such as 010-12345678)")
    text = phone.strip()
    m = _MOBILE.match(re.sub(r"[\s\-]", "", text))
    if m:
        return m.group(1)
    tokens = [t for t in re.split(r"[\s\-]+", text) if t]
    if not tokens or not all(t.isascii() and t.isdigit() for t in tokens) or tokens[0][0] != "0":
        raise bad
    if len(tokens) > 1 and len(tokens[0]) in (3, 4):
        area, rest = tokens[0], tokens[1:]
    else:
        head = tokens[0]
        size = 3 if head.startswith(_AREA3) else 4
        area, rest = head[:size], [head[size:]] + tokens[1:]
    local, i = "", 0
    while i < len(rest) and len(local) < 7:     # "010 1234 5678": join the local number's groups
        local += rest[i]
        i += 1
    ext = rest[i:]
    if not (re.fullmatch(r"0[0-9]{2,3}", area) and re.fullmatch(r"[0-9]{7,8}", local)):
        raise bad
    if len(ext) > 1 or (ext and not re.fullmatch(r"[0-9]{1,6}", ext[0])):
        raise bad
    return f"{area}-{local}" + (f"-{ext[0]}" if ext else "")
