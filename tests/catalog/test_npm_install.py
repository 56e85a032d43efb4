"""npm packages as an image holds them: lock entries npm did not install, and vendored copies.

Small images are built here from files written by the tests; what each test expects is derived
from those same files (which install folders hold a package.json, which manifests name a
published package and a version), not from hullcheck's output.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any

from hullcheck.catalog.npm_installed import project_dir
from hullcheck.inventory import inventory
from hullcheck.model import Package

from ..image.build import ImageSpec, Member, d, f, oci_layout

V = "0.19.10"

# A v3 lock as npm writes it for esbuild: every platform binary is an optional entry, and npm
# installs the one for the machine it runs on.
LOCK_V3: dict[str, Any] = {
    "name": "app",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "packages": {
        "": {"name": "app", "version": "1.0.0", "dependencies": {"esbuild": V, "a": "1.0.0"}},
        "node_modules/esbuild": {"version": V, "optionalDependencies": {"@esbuild/linux-x64": V}},
        "node_modules/@esbuild/linux-x64": {"version": V, "optional": True, "os": ["linux"], "cpu": ["x64"]},
        "node_modules/@esbuild/darwin-arm64": {"version": V, "optional": True, "os": ["darwin"], "cpu": ["arm64"]},
        "node_modules/@esbuild/win32-x64": {"version": V, "optional": True, "os": ["win32"], "cpu": ["x64"]},
        "node_modules/a": {"version": "1.0.0", "dependencies": {"b": "2.0.0"}},
        "node_modules/a/node_modules/b": {"version": "2.0.0"},
        "node_modules/b": {"version": "1.0.0"},
        "node_modules/dev-only": {"version": "3.0.0", "dev": True},
    },
}
# What `npm ci --omit=dev` on linux-x64 put in /app/node_modules (the lock's install paths).
INSTALLED_V3 = ["node_modules/esbuild", "node_modules/@esbuild/linux-x64", "node_modules/a",
                "node_modules/a/node_modules/b", "node_modules/b"]

# lockfileVersion 1: install paths follow the `dependencies` nesting
LOCK_V1: dict[str, Any] = {
    "name": "legacy",
    "version": "1.0.0",
    "lockfileVersion": 1,
    "dependencies": {
        "x": {"version": "1.0.0", "dependencies": {"y": {"version": "2.0.0"}}},
        "y": {"version": "1.0.0"},
        "fsevents": {"version": "2.3.3", "optional": True},
        "alias-z": {"version": "npm:z@4.0.0"},
    },
}
INSTALLED_V1 = ["node_modules/x", "node_modules/x/node_modules/y", "node_modules/y", "node_modules/alias-z"]


def _manifest(name: str, version: str, **extra: Any) -> str:
    return json.dumps({"name": name, "version": version, **extra})


def _v3_entries(lock: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """install path -> (name, version) of the lock's third-party entries."""
    return {k: (k.rsplit("node_modules/", 1)[1], e["version"]) for k, e in lock["packages"].items() if k}


def _v1_entries(deps: dict[str, Any], parent: str = "") -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for key, e in deps.items():
        path = f"{parent}node_modules/{key}"
        name, version = key, e["version"]
        if version.startswith("npm:"):
            name, _, version = version[4:].rpartition("@")
        out[path] = (name, version)
        out.update(_v1_entries(e.get("dependencies") or {}, path + "/"))
    return out


def _installed_files(project: str, entries: dict[str, tuple[str, str]], installed: list[str]) -> list[Member]:
    return [f(f"{project}/{p}/package.json".lstrip("/"), _manifest(*entries[p])) for p in installed]


def _lock_found(pkgs: tuple[Package, ...], lock_path: str) -> set[tuple[str, str]]:
    """What the lock file stands for: its own entries, and the installed copies it was merged
    into (one package per installed copy, the lock among its locations)."""
    return {(p.name, p.version) for p in pkgs if any(loc.path == lock_path for loc in p.locations)}


def _scan(tmp_path: Path, name: str, layers: list[list[Member]]) -> tuple[Package, ...]:
    root = oci_layout(tmp_path / name, {"latest": ImageSpec(layers=layers)})
    return inventory(f"oci:{root}").catalog.packages


