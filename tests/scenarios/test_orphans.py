"""A command killed (SIGKILL) or terminated (SIGTERM) takes its helpers with it.

The Word engine's LibreOffice (a worker and soffice, ~86 MB), the ingest's page readers and the
month-end run's workers must not outlive the `formsmith` that started them, and LibreOffice's
private profile must not stay behind in the temporary folder.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import scansim
from conftest import FORMSMITH, store_rows

pytestmark = pytest.mark.slow  # real processes, killed


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(ppid, state, start time) of a live process, None if it is gone (or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return (None if fields[0] == "Z" else (int(fields[1]), fields[0], fields[19]))


def descendants(root: int) -> dict[int, str]:
    """Every live descendant of `root`: pid → start time (to tell a reused pid apart)."""
    children: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            children.setdefault(st[0], []).append(int(entry))
            starts[int(entry)] = st[2]
    out, todo = {}, [root]
    while todo:
        for kid in children.get(todo.pop(), []):
            out[kid] = starts[kid]
            todo.append(kid)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def still_alive(procs: dict[int, str]) -> list[str]:
    return [cmdline(p)[:120] or str(p) for p, start in procs.items()
            if (st := _stat(p)) is not None and st[2] == start]


def wait_for(pred, timeout: float, proc: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        assert proc.poll() is None, "the command ended before the moment to kill it"
        time.sleep(0.05)
    raise AssertionError("the moment to kill never came")


def kill_and_check(proc: subprocess.Popen, sig: int, helpers: dict[int, str], tmp: Path | None) -> None:
    """Signal the command; within a few seconds none of its helpers and no profile remain."""
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 8
    left, profiles = None, None
    while time.monotonic() < deadline:
        left = still_alive(helpers)
        profiles = sorted(p.name for p in tmp.iterdir()) if tmp is not None else []
        if not left and not profiles:
            return
        time.sleep(0.1)
    for pid in helpers:          # do not leave them to the next test
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, f"still running after the command died: {left}"
    assert not profiles, f"left in the temporary folder: {profiles}"


SIGNALS = pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "term"])


@pytest.fixture(scope="module")
def handbook_data(tmp_path_factory, demo_home) -> Path:
    out = tmp_path_factory.mktemp("handbook") / "data.json"
    proc = subprocess.run([FORMSMITH, "--home", str(demo_home), "templates", "example", "owner-handbook"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out.write_text(proc.stdout, encoding="utf-8")
    return out


@SIGNALS
def test_word_render_killed_leaves_no_libreoffice_and_no_profile(demo_copy, handbook_data, tmp_path, sig):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([FORMSMITH, "--home", str(demo_copy), "render", "owner-handbook",
                             "--data", str(handbook_data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "TMPDIR": str(tmp)})
    # soffice.bin is up (LibreOffice loaded, converting or about to)
    wait_for(lambda: any("soffice.bin" in cmdline(p) for p in descendants(proc.pid)), 120, proc)
    helpers = descendants(proc.pid)
    kill_and_check(proc, sig, helpers, tmp)


@pytest.fixture(scope="module")
def scan_stack(tmp_path_factory, demo_home) -> Path:
    """Thirty scanned pages of the demo's letters: enough for the ingest's process pool."""
    rows = store_rows(demo_home, "documents")
    page = scansim.scanned(scansim.printed(demo_home / rows[0]["path"])[0], 0.5, 0.5, 60)
    return scansim.save_pdf([page] * 30, tmp_path_factory.mktemp("scans") / "stack.pdf")


@SIGNALS
def test_ingest_killed_mid_read_leaves_no_pool_worker(demo_copy, scan_stack, sig):
    proc = subprocess.Popen([FORMSMITH, "--home", str(demo_copy), "ingest", str(scan_stack), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(descendants(proc.pid)) >= 2, 60, proc)
    time.sleep(0.5)   # the workers are reading pages
    kill_and_check(proc, sig, descendants(proc.pid), None)


@SIGNALS
def test_dunning_run_killed_leaves_no_worker(demo_copy, sig):
    from test_dunning_run import only_buildings_owe
    only_buildings_owe(demo_copy, {"1", "2"})
    cfg = (demo_copy / "formsmith.toml").read_text(encoding="utf-8")
    (demo_copy / "formsmith.toml").write_text(cfg.replace("batch_chunk = 100", "batch_chunk = 2"),
                                              encoding="utf-8")
    proc = subprocess.Popen([FORMSMITH, "--home", str(demo_copy), "dunning", "run", "--as-of", "2025-12-01",
                             "--stage", "1", "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: (demo_copy / "output" / ".dunning-staging").is_dir()
             and len(descendants(proc.pid)) >= 2, 120, proc)
    kill_and_check(proc, sig, descendants(proc.pid), None)
