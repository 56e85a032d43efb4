"""Rust ``Cargo.lock`` (format v1 to v4): every ``[[package]]`` with a ``source`` is a crate
fetched from a registry or git. Entries without ``source`` are the workspace's own crates and
path dependencies (local code), so they are not reported.
"""

from __future__ import annotations

import tomllib
from typing import Any

from hullcheck.catalog.interface import Artifact, FileInput, Interest
from hullcheck.catalog.langbase import (
    MAX_LOCKFILE_BYTES,
    ParseError,
    analyze_with,
    basename,
    clean,
    decode_text,
    make_purl,
    new_package,
)
from hullcheck.model import Package, PackageType

ECOSYSTEM = "crates.io"
CRATES_IO_SOURCES = (
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
)


def parse_cargo_lock(data: bytes, path: str, found_by: str = "cargo-lock") -> list[Package]:
    try:
        doc = tomllib.loads(decode_text(data))
    except tomllib.TOMLDecodeError as e:
        raise ParseError(f"invalid TOML: {e}"[:200]) from e
    packages = doc.get("package", [])
    if not isinstance(packages, list):
        raise ParseError("Cargo.lock 'package' is not an array of tables")
    # One package per (name, version): the same release can be locked from crates.io and from
    # git at once; the sources are kept in metadata.
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in packages:
        if not isinstance(entry, dict):
            continue
        name, version, source = (clean(entry.get(k)) for k in ("name", "version", "source"))
        if not (name and version and source):
            continue  # no source: a workspace member or a path dependency
        meta = found.setdefault((name, version), {"sources": []})
        if source not in meta["sources"]:
            meta["sources"].append(source)
        checksum = clean(entry.get("checksum"))
        if checksum and source in CRATES_IO_SOURCES:
            meta["checksum"] = checksum
    out = []
    for (name, version), meta in found.items():
        meta["from_crates_io"] = any(s in CRATES_IO_SOURCES for s in meta["sources"])
        out.append(
            new_package(
                name=name,
                version=version,
                ptype=PackageType.RUST_CRATE,
                ecosystem=ECOSYSTEM,
                purl=make_purl("cargo", name, version),
                path=path,
                found_by=found_by,
                metadata=meta,
            )
        )
    return out


class CargoLockAnalyzer:
    id = "cargo-lock"
    interest = Interest(names=frozenset({"Cargo.lock"}))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return basename(path) == "Cargo.lock"

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(self.id, f, MAX_LOCKFILE_BYTES, parse_cargo_lock)
