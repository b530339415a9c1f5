"""A full disk while formsmith writes the month-end print file or a backup: one line, nothing cut
left behind, and (for the run) the same command completes it once there is room again."""
from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from conftest import formsmith_cmd, small_disk, store_rows
from formsmith import documents
from formsmith.workspace import load_workspace

pytestmark = pytest.mark.slow


def _only_a_few_owe(home: Path, keep: int = 6) -> None:
    ws = load_workspace(home)
    with ws.store.transaction() as tx:
        charges = tx.all("charges")
        owing = sorted({c["unit"] for c in charges if not c.get("paid_on")})[:keep]
        for c in charges:
            if not c.get("paid_on") and c["unit"] not in owing:
                tx.update("charges", c["id"], {"paid_on": c["due"]})
    for d in documents.list_documents(ws, template="dunning-letter"):
        documents.mark(ws, d["doc_no"], "void", note="demo sample")


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_disk_full_while_writing_the_print_file_leaves_no_cut_file_and_a_rerun_completes(demo_copy):
    _only_a_few_owe(demo_copy)
    run = ("dunning", "run", "--as-of", "2025-12-01", "--stage", "1")
    dunning_dir = demo_copy / "output" / "dunning"
    with small_disk(dunning_dir, "120k"):
        full = formsmith_cmd(demo_copy, *run)
        assert full.returncode == 1, full.stdout + full.stderr
        lines = full.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in full.stderr, full.stderr
        assert "磁盘空间已满" in lines[0] and "重新运行" in lines[0]
        # No cut print file, no half list, no temp file: the stage folder holds nothing.
        assert _files(dunning_dir) == []
        issued = [d for d in store_rows(demo_copy, "documents") if d["template"] == "payment-notice"]
        assert len(issued) == 6      # the letters themselves were issued and recorded
    again = formsmith_cmd(demo_copy, *run, "--json")
    assert again.returncode == 0, again.stderr
    (stage,) = [p for p in dunning_dir.glob("*/stage-1-*")]
    with pikepdf.open(stage / "print.pdf") as pdf:
        assert len(pdf.pages) >= 2 * 6          # every letter, each on its own sheet
    assert {"print.pdf", "sms.xlsx", "sms.csv"} <= {p.name for p in stage.iterdir()}
    assert len([d for d in store_rows(demo_copy, "documents") if d["template"] == "payment-notice"]) == 6


def test_disk_full_during_a_backup_leaves_no_partial_backup(demo_copy, tmp_path):
    with small_disk(tmp_path / "usb", "300k") as usb:
        result = formsmith_cmd(demo_copy, "backup", str(usb / "nightly"))
        assert result.returncode == 1, result.stdout + result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert "磁盘空间已满" in lines[0]
        assert _files(usb) == [] and not (usb / "nightly").exists()
