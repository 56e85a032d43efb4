"""Rust crates compiled into executables built with ``cargo auditable``.

cargo-auditable stores the dependency tree as zlib-compressed JSON in a section named ``.dep-v0``
(ELF and PE; ``__DATA,.dep-v0`` in Mach-O). The JSON is ``{"packages": [...], "format": N}``;
each package has ``name``, ``version``, ``source`` ("crates.io", "registry", "git", "local" or
another string), optional ``kind`` ("build"/"runtime", default runtime), ``dependencies``
(indices into the list) and ``root`` (the crate the binary was built from).

Only crates.io crates get the ``crates.io`` ecosystem and a cargo purl: a name from another
registry, a git checkout or a local path is not the crates.io crate of that name, so those get
``metadata["skip_match"]`` and no ecosystem.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from packageurl import PackageURL

from hullcheck.catalog.exeformat import (
    BINARY_INTEREST,
    Executable,
    ExeFormatError,
    Region,
    elf_section_names,
    parse_executable,
    read_at,
    stream_size,
    wants_binary,
)
from hullcheck.catalog.interface import Artifact, FileInput
from hullcheck.model import Location, Package, PackageType

ANALYZER_ID = "rust-cargo-auditable"
ECOSYSTEM = "crates.io"
SKIP_MATCH = "skip_match"
SECTION = ".dep-v0"

# The audit data of real binaries is a few KiB compressed, at most hundreds of KiB inflated.
MAX_COMPRESSED = 8 << 20
MAX_JSON = 8 << 20  # ~150 bytes a package: room for MAX_PACKAGES, bounded parse memory
MAX_PACKAGES = 50_000
_MAX_FIELD = 256


class AuditDataError(ValueError):
    """The ``.dep-v0`` section exists but does not hold valid audit data."""


class RustAuditAnalyzer:
    id = ANALYZER_ID
    interest = BINARY_INTEREST
    # build data cannot exist without these bytes (see walk.scan_tar: large files are searched,
    # not spooled)
    content_markers = (SECTION.encode(),)
    section_names = (SECTION.encode(),)
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return wants_binary(path, size, mode)

    def analyze(self, f: FileInput) -> Artifact | None:
        if f.data is not None:
            # Every format stores the section name verbatim: no name, no section. For ELF only
            # the section-name table is searched, not the whole file.
            names = elf_section_names(f.data)
            if SECTION.encode() not in (names if names is not None else f.data):
                return None
        try:
            with f.open() as stream:
                size = stream_size(stream)
                blobs = [
                    read_at(stream, sec.offset, sec.file_size, size)
                    for exe in parse_executable(stream, size)
                    if (sec := _audit_section(exe)) is not None and _fits(sec)
                ]
            if not blobs:
                return None  # not a binary, or built without cargo-auditable
            packages: list[Package] = []
            seen: set[tuple[str, str, str]] = set()
            for blob in blobs:  # a universal Mach-O carries one per architecture
                for p in parse_audit_data(decompress(blob), f.path):
                    key = (p.name, p.version, p.metadata.get("source", ""))
                    if key not in seen:
                        seen.add(key)
                        packages.append(p)
        except (ExeFormatError, AuditDataError) as e:
            return Artifact(self.id, f.path, unknown=f"cargo-auditable data: {e}"[:300])
        except Exception as e:  # the contract: bad content never raises
            return Artifact(
                self.id, f.path, unknown=f"cargo-auditable data: {type(e).__name__}: {e}"[:300]
            )
        return Artifact(self.id, f.path, packages=tuple(packages))


def _audit_section(exe: Executable) -> Region | None:
    if exe.format == "macho":
        return exe.section(SECTION, segment="__DATA")
    return exe.section(SECTION)


def _fits(sec: Region) -> bool:
    if sec.truncated:
        raise AuditDataError("the .dep-v0 section lies past the end of the file")
    if sec.file_size > MAX_COMPRESSED:
        raise AuditDataError(f"section of {sec.file_size} bytes exceeds the limit")
    return sec.file_size > 0


def decompress(blob: bytes) -> bytes:
    """Inflate the zlib stream, refusing output beyond ``MAX_JSON`` (a zlib bomb)."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(blob, MAX_JSON + 1)
    except zlib.error as e:
        raise AuditDataError(f"not zlib data: {e}") from e
    if len(out) > MAX_JSON or d.unconsumed_tail:
        raise AuditDataError(f"inflates beyond {MAX_JSON} bytes")
    return out


def parse_audit_data(data: bytes, path: str) -> list[Package]:
    """Packages from the inflated JSON; raises ``AuditDataError`` for anything malformed."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise AuditDataError(f"invalid JSON: {e}"[:200]) from e
    if not isinstance(doc, dict) or not isinstance(doc.get("packages"), list):
        raise AuditDataError("JSON has no 'packages' list")
    entries = doc["packages"]
    if len(entries) > MAX_PACKAGES:
        raise AuditDataError(f"{len(entries)} packages exceed the limit")
    fmt = doc.get("format", 0)
    names: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise AuditDataError("package entry is not an object")
        name, version = _field(entry, "name"), _field(entry, "version")
        if not name or not version:
            raise AuditDataError("package entry without name or version")
        names.append(f"{name} {version}")
    out: list[Package] = []
    for entry, ident in zip(entries, names, strict=True):
        name, version = ident.split(" ", 1)
        source = _source(entry.get("source"))
        meta: dict[str, Any] = {"source": source, "kind": _field(entry, "kind") or "runtime"}
        if isinstance(fmt, int) and not isinstance(fmt, bool):
            meta["audit_format"] = fmt
        if entry.get("root") is True:
            meta["root"] = True
        deps = entry.get("dependencies")
        if isinstance(deps, list):
            meta["dependencies"] = [
                names[i]
                for i in deps
                if isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(names)
            ]
        ecosystem = ""
        purl = ""
        if source == "crates.io":
            ecosystem = ECOSYSTEM
            purl = cargo_purl(name, version)
        else:
            meta[SKIP_MATCH] = f"crate from {source or 'an unknown source'}, not crates.io"
        out.append(
            Package(
                name=name,
                version=version,
                type=PackageType.RUST_CRATE,
                ecosystem=ecosystem,
                purl=purl,
                locations=(Location(path),),
                found_by=ANALYZER_ID,
                metadata=meta,
            )
        )
    return out


def _field(e: dict[str, Any], key: str) -> str:
    v = e.get(key)
    if isinstance(v, str) and len(v) <= _MAX_FIELD and "\n" not in v and " " not in v:
        return v.strip()
    return ""


def _source(v: Any) -> str:
    # Serialised as a lower-case string; the schema also allows {"Other": "..."}.
    if isinstance(v, str):
        return {"cratesio": "crates.io"}.get(v.lower(), v.lower())[:_MAX_FIELD]
    if isinstance(v, dict) and isinstance(v.get("Other"), str):
        return str(v["Other"]).lower()[:_MAX_FIELD]
    return ""


def cargo_purl(name: str, version: str) -> str:
    try:
        return PackageURL(type="cargo", name=name, version=version).to_string()
    except ValueError:
        return ""
