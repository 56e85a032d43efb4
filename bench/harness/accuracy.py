"""Package sets by purl: parsing each tool's output and the ground truth, and comparing them.

Packages are compared as (type, name, version) taken from the purl, normalised so that the same
package written by different tools compares equal:
  - qualifiers are dropped (arch, distro, upstream differ in spelling between tools), except the
    deb/rpm/apk `epoch`, which Trivy writes as a qualifier and the others inside the version;
  - the namespace is kept where it is part of the name (npm scopes, Maven groups, Go module paths)
    and dropped where it only names the vendor (deb/rpm/apk: `debian`);
  - PyPI names are normalised as PEP 503 says (case, runs of `-_.`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from packageurl import PackageURL

# Types whose purl namespace is the distribution vendor, not part of the package's name.
VENDOR_NAMESPACE = frozenset({"deb", "rpm", "apk", "alpm"})
EPOCH_TYPES = frozenset({"deb", "rpm", "apk"})
# expected.json sections and the purl type each stands for.
TRUTH_SECTIONS = {
    "dpkg": "deb",
    "apk": "apk",
    "rpm": "rpm",
    "python": "pypi",
    "npm": "npm",
    "gem": "gem",
    "go": "golang",
    "cargo": "cargo",
    "maven": "maven",
}


class PkgKey(NamedTuple):
    type: str
    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.type}:{self.name}@{self.version}" if self.version else f"{self.type}:{self.name} (no version)"


def normalise_name(ptype: str, name: str) -> str:
    if ptype == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    if ptype in ("npm", "deb", "apk", "golang"):
        return name.lower() if ptype != "golang" else name
    return name


def normalise_version(ptype: str, version: str, epoch: str | None, name: str = "") -> str:
    if ptype in EPOCH_TYPES:
        if epoch and epoch != "0" and not re.match(r"^\d+:", version):
            version = f"{epoch}:{version}"
        version = re.sub(r"^0:", "", version)
    elif ptype == "golang":
        # Go writes "v1.2.3"; some tools drop the "v" (stdlib "1.20.12").
        version = version.removeprefix("v")
        if name == "stdlib":
            version = version.removeprefix("go")
    return version


def key_from_purl(purl: str) -> PkgKey | None:
    """None for what is not a package purl (or not a purl at all)."""
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    ptype = p.type.lower()
    name = p.name
    if p.namespace and ptype not in VENDOR_NAMESPACE:
        name = f"{p.namespace}/{name}"
    quals = p.qualifiers if isinstance(p.qualifiers, dict) else {}
    version = normalise_version(ptype, p.version or "", quals.get("epoch"), name)
    return PkgKey(ptype, normalise_name(ptype, name), version)


def _components(items: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for c in items:
        yield c
        yield from _components(c.get("components") or [])


def cyclonedx_purls(doc: Mapping[str, Any]) -> list[str]:
    """Every component purl, nested components included; the described image itself is in
    metadata.component and not counted."""
    return [c["purl"] for c in _components(doc.get("components") or []) if isinstance(c.get("purl"), str)]


def trivy_json_purls(doc: Mapping[str, Any]) -> list[str]:
    """Trivy's own JSON report (`-f json --list-all-pkgs`): Results[].Packages[].Identifier.PURL."""
    out = []
    for res in doc.get("Results") or []:
        for pkg in res.get("Packages") or []:
            purl = (pkg.get("Identifier") or {}).get("PURL")
            if isinstance(purl, str):
                out.append(purl)
    return out


def keys(purls: Iterable[str]) -> frozenset[PkgKey]:
    return frozenset(k for k in (key_from_purl(p) for p in purls) if k is not None)


def truth_keys(expected: Mapping[str, Any]) -> frozenset[PkgKey]:
    """The packages an image's expected.json (bench/images) says are in it."""
    out = set()
    for section, ptype in TRUTH_SECTIONS.items():
        for entry in expected.get(section) or []:
            if isinstance(entry, Mapping) and "name" in entry:
                version = normalise_version(ptype, str(entry.get("version") or ""), None)
                out.add(PkgKey(ptype, normalise_name(ptype, str(entry["name"])), version))
    return frozenset(out)


def load_keys(path: Path) -> tuple[frozenset[PkgKey], int]:
    """Package keys from a CycloneDX or Trivy JSON file, and the raw number of package entries."""
    doc = json.loads(path.read_text())
    purls = trivy_json_purls(doc) if "Results" in doc else cyclonedx_purls(doc)
    return keys(purls), len(purls)


@dataclass(frozen=True)
class ToolDiff:
    tool: str
    entries: int  # package entries in the output (one package at two paths counts twice)
    found: frozenset[PkgKey]
    only: frozenset[PkgKey]  # found by this tool and by no other
    missed: frozenset[PkgKey]  # found by another tool, not by this one
    truth_missing: frozenset[PkgKey] | None  # in the ground truth, not found
    truth_extra: frozenset[PkgKey] | None  # found, not in the ground truth


def compare(
    found: Mapping[str, frozenset[PkgKey]],
    truth: frozenset[PkgKey] | None,
    entries: Mapping[str, int] | None = None,
) -> list[ToolDiff]:
    out = []
    for tool, mine in found.items():
        others: set[PkgKey] = set()
        for other, theirs in found.items():
            if other != tool:
                others |= theirs
        out.append(
            ToolDiff(
                tool=tool,
                entries=(entries or {}).get(tool, len(mine)),
                found=mine,
                only=frozenset(mine - others),
                missed=frozenset(others - mine),
                truth_missing=None if truth is None else frozenset(truth - mine),
                truth_extra=None if truth is None else frozenset(mine - truth),
            )
        )
    return out


def by_type(ks: Iterable[PkgKey]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for k in ks:
        counts[k.type] = counts.get(k.type, 0) + 1
    return dict(sorted(counts.items()))


def examples(ks: Iterable[PkgKey], n: int = 5) -> list[str]:
    return [str(k) for k in sorted(ks)[:n]]
