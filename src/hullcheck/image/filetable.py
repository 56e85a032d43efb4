"""The file records of a layer: a list in memory for ordinary images, a temporary database past
a threshold, so that memory does not grow with the number of files in an image.

- ``FileTable``: one layer's records in archive order (``append``/``extend``, ``__iter__``,
  ``__len__``). While the image's layers together hold at most ``Limits.spill_files`` records
  in memory (``HULLCHECK_SPILL_FILES``), a table is a plain list (``buffer``) and the hot loop
  of the tar reader only appends to it; past that, a table moves its records to the store by
  chunks and keeps at most one chunk in memory.
- ``SpillPolicy``: the budget shared by the layers of one image scan (layers are read in
  parallel threads) and the store they spill to, created on the first spill.
- ``SpillStore``: a SQLite database under ``cache_dir()/tmp``, unlinked as soon as it is
  opened: nothing is left on disk after the process, whatever happens (an error, a kill); the
  space is freed when the store is closed or garbage-collected. One connection, used under a
  lock by every thread: journal and fsync off (the data is scratch), temporary structures in
  memory (they stay small: every query walks an index, nothing is sorted), so nothing is
  written outside the cache directory.
- ``PathList``: a layer's whiteouts or opaque directories, a list that moves to the store with
  the layer's records (an image may delete as many files as it adds).

Rows are keyed by ``ord`` = table id << 40 | position in the layer (archive order), and indexed
by ``key``: the path's bytes with "/" replaced by NUL (tar paths never hold NUL), so that a
directory's whole subtree sorts right after the directory itself (see ``SpilledView``).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hullcheck.config import cache_dir
from hullcheck.errors import UsageError

# (path, kind, size, mode, uid, gid, linkname)
FileRecord = tuple[str, str, int, int, int, int, str]

CHUNK = 16384  # records moved to the store at a time, and the budget's granularity
SHIFT = 40  # ord = table id << SHIFT | position: positions stay below 2**40
_NEVER = sys.maxsize


def encode(s: str) -> bytes:
    """Paths and link targets as bytes: tar names that are not UTF-8 reach us as lone
    surrogates (``surrogateescape``), which SQLite's text type refuses. ``surrogatepass``
    keeps code-point order, so byte order in the database is Python's string order."""
    return s.encode("utf-8", "surrogatepass")


def decode(b: bytes) -> str:
    return b.decode("utf-8", "surrogatepass")


def key_path(key: bytes) -> str:
    """The path of a sort key: "/a/b" is stored as b"\\0a\\0b", "/" as b"\\0"."""
    return key.replace(b"\0", b"/").decode("utf-8", "surrogatepass")


