"""The one place where formsmith writes files safely: staged and atomic writes, SHA-256, fsync.

Every file formsmith keeps is written the same way: under a temporary name in the folder of
its final name, made durable (fsync) if it must survive a power cut, then renamed into place
in one step, so that a reader or a crash sees the old file or the new one, never a cut one.
A write that fails removes its temporary file. The temporary names are hidden
(`.<name>.<tag><suffix>`) and end in one of TEMP_SUFFIXES, which backups skip and `fsck`
reports as leftovers of an interrupted run.

- `write_atomic`: bytes or text already in memory.
- `staged`: a writer that streams into a path of its own (pikepdf, openpyxl, pyHanko, csv).
- `StagedFiles`: many files of one commit, written first and made durable together.
- `staged_dir`: a whole folder built beside its place and renamed into it (backup, restore).
- `publish`: the last step alone, for files written under a temporary name by other code.

This is the bottom layer: it imports nothing of formsmith.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

TEMP_SUFFIXES = (".part", ".tmp")   # what a temporary name ends in (skipped by backup, reported by fsck)
CHUNK = 1 << 20


# ---------------------------------------------------------------- hashing

def sha256_bytes(data: bytes) -> str:
    """The SHA-256 of `data`, in hex."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    """The SHA-256 of a file's bytes, in hex (read 1 MiB at a time)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- durability

def fsync_file(path: Path | str) -> None:
    """Make what was written to the file at `path` durable (through any descriptor)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path | str) -> None:
    """Make a rename inside `directory` durable (a folder is fsynced as a file is)."""
    fsync_file(directory)


def sync_filesystem(path: Path | str) -> None:
    """Make every file written so far on `path`'s filesystem durable: syncfs(2) on Linux
    (that filesystem only), else sync(2). Both return once the data is on disk."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(path, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


# ---------------------------------------------------------------- one file

def temp_name(path: Path, tag: str, suffix: str = ".part") -> Path:
    """The temporary name `path` is written under: `.<name>.<tag><suffix>` beside it."""
    return path.with_name(f".{path.name}.{tag}{suffix}")


def _create_temp(path: Path, suffix: str, mode: int | None) -> tuple[int, Path]:
    """A new temporary file beside `path` under a random name, open for writing; created with
    `mode` (None: as open() creates files, 0o666 less the umask)."""
    while True:
        tmp = temp_name(path, secrets.token_hex(4), suffix)
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode), tmp
        except FileExistsError:
            continue


def publish(tmp: Path, path: Path, *, overwrite: bool = True, durable: bool = True) -> None:
    """Move the finished file `tmp` to `path` in one step: os.replace, or, with
    `overwrite=False`, os.link, which fails with FileExistsError if `path` exists (`tmp` is
    then kept, for the caller to decide). `durable`: the rename is made durable (fsync_dir)."""
    if overwrite:
        os.replace(tmp, path)
    else:
        os.link(tmp, path)
        os.unlink(tmp)
    if durable:
        fsync_dir(path.parent)


