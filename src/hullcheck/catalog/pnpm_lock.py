"""``pnpm-lock.yaml``: lockfile v5 (``/name/1.0.0_peer``), v6 (``/name@1.0.0(peer)``) and v9
(``name@1.0.0(peer)`` in ``packages``, peers resolved in ``snapshots``), and pnpm's hidden
lockfile ``node_modules/.pnpm/lock.yaml`` (same format, describing what is installed).

Packages come from ``packages`` keys; tarball and git entries carry explicit ``name`` and
``version`` fields, which win. Local directories and ``file:``/``link:`` entries are the
project's own code. v5/v6 mark dev-only packages with ``dev: true``; for v9, which no longer
does, dev-only packages are those reachable only from importers' ``devDependencies``.
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
    load_yaml_documents,
)
from hullcheck.catalog.npm_common import Collector, valid_name
from hullcheck.model import Package

_LOCAL = ("file:", "link:", "workspace:")
# Importer sections that describe pnpm's own tooling (the "env" document pnpm 11 writes first
# in a multi-document lock file), not the project's dependencies.
_TOOLING_SECTIONS = {"configDependencies", "packageManagerDependencies"}


def split_key(key: str, slash_format: bool) -> tuple[str, str] | None:
    """A ``packages`` key to (name, version), peer suffixes dropped; None if not name+version.

    ``slash_format`` is lockfile v5: ``/name/1.0.0`` or ``/@scope/name/1.0.0_peer@1.2.3``;
    later versions write ``/name@1.0.0(peer@1.2.3)`` (v6) or ``name@1.0.0(peer@1.2.3)`` (v9).
    """
    k = key.lstrip("/")
    if slash_format:
        # lockfiles written against another registry prefix the key with its host
        # (registry.example.com/name/1.0.0): the name and version are the last segments.
        parts = k.split("/")
        if len(parts) >= 3 and parts[-3].startswith("@"):
            name, version = parts[-3] + "/" + parts[-2], parts[-1]
        elif len(parts) >= 2:
            name, version = parts[-2], parts[-1]
        else:
            return None
        version = version.split("_", 1)[0]
    else:
        k = k.split("(", 1)[0]
        at = k.rfind("@")
        if at <= 0:
            return None
        name, version = k[:at], k[at + 1 :]
    if not valid_name(name) or not version or not version[0].isdigit():
        return None
    return name, version


def _key_name(key: str) -> str:
    """The package name of a v6+ key (``name@...``, ``@scope/name@...``)."""
    k = key.lstrip("/").split("(", 1)[0]
    at = k.find("@", 1)  # a scope's own "@" is at 0
    return k[:at] if at > 0 else ""


def _major(doc: dict[str, Any]) -> int:
    try:
        return int(float(clean(doc.get("lockfileVersion"))))
    except ValueError as e:
        raise ParseError("pnpm-lock with an unreadable lockfileVersion") from e


def _is_tooling_document(doc: dict[str, Any]) -> bool:
    importers = doc.get("importers")
    if not isinstance(importers, dict) or not importers:
        return False
    sections: set[str] = set()
    for importer in importers.values():
        if isinstance(importer, dict):
            sections.update(importer)
    return bool(sections) and sections <= _TOOLING_SECTIONS


def _local(key: str, entry: dict[str, Any]) -> bool:
    if key.lstrip("/").startswith(_LOCAL):
        return True
    resolution = entry.get("resolution")
    return isinstance(resolution, dict) and (
        "directory" in resolution or clean(resolution.get("tarball")).startswith("file:")
    )


def _reach(roots: list[str], snapshots: dict[str, Any]) -> set[str]:
    """Snapshot keys reachable from ``roots`` (iterative, each key visited once)."""
    seen: set[str] = set()
    todo = [r for r in roots if r in snapshots]
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        snap = snapshots.get(key)
        if not isinstance(snap, dict):
            continue
        for section in ("dependencies", "optionalDependencies"):
            deps = snap.get(section)
            if not isinstance(deps, dict):
                continue
            for name, ref in deps.items():
                ref = clean(ref)
                # "1.0.0(peer@2)" names a snapshot of the same package; an alias writes the
                # full key of another package ("string-width@4.2.3").
                for candidate in (f"{name}@{ref}", ref):
                    if candidate in snapshots and candidate not in seen:
                        todo.append(candidate)
                        break
    return seen


def dev_only_v9(doc: dict[str, Any]) -> set[str]:
    """``packages`` keys reachable only from importers' devDependencies (lockfile v9 dropped
    the per-package ``dev`` flag; the importers and the snapshot graph still tell)."""
    importers, snapshots = doc.get("importers"), doc.get("snapshots")
    if not isinstance(importers, dict) or not isinstance(snapshots, dict):
        return set()
    roots: dict[bool, list[str]] = {True: [], False: []}
    for importer in importers.values():
        if not isinstance(importer, dict):
            continue
        for section, is_dev in (
            ("dependencies", False),
            ("optionalDependencies", False),
            ("devDependencies", True),
        ):
            deps = importer.get(section)
            if not isinstance(deps, dict):
                continue
            for name, spec in deps.items():
                version = clean(spec.get("version")) if isinstance(spec, dict) else clean(spec)
                roots[is_dev].append(f"{name}@{version}")
                roots[is_dev].append(version)  # an aliased direct dependency
    prod_keys = {k.split("(", 1)[0] for k in _reach(roots[False], snapshots)}
    dev_keys = {k.split("(", 1)[0] for k in _reach(roots[True], snapshots)}
    return dev_keys - prod_keys


def _collect(doc: dict[str, Any], out: Collector) -> None:
    packages = doc.get("packages")
    if packages is None:
        return
    if not isinstance(packages, dict):
        raise ParseError("pnpm-lock 'packages' is not a mapping")
    dev_keys = dev_only_v9(doc) if _major(doc) >= 9 else set()
    for key, entry in packages.items():
        if not isinstance(entry, dict):
            entry = {}  # v9 may write "pkg@1.0.0: {}"
        if _local(key, entry):
            continue
        name, version = clean(entry.get("name")), clean(entry.get("version"))
        if version and not name and _major(doc) >= 6:
            # v9 keys a package fetched from a tarball URL "name@<url>" and writes its version
            # apart ("version: 4.3.5"), with no name field: the name is what precedes the URL
            name = _key_name(key)
        if not (name and version):
            parsed = split_key(key, slash_format=_major(doc) < 6)
            if parsed is None:
                continue
            name, version = parsed
        if not valid_name(name):
            continue
        out.add(
            name,
            version,
            dev=entry.get("dev") == "true" or key.lstrip("/").split("(", 1)[0] in dev_keys,
            optional=entry.get("optional") == "true",
        )


def parse_pnpm_lock(data: bytes, path: str, found_by: str = "pnpm-lock") -> list[Package]:
    docs = load_yaml_documents(data)
    hidden = path.endswith("/node_modules/.pnpm/lock.yaml")
    out = Collector(path, found_by, "pnpm-hidden-lockfile" if hidden else "pnpm-lock.yaml")
    seen_lock = False
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if "lockfileVersion" not in doc:
            continue
        seen_lock = True
        if not _is_tooling_document(doc):
            _collect(doc, out)
    if not seen_lock:
        raise ParseError("not a pnpm lock file (no lockfileVersion)")
    return out.packages()


class PnpmLockAnalyzer:
    id = "pnpm-lock"
    interest = Interest(names=frozenset({"pnpm-lock.yaml", "lock.yaml"}))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        base = basename(path)
        if base == "pnpm-lock.yaml":
            return "/node_modules/" not in path
        # pnpm's hidden lockfile: what is installed in this node_modules, same format
        return base == "lock.yaml" and path.endswith("/node_modules/.pnpm/lock.yaml")

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(self.id, f, MAX_LOCKFILE_BYTES, parse_pnpm_lock)
