"""Importing feeds from disk: walk the given paths, recognise each file, store its records.

Recognised by content, not by folder name: OSV records (``.json``, ``.yaml``/``.yml``, ``.jsonl``,
``all.zip``), the Debian security tracker JSON, Alpine/Wolfi/Chainguard secdb (JSON or YAML),
CISA KEV JSON and EPSS CSV. Anything else is ignored and listed (schemas, indexes, other
formats). A record that fails parsing or ``osv.check`` is skipped and counted as malformed, never
aborting the import; a file that cannot be parsed at all counts as one malformed record of the
path's OSV source. Sources are named ``<kind>:<absolute path>`` (``db update`` uses feed names
instead) and recorded in the store with their counts.
"""

from __future__ import annotations

import itertools
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hullcheck.advisories import alpine, debian, enrich, osv
from hullcheck.advisories.writer import StoreWriter

# The full Debian tracker JSON is the largest single file (tens of MiB); past this, refuse rather
# than let a parser hold many times the size in memory.
MAX_FILE_BYTES = 512 * 1024**2
MAX_PROBLEMS = 200  # problems kept per source for the report (all are counted)

Observer = Callable[[str], None]  # told each file as it is read (the CLI draws progress)


@dataclass
class SourceReport:
    name: str
    kind: str
    url: str
    files: int = 0
    records: int = 0  # stored (new or replacing an older copy)
    malformed: int = 0
    duplicates: int = 0  # same id seen again (the newer copy is kept)
    rows: int = 0  # KEV / EPSS rows
    newest_mtime: float = 0.0
    timestamp: str = ""  # the feed's own time when known (HTTP Last-Modified), else newest mtime
    etag: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)

    def problem(self, where: str, why: str) -> None:
        self.malformed += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((where, why))


@dataclass
class ImportReport:
    sources: dict[str, SourceReport] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(s.records for s in self.sources.values())

    @property
    def malformed(self) -> int:
        return sum(s.malformed for s in self.sources.values())

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in self.sources.values())


