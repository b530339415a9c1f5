"""The only module that touches TinyDB: partitioned tables, an inter-process lock, atomic commits.

Layout of `records/`:

    formsmith.json            the root: schema, generation, which file holds each partition,
                              row counts, metadata (number counters) — small, rewritten atomically
    data/<table>/<b>-g<gen>.json
                              one partition (bucket) of a table: a TinyDB JSON document with one
                              table, rows keyed by their insertion number
    data/_index/<table>.<field>/<b>-g<gen>.json
                              a secondary index: value → ids of the rows that have it
    .lock                     the writers' lock

The root also holds the SHA-256 of every partition and index file it refers to (`sums`),
written by the same atomic rename that commits them: a partition changed on disk afterwards
(a flipped digit is still valid JSON) is refused when read, and named by `check()`. A store
written before checksums existed stays readable; its files get one when they are next
rewritten (`unchecked()` counts those still without).

A row lives in bucket crc32(id) mod B, so finding one row reads one small file whatever the size
of the table; `find(table, unit=…)` on an indexed field reads one index bucket and the rows'
buckets. A transaction writes the buckets it changed as NEW files (never overwriting a file a
reader may be reading), fsyncs them, then atomically replaces the root: that rename is the
commit. A kill -9 before it leaves the old root and some unreferenced files, which the next
transaction deletes; a reader reads the root once and then only immutable files, so it always
sees one committed state without taking the lock. Files a commit replaced are kept for
RETIRE_GRACE_S so that readers still working on the older root can finish, then deleted.
"""
from __future__ import annotations

import json
import os
import time
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from .errors import NotFoundError, StoreError
from .files import fsync_dir, sha256_bytes, sync_filesystem, write_atomic

SCHEMA_VERSION = 2
STORE_FILE = "formsmith.json"
DATA_DIR = "data"
LOCK_FILE = ".lock"
TABLES = ("units", "parties", "charges", "documents", "renovations", "repairs", "audit")
LOCK_TIMEOUT_S = 120
RETIRE_GRACE_S = 600

# table: (buckets, indexed fields). Sized for 20,000 units, 100,000 charges and 250,000
# documents: a document bucket then holds ~500 rows (≈1 MB), parsed in a few milliseconds.
LAYOUT: dict[str, tuple[int, tuple[str, ...]]] = {
    "units": (16, ()),
    "parties": (16, ()),
    "charges": (64, ("unit",)),
    "documents": (512, ("doc_no", "unit")),
    "renovations": (4, ("unit",)),
    "repairs": (4, ("unit",)),
    "audit": (16, ()),
}
DEFAULT_LAYOUT = (8, ())
INDEX_BUCKETS = 64
# Tables a process declares (formsmith.registry), with their layout: known once registered.
_PROCESS_TABLES: dict[str, tuple[int, tuple[str, ...]]] = {}


def register_table(table: str, buckets: int = DEFAULT_LAYOUT[0], indexes: tuple[str, ...] = ()) -> None:
    """Make `table` known to the store (a process's own table), partitioned in `buckets` with
    an index on each field of `indexes`. A table's layout is fixed when it is first written."""
    if table in TABLES:
        raise StoreError(f"internal: table {table!r} is the store's own")
    _PROCESS_TABLES[table] = (buckets, tuple(indexes))


def known_tables() -> tuple[str, ...]:
    """The store's own tables and those the processes registered."""
    return TABLES + tuple(t for t in _PROCESS_TABLES if t not in TABLES)

Row = dict[str, Any]


BULK_COMMIT_FILES = 16   # above this many partition files, a commit syncs the filesystem once


def bucket_of(key: Any, buckets: int) -> int:
    """The partition a key lives in: stable across processes and Python versions."""
    return zlib.crc32(str(key).encode("utf-8")) % buckets


def layout(table: str) -> tuple[int, tuple[str, ...]]:
    return LAYOUT.get(table) or _PROCESS_TABLES.get(table, DEFAULT_LAYOUT)


