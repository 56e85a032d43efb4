"""dpkg status, distroless status.d and info/*.list against real databases and peers' lists."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from hullcheck.catalog.dpkg import (
    DpkgAnalyzer,
    package_from_filename,
    parse_dpkg_list,
    parse_dpkg_status,
    parse_md5sums,
)
from hullcheck.model import Package, PackageType
from tests.catalog._osdb_helpers import FIX, expected, file_input, txtar
from tests.conftest import need

TRIVY_DPKG = "trivy/pkg/fanal/analyzer/pkg/dpkg/testdata"
SYFT_DEB = "syft/syft/pkg/cataloger/debian/testdata"


def _evr(epoch: object, version: str, release: str) -> str:
    v = f"{version}-{release}" if release else version
    return f"{epoch}:{v}" if epoch else v


def _ours(pkgs: list[Package]) -> set[tuple[str, str, str, str, str]]:
    return {(p.name, p.version, p.arch, p.source_name, p.source_version) for p in pkgs}


@pytest.mark.parametrize("name", ["valid", "corrupsed", "digest", "md5sums", "third-party"])
def test_trivy_status_fixtures(shared_data: Path, name: str) -> None:
    fixture = f"{TRIVY_DPKG}/{name}.txtar"
    files = txtar(shared_data / FIX / fixture)
    pkgs = parse_dpkg_status(files["var/lib/dpkg/status"], "/var/lib/dpkg/status")
    # trivy splits versions into epoch/version/release; joined back they are dpkg's Version.
    want = {
        (
            p["Name"],
            _evr(p.get("Epoch"), p["Version"], p.get("Release", "")),
            p.get("Arch", ""),
            p["SrcName"],
            _evr(p.get("SrcEpoch"), p["SrcVersion"], p.get("SrcRelease", "")),
        )
        for p in expected(shared_data, fixture)
    }
    got = _ours(pkgs)
    # corrupsed: "brokenPackageWithNoVersion..." and "invalidpkg" have no Status field in the
    # main status file, so neither of us reports them (not installed). libgcc1 has
    # "Source: gcc-5 (5.1.1-12ubuntu1)" and "Version: 1:5.1.1-12ubuntu1": the source version is
    # the one written in Source, without the binary's epoch, for both of us.
    assert got == want
    assert all(p.type is PackageType.DEB and p.found_by == "dpkg-db" for p in pkgs)


def test_valid_fixture_counts_every_installed_stanza(shared_data: Path) -> None:
    status = txtar(shared_data / FIX / f"{TRIVY_DPKG}/valid.txtar")["var/lib/dpkg/status"]
    stanzas = [s for s in status.split(b"\n\n") if s.strip()]
    installed = [s for s in stanzas if re.search(rb"^Status: \S+ ok installed$", s, re.M)]
    assert len(stanzas) == 91 and len(installed) == 90  # as README-provenance says
    assert len(parse_dpkg_status(status, "/var/lib/dpkg/status")) == len(installed)


@pytest.mark.parametrize("name", ["single", "installed-size-4KB", "multiple", "deinstall"])
def test_syft_status_d_fixtures(shared_data: Path, name: str) -> None:
    fixture = f"{SYFT_DEB}/var/lib/dpkg/status.d/{name}"
    pkgs = parse_dpkg_status(
        (shared_data / FIX / fixture).read_bytes(), f"/var/lib/dpkg/status.d/{name}"
    )
    want = {
        (
            p["Package"],
            p.get("Version", ""),
            p.get("Architecture", ""),
            p.get("Source") or p["Package"],
        )
        for p in expected(shared_data, fixture)
        if p.get("Version")
    }
    # Same set as syft, as far as syft reports versions: status.d paragraphs without Status
    # are installed, "deinstall ok config-files" is not. Syft also keeps "no-version" of
    # "multiple" with an empty version: no .deb has an empty Version (distroless copies each
    # package's control file, which always has one) and no advisory could match it, so we
    # note it as an unknown instead (test_status_d_paragraphs_without_version).
    assert {(p.name, p.version, p.arch, p.source_name) for p in pkgs} == want
    for p in pkgs:
        if p.source_name == p.name:
            assert p.source_version == p.version


def test_source_with_version_and_epochs(shared_data: Path) -> None:
    data = (
        shared_data / FIX / f"{SYFT_DEB}/var/lib/dpkg/status.d/coreutils-relationships"
    ).read_bytes()
    pkgs = {p.name: p for p in parse_dpkg_status(data, "/var/lib/dpkg/status.d/coreutils")}
    # "Source: libselinux (3.4-1)" with "Version: 3.4-1+b6" (a binNMU)
    assert (pkgs["libselinux1"].source_name, pkgs["libselinux1"].source_version) == (
        "libselinux",
        "3.4-1",
    )
    assert pkgs["libselinux1"].version == "3.4-1+b6"
    # "Source: gmp" without a version: the binary version, epoch included
    assert pkgs["libgmp10"].source_version == pkgs["libgmp10"].version == "2:6.2.1+dfsg1-1.1"
    assert pkgs["libc6"].purl == "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=arm64&upstream=glibc"


def test_corrupt_status_d_is_unknown(shared_data: Path) -> None:
    data = (shared_data / FIX / f"{SYFT_DEB}/var/lib/dpkg/status.d/corrupt").read_bytes()
    art = DpkgAnalyzer().analyze(file_input("/var/lib/dpkg/status.d/corrupt", data))
    assert art is not None and art.unknown and not art.packages


@pytest.mark.parametrize("name", ["multiple", "doc-examples"])
def test_status_d_paragraphs_without_version(shared_data: Path, name: str) -> None:
    # syft's "multiple" (a made-up "no-version" stub) and "doc-examples" (deb822 examples,
    # most paragraphs a bare "Package: foo"): paragraphs with a Version are packages, the
    # others are named in the file's unknown
    raw = (shared_data / FIX / f"{SYFT_DEB}/var/lib/dpkg/status.d/{name}").read_bytes()
    paras = [dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", b, re.M)) for b in raw.decode().split("\n\n")]
    named = [p for p in paras if p.get("Package", "").strip()]
    with_version = {(p["Package"], p["Version"]) for p in named if p.get("Version", "").strip()}
    without = [p["Package"] for p in named if not p.get("Version", "").strip()]
    assert with_version and without
    art = DpkgAnalyzer().analyze(file_input(f"/var/lib/dpkg/status.d/{name}", raw))
    assert art is not None
    assert {(p.name, p.version) for p in art.packages} == with_version
    assert art.unknown and art.unknown.startswith(f"{len(without)} paragraph(s) without Version")
    assert all(n in art.unknown for n in without[:5])


def test_installed_paragraph_without_version_in_the_status_file() -> None:
    data = (b"Package: ok\nStatus: install ok installed\nVersion: 1.0\n\n"
            b"Package: broken\nStatus: install ok installed\nArchitecture: amd64\n\n"
            b"Package: gone\nStatus: deinstall ok config-files\n")
    art = DpkgAnalyzer().analyze(file_input("/var/lib/dpkg/status", data))
    assert art is not None and [p.name for p in art.packages] == ["ok"]
    # the removed package is simply not installed; the installed one without Version is noted
    assert art.unknown == "1 paragraph(s) without Version, not reported as packages: broken"


def test_distroless_md5sums_are_owned_files(shared_data: Path) -> None:
    base = shared_data / FIX / f"{SYFT_DEB}/image-distroless-deb/var/lib/dpkg/status.d"
    a = DpkgAnalyzer()
    assert a.wants("/var/lib/dpkg/status.d/libsqlite3-0", 100, 0o644)
    assert a.wants("/var/lib/dpkg/status.d/libsqlite3-0.md5sums", 100, 0o644)
    assert not a.wants("/var/lib/dpkg/status.d/libsqlite3-0.preinst", 100, 0o644)
    pkg_art = a.analyze(
        file_input("/var/lib/dpkg/status.d/libsqlite3-0", (base / "libsqlite3-0").read_bytes())
    )
    assert pkg_art is not None and [p.name for p in pkg_art.packages] == ["libsqlite3-0"]
    raw = (base / "libsqlite3-0.md5sums").read_bytes()
    art = a.analyze(file_input("/var/lib/dpkg/status.d/libsqlite3-0.md5sums", raw))
    assert art is not None and art.unknown is None and not art.packages
    (owned,) = art.owned
    assert owned.package == "libsqlite3-0"
    want = tuple("/" + line.split(None, 1)[1] for line in raw.decode().splitlines() if line.strip())
    assert owned.files == want and want


def test_package_name_from_list_filename() -> None:
    assert package_from_filename("/var/lib/dpkg/info/libc6:amd64.list", ".list") == "libc6"
    assert package_from_filename("/var/lib/dpkg/info/base-files.list", ".list") == "base-files"
    assert package_from_filename("/var/lib/dpkg/status.d/zlib1g.md5sums", ".md5sums") == "zlib1g"


def test_wants() -> None:
    a = DpkgAnalyzer()
    assert a.wants("/var/lib/dpkg/status", 1, 0o644)
    assert a.wants("/var/lib/dpkg/status.d/libpython3.11-minimal", 1, 0o644)  # dots in names
    assert a.wants("/var/lib/dpkg/info/libc6:amd64.list", 1, 0o644)
    assert not a.wants("/var/lib/dpkg/status-old", 1, 0o644)
    assert not a.wants("/var/lib/dpkg/info/libc6:amd64.md5sums", 1, 0o644)
    assert not a.wants("/var/lib/dpkg/status.d/sub/x", 1, 0o644)
    assert not a.wants("/var/lib/dpkg/status.d/", 1, 0o644)
    assert not a.wants("/opt/var/lib/dpkg/status", 1, 0o644)


# --- the host's own dpkg database, checked against dpkg itself -----------------------------

HOST_STATUS = Path("/var/lib/dpkg/status")


def _dpkg_query() -> dict[str, tuple[str, str, str, str]]:
    fields = ("Package", "Version", "Architecture", "db:Status-Status")
    fields += ("source:Package", "source:Version")
    fmt = "\t".join("${" + f + "}" for f in fields) + "\n"
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", fmt], capture_output=True, text=True, check=True
    ).stdout
    rows: dict[str, tuple[str, str, str, str]] = {}
    for line in out.splitlines():
        name, version, arch, state, src, srcver = line.split("\t")
        if state in (
            "installed",
            "unpacked",
            "half-configured",
            "triggers-awaiting",
            "triggers-pending",
        ):
            rows[f"{name}:{arch}"] = (version, arch, src, srcver)
    return rows


def test_host_status_matches_dpkg_query() -> None:
    need(shutil.which("dpkg-query") and HOST_STATUS.is_file(), "a Debian host with dpkg-query")
    pkgs = parse_dpkg_status(HOST_STATUS.read_bytes(), str(HOST_STATUS))
    ours = {
        f"{p.name}:{p.arch}": (p.version, p.arch, p.source_name, p.source_version) for p in pkgs
    }
    assert ours == _dpkg_query()
    assert len(ours) > 50


def test_host_list_files_match_dpkg_listfiles() -> None:
    info = Path("/var/lib/dpkg/info")
    need(shutil.which("dpkg-query") and info.is_dir(), "a Debian host with dpkg-query")
    lists = sorted(info.glob("*.list"))[:25]
    need(lists, "info/*.list files")
    for lst in lists:
        name = package_from_filename(str(lst), ".list")
        art = DpkgAnalyzer().analyze(file_input(f"/var/lib/dpkg/info/{lst.name}", lst.read_bytes()))
        assert art is not None and art.unknown is None
        (owned,) = art.owned
        assert owned.package == name
        qualified = lst.name[: -len(".list")]
        listed = subprocess.run(
            ["dpkg-query", "-L", qualified], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        assert list(owned.files) == [p for p in listed if p.startswith("/") and p != "/."]


# --- hostile and large input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02garbage" * 1000,
        bytes(range(256)) * 100,
        b"no colon here\nnor here\n",
        b"\xff\xfe\xfd\n" * 1000,
    ],
)
def test_garbage_is_unknown(data: bytes) -> None:
    for path in ("/var/lib/dpkg/status", "/var/lib/dpkg/status.d/x"):
        art = DpkgAnalyzer().analyze(file_input(path, data))
        assert art is not None and art.unknown and not art.packages


def test_huge_field_values_are_bounded() -> None:
    big = b"x" * (8 * 1024 * 1024)
    data = (
        b"Package: big\nStatus: install ok installed\nVersion: 1."
        + big
        + b"\nArchitecture: amd64\n"
        b"Description: d\n " + big + b"\n"
    )
    t0 = time.perf_counter()
    (pkg,) = parse_dpkg_status(data, "/var/lib/dpkg/status")
    assert time.perf_counter() - t0 < 2
    assert pkg.name == "big" and len(pkg.version) <= 512


def test_invalid_package_names_are_dropped() -> None:
    data = (
        b"Package: ../../etc\nStatus: install ok installed\nVersion: 1\n\n"
        b"Package: ok\nStatus: install ok installed\nVersion: 1\n"
    )
    assert [p.name for p in parse_dpkg_status(data, "/var/lib/dpkg/status")] == ["ok"]


def test_states(shared_data: Path) -> None:
    para = "Package: p{i}\nStatus: {s}\nVersion: 1\nArchitecture: all\n"
    states = {
        "install ok installed": True,
        "hold ok installed": True,
        "deinstall ok installed": True,  # marked for removal, still on disk
        "install ok unpacked": True,
        "install ok half-configured": True,
        "install ok triggers-pending": True,
        "deinstall ok config-files": False,
        "purge ok not-installed": False,
        "install reinstreq half-installed": False,
        "garbage": False,
    }
    text = "\n".join(para.format(i=i, s=s) for i, s in enumerate(states)).encode()
    got = {p.name for p in parse_dpkg_status(text, "/var/lib/dpkg/status")}
    assert got == {f"p{i}" for i, (s, ok) in enumerate(states.items()) if ok}


def test_blank_separator_lines_with_spaces() -> None:
    data = b"Package: a\nStatus: install ok installed\nVersion: 1\n \t\nPackage: b\nVersion: 2\n"
    got = [p.name for p in parse_dpkg_status(data, "/var/lib/dpkg/status.d/a")]
    assert got == ["a", "b"]


def test_crlf_and_case_insensitive_fields() -> None:
    data = b"package: a\r\nstatus: install ok installed\r\nversion: 1.0\r\narchitecture: amd64\r\n"
    (p,) = parse_dpkg_status(data, "/var/lib/dpkg/status")
    assert (p.name, p.version, p.arch) == ("a", "1.0", "amd64")


def test_500_package_status_parses_in_a_few_ms(shared_data: Path) -> None:
    base = txtar(shared_data / FIX / f"{TRIVY_DPKG}/valid.txtar")["var/lib/dpkg/status"]
    stanzas = [s for s in base.split(b"\n\n") if s.strip()]
    copies = []
    for i in range(6):  # 546 real stanzas, renamed so they stay distinct
        copies += [
            re.sub(rb"^Package: (\S+)", rb"Package: \1-c%d" % i, s, flags=re.M) for s in stanzas
        ]
    data = b"\n\n".join(copies) + b"\n"
    assert len(parse_dpkg_status(data, "/var/lib/dpkg/status")) == 540
    # speed is a benchmark's business; here only a hang guard against a quadratic parser
    best = min(_timed(lambda: parse_dpkg_status(data, "/var/lib/dpkg/status")) for _ in range(3))
    assert best < 5, f"{best * 1000:.1f} ms"


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def test_list_and_md5sums_parsers() -> None:
    assert parse_dpkg_list(b"/.\n/usr\n/usr/bin/x\nrelative\n\n") == ("/usr", "/usr/bin/x")
    assert parse_md5sums(
        b"d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/x/copyright\nbad line\n"
    ) == ("/usr/share/doc/x/copyright",)
