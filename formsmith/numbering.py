"""Document number series (代字〔年份〕序号号): per series per year, never reused, without gaps.

A number is taken inside the store transaction that also records the document, so a render that
fails (the transaction is abandoned) takes no number, and two clerks never get the same one.
"""
from __future__ import annotations

import re

from .errors import TemplateError
from .store import Transaction, View


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
    try:
        return series.format(year=year, seq=seq)
    except (KeyError, IndexError, ValueError) as exc:
        raise TemplateError(f"numbering series {series!r} is malformed: {exc}") from None


def peek(view: View, series: str, year: int) -> int:
    """The sequence number the next document of `series` in `year` would get."""
    return int(view.meta(_counter_key(series, year), 0)) + 1


def allocate(tx: Transaction, series: str, year: int) -> tuple[str, int]:
    """Take the next number of `series` in `year` inside transaction `tx`: (doc_no, seq)."""
    seq = peek(tx, series, year)
    tx.set_meta(_counter_key(series, year), seq)
    return format_number(series, year, seq), seq


def safe_filename(doc_no: str) -> str:
    """A document number as a file name: keep the Chinese, drop anything a file system dislikes."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", doc_no).strip(". ") or "document"
