""".NET deps.json analyzer against trivy's and syft's fixtures, plus hostile input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hullcheck.catalog.dotnet import DotnetDepsAnalyzer, parse_deps_json
from hullcheck.model import PackageType
from tests.catalog.langutil import FIXTURES, expected, file_input, name_versions

DEPS = DotnetDepsAnalyzer()
TRIVY = "trivy/pkg/dependency/parser/dotnet/core_deps/testdata"
SYFT = "syft/syft/pkg/cataloger/dotnet/testdata"


def _projects(doc: dict[str, object]) -> set[tuple[str, str]]:
    libs = doc["libraries"]
    assert isinstance(libs, dict)
    return {tuple(k.split("/", 1)) for k, v in libs.items() if v["type"] == "project"}  # type: ignore[misc]


@pytest.mark.parametrize(
    "name",
    [
        "happy.deps.json",
        "without-runtime.deps.json",
        "missing-target.deps.json",
        "self-contained.deps.json",
        "multi-project.deps.json",
        "ambiguous-root.deps.json",
    ],
)
def test_matches_trivy(shared_data: Path, name: str) -> None:
    fixture = f"{TRIVY}/{name}"
    data = (shared_data / FIXTURES / fixture).read_bytes()
    exp = {(p["Name"], p["Version"]) for p in expected(shared_data, fixture)["packages"]}
    doc = json.loads(data)
    # trivy also lists the app's own projects (type "project"); they are the application, not
    # NuGet packages, so we leave them out. Everything else matches trivy, including skipping
    # packages that deploy nothing (meta-packages) and naming runtime packs by their NuGet id.
    want = exp - _projects(doc)
    assert want != exp or not _projects(doc)
    path = f"/app/{name}"
    assert DEPS.wants(path, len(data), 0o100644)
    art = DEPS.analyze(file_input(path, data))
    assert art.unknown is None
    assert name_versions(art.packages) == want
    for p in art.packages:
        assert p.type is PackageType.NUGET and p.ecosystem == "NuGet"
        assert p.purl == f"pkg:nuget/{p.name}@{p.version}"
        assert p.found_by == "dotnet-deps"


def test_syft_fixtures_report_deployed_packages(shared_data: Path) -> None:
    for rel in (
        "dir-example-1/TestLibrary.deps.json",
        "deps-with-referenceassembly/MyApp.deps.json",
    ):
        data = (shared_data / FIXTURES / SYFT / rel).read_bytes()
        doc = json.loads(data)
        target = doc["targets"][doc["runtimeTarget"]["name"]]
        want = set()
        for key, lib in doc["libraries"].items():
            entry = target.get(key, {})
            if lib["type"] == "package" and (
                entry.get("runtime") or entry.get("native") or entry.get("runtimeTargets")
            ):
                want.add(tuple(key.split("/", 1)))
        got = name_versions(parse_deps_json(data, "/app/" + rel))
        assert got == want and got
        # NuGet's lower-cased install path names the same package
        paths = {p.metadata["path"] for p in parse_deps_json(data, "/x")}
        assert paths == {f"{n.lower()}/{v}" for n, v in got}


@pytest.mark.parametrize(
    "rel", [f"{TRIVY}/invalid.deps.json", f"{SYFT}/glob-paths/src/something.deps.json"]
)
def test_broken_files_are_unknown(shared_data: Path, rel: str) -> None:
    art = DEPS.analyze(file_input("/app/x.deps.json", (shared_data / FIXTURES / rel).read_bytes()))
    assert art.packages == () and art.unknown


def test_no_libraries_is_empty(shared_data: Path) -> None:
    data = (shared_data / FIXTURES / TRIVY / "no-libraries.deps.json").read_bytes()
    art = DEPS.analyze(file_input("/app/x.deps.json", data))
    assert art.packages == () and art.unknown is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[1, 2]",
        b'{"libraries": []}',
        b'{"libraries": {"A/1": "x", "/": {"type": "package"}, "B": {"type": "package"}}}',
        b'{"targets": 5, "runtimeTarget": 7, "libraries": {"A/1.0": {"type": "package"}}}',
        b"{" * 300_000,
        b'{"libraries": {"' + b"A" * 4_000_000 + b'/1": {"type": "package"}}}',
    ],
    ids=range(7),
)
def test_hostile(data: bytes) -> None:
    t0 = time.monotonic()
    art = DEPS.analyze(file_input("/app/x.deps.json", data))
    assert all(p.name and p.version for p in art.packages)
    assert len(art.packages) <= 1
    assert time.monotonic() - t0 < 5
