"""npm-family analyzers against the peers' fixtures (trivy, syft), checked against their expected
lists or against facts read independently from the same files, plus hostile inputs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from hullcheck.catalog.npm_lock import NpmLockAnalyzer, parse_package_lock
from hullcheck.catalog.npm_package_json import NpmPackageJsonAnalyzer, parse_package_json, vendoring_package
from hullcheck.catalog.pnpm_lock import PnpmLockAnalyzer, parse_pnpm_lock, split_key
from hullcheck.catalog.yarn_lock import YarnLockAnalyzer, parse_yarn_lock
from hullcheck.model import PackageType
from tests.catalog.langutil import (
    FIXTURES,
    expected,
    expected_name_versions,
    file_input,
    name_versions,
    run_tree,
)

LOCK = NpmLockAnalyzer()
PKG = NpmPackageJsonAnalyzer()
YARN = YarnLockAnalyzer()
PNPM = PnpmLockAnalyzer()

TRIVY_NPM = "trivy/pkg/dependency/parser/nodejs/npm/testdata"
SYFT_JS = "syft/syft/pkg/cataloger/javascript/testdata"
TRIVY_YARN = "trivy/pkg/dependency/parser/nodejs/yarn/testdata"
TRIVY_PNPM = "trivy/pkg/dependency/parser/nodejs/pnpm/testdata"


def _read(shared_data: Path, rel: str) -> bytes:
    return (shared_data / FIXTURES / rel).read_bytes()


# -- package-lock.json ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "package-lock_v1.json",
        "package-lock_v2.json",
        "package-lock_v3.json",
        "package-lock_v3_with-same-dev-and-non-dev.json",
        "package-lock_v3_with_peer.json",
    ],
)
def test_npm_lock_matches_trivy(shared_data: Path, name: str) -> None:
    fixture = f"{TRIVY_NPM}/{name}"
    exp = expected(shared_data, fixture)
    pkgs = parse_package_lock(_read(shared_data, fixture), "/app/package-lock.json")
    assert name_versions(pkgs) == expected_name_versions(exp)
    assert len(pkgs) == len(exp["packages"])  # one package per (name, version)
    want_dev = {(p["Name"], p["Version"]): p.get("Dev", False) for p in exp["packages"]}
    for p in pkgs:
        assert p.metadata.get("dev", False) == want_dev[(p.name, p.version)], p.name
        assert p.type is PackageType.NPM and p.ecosystem == "npm" and p.found_by == "npm-lock"
    want_lic = {(p["Name"], p["Version"]): p.get("Licenses", []) for p in exp["packages"]}
    for p in pkgs:
        assert list(p.licenses) == want_lic[(p.name, p.version)]


def test_npm_lock_legacy_licenses(shared_data: Path) -> None:
    fixture = f"{TRIVY_NPM}/package-lock_v3_with_legacy_licenses.json"
    exp = expected(shared_data, fixture)
    pkgs = {
        p.name: p for p in parse_package_lock(_read(shared_data, fixture), "/a/package-lock.json")
    }
    assert {(p.name, p.version) for p in pkgs.values()} == expected_name_versions(exp)
    assert pkgs["mustache"].licenses == ("MIT",)
    assert pkgs["tv4"].licenses == ("Public Domain", "MIT")
    # trivy drops a license given as a list of strings; we keep what the package declared.
    doc = json.loads(_read(shared_data, fixture))
    assert (
        list(pkgs["pause-stream"].licenses)
        == doc["packages"]["node_modules/pause-stream"]["license"]
    )


@pytest.mark.parametrize(
    "name",
    [
        "package-lock_v3_with_workspace.json",
        "package-lock_v3_with_workspace_as_object.json",
        "package-lock_v3_without_root_deps_field.json",
    ],
)
def test_npm_lock_workspaces_are_the_projects_own_code(shared_data: Path, name: str) -> None:
    # trivy also reports workspace folders (function1, nested_func, testapp, func1) as packages.
    # They are the application's own sources (entries outside node_modules, and the "link"
    # entries pointing at them), like the root entry: not third-party packages, so we leave
    # them out. Everything installed under node_modules matches trivy.
    fixture = f"{TRIVY_NPM}/{name}"
    doc = json.loads(_read(shared_data, fixture))
    workspace_names = set()
    for key, entry in doc["packages"].items():
        if entry.get("link"):
            workspace_names.add(key.rpartition("node_modules/")[2])
        elif key and "node_modules/" not in key:
            workspace_names.add(key.rsplit("/", 1)[-1])
    assert workspace_names
    exp = expected(shared_data, fixture)
    want = {(n, v) for n, v in expected_name_versions(exp) if n not in workspace_names}
    pkgs = parse_package_lock(_read(shared_data, fixture), "/app/package-lock.json")
    assert name_versions(pkgs) == want


@pytest.mark.parametrize(
    "name",
    [
        "package-lock.json",
        "nested-package-lock-1.json",
        "package-lock-2.json",
        "package-lock-3.json",
        "array-license-package-lock.json",
    ],
)
def test_npm_lock_matches_syft(shared_data: Path, name: str) -> None:
    fixture = f"{SYFT_JS}/pkg-lock/{name}"
    exp = expected(shared_data, fixture)
    data = _read(shared_data, fixture)
    doc = json.loads(data)
    pkgs = parse_package_lock(data, "/app/package-lock.json")
    got = name_versions(pkgs)
    # syft reports the root project ("" entry) as a package; it is the application, not a
    # dependency, so we leave it out.
    root = doc.get("packages", {}).get("")
    want = expected_name_versions(exp) - ({(root["name"], root["version"])} if root else set())
    # syft drops dev dependencies; we keep them flagged metadata["dev"] (a lock file in an image
    # does not tell whether dev dependencies were installed; policy decides).
    dev = {(p.name, p.version) for p in pkgs if p.metadata.get("dev")}
    assert got - dev == want
    assert got >= want
    if name == "nested-package-lock-1.json":
        # dev-nested sits under the dev-only dev-parent: dev too.
        assert dev == {("dev-parent", "1.0.0"), ("dev-nested", "1.0.0")}
    for p in pkgs:
        want_purl = next(
            (
                e.get("PURL")
                for e in exp["packages"]
                if e["Name"] == p.name and e["Version"] == p.version
            ),
            None,
        )
        if want_purl:
            assert p.purl == want_purl


def test_npm_aliases_report_the_real_package(shared_data: Path) -> None:
    for name in ("alias-package-lock-1.json", "alias-package-lock-2.json"):
        data = _read(shared_data, f"{SYFT_JS}/pkg-lock/{name}")
        got = name_versions(parse_package_lock(data, "/app/package-lock.json"))
        # read the alias targets from the resolved tarball URLs, an independent witness
        resolved = set()
        for url in re.findall(r'"resolved": "https://registry.npmjs.org/(.+?)"', data.decode()):
            pkg, _, tarball = url.partition("/-/")
            resolved.add((pkg, tarball.removesuffix(".tgz").rsplit("-", 1)[1]))
        assert got == resolved


def test_installed_tree_agrees_with_its_lock_file(shared_data: Path) -> None:
    # A real project: package-lock.json plus the node_modules npm installed from it.
    root = shared_data / FIXTURES / "trivy/pkg/fanal/analyzer/language/nodejs/npm/testdata/happy"
    arts = run_tree([LOCK, PKG], root, "/srv/app")
    assert all(a.unknown is None for a in arts)
    lock = [p for a in arts if a.analyzer == "npm-lock" for p in a.packages]
    installed = [p for a in arts if a.analyzer == "npm-package-json" for p in a.packages]
    manifests = list(root.rglob("node_modules/**/package.json"))
    assert len(installed) == len(manifests) >= 8
    assert name_versions(installed) <= name_versions(p for p in lock if not p.metadata.get("dev"))
    for p in installed:
        doc = json.loads((root / p.locations[0].path.removeprefix("/srv/app/")).read_text())
        assert (p.name, p.version) == (doc["name"], doc["version"])


def test_hidden_lockfile_is_wanted_and_read(shared_data: Path) -> None:
    data = _read(shared_data, f"{TRIVY_NPM}/package-lock_v3.json")
    path = "/app/node_modules/.package-lock.json"
    assert LOCK.wants(path, len(data), 0o100644)
    art = LOCK.analyze(file_input(path, data))
    assert art.unknown is None and len(art.packages) == 31
    assert {p.metadata["lockfile"] for p in art.packages} == {"npm-hidden-lockfile"}


# -- installed package.json -------------------------------------------------------------------


def test_installed_package_json_syft_tree(shared_data: Path) -> None:
    root = shared_data / FIXTURES / SYFT_JS / "pkg-lock"
    arts = [a for a in run_tree([PKG], root, "/app") if a.analyzer == "npm-package-json"]
    want = set()
    for manifest in root.rglob("node_modules/**/package.json"):
        doc = json.loads(manifest.read_text())
        want.add((doc["name"], doc["version"]))
    assert (
        {(p.name, p.version) for a in arts for p in a.packages}
        == want
        == {
            ("@actions/core", "1.6.0"),
            ("cowsay", "1.4.0"),
        }
    )
    scoped = next(p for a in arts for p in a.packages if p.name == "@actions/core")
    assert scoped.purl == "pkg:npm/%40actions/core@1.6.0"


@pytest.mark.parametrize(
    ("fixture", "outcome"),
    [
        ("package.json", "package"),
        ("legacy_package.json", "package"),
        ("without_version_package.json", "unknown"),
        ("without_name_and_version_package.json", "unknown"),
        ("invalid_package.json", "unknown"),
        ("invalid_name.json", "unknown"),
    ],
)
def test_package_json_variants(shared_data: Path, fixture: str, outcome: str) -> None:
    data = _read(shared_data, f"trivy/pkg/dependency/parser/nodejs/packagejson/testdata/{fixture}")
    art = PKG.analyze(file_input("/app/node_modules/x/package.json", data))
    if outcome == "package":
        doc = json.loads(data)
        (p,) = art.packages
        assert (p.name, p.version) == (doc["name"], doc["version"])
        assert p.licenses  # both declare a license (string, or legacy {type} objects)
    else:
        assert art.packages == () and art.unknown


def test_package_json_license_forms() -> None:
    doc = {"name": "a", "version": "1.0.0", "licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}
    (p,) = parse_package_json(json.dumps(doc).encode(), "/n/node_modules/a/package.json")
    assert p.licenses == ("MIT", "Apache-2.0")
    doc = {"name": "a", "version": "1.0.0", "license": {"type": "ISC", "url": "x"}}
    (p,) = parse_package_json(json.dumps(doc).encode(), "/n/node_modules/a/package.json")
    assert p.licenses == ("ISC",)


def test_package_json_wants_manifests_under_node_modules() -> None:
    installed = [
        "/app/node_modules/a/package.json",
        "/app/node_modules/@s/a/package.json",
        "/app/node_modules/a/node_modules/b/package.json",
        "/app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json",
        "/usr/lib/node_modules/npm/package.json",
    ]
    # inside an installed package: maybe a vendored copy, decided by the content
    inside = {
        "/app/node_modules/a/lib/package.json": "a",
        "/app/node_modules/next/dist/compiled/@babel/runtime/package.json": "next",
        "/app/node_modules/@s/a/dist/x/package.json": "@s/a",
        "/app/node_modules/a/node_modules/b/dist/package.json": "b",
    }
    no = [
        "/app/package.json",
        "/app/lib/package.json",
        "/app/node_modules/@s/package.json",
        "/app/node_modules/.bin/package.json",
        "/app/node_modules/.cache/x/package.json",
        "/app/node_modules/a/package.json.bak",
        # sample projects of a package's tests, fixtures, examples, benchmarks
        "/app/node_modules/resolve/test/resolver/multirepo/package.json",
        "/app/node_modules/a/__fixtures__/b/package.json",
        "/app/node_modules/fast-uri/benchmark/package.json",
        "/app/node_modules/@s/a/Examples/demo/package.json",
    ]
    assert all(PKG.wants(p, 1, 0o100644) for p in [*installed, *inside])
    assert not any(PKG.wants(p, 1, 0o100644) for p in no)
    assert all(vendoring_package(p) is None for p in installed + no)
    assert {p: vendoring_package(p) for p in inside} == inside
    assert LOCK.wants("/app/package-lock.json", 1, 0o100644)
    assert LOCK.wants("/app/npm-shrinkwrap.json", 1, 0o100644)
    assert not LOCK.wants("/app/node_modules/x/package-lock.json", 1, 0o100644)
    assert not LOCK.wants("/app/.package-lock.json", 1, 0o100644)


# -- yarn.lock --------------------------------------------------------------------------------

_RESOLVED = re.compile(
    r'^\s+"?resolved"? "https://registry\.(?:yarnpkg\.com|npmjs\.org)/(.+?)"', re.MULTILINE
)


def _yarn_v1_truth(text: str) -> set[tuple[str, str]]:
    """(name, version) from the registry tarball URLs: ``.../@s/n/-/n-1.2.3.tgz#sha``."""
    out = set()
    for url in _RESOLVED.findall(text):
        pkg, _, tarball = url.split("#")[0].partition("/-/")
        bare = pkg.rsplit("/", 1)[-1]
        if tarball.startswith(bare + "-"):  # one syft entry has a made-up URL: not a witness
            out.add((pkg, tarball.removesuffix(".tgz")[len(bare) + 1 :]))
    return out


