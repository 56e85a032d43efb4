"""Python analyzers against real metadata: the peers' fixtures, this interpreter's own
site-packages (checked against importlib.metadata), real eggs, and hostile inputs."""

from __future__ import annotations

import csv
import importlib.metadata
import io
import os
import posixpath
import struct
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from hullcheck.catalog.python import PythonDistInfoAnalyzer, parse_metadata
from hullcheck.catalog.python_egg import PythonEggZipAnalyzer
from hullcheck.catalog.python_record import PythonRecordAnalyzer, parse_owned_files
from hullcheck.model import PackageType
from tests.catalog.langutil import (
    FIXTURES,
    disk_input,
    expected,
    file_input,
    run_tree,
)
from tests.conftest import need

DIST = PythonDistInfoAnalyzer()
EGG = PythonEggZipAnalyzer()
RECORD = PythonRecordAnalyzer()

TRIVY_DIR = "trivy/pkg/dependency/parser/python/packaging/testdata"
SYFT_DIR = "syft/syft/pkg/cataloger/python/testdata/site-packages"

# Licenses where hullcheck deliberately differs from trivy's expectation, and why:
LICENSE_DIFFERENCES = {
    # Declares both `License: Python license` and a PSF classifier; trivy takes the classifier
    # for METADATA but the License field for the egg-info of the same release. We always prefer
    # the explicitly declared License field (it is what the author wrote for this field).
    "distlib-0.3.1.METADATA": ["Python license"],
    # trivy reports "file://LICENSE.txt" from License-File: a file name, not a license. We keep
    # license files in metadata["license_files"] and report no license.
    "networkx-3.0.METADATA": [],
    # "UNKNOWN" is setuptools' placeholder for "no license given", not a license name.
    "setuptools-51.3.3-py3.8.egg-info.PKG-INFO": [],
    "unidecode-egg-info.PKG-INFO": [],
}


@pytest.mark.parametrize(
    "name",
    [
        "asyncssh-2.14.2.METADATA",
        "distlib-0.3.1-py3.9.egg-info",
        "distlib-0.3.1.METADATA",
        "iniconfig-2.0.0.METADATA",
        "networkx-3.0.METADATA",
        "pyphen-0.14.0.METADATA",
        "setuptools-51.3.3-py3.8.egg-info.PKG-INFO",
        "simple-0.1.0.METADATA",
        "unidecode-egg-info.PKG-INFO",
        "zipp-3.12.1.METADATA",
    ],
)
def test_trivy_fixtures(shared_data: Path, name: str) -> None:
    fixture = f"{TRIVY_DIR}/{name}"
    exp = expected(shared_data, fixture)["packages"]
    assert len(exp) == 1
    data = (shared_data / FIXTURES / fixture).read_bytes()
    (pkg,) = parse_metadata(data, "/site-packages/x.dist-info/METADATA")
    assert (pkg.name, pkg.version) == (exp[0]["Name"], exp[0]["Version"])
    want_licenses = LICENSE_DIFFERENCES.get(name, exp[0].get("Licenses", []))
    assert list(pkg.licenses) == want_licenses
    assert pkg.type is PackageType.PYTHON
    assert pkg.ecosystem == "PyPI"
    assert pkg.purl == f"pkg:pypi/{pkg.name.lower().replace('_', '-')}@{pkg.version}"
    assert pkg.found_by == "python-dist-info"


def test_networkx_keeps_license_file_as_metadata(shared_data: Path) -> None:
    data = (shared_data / FIXTURES / TRIVY_DIR / "networkx-3.0.METADATA").read_bytes()
    (pkg,) = parse_metadata(data, "/x/METADATA")
    assert pkg.metadata["license_files"] == ["LICENSE.txt"]


@pytest.mark.parametrize(
    "case", ["license", "malformed-record", "nested", "partial.dist-info", "test", "uppercase"]
)
def test_syft_site_packages(shared_data: Path, case: str) -> None:
    fixture = f"{SYFT_DIR}/{case}"
    exp = expected(shared_data, fixture)["packages"]
    root = shared_data / FIXTURES / fixture
    arts = run_tree([DIST, EGG], root, f"/usr/lib/python3/site-packages/{case}")
    assert all(a.unknown is None for a in arts), [a.unknown for a in arts]
    # syft lower-cases names ("Pygments" -> "pygments"); we keep the declared name and compare
    # normalised forms, which is also what metadata["normalized_name"] carries.
    got = {(p.metadata["normalized_name"], p.version) for a in arts for p in a.packages}
    assert got == {(str(canonicalize_name(p["Name"])), p["Version"]) for p in exp}
    # syft adds a vcs_url qualifier from direct_url.json, which we do not read (a qualifier,
    # not identity); plain purls must agree.
    ours = {p.purl for a in arts for p in a.packages}
    assert {p["PURL"] for p in exp if "?" not in p["PURL"]} <= ours
    assert {p["PURL"].split("?")[0] for p in exp} == ours
    # PKG-INFO-INVALID files sit next to the real PKG-INFO: not offered, not parsed.
    assert not any(a.path.endswith("INVALID") for a in arts)


