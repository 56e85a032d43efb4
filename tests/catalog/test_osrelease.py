"""os-release and the older release files -> Distro with OSV ecosystem names."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from hullcheck.catalog.osrelease import (
    DISTRO_FILE_PRIORITY,
    OsReleaseAnalyzer,
    best_distro,
    distro_from_fields,
    parse_os_release,
    parse_release_file,
)
from tests.catalog._osdb_helpers import file_input
from tests.conftest import need

# Real os-release files as the distros ship them (the fields that matter, verbatim).
OS_RELEASES = {
    "debian-12": (
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
        'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
    ),
    "debian-10": (
        'PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nVERSION_ID="10"\nVERSION="10 (buster)"\n'
        "VERSION_CODENAME=buster\nID=debian\n"
    ),
    "debian-trixie-sid": (
        'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nID=debian\n'
    ),
    "ubuntu-22.04": (
        'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
        'VERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\n'
        "ID=ubuntu\nID_LIKE=debian\n"
    ),
    "ubuntu-25.10": (
        'PRETTY_NAME="Ubuntu 25.10"\nNAME="Ubuntu"\nVERSION_ID="25.10"\n'
        'VERSION="25.10 (Questing Quokka)"\nVERSION_CODENAME=questing\nID=ubuntu\nID_LIKE=debian\n'
    ),
    "alpine-3.16": (
        'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.16.9\nPRETTY_NAME="Alpine Linux v3.16"\n'
    ),
    "alpine-edge": (
        'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.21.0_alpha20240807\n'
        'PRETTY_NAME="Alpine Linux edge"\n'
    ),
    "rocky-9": (
        'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
        'VERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n'
    ),
    "almalinux-9": (
        'NAME="AlmaLinux"\nVERSION="9.3 (Shamrock Pendulum)"\nID="almalinux"\n'
        'ID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n'
        'PRETTY_NAME="AlmaLinux 9.3 (Shamrock Pendulum)"\n'
    ),
    "rhel-9": (
        'NAME="Red Hat Enterprise Linux"\nVERSION="9.3 (Plow)"\nID="rhel"\nID_LIKE="fedora"\n'
        'VERSION_ID="9.3"\nPRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"\n'
    ),
    "opensuse-leap-15.5": (
        'NAME="openSUSE Leap"\nVERSION="15.5"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\n'
        'VERSION_ID="15.5"\nPRETTY_NAME="openSUSE Leap 15.5"\n'
    ),
    "sles-15-sp3": (
        'NAME="SLES"\nVERSION="15-SP3"\nVERSION_ID="15.3"\n'
        'PRETTY_NAME="SUSE Linux Enterprise Server 15 SP3"\nID="sles"\nID_LIKE="suse"\n'
    ),
    "amzn-2023": (
        'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\n'
        'PRETTY_NAME="Amazon Linux 2023.3.20240108"\n'
    ),
    "wolfi": 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\n',
    "mariner-2": (
        'NAME="Common Base Linux Mariner"\nVERSION="2.0.20220226"\nID=mariner\nVERSION_ID="2.0"\n'
    ),
}

EXPECTED = {
    "debian-12": "Debian:12",
    "debian-10": "Debian:10",
    "debian-trixie-sid": "Debian",
    "ubuntu-22.04": "Ubuntu:22.04:LTS",
    "ubuntu-25.10": "Ubuntu:25.10",
    "alpine-3.16": "Alpine:v3.16",
    "alpine-edge": "Alpine:v3.21",
    "rocky-9": "Rocky Linux:9",
    "almalinux-9": "AlmaLinux:9",
    "rhel-9": "Red Hat",
    "opensuse-leap-15.5": "openSUSE:Leap 15.5",
    "sles-15-sp3": "SUSE:Linux Enterprise Server 15 SP3",
    "amzn-2023": "Amazon Linux:2023",
    "wolfi": "Wolfi",
    "mariner-2": "Azure Linux:2.0",
}


@pytest.mark.parametrize("name", sorted(OS_RELEASES))
def test_ecosystem_from_os_release(name: str) -> None:
    d = distro_from_fields(parse_os_release(OS_RELEASES[name].encode()))
    assert d is not None
    assert d.ecosystem == EXPECTED[name]


def test_ecosystem_names_are_osv_spellings(shared_data: Path) -> None:
    """Every OSV-backed ecosystem we produce uses a name from OSV's ecosystem list, and the
    release-scoped ones occur verbatim in real OSV records (index of the shared corpus) or in
    recorded OSV API queries."""
    osv = shared_data / "advisories" / "osv"
    names = set(json.loads((osv / "osv-schema" / "ecosystems.json").read_text()))
    seen: set[str] = set()
    with (osv / "index.jsonl").open() as fh:
        for line in fh:
            seen.update(json.loads(line)["ecosystems"])
    with (osv / "osv-dev-api-recordings" / "querybatch.jsonl").open() as fh:
        for line in fh:
            seen.add(json.loads(line)["ecosystem"])
    non_osv = {"amzn-2023"}  # Amazon Linux has no OSV ecosystem; named in the same style
    for key, text in OS_RELEASES.items():
        d = distro_from_fields(parse_os_release(text.encode()))
        assert d is not None
        if key in non_osv:
            assert d.ecosystem.split(":")[0] not in names
            continue
        assert d.ecosystem.split(":")[0] in names, d.ecosystem
    for key in (
        "debian-10",
        "ubuntu-22.04",
        "ubuntu-25.10",
        "alpine-3.16",
        "rocky-9",
        "almalinux-9",
        "opensuse-leap-15.5",
    ):
        assert EXPECTED[key] in seen, EXPECTED[key]


def test_fields_and_codenames() -> None:
    d = distro_from_fields(parse_os_release(OS_RELEASES["ubuntu-22.04"].encode()))
    assert d is not None
    assert (d.id, d.version_id, d.version_codename, d.id_like) == (
        "ubuntu",
        "22.04",
        "jammy",
        ("debian",),
    )
    sid = distro_from_fields(parse_os_release(OS_RELEASES["debian-trixie-sid"].encode()))
    assert sid is not None and sid.version_codename == "trixie" and sid.version_id == ""
    edge = distro_from_fields(parse_os_release(OS_RELEASES["alpine-edge"].encode()))
    assert edge is not None and edge.version_codename == "edge"


def test_real_fixture_os_release(shared_data: Path) -> None:
    path = (
        shared_data
        / "package-db-fixtures/syft/syft/pkg/cataloger/debian/testdata/image-dpkg/etc/os-release"
    )
    art = OsReleaseAnalyzer().analyze(file_input("/etc/os-release", path.read_bytes()))
    assert art is not None and art.unknown is None and art.distro is not None
    raw = parse_os_release(path.read_bytes())
    assert art.distro.id == raw["ID"] == "debian"
    assert art.distro.ecosystem == f"Debian:{raw['VERSION_ID']}"
    assert art.distro.version_codename == raw["VERSION_CODENAME"]
    assert art.distro.pretty_name == raw["PRETTY_NAME"]


def test_quoting_and_comments() -> None:
    fields = parse_os_release(
        b'# comment\nNAME="A \\"quoted\\" name"\nID=\'x\'\n'
        b'  VERSION_ID = "1" \nbad line\n=novalue\n'
    )
    assert fields == {"NAME": 'A "quoted" name', "ID": "x", "VERSION_ID": "1"}


@pytest.mark.parametrize(
    ("path", "content", "ecosystem", "codename"),
    [
        ("/etc/alpine-release", "3.20.3\n", "Alpine:v3.20", ""),
        ("/etc/debian_version", "12.5\n", "Debian:12", ""),
        ("/etc/debian_version", "trixie/sid\n", "Debian", "trixie"),
        ("/etc/redhat-release", "Red Hat Enterprise Linux release 8.9 (Ootpa)\n", "Red Hat", ""),
        ("/etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n", "CentOS:7", ""),
        ("/etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)\n", "Rocky Linux:9", ""),
        ("/etc/redhat-release", "AlmaLinux release 8.9 (Midnight Oncilla)\n", "AlmaLinux:8", ""),
        ("/etc/system-release", "Amazon Linux release 2 (Karoo)\n", "Amazon Linux:2", ""),
    ],
)
def test_release_files(path: str, content: str, ecosystem: str, codename: str) -> None:
    d = parse_release_file(path, content.encode())
    assert d is not None
    assert d.ecosystem == ecosystem
    assert d.version_codename == codename


def test_priority_prefers_os_release() -> None:
    assert DISTRO_FILE_PRIORITY[0] == "/etc/os-release"
    ubuntu = distro_from_fields(parse_os_release(OS_RELEASES["ubuntu-22.04"].encode()))
    # Ubuntu ships /etc/debian_version naming its Debian base; os-release must win.
    debian = parse_release_file("/etc/debian_version", b"bookworm/sid\n")
    assert ubuntu is not None and debian is not None
    found = {"/etc/debian_version": debian, "/etc/os-release": ubuntu}
    assert best_distro(found) == ubuntu
    assert best_distro({"/etc/debian_version": debian}) == debian
    assert best_distro({}) is None


def test_wants() -> None:
    a = OsReleaseAnalyzer()
    for p in DISTRO_FILE_PRIORITY:
        assert a.wants(p, 300, 0o644)
    assert not a.wants("/etc/os-release.bak", 300, 0o644)
    assert not a.wants("/usr/share/doc/os-release", 300, 0o644)
    assert not a.wants("/etc/os-release", 10 * 1024**2, 0o644)  # not a real os-release


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\xff\xfe" * 1000,
        bytes(range(256)) * 50,
        b"ID=" + b"A" * 100_000,
        b"NAME=x\n",  # no ID
        b"\n" * 10_000,
    ],
)
def test_garbage_is_unknown_not_an_exception(data: bytes) -> None:
    for path in ("/etc/os-release", "/etc/redhat-release", "/etc/alpine-release"):
        art = OsReleaseAnalyzer().analyze(file_input(path, data))
        assert art is not None
        assert art.distro is None
        assert art.unknown


def test_hostile_release_line_is_fast() -> None:
    import time

    line = b"Fedora " + b"release " * 600 + b"x"
    t0 = time.perf_counter()
    parse_release_file("/etc/redhat-release", line)
    assert time.perf_counter() - t0 < 20


def _sourced_by_sh(path: Path, keys: list[str]) -> dict[str, str]:
    """What a POSIX shell reads from an os-release file (the format is defined as sh-sourceable)."""
    script = (
        ". "
        + shlex.quote(str(path))
        + "; "
        + " ".join(f'printf "%s\\0" "${{{k}-}}";' for k in keys)
    )
    out = subprocess.run(["sh", "-c", script], capture_output=True, check=True).stdout
    return dict(zip(keys, out.decode().split("\0")[: len(keys)], strict=True))


def test_parser_agrees_with_sh(tmp_path: Path) -> None:
    need(shutil.which("sh"), "a POSIX shell")
    content = (
        "# comment\n"
        'NAME="Some \\"Quoted\\" Linux"\n'
        "ID=some\n"
        "VERSION_ID='1.2'\n"
        'PRETTY_NAME="Dollar \\$HOME and backslash \\\\ kept"\n'
        'VERSION_CODENAME="code"\n'
        'VARIANT="a\\nb \\x"\n'
        "\n"
    )
    f = tmp_path / "os-release"
    f.write_text(content)
    ours = parse_os_release(content.encode())
    keys = sorted(ours)
    assert keys == ["ID", "NAME", "PRETTY_NAME", "VARIANT", "VERSION_CODENAME", "VERSION_ID"]
    assert ours == _sourced_by_sh(f, keys)


@pytest.mark.parametrize("path", ["/etc/os-release", "/usr/lib/os-release"])
def test_host_os_release_agrees_with_sh(path: str) -> None:
    p = Path(path)
    need(p.is_file() and shutil.which("sh"), f"{path} on this host")
    ours = parse_os_release(p.read_bytes())
    assert ours["ID"]
    assert ours == _sourced_by_sh(p, sorted(ours))
    d = distro_from_fields(ours)
    assert d is not None and d.id == ours["ID"]
    if ours["ID"] in ("debian", "ubuntu", "alpine"):
        assert d.ecosystem.startswith(("Debian", "Ubuntu", "Alpine"))
