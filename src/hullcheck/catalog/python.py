"""Installed Python distributions: ``*.dist-info/METADATA``, ``*.egg-info/PKG-INFO``, a
single-file ``*.egg-info``, ``EGG-INFO/PKG-INFO`` of an unpacked egg, and zipped ``.egg`` files.

All carry the core metadata format (RFC 822 style headers, then a body). ``name`` is the declared
name; ``metadata["normalized_name"]`` is its PEP 503 form, which is what advisories match on.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import struct
import zipfile
from typing import BinaryIO

from packaging.utils import canonicalize_name

from hullcheck.catalog.interface import Artifact, FileInput, OwnedFiles
from hullcheck.catalog.langbase import (
    MAX_FIELD_CHARS,
    MAX_MANIFEST_BYTES,
    ParseError,
    analyze_with,
    basename,
    decode_text,
    make_purl,
    new_package,
    parent_name,
    unknown,
)
from hullcheck.model import Package, PackageType

ECOSYSTEM = "PyPI"
# A zipped egg is a whole library; we only read its central directory and one small member.
MAX_EGG_BYTES = 64 << 20
MAX_EGG_ENTRIES = 65535  # eggs never need zip64; more entries than that is not an egg
MAX_EGG_DIRECTORY_BYTES = 16 << 20  # zipfile holds the whole central directory in memory
MAX_OWNED_FILES = 200_000  # the largest real distributions install a few tens of thousands
# "<name>-<version>.dist-info", "<name>-<version>[-pyX.Y].egg-info": how pip and setuptools
# name them
_INFO_DIR = re.compile(r"^(?P<name>[^-/]+)(?:-[^-/]+(?:-py\d[\d.]*)?)?\.(?:dist|egg)-info$", re.I)


def parse_core_metadata(text: str) -> dict[str, list[str]]:
    """Header fields of a METADATA / PKG-INFO file, keyed by lower-cased field name.

    Hand-written rather than ``email.parser``: the format is tiny (headers until the first
    blank line, continuation lines start with whitespace), and real files carry bytes that are
    not valid RFC 5322, which the email package tries to interpret.
    """
    fields: dict[str, list[str]] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            break  # end of headers: the rest is the description body
        if line[0] in " \t":
            if last is not None:
                values = fields[last]
                values[-1] = values[-1] + "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            last = None
            continue
        last = key.strip().lower()
        fields.setdefault(last, []).append(value.strip())
    return fields


def _first(fields: dict[str, list[str]], key: str) -> str:
    values = fields.get(key)
    return values[0].strip() if values else ""


def licenses_of(fields: dict[str, list[str]]) -> list[str]:
    """Declared licenses, most precise first.

    ``License-Expression`` (PEP 639) is SPDX and wins. Otherwise a short one-line ``License``
    value (projects often paste the whole license text there, or write "UNKNOWN", a setuptools
    placeholder meaning "not given": neither names a license). Otherwise the trove classifiers'
    last segment (``License :: OSI Approved :: MIT License`` -> ``MIT License``).
    """
    expression = _first(fields, "license-expression")
    if expression:
        return [expression]
    declared = _first(fields, "license")
    if declared and "\n" not in declared and len(declared) <= 100 and declared.upper() != "UNKNOWN":
        return [declared]
    found = []
    for classifier in fields.get("classifier", []):
        parts = [p.strip() for p in classifier.split("::")]
        if len(parts) >= 2 and parts[0] == "License" and parts[-1] not in ("OSI Approved", ""):
            found.append(parts[-1])
    return found


def parse_metadata(data: bytes, path: str, found_by: str = "python-dist-info") -> list[Package]:
    """One distribution from a METADATA / PKG-INFO file's bytes."""
    fields = parse_core_metadata(decode_text(data))
    name = _first(fields, "name")
    version = _first(fields, "version")
    if not name:
        raise ParseError("core metadata without a Name field")
    if not version:
        raise ParseError(f"distribution {name!r} has no Version field")
    if len(name) > MAX_FIELD_CHARS or len(version) > MAX_FIELD_CHARS:
        raise ParseError("Name or Version field too long")
    normalized = canonicalize_name(name)
    metadata: dict[str, object] = {"normalized_name": str(normalized)}
    license_files = fields.get("license-file")
    if license_files:
        metadata["license_files"] = license_files[:20]
    return [
        new_package(
            name=name,
            version=version,
            ptype=PackageType.PYTHON,
            ecosystem=ECOSYSTEM,
            # the purl spec's PyPI rule (lower case, "_" -> "-"; dots kept), applied by
            # packageurl itself, not PEP 503's
            purl=make_purl("pypi", name, version),
            path=path,
            found_by=found_by,
            licenses=licenses_of(fields),
            metadata=metadata,
        )
    ]


def _egg_directory(f: BinaryIO) -> tuple[int, int]:
    """(entries, central directory bytes) as the end-of-central-directory record declares them,
    read from the tail only, so a hostile archive is refused before ``zipfile`` loads it."""
    size = f.seek(0, io.SEEK_END)
    tail_len = min(size, 22 + 65535)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise ParseError("not a zip archive (no end of central directory)")
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    f.seek(0)
    return int(entries), int(directory_size)


