"""HTTPS registries: certificates are verified unless the registry is marked insecure."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullcheck.errors import RegistryError
from hullcheck.image.cache import BlobCache
from hullcheck.image.reference import parse_reference
from hullcheck.image.registry import pull
from hullcheck.image.registry.client import RegistryClient
from tests.image.registry.conftest import fast_options
from tests.image.registry.oci_layout import Layout
from tests.image.registry.servers import RegistryServer
from tests.image.registry.test_pull import assert_is


@pytest.fixture(scope="module")
def tls_pushed(layout: Layout, tls_registry: RegistryServer) -> RegistryServer:
    tls_registry.push_layout(layout.path, "single", "app", "1")
    return tls_registry


def test_untrusted_certificate_is_refused(
    tls_pushed: RegistryServer, cache: BlobCache, no_docker_config: Path
) -> None:
    ref = parse_reference(f"{tls_pushed.host}/app:1")
    with pytest.raises(RegistryError, match="not trusted"):
        pull(ref, options=fast_options(loopback_insecure=False), cache=cache)
    assert cache.temp_files() == []


def test_certificate_trusted_through_ca_file(
    tls_pushed: RegistryServer, layout: Layout, cache: BlobCache, no_docker_config: Path
) -> None:
    assert tls_pushed.ca_path is not None
    opts = fast_options(loopback_insecure=False, ca_file=str(tls_pushed.ca_path))
    with RegistryClient(tls_pushed.host, opts) as client:
        assert client.base_url() == f"https://{tls_pushed.host}"
    assert_is(
        pull(parse_reference(f"{tls_pushed.host}/app:1"), options=opts, cache=cache), layout.single
    )


def test_insecure_registry_skips_verification(
    tls_pushed: RegistryServer, layout: Layout, cache: BlobCache, no_docker_config: Path
) -> None:
    opts = fast_options(loopback_insecure=False, insecure_registries=(tls_pushed.host,))
    with RegistryClient(tls_pushed.host, opts) as client:
        assert client.base_url() == f"https://{tls_pushed.host}"  # still HTTPS, just unverified
    assert_is(
        pull(parse_reference(f"{tls_pushed.host}/app:1"), options=opts, cache=cache), layout.single
    )
