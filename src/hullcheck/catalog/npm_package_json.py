"""Installed npm packages: ``node_modules/<name>/package.json`` and
``node_modules/@scope/<name>/package.json``, nested ``node_modules`` included.

Only a package.json sitting directly in such a directory is an installed package: the
application's own package.json and the ones packages ship in sub-folders (``lib/``, ``test/``)
are not.
"""

from __future__ import annotations

from hullcheck.catalog.interface import Artifact, FileInput, Interest
from hullcheck.catalog.langbase import (
    MAX_MANIFEST_BYTES,
    ParseError,
    analyze_with,
    clean,
    load_json,
)
from hullcheck.catalog.npm_common import licenses_of, npm_package, valid_name
from hullcheck.model import Package


def is_installed_manifest(path: str) -> bool:
    parts = path.split("/")
    if len(parts) < 3 or parts[-1] != "package.json":
        return False
    if parts[-3] == "node_modules":
        return not parts[-2].startswith((".", "@"))
    return len(parts) >= 4 and parts[-4] == "node_modules" and parts[-3].startswith("@")


def parse_package_json(data: bytes, path: str, found_by: str = "npm-package-json") -> list[Package]:
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise ParseError("package.json is not a JSON object")
    name = clean(doc.get("name"))
    version = clean(doc.get("version"))
    if not name or not version:
        # e.g. a folder npm links or a stub some tools write: nothing an advisory can name.
        raise ParseError("package.json without name or version: not an installed package")
    if not valid_name(name):
        raise ParseError(f"package.json with an invalid npm name {name[:80]!r}")
    metadata = {"private": True} if doc.get("private") is True else {}
    return [npm_package(name, version, path, found_by, licenses_of(doc), metadata)]


class NpmPackageJsonAnalyzer:
    id = "npm-package-json"
    interest = Interest(names=frozenset({"package.json"}))
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path.endswith("/package.json") and is_installed_manifest(path)

    def analyze(self, f: FileInput) -> Artifact:
        return analyze_with(self.id, f, MAX_MANIFEST_BYTES, parse_package_json)
