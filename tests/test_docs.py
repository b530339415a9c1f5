"""The docs follow the code: every command a clerk can type is in the README (as in sqlite-utils'
test_docs), docs/cli.md is what docs/make_cli_reference.py writes from the click commands, every
command and option has help text, and the README's module map matches formsmith/."""
from __future__ import annotations

import difflib
import importlib.util
import re
from pathlib import Path

import click
import pytest

from formsmith.cli import cli

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
PACKAGE = REPO / "formsmith"


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


# ------------------------------------------------------------------ the module map

def module_map() -> list[tuple[str, str]]:
    """(name, description) of each `formsmith/` entry in README's "How it is built" tree."""
    section = README.split("\n## How it is built\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    lines = block.strip("\n").splitlines()
    assert lines[0] == "formsmith/", "the module map starts with a `formsmith/` line"
    entries: list[list[str]] = []
    for line in lines[1:]:
        if not line.startswith(" "):  # templates/<id>/ …: the tree of formsmith/ ends
            break
        m = re.match(r"  (\S+)(?:\s+(.*))?$", line)
        if m and not line.startswith("   "):
            entries.append([m.group(1), m.group(2) or ""])
        else:
            assert entries, f"README module map: a continuation line before any entry: {line!r}"
            entries[-1][1] += " " + line.strip()
    return [(name, text) for name, text in entries]


_PY_NAME = re.compile(r"(?<![\w./-])([A-Za-z_]\w*\.py)\b")
_PACKAGE_NAME = re.compile(r"(?<![\w./-])([a-z_]\w*/)")


def tree_names() -> set[str]:
    """formsmith/'s modules and packages as the map names them: `store.py`, `render/`."""
    names = {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    names |= {p.parent.name + "/" for p in PACKAGE.glob("*/__init__.py")}
    return names


def test_module_map_matches_the_tree():
    """Both ways: every name the map gives exists, and every module and package is in it.

    An entry is a module (`store.py`) or a package (`render/`) of formsmith/. A `.py` name in an
    entry's description is a module of that package when the entry is a package, else of
    formsmith/ itself (`sources.py … movein.py`). A package entry that names any of its modules
    names all of them."""
    problems = []
    mentioned: set[str] = set()
    for name, text in module_map():
        is_package = name.endswith("/")
        where = PACKAGE / name.rstrip("/")
        if not (where.is_dir() if is_package else where.is_file()):
            problems.append(f"README names formsmith/{name}, which does not exist")
        mentioned.add(name)
        named = set(_PY_NAME.findall(text))
        if is_package:
            for module in sorted(named):
                if not (where / module).is_file():
                    problems.append(f"README names formsmith/{name}{module}, which does not exist")
            if named:
                modules = {p.name for p in where.glob("*.py") if p.name != "__init__.py"}
                for module in sorted(modules - named):
                    problems.append(f"formsmith/{name}{module} is not in README's line for {name}")
            # a package of packages (processes/) names each of them: arrears/, custody/, …
            subpackages = {p.parent.name + "/" for p in where.glob("*/__init__.py")}
            for sub in sorted(subpackages - set(_PACKAGE_NAME.findall(text))):
                problems.append(f"formsmith/{name}{sub} is not in README's line for {name}")
        else:
            for module in sorted(named):
                if not (PACKAGE / module).is_file():
                    problems.append(f"README names formsmith/{module}, which does not exist")
            mentioned |= named
    for name in sorted(tree_names() - mentioned):
        problems.append(f"formsmith/{name} is not in README's module map (## How it is built)")
    assert not problems, "\n".join(problems)
