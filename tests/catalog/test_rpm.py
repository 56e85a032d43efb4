"""rpm databases (SQLite, Berkeley DB hash, NDB) and header blobs, against real databases."""

from __future__ import annotations

import shutil
import sqlite3
import struct
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullcheck.catalog.rpm.analyzer import DB_PATHS, RpmAnalyzer, parse_rpmdb
from hullcheck.catalog.rpm.bdb import BdbError, iter_bdb_values
from hullcheck.catalog.rpm.header import HeaderError, read_header, split_source_rpm
from hullcheck.catalog.rpm.ndb import NdbError, iter_ndb_blobs
from hullcheck.catalog.rpm.sqlite import SqliteDbError, iter_sqlite_blobs
from hullcheck.model import PackageType
from tests.catalog._osdb_helpers import FIX, expected, file_input
from tests.conftest import need

GO_RPMDB = "go-rpmdb/pkg/testdata"
SYFT_RH = "syft/syft/pkg/cataloger/redhat/testdata"
LIBUUID = f"{GO_RPMDB}/libuuid/Packages"  # Berkeley DB hash (RHEL 8)
SLE15 = f"{GO_RPMDB}/sle15-bci/Packages.db"  # NDB (SLE 15)
MARINER = f"{GO_RPMDB}/cbl-mariner-2.0/rpmdb.sqlite"  # SQLite (CBL-Mariner 2.0)
SYFT_BDB = f"{SYFT_RH}/Packages"


def _read(shared: Path, rel: str) -> bytes:
    return (shared / FIX / rel).read_bytes()


def _want_evr(p: dict) -> str:  # type: ignore[type-arg]
    vr = f"{p['Version']}-{p['Release']}"
    return f"{p['Epoch']}:{vr}" if p.get("Epoch") is not None else vr


@pytest.mark.parametrize("fixture", [LIBUUID, SLE15])
def test_full_lists_match_rpm_qa(shared_data: Path, fixture: str) -> None:
    """go-rpmdb's lists were made with ``rpm -qa`` on the real images: the whole set must match."""
    pkgs, owned, errors = parse_rpmdb(_read(shared_data, fixture), "/var/lib/rpm/Packages")
    assert errors == []
    want = {
        (p["Name"], _want_evr(p), p["Arch"], p["SourceRpm"], p["License"])
        for p in expected(shared_data, fixture)
    }
    got = {(p.name, p.version, p.arch, p.metadata["source_rpm"], p.licenses[0]) for p in pkgs}
    assert got == want
    assert len(pkgs) == len(want)
    assert all(p.type is PackageType.RPM and p.found_by == "rpm-db" for p in pkgs)
    # every package that lists files gets an OwnedFiles entry with absolute paths
    assert owned and all(f.startswith("/") for o in owned for f in o.files)


def test_sle15_fields(shared_data: Path) -> None:
    pkgs = {
        p.name: p
        for p in parse_rpmdb(_read(shared_data, SLE15), "/usr/lib/sysimage/rpm/Packages.db")[0]
    }
    for want in expected(shared_data, SLE15):
        p = pkgs[want["Name"]]
        src_name, src_ver, src_rel = split_source_rpm(want["SourceRpm"])
        assert (p.source_name, p.source_version) == (src_name, f"{src_ver}-{src_rel}")
        assert p.metadata["vendor"] == want["Vendor"]
        assert p.metadata["size"] == want["Size"]
        assert p.metadata.get("modularity_label", "") == want["Modularitylabel"]


def test_sqlite_fixture(shared_data: Path) -> None:
    data = _read(shared_data, MARINER)
    pkgs, _, errors = parse_rpmdb(data, "/var/lib/rpm/rpmdb.sqlite")
    assert errors == []
    # go-rpmdb's test checks one package of this database: curl
    (want,) = expected(shared_data, MARINER)
    curl = next(p for p in pkgs if p.name == "curl")
    assert (curl.version, curl.arch, curl.licenses) == (
        _want_evr(want),
        want["Arch"],
        (want["License"],),
    )
    assert curl.metadata["vendor"] == want["Vendor"] and curl.metadata["size"] == want["Size"]
    assert curl.source_name == "curl" and curl.source_version == "7.76.0-6.cm2"
    # ...and every row of the Packages table is a package (none is a gpg-pubkey here)
    conn = sqlite3.connect(":memory:")
    buf = bytearray(data)
    buf[18] = buf[19] = 1
    conn.deserialize(bytes(buf))
    (rows,) = conn.execute("SELECT count(*) FROM Packages").fetchone()
    assert len(pkgs) == rows == 129


