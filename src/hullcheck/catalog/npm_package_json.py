"""npm packages on disk: the ``package.json`` files under ``node_modules``.

- Installed packages: ``node_modules/<name>/package.json`` and
  ``node_modules/@scope/<name>/package.json``, nested ``node_modules`` included. Such a
  manifest must name a package and its version, or the file is recorded as an unknown.
- Vendored copies: a ``package.json`` deeper inside an installed package (Next.js ships its
  dependencies as ``next/dist/compiled/<name>/package.json``). The code is in the image, so a
  vulnerable copy matters: it is reported, flagged ``vendored``, when it names a published
  package and a version. Packages also put small manifests in sub-folders that are not
  packages at all (``{"type": "module"}`` markers, ``"private": true`` stubs named after the
  folder, the package's own name again for a sub-path export) and ship test fixtures; those
  are left out silently, as nothing an advisory names.

The application's own ``package.json`` (outside ``node_modules``) is the project, not a
dependency.
"""

from __future__ import annotations

from typing import Any

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

# Folders inside a package that hold tests, fixtures, examples or benchmarks: a package.json
# there describes a sample project, not code the package runs.
FIXTURE_DIRS = frozenset(
    {
        "test",
        "tests",
        "__tests__",
        "__mocks__",
        "fixture",
        "fixtures",
        "__fixtures__",
        "test-fixtures",
        "testdata",
        "example",
        "examples",
        "benchmark",
        "benchmarks",
    }
)


def is_installed_manifest(path: str) -> bool:
    parts = path.split("/")
    if len(parts) < 3 or parts[-1] != "package.json":
        return False
    if parts[-3] == "node_modules":
        return not parts[-2].startswith((".", "@"))
    return len(parts) >= 4 and parts[-4] == "node_modules" and parts[-3].startswith("@")


def vendoring_package(path: str) -> str | None:
    """For a ``package.json`` inside an installed package but below its top folder (a vendored
    copy, maybe), the name of that installed package; None for any other path, and for one
    inside a test, fixture, example or benchmark folder."""
    if not path.endswith("/package.json") or "/node_modules/" not in path:
        return None
    rest = path.rsplit("/node_modules/", 1)[1].split("/")[:-1]  # folders below node_modules
    owner_len = 2 if rest and rest[0].startswith("@") else 1
    inner = rest[owner_len:]
    if not inner or len(rest) < owner_len or rest[0].startswith("."):
        return None  # the installed manifest itself, or not inside a package
    if any(part.lower() in FIXTURE_DIRS for part in inner):
        return None
    return "/".join(rest[:owner_len])


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


def parse_vendored_package_json(data: bytes, path: str, found_by: str = "npm-package-json") -> list[Package]:
    """A manifest inside an installed package: a package when it is a published package's own
    manifest (a name other than its owner's, a version, not private); nothing otherwise."""
    owner = vendoring_package(path)
    try:
        doc: Any = load_json(data)
    except ParseError:
        return []  # packages ship broken manifests in sub-folders (parser tests): not a claim
    if owner is None or not isinstance(doc, dict):
        return []
    name = clean(doc.get("name"))
    version = clean(doc.get("version"))
    # versionless: a bundler's marker (next's compiled/<name>/package.json keeps only the name
    # and entry points), nothing an advisory can match; private: never published, nothing an
    # advisory names; the owner's own name: a sub-path manifest of the package itself
    if not name or not version or doc.get("private") is True or name == owner or not valid_name(name):
        return []
    metadata: dict[str, Any] = {"vendored": True, "vendored_in": owner}
    return [npm_package(name, version, path, found_by, licenses_of(doc), metadata)]


class NpmPackageJsonAnalyzer:
    id = "npm-package-json"
    interest = Interest(names=frozenset({"package.json"}))
    version = 2  # 2: vendored copies below installed packages

    def wants(self, path: str, size: int, mode: int) -> bool:
        if not path.endswith("/package.json") or "/node_modules/" not in path:
            return False
        return is_installed_manifest(path) or vendoring_package(path) is not None

    def analyze(self, f: FileInput) -> Artifact:
        if is_installed_manifest(f.path):
            return analyze_with(self.id, f, MAX_MANIFEST_BYTES, parse_package_json)
        return analyze_with(self.id, f, MAX_MANIFEST_BYTES, parse_vendored_package_json)