@pytest.mark.parametrize(
    "fixture",
    [
        f"{SYFT_JS}/yarn/yarn.lock",
        f"{SYFT_JS}/yarn-dups/yarn.lock",
        f"{SYFT_JS}/yarn-dev-deps/yarn.lock",
        f"{SYFT_JS}/yarn-v1-deps/yarn.lock",
        f"{TRIVY_YARN}/yarn_happy.lock",
        f"{TRIVY_YARN}/yarn_with_npm.lock",
        f"{TRIVY_YARN}/yarn_with_local.lock",
        "trivy/pkg/fanal/analyzer/language/nodejs/yarn/testdata/alias/yarn.lock",
    ],
)
def test_yarn_v1(shared_data: Path, fixture: str) -> None:
    data = _read(shared_data, fixture)
    text = data.decode()
    pkgs = parse_yarn_lock(data, "/app/yarn.lock")
    got = name_versions(pkgs)
    truth = _yarn_v1_truth(text)
    assert truth
    # Entries not fetched from the registry (git URLs, GitHub shorthands) have no tarball URL
    # to check against; every registry one must be found, and nothing local ("file:") kept.
    assert truth <= got
    extra = got - truth
    assert all(("file:" not in text.split(f"{n}@")[1].split("\n")[0]) for n, _ in extra)
    assert {p.metadata["lockfile"] for p in pkgs} == {"yarn-v1"}
    if "with_local" in fixture:
        assert "local-package" not in {p.name for p in pkgs}


