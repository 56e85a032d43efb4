"""npm lock files: ``package-lock.json`` (v1, v2, v3), ``npm-shrinkwrap.json``, and npm's hidden
lockfile ``node_modules/.package-lock.json`` (v2/v3 shape, written next to what is installed).

v2/v3 list every installed copy in ``packages``, keyed by its path (``node_modules/a``,
``node_modules/a/node_modules/b``); v1 nests a ``dependencies`` tree, each level installed in
its parent's ``node_modules``. Those install paths go with each package (``INSTALL_PATHS``): a
lock also lists packages npm skips (optional ones for other platforms), and only the catalog
runner, which sees the whole image, can tell whether they were installed (``npm_installed``).

We report third-party packages only: the root entry ``""`` is the application itself,
workspace folders (entries not under ``node_modules``) are its own code, and ``link`` entries
point at those folders.
"""

from __future__ import annotations

from typing import Any

from hullcheck.catalog.interface import Artifact, FileInput, Interest
from hullcheck.catalog.langbase import (
    MAX_LOCKFILE_BYTES,
    ParseError,
    analyze_with,
    basename,
    clean,
    load_json,
    parent_name,
)
from hullcheck.catalog.npm_common import Collector, licenses_of, valid_name
from hullcheck.model import Package

MAX_V1_DEPTH = 256  # real trees are a few levels deep; deeper is hostile
_LOCAL_PREFIXES = ("file:", "link:", "workspace:")


def _name_from_path(key: str) -> str:
    """``node_modules/a/node_modules/@s/b`` -> ``@s/b``."""
    _, _, tail = key.rpartition("node_modules/")
    return tail


def _split_alias(version: str) -> tuple[str, str] | None:
    """v1 writes an alias (``"x": "npm:real@1.2.3"``) in the version field."""
    if not version.startswith("npm:"):
        return None
    spec = version[4:]
    at = spec.rfind("@")
    if at <= 0:
        return None
    return spec[:at], spec[at + 1 :]


def _from_packages(packages: dict[str, Any], out: Collector) -> None:
    for key, entry in packages.items():
        if not key or not isinstance(entry, dict):
            continue  # "" is the root project
        if "node_modules/" not in key and not key.startswith("node_modules"):
            continue  # a workspace folder: the project's own code
        if entry.get("link") is True:
            continue  # a symlink to a workspace folder, reported (or not) there
        name = clean(entry.get("name")) or _name_from_path(key)
        version = clean(entry.get("version"))
        if not version or version.startswith(_LOCAL_PREFIXES) or not valid_name(name):
            continue
        out.add(
            name,
            version,
            dev=entry.get("dev") is True,
            optional=entry.get("optional") is True or entry.get("devOptional") is True,
            licenses=licenses_of(entry),
            install_path=key,
        )


def _from_dependencies_v1(deps: dict[str, Any], out: Collector) -> None:
    # Iterative walk: a hostile file cannot blow the stack, and depth is bounded.
    # A copy nested under a dev-only package is only reachable through it: dev as well.
    # Each level is installed in its parent's node_modules: the key (the alias, for an alias)
    # is the folder name.
    stack: list[tuple[dict[str, Any], int, bool, str]] = [(deps, 0, False, "")]
    while stack:
        level, depth, parent_dev, parent_dir = stack.pop()
        if depth > MAX_V1_DEPTH:
            raise ParseError("dependencies nested too deep")
        for name, entry in level.items():
            if not isinstance(entry, dict):
                continue
            version = clean(entry.get("version"))
            dev = parent_dev or entry.get("dev") is True
            install_dir = f"{parent_dir}node_modules/{name}"
            real_name = name
            alias = _split_alias(version)
            if alias:
                real_name, version = alias
            # v1 writes a git or tarball URL (not the package's version) for non-registry
            # dependencies, and file:/link: for local ones: neither can be matched.
            if version[:1].isdigit() and valid_name(real_name):
                out.add(
                    real_name,
                    version,
                    dev=dev,
                    optional=entry.get("optional") is True,
                    install_path=install_dir,
                )
            children = entry.get("dependencies")
            if isinstance(children, dict):
                stack.append((children, depth + 1, dev, install_dir + "/"))


def parse_package_lock(data: bytes, path: str, found_by: str = "npm-lock") -> list[Package]:
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise ParseError("lock file is not a JSON object")
    origin = "npm-hidden-lockfile" if basename(path) == ".package-lock.json" else basename(path)
    out = Collector(path, found_by, origin)
    packages = doc.get("packages")
    deps = doc.get("dependencies")
    if isinstance(packages, dict):
        _from_packages(packages, out)
    elif isinstance(deps, dict):
        _from_dependencies_v1(deps, out)
    elif "lockfileVersion" not in doc:
        raise ParseError("not an npm lock file (no lockfileVersion, packages or dependencies)")
    return out.packages()


class NpmLockAnalyzer:
    id = "npm-lock"
    interest = Interest(names=frozenset({"package-lock.json", "npm-shrinkwrap.json", ".package-lock.json"}))
    version = 2  # 2: install paths, for the runner's check of what npm installed

    def wants(self, path: str, size: int, mode: int) -> bool:
        base = basename(path)
        if base in ("package-lock.json", "npm-shrinkwrap.json"):
            return "/node_modules/" not in path  # copies shipped inside packages are not used
        return base == ".package-lock.json" and parent_name(path) == "node_modules"

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(self.id, f, MAX_LOCKFILE_BYTES, parse_package_lock)