def test_lock_entries_without_an_install_folder_are_left_out(tmp_path: Path) -> None:
    v3, v1 = _v3_entries(LOCK_V3), _v1_entries(LOCK_V1["dependencies"])
    lock_layer = [f("app/package-lock.json", json.dumps(LOCK_V3)),
                  f("legacy/package-lock.json", json.dumps(LOCK_V1)),
                  # shipped without an install: the lock's word is all there is
                  f("srv/shipped/package-lock.json", json.dumps(LOCK_V3))]
    install_layer = [*_installed_files("/app", v3, INSTALLED_V3), *_installed_files("/legacy", v1, INSTALLED_V1)]
    # a later RUN deletes the hoisted b (rm -rf node_modules/b): the squashed view decides
    removal = [f("app/node_modules/.wh.b")]
    pkgs = _scan(tmp_path, "img", [lock_layer, install_layer, removal])

    left = [p for p in INSTALLED_V3 if p != "node_modules/b"]
    assert _lock_found(pkgs, "/app/package-lock.json") == {v3[p] for p in left}
    assert _lock_found(pkgs, "/legacy/package-lock.json") == {v1[p] for p in INSTALLED_V1}
    assert _lock_found(pkgs, "/srv/shipped/package-lock.json") == set(v3.values())
    # the installed copies are reported from their own package.json too, b@1.0.0 not any more
    from_manifests = {(p.name, p.version) for p in pkgs if p.found_by == "npm-package-json"}
    assert from_manifests == {v3[p] for p in left} | {v1[p] for p in INSTALLED_V1}
    # npm skipped the other platforms' binaries: only the shipped lock names them
    darwin = [p.locations[0].path for p in pkgs if p.name == "@esbuild/darwin-arm64"]
    assert darwin == ["/srv/shipped/package-lock.json"]
    # the install paths were for the runner only
    assert not any("install_paths" in p.metadata for p in pkgs)
    # an installed copy is one package, whatever the number of files that name it
    installed = [(p.name, p.version, p.locations[0].path) for p in pkgs if p.found_by == "npm-package-json"]
    assert len(installed) == len(set(installed))
    merged = [p for p in pkgs if p.name == "a" and p.version == "1.0.0" and p.locations[0].path.startswith("/app/")]
    assert len(merged) == 1 and [loc.path for loc in merged[0].locations] == [
        "/app/node_modules/a/package.json", "/app/package-lock.json"]
    assert not [p for p in pkgs if p.found_by == "npm-lock" and p.locations[0].path.startswith("/app/")]


def test_hidden_lockfile_is_checked_against_its_own_node_modules(tmp_path: Path) -> None:
    v3 = _v3_entries(LOCK_V3)
    hidden = "app/node_modules/.package-lock.json"
    assert project_dir("/" + hidden) == "/app" and project_dir("/app/package-lock.json") == "/app"
    pkgs = _scan(tmp_path, "img", [[f(hidden, json.dumps(LOCK_V3)), *_installed_files("/app", v3, INSTALLED_V3)]])
    assert _lock_found(pkgs, "/" + hidden) == {v3[p] for p in INSTALLED_V3}


def test_per_layer_cache_stays_right_when_the_install_differs(tmp_path: Path) -> None:
    # the same lock layer (cached after the first scan) in an image without node_modules and in
    # one with it: the decision is the runner's, from each image's own squashed view
    v3 = _v3_entries(LOCK_V3)
    lock_layer = [f("app/package-lock.json", json.dumps(LOCK_V3))]
    without = _scan(tmp_path, "a", [lock_layer])
    with_install = _scan(tmp_path, "b", [lock_layer, _installed_files("/app", v3, INSTALLED_V3)])
    again = _scan(tmp_path, "a2", [lock_layer])
    assert _lock_found(without, "/app/package-lock.json") == set(v3.values()) == _lock_found(again, "/app/package-lock.json")
    assert _lock_found(with_install, "/app/package-lock.json") == {v3[p] for p in INSTALLED_V3}


def test_an_empty_node_modules_folder_counts_as_an_install(tmp_path: Path) -> None:
    # `npm ci` of a lock whose every entry was optional for another platform: node_modules
    # exists (a directory entry only) and holds none of them
    lock = {"lockfileVersion": 3, "packages": {"": {}, "node_modules/@esbuild/win32-x64": {"version": V, "optional": True}}}
    pkgs = _scan(tmp_path, "img", [[f("app/package-lock.json", json.dumps(lock)),
                                    d("app/node_modules")]])
    assert _lock_found(pkgs, "/app/package-lock.json") == set()


# -- vendored copies -------------------------------------------------------------------------

