"""Tests of formsmith.identity; check characters are recomputed here from the standards' formulas."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from formsmith.identity import (credit_code_check_char, is_valid_credit_code, is_valid_resident_id,
                                make_credit_code, make_resident_id, resident_id_check_char,
                                validate_credit_code, validate_phone, validate_resident_id)


def id_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 as written in GB 11643: weights 2^(17-i) mod 11, check (12 - S) mod 11."""
    s = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    value = (12 - s % 11) % 11
    return "X" if value == 10 else str(value)


CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_check(first17: str) -> str:
    """GB 32100: weights 3^i mod 31, check 31 - (S mod 31), 31 meaning '0'."""
    s = sum(CREDIT_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return CREDIT_CHARS[(31 - s % 31) % 31]


# --- resident ID -------------------------------------------------------------------------------

BODIES = ["11010519491231002", "44052418800101001", "11010119900307123", "32010219851120456",
          "51010719700101000", "11010120000229888"]


@pytest.mark.parametrize("body", BODIES)
def test_resident_id_check_char_matches_formula(body):
    assert resident_id_check_char(body) == id_check(body)
    number = body + id_check(body)
    assert validate_resident_id(number) == number
    assert is_valid_resident_id(number)


def test_published_examples():
    # the examples printed in GB 11643
    assert id_check("11010519491231002") == "X"
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"
    assert id_check("44052418800101001") == "4"
    assert is_valid_resident_id("440524188001010014")


def test_x_check_digit_reached():
    # find a body whose check is X by the formula, so the 10 → X mapping is exercised
    body = next(b for b in (f"1101011990030712{d}" for d in range(10)) if id_check(b) == "X")
    assert resident_id_check_char(body) == "X"
    assert is_valid_resident_id(body + "X")
    assert is_valid_resident_id(body + "x")


def test_wrong_check_digit_rejected():
    body = "11010119900307123"
    good = id_check(body)
    for c in "0123456789X":
        if c != good:
            with pytest.raises(ValueError, match=f"check digit should be {good}"):
                validate_resident_id(body + c)
            assert not is_valid_resident_id(body + c)


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900001", "19900100", "19010229",
                                   "17991231"])
def test_bad_birth_dates_rejected(birth):
    body = "110101" + birth + "123"
    with pytest.raises(ValueError, match="出生日期"):
        validate_resident_id(body + id_check(body))


def test_future_birth_rejected():
    future = date.today() + timedelta(days=1)
    body = f"110101{future:%Y%m%d}123"
    with pytest.raises(ValueError, match="future"):
        validate_resident_id(body + id_check(body))
    # the same number is fine once that day has come
    assert validate_resident_id(body + id_check(body), today=future)


@pytest.mark.parametrize("number", ["", "11010119900307123", "1101011990030712345",
                                    "11010119900307123A", "1101011990030X1234", "０１０１０１",
                                    "010101199003071231"])
def test_malformed_resident_ids_rejected(number):
    assert not is_valid_resident_id(number)
    with pytest.raises(ValueError):
        validate_resident_id(number)


def test_resident_id_non_string():
    assert not is_valid_resident_id(None)
    assert not is_valid_resident_id(110101199003071234)


def test_resident_id_normalised():
    body = "11010119900307123"
    assert validate_resident_id(f"  {body}{id_check(body)} ") == body + id_check(body)


def test_make_resident_id():
    male = make_resident_id("110105", date(1990, 3, 7), 2, "M")
    assert male[:14] == "11010519900307"
    assert int(male[16]) % 2 == 1 and male[14:17] == "003"
    assert male[17] == id_check(male[:17])
    female = make_resident_id("110105", date(1990, 3, 7), 999, "女")
    assert female[14:17] == "998"
    assert is_valid_resident_id(female)
    assert make_resident_id("320102", date(1985, 11, 20), 456, "female")[14:17] == "456"
    assert make_resident_id("320102", date(1985, 11, 20), 0, "male")[14:17] == "001"
    for args in [("11010", date(1990, 1, 1), 1, "M"), ("110105", date(1990, 1, 1), 1000, "M"),
                 ("110105", date(1990, 1, 1), -1, "M"), ("110105", date(1990, 1, 1), 1, "X")]:
        with pytest.raises(ValueError):
            make_resident_id(*args)


