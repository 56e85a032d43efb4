"""The advisory store: one schema-versioned SQLite file, read-only at scan time.

Tables: ``meta`` (schema_version, built_at), ``sources`` (per feed: url, timestamp, etag, counts),
``advisories`` (one OSV record each, JSON columns for lists), ``affected`` (one row per OSV
affected entry, clustered by (ecosystem, normalised name) so a lookup is one b-tree range scan),
``alias_groups`` (id -> group representative), ``kev`` and ``epss`` (enrichment).

Writing happens only in ``writer.StoreWriter``, into a temporary file swapped in atomically.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import urllib.parse
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hullcheck.advisories.names import normalize_name
from hullcheck.advisories.records import Advisory, AffectedRecord, SeverityScore
from hullcheck.config import cache_dir
from hullcheck.errors import AdvisoryDBError, UsageError

SCHEMA_VERSION = 1
DEFAULT_MAX_AGE = timedelta(days=3)

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, url TEXT NOT NULL, timestamp TEXT, etag TEXT,
    imported_at TEXT NOT NULL, files INTEGER NOT NULL, records INTEGER NOT NULL,
    malformed INTEGER NOT NULL, duplicates INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE advisories (
    id TEXT PRIMARY KEY, modified TEXT NOT NULL, published TEXT, withdrawn TEXT, summary TEXT,
    details TEXT, aliases TEXT NOT NULL, related TEXT NOT NULL, upstream TEXT NOT NULL,
    severity TEXT NOT NULL, refs TEXT NOT NULL, database_specific TEXT NOT NULL,
    source TEXT NOT NULL, origin TEXT NOT NULL
);
CREATE TABLE affected (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, advisory_id TEXT NOT NULL, seq INTEGER NOT NULL,
    base_ecosystem TEXT NOT NULL, package TEXT NOT NULL, part TEXT NOT NULL,
    withdrawn INTEGER NOT NULL, source TEXT NOT NULL, entry TEXT NOT NULL
);
CREATE INDEX affected_by_package ON affected (ecosystem, name);
CREATE INDEX affected_by_advisory ON affected (advisory_id, part);
CREATE INDEX affected_by_base ON affected (base_ecosystem, name);
CREATE TABLE alias_groups (id TEXT PRIMARY KEY, group_id TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX alias_groups_by_group ON alias_groups (group_id);
CREATE TABLE kev (
    cve TEXT PRIMARY KEY, date_added TEXT, due_date TEXT, ransomware TEXT, name TEXT,
    source TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE epss (
    cve TEXT PRIMARY KEY, epss REAL NOT NULL, percentile REAL NOT NULL, score_date TEXT,
    source TEXT NOT NULL
) WITHOUT ROWID;
"""


def default_db_path() -> Path:
    """``HULLCHECK_DB`` or ``<cache>/db/advisories.db``."""
    env = os.environ.get("HULLCHECK_DB")
    return Path(env) if env else cache_dir() / "db" / "advisories.db"


_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


def parse_age(text: str) -> timedelta:
    """``3d``, ``72h``, ``90m``, ``3600`` (seconds), ``1w``."""
    m = _AGE.match(text)
    if not m:
        raise UsageError(f"invalid age {text!r}: use a number with s, m, h, d or w (e.g. 3d)")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m.group(2)]
    return timedelta(seconds=float(m.group(1)) * unit)


def max_age_from_env() -> timedelta:
    raw = os.environ.get("HULLCHECK_DB_MAX_AGE")
    return parse_age(raw) if raw else DEFAULT_MAX_AGE


def _parse_time(s: str | None) -> datetime | None:
    if not s:
        return None
    try:
        t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SourceStatus:
    name: str
    kind: str
    url: str
    timestamp: str  # the feed's own time: Last-Modified of a download, mtime of a local file
    etag: str
    imported_at: str
    files: int
    records: int
    malformed: int
    duplicates: int

    def age(self, now: datetime | None = None) -> timedelta | None:
        t = _parse_time(self.timestamp) or _parse_time(self.imported_at)
        return ((now or datetime.now(UTC)) - t) if t else None


