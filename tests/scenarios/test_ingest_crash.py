"""kill -9 in the middle of an ingest: the store stays readable, a re-run files the same archive once."""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import scansim
from conftest import FORMSMITH, formsmith_cmd
from formsmith.workspace import find_workspace

pytestmark = pytest.mark.slow  # scenarios that kill, race or crash real processes


def archive_state(home: Path) -> tuple[dict, dict]:
    """Archive files (relative path → sha256, temp files included) and versions per document."""
    files = {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in (home / "archive").rglob("*") if p.is_file()}
    with find_workspace(home).store.snapshot() as view:
        versions = {d["doc_no"]: [(v["kind"], v["path"], v["sha256"], Path(v["source"]).name, v["source_pages"])
                                  for v in d.get("versions", [])] for d in view.all("documents")}
    return files, versions


@pytest.fixture(scope="module")
def setup(demo_home, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crash")
    base = tmp / "base"
    shutil.copytree(demo_home, base)
    with find_workspace(base).store.snapshot() as view:
        rows = sorted(view.find("documents", template="dunning-letter"), key=lambda d: d["seq"])
    pages = []
    for i, row in enumerate(rows):
        page = scansim.printed(base / row["path"])[0]
        pages.append(scansim.scanned(scansim.sign(page, row["sign_areas"][0], seed=i), 1.5 - i, 0.7, 60))
    stacks = []
    for k in range(3):   # three inputs: three store transactions to be killed between or inside
        path = tmp / f"stack-{k}-three-signed-letters.pdf"
        scansim.save_pdf(pages[k:] + pages[:k], path)
        stacks.append(path)
    clean = tmp / "clean"
    shutil.copytree(base, clean)
    started = time.monotonic()
    assert formsmith_cmd(clean, "ingest", *map(str, stacks)).returncode == 0
    took = time.monotonic() - started
    files, versions = archive_state(clean)
    # Which page went where: stack k holds the letters in the order rows[k:] + rows[:k], so
    # letter i is page ((i - k) mod 3) + 1 of stack k; the first stack archives, the rest are
    # duplicates. Totals alone would not see a stack holding one letter twice.
    for i, row in enumerate(rows):
        assert [(kind, source, pages) for kind, _, _, source, pages in versions[row["doc_no"]]] == [
            ("scan" if k == 0 else "duplicate", stacks[k].name, [(i - k) % 3 + 1]) for k in range(3)]
    assert sum(len(v) for v in versions.values()) == 9       # 3 archived + 6 duplicates
    return base, stacks, (files, versions), took


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_then_rerun_gives_the_same_archive(setup, tmp_path, seed):
    base, stacks, expected, took = setup
    rnd = random.Random(seed)
    for attempt in range(6):   # an idle machine may finish first: try again, killing sooner
        home = tmp_path / f"ws{attempt}"
        shutil.copytree(base, home)
        proc = subprocess.Popen([FORMSMITH, "--home", str(home), "ingest", *map(str, stacks)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        if seed == 1:       # while pages are being read
            time.sleep(rnd.uniform(0.2, 0.5) * took * 0.5 ** attempt)
        else:               # while filing: right after the first archived file appears
            deadline = time.monotonic() + 10 * took
            while not any(p.is_file() for p in (home / "archive").rglob("*")) and \
                    time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.001)
            time.sleep(rnd.uniform(0.0, 0.08) * 0.5 ** attempt)
        if proc.poll() is None:
            break
        proc.wait()
    else:
        pytest.fail("the ingest always finished before it could be killed")
    os.killpg(proc.pid, signal.SIGKILL)      # the command and its page readers, like a power cut
    proc.wait()
    listed = formsmith_cmd(home, "docs", "list", "--json")
    assert listed.returncode == 0, listed.stderr       # the store is readable
    json.loads(listed.stdout)
    rerun = formsmith_cmd(home, "ingest", *map(str, stacks), "--json")
    assert rerun.returncode == 0, rerun.stderr
    files, versions = archive_state(home)
    assert not [f for f in files if f.endswith(".part")]
    assert (files, versions) == expected
