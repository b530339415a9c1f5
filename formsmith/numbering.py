"""Document number series (代字〔年份〕序号号): per series per year, never reused, without gaps.

A number is taken inside the store transaction that also records the document, so a render that
fails (the transaction is abandoned) takes no number, and two clerks never get the same one.
"""
from __future__ import annotations

import re
import string
from datetime import date

from .errors import InputError, TemplateError
from .store import Transaction, View

PLACEHOLDERS = ("seq", "year")
_SEQ_SPEC = re.compile(r"(0?[1-9][0-9]?)?d")     # {seq}, or zero-padded {seq:06d}


def series_problem(series: object) -> str | None:
    """Why `series` cannot number documents (in Chinese), or None if it can.

    A series holds {seq} exactly once (else every document gets the same number) and may use
    {year}; nothing else: no other placeholder, no attribute or index ({seq.__class__}), no
    conversion ({seq!r}), no format but zero padding ({seq:06d}).
    """
    if not isinstance(series, str) or not series.strip():
        return f"应为含 {{seq}} 的文字，实际为 {series!r}"
    try:
        parts = list(string.Formatter().parse(series))
    except ValueError:
        return f"{series!r} 的花括号不成对（序号写作 {{seq}}，字面花括号写成 {{{{ 或 }}}}）"
    seqs = 0
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or conversion is not None:
            return (f"{series!r} 含未知占位符 {{{name}{'!' + conversion if conversion else ''}}}"
                    f"（只可用 {{seq}} 和 {{year}}）")
        if name == "seq":
            seqs += 1
            if spec and not _SEQ_SPEC.fullmatch(spec):
                return f"{series!r} 中 {{seq:{spec}}} 的格式不可用（只可写 {{seq}} 或 {{seq:06d}}）"
        elif spec:
            return f"{series!r} 中 {{year:{spec}}} 的格式不可用（只可写 {{year}}）"
    if seqs != 1:
        return (f"{series!r} 须恰好含一个 {{seq}}（序号），实际含 {seqs} 个："
                "否则每份文书编号相同")
    return None


def _counter_key(series: str, year: int) -> str:
    """Where the store keeps the last number of `series` in `year` (the pattern names the series)."""
    return f"counter:{series}:{year}"


def counters(view: View) -> list[tuple[str, int, int]]:
    """Every (series, year, last number taken) the store has counted."""
    out = []
    for key, value in view.meta_items("counter:"):
        series, _, year = key[len("counter:"):].rpartition(":")
        if year.isdigit():
            out.append((series, int(year), int(value)))
    return out


def format_number(series: str, year: int, seq: int) -> str:
    """物催字〔{year}〕{seq}号 → 物催字〔2025〕12号 (full year, no leading zeros)."""
    problem = series_problem(series)
    if problem:
        raise TemplateError(f"numbering series: {problem}")
    try:
        return series.format(year=year, seq=seq)
    except (KeyError, IndexError, ValueError) as exc:
        raise TemplateError(f"numbering series {series!r} is malformed: {exc}") from None


def peek(view: View, series: str, year: int) -> int:
    """The sequence number the next document of `series` in `year` would get."""
    return int(view.meta(_counter_key(series, year), 0)) + 1


def _date_key(series: str, year: int) -> str:
    """Where the store keeps the date of the last number of `series` in `year`."""
    return f"counter-date:{series}:{year}"


def order_problem(view: View, series: str, year: int, on: date) -> str | None:
    """Why a document of `series` dated `on` cannot take the next number (in Chinese), or None.

    Numbers run with dates: a document is never dated before the last one numbered in its
    series (a register whose numbers run against its dates reads as backdating)."""
    last = view.meta(_date_key(series, year))
    if last and on.isoformat() < last:
        prev = format_number(series, year, peek(view, series, year) - 1)
        nxt = format_number(series, year, peek(view, series, year))
        return (f"文书日期 {on.isoformat()} 早于本编号序列上一号 {prev} 的日期 {last}：{nxt} 不能倒签，"
                "编号与日期须同序 (a document cannot be dated before the last one of its series)")
    return None


def allocate(tx: Transaction, series: str, year: int, on: date | None = None) -> tuple[str, int]:
    """Take the next number of `series` in `year` inside transaction `tx`: (doc_no, seq).

    `on` is the document's date: refused when before the last numbered one's (order_problem)."""
    if on is not None:
        problem = order_problem(tx, series, year, on)
        if problem:
            raise InputError(problem)
    seq = peek(tx, series, year)
    doc_no = format_number(series, year, seq)
    if tx.find("documents", doc_no=doc_no):
        # Another series (or a changed one) already gave out this number: issuing it again
        # would make two documents, and two files, of one number.
        raise InputError(f"文书编号 {doc_no} 已被库中另一份文书使用，不能再次签发：请检查 formsmith.toml "
                         f"[numbering] 的编号格式 {series!r}（须与已用过的编号不重复）")
    tx.set_meta(_counter_key(series, year), seq)
    if on is not None:
        tx.set_meta(_date_key(series, year), on.isoformat())
    return doc_no, seq


def safe_filename(doc_no: str) -> str:
    """A document number as a file name: keep the Chinese, drop anything a file system dislikes."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", doc_no).strip(". ") or "document"
