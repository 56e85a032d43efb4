"""The catalog runner: visibility, first-layer attribution, ownership, distro priority.

Uses two tiny analyzers defined here (a line-based "os" database with file lists, and a
language metadata file) so that the runner is tested apart from the real catalogers.
"""

from __future__ import annotations

from pathlib import Path

from hullcheck.catalog.interface import Artifact, FileInput, OwnedFiles
from hullcheck.catalog.runner import build_catalog
from hullcheck.image.open import open_image
from hullcheck.model import Distro, Location, Package, PackageType

from ..image.build import ImageSpec, d, f, oci_layout


class OsDb:
    """/var/lib/toydb: lines 'name version file1,file2'."""

    id = "dpkg-db"  # the runner trusts file lists of OS package databases only
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path == "/var/lib/toydb"

    def analyze(self, fi: FileInput) -> Artifact:
        pkgs, owned = [], []
        for line in fi.read().decode().splitlines():
            name, version, files = line.split()
            pkgs.append(Package(name=name, version=version, type=PackageType.DEB, locations=(Location(fi.path),)))
            owned.append(OwnedFiles(name, tuple(files.split(","))))
        return Artifact(analyzer=self.id, path=fi.path, packages=tuple(pkgs), owned=tuple(owned))


class LangMeta:
    id = "toy-lang"
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path.endswith("/META")

    def analyze(self, fi: FileInput) -> Artifact:
        text = fi.read().decode()
        if "=" not in text:
            return Artifact(analyzer=self.id, path=fi.path, unknown="no name=version")
        name, version = text.strip().split("=")
        return Artifact(analyzer=self.id, path=fi.path, packages=(
            Package(name=name, version=version, type=PackageType.PYTHON, ecosystem="PyPI", locations=(Location(fi.path),)),))


class Release:
    id = "toy-release"
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path in ("/etc/os-release", "/etc/debian_version")

    def analyze(self, fi: FileInput) -> Artifact:
        return Artifact(analyzer=self.id, path=fi.path, distro=Distro(id="debian", ecosystem=fi.read().decode().strip()))


def test_runner(tmp_path: Path) -> None:
    spec = ImageSpec(
        layers=[
            [d("etc"), f("etc/debian_version", "Debian:from-version-file"), f("etc/os-release", "Debian:12"),
             d("var"), d("var/lib"), f("var/lib/toydb", "base 1 /bin/sh\n")],
            [d("var"), d("var/lib"), f("var/lib/toydb", "base 1 /bin/sh\npy3-six 1.16 /usr/lib/py/six/META\n"),
             d("usr"), d("usr/lib"), d("usr/lib/py"), d("usr/lib/py/six"), f("usr/lib/py/six/META", "six=1.16.0"),
             d("app"), f("app/req/META", "requests=2.19.1"), f("app/gone/META", "gone=1.0"), f("app/bad/META", "garbage")],
            [d("app"), f("app/.wh.gone")],
        ],
        history=[{"created_by": "FROM debian"}, {"created_by": "RUN install"}, {"created_by": "RUN rm -rf /app/gone"}],
    )
    root = oci_layout(tmp_path / "img", {"t": spec})
    img = open_image(f"oci:{root}")
    cat = build_catalog(img.scan([OsDb(), LangMeta(), Release()]), img.metadata)
    by_name = {p.name: p for p in cat.packages}
    # /etc/os-release beats /etc/debian_version
    assert cat.distro is not None and cat.distro.ecosystem == "Debian:12"
    # the OS db of layer 1 is the visible one; 'base' first appeared in layer 0
    assert by_name["base"].layer_index == 0 and by_name["base"].created_by == "FROM debian"
    assert by_name["base"].locations[0].layer_index == 1
    assert by_name["py3-six"].layer_index == 1
    # six's metadata file belongs to the OS package: reported once, as the OS package
    assert "six" not in by_name
    # requests is the app's own; gone was deleted by a whiteout
    assert by_name["requests"].layer_index == 1 and by_name["requests"].created_by == "RUN install"
    assert "gone" not in by_name
    assert [(u.path, u.found_by) for u in cat.unknowns] == [("/app/bad/META", "toy-lang")]
    assert by_name["requests"].layer_diff_id == img.metadata.layers[1].diff_id
