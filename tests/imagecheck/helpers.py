"""Build a small image, open it as a user would, and run the checks on it."""

from __future__ import annotations

from pathlib import Path

from hullcheck.imagecheck import run_checks
from hullcheck.inventory import inventory
from hullcheck.model.checks import Misconfiguration
from tests.image.build import ImageSpec, oci_layout


def check_image(tmp_path: Path, spec: ImageSpec, name: str = "img") -> list[Misconfiguration]:
    root = oci_layout(tmp_path / name, {"latest": spec})
    inv = inventory(f"oci:{root}")
    return run_checks(inv.metadata, inv.scans, inv.catalog)


def of(findings: list[Misconfiguration], check_id: str) -> list[Misconfiguration]:
    return [m for m in findings if m.check_id == check_id]


def dpkg_status(*packages: tuple[str, str]) -> str:
    """A /var/lib/dpkg/status file listing ``packages`` (name, version) as installed."""
    return "\n".join(
        f"Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: admin\n"
        f"Maintainer: Test <t@example.com>\nArchitecture: amd64\nVersion: {version}\n"
        f"Description: {name}\n"
        for name, version in packages
    )