def parse_egg_zip(f: FileInput) -> list[Package]:
    """``EGG-INFO/PKG-INFO`` from a zipped egg, reading at most ``MAX_MANIFEST_BYTES`` of it."""
    with f.open() as stream:
        entries, directory_size = _egg_directory(stream)
        if entries >= MAX_EGG_ENTRIES:
            raise ParseError(f"zip with {entries} entries is not an egg")
        if directory_size > MAX_EGG_DIRECTORY_BYTES:
            raise ParseError(f"zip central directory of {directory_size} bytes is not an egg")
        try:
            with zipfile.ZipFile(stream) as zf:
                try:
                    info = zf.getinfo("EGG-INFO/PKG-INFO")
                except KeyError as e:
                    raise ParseError("egg without EGG-INFO/PKG-INFO") from e
                with zf.open(info) as member:
                    # file_size in the header may lie (zip bomb): bound what we inflate.
                    data = member.read(MAX_MANIFEST_BYTES + 1)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as e:
            raise ParseError(f"bad egg zip: {e}"[:200]) from e
    if len(data) > MAX_MANIFEST_BYTES:
        raise ParseError("EGG-INFO/PKG-INFO too large")
    return parse_metadata(data, f.path, found_by=PythonEggZipAnalyzer.id)


class PythonDistInfoAnalyzer:
    """dist-info METADATA, egg-info PKG-INFO (directory or single file)."""

    id = "python-dist-info"
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        base = basename(path)
        if base == "METADATA":
            return parent_name(path).lower().endswith("dist-info")
        if base == "PKG-INFO":
            return parent_name(path).lower().endswith("egg-info")
        return base.lower().endswith(".egg-info")  # distutils writes egg-info as one file

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(
            self.id, f, MAX_MANIFEST_BYTES, lambda data, path: parse_metadata(data, path, self.id)
        )


class PythonEggZipAnalyzer:
    """Zipped ``.egg`` files (easy_install, old setuptools)."""

    id = "python-egg-zip"
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path.endswith(".egg")

    def analyze(self, f: FileInput) -> Artifact:
        if f.size > MAX_EGG_BYTES:
            return unknown(self.id, f.path, f"egg too large ({f.size} bytes)")
        try:
            packages = parse_egg_zip(f)
        except ParseError as e:
            return unknown(self.id, f.path, str(e))
        except Exception as e:  # the contract: bad content never raises
            return unknown(self.id, f.path, f"unreadable egg: {type(e).__name__}: {e}")
        return Artifact(self.id, f.path, packages=tuple(packages))


def dist_name_from_dir(info_dir: str) -> str:
    """The PEP 503 name from a ``*.dist-info`` / ``*.egg-info`` directory name, or ""."""
    m = _INFO_DIR.match(info_dir)
    return str(canonicalize_name(m.group("name"))) if m else ""


def parse_owned_files(data: bytes, path: str) -> OwnedFiles:
    """Installed files from ``RECORD`` (CSV: path, hash, size) or ``installed-files.txt`` (one
    path a line, egg-info), made absolute. RECORD paths are relative to the directory holding
    the dist-info, installed-files.txt paths to the egg-info itself; paths that climb above the
    image root are dropped."""
    info_dir = posixpath.dirname(path)
    name = dist_name_from_dir(posixpath.basename(info_dir))
    if not name:
        raise ParseError("RECORD outside a <name>-<version>.dist-info directory")
    base = posixpath.dirname(info_dir) if path.endswith("/RECORD") else info_dir
    lines = decode_text(data).splitlines()
    if path.endswith("/RECORD"):
        rows = (row[0] for row in csv.reader(lines) if row)
    else:
        rows = (line.strip() for line in lines)
    files: list[str] = []
    for rel in rows:
        if not rel or len(rel) > 4096 or rel.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            continue  # blank, absurd, or merge-conflict debris (seen in the wild)
        full = posixpath.normpath(posixpath.join(base, rel))
        if not full.startswith("/") or full.startswith("//") or "/../" in full + "/":
            continue
        files.append(full)
        if len(files) > MAX_OWNED_FILES:
            raise ParseError(f"more than {MAX_OWNED_FILES} installed files")
    return OwnedFiles(package=name, files=tuple(files))


class PythonRecordAnalyzer:
    """Which files a distribution installed (dist-info ``RECORD``, egg-info
    ``installed-files.txt``): ownership, keyed by the PEP 503 name, which is what
    ``metadata["normalized_name"]`` of the distribution's package carries."""

    id = "python-record"
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        base = basename(path)
        if base == "RECORD":
            return parent_name(path).lower().endswith(".dist-info")
        return base == "installed-files.txt" and parent_name(path).lower().endswith(".egg-info")

    def analyze(self, f: FileInput) -> Artifact:
        if f.size > MAX_MANIFEST_BYTES:
            return unknown(self.id, f.path, f"file too large ({f.size} bytes)")
        try:
            with f.open() as stream:
                data = stream.read(MAX_MANIFEST_BYTES + 1)
            if len(data) > MAX_MANIFEST_BYTES:
                return unknown(self.id, f.path, "file too large")
            owned = parse_owned_files(data, f.path)
        except ParseError as e:
            return unknown(self.id, f.path, str(e))
        except Exception as e:  # the contract: bad content never raises
            return unknown(self.id, f.path, f"unreadable: {type(e).__name__}: {e}")
        return Artifact(self.id, f.path, owned=(owned,))
