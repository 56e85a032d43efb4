"""``db update``: download the feeds (conditionally), rebuild, swap atomically.

Feeds and their upstream addresses (each base replaceable by a mirror for air-gapped sites):
- ``osv``: ``<base>/<ecosystem>/all.zip`` per ecosystem (the OSV project's bucket layout);
- ``debian``: the security tracker JSON (a full URL);
- ``alpine``: ``<base>/<release>/<repo>.json`` (secdb);
- ``kev``: CISA's catalogue JSON; ``epss``: FIRST's ``epss_scores-current.csv.gz``.
Mirrors: ``--mirror NAME=URL`` or ``HULLCHECK_MIRROR_<NAME>``.

Each download goes to ``<db dir>/feeds/`` with its ETag and Last-Modified beside it; the next
update sends ``If-None-Match`` / ``If-Modified-Since`` and a 304 reuses the stored copy. When
every feed answers 304 and the database already holds exactly these feeds, nothing is rebuilt.
A download is written to a temporary file and renamed only when complete (and its length
matches ``Content-Length``); any failure raises ``AdvisoryDBError`` before the database is
touched, so the previous one keeps working.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from hullcheck import __version__
from hullcheck.advisories.importer import Importer, ImportReport
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.advisories.writer import StoreWriter
from hullcheck.errors import AdvisoryDBError, UsageError

DEFAULT_MIRRORS = {
    "osv": "https://osv-vulnerabilities.storage.googleapis.com",
    "debian": "https://security-tracker.debian.org/tracker/data/json",
    "alpine": "https://secdb.alpinelinux.org",
    "kev": "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
    "epss": "https://epss.cyentia.com/epss_scores-current.csv.gz",
}
SOURCES = tuple(DEFAULT_MIRRORS)
# Debian and Alpine come from their own feeds (the tracker has fix states, urgency and no-DSA
# notes that OSV's copies lack; both would produce the same DEBIAN-/ALPINE- ids). Add them to
# HULLCHECK_OSV_ECOSYSTEMS only with those feeds left out (--sources).
DEFAULT_OSV_ECOSYSTEMS = (
    "PyPI",
    "npm",
    "Go",
    "Maven",
    "crates.io",
    "RubyGems",
    "NuGet",
    "Packagist",
    "Hex",
    "Pub",
    "Ubuntu",
    "AlmaLinux",
    "Rocky Linux",
    "Red Hat",
    "SUSE",
    "openSUSE",
    "Wolfi",
    "Chainguard",
)
DEFAULT_ALPINE_RELEASES = ("v3.18", "v3.19", "v3.20", "v3.21", "v3.22", "edge")
ALPINE_REPOS = ("main", "community")
MAX_DOWNLOAD = 4 * 1024**3  # the largest OSV archive is well under 1 GiB

Progress = Callable[[str, int, int | None], None]  # feed name, bytes so far, total if known


@dataclass(frozen=True)
class Feed:
    name: str  # what the user sees: "osv:PyPI", "alpine:v3.20/main"
    label: str  # names the database source "<kind>:<label>": "osv:PyPI", "alpine-secdb:v3.20/main"
    url: str
    filename: str  # cache file; the extension tells the importer the format
    gunzip: bool = False


@dataclass(frozen=True)
class UpdateConfig:
    sources: tuple[str, ...] = SOURCES
    mirrors: dict[str, str] = field(default_factory=dict)
    osv_ecosystems: tuple[str, ...] = DEFAULT_OSV_ECOSYSTEMS
    alpine_releases: tuple[str, ...] = DEFAULT_ALPINE_RELEASES
    timeout: float = 60.0

    @classmethod
    def from_env(
        cls,
        *,
        sources: tuple[str, ...] | None = None,
        mirrors: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> UpdateConfig:
        """Settings from ``HULLCHECK_MIRROR_<NAME>``, ``HULLCHECK_OSV_ECOSYSTEMS`` and
        ``HULLCHECK_ALPINE_RELEASES`` (comma-separated); arguments override them."""
        env_mirrors = {
            k: v for k in SOURCES if (v := os.environ.get(f"HULLCHECK_MIRROR_{k.upper()}", ""))
        }
        eco = os.environ.get("HULLCHECK_OSV_ECOSYSTEMS")
        rel = os.environ.get("HULLCHECK_ALPINE_RELEASES")
        return cls(
            sources=sources or SOURCES,
            mirrors={**env_mirrors, **(mirrors or {})},
            osv_ecosystems=_split(eco) if eco else DEFAULT_OSV_ECOSYSTEMS,
            alpine_releases=_split(rel) if rel else DEFAULT_ALPINE_RELEASES,
            timeout=timeout,
        )


def _split(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def parse_mirrors(items: Iterable[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or name not in SOURCES or not url.startswith(("http://", "https://")):
            raise UsageError(
                f"invalid --mirror {item!r}: use NAME=URL with NAME one of {', '.join(SOURCES)}"
            )
        out[name] = url
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def feeds(cfg: UpdateConfig) -> list[Feed]:
    unknown = set(cfg.sources) - set(SOURCES)
    if unknown:
        raise UsageError(
            f"unknown source(s) {', '.join(sorted(unknown))}: use {', '.join(SOURCES)}"
        )
    base = {k: cfg.mirrors.get(k, v).rstrip("/") for k, v in DEFAULT_MIRRORS.items()}
    out: list[Feed] = []
    if "osv" in cfg.sources:
        for eco in cfg.osv_ecosystems:
            url = f"{base['osv']}/{urllib.parse.quote(eco)}/all.zip"
            out.append(Feed(f"osv:{eco}", eco, url, f"osv-{_safe(eco)}.zip"))
    if "debian" in cfg.sources:
        out.append(Feed("debian", "security-tracker", base["debian"], "debian-tracker.json"))
    if "alpine" in cfg.sources:
        for rel in cfg.alpine_releases:
            for repo in ALPINE_REPOS:
                url = f"{base['alpine']}/{rel}/{repo}.json"
                out.append(
                    Feed(
                        f"alpine:{rel}/{repo}",
                        f"{rel}/{repo}",
                        url,
                        f"alpine-{_safe(rel)}-{repo}.json",
                    )
                )
    if "kev" in cfg.sources:
        out.append(Feed("kev", "cisa", base["kev"], "kev.json"))
    if "epss" in cfg.sources:
        gz = base["epss"].endswith(".gz")
        out.append(Feed("epss", "first", base["epss"], "epss.csv", gunzip=gz))
    return out


@dataclass(frozen=True)
class Fetched:
    feed: Feed
    path: Path
    etag: str
    last_modified: str
    changed: bool


def _meta_path(p: Path) -> Path:
    return p.with_name(p.name + ".meta.json")


def _http_time_to_iso(value: str) -> str:
    try:
        return parsedate_to_datetime(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, IndexError):
        return ""


def fetch(
    client: httpx.Client, feed: Feed, cache: Path, progress: Progress | None = None
) -> Fetched:
    """Download ``feed`` into ``cache`` unless the stored copy is current."""
    dest = cache / feed.filename
    meta: dict[str, str] = {}
    if dest.is_file() and _meta_path(dest).is_file():
        with contextlib.suppress(OSError, ValueError):
            meta = json.loads(_meta_path(dest).read_text())
    headers = {}
    if meta.get("url") == feed.url:
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
    try:
        with client.stream("GET", feed.url, headers=headers) as resp:
            if resp.status_code == 304 and meta:
                return Fetched(
                    feed, dest, meta.get("etag", ""), meta.get("last_modified", ""), False
                )
            if resp.status_code != 200:
                raise AdvisoryDBError(f"{feed.name}: {feed.url} answered HTTP {resp.status_code}")
            total_hdr = resp.headers.get("Content-Length")
            total = int(total_hdr) if total_hdr and total_hdr.isascii() and total_hdr.isdigit() else None
            fd, tmp = tempfile.mkstemp(prefix=f".{feed.filename}.", suffix=".part", dir=cache)
            try:
                got = 0
                with os.fdopen(fd, "wb") as out:
                    for chunk in resp.iter_raw(1 << 20):
                        got += len(chunk)
                        if got > MAX_DOWNLOAD:
                            raise AdvisoryDBError(
                                f"{feed.name}: download exceeds {MAX_DOWNLOAD} bytes"
                            )
                        out.write(chunk)
                        if progress:
                            progress(feed.name, got, total)
                if total is not None and got != total:
                    raise AdvisoryDBError(
                        f"{feed.name}: download interrupted ({got} of {total} bytes)"
                    )
                if feed.gunzip or resp.headers.get("Content-Encoding") == "gzip":
                    _gunzip_in_place(Path(tmp), feed)
                os.replace(tmp, dest)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            etag = resp.headers.get("ETag", "")
            last_modified = resp.headers.get("Last-Modified", "")
    except httpx.HTTPError as e:
        raise AdvisoryDBError(f"{feed.name}: cannot download {feed.url}: {e}") from None
    _meta_path(dest).write_text(
        json.dumps({"url": feed.url, "etag": etag, "last_modified": last_modified})
    )
    return Fetched(feed, dest, etag, last_modified, True)


def _gunzip_in_place(path: Path, feed: Feed) -> None:
    plain = path.with_name(path.name + ".plain")
    try:
        with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(plain, path)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        with contextlib.suppress(OSError):
            plain.unlink()
        raise AdvisoryDBError(f"{feed.name}: the download is not valid gzip: {e}") from None


@dataclass
class UpdateReport:
    fetched: list[Fetched]
    rebuilt: bool
    imported: ImportReport | None = None


def _fingerprint(fetched: list[Fetched]) -> str:
    return json.dumps([[f.feed.url, f.etag, f.last_modified] for f in fetched])


def _db_matches(db_path: Path, fetched: list[Fetched]) -> bool:
    """True when the database was built from exactly these feeds at these versions."""
    if not db_path.is_file():
        return False
    try:
        with AdvisoryStore(db_path) as store:
            return store.meta("feeds") == _fingerprint(fetched)
    except AdvisoryDBError:
        return False


def update(
    db_path: Path,
    cfg: UpdateConfig,
    *,
    progress: Progress | None = None,
    force: bool = False,
    client: httpx.Client | None = None,
) -> UpdateReport:
    cache = db_path.parent / "feeds"
    cache.mkdir(parents=True, exist_ok=True)
    own = client is None
    http = client or httpx.Client(
        timeout=cfg.timeout,
        follow_redirects=True,
        headers={"User-Agent": f"hullcheck/{__version__}", "Accept-Encoding": "identity"},
    )
    try:
        fetched = [fetch(http, f, cache, progress) for f in feeds(cfg)]
    finally:
        if own:
            http.close()
    if not force and not any(f.changed for f in fetched) and _db_matches(db_path, fetched):
        return UpdateReport(fetched, rebuilt=False)
    with StoreWriter(db_path, seed=False) as w:
        imp = Importer(w)
        for f in fetched:
            imp.import_path(
                str(f.path),
                label=f.feed.label,
                url=f.feed.url,
                etag=f.etag,
                timestamp=_http_time_to_iso(f.last_modified),
            )
        report = imp.finish()
        w.set_meta("feeds", _fingerprint(fetched))
        w.commit()
    return UpdateReport(fetched, rebuilt=True, imported=report)
