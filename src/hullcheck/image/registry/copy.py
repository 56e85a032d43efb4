"""``copy_image``: promote an image between registries (or repositories), all platforms, with
every manifest and blob verified on the way through the local blob cache. The digest stays the
same, so signatures and ``@sha256`` pins keep working at the destination."""

from __future__ import annotations

from hullcheck.errors import LimitExceededError, RegistryError, UsageError
from hullcheck.image.cache import BlobCache
from hullcheck.image.registry.client import RegistryClient
from hullcheck.image.registry.manifest import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_MANIFEST,
    Descriptor,
    Index,
    parse_manifest,
)
from hullcheck.image.registry.options import RegistryOptions
from hullcheck.image.registry.push import push_tree
from hullcheck.model import ImageRef, Transport

MAX_DEPTH = 2


def copy_image(
    src: ImageRef,
    dst: ImageRef,
    *,
    src_options: RegistryOptions | None = None,
    dst_options: RegistryOptions | None = None,
    cache: BlobCache | None = None,
) -> str:
    """Copy ``src`` (an image or a whole multi-platform index) to ``dst``; returns the digest."""
    for ref in (src, dst):
        if ref.transport is not Transport.REGISTRY or not ref.registry or not ref.repository:
            raise UsageError(f"{ref} is not a registry reference")
    assert src.registry and src.repository
    src_options = src_options or RegistryOptions.from_env()
    dst_options = dst_options or src_options
    cache = cache or BlobCache()
    what = str(src)
    with RegistryClient(src.registry, src_options) as client:
        fetched = client.get_manifest(src.repository, src.digest or src.tag or "latest", what)
        media_type = parse_manifest(
            fetched.body, fetched.media_type, what, images_only=False
        ).media_type
        root = Descriptor(media_type or OCI_MANIFEST, fetched.digest, len(fetched.body))
        cache.put_bytes(root.digest, fetched.body)
        _fetch_tree(client, src.repository, root, cache, src_options, what, depth=0)
    if dst.digest and dst.digest != root.digest:
        raise UsageError(f"{dst} names digest {dst.digest}, but {src} is {root.digest}")
    return push_tree(dst, root, cache.open, dst_options)


def _fetch_tree(
    client: RegistryClient,
    repo: str,
    desc: Descriptor,
    cache: BlobCache,
    options: RegistryOptions,
    what: str,
    depth: int,
) -> None:
    if depth > MAX_DEPTH:
        raise RegistryError(f"{what}: indexes nested more than {MAX_DEPTH} deep")
    body = cache.read_bytes(desc.digest, options.limits.max_manifest_bytes)
    node = parse_manifest(body, desc.media_type, what, images_only=False)
    if isinstance(node, Index):
        for child in node.manifests:
            if child.media_type not in MANIFEST_TYPES | INDEX_TYPES:
                continue
            if child.size > options.limits.max_manifest_bytes:
                raise LimitExceededError(
                    f"{what}: manifest {child.digest} exceeds the manifest limit"
                )
            if not cache.has(child.digest):
                fetched = client.get_manifest(repo, child.digest, what)  # verified by digest
                cache.put_bytes(child.digest, fetched.body)
            _fetch_tree(client, repo, child, cache, options, what, depth + 1)
        return
    for blob in (node.config, *node.layers):
        if blob.size > options.limits.max_layer_bytes:
            raise LimitExceededError(f"{what}: blob {blob.digest} exceeds the layer limit")
        client.download_blob(repo, blob.digest, blob.size, cache)
