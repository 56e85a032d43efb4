"""Cargo.lock analyzer against syft's and trivy's fixtures, plus hostile input."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import pytest

from hullcheck.catalog.cargo_lock import CargoLockAnalyzer, parse_cargo_lock
from hullcheck.model import PackageType
from tests.catalog.langutil import FIXTURES, expected, file_input, name_versions

CARGO = CargoLockAnalyzer()
SYFT = "syft/syft/pkg/cataloger/rust/testdata"
TRIVY = "trivy/pkg/dependency/parser/rust/cargo/testdata"


@pytest.mark.parametrize("rel", ["Cargo.lock", "Cargo.lock-with-git-deps", "path-deps/Cargo.lock"])
def test_matches_syft(shared_data: Path, rel: str) -> None:
    fixture = f"{SYFT}/{rel}"
    exp = expected(shared_data, fixture)["packages"]
    data = (shared_data / FIXTURES / fixture).read_bytes()
    pkgs = parse_cargo_lock(data, "/src/Cargo.lock")
    # syft also reports the workspace's own crates (entries without `source`, which syft gives
    # no purl: hello_world, app, telemetry). They are local code, not crates.io packages.
    local = {
        (e["name"], e["version"])
        for e in tomllib.loads(data.decode())["package"]
        if "source" not in e
    }
    want = {(p["Name"], p["Version"]) for p in exp} - local
    assert name_versions(pkgs) == want
    purls = {p["PURL"] for p in exp if p.get("PURL")}
    assert {p.purl for p in pkgs} == purls
    for p in pkgs:
        assert p.type is PackageType.RUST_CRATE and p.ecosystem == "crates.io"


def test_git_and_registry_copies_are_one_package(shared_data: Path) -> None:
    data = (shared_data / FIXTURES / SYFT / "Cargo.lock-with-git-deps").read_bytes()
    regex = next(p for p in parse_cargo_lock(data, "/x") if p.name == "regex")
    assert len(regex.metadata["sources"]) == 2
    assert regex.metadata["from_crates_io"] is True


@pytest.mark.parametrize("name", ["cargo_normal.lock", "cargo_mixed.lock", "cargo_v3.lock"])
def test_trivy_fixtures_against_a_text_reading(shared_data: Path, name: str) -> None:
    text = (shared_data / FIXTURES / TRIVY / name).read_text()
    # independent witness: the [[package]] blocks that carry a source line
    want = set()
    for block in text.split("[[package]]")[1:]:
        n = re.search(r'^name = "(.+)"', block, re.M)
        # cargo_mixed.lock writes one version as a TOML multi-line string: """1.7.2"""
        v = re.search(r'^version = "+(.+?)"+$', block, re.M)
        if n and v and re.search(r"^source = ", block, re.M):
            want.add((n.group(1), v.group(1)))
    got = name_versions(parse_cargo_lock(text.encode(), "/x/Cargo.lock"))
    assert got == want and got


@pytest.mark.parametrize(
    "rel", [f"{TRIVY}/cargo_invalid.lock", f"{SYFT}/glob-paths/src/Cargo.lock"]
)
def test_invalid_is_unknown(shared_data: Path, rel: str) -> None:
    art = CARGO.analyze(file_input("/x/Cargo.lock", (shared_data / FIXTURES / rel).read_bytes()))
    assert art.packages == () and art.unknown


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"package = 5",
        b"package = [1, 'x']",
        b"a = " + b"[" * 200_000,
        b"a = " + b"{ b = " * 100_000,
        b'[[package]]\nname = "' + b"x" * 4_000_000 + b'"\nversion = "1"\nsource = "registry+x"\n',
        b"[[package]]\nname = 1\nversion = []\nsource = {}\n",
        b"\xff\xfe garbage",
    ],
    ids=range(8),
)
def test_hostile(data: bytes) -> None:
    t0 = time.monotonic()
    art = CARGO.analyze(file_input("/x/Cargo.lock", data))
    assert art.packages == ()
    assert time.monotonic() - t0 < 5


def test_wants() -> None:
    assert CARGO.wants("/src/app/Cargo.lock", 1, 0o100644)
    assert not CARGO.wants("/src/app/Cargo.toml", 1, 0o100644)