def test_syft_no_version_is_unknown(shared_data: Path) -> None:
    # syft reports "no-version" without a version; a version-less package cannot be matched
    # against any advisory, so we record an unknown that says why instead.
    fixture = f"{SYFT_DIR}/no-version"
    exp = expected(shared_data, fixture)["packages"]
    assert [p.get("Version", "") for p in exp] == [""]
    arts = run_tree([DIST, EGG], shared_data / FIXTURES / fixture, "/site-packages")
    assert len(arts) == 1
    assert arts[0].packages == ()
    assert "no Version" in (arts[0].unknown or "")


def _site_packages_metadata_files() -> list[tuple[Path, str]]:
    out = []
    root = Path(sysconfig.get_paths()["purelib"])
    for entry in sorted(root.iterdir()):
        low = entry.name.lower()
        if low.endswith(".dist-info") and (entry / "METADATA").is_file():
            out.append(
                (entry / "METADATA", f"/usr/lib/python3/site-packages/{entry.name}/METADATA")
            )
        elif low.endswith(".egg-info"):
            meta = entry / "PKG-INFO" if entry.is_dir() else entry
            if meta.is_file():
                out.append(
                    (
                        meta,
                        f"/usr/lib/python3/site-packages/{entry.name}"
                        + ("/PKG-INFO" if entry.is_dir() else ""),
                    )
                )
    return out


def test_real_site_packages_match_importlib_metadata() -> None:
    files = _site_packages_metadata_files()
    need(len(files) >= 10, "this interpreter's site-packages holds real distributions")
    for real, image_path in files:
        assert DIST.wants(image_path, real.stat().st_size, 0o100644), image_path
        art = DIST.analyze(disk_input(real, image_path))
        dist = importlib.metadata.Distribution.at(
            real.parent if real.name in ("METADATA", "PKG-INFO") else real
        )
        want = (dist.metadata["Name"], dist.version)
        assert art.unknown is None, (image_path, art.unknown)
        (pkg,) = art.packages
        assert (pkg.name, pkg.version) == want, image_path
        assert pkg.locations[0].path == image_path