class _SnapshotStorage(Storage):
    """TinyDB storage holding one partition in memory; the Store writes it, TinyDB never does.

    TinyDB's own JSONStorage rewrites the file in place (a crash mid-write corrupts it) and its
    CachingMiddleware may flush half a transaction; here the Store commits all changed
    partitions at once, as new files published by one atomic rename of the root.
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


class _Bucket:
    """One loaded partition of a table: a TinyDB table plus its id → insertion-number map."""

    def __init__(self, table: str, data: dict, writable: bool):
        self.db = TinyDB(storage=_SnapshotStorage, data=data, writable=writable)
        self.table = self.db.table(table)
        self.ids = {row["id"]: row.doc_id for row in self.table.all()}

    @property
    def dirty(self) -> bool:
        return self.db.storage.dirty  # type: ignore[attr-defined]

    @property
    def data(self) -> dict:
        return self.db.storage.data  # type: ignore[attr-defined]


class View:
    """Read access to one consistent committed state. Rows are plain dicts with an `id`."""

    def __init__(self, store: "Store", root: dict, writable: bool = False):
        self._store = store
        self._root = root
        self._writable = writable
        self._buckets: dict[tuple[str, int], _Bucket] = {}
        self._indexes: dict[tuple[str, int], dict[str, list[str]]] = {}
        self._dirty_indexes: set[tuple[str, int]] = set()

    # ------------------------------------------------------------ reading
    def all(self, table: str) -> list[Row]:
        """Every row of `table`, in insertion order."""
        return [dict(r) for _, r in self._scan(table)]

    def get(self, table: str, row_id: str) -> Row | None:
        """The row of `table` whose id is `row_id`, or None."""
        bucket = self._bucket(table, bucket_of(row_id, self._layout(table)[0]))
        doc_id = bucket.ids.get(row_id)
        if doc_id is None:
            return None
        row = bucket.table.get(doc_id=doc_id)
        return dict(row) if row is not None else None

    def require(self, table: str, row_id: str, what: str | None = None) -> Row:
        """Like get, but a missing row is a NotFoundError naming it."""
        row = self.get(table, row_id)
        if row is None:
            raise NotFoundError(f"{what or table} {row_id!r} not found")
        return row

    def find(self, table: str, where: Callable[[Row], bool] | None = None, **equals: Any) -> list[Row]:
        """Rows of `table` whose fields equal `equals` and for which `where(row)` is true.

        An equality on an indexed field (documents.doc_no, documents.unit, charges.unit, …)
        reads only the rows that have that value; anything else scans the table."""
        indexed = self._layout(table)[1]
        key = next((k for k in equals if k in indexed and isinstance(equals[k], (str, int))), None)
        if key is not None:
            candidates: list[tuple[int, Row]] = []
            for row_id in self._index_lookup(table, key, equals[key]):
                bucket = self._bucket(table, bucket_of(row_id, self._layout(table)[0]))
                doc_id = bucket.ids.get(row_id)
                row = bucket.table.get(doc_id=doc_id) if doc_id is not None else None
                if doc_id is None or row is None or str(row.get(key)) != str(equals[key]):
                    # An index that disagrees with the rows would answer wrong without a word
                    # (a unit owing 8 months "has no overdue charges"): refuse instead.
                    raise StoreError(f"store {self._store.directory}: index {table}.{key} is "
                                     f"inconsistent (it lists {table} {row_id!r} under "
                                     f"{equals[key]!r}); run `formsmith fsck` and restore from a backup")
                candidates.append((doc_id, row))
            candidates.sort(key=lambda c: c[0])
            rows: Iterable = candidates
        else:
            rows = self._scan(table)
        out = []
        for _, r in rows:
            if all(r.get(k) == v for k, v in equals.items()) and (where is None or where(r)):
                out.append(dict(r))
        return out

    def count(self, table: str) -> int:
        """How many rows `table` has."""
        return int(self._table_root(table).get("rows", 0))

    def meta(self, key: str, default: Any = None) -> Any:
        """A value kept in the store's own metadata (number counters, settings of the store)."""
        return self._root["meta"].get(key, default)

    def meta_items(self, prefix: str = "") -> list[tuple[str, Any]]:
        """Every metadata (key, value) whose key starts with `prefix`, sorted by key."""
        return sorted((k, v) for k, v in self._root["meta"].items() if k.startswith(prefix))

    # ------------------------------------------------------------ internals
    def _layout(self, table: str) -> tuple[int, tuple[str, ...]]:
        if table not in TABLES and table not in _PROCESS_TABLES and table not in self._root["tables"]:
            raise StoreError(f"internal: unknown table {table!r}")
        t = self._root["tables"].get(table)
        return (t["buckets"], tuple(t.get("indexes", ()))) if t else layout(table)

    def _table_root(self, table: str) -> dict:
        self._layout(table)
        tables = self._root["tables"]
        if table not in tables:
            buckets, indexes = layout(table)
            tables[table] = {"buckets": buckets, "indexes": list(indexes), "rows": 0,
                             "next_id": 1, "files": {}}
        return tables[table]

    def _bucket(self, table: str, b: int) -> _Bucket:
        loaded = self._buckets.get((table, b))
        if loaded is None:
            name = self._table_root(table)["files"].get(str(b))
            data = self._store._read_part(name, self._root) if name else {}
            data.setdefault(table, {})
            loaded = self._buckets[(table, b)] = _Bucket(table, data, self._writable)
        return loaded

    def _scan(self, table: str) -> list[tuple[int, Document]]:
        buckets = self._layout(table)[0]
        files = self._table_root(table)["files"]
        rows: list[tuple[int, Document]] = []
        for b in range(buckets):
            if str(b) in files or (table, b) in self._buckets:
                rows.extend((r.doc_id, r) for r in self._bucket(table, b).table.all())
        rows.sort(key=lambda r: r[0])
        return rows

    def _index_name(self, table: str, field: str) -> str:
        return f"{table}.{field}"

    def _index(self, name: str, b: int) -> dict[str, list[str]]:
        loaded = self._indexes.get((name, b))
        if loaded is None:
            index_root = self._root["indexes"].get(name, {})
            fname = index_root.get("files", {}).get(str(b))
            loaded = self._indexes[(name, b)] = self._store._read_part(fname, self._root) if fname else {}
        return loaded

    def _index_lookup(self, table: str, field: str, value: Any) -> list[str]:
        name = self._index_name(table, field)
        return list(self._index(name, bucket_of(value, INDEX_BUCKETS)).get(str(value), ()))


