"""The store on disk: atomic transactions, schema checks, permissions, concurrency and kill -9.

Everything runs against real files: a real TinyDB JSON file, real lock files, and real separate
OS processes (tests/helpers/store_worker.py and the installed `formsmith` command).
"""
from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock
from tinydb import TinyDB

from conftest import FORMSMITH, formsmith_cmd
from formsmith.errors import StoreError
from formsmith.store import LOCK_FILE, SCHEMA_VERSION, STORE_FILE, Store

WORKER = Path(__file__).resolve().parent / "helpers" / "store_worker.py"


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "records")
    s.create()
    return s


def listing(directory: Path) -> list[str]:
    """Every file under the records folder (root, partitions, indexes), relative names."""
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def temp_files(directory: Path) -> list[str]:
    return [n for n in listing(directory) if n.endswith(".tmp")]


# ------------------------------------------------------------------ atomic transactions

def test_transaction_changes_land_together_when_the_block_ends(store):
    before = store.path.read_bytes()
    with store.transaction() as tx:
        tx.insert("units", {"id": "1-1-101", "area": "88.00"})
        tx.insert("parties", {"id": "p1", "name": "张伟", "unit": "1-1-101"})
        tx.update("units", "1-1-101", {"owner": "p1"})
        # inside the block nothing is on disk yet: another reader still sees the old state
        assert store.path.read_bytes() == before
        with Store(store.directory).snapshot() as other:
            assert other.get("units", "1-1-101") is None
            assert other.all("parties") == []
        # ... while the transaction itself sees its own changes
        assert tx.get("units", "1-1-101") == {"id": "1-1-101", "area": "88.00", "owner": "p1"}
    with Store(store.directory).snapshot() as view:
        assert view.get("units", "1-1-101") == {"id": "1-1-101", "area": "88.00", "owner": "p1"}
        assert view.all("parties") == [{"id": "p1", "name": "张伟", "unit": "1-1-101"}]
    # the partition holding the unit is a plain TinyDB document that TinyDB itself can open
    root = json.loads(store.path.read_bytes())
    (part,) = root["tables"]["units"]["files"].values()
    with TinyDB(store.directory / "data" / part, access_mode="r") as db:
        assert [r["id"] for r in db.table("units").all()] == ["1-1-101"]
    assert temp_files(store.directory) == []


class Boom(Exception):
    pass


def _fail_plain(tx):
    tx.insert("units", {"id": "u1"})
    tx.update("units", "u1", {"area": "90.00"})
    raise Boom("the clerk pressed Ctrl-C")


def _fail_not_json(tx):
    tx.insert("units", {"id": "u1"})
    tx.insert("units", {"id": "u2", "when": object()})  # not JSON: refused by the store


def _fail_duplicate(tx):
    tx.insert("units", {"id": "u1"})
    tx.insert("units", {"id": "seed"})  # already in the store


@pytest.mark.parametrize("body, exc", [(_fail_plain, Boom), (_fail_not_json, TypeError),
                                       (_fail_duplicate, StoreError)],
                         ids=["exception", "not-json-value", "duplicate-id"])
def test_failed_transaction_leaves_the_file_byte_identical(store, body, exc):
    with store.transaction() as tx:
        tx.insert("units", {"id": "seed"})
    before = store.path.read_bytes()
    inode = store.path.stat().st_ino
    names = listing(store.directory)
    with pytest.raises(exc):
        with store.transaction() as tx:
            body(tx)
    assert store.path.read_bytes() == before
    assert store.path.stat().st_ino == inode  # not even rewritten with the same content
    assert listing(store.directory) == names
    assert temp_files(store.directory) == []
    with store.snapshot() as view:
        assert [r["id"] for r in view.all("units")] == ["seed"]
    # and the lock was released: the next transaction works
    with store.transaction() as tx:
        tx.insert("units", {"id": "u1"})
    with store.snapshot() as view:
        assert [r["id"] for r in view.all("units")] == ["seed", "u1"]


def test_read_only_transaction_does_not_rewrite_the_file(store):
    with store.transaction() as tx:
        tx.insert("units", {"id": "u1"})
    before, inode = store.path.read_bytes(), store.path.stat().st_ino
    with store.transaction() as tx:
        assert tx.get("units", "u1") == {"id": "u1"}
    assert store.path.read_bytes() == before
    assert store.path.stat().st_ino == inode


