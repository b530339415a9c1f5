"""Every command a clerk can type is in the README (as in sqlite-utils' test_docs)."""
from __future__ import annotations

from pathlib import Path

import click

from formsmith.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "formsmith"):
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from commands(cmd, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}"


def test_every_command_is_documented():
    missing = []
    for command in commands(cli):
        words = command.split()[1:]
        if " ".join(words) not in README:  # "docs mark" is enough inside a table row
            missing.append(command)
    assert missing == []


def test_readme_gives_the_two_commands():
    assert "make demo" in README and "make test" in README