def test_syft_bdb_purl(shared_data: Path) -> None:
    pkgs, _, _ = parse_rpmdb(_read(shared_data, SYFT_BDB), "/var/lib/rpm/Packages")
    want = expected(shared_data, SYFT_BDB)
    assert [(p.name, p.version, p.purl) for p in pkgs] == [
        (w["Name"], w["Version"], w["PURL"]) for w in want
    ]


def test_header_blob_with_damaged_file_list(shared_data: Path) -> None:
    # go-rpmdb's fuzz seed: a real Fedora header whose last DIRINDEXES entry (4) points past
    # the 4 DIRNAMES. The package survives; only the bad file entry is dropped.
    h = read_header(_read(shared_data, f"{GO_RPMDB}/blob.bin"))
    assert (h.name, h.evr, h.arch) == ("publicsuffix-list-dafsa", "20210518-2.fc35", "noarch")
    assert h.source_rpm == "publicsuffix-list-20210518-2.fc35.src.rpm"
    assert h.files == (
        "/usr/share/licenses/publicsuffix-list-dafsa",
        "/usr/share/licenses/publicsuffix-list-dafsa/COPYING",
        "/usr/share/publicsuffix",
    )


def test_split_source_rpm() -> None:
    assert split_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm") == (
        "util-linux",
        "2.32.1",
        "42.el8_8",
    )
    assert split_source_rpm("kernel-5.14.0-1.nosrc.rpm") == ("kernel", "5.14.0", "1")
    assert split_source_rpm("(none)") == ("", "", "")
    assert split_source_rpm("x.src.rpm") == ("", "", "")


def test_epoch_in_version_and_purl(shared_data: Path) -> None:
    from hullcheck.catalog.rpm.analyzer import package_from_header
    from hullcheck.catalog.rpm.header import RpmHeader

    h = RpmHeader(
        "openssl-libs", "3.0.7", "27.el9", 1, "x86_64", "openssl-3.0.7-27.el9.src.rpm", "ASL 2.0"
    )
    p = package_from_header(h, "/var/lib/rpm/rpmdb.sqlite")
    assert p.version == "1:3.0.7-27.el9"
    assert (p.source_name, p.source_version) == ("openssl", "1:3.0.7-27.el9")
    assert p.purl == (
        "pkg:rpm/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm"
    )


def test_wants_every_db_location() -> None:
    a = RpmAnalyzer()
    for d in ("/var/lib/rpm/", "/usr/lib/sysimage/rpm/", "/usr/share/rpm/"):
        for n in ("Packages", "Packages.db", "rpmdb.sqlite"):
            assert a.wants(d + n, 10, 0o644)
    assert len(DB_PATHS) == 9
    assert not a.wants("/var/lib/rpm/Name", 10, 0o644)
    assert not a.wants("/var/lib/rpm/rpmdb.sqlite-wal", 10, 0o644)


@pytest.mark.parametrize(
    "rel", ["var/lib/rpm/Packages", "var/lib/rpm/Packages.db", "var/lib/rpm/rpmdb.sqlite"]
)
def test_bogus_db_files_are_unknown(shared_data: Path, rel: str) -> None:
    # syft's glob-paths fixtures: five bytes of "bogus" under each database name
    data = _read(shared_data, f"{SYFT_RH}/glob-paths/{rel}")
    art = RpmAnalyzer().analyze(file_input("/" + rel, data))
    assert art is not None and art.unknown and not art.packages


def test_an_rpm_file_is_not_a_database(shared_data: Path) -> None:
    data = _read(shared_data, f"{SYFT_RH}/bad/bad.rpm")
    art = RpmAnalyzer().analyze(file_input("/var/lib/rpm/Packages", data))
    assert art is not None and art.unknown and not art.packages


