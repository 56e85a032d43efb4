"""PHP Composer: ``vendor/composer/installed.json`` (what is installed: v1 a bare list, v2
``{"packages": [...], "dev-package-names": [...]}``) and ``composer.lock`` (``packages`` and
``packages-dev``). Versions are kept as declared (``v1.8.1``); Composer's own normalised form
goes to ``metadata["version_normalized"]``.
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
    make_purl,
    new_package,
    parent_name,
)
from hullcheck.model import Package, PackageType

ECOSYSTEM = "Packagist"


def _licenses(entry: dict[str, Any]) -> list[str]:
    value = entry.get("license")
    items = value if isinstance(value, list) else [value]
    return [s for s in (clean(x) for x in items[:32]) if s]


def _package(entry: object, path: str, found_by: str, origin: str, dev: bool) -> Package | None:
    if not isinstance(entry, dict):
        return None
    name = clean(entry.get("name"))
    version = clean(entry.get("version"))
    vendor, sep, project = name.partition("/")
    if not (vendor and sep and project and version) or "/" in project:
        return None  # Composer names are always vendor/project
    metadata: dict[str, Any] = {"lockfile": origin}
    normalized = clean(entry.get("version_normalized"))
    if normalized:
        metadata["version_normalized"] = normalized
    if dev:
        metadata["dev"] = True
    return new_package(
        name=name,
        version=version,
        ptype=PackageType.COMPOSER,
        ecosystem=ECOSYSTEM,
        purl=make_purl("composer", project, version, namespace=vendor),
        path=path,
        found_by=found_by,
        licenses=_licenses(entry),
        metadata=metadata,
    )


def _collect(
    entries: list[Any], path: str, found_by: str, origin: str, dev_names: set[str], dev: bool
) -> list[Package]:
    out = []
    for entry in entries:
        name = clean(entry.get("name")) if isinstance(entry, dict) else ""
        pkg = _package(entry, path, found_by, origin, dev or name in dev_names)
        if pkg is not None:
            out.append(pkg)
    return out


def parse_installed_json(
    data: bytes, path: str, found_by: str = "composer-installed"
) -> list[Package]:
    doc = load_json(data)
    if isinstance(doc, list):  # Composer 1
        return _collect(doc, path, found_by, "installed.json", set(), False)
    if not isinstance(doc, dict) or not isinstance(doc.get("packages"), list):
        raise ParseError("installed.json is neither a list nor an object with 'packages'")
    dev_names = doc.get("dev-package-names")
    devs = {x for x in dev_names if isinstance(x, str)} if isinstance(dev_names, list) else set()
    return _collect(doc["packages"], path, found_by, "installed.json", devs, False)


def parse_composer_lock(data: bytes, path: str, found_by: str = "composer-lock") -> list[Package]:
    doc = load_json(data)
    if not isinstance(doc, dict) or not isinstance(doc.get("packages"), list):
        raise ParseError("composer.lock without a 'packages' list")
    out = _collect(doc["packages"], path, found_by, "composer.lock", set(), False)
    dev = doc.get("packages-dev")
    if isinstance(dev, list):
        out += _collect(dev, path, found_by, "composer.lock", set(), True)
    return out


class ComposerInstalledAnalyzer:
    id = "composer-installed"
    interest = Interest(names=frozenset({"installed.json"}))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return basename(path) == "installed.json" and parent_name(path) == "composer"

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(self.id, f, MAX_LOCKFILE_BYTES, parse_installed_json)


class ComposerLockAnalyzer:
    id = "composer-lock"
    interest = Interest(names=frozenset({"composer.lock"}))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return basename(path) == "composer.lock" and "/vendor/" not in path

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(self.id, f, MAX_LOCKFILE_BYTES, parse_composer_lock)