def _egg_bytes(pkg_info: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        # fixed timestamps: the bytes are test ids, and xdist workers must collect the same ids
        zf.writestr(zipfile.ZipInfo("EGG-INFO/PKG-INFO", (2020, 1, 1, 0, 0, 0)), pkg_info)
        zf.writestr(zipfile.ZipInfo("EGG-INFO/top_level.txt", (2020, 1, 1, 0, 0, 0)), b"pkg\n")
        for k, v in (extra or {}).items():
            zf.writestr(zipfile.ZipInfo(k, (2020, 1, 1, 0, 0, 0)), v)
    return buf.getvalue()


def test_zipped_egg_with_real_metadata(shared_data: Path) -> None:
    # A zipped egg carries the PKG-INFO of a real release (setuptools 51.3.3 egg-info).
    pkg_info = (
        shared_data / FIXTURES / TRIVY_DIR / "setuptools-51.3.3-py3.8.egg-info.PKG-INFO"
    ).read_bytes()
    data = _egg_bytes(pkg_info, {"setuptools/__init__.py": b"# code\n"})
    path = "/usr/lib/python3.8/site-packages/setuptools-51.3.3-py3.8.egg"
    assert EGG.wants(path, len(data), 0o100644)
    art = EGG.analyze(file_input(path, data))
    assert art.unknown is None
    (pkg,) = art.packages
    assert (pkg.name, pkg.version, pkg.found_by) == ("setuptools", "51.3.3", "python-egg-zip")


def test_wants_is_selective() -> None:
    yes = [
        "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
        "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
        "/usr/lib/python3/dist-packages/six-1.16.0.egg-info",
        "/opt/x/foo-1.0-py3.8.egg/EGG-INFO/PKG-INFO",
    ]
    no = [
        "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD",
        "/usr/lib/python3/dist-packages/six.py",
        "/srv/app/METADATA",
        "/srv/app/PKG-INFO",
        "/x/egg-info/PKG-INFO-INVALID",
    ]
    assert all(DIST.wants(p, 10, 0o100644) for p in yes)
    assert not any(DIST.wants(p, 10, 0o100644) for p in no)
    assert EGG.wants("/x/foo-1.0-py3.8.egg", 10, 0o100644)
    assert not EGG.wants("/x/foo-1.0-py3.8.egg-info", 10, 0o100644)


# -- hostile and broken inputs: always an unknown, never an exception, always fast -------------


def test_metadata_without_name_or_garbage() -> None:
    for data in (b"", b"\x00\xff" * 1000, b"Version: 1.0\n", b"no headers at all"):
        art = DIST.analyze(file_input("/a.dist-info/METADATA", data))
        assert art.packages == () and art.unknown


def test_gigantic_fields_and_files() -> None:
    t0 = time.monotonic()
    huge_name = b"Metadata-Version: 2.1\nName: " + b"a" * 5_000_000 + b"\nVersion: 1\n"
    art = DIST.analyze(file_input("/a.dist-info/METADATA", huge_name))
    assert art.packages == () and "too long" in (art.unknown or "")
    too_big = b"Name: x\nVersion: 1\n" + b"x" * (9 << 20)
    art = DIST.analyze(file_input("/a.dist-info/METADATA", too_big))
    assert art.packages == () and "too large" in (art.unknown or "")
    assert time.monotonic() - t0 < 5


def test_egg_zip_bomb_is_refused_fast() -> None:
    # 24 MiB of zeros compress to ~24 KiB: we inflate at most the manifest limit (+1 byte).
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("EGG-INFO/PKG-INFO", "w", force_zip64=False) as member,
    ):
        chunk = b"\0" * (1 << 20)
        for _ in range(24):
            member.write(chunk)
    data = buf.getvalue()
    assert len(data) < 1 << 20
    t0 = time.monotonic()
    art = EGG.analyze(file_input("/x/bomb.egg", data))
    assert art.packages == () and "too large" in (art.unknown or "")
    assert time.monotonic() - t0 < 5


def test_egg_with_absurd_directory_is_refused_before_zipfile_reads_it() -> None:
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, 0, 0, 0)
    art = EGG.analyze(file_input("/x/many.egg", eocd))
    assert art.packages == () and "entries" in (art.unknown or "")
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 3, 3, 1 << 30, 0, 0)
    art = EGG.analyze(file_input("/x/big.egg", eocd))
    assert art.packages == () and "central directory" in (art.unknown or "")


def test_egg_over_the_size_limit_is_not_opened() -> None:
    def explode() -> io.BytesIO:
        raise AssertionError("must not open")

    from hullcheck.catalog.interface import FileInput

    art = EGG.analyze(FileInput("/x/huge.egg", 1 << 33, 0o100644, explode))
    assert art.packages == () and "too large" in (art.unknown or "")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a zip",
        b"PK\x03\x04" + b"\0" * 100,
        _egg_bytes(b"Name: x\nVersion: 1\n")[:-30],  # truncated central directory
        _egg_bytes(b"x", {"other": b"y"}).replace(b"EGG-INFO/PKG-INFO", b"EGG-INFO/PKG-INFX"),
    ],
)
def test_broken_eggs_are_unknown(data: bytes) -> None:
    art = EGG.analyze(file_input("/x/broken.egg", data))
    assert art.packages == () and art.unknown


def test_real_wheels_dist_info() -> None:
    # The wheels Python ships for ensurepip are real releases: the METADATA inside each wheel's
    # dist-info must give the name and version its file name (PEP 427) states.
    import ensurepip

    bundled = Path(ensurepip.__file__).parent / "_bundled"
    wheels = sorted(bundled.glob("*.whl")) if bundled.is_dir() else []
    need(wheels, "the interpreter's ensurepip wheels")
    for wheel in wheels:
        dist, version = wheel.name.split("-")[:2]
        with zipfile.ZipFile(wheel) as zf:
            meta = f"{dist}-{version}.dist-info/METADATA"
            data = zf.read(meta)
        path = f"/usr/lib/python3/site-packages/{meta}"
        assert DIST.wants(path, len(data), 0o100644)
        art = DIST.analyze(file_input(path, data))
        (pkg,) = art.packages
        assert (canonicalize_name(pkg.name), pkg.version) == (canonicalize_name(dist), version)
        assert pkg.licenses  # both declare a license