class Transaction(View):
    """A View that can also write; its changes land all together when the transaction ends."""

    def insert(self, table: str, row: Row) -> Row:
        """Add a row; its `id` must be new in the table."""
        self.insert_many(table, [row])
        return row

    def insert_many(self, table: str, rows: list[Row]) -> int:
        """Add many rows at once (imports, batches); every id must be new. Returns how many."""
        buckets, indexed = self._layout(table)
        troot = self._table_root(table)
        grouped: dict[int, list[Document]] = {}
        seen: set[str] = set()
        for row in rows:
            row_id = row.get("id")
            if not row_id or not isinstance(row_id, str):
                raise StoreError(f"internal: row for {table} without a string id")
            b = bucket_of(row_id, buckets)
            if row_id in seen or row_id in self._bucket(table, b).ids:
                raise StoreError(f"{table} {row_id!r} already exists")
            seen.add(row_id)
            doc = Document(_plain(row), doc_id=troot["next_id"])
            troot["next_id"] += 1
            grouped.setdefault(b, []).append(doc)
        for b, docs in grouped.items():
            bucket = self._bucket(table, b)
            bucket.table.insert_multiple(docs)
            for doc in docs:
                bucket.ids[doc["id"]] = doc.doc_id
                for field in indexed:
                    self._index_add(table, field, doc.get(field), doc["id"])
        troot["rows"] = troot.get("rows", 0) + len(rows)
        return len(rows)

    def update(self, table: str, row_id: str, changes: Row) -> Row:
        """Change fields of one existing row; returns the row as it is now."""
        self.update_many(table, [(row_id, changes)])
        return self.require(table, row_id)

    def update_many(self, table: str, changes: list[tuple[str, Row]]) -> int:
        """Change fields of many existing rows: [(id, changes)]. Returns how many.

        Applied to the partitions' rows directly: TinyDB's own update rebuilds a whole
        partition per call, which made a 20,000-row re-import take seconds per thousand rows."""
        buckets, indexed = self._layout(table)
        for row_id, fields in changes:
            bucket = self._bucket(table, bucket_of(row_id, buckets))
            doc_id = bucket.ids.get(row_id)
            if doc_id is None:
                raise NotFoundError(f"{table} {row_id!r} not found")
            if "id" in fields and fields["id"] != row_id:
                raise StoreError(f"internal: the id of {table} {row_id!r} cannot change")
            fields = _plain(fields)
            raw = bucket.data[table][str(doc_id)]
            for field in indexed:
                if field in fields and fields[field] != raw.get(field):
                    self._index_remove(table, field, raw.get(field), row_id)
                    self._index_add(table, field, fields[field], row_id)
            raw.update(fields)
            bucket.db.storage.dirty = True  # type: ignore[attr-defined]
        return len(changes)

    def delete(self, table: str, row_id: str) -> None:
        """Remove one row (a session that ended: records of the business are never deleted,
        they change state)."""
        buckets, indexed = self._layout(table)
        bucket = self._bucket(table, bucket_of(row_id, buckets))
        doc_id = bucket.ids.pop(row_id, None)
        if doc_id is None:
            raise NotFoundError(f"{table} {row_id!r} not found")
        raw = bucket.data[table].pop(str(doc_id))
        for field in indexed:
            self._index_remove(table, field, raw.get(field), row_id)
        troot = self._table_root(table)
        troot["rows"] = troot.get("rows", 1) - 1
        bucket.db.storage.dirty = True  # type: ignore[attr-defined]

    def upsert(self, table: str, row: Row) -> Row:
        """Insert the row, or replace the fields of the row with the same id."""
        if self.get(table, row["id"]) is None:
            return self.insert(table, row)
        return self.update(table, row["id"], row)

    def upsert_many(self, table: str, rows: list[Row]) -> tuple[int, int]:
        """Insert or update many rows by id; returns (inserted, updated)."""
        new = [r for r in rows if self.get(table, r["id"]) is None]
        new_ids = {r["id"] for r in new}
        if len(new_ids) != len(new):
            raise StoreError(f"internal: duplicate ids in one upsert into {table}")
        self.insert_many(table, new)
        updates = [(row["id"], row) for row in rows if row["id"] not in new_ids]
        self.update_many(table, updates)
        return len(new), len(updates)

    def set_meta(self, key: str, value: Any) -> None:
        """Set a value in the store's own metadata."""
        self._root["meta"][key] = _plain(value)
        self._meta_dirty = True

    def _index_add(self, table: str, field: str, value: Any, row_id: str) -> None:
        if value is None or not isinstance(value, (str, int)):
            return
        name, b = self._index_name(table, field), bucket_of(value, INDEX_BUCKETS)
        ids = self._index(name, b).setdefault(str(value), [])
        if row_id not in ids:
            ids.append(row_id)
        self._dirty_indexes.add((name, b))

    def _index_remove(self, table: str, field: str, value: Any, row_id: str) -> None:
        if value is None or not isinstance(value, (str, int)):
            return
        name, b = self._index_name(table, field), bucket_of(value, INDEX_BUCKETS)
        index = self._index(name, b)
        ids = index.get(str(value), [])
        if row_id in ids:
            ids.remove(row_id)
            if not ids:
                del index[str(value)]
            self._dirty_indexes.add((name, b))

    def _changed(self) -> bool:
        return (getattr(self, "_meta_dirty", False) or bool(self._dirty_indexes)
                or any(b.dirty for b in self._buckets.values()))


