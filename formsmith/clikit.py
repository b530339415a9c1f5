"""The pieces every command uses, for the commands of `formsmith.cli` and of each process
(`formsmith/processes/<name>/cli.py`): the workspace from the context, `--json`, date options,
and output that a stored value cannot use to drive the clerk's terminal.

A process's commands are plain click commands built with these; `formsmith.cli` adds them to
the command line when it finds the process (formsmith.registry), so a process never imports
the command line itself.
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Callable, Iterable

import click

from . import formats
from .workspace import Workspace, find_workspace

_UNSHOWN = ("Cc", "Cf", "Zl", "Zp")     # controls, formatting (bidi), U+2028/U+2029 line breaks


def printable(text: str) -> str:
    """`text` with control and invisible formatting characters (ESC, NUL, U+202E, newlines)
    written as escapes: a file name or id from outside cannot drive the clerk's terminal.

    Every text line the CLI prints goes through it (echo, emit_table, the error lines): a note,
    a name or a path from the store holding a bidi override (U+202E, U+2066 …) or an ANSI
    sequence shows as "\\u202e" / "\\x1b[2J" instead of reordering or clearing the line.
    Escaped, not removed: the clerk sees that the stored value holds such a character."""
    return "".join(c if unicodedata.category(c) not in _UNSHOWN or c == "\t" else
                   (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") for c in text)


def echo(text: Any = "", err: bool = False) -> None:
    """Print one line (stdout, or stderr with `err`) with printable(): for every line that can
    hold a stored value, a path or anything else from outside."""
    click.echo(printable(str(text)), err=err)


_NOT_PLAIN = re.compile(r"[^\x20-\x7e\n]")


def _json_escape(m: re.Match) -> str:
    c = m.group()
    if unicodedata.category(c) not in _UNSHOWN:
        return c
    n = ord(c)
    if n > 0xFFFF:                       # a JSON escape is UTF-16: a surrogate pair
        n -= 0x10000
        return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"
    return f"\\u{n:04x}"


def workspace(ctx: click.Context) -> Workspace:
    return find_workspace(ctx.find_root().params.get("home"))


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(fn)


def reveal_options(what: str = "ID numbers") -> Callable[[Callable], Callable]:
    """--reveal (`what` in full, recorded as an audit event) and --by (who asks), the pair every
    command that shows personal data takes."""
    def add(fn: Callable) -> Callable:
        fn = click.option("--by", help="Who asks (recorded with --reveal; default: the workspace clerk).")(fn)
        return click.option("--reveal", is_flag=True, help=f"{what} in full (recorded as an audit event).")(fn)
    return add


def emit_json(obj: Any, indent: int | None = 2) -> None:
    """`obj` as JSON, Chinese as is; control and formatting characters (U+202E …) as JSON escapes
    (\\u202e), so the output reads back as the stored value but cannot drive the terminal. They
    only occur inside strings (json.dumps escapes U+0000-U+001F itself), so this stays valid JSON.
    `indent=None` gives one line (a stream of reports, one per line)."""
    click.echo(_NOT_PLAIN.sub(_json_escape, json.dumps(obj, ensure_ascii=False, indent=indent, default=str)))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def emit_table(rows: list[dict], columns: Iterable[str]) -> None:
    """Rows as aligned columns; CJK characters count double so the columns line up."""
    cols = list(columns)
    cells = [[("" if r.get(c) is None else printable(str(r.get(c)))) for c in cols] for r in rows]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(cols)]
    pad = lambda s, w: s + " " * (w - _width(s))  # noqa: E731
    echo("  ".join(pad(c, w) for c, w in zip(cols, widths)).rstrip())
    for row in cells:
        echo("  ".join(pad(s, w) for s, w in zip(row, widths)).rstrip())


def parse_date_option(ctx, param, value):
    if value is None:
        return None
    try:
        return formats.parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