def iter_files(path: Path) -> Iterator[Path]:
    """Regular files under ``path`` in a stable order; hidden entries and symlinked dirs skipped."""
    if path.is_file():
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if not f.startswith("."):
                yield Path(root) / f


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Importer:
    """One import run into one ``StoreWriter``."""

    def __init__(self, writer: StoreWriter, observer: Observer | None = None) -> None:
        self.w = writer
        self.report = ImportReport()
        self.observer = observer
        self._label, self._url, self._etag, self._timestamp = "", "", "", ""

    def _source(self, kind: str, arg: str) -> SourceReport:
        name = f"{kind}:{self._label or Path(arg).resolve()}"
        s = self.report.sources.get(name)
        if s is None:
            url = self._url or Path(arg).resolve().as_uri()
            s = SourceReport(name, kind, url, timestamp=self._timestamp, etag=self._etag)
            self.report.sources[name] = s
        return s

    def import_path(
        self, arg: str, *, label: str = "", url: str = "", etag: str = "", timestamp: str = ""
    ) -> None:
        """Import a file or directory. ``label`` names its sources instead of the path (``db
        update`` uses the feed name), ``url``/``etag``/``timestamp`` describe where it came from."""
        root = Path(arg)
        if not root.exists():
            from hullcheck.errors import UsageError

            raise UsageError(f"no such file or directory: {arg}")
        self._label, self._url, self._etag, self._timestamp = label, url, etag, timestamp
        try:
            for f in iter_files(root):
                if self.observer:
                    self.observer(str(f))
                self._import_file(f, arg)
        finally:
            self._label, self._url, self._etag, self._timestamp = "", "", "", ""

    def _store(
        self, src: SourceReport, items: Iterable[tuple[str, object]], part: str = ""
    ) -> None:
        for origin, obj in items:
            if isinstance(obj, (osv.ParseError, str)):
                src.problem(origin, str(obj))
                continue
            why = osv.check(obj)
            if why:
                src.problem(origin, why)
                continue
            assert isinstance(obj, dict)
            # A savepoint per record: a record whose text SQLite cannot store (JSON may carry
            # lone surrogates, "\udcff") is skipped whole, never half-stored.
            db = self.w.db
            db.execute("SAVEPOINT record")
            try:
                status = self.w.add(osv.normalize(obj), source=src.name, origin=origin, part=part)
            except UnicodeEncodeError:
                db.execute("ROLLBACK TO record")
                db.execute("RELEASE record")
                src.problem(origin, "text that is not valid Unicode (a lone surrogate)")
                continue
            db.execute("RELEASE record")
            if status in ("replaced", "older"):
                src.duplicates += 1
            if status != "older":
                src.records += 1

    def _import_file(self, f: Path, arg: str) -> None:
        ext = f.name.lower().rsplit(".", 1)[-1] if "." in f.name else ""
        if ext not in ("json", "yaml", "yml", "jsonl", "zip", "csv"):
            self.report.ignored.append(str(f))
            return
        try:
            st = f.stat()
            if st.st_size > MAX_FILE_BYTES:
                self._source("osv", arg).problem(
                    str(f), f"file is {st.st_size} bytes, over the bound"
                )
                return
            mtime = st.st_mtime
            if ext == "zip":
                src = self._touch(self._source("osv", arg), mtime)
                try:
                    self._store(src, osv.iter_zip(str(f)))
                except (OSError, zipfile.BadZipFile) as e:
                    src.problem(str(f), f"unreadable zip archive: {e}")
                return
            data = f.read_bytes()
        except OSError as e:
            self._source("osv", arg).problem(str(f), f"unreadable: {e}")
            return
        origin = str(f)
        if ext == "csv":
            if not enrich.looks_like_epss(data[:200]):
                self.report.ignored.append(origin)
                return
            src = self._touch(self._source("epss", arg), mtime)
            parsed = enrich.parse_epss(data, origin)
            self._enrich(src, parsed, self.w.add_epss)
            return
        if ext == "jsonl":
            # The first parseable line decides whether this is a file of OSV records; the rest
            # streams through without holding every parsed line.
            lines = osv.iter_jsonl(data, origin)
            head = []
            for item in lines:
                head.append(item)
                if not isinstance(item[1], osv.ParseError):
                    break
            if not head or not osv.looks_like_osv(head[-1][1]):
                self.report.ignored.append(origin)
                return
            self._store(self._touch(self._source("osv", arg), mtime), itertools.chain(head, lines))
            return
        try:
            doc = osv.read_json_bytes(data) if ext == "json" else osv.read_yaml_bytes(data)
        except osv.ParseError as e:
            self._touch(self._source("osv", arg), mtime).problem(origin, str(e))
            return
        self._dispatch(doc, origin, arg, mtime)

    def _dispatch(self, doc: Any, origin: str, arg: str, mtime: float) -> None:
        if osv.looks_like_osv(doc):
            self._store(self._touch(self._source("osv", arg), mtime), [(origin, doc)])
        elif alpine.looks_like_secdb(doc):
            src = self._touch(self._source("alpine-secdb", arg), mtime)
            eco = alpine.ecosystem_of(doc) or ""
            part = f"{eco}/{doc.get('reponame', '')}"
            self._store(src, alpine.convert(doc, self._timestamp or _iso(mtime), origin), part=part)
        elif debian.looks_like_tracker(doc):
            src = self._touch(self._source("debian-tracker", arg), mtime)
            modified = self._timestamp or _iso(mtime)
            self._store(src, debian.convert(doc, modified, origin), part="debian-tracker")
        elif enrich.looks_like_kev(doc):
            src = self._touch(self._source("kev", arg), mtime)
            self._enrich(src, enrich.parse_kev(doc, origin), self.w.add_kev)
        else:
            self.report.ignored.append(origin)

    def _enrich(
        self, src: SourceReport, parsed: enrich.Parsed, sink: Callable[[Any, str], None]
    ) -> None:
        for where, why in parsed.malformed:
            src.problem(where, why)
        sink(parsed.rows, src.name)
        src.rows += len(parsed.rows)
        src.records += len(parsed.rows)

    @staticmethod
    def _touch(src: SourceReport, mtime: float) -> SourceReport:
        src.files += 1
        src.newest_mtime = max(src.newest_mtime, mtime)
        return src

    def finish(self) -> ImportReport:
        for s in self.report.sources.values():
            self.w.set_source(
                name=s.name,
                kind=s.kind,
                url=s.url,
                timestamp=s.timestamp or (_iso(s.newest_mtime) if s.newest_mtime else ""),
                etag=s.etag,
                files=s.files,
                records=s.records,
                malformed=s.malformed,
                duplicates=s.duplicates,
            )
        return self.report


def import_paths(
    paths: Iterable[str], db_path: Path, *, observer: Observer | None = None, fresh: bool = False
) -> ImportReport:
    """Import ``paths`` into the database at ``db_path`` (added to what is there unless ``fresh``),
    swapping the result in atomically. Nothing changes on disk if this raises."""
    with StoreWriter(db_path, seed=not fresh) as w:
        imp = Importer(w, observer)
        for p in paths:
            imp.import_path(p)
        report = imp.finish()
        w.commit()
    return report


def import_records(
    records: Iterable[Mapping[str, Any]],
    db_path: Path,
    *,
    source: str = "records",
    fresh: bool = True,
) -> ImportReport:
    """Build a database from OSV records already in memory (checked like any feed): the small
    fixture databases that matcher tests build from a handful of records."""
    with StoreWriter(db_path, seed=not fresh) as w:
        imp = Importer(w)
        src = imp.report.sources.setdefault(
            f"osv:{source}", SourceReport(f"osv:{source}", "osv", f"memory:{source}")
        )
        imp._store(src, ((f"{source}[{i}]", dict(r)) for i, r in enumerate(records)))
        report = imp.finish()
        w.commit()
    return report