def write_atomic(path: Path | str, data: bytes | str, *, mode: int | None = 0o644,
                 durable: bool = True, overwrite: bool = True, suffix: str = ".part") -> None:
    """Write `data` (text as UTF-8) to `path` so that a reader or a crash sees the old file or
    the new, never a mix: a temporary file beside it (a random `.<name>.XXXXXXXX<suffix>`),
    written, fsynced (`durable`), given `mode` (None: as open() creates files), renamed into
    place (os.replace; `overwrite=False`: never over an existing file, FileExistsError), the
    rename fsynced (`durable`). On any failure the temporary file is removed."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = _create_temp(path, suffix, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)          # whatever the umask
        publish(tmp, path, overwrite=overwrite, durable=False)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


class Staged:
    """A file being written under its temporary name `tmp`, to be published as `path`."""

    def __init__(self, path: Path, tmp: Path, *, mode: int | None, durable: bool, overwrite: bool):
        self.path, self.tmp = path, tmp
        self.mode, self.durable, self.overwrite = mode, durable, overwrite
        self.finished = self.published = False

    def finish(self) -> None:
        """The writer is done: make the temporary file durable and give it its mode (once)."""
        if self.finished:
            return
        if self.durable:
            fsync_file(self.tmp)
        if self.mode is not None:
            os.chmod(self.tmp, self.mode)
        self.finished = True

    def publish(self) -> None:
        """Finish, then rename the temporary file into place (earlier than the end of the
        `staged` block, e.g. inside the store transaction that records it)."""
        self.finish()
        if self.overwrite:
            os.replace(self.tmp, self.path)
            self.published = True
        else:
            os.link(self.tmp, self.path)
            self.published = True
            os.unlink(self.tmp)
        if self.durable:
            fsync_dir(self.path.parent)

    def discard(self) -> None:
        """Remove the temporary file, and the published file if this block published it."""
        self.tmp.unlink(missing_ok=True)
        if self.published:
            self.path.unlink(missing_ok=True)


@contextmanager
def staged(path: Path | str, *, tag: str | None = None, suffix: str = ".part", mode: int | None = 0o644,
           durable: bool = True, overwrite: bool = True) -> Iterator[Staged]:
    """For a writer that writes a path itself: yields a Staged whose `tmp` it writes; when the
    block ends the file is finished (fsynced if `durable`, given `mode`) and published as
    `path` (os.replace; `overwrite=False`: os.link, never over an existing file), unless the
    block published it already (`publish()`). If the block fails, the temporary file is
    removed, and so is the published file if the block had published it (the commit it
    belongs to failed).

    With a `tag` (a process id, a document id: unique to this writer) the temporary name is
    `.<name>.<tag><suffix>` and the writer creates the file; without one the name is random
    and the file is created empty here, with `mode`, to reserve it."""
    path = Path(path)
    if tag is None:
        fd, tmp = _create_temp(path, suffix, mode)
        os.close(fd)
    else:
        tmp = temp_name(path, tag, suffix)
    st = Staged(path, tmp, mode=mode, durable=durable, overwrite=overwrite)
    try:
        yield st
        if not st.published:
            st.publish()
    except BaseException:
        st.discard()
        raise


class StagedFiles:
    """Many files of one commit: each written under its temporary name, then all made durable
    together, then renamed into place (`commit`), or all removed (`abandon`).

    fsync is most of the cost of writing many small files; issued from a few threads at once
    the file system commits them together instead of one journal commit per file.
    """

    def __init__(self, *, tag: str | None = None, suffix: str = ".part", mode: int = 0o644,
                 threads: int = 8) -> None:
        self.tag = tag if tag is not None else str(os.getpid())
        self.suffix, self.mode, self.threads = suffix, mode, threads
        self.pending: list[tuple[Path, Path]] = []
        self.placed: list[Path] = []

    def write(self, path: Path, data: bytes) -> None:
        tmp = temp_name(path, self.tag, self.suffix)
        self.pending.append((tmp, path))     # first: a failed write is cleaned up by abandon()
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, self.mode)

    def commit(self) -> None:
        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(fsync_file, [tmp for tmp, _ in self.pending]))
        for tmp, final in self.pending:
            os.replace(tmp, final)
            self.placed.append(final)
        for directory in {final.parent for _, final in self.pending}:
            fsync_dir(directory)
        self.pending.clear()
        self.placed.clear()

    def abandon(self) -> None:
        """After a failed write or commit: remove every temporary file, and the files this
        commit already renamed into place (the store transaction they belong to will not commit)."""
        for tmp, _ in self.pending:
            tmp.unlink(missing_ok=True)
        for final in self.placed:
            final.unlink(missing_ok=True)
        self.pending.clear()
        self.placed.clear()


# ---------------------------------------------------------------- folders and copies

@contextmanager
def staged_dir(target: Path, suffix: str, *, mode: int = 0o700) -> Iterator[Path]:
    """Build a folder at `.<name><suffix>` beside `target` (a stale one is removed first);
    when the block ends it replaces `target` (absent or an empty folder) and the rename is
    fsynced. If the block fails, the staging folder is removed with all it holds."""
    staging = target.with_name(f".{target.name}{suffix}")
    if staging.exists():
        shutil.rmtree(staging)
    try:
        staging.mkdir(parents=True, mode=mode)
        yield staging
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def copy_hashed(src: Path, dst: Path, *, durable: bool = True) -> tuple[str, int]:
    """Copy one file (its permission bits too), hashing what was read; the copy fsynced if
    `durable`. Returns (sha256, size)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    size = 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for chunk in iter(lambda: fin.read(CHUNK), b""):
            h.update(chunk)
            fout.write(chunk)
            size += len(chunk)
        fout.flush()
        if durable:
            os.fsync(fout.fileno())
    shutil.copymode(src, dst)
    return h.hexdigest(), size
