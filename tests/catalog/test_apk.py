"""apk installed database against real fixtures and peers' lists."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hullcheck.catalog.apk import ApkAnalyzer, parse_apk_installed, split_licenses
from hullcheck.model import PackageType
from tests.catalog._osdb_helpers import FIX, expected, file_input

TRIVY_APK = "trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk"
SYFT_APK = "syft/syft/pkg/cataloger/alpine/testdata"


def _raw_records(data: bytes) -> list[dict[str, list[str]]]:
    """Records of the fixture as plain letter -> values, to check against."""
    out = []
    for chunk in data.decode().split("\n\n"):
        rec: dict[str, list[str]] = {}
        for line in chunk.splitlines():
            if len(line) > 1 and line[1] == ":":
                rec.setdefault(line[0], []).append(line[2:])
        if rec:
            out.append(rec)
    return out


def test_trivy_fixture(shared_data: Path) -> None:
    data = (shared_data / FIX / TRIVY_APK).read_bytes()
    pkgs, _ = parse_apk_installed(data)
    want = {
        (p["Name"], p["Version"], p["Arch"], p["SrcName"], p["SrcVersion"])
        for p in expected(shared_data, TRIVY_APK)
    }
    got = {(p.name, p.version, p.arch, p.source_name, p.source_version) for p in pkgs}
    # trivy drops "invalidPackageWithoutAVersion" (a record with only P:). It is installed as far
    # as the database says, so we keep it with an empty version for the inventory; the matcher
    # cannot compare an empty version and skips it.
    extra = {("invalidPackageWithoutAVersion", "", "", "invalidPackageWithoutAVersion", "")}
    assert got == want | extra
    assert all(p.type is PackageType.APK and p.found_by == "apk-db" for p in pkgs)


def test_trivy_fixture_licenses(shared_data: Path) -> None:
    data = (shared_data / FIX / TRIVY_APK).read_bytes()
    pkgs = {p.name: p for p in parse_apk_installed(data)[0]}
    raw = {r["P"][0]: r.get("L", [""])[0] for r in _raw_records(data)}
    for want in expected(shared_data, TRIVY_APK):
        ours = pkgs[want["Name"]].licenses
        assert ours == split_licenses(raw[want["Name"]])
        # trivy rewrites names to SPDX ("GPL2" -> "GPL-2.0-only") and flattens expressions
        # ("( Apache-2.0 OR MIT ) AND MPL-2.0" -> three ids). We keep what the package says:
        # the same number of licenses for plain lists, every id inside an expression.
        if len(ours) == 1 and " " in ours[0]:
            assert all(lic in ours[0] for lic in want["Licenses"])
        else:
            assert len(ours) == len(want["Licenses"])
    assert pkgs["ada-libs"].licenses == ("( Apache-2.0 OR MIT ) AND MPL-2.0",)
    assert pkgs["musl-utils"].licenses == ("MIT", "BSD", "GPL2+")


def test_owned_files_follow_directories(shared_data: Path) -> None:
    data = (shared_data / FIX / TRIVY_APK).read_bytes()
    _, owned = parse_apk_installed(data)
    by_name = {o.package: o.files for o in owned}
    for rec in _raw_records(data):
        name = rec["P"][0]
        files = by_name.get(name, ())
        assert len(files) == len(rec.get("R", [])), name
        dirs = {"/" + d for d in rec.get("F", [])}
        assert all(f.rsplit("/", 1)[0] in dirs or f.count("/") == 1 for f in files)
    assert "/lib/libc.musl-x86_64.so.1" in by_name["musl"]
    assert "/bin/busybox" in by_name["busybox"]


@pytest.mark.parametrize("name", ["single", "base", "empty-deps-and-provides"])
def test_syft_fixtures(shared_data: Path, name: str) -> None:
    fixture = f"{SYFT_APK}/{name}"
    pkgs, _ = parse_apk_installed((shared_data / FIX / fixture).read_bytes())
    want = {(p["Name"], p["Version"]) for p in expected(shared_data, fixture)}
    assert {(p.name, p.version) for p in pkgs} == want


def test_syft_multiple_matches_its_records(shared_data: Path) -> None:
    data = (shared_data / FIX / SYFT_APK / "multiple-2/lib/apk/db/installed").read_bytes()
    pkgs, _ = parse_apk_installed(data)
    recs = _raw_records(data)
    assert [(p.name, p.version, p.source_name) for p in pkgs] == [
        (r["P"][0], r["V"][0], r["o"][0]) for r in recs
    ]
    by = {p.name: p for p in pkgs}
    assert by["libssl1.1"].purl == "pkg:apk/alpine/libssl1.1@1.1.1q-r0?arch=x86_64&upstream=openssl"
    assert by["ca-certificates-bundle"].licenses == ("MPL-2.0 AND MIT",)


def test_corrupt_line_is_skipped_not_fatal(shared_data: Path) -> None:
    # syft's "corrupt" db: a garbage first line, then a real record
    data = (shared_data / FIX / SYFT_APK / "corrupt/lib/apk/db/installed").read_bytes()
    pkgs, _ = parse_apk_installed(data)
    assert [p.name for p in pkgs] == ["alpine-baselayout-data"]


def test_bogus_file_is_unknown(shared_data: Path) -> None:
    data = (shared_data / FIX / SYFT_APK / "glob-paths/lib/apk/db/installed").read_bytes()
    art = ApkAnalyzer().analyze(file_input("/lib/apk/db/installed", data))
    assert art is not None and art.unknown and not art.packages


def test_wants() -> None:
    a = ApkAnalyzer()
    assert a.wants("/lib/apk/db/installed", 10, 0o644)
    assert not a.wants("/lib/apk/db/installed.old", 10, 0o644)
    assert a.wants("/usr/lib/apk/db/installed", 10, 0o644)
    assert not a.wants("/lib/apk/db/installed/x", 10, 0o644)


@pytest.mark.parametrize(
    "data",
    [b"\x00" * 100, bytes(range(256)) * 40, b"nothing to see\nhere\n", b"X:" * 10],
)
def test_garbage_is_unknown(data: bytes) -> None:
    art = ApkAnalyzer().analyze(file_input("/lib/apk/db/installed", data))
    assert art is not None and art.unknown and not art.packages


def test_huge_values_and_many_files_are_bounded() -> None:
    big = "v" * (4 * 1024 * 1024)
    files = "".join(f"R:f{i}\n" for i in range(50_000))
    data = f"P:p\nV:{big}\nL:{big}\nF:usr/lib\n{files}\n".encode()
    t0 = time.perf_counter()
    pkgs, owned = parse_apk_installed(data)
    assert time.perf_counter() - t0 < 20
    assert len(pkgs[0].version) <= 4096
    assert len(owned[0].files) == 50_000 and owned[0].files[0] == "/usr/lib/f0"


def test_split_licenses() -> None:
    assert split_licenses("MIT BSD GPL2+") == ("MIT", "BSD", "GPL2+")
    assert split_licenses("MIT AND BSD-2-Clause") == ("MIT AND BSD-2-Clause",)
    assert split_licenses("GPL-2.0-or-later WITH Linux-syscall-note") == (
        "GPL-2.0-or-later WITH Linux-syscall-note",
    )
    assert split_licenses("  ") == ()
