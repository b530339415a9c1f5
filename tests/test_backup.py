"""Backup, restore and fsck on real workspaces: what an office needs after a disk dies."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FORMSMITH, store_rows
from formsmith.store import STORE_FILE


def docs_of(home: Path) -> list[dict]:
    return sorted(({k: d[k] for k in ("doc_no", "state", "sha256", "path")}
                   for d in store_rows(home, "documents")), key=lambda d: d["doc_no"])


def flip_byte(path: Path, offset: int = 2000) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_backup_then_restore_gives_the_same_workspace(demo_copy, run, run_json, tmp_path):
    run_json(demo_copy, "docs", "mark", "物催字〔2025〕2号", "printed")
    report = run_json(demo_copy, "backup", str(tmp_path / "bk"))
    assert report["documents"] == 10 and report["drift"] == []   # three letters, a receipt, four from cases, a permit, a 整改通知书
    manifest = json.loads((tmp_path / "bk" / "MANIFEST.json").read_text(encoding="utf-8"))
    assert f"records/{STORE_FILE}" in manifest["files"]
    assert all(len(e["sha256"]) == 64 for e in manifest["files"].values())

    restored = run_json(demo_copy, "restore", str(tmp_path / "bk"), str(tmp_path / "again"))
    assert restored["files"] == report["files"]
    again = tmp_path / "again"
    assert docs_of(again) == docs_of(demo_copy)
    assert store_rows(again, "charges") == store_rows(demo_copy, "charges")
    assert (again / "records").stat().st_mode & 0o077 == 0
    assert run_json(again, "fsck")["clean"] is True
    doc = docs_of(again)[0]
    assert run(again, "verify", str(again / doc["path"])).exit_code == 0
    # the restored workspace works: it issues the next number, not a reused one
    unit = store_rows(again, "documents")[0]["unit"]
    issued = run_json(again, "render", "dunning-letter", "--unit", unit, "--as-of", "2025-12-01",
                      "--again")
    assert issued["doc_no"] == "物催字〔2025〕4号"


def test_backup_refuses_a_folder_that_is_not_empty_or_inside_the_workspace(demo_copy, run, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("clerk's file")
    result = run(demo_copy, "backup", str(tmp_path / "full"))
    assert result.exit_code == 2 and "not an empty folder" in result.stderr
    assert (tmp_path / "full" / "x.txt").read_text() == "clerk's file"
    result = run(demo_copy, "backup", str(demo_copy / "output" / "bk"))
    assert result.exit_code == 2 and "inside the workspace" in result.stderr
    assert not (demo_copy / "output" / "bk").exists()


@pytest.mark.parametrize("damage", ["flip-pdf-byte", "drop-partition", "extra-file", "manifest-garbled"])
def test_restore_checks_the_backup_before_touching_anything(demo_copy, run, run_json, tmp_path, damage):
    run_json(demo_copy, "backup", str(tmp_path / "bk"))
    bk = tmp_path / "bk"
    if damage == "flip-pdf-byte":
        flip_byte(next((bk / "output").rglob("*.pdf")))
    elif damage == "drop-partition":
        next((bk / "records" / "data" / "documents").glob("*.json")).unlink()
    elif damage == "extra-file":
        (bk / "output" / "planted.pdf").write_bytes(b"%PDF-1.7 not ours")
    else:
        (bk / "MANIFEST.json").write_text("{not json", encoding="utf-8")
    result = run(demo_copy, "restore", str(bk), str(tmp_path / "target"))
    assert result.exit_code == 3, result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "target").exists()
    assert not list(tmp_path.glob(".target*"))


def test_fsck_is_clean_on_a_fresh_workspace_and_names_every_drift(demo_copy, run, run_json):
    assert run_json(demo_copy, "fsck")["clean"] is True
    docs = docs_of(demo_copy)
    flip_byte(demo_copy / docs[0]["path"])
    (demo_copy / docs[1]["path"]).unlink()
    (demo_copy / "output" / "dunning-letter" / ".half.pdf.part").write_bytes(b"%PDF")
    result = run(demo_copy, "fsck", "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["clean"] is False
    assert any(docs[0]["doc_no"] in p and "SHA-256" in p for p in report["problems"])
    assert any(docs[1]["doc_no"] in p and "missing" in p for p in report["problems"])
    assert len(report["problems"]) == 2
    assert any(".half.pdf.part" in n for n in report["notices"])


def test_fsck_finds_a_damaged_store_partition(demo_copy, run):
    part = next((demo_copy / "records" / "data" / "charges").glob("*.json"))
    part.write_bytes(part.read_bytes()[:100])
    result = run(demo_copy, "fsck")
    assert result.exit_code == 3
    assert "store:" in result.stdout and part.name in result.stdout


@pytest.mark.slow
def test_backup_taken_while_another_clerk_issues_documents_is_consistent(demo_copy, tmp_path):
    """A second process issues letters throughout; every backup must hold, for each document
    the store records, its PDF with the recorded hash."""
    unit = store_rows(demo_copy, "documents")[0]["unit"]
    at_start = len(store_rows(demo_copy, "documents"))
    script = ("import subprocess, sys\n"
              "for i in range(4):\n"
              "    subprocess.run([sys.argv[1], '--home', sys.argv[2], 'render', 'dunning-letter',"
              " '--unit', sys.argv[3], '--as-of', '2025-12-01', '--again'], check=True,"
              " capture_output=True)\n")
    writer = subprocess.Popen([sys.executable, "-c", script, FORMSMITH, str(demo_copy), unit])
    try:
        taken = []
        for i in range(3):
            dest = tmp_path / f"bk{i}"
            proc = subprocess.run([FORMSMITH, "--home", str(demo_copy), "backup", str(dest), "--json"],
                                  capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
            taken.append(json.loads(proc.stdout))
            time.sleep(0.4)
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0
    for i, report in enumerate(taken):
        assert report["drift"] == [], report["drift"]
        target = tmp_path / f"restored{i}"
        proc = subprocess.run([FORMSMITH, "restore", str(tmp_path / f"bk{i}"), str(target)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        fsck = subprocess.run([FORMSMITH, "--home", str(target), "fsck", "--json"],
                              capture_output=True, text=True)
        assert json.loads(fsck.stdout)["problems"] == []
    assert taken[-1]["documents"] > taken[0]["documents"] or taken[-1]["documents"] == at_start + 4


def test_fsck_names_a_number_taken_without_a_document(demo_copy, run):
    """A number counted by the store but held by no document would be a gap in the register."""
    from formsmith.store import Store
    with Store(demo_copy / "records").transaction() as tx:
        tx.set_meta("counter:物催字〔{year}〕{seq}号:2025", 5)
    result = run(demo_copy, "fsck")
    assert result.exit_code == 3
    assert "no document for [4, 5]" in result.stdout
