"""What each image contains, read from the inputs at build time (not from the built image):
the accuracy harness compares every scanner's findings with this ``expected.json``.

Sources: the dpkg status file of the staged rootfs, the ``*.dist-info/METADATA`` of each pip
install (minus what a later layer deletes), and the npm lock file that ``npm ci`` installed.
"""

from __future__ import annotations

import json
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

Truth = dict[str, Any]


def dpkg_packages(root: Path) -> list[dict[str, str]]:
    status = root / "var/lib/dpkg/status"
    out: list[dict[str, str]] = []
    for stanza in status.read_text().split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line and not line[0].isspace() and ":" in line:
                k, _, v = line.partition(":")
                fields[k] = v.strip()
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            src = fields.get("Source", fields["Package"]).split(" ")[0]
            out.append(
                {
                    "name": fields["Package"],
                    "version": fields["Version"],
                    "arch": fields.get("Architecture", ""),
                    "source": src,
                }
            )
    return sorted(out, key=lambda p: p["name"])


def os_release(root: Path) -> dict[str, str]:
    for rel in ("etc/os-release", "usr/lib/os-release"):
        p = root / rel
        if p.is_symlink():
            p = root / "usr/lib/os-release"
        if p.is_file():
            pairs = (ln.split("=", 1) for ln in p.read_text().splitlines() if "=" in ln)
            return {
                k: v.strip('"') for k, v in pairs if k in ("ID", "VERSION_ID", "VERSION_CODENAME")
            }
    return {}


def python_dists(root: Path, site: str) -> list[dict[str, str]]:
    """One entry per installed distribution: name and version from METADATA, and the path of
    its ``.dist-info`` directory inside the image."""
    out: list[dict[str, str]] = []
    for d in sorted((root / site).glob("*.dist-info")):
        meta = HeaderParser().parsestr((d / "METADATA").read_text(errors="replace"))
        out.append({"name": meta["Name"], "version": meta["Version"], "path": f"/{site}/{d.name}"})
    return out


def npm_packages(lock_path: Path, image_dir: str) -> list[dict[str, str]]:
    """Every installed package in a lockfile v2/v3 (``packages`` keyed by node_modules path).

    When ``npm ci`` ran next to the lock (a ``node_modules`` folder beside it), only the entries
    it installed: npm skips optional packages for other platforms (esbuild's ``@esbuild/*``),
    whose folders are then absent from the image."""
    lock = json.loads(lock_path.read_text())
    installed = (lock_path.parent / "node_modules").is_dir()
    out: list[dict[str, str]] = []
    for key, meta in lock.get("packages", {}).items():
        if not key or meta.get("link"):
            continue
        if installed and not (lock_path.parent / key / "package.json").is_file():
            continue
        name = meta.get("name") or key.rsplit("node_modules/", 1)[-1]
        out.append({"name": name, "version": meta["version"], "path": f"{image_dir}/{key}"})
    return sorted(out, key=lambda p: p["path"])


def merge(base: Truth, upper: Truth) -> Truth:
    """The base image's truth with the upper image's added; ``python_removed`` paths drop
    entries (a whiteout), the same path in the upper image replaces the base's entry."""
    out: Truth = {k: v for k, v in base.items() if not isinstance(v, list)}
    out.update({k: v for k, v in upper.items() if not isinstance(v, list)})
    removed = set(upper.get("removed_paths", []))
    for key in sorted({*base, *upper}):
        lists = [x for x in (base.get(key), upper.get(key)) if isinstance(x, list)]
        if not lists or key == "removed_paths":
            continue
        merged: dict[str, Any] = {}
        for items in lists:
            for item in items:
                path = item.get("path") if isinstance(item, dict) else None
                ident = path or json.dumps(item, sort_keys=True)
                merged[ident] = item
        out[key] = [v for k, v in merged.items() if k not in removed]
    return out
