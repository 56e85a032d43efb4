"""Merge per-layer artifacts into the image's catalog.

- Only artifacts of files that are visible in the squashed view count (a dpkg status replaced
  by a later layer, or a dist-info deleted by a whiteout, says nothing about the image).
- Each package is attributed to the first layer where it appears (the same analyzer and path
  reporting the same package in a lower layer), with that layer's history instruction.
- A language package whose metadata file an OS package installed (it is in the OS package's
  file list) is reported once, as part of the OS package: distros patch such libraries and
  their advisories name the OS package.
- A package-lock entry that npm did not install (no ``package.json`` in its install folder
  while ``node_modules`` sits next to the lock) is not reported (``npm_installed``).
- The distro comes from the highest-priority os-release-like file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from hullcheck.catalog import npm_installed
from hullcheck.catalog.interface import Artifact
from hullcheck.catalog.osrelease import best_distro
from hullcheck.catalog.purl import with_distro
from hullcheck.image.filesystem import SquashedView
from hullcheck.image.walk import LayerScan
from hullcheck.model import Distro, ImageMetadata, Location, Package, PackageType, Unknown

OS_TYPES = frozenset({PackageType.DEB, PackageType.APK, PackageType.RPM})
OS_ANALYZERS = frozenset({"dpkg-db", "apk-db", "rpm-db"})

@dataclass(frozen=True)
class Catalog:
    distro: Distro | None
    packages: tuple[Package, ...]
    unknowns: tuple[Unknown, ...]


def _fill_distro(pkg: Package, distro: Distro | None) -> Package:
    if distro is None or pkg.type not in OS_TYPES:
        return pkg
    return with_distro(pkg, distro)


def build_catalog(
    scans: Sequence[LayerScan], metadata: ImageMetadata | None = None, view: SquashedView | None = None
) -> Catalog:
    if view is None:
        view = SquashedView(scans)
    layers = metadata.layers if metadata else ()

    # first layer where (analyzer, path, package key) appears
    first_seen: dict[tuple[str, str, tuple[str, str, str, str]], int] = {}
    visible: list[tuple[int, Artifact]] = []
    for scan in scans:
        for art in scan.artifacts:
            for p in art.packages:
                first_seen.setdefault((art.analyzer, art.path, p.key), scan.index)
            if view.layer_of(art.path) == scan.index or scan.diff_id is None:
                visible.append((scan.index, art))

    distro = best_distro({art.path: art.distro for _layer, art in visible if art.distro is not None})

    owned: set[str] = set()  # files installed by OS packages
    for _layer, art in visible:
        if art.analyzer in OS_ANALYZERS:
            for o in art.owned:
                owned.update(o.files)

    packages: list[Package] = []
    unknowns: list[Unknown] = []
    locked: list[tuple[Package, list[str]]] = []  # npm lock entries, merged into installed copies below
    seen: set[tuple[tuple[str, str, str, str], str]] = set()
    for layer, art in visible:
        if art.unknown:
            unknowns.append(Unknown(path=art.path, reason=art.unknown, found_by=art.analyzer, layer_index=layer))
        found = art.packages
        manifests: dict[int, list[str]] = {}
        if art.analyzer == npm_installed.LOCK_ANALYZER and found:
            pairs = npm_installed.installed_packages(art, view)
            found = tuple(p for p, _m in pairs)
            manifests = {id(p): m for p, m in pairs}
        for src in found:
            p = src
            if p.type not in OS_TYPES and owned and any(loc.path in owned for loc in p.locations):
                continue
            ident = (p.key, art.path)
            if ident in seen:
                continue
            seen.add(ident)
            intro = first_seen.get((art.analyzer, art.path, p.key), layer)
            info = layers[intro] if 0 <= intro < len(layers) else None
            diff_id = info.diff_id if info and info.diff_id else None
            locs = tuple(
                Location(path=loc.path, layer_index=layer, layer_diff_id=(layers[layer].diff_id or None)
                         if 0 <= layer < len(layers) else None)
                for loc in (p.locations or (Location(art.path),))
            )
            p = dataclasses.replace(
                p,
                locations=locs,
                layer_index=intro,
                layer_diff_id=diff_id,
                created_by=info.created_by if info else "",
                found_by=p.found_by or art.analyzer,
            )
            if art.analyzer == npm_installed.LOCK_ANALYZER:
                locked.append((_fill_distro(p, distro), manifests.get(id(src), [])))
            else:
                packages.append(_fill_distro(p, distro))
    packages = npm_installed.merge_into_installed(packages, locked)
    packages.sort(key=lambda p: (p.type.value, p.name, p.version, p.locations[0].path if p.locations else ""))
    return Catalog(distro=distro, packages=tuple(packages), unknowns=tuple(unknowns))
