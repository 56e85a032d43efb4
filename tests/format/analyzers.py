"""Tiny analyzers for the sample image (dpkg status, dist-info METADATA, package.json), so the
formats are tested on catalogs the runner really builds, apart from the real catalogers."""

from __future__ import annotations

import json

from hullcheck.catalog.interface import Artifact, FileInput
from hullcheck.model import Distro, Location, Package, PackageType


class TinyDpkg:
    id = "tiny-dpkg"
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path == "/var/lib/dpkg/status"

    def analyze(self, fi: FileInput) -> Artifact:
        pkgs = []
        for stanza in fi.read().decode().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line.startswith(" "))
            if "Package" not in fields:
                continue
            src, _, src_ver = fields.get("Source", "").partition(" (")
            pkgs.append(Package(
                name=fields["Package"], version=fields["Version"], type=PackageType.DEB, arch=fields["Architecture"],
                source_name=src, source_version=src_ver.rstrip(")"),
                purl=f"pkg:deb/debian/{fields['Package']}@{fields['Version'].replace('+', '%2B')}?arch={fields['Architecture']}",
                locations=(Location(fi.path),)))
        return Artifact(analyzer=self.id, path=fi.path, packages=tuple(pkgs))


class TinyDistInfo:
    id = "tiny-dist-info"
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path.endswith(".dist-info/METADATA")

    def analyze(self, fi: FileInput) -> Artifact:
        head = fi.read().decode().split("\n\n", 1)[0]
        fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
        return Artifact(analyzer=self.id, path=fi.path, packages=(Package(
            name=fields["Name"], version=fields["Version"], type=PackageType.PYTHON, ecosystem="PyPI",
            purl=f"pkg:pypi/{fields['Name'].lower()}@{fields['Version']}", licenses=(fields["License"],),
            locations=(Location(fi.path),)),))


class TinyNpm:
    id = "tiny-npm"
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return "/node_modules/" in path and path.endswith("/package.json")

    def analyze(self, fi: FileInput) -> Artifact:
        d = json.loads(fi.read())
        name = d["name"]
        purl_name = name.replace("@", "%40")
        return Artifact(analyzer=self.id, path=fi.path, packages=(Package(
            name=name, version=d["version"], type=PackageType.NPM, ecosystem="npm",
            purl=f"pkg:npm/{purl_name}@{d['version']}", licenses=(d["license"],), locations=(Location(fi.path),)),))


class TinyOsRelease:
    id = "tiny-os-release"
    version = 1

    def wants(self, path: str, size: int, mode: int) -> bool:
        return path == "/etc/os-release"

    def analyze(self, fi: FileInput) -> Artifact:
        fields = dict(line.split("=", 1) for line in fi.read().decode().splitlines() if "=" in line)
        fields = {k: v.strip('"') for k, v in fields.items()}
        return Artifact(analyzer=self.id, path=fi.path, distro=Distro(
            id=fields["ID"], version_id=fields["VERSION_ID"], version_codename=fields["VERSION_CODENAME"],
            pretty_name=fields["PRETTY_NAME"], ecosystem=f"Debian:{fields['VERSION_ID']}"))


ANALYZERS = (TinyDpkg(), TinyDistInfo(), TinyNpm(), TinyOsRelease())
