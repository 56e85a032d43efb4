"""What the catalog finds: packages, where they are, and what could not be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PackageType(StrEnum):
    """Package kinds; values appear in output and match purl types where one exists."""

    DEB = "deb"
    APK = "apk"
    RPM = "rpm"
    PYTHON = "python"
    NPM = "npm"
    GO_MODULE = "go-module"
    RUST_CRATE = "rust-crate"
    JAVA_ARCHIVE = "java-archive"
    GEM = "gem"
    COMPOSER = "composer"
    NUGET = "nuget"


@dataclass(frozen=True)
class Location:
    """A path inside the image and the layer it was read from (None for a plain rootfs)."""

    path: str
    layer_index: int | None = None
    layer_diff_id: str | None = None


@dataclass(frozen=True)
class Distro:
    """The operating system of an image, as /etc/os-release tells it."""

    id: str  # os-release ID: debian, ubuntu, alpine, almalinux, rocky, rhel, sles, ...
    version_id: str = ""
    version_codename: str = ""
    pretty_name: str = ""
    id_like: tuple[str, ...] = ()
    ecosystem: str = ""  # OSV ecosystem: "Debian:12", "Alpine:v3.20", "Ubuntu:22.04:LTS", ...


@dataclass(frozen=True)
class Package:
    """One installed package.

    ``ecosystem`` uses OSV naming (``PyPI``, ``npm``, ``Debian:12``); ``source_name`` /
    ``source_version`` carry the upstream/source package (dpkg ``Source:``, apk origin, source
    RPM) that distro advisories name. ``layer_index`` is the layer that introduced the package
    (the first layer where it appears), ``created_by`` that layer's history instruction.
    """

    name: str
    version: str
    type: PackageType
    ecosystem: str = ""
    purl: str = ""
    source_name: str = ""
    source_version: str = ""
    arch: str = ""
    licenses: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    found_by: str = ""
    layer_index: int | None = None
    layer_diff_id: str | None = None
    created_by: str = ""
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity of a package regardless of where it was seen."""
        return (self.type.value, self.name, self.version, self.arch)


@dataclass(frozen=True)
class Unknown:
    """A file that looked like package data but could not be parsed; the scan goes on."""

    path: str
    reason: str
    found_by: str = ""
    layer_index: int | None = None
