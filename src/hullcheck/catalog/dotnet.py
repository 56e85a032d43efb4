""".NET: ``*.deps.json``, which the SDK writes next to every published app.

``libraries`` lists what the app was built with (``package`` from NuGet, ``project`` for the
app's own projects, ``runtimepack`` for the runtime a self-contained app carries). ``targets``
tells, for the runtime target the app runs as, which assets each library deploys. A package is
reported unless its target entry proves nothing of it is deployed (no ``runtime``,
``runtimeTargets`` or ``native`` assets: meta-packages and compile-time references). When the
target or the entry is missing we cannot prove that, and report the package.
"""

from __future__ import annotations

from typing import Any

from hullcheck.catalog.interface import Artifact, FileInput, Interest
from hullcheck.catalog.langbase import (
    MAX_LOCKFILE_BYTES,
    ParseError,
    analyze_with,
    clean,
    load_json,
    make_purl,
    new_package,
)
from hullcheck.model import Package, PackageType

ECOSYSTEM = "NuGet"
_DEPLOYED_ASSETS = ("runtime", "runtimeTargets", "native")
_RUNTIMEPACK_PREFIX = "runtimepack."


def _target(doc: dict[str, Any]) -> dict[str, Any] | None:
    targets = doc.get("targets")
    if not isinstance(targets, dict):
        return None
    runtime_target = doc.get("runtimeTarget")
    name = clean(runtime_target.get("name")) if isinstance(runtime_target, dict) else ""
    target = targets.get(name)
    return target if isinstance(target, dict) else None


def _deployed(target: dict[str, Any] | None, key: str) -> bool:
    if target is None:
        return True
    entry = target.get(key)
    if not isinstance(entry, dict):
        return True
    return any(entry.get(asset) for asset in _DEPLOYED_ASSETS)


def parse_deps_json(data: bytes, path: str, found_by: str = "dotnet-deps") -> list[Package]:
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise ParseError("deps.json is not a JSON object")
    libraries = doc.get("libraries")
    if libraries is None:
        return []
    if not isinstance(libraries, dict):
        raise ParseError("deps.json 'libraries' is not an object")
    target = _target(doc)
    out = []
    for key, lib in libraries.items():
        if not isinstance(lib, dict):
            continue
        kind = clean(lib.get("type"))
        if kind not in ("package", "runtimepack"):
            continue  # project: the app's own code; referenceassembly: compile time only
        name, sep, version = key.partition("/")
        if not (name and sep and version) or len(key) > 512:
            continue
        if kind == "runtimepack" and name.startswith(_RUNTIMEPACK_PREFIX):
            name = name[len(_RUNTIMEPACK_PREFIX) :]  # the NuGet id advisories name
        if not _deployed(target, key):
            continue
        metadata: dict[str, Any] = {"library_type": kind}
        for field in ("sha512", "path"):
            value = clean(lib.get(field))
            if value:
                metadata[field] = value
        out.append(
            new_package(
                name=name,
                version=version,
                ptype=PackageType.NUGET,
                ecosystem=ECOSYSTEM,
                purl=make_purl("nuget", name, version),
                path=path,
                found_by=found_by,
                metadata=metadata,
            )
        )
    return out


class DotnetDepsAnalyzer:
    id = "dotnet-deps"
    interest = Interest(suffixes=(".deps.json",))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path.endswith(".deps.json")

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(self.id, f, MAX_LOCKFILE_BYTES, parse_deps_json)
