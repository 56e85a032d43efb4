"""Registry test fixtures: two real docker-registry servers and a test image pushed to them.

``registry_server`` (htpasswd basic auth) and ``token_registry`` (bearer tokens from a JWT
issuer) live in ``servers.py`` so that other test packages can bind them too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hullcheck.image.cache import BlobCache
from hullcheck.image.registry import RegistryOptions
from tests.image.registry import servers
from tests.image.registry.oci_layout import Layout, build_layout, sha256
from tests.image.registry.servers import RegistryServer

# The server fixtures live in servers.py so other packages can bind them the same way.
registry_server = servers.registry_server
token_registry = servers.token_registry
tls_registry = servers.tls_registry

PLATFORMS = (("linux", "amd64", None), ("linux", "arm64", "v8"))


@pytest.fixture(scope="session")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return build_layout(tmp_path_factory.mktemp("layout") / "oci", PLATFORMS)


@dataclass(frozen=True)
class Pushed:
    layout: Layout
    basic: RegistryServer
    token: RegistryServer


@pytest.fixture(scope="session")
def pushed(
    layout: Layout, registry_server: RegistryServer, token_registry: RegistryServer
) -> Pushed:
    """The test layout pushed as: basic ``app:multi``, ``app:single``, ``app:v2s2`` (Docker
    schema 2 media types); token ``public/app:multi`` and ``private/app:multi``."""
    registry_server.push_layout(layout.path, "multi", "app", "multi")
    registry_server.push_layout(layout.path, "single", "app", "single")
    registry_server.push_layout(layout.path, "single", "app", "v2s2", extra=("--format", "v2s2"))
    token_registry.push_layout(layout.path, "multi", "public/app", "multi")
    token_registry.push_layout(layout.path, "multi", "private/app", "multi")
    return Pushed(layout, registry_server, token_registry)


@pytest.fixture
def cache(tmp_path: Path) -> BlobCache:
    return BlobCache(tmp_path / "blob-cache")


@pytest.fixture
def no_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty DOCKER_CONFIG so that no test reads the machine's real credentials."""
    d = tmp_path / "docker-config"
    d.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(d))
    monkeypatch.delenv("HULLCHECK_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("HULLCHECK_REGISTRY_PASSWORD", raising=False)
    return d


def fast_options(**kw: object) -> RegistryOptions:
    """Short timeouts and backoff so failure tests stay quick."""
    defaults: dict[str, object] = {
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "max_attempts": 3,
        "backoff_base": 0.05,
        "max_retry_wait": 5.0,
    }
    defaults.update(kw)
    return RegistryOptions(**defaults)  # type: ignore[arg-type]


@dataclass
class Sandbox:
    cache: BlobCache
    root: Path  # everything a pull may touch lives below here

    def outside(self) -> list[str]:
        """Files anywhere except verified cache blobs: temp files, stray writes, partial blobs."""
        found = []
        for dirpath, _, files in os.walk(self.root):
            for name in files:
                p = Path(dirpath) / name
                in_cache = p.parent == self.cache.root / "sha256"
                if not (in_cache and sha256(p.read_bytes())[7:] == name):
                    found.append(str(p.relative_to(self.root)))
        return found


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """cwd, TMPDIR, HOME and the cache all inside one empty directory."""
    root = tmp_path / "sandbox"
    (root / "tmp").mkdir(parents=True)
    (root / "home").mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("TMPDIR", str(root / "tmp"))
    monkeypatch.setenv("HOME", str(root / "home"))
    monkeypatch.setenv("DOCKER_CONFIG", str(root / "home" / ".docker"))
    monkeypatch.setattr(tempfile, "tempdir", None)
    yield Sandbox(BlobCache(root / "cache"), root)
