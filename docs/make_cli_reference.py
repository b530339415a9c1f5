"""Write docs/cli.md, the reference of every formsmith command, from the click commands themselves.

    .venv/bin/python docs/make_cli_reference.py            (or: make docs)
    .venv/bin/python docs/make_cli_reference.py --check    exit 1 if docs/cli.md is stale

Every group and command under `formsmith.cli.cli`, depth first, sorted by name: its full name,
usage line, help text and a table of its arguments and options (names, type or choices, default,
help). The output depends only on the commands: help is formatted at a fixed width, and nothing
of the machine (paths, dates, terminal size) goes in. tests/test_docs.py regenerates it in memory
and fails when docs/cli.md differs, or when a command or option has no help text.
"""
from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Iterator

import click

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from formsmith.cli import cli  # noqa: E402

OUT = REPO / "docs" / "cli.md"
PROG = "formsmith"
WIDTH = 100  # help formatting width: fixed, so the file does not depend on the terminal
UNSET = getattr(click.core, "UNSET", None)  # click >= 8.3 marks "no default" with a sentinel


def walk(cmd: click.Command, ctx: click.Context | None = None,
         name: str = PROG) -> Iterator[tuple[click.Context, click.Command]]:
    """(context, command) for `cmd` and every visible command under it, depth first, sorted."""
    ctx = click.Context(cmd, info_name=name, parent=ctx, terminal_width=WIDTH,
                        max_content_width=WIDTH)
    yield ctx, cmd
    if isinstance(cmd, click.Group):
        for sub_name in sorted(cmd.commands):
            sub = cmd.commands[sub_name]
            if not sub.hidden:
                yield from walk(sub, ctx, sub_name)


def visible_params(cmd: click.Command) -> list[click.Parameter]:
    """The command's own arguments and options (not --help), hidden options left out."""
    return [p for p in cmd.params if not getattr(p, "hidden", False)]


def undocumented(root: click.Command = cli) -> list[str]:
    """`formsmith docs list --state`-style names of every command and visible option without help.

    Arguments have no help of their own in click: the command's help text describes them."""
    missing = []
    for ctx, cmd in walk(root):
        if not (cmd.help or cmd.short_help or "").strip():
            missing.append(ctx.command_path)
        for p in visible_params(cmd):
            if isinstance(p, click.Option) and not (p.help or "").strip():
                missing.append(f"{ctx.command_path} {max(p.opts, key=len)}")
    return missing


# ---------------------------------------------------------------- Markdown

_CODE_SPAN = re.compile(r"(`[^`]*`)")


def md(text: str) -> str:
    """Text as Markdown prose: `<` and `>` outside code spans as entities (a `<doc_no>` is no tag)."""
    parts = _CODE_SPAN.split(text)
    return "".join(p if i % 2 else p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                   for i, p in enumerate(parts))


def cell(text: str) -> str:
    """Text for one table cell: one line, pipes escaped (GFM splits cells on them, even in code)."""
    return md(" ".join(text.split())).replace("|", "\\|")


def help_paragraphs(text: str) -> list[str]:
    """The help text as Markdown blocks: paragraphs as written, click's `\\b` blocks verbatim."""
    text = inspect.cleandoc(text).partition("\f")[0]
    blocks = []
    for para in re.split(r"\n\s*\n", text.strip()):
        if para.startswith("\b"):
            blocks.append("```text\n" + para[1:].strip("\n") + "\n```")
        else:
            blocks.append(md("\n".join(line.strip() for line in para.splitlines())))
    return blocks


