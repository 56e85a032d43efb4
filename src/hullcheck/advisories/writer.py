"""Building the store: into a temporary file next to the target, then one atomic ``os.replace``.

A failed or interrupted build leaves the previous database untouched (the temporary file is
removed). ``StoreWriter(target, seed=True)`` starts from a copy of the current database, so
``db import`` adds to what is there; ``seed=False`` builds from nothing (``db update``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hullcheck.advisories.aliases import alias_groups
from hullcheck.advisories.names import base_ecosystem, normalize_name
from hullcheck.advisories.severity import scored_severities
from hullcheck.advisories.store import SCHEMA, SCHEMA_VERSION, AdvisoryStore, connect_readonly
from hullcheck.errors import AdvisoryDBError


def _dumps(v: object) -> str:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def _time_key(s: str) -> tuple[int, datetime | str]:
    """Order RFC 3339 times by instant (text order fails on ``.03903Z`` vs ``.039030Z``)."""
    try:
        t = datetime.fromisoformat(s.replace("Z", "+00:00"))
        return (1, t if t.tzinfo else t.replace(tzinfo=UTC))
    except ValueError:
        return (0, s)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class StoreWriter:
    def __init__(self, target: Path, *, seed: bool = True) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self._done = False
        try:
            if seed and target.is_file():
                try:  # refuse to build on a corrupt or foreign file
                    AdvisoryStore(target).close()
                except AdvisoryDBError as e:
                    raise AdvisoryDBError(f"{e.message}; to start a new one use --fresh") from None
                src = connect_readonly(target)
                dst = sqlite3.connect(self.tmp)
                src.backup(dst)
                src.close()
                dst.close()
                self.db = sqlite3.connect(self.tmp, isolation_level=None)
            else:
                self.db = sqlite3.connect(self.tmp, isolation_level=None)
                self.db.executescript(SCHEMA)
                self.db.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            self.db.execute("PRAGMA journal_mode = OFF")
            self.db.execute("PRAGMA synchronous = OFF")
            self.db.execute("PRAGMA cache_size = -65536")
            self.db.execute("BEGIN")
            self._seq = int(
                self.db.execute("SELECT coalesce(max(seq), 0) FROM affected").fetchone()[0]
            )
        except BaseException:
            self.abort()
            raise

    # -- records ---------------------------------------------------------------------------------

    def add(self, rec: Mapping[str, Any], *, source: str, origin: str, part: str = "") -> str:
        """Store one checked OSV record. Returns "new", "replaced", "older" (kept the stored one)
        or, with a ``part``, "merged".

        ``part`` = "": the record replaces any stored record with the same id unless the stored
        one is newer (``modified``). ``part`` = a name (distro conversions, e.g.
        ``Alpine:v3.20/main``): the record's affected entries replace only the entries of that
        part, so one vulnerability gathers entries from several per-release files.
        """
        rid = rec["id"]
        db = self.db
        row = db.execute("SELECT modified, aliases FROM advisories WHERE id = ?", (rid,)).fetchone()
        status = "new"
        aliases = list(dict.fromkeys(rec.get("aliases") or []))
        if row is not None:
            status = "merged" if part else "replaced"
            if part:
                aliases = list(dict.fromkeys([*json.loads(row[1]), *aliases]))
                db.execute("DELETE FROM affected WHERE advisory_id = ? AND part = ?", (rid, part))
            else:
                if _time_key(row[0]) > _time_key(rec["modified"]):
                    return "older"
                db.execute("DELETE FROM affected WHERE advisory_id = ?", (rid,))
        withdrawn = rec.get("withdrawn") or None
        db.execute(
            "INSERT OR REPLACE INTO advisories VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                rid,
                rec["modified"],
                rec.get("published"),
                withdrawn,
                rec.get("summary"),
                rec.get("details"),
                _dumps(aliases),
                _dumps(rec.get("related") or []),
                _dumps(rec.get("upstream") or []),
                _dumps([s.to_json() for s in scored_severities(rec)]),
                _dumps(rec.get("references") or []),
                _dumps(rec.get("database_specific") or {}),
                source,
                origin,
            ),
        )
        rows = []
        for a in rec.get("affected") or ():
            pkg = a.get("package")
            # an entry without a package (GIT ranges only) is kept for get(); no lookup finds it
            eco, name = (pkg["ecosystem"], pkg["name"]) if pkg else ("", "")
            self._seq += 1
            rows.append(
                (
                    eco,
                    normalize_name(eco, name),
                    rid,
                    self._seq,
                    base_ecosystem(eco),
                    name,
                    part,
                    1 if withdrawn else 0,
                    source,
                    _dumps(a),
                )
            )
        db.executemany("INSERT INTO affected VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        return status

    def set_source(
        self,
        *,
        name: str,
        kind: str,
        url: str,
        timestamp: str,
        etag: str = "",
        files: int,
        records: int,
        malformed: int,
        duplicates: int,
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sources VALUES (?,?,?,?,?,?,?,?,?,?)",
            (name, kind, url, timestamp, etag, now_iso(), files, records, malformed, duplicates),
        )

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def add_kev(self, rows: list[tuple[str, str, str, str, str]], source: str) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO kev VALUES (?,?,?,?,?,?)", [(*r, source) for r in rows]
        )

    def add_epss(self, rows: list[tuple[str, float, float, str]], source: str) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO epss VALUES (?,?,?,?,?)", [(*r, source) for r in rows]
        )

    # -- finishing -------------------------------------------------------------------------------

    def _rebuild_alias_groups(self) -> None:
        db = self.db
        groups = alias_groups(
            (r[0], json.loads(r[1])) for r in db.execute("SELECT id, aliases FROM advisories")
        )
        db.execute("DELETE FROM alias_groups")
        db.executemany("INSERT INTO alias_groups VALUES (?, ?)", groups.items())

    def commit(self) -> None:
        """Finish the build and swap it in; the old database stays until the rename."""
        try:
            self._rebuild_alias_groups()
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('built_at', ?)", (now_iso(),))
            self.db.execute("COMMIT")
            self.db.execute("ANALYZE")
            pages = self.db.execute("PRAGMA page_count").fetchone()[0]
            free = self.db.execute("PRAGMA freelist_count").fetchone()[0]
            if free * 10 > pages:  # replaced duplicates left holes worth giving back
                self.db.execute("VACUUM")
            self.db.close()
            with open(self.tmp, "rb+") as f:
                os.fsync(f.fileno())
            AdvisoryStore(self.tmp).close()  # what we swap in must open
            os.replace(self.tmp, self.target)
            with contextlib.suppress(OSError):
                dfd = os.open(self.target.parent, os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
            self._done = True
        except sqlite3.Error as e:
            self.abort()
            raise AdvisoryDBError(
                f"could not write the advisory database {self.target}: {e}"
            ) from None
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        with contextlib.suppress(Exception):
            self.db.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None:
            self.abort()
