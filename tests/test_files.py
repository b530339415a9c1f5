"""formsmith/files.py, the one place files are written safely: a failed write leaves no temporary
file, a never-overwrite write keeps what is there, the SHA-256 is hashlib's."""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from formsmith import files


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_atomic_writes_the_file_with_its_mode_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "settings.toml"
    target.write_text("old")
    files.write_atomic(target, "新的内容\n", mode=0o600)
    assert target.read_bytes() == "新的内容\n".encode("utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _listing(tmp_path) == ["settings.toml"]


def test_write_atomic_that_fails_midway_leaves_no_temp_file_and_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "root.json"
    target.write_bytes(b"committed")

    def disk_full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(files.os, "fsync", disk_full)   # the temp file is written, then fails
    with pytest.raises(OSError, match="No space left"):
        files.write_atomic(target, b"x" * 100_000, suffix=".tmp")
    monkeypatch.undo()
    assert _listing(tmp_path) == ["root.json"]
    assert target.read_bytes() == b"committed"


def test_write_atomic_that_cannot_rename_leaves_no_temp_file(tmp_path):
    target = tmp_path / "taken"
    (target / "inside").mkdir(parents=True)      # a folder cannot be replaced by a file
    with pytest.raises(OSError):
        files.write_atomic(target, b"data")
    assert _listing(tmp_path) == ["taken"]
    assert _listing(target) == ["inside"]


def test_never_overwrite_refuses_an_existing_file_and_keeps_it_intact(tmp_path):
    target = tmp_path / "seal.p12"
    target.write_bytes(b"the real certificate")
    os.chmod(target, 0o600)
    with pytest.raises(FileExistsError):
        files.write_atomic(target, b"a test certificate", mode=0o644, overwrite=False)
    assert target.read_bytes() == b"the real certificate"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _listing(tmp_path) == ["seal.p12"]
    files.write_atomic(tmp_path / "new.p12", b"fresh", mode=0o600, overwrite=False)
    assert (tmp_path / "new.p12").read_bytes() == b"fresh"


def test_staged_publishes_on_success_and_removes_both_files_on_failure(tmp_path):
    target = tmp_path / "X.sealed.pdf"
    with files.staged(target, tag="42") as st:
        assert st.tmp == tmp_path / ".X.sealed.pdf.42.part"
        st.tmp.write_bytes(b"%PDF sealed")
    assert target.read_bytes() == b"%PDF sealed"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert _listing(tmp_path) == ["X.sealed.pdf"]

    other = tmp_path / "Y.sealed.pdf"
    with pytest.raises(RuntimeError):
        with files.staged(other, tag="42") as st:
            st.tmp.write_bytes(b"%PDF")
            st.publish()                             # in place, then the commit it belongs to fails
            assert other.exists()
            raise RuntimeError("store transaction failed")
    assert _listing(tmp_path) == ["X.sealed.pdf"]

    with pytest.raises(ValueError):
        with files.staged(tmp_path / "sheet.xlsx", mode=0o600, durable=False) as st:
            assert st.tmp.exists()                   # a random name, reserved
            st.tmp.write_bytes(b"PK half")
            raise ValueError("the writer failed")
    assert _listing(tmp_path) == ["X.sealed.pdf"]


def test_staged_files_commit_together_or_not_at_all(tmp_path):
    batch = files.StagedFiles(tag="7")
    batch.write(tmp_path / "scan-1.pdf", b"%PDF 1")
    batch.write(tmp_path / "scan-1.pdf.sha256", b"abc  scan-1.pdf\n")
    assert _listing(tmp_path) == [".scan-1.pdf.7.part", ".scan-1.pdf.sha256.7.part"]
    batch.commit()
    assert _listing(tmp_path) == ["scan-1.pdf", "scan-1.pdf.sha256"]
    batch.write(tmp_path / "scan-2.pdf", b"%PDF 2")
    batch.abandon()
    assert _listing(tmp_path) == ["scan-1.pdf", "scan-1.pdf.sha256"]


def test_staged_dir_leaves_no_staging_folder_on_failure(tmp_path):
    target = tmp_path / "backup"
    with pytest.raises(RuntimeError):
        with files.staged_dir(target, ".partial") as staging:
            (staging / "MANIFEST.json").write_text("{}")
            raise RuntimeError("disk full")
    assert _listing(tmp_path) == []
    with files.staged_dir(target, ".partial") as staging:
        (staging / "MANIFEST.json").write_text("{}")
    assert _listing(tmp_path) == ["backup"] and _listing(target) == ["MANIFEST.json"]


def test_sha256_file_is_hashlibs_on_a_multi_megabyte_file(tmp_path):
    data = os.urandom(3 * (1 << 20) + 12345)     # more than one read, and not a whole one
    path = tmp_path / "big.pdf"
    path.write_bytes(data)
    assert files.sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert files.sha256_bytes(data) == hashlib.sha256(data).hexdigest()
    copy = tmp_path / "copy.pdf"
    assert files.copy_hashed(path, copy) == (hashlib.sha256(data).hexdigest(), len(data))
    assert copy.read_bytes() == data