def test_real_site_packages_record_matches_importlib_files() -> None:
    # Ownership from RECORD against importlib.metadata's own reading of the same files.
    root = Path(sysconfig.get_paths()["purelib"])
    infos = sorted(p for p in root.glob("*.dist-info") if (p / "RECORD").is_file())
    need(len(infos) >= 10, "this interpreter's site-packages holds real distributions")
    for info in infos:
        record = info / "RECORD"
        assert RECORD.wants(str(record), record.stat().st_size, 0o100644)
        art = RECORD.analyze(disk_input(record, str(record)))
        assert art.unknown is None and art.packages == ()
        (owned,) = art.owned
        dist = importlib.metadata.Distribution.at(info)
        assert owned.package == canonicalize_name(dist.metadata["Name"])
        want = {os.path.normpath(str(f.locate())) for f in dist.files or ()}
        assert set(owned.files) == want, info.name


def test_record_variants(shared_data: Path) -> None:
    base = shared_data / FIXTURES / "syft/syft/pkg/cataloger/python/testdata"
    sp = "/usr/lib/python3.8/site-packages"
    record = (base / "site-packages/nested/dist-name/dist-info/RECORD").read_bytes()
    art = RECORD.analyze(file_input(f"{sp}/Pygments-2.6.1.dist-info/RECORD", record))
    (owned,) = art.owned
    assert owned.package == "pygments"
    assert "/usr/bin/pygmentize" in owned.files  # ../../../bin/pygmentize
    assert len(owned.files) == len([ln for ln in record.decode().splitlines() if ln])
    # a RECORD with merge-conflict markers in it: the real rows still count
    broken = (base / "site-packages/malformed-record/dist-info/RECORD").read_bytes()
    art = RECORD.analyze(file_input(f"{sp}/Flask-1.0.dist-info/RECORD", broken))
    (owned,) = art.owned
    assert owned.files and not any("<<<" in f or "===" in f for f in owned.files)
    installed = (base / "installed-files/installed-files.txt").read_bytes()
    egg = f"{sp}/dicttoxml-1.7.4-py3.6.egg-info/installed-files.txt"
    assert RECORD.wants(egg, len(installed), 0o100644)
    (owned,) = RECORD.analyze(file_input(egg, installed)).owned
    assert owned.package == "dicttoxml"
    assert f"{sp}/dicttoxml.py" in owned.files
    assert f"{sp}/dicttoxml-1.7.4-py3.6.egg-info/PKG-INFO" in owned.files


def test_record_hostile() -> None:
    sp = "/usr/lib/python3/site-packages/x-1.0.dist-info/RECORD"
    for data in (b"\x00" * 1000, b'"unterminated,\n' * 1000, b"a" * 5000 + b",,\n"):
        art = RECORD.analyze(file_input(sp, data))
        assert art.unknown is None or art.owned == ()
    art = RECORD.analyze(file_input("/x/dist-info/RECORD", b"a.py,,\n"))
    assert art.unknown and art.owned == ()  # no distribution name in the directory
    art = RECORD.analyze(file_input(sp, b"f,,\n" * 250_000))
    assert art.unknown and "installed files" in art.unknown


_REL = st.lists(st.sampled_from(["a", "b.py", ".", "..", "", ".libs", "x,y", "é", "c d"]), min_size=1, max_size=5)


@settings(max_examples=300)
@given(rels=st.lists(_REL.map("/".join), min_size=1, max_size=8), quoted=st.booleans())
def test_record_paths_are_those_csv_and_normpath_give(rels: list[str], quoted: bool) -> None:
    """The unquoted fast path of RECORD parsing gives exactly what the csv module and normpath give."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL)
    for rel in rels:
        writer.writerow([rel, "sha256=x", "1"])
    path = "/usr/lib/python3/dist-packages/pkg-1.0.dist-info/RECORD"
    expected = []
    for row in csv.reader(buf.getvalue().splitlines()):
        if not row or not row[0]:
            continue
        full = posixpath.normpath(posixpath.join("/usr/lib/python3/dist-packages", row[0]))
        if full.startswith("/") and not full.startswith("//") and "/../" not in full + "/":
            expected.append(full)
    assert list(parse_owned_files(buf.getvalue().encode(), path).files) == expected
