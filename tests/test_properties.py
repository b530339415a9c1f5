"""Property tests: dates, money parsing and document numbers hold for every input, not just examples."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from formsmith import numbering
from formsmith.formats import cn_date, cn_month, iso_date, money, parse_date, parse_money
from formsmith.store import Store

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))


@given(dates)
def test_every_written_form_of_a_date_reads_back_as_that_date(d):
    forms = [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}-{d.month}-{d.day}",
             f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日",
             d.strftime("%Y%m%d"), cn_date(d)]
    for form in forms:
        assert parse_date(form) == d, form
    assert iso_date(cn_date(d)) == d.isoformat()


@given(dates)
def test_chinese_date_has_no_leading_zeros_and_month_matches(d):
    text = cn_date(d)
    assert re.fullmatch(r"\d{4}年[1-9]\d?月[1-9]\d?日", text)
    assert cn_month(d) == text[: text.index("月") + 1]


@given(dates, st.integers(min_value=1, max_value=40))
def test_day_after_the_last_day_of_a_month_is_refused(d, extra):
    first_next = (d.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first_next - timedelta(days=1)).day
    bad_day = last + extra
    try:
        parse_date(f"{d.year}-{d.month:02d}-{bad_day:02d}")
    except ValueError:
        pass
    else:
        raise AssertionError(f"{d.year}-{d.month}-{bad_day} was accepted")


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2,
                   allow_nan=False, allow_infinity=False))
def test_money_text_parses_back_to_the_same_amount(amount):
    assert parse_money(money(amount)) == amount
    assert parse_money(str(amount)) == amount


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e6"), places=3,
                   allow_nan=False, allow_infinity=False).filter(lambda d: d != d.quantize(Decimal("0.01"))))
def test_a_third_decimal_is_never_rounded_away(amount):
    try:
        parse_money(str(amount))
    except ValueError:
        pass
    else:
        raise AssertionError(f"{amount} accepted: money is exact to the fen")


series = st.sampled_from(["物催字〔{year}〕{seq}号", "物法函〔{year}〕{seq}号", "ZX{year}-{seq}",
                          "阳物催字〔{year}〕第{seq}号"])


@given(series, st.integers(min_value=2000, max_value=2099), st.integers(min_value=1, max_value=10**6))
def test_document_number_names_year_and_sequence_and_makes_a_safe_file_name(pattern, year, seq):
    doc_no = numbering.format_number(pattern, year, seq)
    assert str(year) in doc_no and str(seq) in doc_no
    name = numbering.safe_filename(doc_no)
    assert "/" not in name and "\\" not in name and name not in ("", ".", "..")


@given(st.text(min_size=0, max_size=60))
def test_safe_filename_never_leaves_its_folder(text):
    name = numbering.safe_filename(text)
    assert name and "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith(".") or name == "document"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([2024, 2025, 2026]), st.booleans()), min_size=1, max_size=30))
def test_numbers_are_consecutive_per_year_whatever_fails_in_between(tmp_path_factory, steps):
    """Transactions that take a number and then fail must not leave gaps or reuse a number."""
    store = Store(tmp_path_factory.mktemp("numbers") / "records")
    store.create()
    taken: dict[int, list[int]] = {}
    for year, fails in steps:
        try:
            with store.transaction() as tx:
                _, seq = numbering.allocate(tx, "物催字〔{year}〕{seq}号", year)
                if fails:
                    raise RuntimeError("render failed")
                taken.setdefault(year, []).append(seq)
        except RuntimeError:
            pass
    for year, seqs in taken.items():
        assert seqs == list(range(1, len(seqs) + 1))
