"""A loopback registry for the registry section: Debian's docker-registry with htpasswd basic auth,
the benchmark image pushed into it with skopeo, stopped and its storage removed at the end.

The server code is the tests' own (`tests/image/registry/daemon.py`), so the benchmark pulls
from the same kind of registry the registry client is tested against.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.image.registry.daemon import MissingProgram, start_registry

from .tools import RegistryLogin

__all__ = ["MissingProgram", "RegistryFailed", "Served", "layout_tag", "serving"]

REPO_PREFIX = "hullcheck-bench"  # as bench/images/build.py push names them


class RegistryFailed(RuntimeError):
    """The registry did not start, or the push into it failed."""


@dataclass(frozen=True)
class Served:
    ref: str  # 127.0.0.1:PORT/hullcheck-bench/NAME:TAG
    login: RegistryLogin
    push_seconds: float


def layout_tag(oci_dir: Path) -> str:
    """The ref name of the layout's only image (bench/images and tests/image/build annotate it)."""
    index = json.loads((oci_dir / "index.json").read_text())
    names = [
        str(m.get("annotations", {}).get("org.opencontainers.image.ref.name", ""))
        for m in index.get("manifests") or []
    ]
    names = [n for n in names if n]
    if len(names) != 1:
        raise RegistryFailed(f"{oci_dir}: expected one named image in index.json, found {names}")
    return names[0]


@contextmanager
def serving(name: str, oci_dir: Path, workdir: Path, push_timeout: float = 900) -> Iterator[Served]:
    """Start a registry in workdir, push the OCI layout as hullcheck-bench/NAME:TAG (digests
    preserved), yield its reference; stop the server and delete workdir whatever happens."""
    tag = layout_tag(oci_dir)
    try:
        server = start_registry(workdir, "htpasswd")
    except MissingProgram:
        raise
    except RuntimeError as e:
        shutil.rmtree(workdir, ignore_errors=True)
        raise RegistryFailed(str(e)) from None
    try:
        t0 = time.monotonic()
        repo = f"{REPO_PREFIX}/{name}"
        try:
            server.push_layout(oci_dir, tag, repo, tag, extra=("--preserve-digests",), timeout=push_timeout)
        except MissingProgram:
            raise
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            raise RegistryFailed(f"push of {oci_dir} failed: {e}") from None
        yield Served(
            ref=server.ref(repo, tag),
            login=RegistryLogin(server.username, server.password),
            push_seconds=time.monotonic() - t0,
        )
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
