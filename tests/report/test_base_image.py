"""The base-image summary: which layers are the base's, and which of their findings a rebuild fixes.

The image is built here: a Debian 12 base layer whose dpkg database lists the packages of real
Debian security-tracker entries for bookworm at the version the tracker says bookworm ships, then
an application layer with an old urllib3. The database is imported from those tracker files and
the PyPA records; the expected counts are computed from the same records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from hullcheck import versions
from hullcheck.advisories.importer import import_paths
from hullcheck.baseimage import (
    BY_BASE_CMD,
    BY_FROM_COMMENT,
    BY_OS_PACKAGES,
    release_name,
    split_layers,
)
from hullcheck.image.writer import EmptyHistory, ImageConfig, LayerSpec, Member, build_image, write_oci_layout
from hullcheck.model import Distro, ImageMetadata, LayerInfo, Package, PackageType, Platform
from hullcheck.model.image import HistoryEntry
from hullcheck.report import REPORT_FORMATS
from hullcheck.scan import ScanOptions, scan
from tests.conftest import REPO

VUNNEL_TRACKER = ("advisories/distro/vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input/"
                  "debian.json")
EXAMPLE_TRACKER = REPO / "examples/advisories/debian-tracker-example.json"
PYPA_URLLIB3 = "advisories/osv/pypa-advisory-database/vulns/urllib3"
BINARY = {"glibc": "libc6"}  # the binary package the image installs for a source package
BASE_LABEL = "docker.io/library/debian:12-slim"


def _bookworm_entries(*trackers: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(source package, CVE, bookworm entry) for entries that say which version bookworm ships."""
    out = []
    for t in trackers:
        for src, cves in json.loads(t.read_text()).items():
            if not isinstance(cves, dict):
                continue
            for cve, entry in cves.items():
                releases = entry.get("releases") if isinstance(entry, dict) else None
                if not isinstance(releases, dict):  # the fixture keeps malformed entries on purpose
                    continue
                rel = releases.get("bookworm")
                if rel and rel.get("repositories", {}).get("bookworm"):
                    out.append((src, cve, rel))
    return out


def _status(entries: list[tuple[str, str, dict[str, Any]]]) -> str:
    stanzas = {}
    for src, _cve, rel in entries:
        name = BINARY.get(src, src)
        stanzas[name] = (f"Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: libs\n"
                         f"Maintainer: Nobody <nobody@example.org>\nArchitecture: amd64\nSource: {src}\n"
                         f"Version: {rel['repositories']['bookworm']}\nDescription: {src}\n")
    return "\n".join(stanzas.values())


def _expected_base(entries: list[tuple[str, str, dict[str, Any]]]) -> tuple[set[str], set[str]]:
    """(CVEs affecting the installed versions, those with a fixed version newer than installed)."""
    affected, fixed = set(), set()
    for _src, cve, rel in entries:
        installed = rel["repositories"]["bookworm"]
        fv = rel.get("fixed_version")
        if rel["status"] == "open":
            affected.add(cve)
        elif rel["status"] == "resolved" and fv and fv != "0" and versions.compare("Debian:12", installed, fv) < 0:
            affected.add(cve)
            fixed.add(cve)
    return affected, fixed


def _urllib3_records(shared: Path, version: str) -> set[frozenset[str]]:
    out = set()
    for p in (shared / PYPA_URLLIB3).glob("*.yaml"):
        rec = yaml.safe_load(p.read_text())
        if not rec.get("withdrawn") and any(version in a.get("versions", []) for a in rec["affected"]):
            out.add(frozenset({rec["id"], *rec.get("aliases", [])}))
    return out


