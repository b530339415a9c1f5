"""Numbers of the month-end run against what happens around it: counter notices, payments, kills.

The register is legal evidence: every number taken is one document, issued or visibly void
(with the reason), never a silent gap, never one number on two PDFs.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from conftest import FORMSMITH, formsmith_cmd, store_rows
from formsmith import issuing
from formsmith.processes.arrears import run as batch
from formsmith.store import Store
from formsmith.workspace import load_workspace
from test_dunning_run import only_buildings_owe, overdue_units

AS_OF = "2025-12-01"


def fsck(home: Path) -> dict:
    proc = subprocess.run([FORMSMITH, "--home", str(home), "fsck", "--json"], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def notices(home: Path) -> list[dict]:
    return [d for d in store_rows(home, "documents") if d["template"] == "payment-notice"]


def pending(home: Path) -> list[dict]:
    with Store(home / "records").snapshot() as view:
        return view.meta("dunning:pending", []) or []


def void_note(doc: dict) -> str:
    return " ".join(ev.get("note", "") for ev in doc["events"] if ev["state"] == "void")


def unrecorded_pdfs(home: Path) -> list[str]:
    """Letters in output/ that no document records (the run's print files are no documents)."""
    return [n for n in fsck(home)["notices"] if "a PDF no document records" in n
            and not n.startswith("output/dunning/")]


def assert_register_whole(home: Path) -> None:
    """Numbers 1..n of the notices' series, each exactly once; no stray letter in output/."""
    seqs = sorted(d["seq"] for d in notices(home))
    assert seqs == list(range(1, len(seqs) + 1)), "no gap, none twice"
    report = fsck(home)
    assert report["problems"] == [], report["problems"]
    assert unrecorded_pdfs(home) == []
    assert not list((home / "output").rglob("*.part"))


@pytest.fixture
def owing(demo_home, tmp_path) -> Path:
    home = tmp_path / "ws"
    shutil.copytree(demo_home, home)
    only_buildings_owe(home, {"1"})
    return home


def pay(home: Path, unit: str) -> None:
    ws = load_workspace(home)
    with ws.store.transaction() as tx:
        for c in tx.find("charges", unit=unit):
            if not c.get("paid_on"):
                tx.update("charges", c["id"], {"paid_on": AS_OF})


def test_counter_notice_during_the_run_voids_the_runs_reservation_visibly(owing):
    """A clerk issues a unit's notice at the counter while the run is rendering: the run does
    not send a second one, and the number it had reserved for the unit is in the register as
    void, naming the counter notice."""
    ws = load_workspace(owing)
    expected = overdue_units(owing, AS_OF)
    last = expected[-1]
    counter: list[issuing.IssuedDocument] = []

    def progress(label, done, total):
        if done and not counter:   # the first chunk is placed; the last unit's is still to come
            counter.append(issuing.issue_document(ws, "payment-notice", unit=last,
                                                  as_of=date.fromisoformat(AS_OF)))
    batch.run(ws, date.fromisoformat(AS_OF), stage=1, jobs=1, chunk=2, progress=progress)
    assert counter
    docs = notices(owing)
    active = [d for d in docs if d["state"] != "void"]
    assert sorted(d["unit"] for d in active) == expected
    assert [d["doc_no"] for d in active if d["unit"] == last] == [counter[0].doc_no]
    voided = [d for d in docs if d["state"] == "void"]
    assert [d["unit"] for d in voided] == [last]
    assert counter[0].doc_no in void_note(voided[0])
    assert not pending(owing)
    assert_register_whole(owing)


@pytest.mark.slow
def test_killed_run_then_payment_and_counter_notice_then_resume(owing):
    """kill -9 of the run while letters are placed and not yet recorded; then one owner pays
    and another gets a notice at the counter; the resumed run sends neither of them a letter,
    records their reserved numbers as void (已缴清 / the counter notice) and removes the
    unrecorded letters it had placed for them."""
    cfg = (owing / "formsmith.toml").read_text(encoding="utf-8")
    cfg = cfg.replace("batch_chunk = 100", "batch_chunk = 2").replace("commit_every = 2000", "commit_every = 1000")
    (owing / "formsmith.toml").write_text(cfg, encoding="utf-8")
    expected = overdue_units(owing, AS_OF)
    proc = subprocess.Popen([FORMSMITH, "--home", str(owing), "dunning", "run", "--as-of", AS_OF,
                             "--stage", "1", "--jobs", "1", "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folder = owing / "output" / "payment-notice" / "2025"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if folder.is_dir() and len(list(folder.glob("*.pdf"))) >= 2:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reserved = {p["unit"]: p for p in pending(owing)}
    assert not notices(owing) and len(reserved) == len(expected), "killed before recording"
    placed = [p for p in reserved.values() if (owing / p["path"]).is_file()]
    assert placed, "a letter was placed, unrecorded"
    paid = placed[0]["unit"]
    pay(owing, paid)
    at_counter = next(u for u in expected if u != paid)
    got = formsmith_cmd(owing, "render", "payment-notice", "--unit", at_counter, "--as-of", AS_OF, "--json")
    assert got.returncode == 0, got.stderr
    counter_no = json.loads(got.stdout)["doc_no"]

    result = formsmith_cmd(owing, "dunning", "run", "--as-of", AS_OF, "--stage", "1", "--json")
    assert result.returncode == 0, result.stderr
    docs = notices(owing)
    active = {d["unit"]: d for d in docs if d["state"] != "void"}
    assert sorted(active) == sorted(u for u in expected if u != paid)
    assert active[at_counter]["doc_no"] == counter_no
    voided = {d["unit"]: d for d in docs if d["state"] == "void"}
    assert set(voided) == {paid, at_counter}
    assert voided[paid]["doc_no"] == reserved[paid]["doc_no"] and "已缴清" in void_note(voided[paid])
    assert voided[at_counter]["doc_no"] == reserved[at_counter]["doc_no"]
    assert counter_no in void_note(voided[at_counter])
    assert not (owing / reserved[paid]["path"]).exists(), "the paid owner's letter is gone"
    assert not pending(owing)
    assert_register_whole(owing)
    listed = {d["doc_no"] for d in json.loads(result.stdout)["documents"]}
    assert reserved[paid]["doc_no"] not in listed


KILL_AFTER_PLACE = Path(__file__).resolve().parent / "helpers" / "kill_after_place.py"


@pytest.mark.slow
@pytest.mark.parametrize("where", ["out", "output", "commit"])
def test_kill_right_after_the_pdf_is_placed_never_gives_its_number_twice(demo_copy, tmp_path, where):
    """kill -9 the instant `render` has put the finished PDF in its place (--out F, or the
    output tree), or has committed its record (--out F): the next command finds it and either
    completes its record or removes it and voids the number; the number is never taken again
    by another PDF."""
    import sys
    from pdftools import attachment_json
    from formsmith.verify import verify_file
    units = sorted({d["unit"] for d in store_rows(demo_copy, "documents") if d["template"] == "dunning-letter"})
    args = ["render", "payment-notice", "--unit", units[0], "--as-of", AS_OF]
    if where in ("out", "commit"):
        target = tmp_path / "柜台" / "notice.pdf"
        target.parent.mkdir()
        args += ["--out", str(target)]
        pattern = str(target) if where == "out" else str(demo_copy / "records" / "formsmith.json")
    else:
        pattern = str(demo_copy / "output" / "payment-notice" / "2025" / "*.pdf")
    killed = subprocess.run([sys.executable, str(KILL_AFTER_PLACE), pattern, "--home", str(demo_copy), *args],
                            capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if where == "output":
        placed = list((demo_copy / "output" / "payment-notice" / "2025").glob("*.pdf"))
        assert len(placed) == 1
        target = placed[0]
    if where == "commit":   # recorded, the PDF still waiting beside its place
        assert not target.exists()
        waiting = list(target.parent.glob(".notice.pdf.*.part"))
        assert len(waiting) == 1
        assert fsck(demo_copy)["problems"] == []
        number = attachment_json(waiting[0])["doc_no"]
        bytes_before = waiting[0].read_bytes()
    else:
        number = attachment_json(target)["doc_no"]
        bytes_before = target.read_bytes()
    again = formsmith_cmd(demo_copy, "render", "payment-notice", "--unit", units[1], "--as-of", AS_OF, "--json")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["doc_no"] != number, "the killed render's number was taken again"
    docs = {d["doc_no"]: d for d in store_rows(demo_copy, "documents")}
    assert number in docs, "the number is in the register"
    if docs[number]["state"] == "void":
        assert not target.exists()
    else:
        assert target.read_bytes() == bytes_before
        assert verify_file(load_workspace(demo_copy), target).identical
    with_number = [p for p in demo_copy.rglob("*.pdf") if p.name.startswith(number)]
    assert len(with_number) <= (1 if where == "output" else 0)
    assert not list(target.parent.glob("*.part"))
    report = fsck(demo_copy)
    assert report["problems"] == [], report["problems"]
    assert not [n for n in report["notices"] if "payment-notice" in n]
