"""Shared fixtures: real workspaces on disk, a real demo store, the real CLI."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from formsmith import init_workspace
from formsmith.cli import cli

REPO = Path(__file__).resolve().parent.parent
FORMSMITH = str(Path(sys.executable).parent / "formsmith")


@contextlib.contextmanager
def small_disk(folder: Path, size: str):
    """`folder` as a tmpfs of `size` ("200k"): a disk that fills up. Mounting needs root;
    where it is not allowed the test is skipped, saying why."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def store_rows(home: Path, table: str) -> list[dict]:
    """Every row of a table of a workspace's store, read through the store itself."""
    from formsmith.store import Store
    with Store(Path(home) / "records").snapshot() as view:
        return view.all(table)


def _built_once(tmp_path_factory, name: str, build) -> Path:
    """A workspace `build(home)` makes, built once per test run and copied for this process:
    under xdist the workers share one build (in the run's own folder, under a file lock), so
    the demo's documents are rendered once, not once per worker; each worker still gets a
    private copy of it."""
    mine = tmp_path_factory.mktemp(name) / "ws"
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        build(mine)
        return mine
    from filelock import FileLock
    shared_root = tmp_path_factory.getbasetemp().parent       # this run's folder, all workers'
    shared = shared_root / f"shared-{name}" / "ws"
    with FileLock(str(shared_root / f"shared-{name}.lock")):
        if not shared.is_dir():
            part = shared_root / f"shared-{name}.part" / "ws"
            shutil.rmtree(part.parent, ignore_errors=True)
            build(part)
            shared.parent.mkdir()
            part.rename(shared)
    shutil.copytree(shared, mine, symlinks=True)
    return mine


def _build_demo(home: Path) -> None:
    subprocess.run([FORMSMITH, "init", "--demo", str(home)], check=True, capture_output=True)


def _build_demo_records(home: Path) -> None:
    from formsmith import demo
    ws, _ = init_workspace(home, demo=True)
    with ws.store.transaction() as tx:
        demo.seed(tx)
    demo.write_payment_qr(ws)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    """A demo workspace built by the real `formsmith init --demo` command (once per run)."""
    return _built_once(tmp_path_factory, "demo", _build_demo)


@pytest.fixture(scope="session")
def demo_records_home(tmp_path_factory) -> Path:
    """The demo community's records (units, owners, charges, payments …) without the documents
    its story issues: a month-end story can begin in any month of 2025 (numbers never run
    against dates, so it cannot begin before the demo's letters of 1 December). Its settings and
    assets are the demo's (the [payment] account and its QR image the letters print)."""
    return _built_once(tmp_path_factory, "demo-records", _build_demo_records)


@pytest.fixture
def demo_copy(demo_home, tmp_path) -> Path:
    """A private copy of the demo workspace, for tests that change it."""
    dest = tmp_path / "ws"
    shutil.copytree(demo_home, dest)
    return dest


@pytest.fixture
def empty_home(tmp_path) -> Path:
    """A fresh workspace with an empty store."""
    init_workspace(tmp_path / "empty")
    return tmp_path / "empty"


@pytest.fixture
def run():
    """Run the CLI in-process: run(home, *args) → click Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(home: Path, *args: str):
        return runner.invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    return invoke


@pytest.fixture
def run_json(run):
    """Run a CLI command with --json and parse its output; fails the test on a non-zero exit."""
    def invoke(home: Path, *args: str):
        result = run(home, *args, "--json")
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout)
    return invoke


def formsmith_cmd(home: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    """Run the installed `formsmith` command as a separate process."""
    env = {**os.environ, **kw.pop("env", {})}
    return subprocess.run([FORMSMITH, "--home", str(home), *args], capture_output=True, text=True,
                          env=env, **kw)
