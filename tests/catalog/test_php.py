"""Composer analyzers: installed.json v1/v2 and composer.lock against the peers' fixtures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hullcheck.catalog.php import (
    ComposerInstalledAnalyzer,
    ComposerLockAnalyzer,
    parse_composer_lock,
    parse_installed_json,
)
from hullcheck.model import PackageType
from tests.catalog.langutil import FIXTURES, expected, file_input, name_versions

INSTALLED = ComposerInstalledAnalyzer()
LOCK = ComposerLockAnalyzer()
SYFT = "syft/syft/pkg/cataloger/php/testdata"


def _syft_packages(exp: dict[str, object]) -> list[dict[str, str]]:
    # The transcription of syft's test picked up author literals ({"Name": "Alexander"}) next
    # to the packages; only entries with a version are packages.
    return [p for p in exp["packages"] if "Version" in p]  # type: ignore[union-attr]


@pytest.mark.parametrize("variant", ["composer_1", "composer_2"])
def test_installed_json_matches_syft(shared_data: Path, variant: str) -> None:
    fixture = f"{SYFT}/vendor/{variant}/installed.json"
    pkgs_exp = _syft_packages(expected(shared_data, fixture))
    data = (shared_data / FIXTURES / fixture).read_bytes()
    path = "/var/www/vendor/composer/installed.json"
    assert INSTALLED.wants(path, len(data), 0o100644)
    art = INSTALLED.analyze(file_input(path, data))
    assert art.unknown is None
    assert name_versions(art.packages) == {(p["Name"], p["Version"]) for p in pkgs_exp}
    purls = {p.purl for p in art.packages}
    assert purls == {p["PURL"] for p in pkgs_exp}
    for p in art.packages:
        assert p.type is PackageType.COMPOSER and p.ecosystem == "Packagist"
        assert p.found_by == "composer-installed"
    doc = json.loads(data)
    if isinstance(doc, dict):  # v2 names its dev packages
        dev = {p.name for p in art.packages if p.metadata.get("dev")}
        assert dev == set(doc["dev-package-names"])
        normalized = {e["name"]: e["version_normalized"] for e in doc["packages"]}
        assert {p.name: p.metadata["version_normalized"] for p in art.packages} == normalized


def test_composer_lock_matches_trivy(shared_data: Path) -> None:
    fixture = "trivy/pkg/dependency/parser/php/composer/testdata/composer_happy.lock"
    exp = expected(shared_data, fixture)["packages"]
    data = (shared_data / FIXTURES / fixture).read_bytes()
    pkgs = parse_composer_lock(data, "/app/composer.lock")
    assert name_versions(pkgs) == {(p["Name"], p["Version"]) for p in exp}
    lic = {p["Name"]: p.get("Licenses", []) for p in exp}
    # symfony/polyfill-php72 declares the expression "MIT or BSD-2-Clause" (a string, not a
    # list); trivy splits it into two licenses, we keep the declared expression as one.
    doc = json.loads(data)
    declared = {e["name"]: e["license"] for e in doc["packages"] + doc["packages-dev"]}
    assert declared["symfony/polyfill-php72"] == "MIT or BSD-2-Clause"
    lic["symfony/polyfill-php72"] = ["MIT or BSD-2-Clause"]
    assert {p.name: list(p.licenses) for p in pkgs} == lic
    # packages-dev are reported too, flagged as dev
    assert {p.name for p in pkgs if p.metadata.get("dev")} == {
        e["name"] for e in doc["packages-dev"]
    }


def test_composer_lock_syft(shared_data: Path) -> None:
    data = (shared_data / FIXTURES / SYFT / "composer.lock").read_bytes()
    doc = json.loads(data)
    pkgs = parse_composer_lock(data, "/app/composer.lock")
    want = {(e["name"], e["version"]) for e in doc["packages"] + doc["packages-dev"]}
    assert name_versions(pkgs) == want
    assert all(p.purl.startswith("pkg:composer/") and p.purl.count("/") == 2 for p in pkgs)


def test_wants() -> None:
    assert INSTALLED.wants("/app/vendor/composer/installed.json", 1, 0o100644)
    assert INSTALLED.wants("/app/lib/composer/installed.json", 1, 0o100644)  # custom vendor-dir
    assert not INSTALLED.wants("/app/installed.json", 1, 0o100644)
    assert not INSTALLED.wants("/app/vendor/composer/installed.php", 1, 0o100644)
    assert LOCK.wants("/app/composer.lock", 1, 0o100644)
    assert not LOCK.wants("/app/vendor/foo/bar/composer.lock", 1, 0o100644)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b"null",
        b'{"packages": {"a": 1}}',
        b"[" * 500_000 + b"]" * 500_000,
        b'{"packages": [{"name": "' + b"v/" * 3_000_000 + b'", "version": "1"}]}',
        b'{"packages": [{"name": "novendor", "version": "1"}, 5, null, {"name": ["a"]}]}',
    ],
    ids=range(7),
)
def test_hostile(data: bytes) -> None:
    t0 = time.monotonic()
    for analyzer, path in ((INSTALLED, "/v/composer/installed.json"), (LOCK, "/a/composer.lock")):
        art = analyzer.analyze(file_input(path, data))
        assert art.packages == ()
    assert time.monotonic() - t0 < 5


def test_installed_json_v1_list_and_v2_object_agree() -> None:
    entry = {"name": "monolog/monolog", "version": "2.9.1", "license": ["MIT"]}
    v1 = parse_installed_json(json.dumps([entry]).encode(), "/v/composer/installed.json")
    v2 = parse_installed_json(json.dumps({"packages": [entry]}).encode(), "/v/composer/i.json")
    assert (
        [(p.name, p.version, p.licenses, p.purl) for p in v1]
        == [(p.name, p.version, p.licenses, p.purl) for p in v2]
        == [("monolog/monolog", "2.9.1", ("MIT",), "pkg:composer/monolog/monolog@2.9.1")]
    )
