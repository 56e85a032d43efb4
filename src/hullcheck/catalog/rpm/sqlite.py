"""rpmdb.sqlite (rpm >= 4.16): header blobs in the ``Packages`` table.

The database is opened from bytes with ``Connection.deserialize``: nothing is written to disk
and the image's file is never handed to SQLite by path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

MAX_ROWS = 200_000
_MAX_VM_STEPS = 50_000_000  # progress-handler budget: a hostile schema cannot loop forever
_HEADER = b"SQLite format 3\x00"


class SqliteDbError(ValueError):
    """A file that is not a usable rpm SQLite database."""


def iter_sqlite_blobs(data: bytes) -> Iterator[bytes]:
    """Every header blob of an rpmdb.sqlite, in ``hnum`` order."""
    if not data.startswith(_HEADER) or len(data) < 100:
        raise SqliteDbError("not an SQLite database")
    buf = bytearray(data)
    # rpm runs SQLite in WAL mode (header bytes 18/19 = 2), which an in-memory database cannot
    # open; marking it rollback-journal (1) reads the same pages. Committed transactions are in
    # the main file after rpm's checkpoint-on-close; a left-over -wal file is not read.
    if buf[18] == 2 and buf[19] == 2:
        buf[18] = buf[19] = 1
    conn = sqlite3.connect(":memory:")
    try:
        calls = [0]
        every = 100_000  # VM instructions between calls: cheap, yet bounds a runaway query

        def budget() -> int:
            calls[0] += 1
            return 1 if calls[0] > _MAX_VM_STEPS // every else 0

        conn.set_progress_handler(budget, every)
        try:
            conn.deserialize(bytes(buf))
            conn.execute("PRAGMA query_only = 1")
            conn.execute("PRAGMA trusted_schema = 0")
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Packages'"
            ).fetchone()
            if row is None:
                raise SqliteDbError("no Packages table")
            cur = conn.execute("SELECT blob FROM Packages ORDER BY hnum")
            n = 0
            while True:
                rows = cur.fetchmany(256)
                if not rows:
                    break
                for (blob,) in rows:
                    n += 1
                    if n > MAX_ROWS:
                        raise SqliteDbError(f"more than {MAX_ROWS} packages")
                    if isinstance(blob, bytes):
                        yield blob
        except sqlite3.Error as e:
            raise SqliteDbError(f"sqlite: {e}") from e
    finally:
        conn.close()