class SpillStore:
    """The temporary database of spilled file records (and of views computed from them)."""

    def __init__(self, directory: Path | None = None) -> None:
        d = directory or cache_dir() / "tmp"
        self.directory = d
        try:
            d.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=d, prefix="files-", suffix=".db")
            os.close(fd)
            try:
                conn = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
            finally:
                os.unlink(name)  # the open connection keeps the data; nothing outlives the process
        except (OSError, sqlite3.Error) as e:
            raise UsageError(f"cannot create a temporary file database under {d} (HULLCHECK_CACHE_DIR): {e}") from None
        try:
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=MEMORY", "cache_size=-8192"):
                conn.execute(f"PRAGMA {pragma}")
            conn.execute(
                "CREATE TABLE rec (ord INTEGER PRIMARY KEY, key BLOB NOT NULL, kind TEXT NOT NULL,"
                " size INTEGER, mode INTEGER, uid INTEGER, gid INTEGER, link BLOB)"
            )
            conn.execute("CREATE INDEX rec_key ON rec (key, kind)")
            # whiteouts (kind "w") and opaque directories ("o") of the tables
            conn.execute("CREATE TABLE mark (tid INTEGER NOT NULL, kind TEXT NOT NULL, key BLOB NOT NULL)")
            conn.execute("CREATE INDEX mark_table ON mark (tid, kind)")
            conn.execute("CREATE INDEX mark_key ON mark (key, kind, tid)")
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self.lock = threading.RLock()
        self._used: set[int] = set()
        self._views = itertools.count(1)
        self._closer = weakref.finalize(self, conn.close)

    def new_id(self, preferred: int | None = None) -> int:
        """A table id: ``preferred`` (a layer's index + 1, so that ids follow the layer order
        and the view compares entries by ``ord`` alone) unless taken, else the next free one."""
        with self.lock:
            i = preferred if preferred is not None and preferred > 0 and preferred not in self._used else 1
            while i in self._used:
                i += 1
            if i >= 1 << (63 - SHIFT):
                raise ValueError("too many file tables in one store")
            self._used.add(i)
            return i

    def new_view(self) -> int:
        with self.lock:
            return next(self._views)

    def insert(self, table_id: int, start: int, records: list[FileRecord]) -> None:
        base = table_id << SHIFT | start
        rows = (  # the key ("/" as NUL) and encode, inlined: this runs for every record of a big image
            (base + i, r[0].encode("utf-8", "surrogatepass").replace(b"/", b"\0"), r[1], r[2], r[3], r[4], r[5],
             r[6].encode("utf-8", "surrogatepass"))
            for i, r in enumerate(records)
        )
        with self.lock:
            self.insert_rows("INSERT INTO rec VALUES (?,?,?,?,?,?,?,?)", rows)

    def insert_marks(self, table_id: int, kind: str, paths: list[str]) -> None:
        rows = ((table_id, kind, p.encode("utf-8", "surrogatepass").replace(b"/", b"\0")) for p in paths)
        with self.lock:
            self.insert_rows("INSERT INTO mark VALUES (?,?,?)", rows)

    def marks(self, table_id: int, kind: str) -> Iterator[str]:
        """A table's marks of one kind, in the order they were added, a chunk at a time."""
        last = 0
        while True:
            with self.lock:
                rows = self.conn.execute(
                    "SELECT rowid, key FROM mark WHERE tid = ? AND kind = ? AND rowid > ? ORDER BY rowid LIMIT ?",
                    (table_id, kind, last, CHUNK),
                ).fetchall()
            yield from [k.replace(b"\0", b"/").decode("utf-8", "surrogatepass") for _r, k in rows]
            if len(rows) < CHUNK:
                return
            last = rows[-1][0]

    def insert_rows(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        """One transaction: in autocommit mode, each row would be one (ten times slower)."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            conn.executemany(sql, rows)
        except BaseException as e:
            conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.OperationalError):  # the disk is full, most likely
                raise UsageError(f"temporary file database under {self.directory}: {e}") from None
            raise
        conn.execute("COMMIT")

    def records(self, table_id: int) -> Iterator[FileRecord]:
        """A table's records in archive order, fetched a chunk at a time (the lock is not held
        between chunks: other layers may be spilling meanwhile)."""
        lo, hi = table_id << SHIFT, (table_id + 1) << SHIFT
        while True:
            with self.lock:
                rows = self.conn.execute(
                    "SELECT ord, key, kind, size, mode, uid, gid, link FROM rec"
                    " WHERE ord >= ? AND ord < ? ORDER BY ord LIMIT ?",
                    (lo, hi, CHUNK),
                ).fetchall()
            # one comprehension per chunk: a generator step per record costs more than the decoding
            yield from [
                (k.replace(b"\0", b"/").decode("utf-8", "surrogatepass"), kind, size, mode, uid, gid,
                 link.decode("utf-8", "surrogatepass") if link else "")
                for _o, k, kind, size, mode, uid, gid, link in rows
            ]
            if len(rows) < CHUNK:
                return
            lo = rows[-1][0] + 1

    def close(self) -> None:
        self._closer()

    @property
    def closed(self) -> bool:
        return not self._closer.alive


def row_record(row: tuple[Any, ...]) -> FileRecord:
    """A ``rec`` row (ord, key, kind, size, mode, uid, gid, link) as a file record."""
    return (key_path(row[1]), row[2], row[3], row[4], row[5], row[6], decode(row[7]))


class SpillPolicy:
    """When the layers of one image scan move their records to disk, and where."""

    def __init__(self, threshold: int, directory: Path | None = None) -> None:
        self.threshold = threshold
        self._directory = directory
        self._held = 0  # records the tables of this scan hold in memory, counted by chunks
        self._store: SpillStore | None = None
        self._lock = threading.Lock()

    def note(self, delta: int) -> bool:
        """Count ``delta`` more records held in memory; True when the budget is exceeded."""
        with self._lock:
            self._held += delta
            return self._held > self.threshold

    def store(self) -> SpillStore:
        with self._lock:
            if self._store is None:
                self._store = SpillStore(self._directory)
            return self._store

    @property
    def spilled(self) -> bool:
        return self._store is not None


class FileTable:
    """One layer's file records in archive order, in memory or (past the budget) on disk.

    ``buffer`` is the list of records not in the store (all of them while nothing spilled); the
    tar reader appends to it directly and calls ``check`` when its length reaches ``check_at``.
    """

    __slots__ = ("__weakref__", "_id", "_noted", "_order", "_policy", "_spilled", "_store", "buffer", "check_at",
                 "marks")

    def __init__(
        self, records: Iterable[FileRecord] = (), policy: SpillPolicy | None = None, order: int | None = None
    ) -> None:
        """``order``: the layer's index, if known (see ``SpillStore.new_id``)."""
        self.buffer: list[FileRecord] = list(records)
        self._policy = policy
        self._order = order
        self._store: SpillStore | None = None
        self._id = 0
        self._spilled = 0  # records in the store
        self._noted = 0  # of the buffer (and marks), counted in the policy's budget
        self.check_at = _NEVER if policy is None else CHUNK
        self.marks: tuple[PathList, ...] = ()  # the layer's whiteouts and opaque dirs (LayerScan)
        if self.buffer:
            self.check()

    # -- filling -------------------------------------------------------------------------
    def append(self, rec: FileRecord) -> None:
        self.buffer.append(rec)
        if len(self.buffer) >= self.check_at:
            self.check()

    def extend(self, recs: Iterable[FileRecord]) -> None:
        for rec in recs:
            self.buffer.append(rec)
            if len(self.buffer) >= self.check_at:
                self.check()

    def check(self) -> int:
        """Count the new records in the budget and spill if it is exceeded (or this table
        spilled already); returns the buffer length at which to call again."""
        policy = self._policy
        if policy is None:
            self.check_at = _NEVER
            return _NEVER
        n = len(self.buffer) + sum(len(m.buffer) for m in self.marks)
        over = policy.note(n - self._noted)
        self._noted = n
        if over or self._store is not None:
            self.spill(policy.store())
        self.check_at = len(self.buffer) + CHUNK
        return self.check_at

    def finish(self) -> None:
        """The layer is complete: settle the budget for the last records."""
        if self._policy is not None and (self.buffer or any(m.buffer for m in self.marks)):
            self.check()

    def spill(self, store: SpillStore) -> None:
        """Move the records held in memory to ``store`` (they are appended after those already
        there; a table spills to one store only)."""
        if self._store is None:
            self._store = store
            self._id = store.new_id(None if self._order is None else self._order + 1)
        elif self._store is not store:
            raise ValueError("a file table spills to one store only")
        if self.buffer:
            self._store.insert(self._id, self._spilled, self.buffer)
            self._spilled += len(self.buffer)
            self.buffer.clear()  # the same list: the tar reader holds it
        for m in self.marks:
            m.spill(self._store, self._id)
        if self._policy is not None and self._noted:
            self._policy.note(-self._noted)
        self._noted = 0

    # -- reading -------------------------------------------------------------------------
    @property
    def spilled(self) -> bool:
        return self._store is not None

    @property
    def store(self) -> SpillStore | None:
        return self._store

    @property
    def table_id(self) -> int:
        return self._id

    def __len__(self) -> int:
        return self._spilled + len(self.buffer)

    def __iter__(self) -> Iterator[FileRecord]:
        if self._store is None:
            return iter(self.buffer)
        return self._iter_spilled(self._store)

    def _iter_spilled(self, store: SpillStore) -> Iterator[FileRecord]:
        # the records in the store, then those appended since the last spill
        yield from itertools.islice(store.records(self._id), self._spilled)
        yield from self.buffer

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FileTable | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        where = "spilled" if self._store is not None else "in memory"
        return f"<FileTable {len(self)} records, {where}>"


