"""``hullcheck sbom`` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hullcheck.format import WRITERS, read_sbom
from hullcheck.inventory import inventory

from ..image.build import ImageSpec, d, docker_archive, f, multiarch_layout
from .images import sample_layout, sample_spec


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_sbom_to_stdout(tmp_path: Path, run_cli, fmt: str) -> None:  # type: ignore[no-untyped-def]
    root = sample_layout(tmp_path / "img")
    r = run_cli("sbom", f"oci:{root}", "--format", fmt, *(["-o", "-"] if fmt == "json" else []))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no progress when stderr is not a terminal
    out = tmp_path / "out.json"
    out.write_text(r.stdout)
    doc = read_sbom(out)
    assert doc.format == fmt
    # the same catalog and image identity the library gives for this reference
    inv = inventory(f"oci:{root}")
    assert doc.catalog == inv.catalog
    assert doc.source.manifest_digest == inv.metadata.manifest_digest
    assert doc.source.config_digest == inv.metadata.config_digest
    assert [x.diff_id for x in doc.source.layers] == [x.diff_id for x in inv.metadata.layers]


def test_sbom_to_file(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    arch = docker_archive(tmp_path / "img.tar", sample_spec())
    target = tmp_path / "out" / "sbom.cdx.json"
    target.parent.mkdir()
    target.write_text("old content")
    r = run_cli("sbom", f"docker-archive:{arch}", "-f", "cyclonedx-json", "-o", str(target))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    doc = json.loads(target.read_text())
    assert doc["bomFormat"] == "CycloneDX" and doc["metadata"]["component"]["type"] == "container"
    assert [p.name for p in target.parent.iterdir()] == ["sbom.cdx.json"]  # no temporary file left


def test_sbom_platform(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    layer = [d("etc"), f("etc/hostname", "x")]
    root = multiarch_layout(tmp_path / "multi", {"amd64": ImageSpec([layer]), "arm64": ImageSpec([layer])})
    r = run_cli("sbom", f"oci:{root}", "-f", "json", "--platform", "linux/arm64")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["source"]["platform"] == "linux/arm64"


def test_sbom_errors(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = sample_layout(tmp_path / "img")
    bad_format = run_cli("sbom", f"oci:{root}", "-f", "xml")
    assert bad_format.returncode == 2 and "unknown SBOM format 'xml'" in bad_format.stderr
    missing = run_cli("sbom", f"oci:{tmp_path / 'nope'}")
    assert missing.returncode == 3
    assert len(missing.stderr.strip().splitlines()) == 1 and "Traceback" not in missing.stderr
    unwritable = run_cli("sbom", f"oci:{root}", "-o", str(tmp_path / "no" / "such" / "dir" / "x.json"))
    assert unwritable.returncode == 2 and "cannot write" in unwritable.stderr
    assert unwritable.stdout == ""


def test_sbom_of_rootfs_is_valid(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "os-release").write_text("ID=debian\nVERSION_ID=12\n")
    cdx = run_cli("sbom", f"rootfs:{rootfs}", "-f", "cyclonedx-json")
    assert cdx.returncode == 0, cdx.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx.stdout) is None
    spdx_path = tmp_path / "rootfs.spdx.json"
    r = run_cli("sbom", f"rootfs:{rootfs}", "-f", "spdx-json", "-o", str(spdx_path))
    assert r.returncode == 0, r.stderr
    assert [m.validation_message for m in validate_full_spdx_document(parse_file(str(spdx_path)))] == []
    assert read_sbom(spdx_path).source.ref == f"rootfs:{rootfs}"


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    from ..conftest import REPO

    root = sample_layout(tmp_path / "img")
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), HULLCHECK_CACHE_DIR=str(tmp_path / "cache"))
    try:
        p = subprocess.run([sys.executable, "-m", "hullcheck", "sbom", f"oci:{root}", "-f", "json"],
                           stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env, timeout=120)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the other side is closed and drained
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert p.returncode == 0
    assert json.loads(p.stdout)["schema"] == "hullcheck.sbom/v1"  # stdout stays clean
    assert b"reading layers" in seen  # the progress display went to the terminal


def test_convert_an_sbom(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    from hullcheck.format import render
    from hullcheck.image.open import open_image

    from .catalogs import sample_catalog

    meta = open_image(f"oci:{sample_layout(tmp_path / 'img')}").metadata
    catalog = sample_catalog(meta)
    source = tmp_path / "in.json"
    source.write_text(render("json", meta, catalog))
    for fmt in ("cyclonedx-json", "spdx-json"):
        out = tmp_path / f"out.{fmt}"
        r = run_cli("sbom", f"sbom:{source}", "-f", fmt, "-o", str(out))
        assert r.returncode == 0, r.stderr
        converted = read_sbom(out)
        assert converted.catalog == catalog
        assert converted.source.manifest_digest == meta.manifest_digest
    (tmp_path / "junk.json").write_text("{not json")
    bad = run_cli("sbom", f"sbom:{tmp_path / 'junk.json'}")
    assert bad.returncode == 3 and "not valid JSON" in bad.stderr