@dataclass(frozen=True)
class DBStatus:
    path: str
    schema_version: int
    built_at: str
    advisories: int
    affected: int
    alias_groups: int
    kev: int
    epss: int
    size_bytes: int
    sources: tuple[SourceStatus, ...] = field(default=())

    def stale_sources(self, max_age: timedelta, now: datetime | None = None) -> list[SourceStatus]:
        out = []
        for s in self.sources:
            age = s.age(now)
            if age is not None and age > max_age:
                out.append(s)
        return out

    def staleness_warning(self, max_age: timedelta, now: datetime | None = None) -> str | None:
        """One line for the user when some feed is older than ``max_age``, else None."""
        stale = self.stale_sources(max_age, now)
        if not stale:
            return None
        oldest = max(stale, key=lambda s: s.age(now) or timedelta(0))
        days = (oldest.age(now) or timedelta(0)).total_seconds() / 86400
        return (
            f"advisory data is older than {_fmt_age(max_age)}: {len(stale)} source(s), oldest "
            f"{oldest.name} ({days:.1f} days); run 'hullcheck db update' or import fresh feeds"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "schema_version": self.schema_version,
            "built_at": self.built_at,
            "advisories": self.advisories,
            "affected": self.affected,
            "alias_groups": self.alias_groups,
            "kev": self.kev,
            "epss": self.epss,
            "size_bytes": self.size_bytes,
            "sources": [s.__dict__ for s in self.sources],
        }


def _fmt_age(td: timedelta) -> str:
    secs = td.total_seconds()
    if secs % 86400 == 0:
        return f"{int(secs // 86400)} days"
    if secs % 3600 == 0:
        return f"{int(secs // 3600)} hours"
    return f"{int(secs)} seconds"


def connect_readonly(path: Path, check_same_thread: bool = True) -> sqlite3.Connection:
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    return sqlite3.connect(uri, uri=True, check_same_thread=check_same_thread, cached_statements=64)


_LOOKUP_SQL = (
    "SELECT advisory_id, ecosystem, package, entry, source FROM affected "
    "WHERE ecosystem = ? AND name = ? AND withdrawn = 0"
)
_LOOKUP_ALL_SQL = (
    "SELECT advisory_id, ecosystem, package, entry, source FROM affected "
    "WHERE ecosystem = ? AND name = ?"
)
_LOOKUP_BASE_SQL = (
    "SELECT advisory_id, ecosystem, package, entry, source FROM affected "
    "WHERE base_ecosystem = ? AND name = ? AND withdrawn = 0"
)