@pytest.fixture(scope="module")
def scanned(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("baseimg")
    trackers = [shared_data / VUNNEL_TRACKER, EXAMPLE_TRACKER]
    entries = _bookworm_entries(*trackers)
    db = tmp / "adv.db"
    import_paths([*map(str, trackers), str(shared_data / PYPA_URLLIB3)], db, fresh=True)
    site = "usr/local/lib/python3.11/site-packages/urllib3-1.24.1.dist-info"
    steps = [
        LayerSpec("ADD rootfs.tar / # buildkit", members=(
            Member.file("etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
                        'VERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
            Member.file("var/lib/dpkg/status", _status(entries)),
        )),
        EmptyHistory('CMD ["bash"]'),
        EmptyHistory("WORKDIR /app"),
        LayerSpec("RUN /bin/sh -c pip install urllib3==1.24.1 # buildkit",
                  members=(Member.file(f"{site}/METADATA", "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.24.1\n"),)),
        EmptyHistory('CMD ["python3"]'),
    ]
    img = build_image(steps, ImageConfig(cmd=("python3",), labels=(("org.opencontainers.image.base.name", BASE_LABEL),)),
                      tmp / "blobs")
    ref = f"oci:{write_oci_layout(tmp / 'oci', [(img, 'v1')])}:v1"
    report = scan(ref, ScanOptions(db_path=db, scanners=frozenset({"vuln"})))
    return {"report": report, "entries": entries, "urllib3": _urllib3_records(shared_data, "1.24.1")}


def test_base_summary_from_real_tracker_data(scanned: dict[str, Any]) -> None:
    report = scanned["report"]
    affected, fixed = _expected_base(scanned["entries"])
    assert affected and fixed and affected - fixed  # the data has both kinds, or the test proves little
    doc = json.loads(REPORT_FORMATS["json"](report))
    base = doc["base_image"]
    assert base["layers"] == [0] and base["detected_by"] == BY_BASE_CMD
    assert base["name"] == BASE_LABEL and base["name_source"] == "label org.opencontainers.image.base.name"
    assert base["release"] == "Debian 12"
    in_base = [f for f in doc["findings"] if f["package"]["layer"] == 0]
    assert {f["id"] for f in in_base} == affected
    assert base["findings"] == len(in_base) == len(affected)
    assert base["fixed_in_release"] == len(fixed)
    assert {f["id"] for f in in_base if f["fix"]["state"] == "fixed"} == fixed
    fixed_pkgs = {f["package"]["name"] for f in in_base if f["id"] in fixed}
    assert base["fixed_packages"] == sorted(fixed_pkgs)
    app = [f for f in doc["findings"] if f["package"]["layer"] == 1]
    assert base["app_findings"] == len(app) == len(scanned["urllib3"])  # one finding per record group
    line = base["summary"]
    assert f"{len(fixed)} of {len(affected)} findings" in line and BASE_LABEL in line and "Debian 12" in line
    # the same sentence in the human formats
    table = REPORT_FORMATS["table"](report)
    assert "base image layers (0)" in table and "application layers" in table
    assert " ".join(line.split()) in " ".join(table.split())
    assert f"{len(fixed)} of {len(affected)} findings" in REPORT_FORMATS["markdown"](report)
    assert f"{len(fixed)} of {len(affected)} findings" in REPORT_FORMATS["html"](report)


def _meta(history: list[HistoryEntry], labels: tuple[tuple[str, str], ...] = ()) -> ImageMetadata:
    n = 1 + max((h.layer_index for h in history if h.layer_index is not None), default=-1)
    layers = tuple(LayerInfo(i, f"sha256:{i:064x}", f"sha256:{i:064x}", "application/vnd.oci.image.layer.v1.tar",
                             10) for i in range(n))
    return ImageMetadata("oci:x", Platform(), None, None, layers, history=history, labels=labels)


def _deb(layer: int) -> Package:
    return Package("libc6", "2.36-9", PackageType.DEB, ecosystem="Debian:12", layer_index=layer)


def test_split_by_history_shapes() -> None:
    classic = _meta([
        HistoryEntry("/bin/sh -c #(nop) ADD file:abc in / ", layer_index=0),
        HistoryEntry('/bin/sh -c #(nop)  CMD ["bash"]', empty_layer=True),
        HistoryEntry("/bin/sh -c apt-get update && apt-get install -y curl", layer_index=1),
        HistoryEntry("/bin/sh -c #(nop) COPY dir:123 in /app ", layer_index=2),
        HistoryEntry('/bin/sh -c #(nop)  CMD ["/app/run"]', empty_layer=True),
    ])
    s = split_layers(classic, [_deb(0)])
    assert (s.base_layers, s.method, s.name) == (1, BY_BASE_CMD, "")
    assert s.is_base(0) and not s.is_base(1) and not s.is_base(None)
    # buildah names the base on the first entry of the final stage; the label wins for the name
    buildah = _meta([
        HistoryEntry("ADD rootfs / ", layer_index=0),
        HistoryEntry("RUN dnf install -y x", layer_index=1),
        HistoryEntry("COPY app /app", layer_index=2, comment="FROM registry.example.com/base:9"),
    ], labels=(("org.opencontainers.image.base.name", "registry.example.com/base:9"),
               ("org.opencontainers.image.base.digest", "sha256:" + "e" * 64)))
    s = split_layers(buildah, [])
    assert (s.base_layers, s.method) == (2, BY_FROM_COMMENT)
    assert s.name == "registry.example.com/base:9@sha256:" + "e" * 64
    # an image that is only its base (CMD last, nothing after it), and one without history: the
    # layer that brought the distro's packages, said to be a guess
    only = _meta([HistoryEntry("ADD rootfs / ", layer_index=0), HistoryEntry('CMD ["bash"]', empty_layer=True)])
    s = split_layers(only, [_deb(0)])
    assert (s.base_layers, s.method) == (1, BY_OS_PACKAGES)
    assert split_layers(_meta([HistoryEntry("x", layer_index=0), HistoryEntry("y", layer_index=1)]), []).base_layers == 0
    assert split_layers(None, [_deb(0)]).base_layers == 0


def test_release_names() -> None:
    assert release_name(Distro("debian", "12", ecosystem="Debian:12")) == "Debian 12"
    assert release_name(Distro("ubuntu", "22.04", ecosystem="Ubuntu:22.04:LTS")) == "Ubuntu 22.04"
    assert release_name(Distro("alpine", "3.20.1", ecosystem="Alpine:v3.20")) == "Alpine v3.20"
    assert release_name(Distro("wolfi")) == "Wolfi"
    assert release_name(None) == ""