# ------------------------------------------------------------------ schema and corruption

def test_schema_version_is_stored(store):
    assert json.loads(store.path.read_bytes())["formsmith_store"] == SCHEMA_VERSION
    with store.transaction() as tx:
        tx.insert("units", {"id": "u1"})
    assert json.loads(store.path.read_bytes())["formsmith_store"] == SCHEMA_VERSION


def _set_schema(path: Path, version) -> None:
    raw = json.loads(path.read_bytes())
    raw["formsmith_store"] = version
    path.write_text(json.dumps(raw), encoding="utf-8")


def test_a_version_1_store_is_read_and_upgraded_by_the_next_transaction(store):
    """formsmith 0.1 kept everything in one TinyDB file; its rows, order and counters carry over."""
    store.path.write_text(json.dumps({
        "units": {"1": {"id": "1-1-101"}, "2": {"id": "1-1-102"}},
        "documents": {"1": {"id": "D1", "doc_no": "物催字〔2025〕1号", "unit": "1-1-101"}},
        "_meta": {"1": {"key": "schema_version", "value": 1},
                  "2": {"key": "counter:物催字〔{year}〕{seq}号:2025", "value": 1}}},
        ensure_ascii=False), encoding="utf-8")
    with store.snapshot() as view:
        assert [u["id"] for u in view.all("units")] == ["1-1-101", "1-1-102"]
        assert view.find("documents", unit="1-1-101")[0]["id"] == "D1"
    with store.transaction() as tx:
        assert tx.meta("counter:物催字〔{year}〕{seq}号:2025") == 1
    assert json.loads(store.path.read_bytes())["formsmith_store"] == SCHEMA_VERSION
    with store.snapshot() as view:
        assert [u["id"] for u in view.all("units")] == ["1-1-101", "1-1-102"]
        assert view.find("documents", doc_no="物催字〔2025〕1号")[0]["id"] == "D1"
        assert view.meta("counter:物催字〔{year}〕{seq}号:2025") == 1


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 0, "1", None])
def test_other_schema_version_is_refused(store, version):
    _set_schema(store.path, version)
    before = store.path.read_bytes()
    with pytest.raises(StoreError) as info:
        with store.snapshot():
            pass
    assert str(store.path) in str(info.value)
    assert repr(version) in str(info.value)
    with pytest.raises(StoreError):
        with store.transaction() as tx:
            tx.insert("units", {"id": "u1"})
    assert store.path.read_bytes() == before


def test_truncated_store_is_refused_with_its_path(store):
    with store.transaction() as tx:
        for i in range(50):
            tx.insert("units", {"id": f"u{i}", "address": "阳光花园1栋1单元802室"})
    data = store.path.read_bytes()
    store.path.write_bytes(data[: len(data) // 2])
    for open_ in (store.snapshot, store.transaction):
        with pytest.raises(StoreError) as info:
            with open_():
                pass
        assert str(store.path) in str(info.value)
    store.path.write_bytes(b"")
    with pytest.raises(StoreError, match="unreadable"):
        with store.snapshot():
            pass


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])


def _future_schema(path: Path) -> None:
    _set_schema(path, SCHEMA_VERSION + 1)


def _missing(path: Path) -> None:
    path.unlink()


def _not_an_object(text: str):
    def damage(path: Path) -> None:
        path.write_text(text, encoding="utf-8")
    return damage


@pytest.mark.parametrize("damage", [
    _truncate, _future_schema, _missing,
    pytest.param(_not_an_object("[]"), id="json-list"),
    pytest.param(_not_an_object("null"), id="json-null"),
    pytest.param(_not_an_object('{"_meta": []}'), id="meta-not-a-table"),
    pytest.param(_not_an_object('{"formsmith_store": 2, "tables": []}'), id="tables-not-a-table"),
], ids=lambda f: getattr(f, "__name__", None))
@pytest.mark.parametrize("args", [("docs", "list"), ("docs", "mark", "物催字〔2025〕1号", "printed")],
                         ids=["list", "mark"])