# --- hostile input -------------------------------------------------------------------------


def test_every_truncation_of_a_header_is_a_header_error(shared_data: Path) -> None:
    blob = _read(shared_data, f"{GO_RPMDB}/blob.bin")
    for n in range(len(blob)):
        with pytest.raises(HeaderError):
            read_header(blob[:n])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.integers(0, 5255), st.integers(0, 255)), min_size=1, max_size=12))
def test_mutated_headers_never_raise_anything_else(
    shared_data: Path, edits: list[tuple[int, int]]
) -> None:
    blob = bytearray(_read(shared_data, f"{GO_RPMDB}/blob.bin"))
    for pos, value in edits:
        blob[pos % len(blob)] = value
    try:
        h = read_header(bytes(blob))
    except HeaderError:
        return
    assert isinstance(h.name, str) and h.name


def test_header_lies_about_sizes() -> None:
    entry = struct.pack(">iIiI", 1000, 6, 0, 1)
    cases = [
        struct.pack(">ii", 0x7FFFFFFF, 16) + entry,  # index count
        struct.pack(">ii", 1, -1) + entry,  # negative data length
        struct.pack(">ii", 1, 0x7FFFFFF0) + entry,  # data length past the blob
        struct.pack(">ii", 1, 4) + struct.pack(">iIiI", 1000, 6, 100, 1) + b"abc\x00",  # offset
        struct.pack(">ii", 1, 4) + entry + b"abcd",  # unterminated string
        struct.pack(">ii", 1, 4) + struct.pack(">iIiI", 1117, 8, 0, 10**6) + b"a\x00b\x00",
        struct.pack(">ii", 1, 4) + struct.pack(">iIiI", 1116, 4, 0, 10**6) + b"\x00" * 4,
    ]
    for blob in cases:
        with pytest.raises(HeaderError):
            read_header(blob)