@pytest.mark.parametrize(
    "fixture",
    [
        f"{SYFT_JS}/yarn-berry/yarn.lock",
        f"{SYFT_JS}/yarn-berry-dups/yarn.lock",
        f"{SYFT_JS}/yarn-berry-dev-deps/yarn.lock",
        f"{TRIVY_YARN}/yarn_v2_happy.lock",
        f"{TRIVY_YARN}/yarn_v2_deps_with_protocol.lock",
        "trivy/pkg/fanal/analyzer/language/nodejs/yarn/testdata/monorepo/yarn.lock",
    ],
)
def test_yarn_berry_against_a_yaml_reading(shared_data: Path, fixture: str) -> None:
    data = _read(shared_data, fixture)
    # Berry lock files are YAML: read them with PyYAML as an independent witness. Registry
    # packages are the hard-linked entries resolved through the npm: protocol.
    doc = yaml.safe_load(data)
    truth = set()
    for key, entry in doc.items():
        if key == "__metadata" or entry.get("linkType") != "hard":
            continue
        resolution = entry["resolution"]
        name = resolution[: resolution.index("@", 1)]
        if resolution[len(name) + 1 :].startswith(("npm:", "patch:")):
            truth.add((name, str(entry["version"])))
    pkgs = parse_yarn_lock(data, "/app/yarn.lock")
    assert name_versions(pkgs) == truth
    assert {p.metadata["lockfile"] for p in pkgs} == {"yarn-berry"}
    workspaces = [k for k in doc if "@workspace:" in k]
    assert not {k.split("@workspace:")[0].strip('"') for k in workspaces} & {p.name for p in pkgs}


