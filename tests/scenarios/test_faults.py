"""Power cuts: a real `formsmith` process killed with SIGKILL at a random moment, many seeds.

After every kill the workspace must pass `fsck` (store readable, every number taken belongs to
exactly one complete document whose PDF matches its hash), and running the same command again
must converge to the same end state as a run that was never interrupted.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import FORMSMITH, store_rows

pytestmark = pytest.mark.slow  # scenarios that kill, race or crash real processes


def start(home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([FORMSMITH, "--home", str(home), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL `proc` after `delay` seconds; True if it was still running (really killed)."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def fsck(home: Path) -> dict:
    proc = subprocess.run([FORMSMITH, "--home", str(home), "fsck", "--json"], capture_output=True,
                          text=True)
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def assert_consistent(home: Path) -> None:
    report = fsck(home)
    assert report["problems"] == [], report["problems"]


@pytest.mark.parametrize("seed", range(4))
def test_render_killed_at_any_moment_leaves_a_consistent_workspace(demo_copy, seed):
    rng = random.Random(seed)
    unit = store_rows(demo_copy, "documents")[0]["unit"]
    args = ("render", "dunning-letter", "--unit", unit, "--as-of", "2025-12-01", "--again")
    before = len(store_rows(demo_copy, "documents"))
    killed = kill_after(start(demo_copy, *args), rng.uniform(0.05, 1.5))
    assert_consistent(demo_copy)
    after_kill = len(store_rows(demo_copy, "documents"))
    assert after_kill in (before, before + 1)        # all or nothing
    # run again: exactly one more document, the next number, nothing reused
    done = subprocess.run([FORMSMITH, "--home", str(demo_copy), *args, "--json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert_consistent(demo_copy)
    docs = store_rows(demo_copy, "documents")
    assert len(docs) == after_kill + 1
    assert len({d["doc_no"] for d in docs}) == len(docs)
    leftovers = [p for p in (demo_copy / "output").rglob("*") if p.name.endswith((".part", ".tmp"))]
    assert leftovers == [] or killed


@pytest.fixture(scope="module")
def sheets(tmp_path_factory, demo_home):
    """The demo's units, owners and charges as the sheets a clerk would import."""
    folder = tmp_path_factory.mktemp("sheets")
    home = folder / "ws"                       # --reveal writes an audit row: not into demo_home
    shutil.copytree(demo_home, home)
    for kind, name in (("units", "units.xlsx"), ("owners", "owners.csv"), ("charges", "charges.xlsx")):
        proc = subprocess.run([FORMSMITH, "--home", str(home), "records", "export", kind,
                               str(folder / name), "--reveal", "--by", "test"],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    return folder


SHEETS = (("units", "units.xlsx"), ("owners", "owners.csv"), ("charges", "charges.xlsx"))


def import_all(home: Path, sheets: Path, upto: int = len(SHEETS)) -> None:
    for kind, name in SHEETS[:upto]:
        proc = subprocess.run([FORMSMITH, "--home", str(home), "records", "import", kind,
                               str(sheets / name)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def table_state(home: Path) -> dict:
    return {t: sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in store_rows(home, t))
            for t in ("units", "parties", "charges")}


@pytest.fixture(scope="module")
def states(sheets, tmp_path_factory) -> list[dict]:
    """What a never-interrupted import holds after 0, 1, 2 and all 3 sheets: one fresh
    workspace, each state read as it stands."""
    home = tmp_path_factory.mktemp("clean") / "ws"
    subprocess.run([FORMSMITH, "init", str(home)], check=True, capture_output=True)
    found = [table_state(home)]
    for upto in range(1, len(SHEETS) + 1):
        kind, name = SHEETS[upto - 1]
        proc = subprocess.run([FORMSMITH, "--home", str(home), "records", "import", kind,
                               str(sheets / name)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        found.append(table_state(home))
    return found


@pytest.mark.parametrize("seed", range(3))     # one per sheet, each killed at its own moment
def test_import_killed_at_any_moment_is_all_or_nothing_and_converges(sheets, states, tmp_path, seed):
    """Each sheet's import is one transaction: after a kill the store holds the state before the
    sheet or the state after it, nothing between; importing again gives what a clean run gives."""
    rng = random.Random(seed)
    step = seed % len(SHEETS)                      # which sheet's import is killed
    home = tmp_path / "killed"
    subprocess.run([FORMSMITH, "init", str(home)], check=True, capture_output=True)
    import_all(home, sheets, step)
    assert table_state(home) == states[step]
    kind, name = SHEETS[step]
    kill_after(start(home, "records", "import", kind, str(sheets / name)), rng.uniform(0.1, 2.5))
    assert_consistent(home)
    assert table_state(home) in (states[step], states[step + 1])
    import_all(home, sheets)                       # the clerk runs every import again
    assert table_state(home) == states[-1]
    assert_consistent(home)
