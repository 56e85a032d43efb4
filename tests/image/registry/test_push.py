"""Pushing an OCI layout with our own client, checked by pulling back and by skopeo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hullcheck.errors import AuthError, UsageError
from hullcheck.image.cache import BlobCache
from hullcheck.image.reference import parse_reference
from hullcheck.image.registry import pull, push_oci_layout
from hullcheck.image.registry.client import RegistryClient
from hullcheck.model import Platform
from tests.image.registry.conftest import Pushed, fast_options
from tests.image.registry.oci_layout import Layout
from tests.image.registry.servers import RegistryServer
from tests.image.registry.test_pull import assert_is


def test_push_multi_platform_layout_then_pull(
    layout: Layout,
    registry_server: RegistryServer,
    cache: BlobCache,
    no_docker_config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uploads: list[str] = []
    real_upload = RegistryClient.upload_blob

    def counting(self: RegistryClient, repo: str, digest: str, *args: object) -> None:
        uploads.append(digest)
        real_upload(self, repo, digest, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(RegistryClient, "upload_blob", counting)
    opts = fast_options(username=registry_server.username, password=registry_server.password)
    ref = parse_reference(f"{registry_server.host}/pushed/app:v1")

    digest = push_oci_layout(layout.path, ref, opts, name="multi")
    assert digest == layout.index_digest
    all_blobs = {
        d for img in layout.images.values() for d in (img.config_digest, *img.layer_digests)
    }
    assert sorted(uploads) == sorted(all_blobs)  # the shared base layer only once
    # an independent client reads back exactly the index we pushed
    assert registry_server.inspect_raw(f"{registry_server.host}/pushed/app:v1") == layout.index
    for text, built in layout.images.items():
        os_, arch, *variant = text.split("/")
        img = pull(ref, platform=Platform(os_, arch, *variant), options=opts, cache=cache)
        assert_is(img, built)

    # pushing again uploads nothing: every blob is already there
    uploads.clear()
    assert push_oci_layout(layout.path, ref, opts, name="multi") == layout.index_digest
    assert uploads == []


def test_push_with_token_auth_and_without_permission(
    layout: Layout, token_registry: RegistryServer, cache: BlobCache, no_docker_config: Path
) -> None:
    ref = parse_reference(f"{token_registry.host}/team/app:one")
    with pytest.raises(AuthError):
        push_oci_layout(layout.path, ref, fast_options(), name="single")
    opts = fast_options(username=token_registry.username, password=token_registry.password)
    assert push_oci_layout(layout.path, ref, opts, name="single") == layout.single.manifest_digest
    pulled = pull(ref, options=opts, cache=cache)
    assert_is(pulled, layout.single)
    assert json.loads(
        token_registry.inspect_raw(f"{token_registry.host}/team/app:one")
    ) == json.loads(layout.single.manifest)


def test_push_needs_one_named_image(layout: Layout, registry_server: RegistryServer) -> None:
    ref = parse_reference(f"{registry_server.host}/x/y:z")
    with pytest.raises(UsageError, match="2 matching images"):
        push_oci_layout(layout.path, ref, fast_options())
    with pytest.raises(UsageError, match="0 matching"):
        push_oci_layout(layout.path, ref, fast_options(), name="nope")


def test_copy_image_between_registries_keeps_the_digest(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    from hullcheck.image.registry import copy_image, resolve_digest

    src = parse_reference(f"{pushed.basic.host}/app:multi")
    dst = parse_reference(f"{pushed.token.host}/promoted/app:stable")
    src_opts = fast_options(username=pushed.basic.username, password=pushed.basic.password)
    dst_opts = fast_options(username=pushed.token.username, password=pushed.token.password)
    digest = copy_image(src, dst, src_options=src_opts, dst_options=dst_opts, cache=cache)
    assert digest == pushed.layout.index_digest
    assert resolve_digest(dst, options=dst_opts) == pushed.layout.index_digest
    assert (
        pushed.token.inspect_raw(f"{pushed.token.host}/promoted/app:stable") == pushed.layout.index
    )
    for text, built in pushed.layout.images.items():
        os_, arch, *variant = text.split("/")
        assert_is(
            pull(dst, platform=Platform(os_, arch, *variant), options=dst_opts, cache=cache), built
        )
