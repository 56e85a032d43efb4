"""Installed Python distributions: ``*.dist-info/METADATA``, ``*.egg-info/PKG-INFO``, a
single-file ``*.egg-info`` and ``EGG-INFO/PKG-INFO`` of an unpacked egg (zipped eggs:
``python_egg``; installed-file lists: ``python_record``).

All carry the core metadata format (RFC 822 style headers, then a body). ``name`` is the declared
name; ``metadata["normalized_name"]`` is its PEP 503 form, which is what advisories match on.
"""

from __future__ import annotations

from packaging.utils import canonicalize_name

from hullcheck.catalog.interface import Artifact, FileInput, Interest
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
)
from hullcheck.model import Package, PackageType

ECOSYSTEM = "PyPI"


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


class PythonDistInfoAnalyzer:
    """dist-info METADATA, egg-info PKG-INFO (directory or single file)."""

    id = "python-dist-info"
    interest = Interest(names=frozenset({"METADATA", "PKG-INFO"}), suffixes=(".egg-info",))
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