def test_cli_on_a_broken_store_says_so_in_one_line(demo_copy, damage, args):
    path = (demo_copy / "records" / STORE_FILE).resolve()
    damage(path)
    before = path.read_bytes() if path.exists() else None
    proc = formsmith_cmd(demo_copy, *args)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("formsmith: ")
    assert str(path) in lines[0]
    assert proc.stdout == ""
    assert (path.read_bytes() if path.exists() else None) == before


# ------------------------------------------------------------------ permissions

def test_records_folder_and_store_file_are_owner_only(tmp_path):
    records = tmp_path / "ws" / "records"
    records.mkdir(parents=True, mode=0o755)
    os.chmod(records, 0o755)  # a folder left readable by an older version is tightened
    old = os.umask(0)
    try:
        store = Store(records)
        store.create()
        assert stat.S_IMODE(records.stat().st_mode) == 0o700
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
        with store.transaction() as tx:  # a commit writes a new file: it is owner-only too
            tx.insert("units", {"id": "u1", "owner_id_number": "11010519491231002X"})
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_formsmith_init_makes_records_owner_only_whatever_the_umask(tmp_path):
    home = tmp_path / "ws"
    proc = subprocess.run(["sh", "-c", 'umask 000 && exec "$0" init "$1"', FORMSMITH, str(home)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((home / "records").stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "records" / STORE_FILE).stat().st_mode) == 0o600


# ------------------------------------------------------------------ concurrency

def start_together(argvs: list[list[str]], go: Path, cwd: Path) -> list[subprocess.Popen]:
    """Start one worker process per argv, wait until each has imported, then let all go."""
    procs = [subprocess.Popen([sys.executable, str(WORKER), *argv], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=cwd) for argv in argvs]
    try:
        for p in procs:
            line = p.stdout.readline()
            assert line.strip() == "ready", p.stderr.read()
        go.touch()
        for p in procs:
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return procs


def seed_counter(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert("repairs", {"id": "counter", "n": 0, "seen": []})


N = 25
TAGS = ("A", "B", "C")


def run_counter_workers(store: Store, tmp_path: Path, mode: str, hold_s: str) -> dict:
    """Three worker processes each add N to a shared counter; returns the counter row after."""
    seed_counter(store)
    go = tmp_path / "go"
    start_together([[mode, str(store.directory), str(N), tag, str(go), hold_s] for tag in TAGS],
                   go, tmp_path)
    with store.snapshot() as view:
        return view.get("repairs", "counter")


def test_three_processes_lose_no_update(store, tmp_path):
    row = run_counter_workers(store, tmp_path, "counter", "0.002")
    assert row["n"] == len(TAGS) * N
    assert len(row["seen"]) == len(TAGS) * N
    assert sorted(row["seen"]) == sorted(f"{t}-{i}" for t in TAGS for i in range(N))
    for t in TAGS:  # each process's own updates are in its order
        assert [s for s in row["seen"] if s.startswith(t + "-")] == [f"{t}-{i}" for i in range(N)]
    assert temp_files(store.directory) == []


def test_the_counter_check_does_catch_lost_updates_without_the_lock(store, tmp_path):
    # Control for the test above: the same workload with the lock bypassed must lose updates,
    # or leave a partition that another writer overwrote under the same name, which its
    # checksum in the root then refuses.
    try:
        row = run_counter_workers(store, tmp_path, "unlocked", "0.005")
    except StoreError as exc:
        assert "damaged" in str(exc)
    else:
        assert row["n"] < len(TAGS) * N


LANES = {
    "物催字〔2025〕1号": [("printed",), ("sent", "--tracking", "SF1001"), ("delivered",),
                       ("signed",), ("archived",)],
    "物催字〔2025〕2号": [("printed", "--note", "补打"), ("sent", "--tracking", "SF2002"),
                       ("delivered",), ("signed",), ("archived",)],
}


def test_concurrent_cli_marks_on_two_documents_all_land(demo_copy):
    failures: list[str] = []

    def lane(doc_no: str, steps) -> None:
        for step in steps:
            proc = formsmith_cmd(demo_copy, "docs", "mark", doc_no, *step, "--by", doc_no[-2:])
            if proc.returncode != 0:
                failures.append(f"{doc_no} {step}: {proc.returncode} {proc.stderr}")

    threads = [threading.Thread(target=lane, args=item) for item in LANES.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    for doc_no, steps in LANES.items():
        doc = json.loads(formsmith_cmd(demo_copy, "docs", "show", doc_no, "--json").stdout)
        assert doc["state"] == "archived"
        assert [e["state"] for e in doc["events"]] == ["generated"] + [s[0] for s in steps]
        assert all(e["by"] == doc_no[-2:] for e in doc["events"][1:])
        assert doc["tracking"] == ("SF1001" if doc_no.endswith("1号") else "SF2002")
    third = json.loads(formsmith_cmd(demo_copy, "docs", "show", "物催字〔2025〕3号", "--json").stdout)
    assert third["state"] == "generated" and len(third["events"]) == 1


def test_concurrent_library_event_appends_to_one_document_all_land(demo_copy, tmp_path):
    doc_no = "物催字〔2025〕3号"
    others = [(d["doc_no"], d["state"]) for d in json.loads(formsmith_cmd(demo_copy, "docs", "list", "--json").stdout)]
    go = tmp_path / "go"
    tags = ("前台", "客服")
    start_together([["events", str(demo_copy), doc_no, str(N), tag, str(go)] for tag in tags],
                   go, tmp_path)
    doc = json.loads(formsmith_cmd(demo_copy, "docs", "show", doc_no, "--json").stdout)
    added = doc["events"][1:]
    assert doc["events"][0]["state"] == "generated"
    assert len(added) == len(tags) * N
    assert sorted(e["note"] for e in added) == sorted(f"{t}-{i}" for t in tags for i in range(N))
    for t in tags:
        assert [e["note"] for e in added if e["by"] == t] == [f"{t}-{i}" for i in range(N)]
    # the other documents were not disturbed by the rewrites
    rows = json.loads(formsmith_cmd(demo_copy, "docs", "list", "--json").stdout)
    assert [(r["doc_no"], r["state"]) for r in rows] == others


# ------------------------------------------------------------------ kill -9

ROW_BYTES = 20_000


@pytest.mark.parametrize("seed", range(5))
def test_kill_9_mid_transaction_leaves_a_consistent_store(store, tmp_path, seed):
    rng = random.Random(seed)
    previous = 0
    for round_ in range(2):  # kill twice on the same store: a killed store must be resumable
        proc = subprocess.Popen([sys.executable, str(WORKER), "churn", str(store.directory),
                                 str(ROW_BYTES)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=tmp_path)
        try:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
            time.sleep(rng.uniform(0.05, 0.5))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read()

        json.loads(store.path.read_bytes())  # a whole JSON document, never a torn one
        with store.snapshot() as view:
            count = view.meta("counter", 0)
            rows = view.all("repairs")
        assert count == len(rows)
        assert [r["id"] for r in rows] == [f"r{i}" for i in range(count)]
        assert all(len(r["blob"]) == ROW_BYTES + 8 for r in rows)
        assert count >= previous
        previous = count

        # the kernel dropped the dead process's lock: it can be taken at once
        probe = FileLock(str(store.directory / LOCK_FILE), timeout=5)
        probe.acquire()
        probe.release()
        t0 = time.monotonic()
        with store.transaction() as tx:
            tx.set_meta("probe", f"{seed}-{round_}")
        assert time.monotonic() - t0 < 5
        with store.snapshot() as view:
            assert view.meta("probe") == f"{seed}-{round_}"
            assert view.meta("counter") == count
    assert previous > 0, "the worker never committed a transaction: the test proved nothing"


def test_temp_files_of_a_killed_write_are_removed_by_the_next_transaction(tmp_path):
    store = Store(tmp_path / "records")
    store.create()
    stale = store.directory / f".{STORE_FILE}.abc123.tmp"
    stale.write_bytes(b'{"half": "a copy with personal data"')
    with store.transaction() as tx:
        tx.insert("units", {"id": "u1"})
    # a partition written by a commit that was killed before it published the root
    orphan = store.directory / "data" / "units" / "003-g99999999.json"
    orphan.write_bytes(b'{"units": {"7": {"id": "u7", "owner_id_number": "11010519491231002X"}}}')
    with store.transaction() as tx:
        tx.set_meta("touched", True)
    assert not stale.exists()
    assert not orphan.exists()
    with store.snapshot() as view:
        assert [u["id"] for u in view.all("units")] == ["u1"]
    assert [p.name for p in store.directory.iterdir() if p.name.endswith(".tmp")] == []