class AdvisoryStore:
    """Read access to a built database. Open it with ``AdvisoryStore.open()``."""

    CACHE_SIZE = 4096

    def __init__(self, path: Path, *, check_same_thread: bool = True) -> None:
        self.path = path
        if not path.is_file():
            raise AdvisoryDBError(
                f"no advisory database at {path}: "
                "run 'hullcheck db update' or 'hullcheck db import PATH'"
            )
        try:
            self._db = connect_readonly(path, check_same_thread)
            rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as e:
            raise AdvisoryDBError(
                f"advisory database {path} is unreadable or corrupt: {e}"
            ) from None
        version = rows.get("schema_version")
        if version != str(SCHEMA_VERSION):
            self._db.close()
            raise AdvisoryDBError(
                f"advisory database {path} has schema version {version}, this hullcheck reads "
                f"{SCHEMA_VERSION}: rebuild it with 'hullcheck db update' or 'hullcheck db import'"
            )
        self.built_at = rows.get("built_at", "")
        self._meta = rows
        self._cache: OrderedDict[tuple[str, str, bool], tuple[AffectedRecord, ...]] = OrderedDict()

    @classmethod
    def open(
        cls, path: Path | str | None = None, *, check_same_thread: bool = True
    ) -> AdvisoryStore:
        return cls(Path(path) if path else default_db_path(), check_same_thread=check_same_thread)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AdvisoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def meta(self, key: str) -> str | None:
        return self._meta.get(key)

    # -- lookups ---------------------------------------------------------------------------------

    def lookup(
        self, ecosystem: str, name: str, *, include_withdrawn: bool = False
    ) -> list[AffectedRecord]:
        """Affected entries for one package of one ecosystem (``Debian:12``, ``PyPI``), the name
        normalised as that ecosystem's registry compares names. Withdrawn advisories are left out
        unless asked for."""
        key = (ecosystem, normalize_name(ecosystem, name), include_withdrawn)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
        else:
            sql = _LOOKUP_ALL_SQL if include_withdrawn else _LOOKUP_SQL
            rows = self._db.execute(sql, key[:2]).fetchall()
            hit = tuple(AffectedRecord(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows)
            self._cache[key] = hit
            if len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
        return list(hit)

    def lookup_base(self, base_ecosystem: str, name: str) -> list[AffectedRecord]:
        """Every release of a distro at once (``Debian``, ``openssl``), e.g. for reports."""
        rows = self._db.execute(
            _LOOKUP_BASE_SQL, (base_ecosystem, normalize_name(base_ecosystem, name))
        )
        return [AffectedRecord(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    def get(self, advisory_id: str) -> Advisory | None:
        row = self._db.execute(
            "SELECT id, modified, published, withdrawn, summary, details, aliases, related,"
            " upstream, severity, refs, database_specific, source, origin"
            " FROM advisories WHERE id = ?",
            (advisory_id,),
        ).fetchone()
        if row is None:
            return None
        aff = self._db.execute(
            "SELECT advisory_id, ecosystem, package, entry, source FROM affected"
            " WHERE advisory_id = ? ORDER BY seq",
            (advisory_id,),
        ).fetchall()
        return Advisory(
            id=row[0],
            modified=row[1],
            published=row[2] or "",
            withdrawn=row[3] or "",
            summary=row[4] or "",
            details=row[5] or "",
            aliases=tuple(json.loads(row[6])),
            related=tuple(json.loads(row[7])),
            upstream=tuple(json.loads(row[8])),
            severity=tuple(SeverityScore.from_json(s) for s in json.loads(row[9])),
            references=tuple(json.loads(row[10])),
            database_specific=json.loads(row[11]),
            affected=tuple(AffectedRecord(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in aff),
            source=row[12],
            origin=row[13],
            group=self.group_id(row[0]),
        )

    def ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM advisories ORDER BY id")]

    def group_id(self, vuln_id: str) -> str:
        """The representative of ``vuln_id``'s alias group (itself when it has no aliases)."""
        row = self._db.execute(
            "SELECT group_id FROM alias_groups WHERE id = ?", (vuln_id,)
        ).fetchone()
        return row[0] if row else vuln_id

    def group(self, vuln_id: str) -> tuple[str, ...]:
        """Every id known to be the same vulnerability as ``vuln_id`` (sorted, includes it)."""
        gid = self.group_id(vuln_id)
        ids = {
            r[0] for r in self._db.execute("SELECT id FROM alias_groups WHERE group_id = ?", (gid,))
        }
        ids.add(vuln_id)
        return tuple(sorted(ids))

    def kev(self, cve: str) -> Mapping[str, Any] | None:
        row = self._db.execute(
            "SELECT cve, date_added, due_date, ransomware, name, source FROM kev WHERE cve = ?",
            (cve,),
        ).fetchone()
        if row is None:
            return None
        keys = ("cve", "date_added", "due_date", "ransomware", "name", "source")
        return dict(zip(keys, row, strict=True))

    def epss(self, cve: str) -> tuple[float, float] | None:
        row = self._db.execute("SELECT epss, percentile FROM epss WHERE cve = ?", (cve,)).fetchone()
        return (row[0], row[1]) if row else None

    # -- status ----------------------------------------------------------------------------------

    def status(self) -> DBStatus:
        def count(table: str) -> int:
            return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

        srcs = tuple(
            SourceStatus(*r)
            for r in self._db.execute(
                "SELECT name, kind, url, coalesce(timestamp, ''), coalesce(etag, ''), imported_at,"
                " files, records, malformed, duplicates FROM sources ORDER BY name"
            )
        )
        groups = int(
            self._db.execute("SELECT count(DISTINCT group_id) FROM alias_groups").fetchone()[0]
        )
        return DBStatus(
            path=str(self.path),
            schema_version=SCHEMA_VERSION,
            built_at=self.built_at,
            advisories=count("advisories"),
            affected=count("affected"),
            alias_groups=groups,
            kev=count("kev"),
            epss=count("epss"),
            size_bytes=self.path.stat().st_size,
            sources=srcs,
        )
