"""Which package-lock entries npm really installed.

A lock file lists every package the project may need, also those npm skips at install time:
optional packages for other platforms (esbuild has an ``@esbuild/<os>-<cpu>`` package per
platform, npm installs the one for the machine). When the lock sits next to a ``node_modules``
folder, the install happened in the image, and an entry whose install folder has no
``package.json`` is not there: it is left out. A lock file shipped without ``node_modules``
says what an install would put there, and all of its entries are reported.

This needs the whole image, not one file, so it runs in the catalog runner on the squashed view
(the analyzer records each entry's install paths, ``npm_common.INSTALL_PATHS``); per-layer
artifacts stay a function of one file and can be cached as they are.
"""

from __future__ import annotations

import dataclasses
import posixpath

from hullcheck.catalog.interface import Artifact
from hullcheck.catalog.npm_common import INSTALL_PATHS
from hullcheck.image.filesystem import SquashedView
from hullcheck.model import Package

LOCK_ANALYZER = "npm-lock"
MANIFEST_ANALYZER = "npm-package-json"


def project_dir(lock_path: str) -> str:
    """The folder install paths are relative to: the lock's own folder, or for npm's hidden
    lockfile (``<project>/node_modules/.package-lock.json``) the folder above node_modules."""
    folder = posixpath.dirname(lock_path)
    if posixpath.basename(lock_path) == ".package-lock.json":
        folder = posixpath.dirname(folder)
    return folder


def _manifest(view: SquashedView, project: str, rel: str) -> str | None:
    """The installed ``package.json`` for an install path, symlinks resolved; None if absent."""
    manifest = posixpath.normpath(posixpath.join(project, rel, "package.json"))
    if manifest in view:
        return manifest
    return view.resolve(manifest)


def _strip(p: Package) -> Package:
    if INSTALL_PATHS not in p.metadata:
        return p
    meta = {k: v for k, v in p.metadata.items() if k != INSTALL_PATHS}
    return dataclasses.replace(p, metadata=meta)


def installed_packages(art: Artifact, view: SquashedView) -> list[tuple[Package, list[str]]]:
    """The packages of an npm-lock artifact that the image has, without the install paths, each
    with the installed ``package.json`` files it stands for (none when nothing is installed)."""
    project = project_dir(art.path)
    if not view.is_dir(posixpath.join(project, "node_modules")):
        return [(_strip(p), []) for p in art.packages]  # not installed here: the lock's word
    kept: list[tuple[Package, list[str]]] = []
    for p in art.packages:
        paths = p.metadata.get(INSTALL_PATHS)
        if not isinstance(paths, list) or not paths:
            kept.append((_strip(p), []))
            continue
        manifests = [m for rel in paths if isinstance(rel, str) and (m := _manifest(view, project, rel))]
        if manifests:
            kept.append((_strip(p), manifests))
    return kept


def merge_into_installed(packages: list[Package], locked: list[tuple[Package, list[str]]]) -> list[Package]:
    """One package per installed copy: a lock entry whose installed ``package.json`` reports the
    same name and version adds its lock file to that package's locations (and metadata the
    manifest lacks, such as ``dev``) instead of being a second package. Reporting the lock,
    the hidden lockfile and the manifest as three packages would triple every finding."""
    out = list(packages)
    by_manifest = {p.locations[0].path: i for i, p in enumerate(out)
                   if p.found_by == MANIFEST_ANALYZER and p.locations}
    for lp, manifests in locked:
        target = next((by_manifest[m] for m in manifests if m in by_manifest
                       and out[by_manifest[m]].name == lp.name and out[by_manifest[m]].version == lp.version), None)
        if target is None:
            out.append(lp)
            continue
        q = out[target]
        have = {loc.path for loc in q.locations}
        extra = tuple(loc for loc in lp.locations if loc.path not in have)
        meta = {**{k: v for k, v in lp.metadata.items() if k not in q.metadata}, **q.metadata}
        out[target] = dataclasses.replace(q, locations=q.locations + extra, metadata=meta)
    return out
