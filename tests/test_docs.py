"""The docs follow the code: every command a clerk can type is in the README (as in sqlite-utils'
test_docs), docs/cli.md is what docs/make_cli_reference.py writes from the click commands and every
command and option has help text."""
from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

import click
import pytest

from formsmith.cli import cli

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_cli_reference",
                                                  REPO / "docs" / "make_cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_cli_reference = _load_generator()


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


# ------------------------------------------------------------------ docs/cli.md

def test_cli_reference_is_current():
    expected = make_cli_reference.reference()
    path = REPO / "docs" / "cli.md"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current != expected:
        diff = list(difflib.unified_diff(current.splitlines(), expected.splitlines(),
                                         "docs/cli.md", "generated", lineterm="", n=1))
        pytest.fail("docs/cli.md is stale: run make docs\n" + "\n".join(diff[:40]), pytrace=False)


def test_every_command_and_option_has_help():
    missing = make_cli_reference.undocumented(cli)
    assert not missing, "no help text: " + "; ".join(missing)


def test_undocumented_names_each_command_and_option_without_help():
    @click.group(help="A group.")
    def root():
        pass

    @root.group()
    def sub():
        pass  # no docstring: no help

    @sub.command(help="Has help.")
    @click.argument("thing")  # arguments are described by their command's help
    @click.option("--bare")
    @click.option("--secret", hidden=True)
    @click.option("--fine", help="Documented.")
    def leaf(thing, bare, secret, fine):
        pass

    assert make_cli_reference.undocumented(root) == ["formsmith sub", "formsmith sub leaf --bare"]


def test_cli_reference_does_not_depend_on_the_machine(monkeypatch):
    text = make_cli_reference.reference()
    monkeypatch.setenv("COLUMNS", "40")
    assert make_cli_reference.reference() == text
    assert str(REPO) not in text and str(Path.home()) not in text
    assert "## formsmith records import\n" in text  # nested commands by their full name


def test_readme_links_the_cli_reference():
    assert "(docs/cli.md)" in README

