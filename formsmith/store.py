"""The only module that touches TinyDB: one JSON file, an inter-process lock, atomic writes."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage

from .errors import NotFoundError, StoreError

SCHEMA_VERSION = 1
STORE_FILE = "formsmith.json"
LOCK_FILE = ".lock"
TABLES = ("units", "parties", "charges", "documents", "renovations", "repairs", "audit")
META = "_meta"
LOCK_TIMEOUT_S = 120

Row = dict[str, Any]


def fsync_dir(directory: Path) -> None:
    """Make a rename inside `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` so that a reader or a crash sees the old file or the new, never a mix."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


class _SnapshotStorage(Storage):
    """TinyDB storage holding one transaction's copy of the file in memory.

    TinyDB's own JSONStorage rewrites the file in place (a crash mid-write corrupts it) and its
    CachingMiddleware may flush half a transaction; this storage writes nothing by itself: the
    Store commits the whole snapshot at once with atomic_write_bytes.
    """

    def __init__(self, data: dict, writable: bool):
        self.data = data
        self.writable = writable
        self.dirty = False

    def read(self):
        return self.data

    def write(self, data):
        if not self.writable:
            raise StoreError("internal: write attempted on a read-only snapshot")
        self.data = data
        self.dirty = True


class View:
    """Read access to one consistent snapshot of the store. Rows are plain dicts with an `id`."""

    def __init__(self, db: TinyDB):
        self._db = db
        self._index: dict[str, dict[str, int]] = {}

    def all(self, table: str) -> list[Row]:
        """Every row of `table`, in insertion order."""
        return [dict(r) for r in self._table(table).all()]

    def get(self, table: str, row_id: str) -> Row | None:
        """The row of `table` whose id is `row_id`, or None."""
        doc_id = self._ids(table).get(row_id)
        if doc_id is None:
            return None
        row = self._table(table).get(doc_id=doc_id)
        return dict(row) if row is not None else None

    def _ids(self, table: str) -> dict[str, int]:
        """id → TinyDB doc_id of `table`, built once per snapshot (rows are found by id a lot)."""
        index = self._index.get(table)
        if index is None:
            index = self._index[table] = {r["id"]: r.doc_id for r in self._table(table).all()}
        return index

    def require(self, table: str, row_id: str, what: str | None = None) -> Row:
        """Like get, but a missing row is a NotFoundError naming it."""
        row = self.get(table, row_id)
        if row is None:
            raise NotFoundError(f"{what or table} {row_id!r} not found")
        return row

    def find(self, table: str, where: Callable[[Row], bool] | None = None, **equals: Any) -> list[Row]:
        """Rows of `table` whose fields equal `equals` and for which `where(row)` is true."""
        out = []
        for r in self._table(table).all():
            if all(r.get(k) == v for k, v in equals.items()) and (where is None or where(r)):
                out.append(dict(r))
        return out

    def count(self, table: str) -> int:
        """How many rows `table` has."""
        return len(self._ids(table))

    def meta(self, key: str, default: Any = None) -> Any:
        """A value kept in the store's own metadata table (schema version, counters)."""
        for r in self._db.table(META).all():
            if r.get("key") == key:
                return r.get("value")
        return default

    def _table(self, name: str):
        if name not in TABLES:
            raise StoreError(f"internal: unknown table {name!r}")
        return self._db.table(name)