def test_yarn_git_dependency_is_kept(shared_data: Path) -> None:
    # A git dependency still names a real npm package at a version; we keep it.
    (p,) = parse_yarn_lock(_read(shared_data, f"{TRIVY_YARN}/yarn_with_git.lock"), "/y/yarn.lock")
    assert (p.name, p.version) == ("mapbox-gl-feature-drag-and-drop", "1.1.1")


@pytest.mark.parametrize(
    "fixture",
    [
        f"{SYFT_JS}/glob-paths/src/yarn.lock",  # "bogus yarn.lock"
        "trivy/pkg/fanal/analyzer/language/nodejs/yarn/testdata/unsupported_protocol/yarn.lock",
    ],
)
def test_yarn_garbage_is_unknown(shared_data: Path, fixture: str) -> None:
    art = YARN.analyze(file_input("/app/yarn.lock", _read(shared_data, fixture)))
    assert art.packages == () and art.unknown


# -- pnpm-lock.yaml ---------------------------------------------------------------------------


def _pnpm_truth(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """Registry packages of a pnpm lock read with PyYAML: each entry resolved by integrity,
    named by its key; v5 keys are /name/version, later ones name@version (peers in parens)."""
    v5 = float(doc["lockfileVersion"]) < 6
    out = set()
    for key, entry in (doc.get("packages") or {}).items():
        entry = entry or {}
        res = entry.get("resolution", {})
        if "version" in entry:
            # a package from a tarball URL: v5/v6 write its name and version, v9 only its
            # version and key it "name@<url>"
            name = entry.get("name") or re.match(r"/?(@?[^@]+)@", key).group(1)  # type: ignore[union-attr]
            if "directory" not in res and not str(res.get("tarball", "")).startswith("file:"):
                out.add((name, str(entry["version"])))
            continue
        if "integrity" not in res or str(res.get("tarball", "")).startswith("file:"):
            continue
        k = key.lstrip("/")
        if v5:
            name, _, version = k.rpartition("/")
            version = version.partition("_")[0]
        else:
            k = k.partition("(")[0]
            name, _, version = k.rpartition("@")
        out.add((name, version))
    return out


@pytest.mark.parametrize(
    "fixture",
    [
        f"{SYFT_JS}/pnpm/pnpm-lock.yaml",
        f"{SYFT_JS}/pnpm-v5-peer-suffix/pnpm-lock.yaml",
        f"{SYFT_JS}/pnpm-v6/pnpm-lock.yaml",
        f"{SYFT_JS}/pnpm-v9/pnpm-lock.yaml",
        f"{SYFT_JS}/pnpm-v9-snapshots/pnpm-lock.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_archives.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_many.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_normal.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_v6.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_v6_with_dev.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_with_dev.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_v9.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_v9_cyclic_import.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_v9_multi_version.yaml",
        f"{TRIVY_PNPM}/pnpm-lock_v9_same-vers-diff-peers.yaml",
    ],
)
def test_pnpm_against_a_yaml_reading(shared_data: Path, fixture: str) -> None:
    data = _read(shared_data, fixture)
    doc = yaml.safe_load(data)
    pkgs = parse_pnpm_lock(data, "/app/pnpm-lock.yaml")
    assert name_versions(pkgs) == _pnpm_truth(doc)
    assert len(pkgs) == len(name_versions(pkgs))
    if float(doc["lockfileVersion"]) < 9:
        # v5/v6 flag dev-only packages; a (name, version) is dev if every copy is.
        dev_flags: dict[tuple[str, str], bool] = {}
        for p in pkgs:
            dev_flags[(p.name, p.version)] = p.metadata.get("dev", False)
        n_dev = sum(1 for e in (doc.get("packages") or {}).values() if (e or {}).get("dev"))
        assert (n_dev > 0) == any(dev_flags.values())


@pytest.mark.parametrize(
    "fixture",
    [f"{TRIVY_PNPM}/pnpm-lock_v9.yaml", f"{TRIVY_PNPM}/pnpm-lock_v9_same-vers-diff-peers.yaml"],
)
def test_pnpm_v9_dev_from_importers(shared_data: Path, fixture: str) -> None:
    # v9 has no per-package dev flag: a direct devDependency that nothing else depends on is
    # dev; a direct production dependency never is.
    data = _read(shared_data, fixture)
    doc = yaml.safe_load(data)
    referenced = {
        f"{n}@{str(v).split('(')[0]}"
        for snap in doc["snapshots"].values()
        for section in ("dependencies", "optionalDependencies")
        for n, v in ((snap or {}).get(section) or {}).items()
    }
    prod, dev = set(), set()
    for importer in doc["importers"].values():
        for n, spec in (importer.get("dependencies") or {}).items():
            prod.add(f"{n}@{str(spec['version']).split('(')[0]}")
        for n, spec in (importer.get("devDependencies") or {}).items():
            dev.add(f"{n}@{str(spec['version']).split('(')[0]}")
    pkgs = {f"{p.name}@{p.version}": p for p in parse_pnpm_lock(data, "/app/pnpm-lock.yaml")}
    only_dev = {k for k in dev - prod - referenced if k in pkgs}
    assert only_dev
    assert all(pkgs[k].metadata.get("dev") for k in only_dev)
    assert not any(pkgs[k].metadata.get("dev") for k in prod if k in pkgs)


def test_pnpm_multi_document_skips_the_tooling_document(shared_data: Path) -> None:
    # pnpm writes its own tool chain (packageManagerDependencies) as a first YAML document;
    # that is not part of the project, the second document is.
    data = _read(shared_data, f"{SYFT_JS}/pnpm-multi-doc/pnpm-lock.yaml")
    docs = list(yaml.safe_load_all(data))
    assert len(docs) == 2
    pkgs = parse_pnpm_lock(data, "/app/pnpm-lock.yaml")
    assert name_versions(pkgs) == _pnpm_truth(docs[1])


@pytest.mark.parametrize(
    ("key", "slash", "want"),
    [
        ("/acorn-jsx/5.3.2_acorn@8.8.0", True, ("acorn-jsx", "5.3.2")),
        ("/@babel/core/7.21.4", True, ("@babel/core", "7.21.4")),
        ("registry.example.com/@s/n/1.0.0_fzn43tb6", True, ("@s/n", "1.0.0")),
        ("/@babel/core@7.21.4(supports-color@8.1.1)", False, ("@babel/core", "7.21.4")),
        ("is-number@7.0.0", False, ("is-number", "7.0.0")),
        ("debug@https://github.com/debug-js/debug/tarball/4.3.5", False, None),
        ("/x", True, None),
    ],
)
def test_pnpm_key_forms(key: str, slash: bool, want: tuple[str, str] | None) -> None:
    assert split_key(key, slash) == want


def test_pnpm_hidden_lockfile(shared_data: Path) -> None:
    data = _read(shared_data, f"{TRIVY_PNPM}/pnpm-lock_v9.yaml")
    path = "/app/node_modules/.pnpm/lock.yaml"
    assert PNPM.wants(path, len(data), 0o100644)
    assert not PNPM.wants("/app/lock.yaml", len(data), 0o100644)
    assert not PNPM.wants("/app/node_modules/x/pnpm-lock.yaml", len(data), 0o100644)
    art = PNPM.analyze(file_input(path, data))
    assert art.unknown is None
    assert name_versions(art.packages) == _pnpm_truth(yaml.safe_load(data))
    assert {p.metadata["lockfile"] for p in art.packages} == {"pnpm-hidden-lockfile"}


def test_pnpm_archives_use_declared_names(shared_data: Path) -> None:
    pkgs = parse_pnpm_lock(_read(shared_data, f"{TRIVY_PNPM}/pnpm-lock_archives.yaml"), "/p")
    names = {p.name for p in pkgs}
    assert {"is-negative", "debug"} <= names
    assert not {"lodash", "package1"} & names  # file: tarball and local directory


@pytest.mark.parametrize(
    "fixture",
    [
        f"{SYFT_JS}/corrupt/pnpm-lock.yaml",
        "trivy/pkg/fanal/analyzer/language/nodejs/pnpm/testdata/sad/pnpm-lock.yaml",
    ],
)
def test_pnpm_corrupt_is_unknown(shared_data: Path, fixture: str) -> None:
    art = PNPM.analyze(file_input("/app/pnpm-lock.yaml", _read(shared_data, fixture)))
    assert art.packages == () and art.unknown


# -- hostile inputs ---------------------------------------------------------------------------

HOSTILE_JSON = [
    b"",
    b"{",
    b"[]",
    b'"just a string"',
    b"\xff\xfe\x00garbage",
    b"[" * 1_000_000 + b"]" * 1_000_000,
    b'{"a":' * 200_000 + b"1" + b"}" * 200_000,
    b'{"name": "' + b"x" * 6_000_000 + b'", "version": "1.0.0"}',
    b'{"name": 5, "version": ["1"]}',
    b'{"lockfileVersion": 3, "packages": []}',
    b'{"lockfileVersion": 1, "dependencies": {"a": "not-an-object", "b": {"version": 7}}}',
]


@pytest.mark.parametrize("data", HOSTILE_JSON, ids=range(len(HOSTILE_JSON)))
def test_hostile_json_never_raises(data: bytes) -> None:
    t0 = time.monotonic()
    for analyzer, path in (
        (PKG, "/a/node_modules/x/package.json"),
        (LOCK, "/a/package-lock.json"),
    ):
        art = analyzer.analyze(file_input(path, data))
        assert art.analyzer == analyzer.id and art.path == path
        assert art.packages == () or all(p.name and p.version for p in art.packages)
    assert time.monotonic() - t0 < 5


def test_deep_v1_tree_is_bounded() -> None:
    # 300 nested levels: valid JSON within the parser's limits, but deeper than any real tree.
    inner: dict[str, Any] = {"version": "1.0.0"}
    for _ in range(300):
        inner = {"version": "1.0.0", "dependencies": {"a": inner}}
    data = json.dumps({"lockfileVersion": 1, "dependencies": {"a": inner}}).encode()
    art = LOCK.analyze(file_input("/a/package-lock.json", data))
    assert art.packages == () and "deep" in (art.unknown or "")


def test_oversized_lock_is_refused_without_reading() -> None:
    class Exploding:
        def __call__(self) -> Any:
            raise AssertionError("must not open an oversized file")

    from hullcheck.catalog.interface import FileInput

    art = LOCK.analyze(FileInput("/a/package-lock.json", 1 << 40, 0o100644, Exploding()))
    assert art.packages == () and "too large" in (art.unknown or "")


HOSTILE_YAML = [
    b"lockfileVersion: '9.0'\npackages: " + b"[" * 200_000,
    b"lockfileVersion: '9.0'\npackages: " + b"{a: " * 200_000,
    # billion laughs: aliases are refused before anything expands
    b"lockfileVersion: '9.0'\na: &a [x, x, x, x, x, x, x, x, x]\n"
    + b"".join(
        b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n"
        % ((98 + i, 98 + i) + (97 + i,) * 9)
        for i in range(9)
    )
    + b"packages: *j\n",
    b"lockfileVersion: '9.0'\npackages:\n  - not a map\n",
    b"lockfileVersion: '9.0'\npackages:\n  '" + b"a" * 3_000_000 + b"@1.0.0': {}\n",
    b"lockfileVersion: [1]\npackages:\n  /a/1.0.0: {}\n",
    b"\t\t: ::: {{{",
    b"",
]


@pytest.mark.parametrize("data", HOSTILE_YAML, ids=range(len(HOSTILE_YAML)))
def test_hostile_pnpm_never_raises(data: bytes) -> None:
    t0 = time.monotonic()
    art = PNPM.analyze(file_input("/a/pnpm-lock.yaml", data))
    assert art.packages == () and art.unknown
    assert time.monotonic() - t0 < 5


HOSTILE_YARN = [
    b"a@1:\n  version " + b'"' + b"1" * 3_000_000 + b'"\n',
    b"x" * 5_000_000,
    b'"unterminated@1:\n  version "1.0.0\n',
    b"\x00" * 1000,
    b"a@1:\n" + b"  " * 100_000 + b"version 1\n",
]


@pytest.mark.parametrize("data", HOSTILE_YARN, ids=range(len(HOSTILE_YARN)))
def test_hostile_yarn_never_raises(data: bytes) -> None:
    t0 = time.monotonic()
    art = YARN.analyze(file_input("/a/yarn.lock", data))
    assert art.packages == () or all(p.name and p.version for p in art.packages)
    assert art.packages == () or art.unknown is None
    assert time.monotonic() - t0 < 5


def test_npm_v1_git_local_and_bundled_entries() -> None:
    # npm 6 writes the git URL / file: path in "version" for non-registry dependencies; those
    # name no release an advisory can match. Bundled dependencies are installed code: kept.
    doc = {
        "lockfileVersion": 1,
        "dependencies": {
            "from-git": {"version": "git+https://github.com/o/r.git#0123abc", "from": "o/r"},
            "local": {"version": "file:../local"},
            "parent": {
                "version": "1.0.0",
                "dependencies": {"inner": {"version": "2.0.0", "bundled": True}},
            },
        },
    }
    pkgs = parse_package_lock(json.dumps(doc).encode(), "/app/package-lock.json")
    assert name_versions(pkgs) == {("parent", "1.0.0"), ("inner", "2.0.0")}