def _bdb_offpage_items(data: bytes) -> list[tuple[int, int, int]]:
    """(page, item offset, first overflow page) of every off-page value in a little-endian DB."""
    pagesize = struct.unpack_from("<I", data, 20)[0]
    out = []
    for pg in range(1, len(data) // pagesize):
        page = data[pg * pagesize : (pg + 1) * pagesize]
        if page[25] != 13:
            continue
        entries = struct.unpack_from("<H", page, 20)[0]
        for i in range(1, entries, 2):
            off = struct.unpack_from("<H", page, 26 + 2 * i)[0]
            if page[off] == 3:
                out.append((pg, off, struct.unpack_from("<I", page, off + 4)[0]))
    return out


def test_bdb_overflow_loop_is_detected(shared_data: Path) -> None:
    data = bytearray(_read(shared_data, LIBUUID))
    pagesize = struct.unpack_from("<I", data, 20)[0]
    (item,) = _bdb_offpage_items(bytes(data))
    pg, off, first = item
    # walk the chain to its last page and point it back at the first; claim a longer item
    last = first
    while (nxt := struct.unpack_from("<I", data, last * pagesize + 16)[0]) != 0:
        last = nxt
    struct.pack_into("<I", data, last * pagesize + 16, first)
    struct.pack_into("<I", data, pg * pagesize + off + 8, 50 * 1024**2)
    t0 = time.perf_counter()
    art = RpmAnalyzer().analyze(file_input("/var/lib/rpm/Packages", bytes(data)))
    assert time.perf_counter() - t0 < 20
    assert art is not None and not art.packages
    assert art.unknown and "loops" in art.unknown
    errors: list[str] = []
    assert list(iter_bdb_values(bytes(data), errors)) == [] and len(errors) == 1


def test_bdb_bad_chain_targets(shared_data: Path) -> None:
    data = bytearray(_read(shared_data, LIBUUID))
    pagesize = struct.unpack_from("<I", data, 20)[0]
    ((pg, off, _),) = _bdb_offpage_items(bytes(data))
    for target, tlen in ((10**6, 100), (0, 100), (1, 100), (2, 2**31)):
        bad = bytearray(data)
        struct.pack_into("<II", bad, pg * pagesize + off + 4, target, tlen)
        errors: list[str] = []
        assert list(iter_bdb_values(bytes(bad), errors)) == []
        assert len(errors) == 1


def test_bdb_meta_checks(shared_data: Path) -> None:
    data = _read(shared_data, LIBUUID)
    with pytest.raises(BdbError):
        list(iter_bdb_values(data[:100]))
    for pos, value in (
        (20, b"\x00\x03\x00\x00"),
        (25, b"\x05"),
        (24, b"\x01"),
        (16, b"\x63\x00\x00\x00"),
    ):
        bad = bytearray(data)
        bad[pos : pos + len(value)] = value
        with pytest.raises(BdbError):
            list(iter_bdb_values(bytes(bad)))
    # a last_pgno far past the end of the file is clamped to the file, and reported
    big = bytearray(data)
    struct.pack_into("<I", big, 32, 0xFFFFFFFF)
    errors: list[str] = []
    assert len(list(iter_bdb_values(bytes(big), errors))) == 1
    assert errors and "truncated" in errors[0]


def test_bdb_truncation_and_lost_pages_are_reported(shared_data: Path) -> None:
    data = _read(shared_data, LIBUUID)
    art = RpmAnalyzer().analyze(file_input("/var/lib/rpm/Packages", data[: len(data) // 8]))
    assert art is not None and not art.packages and art.unknown and "truncated" in art.unknown
    # a hash page whose type byte is damaged loses its records: the metadata's key count
    # (nelem) says so
    pagesize = struct.unpack_from("<I", data, 20)[0]
    ((pg, _, _),) = _bdb_offpage_items(data)
    bad = bytearray(data)
    bad[pg * pagesize + 25] = 0
    errors: list[str] = []
    assert list(iter_bdb_values(bytes(bad), errors)) == []
    assert errors and "records not found" in errors[-1]


def test_ndb_damaged_slot_skips_one_package(shared_data: Path) -> None:
    data = bytearray(_read(shared_data, SLE15))
    # second used slot (index 3): point its blob outside the file, then corrupt another's magic
    struct.pack_into("<I", data, 3 * 16 + 8, 0x0FFFFFFF)
    blkoff = struct.unpack_from("<I", data, 4 * 16 + 8)[0]
    data[blkoff * 16 : blkoff * 16 + 4] = b"XXXX"
    art = RpmAnalyzer().analyze(file_input("/usr/lib/sysimage/rpm/Packages.db", bytes(data)))
    assert art is not None and len(art.packages) == 33
    assert art.unknown and art.unknown.startswith("2 damaged record(s) skipped")


def test_ndb_header_checks(shared_data: Path) -> None:
    data = _read(shared_data, SLE15)
    for bad in (
        data[:20],
        b"RpmP" + b"\x01" + data[5:],
        data[:12] + b"\xff\xff\x00\x00" + data[16:],
    ):
        with pytest.raises(NdbError):
            list(iter_ndb_blobs(bad))
    broken_slot = bytearray(data)
    broken_slot[2 * 16 : 2 * 16 + 4] = b"Sl0t"
    errors: list[str] = []
    blobs = list(iter_ndb_blobs(bytes(broken_slot), errors))
    assert len(blobs) == 34 and errors


def test_sqlite_hostile(shared_data: Path, tmp_path: Path) -> None:
    data = _read(shared_data, MARINER)
    with pytest.raises(SqliteDbError):
        list(iter_sqlite_blobs(data[: len(data) // 3]))
    with pytest.raises(SqliteDbError):
        list(iter_sqlite_blobs(b"SQLite format 3\x00" + b"\xff" * 5000))
    # a view named Packages that never ends: refused (not a table), and bounded anyway
    db = tmp_path / "rpmdb.sqlite"
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT x AS hnum, zeroblob(10) AS blob FROM c"
    )
    conn.commit()
    conn.close()
    t0 = time.perf_counter()
    art = RpmAnalyzer().analyze(file_input("/var/lib/rpm/rpmdb.sqlite", db.read_bytes()))
    assert time.perf_counter() - t0 < 5
    assert art is not None and art.unknown and "Packages" in art.unknown


def test_sqlite_blobs_that_are_not_headers(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "rpmdb.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
    good = _read(shared_data, f"{GO_RPMDB}/blob.bin")
    conn.executemany(
        "INSERT INTO Packages (blob) VALUES (?)",
        [(b"\x00" * 40,), (good,), ("text",), (good[:100],)],
    )
    conn.commit()
    conn.close()
    art = RpmAnalyzer().analyze(file_input("/var/lib/rpm/rpmdb.sqlite", db.read_bytes()))
    assert art is not None
    assert [p.name for p in art.packages] == ["publicsuffix-list-dafsa"]
    assert art.unknown and art.unknown.startswith("2 damaged record(s)")


# --- rpm itself as the oracle (Debian's rpm reads SQLite and, read-only, Berkeley DB) -------

_QF = (
    "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}"
    "\\t%{LICENSE}\\n"
)


def _rpm_query(dbdir: Path, qf: str) -> list[str]:
    out = subprocess.run(
        ["rpm", "--dbpath", str(dbdir), "-qa", "--qf", qf],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.splitlines()


@pytest.mark.parametrize(("fixture", "name"), [(MARINER, "rpmdb.sqlite"), (LIBUUID, "Packages")])
def test_matches_rpm_qa(shared_data: Path, tmp_path: Path, fixture: str, name: str) -> None:
    need(shutil.which("rpm"), "rpm (apt package 'rpm') to query databases")
    data = _read(shared_data, fixture)
    (tmp_path / name).write_bytes(data)  # rpm wants a writable --dbpath for its lock file
    pkgs, owned, errors = parse_rpmdb(data, f"/var/lib/rpm/{name}")
    assert errors == []
    ours = sorted(
        f"{p.name}\t{p.version}\t{p.arch}\t{p.metadata['source_rpm']}\t{p.licenses[0]}"
        for p in pkgs
    )
    assert ours == sorted(_rpm_query(tmp_path, _QF))
    files = sorted(f"{o.package}\t{f}" for o in owned for f in o.files)
    assert files == sorted(_rpm_query(tmp_path, "[%{=NAME}\\t%{FILENAMES}\\n]"))
    assert len(files) > len(pkgs)


def test_bdb_items_sharing_one_chain_are_bounded(shared_data: Path) -> None:
    """Many items pointing at one long overflow chain: linear work, then a clear error."""
    data = bytearray(_read(shared_data, LIBUUID))
    pagesize = struct.unpack_from("<I", data, 20)[0]
    ((pg, off, first),) = _bdb_offpage_items(bytes(data))
    tlen = struct.unpack_from("<I", data, pg * pagesize + off + 8)[0]
    # append 400 hash pages, each with 100 key/value pairs whose values all use that chain
    extra = bytearray()
    last = len(data) // pagesize - 1
    for i in range(400):
        page = bytearray(pagesize)
        struct.pack_into("<I", page, 8, last + 1 + i)
        page[25] = 13
        n = 200
        struct.pack_into("<H", page, 20, n)
        for j in range(0, n, 2):
            key_off = pagesize - 16 * (j + 1)
            val_off = key_off - 12
            page[key_off] = 1
            page[val_off] = 3
            struct.pack_into("<II", page, val_off + 4, first, tlen)
            struct.pack_into("<HH", page, 26 + 2 * j, key_off, val_off)
        extra += page
    struct.pack_into("<I", data, 32, last + 400)
    big = bytes(data + extra)
    t0 = time.perf_counter()
    art = RpmAnalyzer().analyze(file_input("/var/lib/rpm/Packages", big))
    assert time.perf_counter() - t0 < 10
    assert art is not None and art.unknown and "twice the file size" in art.unknown


def test_ndb_slots_sharing_one_blob_are_bounded(shared_data: Path) -> None:
    data = bytearray(_read(shared_data, SLE15))
    # the largest blob, shared by every used slot
    slots = [struct.unpack_from("<IIII", data, i * 16) for i in range(2, 256)]
    used = [(i + 2, s) for i, s in enumerate(slots) if s[2]]
    _, (_, idx, blkoff, blkcnt) = max(used, key=lambda x: x[1][3])
    for i in range(2, 256):
        struct.pack_into(
            "<IIII", data, i * 16, int.from_bytes(b"Slot", "little"), idx, blkoff, blkcnt
        )
    with pytest.raises(NdbError, match="file size"):
        list(iter_ndb_blobs(bytes(data)))


_SPEC = """\
Name: hc-demo
Epoch: 3
Version: 1.2.3
Release: 4.test
Summary: hullcheck test package
License: MIT AND (BSD-2-Clause OR Apache-2.0)
BuildArch: noarch
%description
test
%package libs
Summary: a subpackage: its source RPM is hc-demo's
License: Zlib
%description libs
test
%install
mkdir -p %{buildroot}/usr/share/hc-demo %{buildroot}/etc %{buildroot}/usr/lib/hc
echo a > %{buildroot}/usr/share/hc-demo/a.txt
echo b > %{buildroot}/etc/hc-demo.conf
echo c > %{buildroot}/usr/lib/hc/libhc.so
%files
/usr/share/hc-demo
/etc/hc-demo.conf
%files libs
/usr/lib/hc/libhc.so
"""


def test_database_written_by_rpm(tmp_path: Path) -> None:
    """rpm builds two packages and records them, plus an imported signing key, in a fresh
    SQLite database; we read back exactly what ``rpm -qa`` reads, minus the gpg-pubkey."""
    need(shutil.which("rpmbuild") and shutil.which("rpm"), "rpm and rpmbuild (apt package 'rpm')")
    keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
    need(shutil.which("gpg") and keyring.is_file(), "gpg and debian-archive-keyring")
    top, db = tmp_path / "build", tmp_path / "db"
    (top / "SPECS").mkdir(parents=True)
    db.mkdir()
    spec = top / "SPECS" / "hc-demo.spec"
    spec.write_text(_SPEC)

    def run(*args: str) -> bytes:
        return subprocess.run(args, capture_output=True, check=True).stdout

    run("rpmbuild", "--define", f"_topdir {top}", "-bb", str(spec))
    rpms = sorted(str(p) for p in (top / "RPMS").rglob("*.rpm"))
    assert len(rpms) == 2
    run("rpm", "--dbpath", str(db), "--initdb")
    run("rpm", "--dbpath", str(db), "-i", "--justdb", "--nodeps", "--noscripts", *rpms)
    key = run("gpg", "--no-default-keyring", "--keyring", str(keyring), "--export", "--armor")
    (tmp_path / "key.asc").write_bytes(key)
    run("rpm", "--dbpath", str(db), "--import", str(tmp_path / "key.asc"))
    names = [line.split("\t")[0] for line in _rpm_query(db, _QF)]
    assert "gpg-pubkey" in names and len(names) >= 3

    pkgs, owned, errors = parse_rpmdb(
        (db / "rpmdb.sqlite").read_bytes(), "/var/lib/rpm/rpmdb.sqlite"
    )
    assert errors == []
    ours = sorted(
        f"{p.name}\t{p.version}\t{p.arch}\t{p.metadata['source_rpm']}\t{p.licenses[0]}"
        for p in pkgs
    )
    assert ours == sorted(line for line in _rpm_query(db, _QF) if not line.startswith("gpg-pubkey"))
    by = {p.name: p for p in pkgs}
    assert by["hc-demo"].version == "3:1.2.3-4.test"
    libs = by["hc-demo-libs"]
    assert (libs.source_name, libs.source_version) == ("hc-demo", "3:1.2.3-4.test")
    assert libs.purl == (
        "pkg:rpm/hc-demo-libs@1.2.3-4.test?arch=noarch&epoch=3&upstream=hc-demo-1.2.3-4.test.src.rpm"
    )
    files = {o.package: set(o.files) for o in owned}
    assert files == {
        "hc-demo": {"/etc/hc-demo.conf", "/usr/share/hc-demo", "/usr/share/hc-demo/a.txt"},
        "hc-demo-libs": {"/usr/lib/hc/libhc.so"},
    }