def _referenced(root: dict) -> list[str]:
    """Every partition and index file a root refers to, relative to the data folder."""
    names = [f for t in root["tables"].values() for f in t["files"].values()]
    return names + [f for i in root["indexes"].values() for f in i["files"].values()]


def _plain(value: Any) -> Any:
    """Round-trip through JSON so nothing but JSON types ever enters the store."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Store:
    """The workspace's records in `directory`: a small root file and partition files.

    Every read-modify-write is a `transaction()`: it takes the exclusive inter-process lock,
    reads what it needs, and on success publishes all its changes at once (new partition files,
    fsync, then an atomic rename of the root). A reader (`snapshot()`) needs no lock. A kill -9
    at any moment leaves the last committed state.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.path = self.directory / STORE_FILE
        self.data_dir = self.directory / DATA_DIR
        self._lock = FileLock(str(self.directory / LOCK_FILE), timeout=LOCK_TIMEOUT_S)

    def create(self) -> None:
        """Create the folder (owner-only) and an empty store of the current schema, if missing."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        with self._locked():
            if not self.path.exists():
                self._write_root(self._empty())

    @contextmanager
    def snapshot(self) -> Iterator[View]:
        """A read-only view of the last committed state."""
        yield self._open(View, self._read_root())

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """An exclusive read-modify-write; committed atomically when the block ends without error."""
        with self._locked():
            root = self._read_root()
            self._collect_garbage(root)
            tx = self._open(Transaction, root)
            yield tx
            if tx._changed() or root.get("_migrated") is not None:
                self._commit(tx)

    def _open(self, kind: type, root: dict):
        view = kind(self, root, writable=kind is Transaction)
        migrated = root.get("_migrated")
        if migrated is not None:       # a version-1 store converted in memory
            view._buckets, view._indexes = migrated._buckets, migrated._indexes
            view._dirty_indexes = migrated._dirty_indexes
        return view

    @contextmanager
    def frozen(self) -> Iterator[tuple[View, list[Path]]]:
        """Hold the writers' lock; give a view and every file the committed state consists of
        (the root first, then its partitions): what a consistent backup copies."""
        with self._locked():
            root = self._read_root()
            if root.get("_migrated") is not None:
                raise StoreError(f"store {self.path} is in the version-1 layout; run any "
                                 f"command that writes (e.g. `formsmith docs mark`) to upgrade it first")
            yield self._open(View, root), [self.path] + [self.data_dir / n for n in _referenced(root)]

    def unchecked(self) -> int:
        """How many files of the committed state have no checksum yet (written by an older
        formsmith; each gets one when a transaction next rewrites it)."""
        with self.snapshot() as view:
            sums = view._root.get("sums", {})
            return sum(1 for name in _referenced(view._root) if name not in sums)

    def check(self) -> list[str]:
        """Integrity problems of the committed state, one line each (empty: all is well):
        unreadable or missing partitions, rows in the wrong partition, indexes that disagree
        with the rows."""
        problems: list[str] = []
        with self.snapshot() as view:
            root = view._root
            for name in _referenced(root):
                try:
                    self._read_part(name, root)
                except StoreError as exc:
                    problems.append(str(exc))
            if problems:
                return problems
            for table in dict.fromkeys((*known_tables(), *view._root["tables"])):
                buckets, indexed = view._layout(table)
                rows = view._scan(table)
                if len(rows) != view.count(table):
                    problems.append(f"table {table}: {len(rows)} rows, the root counts {view.count(table)}")
                expected: dict[str, dict[str, set[str]]] = {f: {} for f in indexed}
                for b in range(buckets):
                    for row in (view._bucket(table, b).table.all()
                                if str(b) in root["tables"].get(table, {}).get("files", {}) else ()):
                        if bucket_of(row["id"], buckets) != b:
                            problems.append(f"table {table}: row {row['id']!r} is in partition {b}, "
                                            f"belongs in {bucket_of(row['id'], buckets)}")
                        for f in indexed:
                            if isinstance(row.get(f), (str, int)):
                                expected[f].setdefault(str(row[f]), set()).add(row["id"])
                for f in indexed:
                    name = view._index_name(table, f)
                    found: dict[str, set[str]] = {}
                    for b in range(INDEX_BUCKETS):
                        for value, ids in view._index(name, b).items():
                            found[value] = set(ids)
                    if found != expected[f]:
                        wrong = sorted(set(found) ^ set(expected[f]) |
                                       {v for v in found if v in expected[f] and found[v] != expected[f][v]})
                        problems.append(f"index {name}: disagrees with the rows for "
                                        f"{len(wrong)} value(s), e.g. {wrong[:3]}")
        return problems

    # ------------------------------------------------------------ commit
    def _commit(self, tx: Transaction) -> None:
        root = tx._root
        root.pop("_migrated", None)
        generation = root["generation"] + 1
        now = time.time()
        written: list[Path] = []
        # A bulk commit (a dunning run's few hundred letters, an import) writes hundreds of
        # partition files: one filesystem sync for all of them instead of an fsync each (each
        # fsync is a journal commit; hundreds of them were most of a month-end run's store time).
        parts = sum(1 for bucket in tx._buckets.values() if bucket.dirty) + len(tx._dirty_indexes)
        each = parts <= BULK_COMMIT_FILES
        sums = root.setdefault("sums", {})
        try:
            for (table, b), bucket in tx._buckets.items():
                if not bucket.dirty:
                    continue
                files = root["tables"][table]["files"]
                name = f"{table}/{b:03d}-g{generation:08d}.json"
                sums[name] = self._write_part(name, bucket.data, durable=each)
                written.append(self.data_dir / name)
                if str(b) in files:
                    root["retired"].append([files[str(b)], now])
                files[str(b)] = name
            for (index_name, b) in tx._dirty_indexes:
                iroot = root["indexes"].setdefault(index_name, {"buckets": INDEX_BUCKETS, "files": {}})
                name = f"_index/{index_name}/{b:03d}-g{generation:08d}.json"
                sums[name] = self._write_part(name, tx._indexes[(index_name, b)], durable=each)
                written.append(self.data_dir / name)
                if str(b) in iroot["files"]:
                    root["retired"].append([iroot["files"][str(b)], now])
                iroot["files"][str(b)] = name
            if not each:
                sync_filesystem(self.data_dir)
            for folder in {p.parent for p in written}:
                fsync_dir(folder)
            root["generation"] = generation
            live = set(_referenced(root))
            root["sums"] = {n: h for n, h in sums.items() if n in live}
            self._write_root(root)
        except OSError as exc:
            raise StoreError(f"could not write store {self.directory}: {exc}") from None

    def _write_part(self, name: str, data: dict, durable: bool = True) -> str:
        """Write a new partition file; returns its SHA-256 (the root records it)."""
        path = self.data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        raw = _dumps(data)
        with open(path, "wb") as fh:   # a new name: no reader can have it open yet
            os.chmod(path, 0o600)
            fh.write(raw)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        return sha256_bytes(raw)

    def _write_root(self, root: dict) -> None:
        try:
            # a random .formsmith.json.XXXXXXXX.tmp beside it (_collect_garbage removes a killed one's)
            write_atomic(self.path, _dumps(root), mode=0o600, suffix=".tmp")
        except OSError as exc:
            raise StoreError(f"could not write store {self.path}: {exc}") from None

    def _collect_garbage(self, root: dict) -> None:
        """Delete partition files no committed root refers to (lock held, so no writer is busy):
        leftovers of killed commits at once (they hold personal data), files replaced by a
        commit once RETIRE_GRACE_S has passed (readers of the older root may still need them)."""
        for path in self.directory.glob(f".{STORE_FILE}.*.tmp"):
            try:
                path.unlink()
            except OSError:
                pass
        if not self.data_dir.is_dir():
            return
        referenced = set(_referenced(root))
        retired = {name: at for name, at in root["retired"]}
        now = time.time()
        keep = []
        for path in self.data_dir.rglob("*.json"):
            name = path.relative_to(self.data_dir).as_posix()
            if name in referenced:
                continue
            at = retired.get(name)
            if at is not None and now - at < RETIRE_GRACE_S:
                keep.append([name, at])
                continue
            try:
                path.unlink()
            except OSError:
                pass
        root["retired"] = keep

    # ------------------------------------------------------------ reading files
    @contextmanager
    def _locked(self):
        try:
            self._lock.acquire()
        except Timeout:
            raise StoreError(f"store {self.directory} is busy (another formsmith holds the lock "
                             f"for more than {LOCK_TIMEOUT_S} s)") from None
        except OSError as exc:   # a read-only workspace: nothing can be written, say so once
            raise StoreError(f"store {self.directory}: 无法写入 (cannot write: "
                             f"{exc.strerror or exc}); nothing was changed") from None
        try:
            yield
        finally:
            self._lock.release()

    def _empty(self) -> dict:
        return {"formsmith_store": SCHEMA_VERSION, "generation": 0, "tables": {},
                "indexes": {}, "meta": {}, "retired": [], "sums": {}}

    def _read_root(self) -> dict:
        if not self.path.exists():
            raise StoreError(f"no store at {self.path} (run `formsmith init`)")
        try:
            root = json.loads(self.path.read_bytes())
        except (OSError, ValueError) as exc:
            raise StoreError(f"store {self.path} is unreadable: {exc}") from None
        if not isinstance(root, dict):
            raise StoreError(f"store {self.path} is not a formsmith store (unexpected structure)")
        if "formsmith_store" not in root and isinstance(root.get("_meta"), dict):
            return self._from_version_1(root)
        version = root.get("formsmith_store")
        if "formsmith_store" not in root or not isinstance(root.get("tables"), dict):
            raise StoreError(f"store {self.path} is not a formsmith store (unexpected structure)")
        if version != SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema version {version!r}; "
                             f"this formsmith reads version {SCHEMA_VERSION}")
        for key, default in (("indexes", {}), ("meta", {}), ("retired", []), ("sums", {})):
            root.setdefault(key, default)
        return root

    def _read_part(self, name: str, root: dict | None = None) -> dict:
        path = self.data_dir / name
        try:
            raw = path.read_bytes()
            expected = (root or {}).get("sums", {}).get(name)
            if expected is not None and sha256_bytes(raw) != expected:
                raise StoreError(f"store {self.directory}: partition {name} is damaged (its "
                                 f"SHA-256 differs from the one recorded when it was written); "
                                 f"restore from a backup")
            data = json.loads(raw)
        except FileNotFoundError:
            raise StoreError(f"store {self.directory}: partition {name} is missing (if another "
                             f"formsmith was writing for minutes meanwhile, run the command "
                             f"again; otherwise restore from a backup)") from None
        except (OSError, ValueError) as exc:
            raise StoreError(f"store {self.directory}: partition {name} is unreadable: {exc}") from None
        if not isinstance(data, dict):
            raise StoreError(f"store {self.directory}: partition {name} is not a formsmith partition")
        return data

    def _from_version_1(self, old: dict) -> dict:
        """A store written by formsmith 0.1 (one TinyDB file): converted in memory; the first
        transaction writes it in the current layout."""
        version = next((r.get("value") for r in old["_meta"].values()
                        if isinstance(r, dict) and r.get("key") == "schema_version"), None)
        if version != 1:
            raise StoreError(f"store {self.path} has schema version {version!r}; "
                             f"this formsmith reads version {SCHEMA_VERSION}")
        root = self._empty()
        tx = Transaction(self, root, writable=True)
        for table in TABLES:
            rows = old.get(table) or {}
            tx.insert_many(table, [rows[k] for k in sorted(rows, key=int)])
        for row in old["_meta"].values():
            if isinstance(row, dict) and row.get("key") != "schema_version":
                tx.set_meta(row["key"], row.get("value"))
        root["_migrated"] = tx
        return root
