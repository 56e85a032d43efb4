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


def project_dir(lock_path: str) -> str:
    """The folder install paths are relative to: the lock's own folder, or for npm's hidden
    lockfile (``<project>/node_modules/.package-lock.json``) the folder above node_modules."""
    folder = posixpath.dirname(lock_path)
    if posixpath.basename(lock_path) == ".package-lock.json":
        folder = posixpath.dirname(folder)
    return folder


def _installed(view: SquashedView, project: str, rel: str) -> bool:
    manifest = posixpath.normpath(posixpath.join(project, rel, "package.json"))
    return manifest in view or view.resolve(manifest) is not None


def _strip(p: Package) -> Package:
    if INSTALL_PATHS not in p.metadata:
        return p
    meta = {k: v for k, v in p.metadata.items() if k != INSTALL_PATHS}
    return dataclasses.replace(p, metadata=meta)


def installed_packages(art: Artifact, view: SquashedView) -> tuple[Package, ...]:
    """The packages of an npm-lock artifact that the image has, without the install paths."""
    project = project_dir(art.path)
    if not view.is_dir(posixpath.join(project, "node_modules")):
        return tuple(_strip(p) for p in art.packages)  # not installed here: the lock's word
    kept = []
    for p in art.packages:
        paths = p.metadata.get(INSTALL_PATHS)
        if isinstance(paths, list) and paths and not any(
            isinstance(rel, str) and _installed(view, project, rel) for rel in paths
        ):
            continue
        kept.append(_strip(p))
    return tuple(kept)
