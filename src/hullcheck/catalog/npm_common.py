"""What the npm-family analyzers (package.json, package-lock, yarn.lock, pnpm-lock) share:
the purl and package shape, name checks, and the many ways a license is declared."""

from __future__ import annotations

import re
from typing import Any

from hullcheck.catalog.langbase import MAX_FIELD_CHARS, make_purl, new_package
from hullcheck.model import Package, PackageType

ECOSYSTEM = "npm"

# npm's rules (validate-npm-package-name), with the legacy upper-case names still allowed.
_NAME = re.compile(r"^(?:@[a-z0-9~_.-]+/)?[a-z0-9~_-][a-z0-9._~-]*$", re.IGNORECASE)


def valid_name(name: str) -> bool:
    return 0 < len(name) <= 214 and _NAME.match(name) is not None


def npm_purl(name: str, version: str) -> str:
    if name.startswith("@") and "/" in name:
        scope, _, bare = name.partition("/")
        return make_purl("npm", bare, version, namespace=scope)
    return make_purl("npm", name, version)


def licenses_of(obj: dict[str, Any]) -> list[str]:
    """``license`` as a string, an object with ``type``, or a list of either (lock files copy
    whatever the package.json said); the legacy ``licenses`` array too."""
    out: list[str] = []
    for key in ("license", "licenses"):
        value = obj.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items[:32]:
            if isinstance(item, dict):
                item = item.get("type")
            if isinstance(item, str) and item.strip() and len(item) <= MAX_FIELD_CHARS:
                out.append(item.strip())
    return out


def npm_package(
    name: str,
    version: str,
    path: str,
    found_by: str,
    licenses: list[str] | tuple[str, ...] = (),
    metadata: dict[str, Any] | None = None,
) -> Package:
    return new_package(
        name=name,
        version=version,
        ptype=PackageType.NPM,
        ecosystem=ECOSYSTEM,
        purl=npm_purl(name, version),
        path=path,
        found_by=found_by,
        licenses=licenses,
        metadata=metadata,
    )


# Package metadata key: where a package-lock says each copy is installed, relative to the
# project folder ("node_modules/a/node_modules/b"). The catalog runner reads it to leave out
# entries npm did not install (``npm_installed``) and removes it from what is reported.
INSTALL_PATHS = "install_paths"


class Collector:
    """Gathers (name, version) pairs from a lock file: one package per pair, whatever the number
    of paths it is installed at (kept, when given, under ``INSTALL_PATHS``). ``dev``/``optional``
    stay true only if every occurrence is."""

    def __init__(self, path: str, found_by: str, origin: str) -> None:
        self.path = path
        self.found_by = found_by
        self.origin = origin
        self._seen: dict[tuple[str, str], dict[str, Any]] = {}

    def add(
        self,
        name: str,
        version: str,
        *,
        dev: bool = False,
        optional: bool = False,
        licenses: list[str] | None = None,
        install_path: str = "",
    ) -> None:
        key = (name, version)
        entry = self._seen.get(key)
        if entry is None:
            entry = self._seen[key] = {"dev": dev, "optional": optional, "licenses": licenses or [], "paths": []}
            if install_path:
                entry["paths"].append(install_path)
            return
        if install_path:
            entry["paths"].append(install_path)
        entry["dev"] = entry["dev"] and dev
        entry["optional"] = entry["optional"] and optional
        if not entry["licenses"] and licenses:
            entry["licenses"] = licenses

    def packages(self) -> list[Package]:
        out = []
        for (name, version), e in self._seen.items():
            metadata: dict[str, Any] = {"lockfile": self.origin}
            if e["dev"]:
                metadata["dev"] = True
            if e["optional"]:
                metadata["optional"] = True
            if e["paths"]:
                metadata[INSTALL_PATHS] = sorted(set(e["paths"]))
            out.append(
                npm_package(name, version, self.path, self.found_by, e["licenses"], metadata)
            )
        return out
