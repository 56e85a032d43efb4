"""Package keys from purls, peers' documents and the ground truth; the set comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.harness import accuracy as acc
from bench.harness.accuracy import PkgKey


@pytest.mark.parametrize(
    ("spellings", "want"),
    [
        # Trivy writes the deb epoch as a qualifier; Syft and hullcheck inside the version.
        (["pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.15&epoch=1",
          "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib",
          "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1"],
         PkgKey("deb", "zlib1g", "1:1.2.13.dfsg-1")),
        # Epoch 0 is no epoch.
        (["pkg:rpm/rocky/bash@5.1.8-6.el9?epoch=0", "pkg:rpm/redhat/bash@0:5.1.8-6.el9", "pkg:rpm/rocky/bash@5.1.8-6.el9"],
         PkgKey("rpm", "bash", "5.1.8-6.el9")),
        # PEP 503 names.
        (["pkg:pypi/PyYAML@5.3.1", "pkg:pypi/pyyaml@5.3.1"], PkgKey("pypi", "pyyaml", "5.3.1")),
        (["pkg:pypi/zope.interface@6.0", "pkg:pypi/zope_interface@6.0", "pkg:pypi/Zope-Interface@6.0"],
         PkgKey("pypi", "zope-interface", "6.0")),
        # npm scopes are part of the name.
        (["pkg:npm/%40babel/core@7.22.0", "pkg:npm/@babel/core@7.22.0"], PkgKey("npm", "@babel/core", "7.22.0")),
        # Go: with or without "v", stdlib with "go".
        (["pkg:golang/stdlib@v1.20.12", "pkg:golang/stdlib@1.20.12", "pkg:golang/stdlib@go1.20.12"],
         PkgKey("golang", "stdlib", "1.20.12")),
        (["pkg:golang/github.com/evanw/esbuild@v0.19.10", "pkg:golang/github.com/evanw/esbuild@0.19.10"],
         PkgKey("golang", "github.com/evanw/esbuild", "0.19.10")),
        # A package with no version (Syft reports package.json files without one).
        (["pkg:npm/app"], PkgKey("npm", "app", "")),
    ],
)
def test_same_package_same_key(spellings: list[str], want: PkgKey) -> None:
    assert {acc.key_from_purl(p) for p in spellings} == {want}


def test_distinct_packages_stay_distinct() -> None:
    purls = ["pkg:deb/debian/zlib1g@1.2.13?epoch=1", "pkg:deb/debian/zlib1g@1.2.13",
             "pkg:npm/%40types/node@20.0.0", "pkg:npm/node@20.0.0", "pkg:pypi/node@20.0.0"]
    assert len(acc.keys(purls)) == len(purls)


@pytest.mark.parametrize("bad", ["", "not a purl", "pkg:", "http://example.com/x"])
def test_not_a_purl(bad: str) -> None:
    assert acc.key_from_purl(bad) is None


def test_cyclonedx_nested_components_counted_image_not() -> None:
    doc = {
        "metadata": {"component": {"type": "container", "name": "img", "purl": "pkg:oci/img@sha256%3Aabc"}},
        "components": [
            {"type": "operating-system", "name": "debian"},
            {"type": "library", "name": "a", "purl": "pkg:npm/a@1.0.0",
             "components": [{"type": "library", "name": "b", "purl": "pkg:npm/b@2.0.0"}]},
            {"type": "file", "name": "/etc/passwd"},
        ],
    }
    assert acc.cyclonedx_purls(doc) == ["pkg:npm/a@1.0.0", "pkg:npm/b@2.0.0"]


def test_trivy_json_packages() -> None:
    doc = {"Results": [
        {"Target": "img (debian 12.15)", "Class": "os-pkgs",
         "Packages": [{"Name": "zlib1g", "Version": "1.2.13.dfsg", "Release": "1", "Epoch": 1,
                       "Identifier": {"PURL": "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&epoch=1"}}]},
        {"Target": "Python", "Class": "lang-pkgs",
         "Packages": [{"Name": "Jinja2", "Identifier": {"PURL": "pkg:pypi/jinja2@2.10"}}, {"Name": "no-purl"}]},
        {"Target": "/opt/app/.env", "Class": "secret", "Secrets": [{"RuleID": "github-pat"}]},
    ]}
    assert acc.keys(acc.trivy_json_purls(doc)) == {PkgKey("deb", "zlib1g", "1:1.2.13.dfsg-1"),
                                                   PkgKey("pypi", "jinja2", "2.10")}


def test_load_keys_counts_entries(tmp_path: Path) -> None:
    # The same package at two paths: two entries, one key.
    p = tmp_path / "x.cdx.json"
    p.write_text(json.dumps({"components": [{"purl": "pkg:npm/semver@7.5.4"}, {"purl": "pkg:npm/semver@7.5.4"}]}))
    assert acc.load_keys(p) == (frozenset({PkgKey("npm", "semver", "7.5.4")}), 2)


def test_truth_keys_from_expected_shape() -> None:
    expected = {"os": {"ID": "debian"}, "user": "root",
                "dpkg": [{"name": "bsdutils", "version": "1:2.38.1-5+deb12u3", "arch": "amd64", "source": "util-linux"}],
                "python": [{"name": "PyYAML", "version": "5.3.1", "path": "/x"}],
                "npm": [{"name": "@babel/core", "version": "7.22.0", "path": "/app/node_modules/@babel/core"}],
                "planted_secrets": [{"file": "/x", "kind": "private-key"}]}
    assert acc.truth_keys(expected) == {PkgKey("deb", "bsdutils", "1:2.38.1-5+deb12u3"),
                                        PkgKey("pypi", "pyyaml", "5.3.1"), PkgKey("npm", "@babel/core", "7.22.0")}


def test_compare_set_algebra() -> None:
    a, b, c, d, e = (PkgKey("npm", n, "1") for n in "abcde")
    truth = frozenset({a, b, c, d})
    found = {"hullcheck": frozenset({a, b, c}), "trivy": frozenset({a, b}), "syft": frozenset({a, d, e})}
    diffs = {x.tool: x for x in acc.compare(found, truth, {"hullcheck": 5})}
    assert diffs["hullcheck"].only == {c} and diffs["hullcheck"].missed == {d, e}
    assert diffs["trivy"].only == frozenset() and diffs["trivy"].missed == {c, d, e}
    assert diffs["syft"].only == {d, e} and diffs["syft"].missed == {b, c}
    assert diffs["hullcheck"].truth_missing == {d} and diffs["hullcheck"].truth_extra == frozenset()
    assert diffs["syft"].truth_missing == {b, c} and diffs["syft"].truth_extra == {e}
    assert diffs["hullcheck"].entries == 5 and diffs["trivy"].entries == 2  # given, else distinct


def test_compare_without_truth() -> None:
    (d,) = acc.compare({"x": frozenset({PkgKey("npm", "a", "1")})}, None)
    assert d.truth_missing is None and d.truth_extra is None and d.only == d.found


def test_by_type_and_examples() -> None:
    ks = [PkgKey("npm", "b", "1"), PkgKey("deb", "z", "1"), PkgKey("npm", "a", "")]
    assert acc.by_type(ks) == {"deb": 1, "npm": 2}
    assert acc.examples(ks, 2) == ["deb:z@1", "npm:a (no version)"]
