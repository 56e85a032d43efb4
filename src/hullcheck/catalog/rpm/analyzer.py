"""The rpm database analyzer: picks the storage backend, parses headers, builds packages."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from hullcheck.catalog.interface import Artifact, FileInput, Interest, OwnedFiles
from hullcheck.catalog.purl import build_purl
from hullcheck.catalog.rpm.bdb import BdbError, iter_bdb_values
from hullcheck.catalog.rpm.header import HeaderError, RpmHeader, read_header, split_source_rpm
from hullcheck.catalog.rpm.ndb import NdbError, iter_ndb_blobs
from hullcheck.catalog.rpm.sqlite import SqliteDbError, iter_sqlite_blobs
from hullcheck.model import Location, Package, PackageType

ANALYZER_ID = "rpm-db"

DB_DIRS = ("/var/lib/rpm/", "/usr/lib/sysimage/rpm/", "/usr/share/rpm/")
DB_NAMES = ("Packages", "Packages.db", "rpmdb.sqlite")
DB_PATHS = frozenset(d + n for d in DB_DIRS for n in DB_NAMES)

MAX_BYTES = 1024**3
_MAX_ERRORS_SHOWN = 3

# Pseudo-packages rpm uses to store imported signing keys; they are not software.
_PSEUDO = frozenset({"gpg-pubkey", "gpg-pubkey-release"})

_DB_ERRORS = (BdbError, NdbError, SqliteDbError)


class RpmDbError(ValueError):
    """A file that is none of the rpm database formats."""


def iter_header_blobs(data: bytes, errors: list[str]) -> Iterator[bytes]:
    """Header blobs of any rpm database, chosen by content (the file name can lie)."""
    if data.startswith(b"SQLite format 3\x00"):
        yield from iter_sqlite_blobs(data)
    elif data[:4] == b"RpmP":
        yield from iter_ndb_blobs(data, errors)
    elif len(data) >= 16 and data[12:16] in (b"\x61\x15\x06\x00", b"\x00\x06\x15\x61"):
        yield from iter_bdb_values(data, errors)
    else:
        raise RpmDbError("not an rpm database (no SQLite, NDB or Berkeley DB hash magic)")


def package_from_header(h: RpmHeader, path: str) -> Package:
    vr = f"{h.version}-{h.release}" if h.release else h.version
    src_name, src_version, src_release = split_source_rpm(h.source_rpm)
    source_version = ""
    if src_name:
        source_version = f"{src_version}-{src_release}"
        if h.epoch is not None:  # source RPM file names carry no epoch; it is the binary's
            source_version = f"{h.epoch}:{source_version}"
    qualifiers = {
        "arch": h.arch,
        "epoch": str(h.epoch) if h.epoch is not None else "",
        "upstream": h.source_rpm,
    }
    metadata: dict[str, object] = {"release": h.release}
    if h.source_rpm:
        metadata["source_rpm"] = h.source_rpm
    if h.epoch is not None:
        metadata["epoch"] = h.epoch
    if h.vendor:
        metadata["vendor"] = h.vendor
    if h.modularity_label:
        metadata["modularity_label"] = h.modularity_label
    if h.size is not None:
        metadata["size"] = h.size
    return Package(
        name=h.name,
        version=h.evr,
        type=PackageType.RPM,
        purl=build_purl("rpm", h.name, vr, "", qualifiers),
        source_name=src_name,
        source_version=source_version,
        arch=h.arch,
        licenses=(h.license,) if h.license else (),
        locations=(Location(path),),
        found_by=ANALYZER_ID,
        metadata=metadata,
    )


def parse_rpmdb(data: bytes, path: str) -> tuple[list[Package], list[OwnedFiles], list[str]]:
    """Packages, file lists and per-record errors of an rpm database of any format.

    Raises ``RpmDbError`` (or a backend's error) when the file as a whole is unreadable.
    """
    errors: list[str] = []
    packages: list[Package] = []
    owned: list[OwnedFiles] = []
    for blob in iter_header_blobs(data, errors):
        try:
            h = read_header(blob)
        except HeaderError as e:
            errors.append(f"header: {e}")
            continue
        if h.name in _PSEUDO:
            continue
        packages.append(package_from_header(h, path))
        if h.files:
            owned.append(OwnedFiles(h.name, h.files))
    return packages, owned, errors


class RpmAnalyzer:
    id = ANALYZER_ID
    interest = Interest(names=frozenset(DB_NAMES))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path in DB_PATHS

    def analyze(self, f: FileInput) -> Artifact | None:
        try:
            if f.size > MAX_BYTES:
                raise RpmDbError(f"larger than {MAX_BYTES} bytes")
            packages, owned, errors = parse_rpmdb(f.read(), f.path)
        except (RpmDbError, *_DB_ERRORS, struct.error, OSError, MemoryError) as e:
            return Artifact(analyzer=self.id, path=f.path, unknown=f"not an rpm database: {e}")
        unknown = None
        if errors:
            # Damaged records are skipped; the intact ones are still reported.
            shown = "; ".join(errors[:_MAX_ERRORS_SHOWN])
            unknown = f"{len(errors)} damaged record(s) skipped: {shown}"
        return Artifact(
            analyzer=self.id,
            path=f.path,
            packages=tuple(packages),
            owned=tuple(owned),
            unknown=unknown,
        )
