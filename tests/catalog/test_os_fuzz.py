"""Mutated and truncated real databases: every OS analyzer returns an Artifact, never raises."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullcheck.catalog.apk import ApkAnalyzer
from hullcheck.catalog.dpkg import DpkgAnalyzer
from hullcheck.catalog.interface import Artifact
from hullcheck.catalog.osrelease import OsReleaseAnalyzer
from hullcheck.catalog.rpm.analyzer import RpmAnalyzer
from tests.catalog._osdb_helpers import FIX, file_input, txtar

CASES = {
    "dpkg": (
        DpkgAnalyzer(),
        "/var/lib/dpkg/status",
        "trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar",
    ),
    "apk": (
        ApkAnalyzer(),
        "/lib/apk/db/installed",
        "trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk",
    ),
    "bdb": (RpmAnalyzer(), "/var/lib/rpm/Packages", "go-rpmdb/pkg/testdata/libuuid/Packages"),
    "ndb": (
        RpmAnalyzer(),
        "/usr/lib/sysimage/rpm/Packages.db",
        "go-rpmdb/pkg/testdata/sle15-bci/Packages.db",
    ),
    "os-release": (
        OsReleaseAnalyzer(),
        "/etc/os-release",
        "syft/syft/pkg/cataloger/debian/testdata/image-dpkg/etc/os-release",
    ),
}

_cache: dict[str, bytes] = {}


def _data(shared: Path, rel: str) -> bytes:
    if rel not in _cache:
        raw = (shared / FIX / rel).read_bytes()
        _cache[rel] = (
            txtar(shared / FIX / rel)["var/lib/dpkg/status"] if rel.endswith(".txtar") else raw
        )
    return _cache[rel]


_edits = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=16)


@pytest.mark.parametrize("kind", sorted(CASES))
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=_edits, cut=st.floats(0.0, 1.0))
def test_mutations_never_raise(
    shared_data: Path, kind: str, edits: list[tuple[float, int]], cut: float
) -> None:
    analyzer, path, rel = CASES[kind]
    data = bytearray(_data(shared_data, rel))
    for where, value in edits:
        data[int(where * len(data))] = value
    data = data[: max(1, int(len(data) * cut))] if cut < 0.999 else data
    art = analyzer.analyze(file_input(path, bytes(data)))
    # A mutation may legitimately leave nothing to report (every Status line broken, say);
    # what may never happen is an exception or a malformed result.
    assert isinstance(art, Artifact) and art.analyzer == analyzer.id
    assert art.unknown is None or isinstance(art.unknown, str)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=64)
)
def test_sqlite_mutations_never_raise(shared_data: Path, edits: list[tuple[float, int]]) -> None:
    data = bytearray(_data(shared_data, "go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"))
    for where, value in edits:
        data[int(where * len(data))] = value
    art = RpmAnalyzer().analyze(file_input("/var/lib/rpm/rpmdb.sqlite", bytes(data)))
    assert isinstance(art, Artifact)