class PathList:
    """A layer's whiteouts (``kind`` "w") or opaque directories ("o"): a list, or (once the
    layer's ``FileTable`` spilled) rows of the store followed by the paths added since."""

    __slots__ = ("_id", "_spilled", "_store", "_table", "buffer", "kind")

    def __init__(self, paths: Iterable[str] = (), kind: str = "w") -> None:
        self.buffer: list[str] = list(paths)
        self.kind = kind
        self._table: weakref.ref[FileTable] | None = None
        self._store: SpillStore | None = None
        self._id = 0
        self._spilled = 0

    @property
    def table(self) -> FileTable | None:
        """The layer's table, whose budget counts these paths and which spills them (a weak
        reference: the table holds this list, and a cycle would keep the store open until the
        garbage collector runs)."""
        return self._table() if self._table is not None else None

    @table.setter
    def table(self, t: FileTable | None) -> None:
        self._table = weakref.ref(t) if t is not None else None

    def append(self, path: str) -> None:
        self.buffer.append(path)
        if self._table is not None and len(self.buffer) % CHUNK == 0:
            t = self._table()
            if t is not None:
                t.check()

    def extend(self, paths: Iterable[str]) -> None:
        for p in paths:
            self.append(p)

    def spill(self, store: SpillStore, table_id: int) -> None:
        self._store, self._id = store, table_id
        if self.buffer:
            store.insert_marks(table_id, self.kind, self.buffer)
            self._spilled += len(self.buffer)
            self.buffer.clear()

    @property
    def spilled(self) -> bool:
        return self._store is not None

    def __len__(self) -> int:
        return self._spilled + len(self.buffer)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[str]:
        if self._store is None:
            return iter(self.buffer)
        return itertools.chain(itertools.islice(self._store.marks(self._id, self.kind), self._spilled), self.buffer)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PathList | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<PathList {self.kind} {len(self)} paths>"


def spill_all(tables: Iterable[FileTable], store: SpillStore | None = None) -> SpillStore:
    """Move every table to one store (that of a table already spilled, else ``store`` or a new
    one) and return it: a view over spilled layers reads them all from one database."""
    tables = list(tables)
    target = store or next((t.store for t in tables if t.store is not None), None) or SpillStore()
    for t in tables:
        if t.store is not None and t.store is not target:
            raise ValueError("file tables spilled to different stores")
        t.spill(target)
    return target