def type_text(p: click.Parameter) -> str:
    t = p.type
    if getattr(p, "is_flag", False) and not getattr(p, "count", False):
        return "flag"
    if isinstance(t, click.Choice):
        text = "one of " + ", ".join(f"`{c}`" for c in t.choices)
    elif isinstance(t, (click.IntRange, click.FloatRange)):
        base = "integer" if isinstance(t, click.IntRange) else "number"
        if t.min is not None and t.max is not None and not (t.min_open or t.max_open):
            bounds = [f"{t.min} to {t.max}"]
        else:
            bounds = ([f"{'>' if t.min_open else '≥'} {t.min}"] if t.min is not None else []) + \
                     ([f"{'<' if t.max_open else '≤'} {t.max}"] if t.max is not None else [])
        text = f"{base} {', '.join(bounds)}".strip()
    else:
        text = t.name
    if p.nargs == -1:
        text += ", any number"
    elif p.nargs > 1:
        text += f", {p.nargs} values"
    if p.multiple:
        text += ", repeatable"
    return text


def default_text(p: click.Parameter) -> str:
    d = p.default
    if callable(d):  # computed when the command runs: what its help says, never today's value
        shown = getattr(p, "show_default", None)
        return shown if isinstance(shown, str) else "(computed)"
    if d is None or d is UNSET or d == "" or (getattr(p, "is_flag", False) and d is False):
        return ""
    if isinstance(d, (list, tuple)):
        return ", ".join(f"`{x}`" for x in d)
    return f"`{d}`"


def param_row(p: click.Parameter) -> str:
    if isinstance(p, click.Option):
        names = ", ".join(f"`{o}`" for o in p.opts)
        if p.secondary_opts:
            names += " / " + ", ".join(f"`{o}`" for o in p.secondary_opts)
        if p.metavar and not p.is_flag:
            names += f" {p.metavar}"
        help_text = p.help or ""
        if p.required:
            help_text = f"Required. {help_text}"
    else:
        names = f"`{p.human_readable_name}`"
        help_text = "Argument, required." if p.required else "Argument, optional."
    cells = (names, type_text(p), default_text(p), help_text)
    return "| " + " | ".join(cell(c) if i else c for i, c in enumerate(cells)) + " |"


def anchor(title: str) -> str:
    """GitHub's heading anchor for a command name (lower case, spaces as hyphens)."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def command_section(ctx: click.Context, cmd: click.Command) -> list[str]:
    formatter = ctx.make_formatter()
    cmd.format_usage(ctx, formatter)
    lines = [f"## {ctx.command_path}", "", "```text", formatter.getvalue().rstrip(), "```", ""]
    for block in help_paragraphs(cmd.help or cmd.short_help or ""):
        lines += [block, ""]
    params = visible_params(cmd)
    if params:
        lines += ["| argument / option | type | default | help |", "| --- | --- | --- | --- |"]
        lines += [param_row(p) for p in params]
        lines.append("")
    if isinstance(cmd, click.Group):
        lines += ["Commands:", ""]
        for name in sorted(cmd.commands):
            sub = cmd.commands[name]
            if not sub.hidden:
                lines.append(f"- [`{name}`](#{anchor(f'{ctx.command_path} {name}')}): "
                             f"{cell(sub.get_short_help_str(limit=WIDTH))}")
        lines.append("")
    return lines


def reference(root: click.Command = cli) -> str:
    """docs/cli.md as it should be."""
    entries = list(walk(root))
    lines = [
        "<!-- Generated by docs/make_cli_reference.py from the click commands: do not edit, "
        "run `make docs`. -->",
        "",
        "# formsmith command reference",
        "",
        "Every command and option of `formsmith`, from the commands themselves. Every command "
        "also takes `-h` / `--help`; the options of `formsmith` itself (`--home`) go before the "
        "command name. Exit codes and the workspace are described in the [README](../README.md).",
        "",
    ]
    for ctx, cmd in entries[1:]:
        indent = "  " * (len(ctx.command_path.split()) - 2)
        lines.append(f"{indent}- [`{ctx.command_path}`](#{anchor(ctx.command_path)})")
    lines.append("")
    for ctx, cmd in entries:
        lines += command_section(ctx, cmd)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = reference()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print("docs/cli.md is stale: run make docs", file=sys.stderr)
            return 1
        return 0
    if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUT.relative_to(REPO)}")
    missing = undocumented()
    for name in missing:
        print(f"no help text: {name}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