# --- unified social credit code ----------------------------------------------------------------

def test_published_credit_code():
    code = "91350100M000100Y43"
    assert credit_check(code[:17]) == "3"
    assert credit_code_check_char(code[:17]) == "3"
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower()) == code
    assert is_valid_credit_code(code)


@pytest.mark.parametrize("body", ["91110000600037341", "12100000400010398", "52310115MJ4AB1234",
                                  "Y1440300MA5DC0F8Q", "11111111111111111", "00000000000000000"])
def test_credit_code_check_char_matches_formula(body):
    assert credit_code_check_char(body) == credit_check(body)
    assert make_credit_code(body) == body + credit_check(body)
    assert is_valid_credit_code(body + credit_check(body))


def test_credit_code_zero_check():
    # a body whose sum is 0 mod 31 has check 31 - 0 = 31, written '0'
    assert credit_code_check_char("00000000000000000") == "0"


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100Y433",
                                  "91350100I000100Y43", "91350100O000100Y43", "9135010SM000100Y4Z",
                                  "", "91350100M00010-Y43"])
def test_invalid_credit_codes(code):
    assert not is_valid_credit_code(code)
    with pytest.raises(ValueError):
        validate_credit_code(code)


def test_credit_code_wrong_check_message():
    with pytest.raises(ValueError, match="should be 3"):
        validate_credit_code("91350100M000100Y40")


def test_credit_code_check_char_rejects_bad_body():
    for body in ("9135010", "91350100M000100YI", "91350100M000100Y4Z"):
        with pytest.raises(ValueError):
            credit_code_check_char(body)


# --- phones ------------------------------------------------------------------------------------

@pytest.mark.parametrize("phone, normal", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 13812345678", "13812345678"),
    ("19912345678", "19912345678"),
    ("010-12345678", "010-12345678"),
    ("01012345678", "010-12345678"),
    ("010 1234 5678", "010-12345678"),
    ("021-6123456", "021-6123456"),
    ("0755-88888888", "0755-88888888"),
    ("075588888888", "0755-88888888"),
    ("0591 8765432", "0591-8765432"),
    ("010-12345678-8001", "010-12345678-8001"),
])
def test_valid_phones(phone, normal):
    assert validate_phone(phone) == normal


@pytest.mark.parametrize("phone", ["", "12812345678", "1381234567", "138123456789", "110",
                                   "10-12345678", "010-123456", "010-123456789", "phone",
                                   "010-12345678-1234567", "1３812345678", "１３８１２３４５６７８"])
def test_invalid_phones(phone):
    with pytest.raises(ValueError):
        validate_phone(phone)


def test_a_field_for_either_number_says_which_one_is_wrong():
    """A document's 证件号码 field takes a 身份证号 or a 统一社会信用代码: a bad credit code is
    reported as a bad credit code, not as a bad 身份证号."""
    from formsmith.identity import make_credit_code, make_resident_id, validate_id_or_credit_code
    code = make_credit_code("91420100MA4K2XXX0")
    person = make_resident_id("420103", date(1990, 11, 8), 77, "M")
    assert validate_id_or_credit_code(code.lower()) == code
    assert validate_id_or_credit_code(person) == person
    wrong_code = code[:17] + ("1" if code[17] != "1" else "2")
    with pytest.raises(ValueError) as exc:
        validate_id_or_credit_code(wrong_code)
    assert "统一社会信用代码校验位错误" in str(exc.value) and "身份证" not in str(exc.value)
    wrong_person = person[:17] + ("1" if person[17] != "1" else "2")
    with pytest.raises(ValueError) as exc:
        validate_id_or_credit_code(wrong_person)
    assert "身份证号校验位错误" in str(exc.value)