class Transaction(View):
    """A View that can also write; its changes land all together when the transaction ends."""

    def insert(self, table: str, row: Row) -> Row:
        """Add a row; its `id` must be new in the table."""
        if "id" not in row or not row["id"]:
            raise StoreError(f"internal: row for {table} without id")
        ids = self._ids(table)
        if row["id"] in ids:
            raise StoreError(f"{table} {row['id']!r} already exists")
        ids[row["id"]] = self._table(table).insert(_plain(row))
        return row

    def update(self, table: str, row_id: str, changes: Row) -> Row:
        """Change fields of one existing row; returns the row as it is now."""
        doc_id = self._ids(table).get(row_id)
        if doc_id is None:
            raise NotFoundError(f"{table} {row_id!r} not found")
        if "id" in changes and changes["id"] != row_id:
            raise StoreError(f"internal: the id of {table} {row_id!r} cannot change")
        self._table(table).update(_plain(changes), doc_ids=[doc_id])
        return self.require(table, row_id)

    def upsert(self, table: str, row: Row) -> Row:
        """Insert the row, or replace the fields of the row with the same id."""
        if self.get(table, row["id"]) is None:
            return self.insert(table, row)
        return self.update(table, row["id"], row)

    def insert_many(self, table: str, rows: list[Row]) -> int:
        """Add many rows at once (imports); every id must be new. Returns how many."""
        for row in rows:
            self.insert(table, row)
        return len(rows)

    def upsert_many(self, table: str, rows: list[Row]) -> tuple[int, int]:
        """Insert or update many rows by id; returns (inserted, updated)."""
        inserted = updated = 0
        for row in rows:
            if self.get(table, row["id"]) is None:
                self.insert(table, row)
                inserted += 1
            else:
                self.update(table, row["id"], row)
                updated += 1
        return inserted, updated

    def set_meta(self, key: str, value: Any) -> None:
        """Set a value in the store's own metadata table."""
        t = self._db.table(META)
        for doc in t.all():
            if doc.get("key") == key:
                t.update({"value": _plain(value)}, doc_ids=[doc.doc_id])
                return
        t.insert({"key": key, "value": _plain(value)})


def _plain(value: Any) -> Any:
    """Round-trip through JSON so nothing but JSON types ever enters the store."""
    return json.loads(json.dumps(value, ensure_ascii=False))


class Store:
    """The workspace's records: one TinyDB JSON file in `directory`, guarded by a lock file.

    Every read-modify-write is a `transaction()`: it takes the exclusive inter-process lock,
    reads the file once, and on success writes the whole new file atomically (temp file, fsync,
    rename, fsync of the folder). A reader (`snapshot()`) needs no lock: the rename guarantees
    it sees a whole file. A kill -9 at any moment leaves the last committed state.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.path = self.directory / STORE_FILE
        self._lock = FileLock(str(self.directory / LOCK_FILE), timeout=LOCK_TIMEOUT_S)

    def create(self) -> None:
        """Create the folder (owner-only) and an empty store of the current schema, if missing."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        with self._locked():
            if not self.path.exists():
                self._write(self._empty())

    @contextmanager
    def snapshot(self) -> Iterator[View]:
        """A read-only view of the last committed state."""
        yield View(TinyDB(storage=_SnapshotStorage, data=self._read(), writable=False))

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """An exclusive read-modify-write; committed atomically when the block ends without error."""
        with self._locked():
            self._remove_stale_temps()
            data = self._read()
            db = TinyDB(storage=_SnapshotStorage, data=data, writable=True)
            yield Transaction(db)
            storage: _SnapshotStorage = db.storage  # type: ignore[assignment]
            if storage.dirty:
                self._write(storage.data)

    @contextmanager
    def _locked(self):
        try:
            with self._lock:
                yield
        except Timeout:
            raise StoreError(f"store {self.directory} is busy (another formsmith holds the lock "
                             f"for more than {LOCK_TIMEOUT_S} s)") from None

    def _remove_stale_temps(self) -> None:
        """Delete temp files of writes killed mid-way (they hold personal data). Lock held:
        no other writer can be writing one now."""
        for tmp in self.directory.glob(f".{STORE_FILE}.*.tmp"):
            try:
                tmp.unlink()
            except OSError:
                pass

    def _empty(self) -> dict:
        data: dict = {name: {} for name in TABLES}
        data[META] = {"1": {"key": "schema_version", "value": SCHEMA_VERSION}}
        return data

    def _read(self) -> dict:
        if not self.path.exists():
            raise StoreError(f"no store at {self.path} (run `formsmith init`)")
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError) as exc:
            raise StoreError(f"store {self.path} is unreadable: {exc}") from None
        if not isinstance(data, dict) or not all(isinstance(data.get(t, {}), dict)
                                                 for t in (*TABLES, META)):
            raise StoreError(f"store {self.path} is not a formsmith store (unexpected structure)")
        version = None
        for row in data.get(META, {}).values():
            if isinstance(row, dict) and row.get("key") == "schema_version":
                version = row.get("value")
        if version != SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema version {version!r}; "
                             f"this formsmith reads version {SCHEMA_VERSION}")
        return data

    def _write(self, data: dict) -> None:
        blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            atomic_write_bytes(self.path, blob)
        except OSError as exc:
            raise StoreError(f"could not write store {self.path}: {exc}") from None
