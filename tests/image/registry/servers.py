"""The session fixtures that start Debian's docker-registry for tests (htpasswd, token or no
auth; HTTP or HTTPS). The server itself lives in ``daemon.py`` (no pytest there), which the
benchmark harness uses too.

Other test packages reuse the fixtures by binding them in their conftest::

    from tests.image.registry import servers
    registry_server = servers.registry_server
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need
from tests.image.registry import daemon
from tests.image.registry.daemon import RegistryServer, free_port, self_signed_cert
from tests.image.registry.token_issuer import TokenIssuer

__all__ = ["RegistryServer", "free_port", "self_signed_cert", "start_registry"]


def start_registry(
    workdir: Path, auth: str, issuer: TokenIssuer | None = None, *, tls: bool = False
) -> RegistryServer:
    """``daemon.start_registry`` with missing programs skipped locally, failed under CI."""
    return daemon.start_registry(workdir, auth, issuer, tls=tls, require=need)


@pytest.fixture(scope="session")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """docker-registry with htpasswd (bcrypt) basic auth on 127.0.0.1, plain HTTP."""
    server = start_registry(tmp_path_factory.mktemp("registry-basic"), "htpasswd")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """docker-registry with bearer-token auth, tokens from a ``TokenIssuer`` on 127.0.0.1."""
    workdir = tmp_path_factory.mktemp("registry-token")
    issuer = TokenIssuer(workdir)
    server = start_registry(workdir, "token", issuer)
    yield server
    server.stop()
    issuer.close()


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """docker-registry over HTTPS with a self-signed certificate (``ca_path``), no auth."""
    server = start_registry(tmp_path_factory.mktemp("registry-tls"), "none", tls=True)
    yield server
    server.stop()
