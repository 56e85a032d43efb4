"""A small, real-looking image: Debian os-release and dpkg status, a wheel's METADATA, npm packages.

The package data follows the real file formats closely enough that syft catalogs it, so the same
image serves hullcheck's own SBOM tests and the tests against syft's documents.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..image.build import ImageSpec, d, f, oci_layout

OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""

# (package, source field, version, architecture)
DPKG_BASE = [
    ("base-files", "", "12.4+deb12u5", "amd64"),
    ("libc6", "glibc", "2.36-9+deb12u4", "amd64"),
]
DPKG_ADDED = [
    ("libssl3", "openssl", "3.0.11-1~deb12u2", "amd64"),
    ("libdb5.3", "db5.3 (5.3.28+dfsg2-1)", "5.3.28+dfsg2-1+b1", "amd64"),
    ("tzdata", "", "2024a-0+deb12u1", "all"),
]


def dpkg_status(entries: list[tuple[str, str, str, str]]) -> str:
    out = []
    for name, source, version, arch in entries:
        stanza = [f"Package: {name}", "Status: install ok installed", "Priority: optional", "Section: libs",
                  "Installed-Size: 100", "Maintainer: Debian Maintainers <debian@example.org>",
                  f"Architecture: {arch}"]
        if source:
            stanza.append(f"Source: {source}")
        stanza += [f"Version: {version}", f"Description: the {name} package", " Long description."]
        out.append("\n".join(stanza) + "\n")
    return "\n".join(out)


def wheel_metadata(name: str, version: str, license_: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: x\nLicense: {license_}\n\nbody\n"


def npm_package(name: str, version: str, license_: str) -> str:
    return json.dumps({"name": name, "version": version, "license": license_, "description": "x"})


SITE = "usr/local/lib/python3.11/site-packages"
PYTHON = [("requests", "2.19.1", "Apache 2.0"), ("six", "1.16.0", "MIT")]
NPM = [("lodash", "4.17.20", "MIT"), ("@babel/core", "7.22.0", "MIT")]


def sample_spec() -> ImageSpec:
    py_members = []
    for name, version, lic in PYTHON:
        di = f"{SITE}/{name}-{version}.dist-info"
        py_members += [d(di), f(f"{di}/METADATA", wheel_metadata(name, version, lic)),
                       f(f"{di}/RECORD", f"{name}/__init__.py,,\n{di}/METADATA,,\n"),
                       d(f"{SITE}/{name}"), f(f"{SITE}/{name}/__init__.py", "")]
    npm_members = [d("app"), f("app/package.json", json.dumps({"name": "app", "version": "1.0.0", "private": True})),
                   d("app/node_modules"), d("app/node_modules/@babel")]
    for name, version, lic in NPM:
        npm_members += [d(f"app/node_modules/{name}"), f(f"app/node_modules/{name}/package.json", npm_package(name, version, lic))]
    return ImageSpec(
        layers=[
            [d("etc"), f("etc/os-release", OS_RELEASE), d("var"), d("var/lib"), d("var/lib/dpkg"),
             f("var/lib/dpkg/status", dpkg_status(DPKG_BASE))],
            [d("var"), d("var/lib"), d("var/lib/dpkg"), f("var/lib/dpkg/status", dpkg_status(DPKG_BASE + DPKG_ADDED)),
             d("usr"), d("usr/local"), d("usr/local/lib"), d("usr/local/lib/python3.11"), d(SITE), *py_members],
            npm_members,
        ],
        history=[
            {"created_by": "/bin/sh -c #(nop) ADD file:0123 in / ", "created": "2024-01-01T00:00:00Z"},
            {"created_by": "RUN apt-get install -y libssl3 && pip install requests six", "created": "2024-01-02T00:00:00Z"},
            {"created_by": "COPY app /app # buildkit", "created": "2024-01-03T00:00:00Z"},
        ],
    )


def sample_layout(root: Path, tag: str = "latest") -> Path:
    return oci_layout(root, {tag: sample_spec()})