# next/dist/compiled as Next.js ships it: some bundled packages keep their name and version,
# most keep only a name (and entry points)
COMPILED: dict[str, dict[str, Any]] = {
    "@babel/runtime": {"name": "@babel/runtime", "version": "7.22.5", "license": "MIT"},
    "@edge-runtime/cookies": {"name": "@edge-runtime/cookies", "version": "4.0.2"},
    "react-is": {"name": "react-is", "version": "18.2.0"},
    "acorn": {"name": "acorn", "main": "acorn.js", "license": "MIT"},  # no version
    "babel": {"name": "@babel/core"},  # no version
}
# other package.json files inside installed packages that are not packages
NOT_PACKAGES: dict[str, dict[str, Any]] = {
    # private markers named after their folder (terser ships these)
    "terser/dist": {"name": "dist", "version": "1.0.0", "private": True, "type": "commonjs"},
    # a sub-path manifest of the package itself
    "rxjs/ajax": {"name": "rxjs/ajax", "main": "../dist/ajax/index.js"},
    "@bcoe/v8-coverage/dist/lib": {"name": "@bcoe/v8-coverage", "version": "0.2.3"},
    # test fixtures and benchmarks, even with a name and version and not private
    "resolve/test/resolver/mylib": {"name": "mylib", "version": "0.0.0"},
    "lodash-fixture/__fixtures__/old": {"name": "lodash", "version": "4.17.4"},
    "fast-uri/benchmark": {"name": "benchmark", "version": "1.0.0"},
    "esm-only/lib": {"type": "module"},
}
OWNERS = {"next": "13.5.6", "terser": "5.26.0", "rxjs": "7.8.1", "@bcoe/v8-coverage": "0.2.3",
          "resolve": "1.22.8", "lodash-fixture": "1.0.0", "fast-uri": "2.3.0", "esm-only": "1.0.0"}


def test_vendored_copies_with_name_and_version_are_reported(tmp_path: Path) -> None:
    nm = "app/node_modules"
    files = [f(f"{nm}/{owner}/package.json", _manifest(owner, v)) for owner, v in OWNERS.items()]
    files += [f(f"{nm}/next/dist/compiled/{sub}/package.json", json.dumps(doc)) for sub, doc in COMPILED.items()]
    files += [f(f"{nm}/{sub}/package.json", json.dumps(doc)) for sub, doc in NOT_PACKAGES.items()]
    pkgs = _scan(tmp_path, "img", [files])

    vendored = {(p.name, p.version): p for p in pkgs if p.metadata.get("vendored")}
    want = {(doc["name"], doc["version"]) for doc in COMPILED.values() if doc.get("version")}
    assert set(vendored) == want and want
    for doc in COMPILED.values():
        if "version" in doc:
            p = vendored[doc["name"], doc["version"]]
            assert p.metadata["vendored_in"] == "next" and p.found_by == "npm-package-json"
            assert p.locations[0].path.startswith("/app/node_modules/next/dist/compiled/")
            assert p.purl.startswith("pkg:npm/")
    assert vendored["@babel/runtime", "7.22.5"].licenses == ("MIT",)
    # every manifest at an install path is reported as installed; nothing else is
    installed = {(p.name, p.version) for p in pkgs if not p.metadata.get("vendored")}
    assert installed == set(OWNERS.items())
    # versionless compiled copies: nothing an advisory can match, so no package and no unknown
    # either (syft lists them with no version; see tests/peers)
    paths = {loc.path for p in pkgs for loc in p.locations}
    for sub, doc in COMPILED.items():
        if "version" not in doc:
            assert f"/{nm}/next/dist/compiled/{sub}/package.json" not in paths
    for sub in NOT_PACKAGES:
        assert f"/{nm}/{sub}/package.json" not in paths


def test_vendored_copy_inside_a_nested_install(tmp_path: Path) -> None:
    base = "srv/node_modules/a/node_modules/next"
    files = [f(f"{base}/package.json", _manifest("next", "14.0.0")),
             f(f"{base}/dist/compiled/react-is/package.json", _manifest("react-is", "18.3.0"))]
    pkgs = _scan(tmp_path, "img", [files])
    (p,) = [p for p in pkgs if p.metadata.get("vendored")]
    assert (p.name, p.version, p.metadata["vendored_in"]) == ("react-is", "18.3.0", "next")
    assert posixpath.dirname(p.locations[0].path) == f"/{base}/dist/compiled/react-is"


def test_broken_manifest_inside_a_package_is_no_claim() -> None:
    from hullcheck.catalog.npm_package_json import NpmPackageJsonAnalyzer

    from .langutil import file_input

    a = NpmPackageJsonAnalyzer()
    broken = b'{"name": "x", "version": '
    inside = a.analyze(file_input("/app/node_modules/parser/test-data/bad/package.json", broken))
    assert inside.packages == () and inside.unknown is None
    # at an install path, a broken manifest is an installed package we cannot read: unknown
    installed = a.analyze(file_input("/app/node_modules/x/package.json", broken))
    assert installed.packages == () and installed.unknown
