"""Tests of formsmith.formats, written from the rules in CONVENTIONS.md."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from formsmith import formats
from formsmith.formats import (JINJA_FILTERS, cn_date, cn_month, iso_date, mask_id, mask_phone,
                               money, money_yen, parse_date, parse_money, rmb_words)


# --- rmb_words: examples from the rules --------------------------------------------------------

@pytest.mark.parametrize("amount, words", [
    ("100.07", "壹佰元零柒分"),
    ("3150.50", "叁仟壹佰伍拾元零伍角整"),
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    (1004, "壹仟零肆元整"),
    (1000004, "壹佰万零肆元整"),
    (100700, "壹拾万零柒佰元整"),
    (107000, "壹拾万柒仟元整"),
    (10, "壹拾元整"),
    (100000, "壹拾万元整"),
    (150000, "壹拾伍万元整"),
    (100000000, "壹亿元整"),
    (100010000, "壹亿零壹万元整"),
    (1000000000000, "壹万亿元整"),
    (1000100000000, "壹万零壹亿元整"),
    (1000000000001, "壹万亿零壹元整"),
    (9999999999999999, "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整"),
    (0, "零元整"),
    ("0.5", "伍角整"),
    ("0.56", "伍角陆分"),
    ("0.07", "柒分"),
    ("1.00", "壹元整"),
    ("1.07", "壹元零柒分"),
    ("1.70", "壹元柒角整"),
    ("10.50", "壹拾元零伍角整"),
    ("10.05", "壹拾元零伍分"),
    ("1010.10", "壹仟零壹拾元零壹角整"),
    (15, "壹拾伍元整"),
    (110, "壹佰壹拾元整"),
    (Decimal("1.230"), "壹元贰角叁分"),
    (Decimal("1E+3"), "壹仟元整"),
    ("-12.5", "负壹拾贰元伍角整"),
    (-1004, "负壹仟零肆元整"),
    (Decimal("-0.07"), "负柒分"),
    (Decimal("-0"), "零元整"),
])
def test_rmb_words_examples(amount, words):
    assert rmb_words(amount) == words


def test_rmb_words_never_uses_informal_characters():
    text = "".join(rmb_words(n) for n in (10, 11, 20, 100, 1000, 10000, 100000000))
    for bad in "一二三四五六七八九十另毛":
        assert bad not in text


@pytest.mark.parametrize("amount", ["1.234", Decimal("1.001"), Decimal("0.005"), "1E-99999999"])
def test_rmb_words_more_than_two_decimals_raises(amount):
    with pytest.raises(ValueError):
        rmb_words(amount)


@pytest.mark.parametrize("amount", [1.5, 0.0, 10.0])
def test_rmb_words_float_raises(amount):
    with pytest.raises(TypeError):
        rmb_words(amount)


@pytest.mark.parametrize("amount", [10 ** 16, -(10 ** 16), Decimal("1E+16"), "1E+999999999",
                                    "NaN", "Infinity", "-Infinity", Decimal("sNaN"), "abc", ""])
def test_rmb_words_out_of_range_or_garbage_raises(amount):
    with pytest.raises(ValueError):
        rmb_words(amount)


@pytest.mark.parametrize("amount", [True, None, [1]])
def test_rmb_words_wrong_type_raises(amount):
    with pytest.raises(TypeError):
        rmb_words(amount)


# --- rmb_words against an independent implementation -------------------------------------------

REF_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def reference_words(amount: Decimal) -> str:
    """Digit-by-digit, left to right over the decimal string (deliberately unlike formats.py)."""
    text = f"{amount:.2f}"
    negative = text.startswith("-")
    whole, frac = text.lstrip("-").split(".")
    whole = whole.lstrip("0")
    if not whole and frac == "00":
        return "零元整"
    out = ""
    pending_zero = False
    width = len(whole)
    for i, ch in enumerate(whole):
        pos = width - 1 - i                     # power of ten of this digit
        if ch == "0":
            pending_zero = True
        else:
            if pending_zero:
                out += "零"
                pending_zero = False
            out += ch.translate(str.maketrans("0123456789", REF_DIGITS)) + ["", "拾", "佰", "仟"][pos % 4]
        if pos % 4 == 0 and pos > 0:
            # the section unit is written when its four digits are not all zero; 亿 is also
            # written when anything above it (the 万亿 part) is not zero
            section = whole[max(0, i - 3): i + 1]
            above = whole[: i + 1]
            unit = "亿" if pos % 8 == 0 else "万"
            if section.strip("0") or (unit == "亿" and above.strip("0")):
                out += unit
                pending_zero = False            # zeros ending a section never produce 零
    tail = ""
    jiao, fen = frac
    if whole:
        tail += "元"
        if jiao != "0" and whole.endswith("0"):
            tail += "零"
        if jiao == "0" and fen != "0":
            tail += "零"
    if jiao != "0":
        tail += REF_DIGITS[int(jiao)] + "角"
    tail += REF_DIGITS[int(fen)] + "分" if fen != "0" else "整"
    return ("负" if negative else "") + out + tail


@settings(max_examples=2000, deadline=None)
@given(st.decimals(min_value=0, max_value=10 ** 12, places=2, allow_nan=False,
                   allow_infinity=False))
def test_rmb_words_matches_reference(amount):
    assert rmb_words(amount) == reference_words(amount)
    assert rmb_words(str(amount)) == reference_words(amount)


# digits drawn mostly from zeros, so runs of zeros and empty sections are common
zero_heavy = st.lists(st.sampled_from("0000000123456789"), min_size=1, max_size=18).map(
    lambda ds: Decimal("".join(ds)).scaleb(-2))


@settings(max_examples=3000, deadline=None)
@given(zero_heavy, st.booleans())
def test_rmb_words_matches_reference_zero_heavy(amount, negative):
    if negative:
        amount = -amount
    assert rmb_words(amount) == reference_words(amount)


def test_reference_agrees_with_rule_examples():
    # the reference must itself satisfy the rules, or the property test proves nothing
    for amount, words in [("100.07", "壹佰元零柒分"), ("3150.50", "叁仟壹佰伍拾元零伍角整"),
                          ("1680.32", "壹仟陆佰捌拾元零叁角贰分"), ("100700", "壹拾万零柒佰元整"),
                          ("107000", "壹拾万柒仟元整"), ("100010000", "壹亿零壹万元整"),
                          ("1000000000000", "壹万亿元整"), ("0.5", "伍角整"), ("0", "零元整")]:
        assert reference_words(Decimal(amount)) == words


# --- money figures -----------------------------------------------------------------------------

@pytest.mark.parametrize("amount, text", [
    ("1680.32", "1,680.32"), (0, "0.00"), (5, "5.00"), ("0.5", "0.50"), ("-1680.32", "-1,680.32"),
    (1234567, "1,234,567.00"), (Decimal("999.9"), "999.90"), (Decimal("1.230"), "1.23"),
    (Decimal("-0"), "0.00"),
])
def test_money(amount, text):
    assert money(amount) == text


def test_money_yen():
    assert money_yen("1680.32") == "¥1,680.32"
    assert money_yen(0) == "¥0.00"
    assert money_yen(-5) == "-¥5.00"


def test_money_exactness():
    with pytest.raises(ValueError):
        money("1.005")
    with pytest.raises(TypeError):
        money(1.5)
    with pytest.raises(ValueError):
        money_yen(Decimal("0.001"))


@pytest.mark.parametrize("value, expected", [
    ("1,234.5", Decimal("1234.50")), (" 12 ", Decimal("12.00")), ("¥12.30", Decimal("12.30")),
    ("￥1,000", Decimal("1000.00")), ("-¥3.5", Decimal("-3.50")), ("-12", Decimal("-12.00")),
    (Decimal("7.1"), Decimal("7.10")), (42, Decimal("42.00")), ("0", Decimal("0.00")),
    ("1234567.89", Decimal("1234567.89")), (Decimal("1.230"), Decimal("1.23")),
])
def test_parse_money(value, expected):
    result = parse_money(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize("value", ["1.234", "abc", "", "1,23", "12,34.5", "1.2.3", "¥", "NaN",
                                   "Infinity", "12元", Decimal("0.001"), "1E+20", 10 ** 16])
def test_parse_money_rejects(value):
    with pytest.raises(ValueError):
        parse_money(value)


@pytest.mark.parametrize("value", [1.5, True, None, object()])
def test_parse_money_rejects_types(value):
    with pytest.raises(TypeError):
        parse_money(value)


def test_parse_money_message_is_clear():
    with pytest.raises(ValueError, match="两位小数"):
        parse_money("1.234")
    with pytest.raises(TypeError, match="float"):
        parse_money(0.1)


# --- dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [date(2025, 1, 5), datetime(2025, 1, 5, 13, 30), "2025-01-05",
                                   "2025-1-5", "2025/1/5", "2025/01/05", "2025年1月5日",
                                   "2025年01月05日", "20250105", " 2025-01-05 "])
def test_parse_date(value):
    assert parse_date(value) == date(2025, 1, 5)
    assert type(parse_date(value)) is date


@pytest.mark.parametrize("value", ["2025-02-30", "2025-13-01", "20251301", "2025", "yesterday", "",
                                   "2025-01-05T10:00", 20250105, None])
def test_parse_date_rejects_and_names_value(value):
    with pytest.raises(ValueError) as info:
        parse_date(value)
    assert repr(value) in str(info.value)


def test_cn_date_iso_date():
    assert cn_date(date(2025, 1, 5)) == "2025年1月5日"
    assert cn_date("2025-12-25") == "2025年12月25日"
    assert iso_date(date(2025, 1, 5)) == "2025-01-05"
    assert iso_date("2025年1月5日") == "2025-01-05"
    assert iso_date(datetime(2025, 1, 5, 8)) == "2025-01-05"


def test_cn_month():
    assert cn_month("2025-03") == "2025年3月"
    assert cn_month("2025-12") == "2025年12月"
    assert cn_month(date(2025, 3, 31)) == "2025年3月"
    assert cn_month("2025-03-31") == "2025年3月"
    for bad in ("2025-13", "2025-00", "March", ""):
        with pytest.raises(ValueError):
            cn_month(bad)


# --- masking -----------------------------------------------------------------------------------

def test_mask_id():
    assert mask_id("110101199003071234") == "110101********1234"
    assert mask_id("91350100M000100Y43") == "913501********0Y43"
    assert mask_id("A1234567") == "A1****67"
    assert mask_id("12345") == "12*45"
    assert mask_id("1234") == "****"
    assert mask_id("") == ""
    assert mask_id(None) == ""


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("010-12345678") == "********5678"
    assert mask_phone("") == ""


def test_jinja_filters():
    assert set(JINJA_FILTERS) == {"rmb_words", "money", "money_yen", "cn_date", "cn_month",
                                  "iso_date", "mask_id", "mask_phone"}
    for name, func in JINJA_FILTERS.items():
        assert func is getattr(formats, name)
