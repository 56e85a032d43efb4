"""Push images: an OCI layout (or any blob source) to a registry, blobs first, manifests last.

Used for promotion and ``db push``. Blobs already present are skipped (HEAD), each upload is
monolithic (POST then PUT ``?digest=``), child manifests are pushed by digest, and the root
under the reference's tag (or digest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from hullcheck.errors import ImageError, UsageError
from hullcheck.image.cache import digest_hex
from hullcheck.image.registry.client import RegistryClient
from hullcheck.image.registry.manifest import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    Descriptor,
    Index,
    parse_manifest,
)
from hullcheck.image.registry.options import RegistryOptions
from hullcheck.model import ImageRef, Transport

BlobSource = Callable[[str], BinaryIO]
REF_NAME = "org.opencontainers.image.ref.name"


def push_oci_layout(
    layout_dir: str | Path,
    ref: ImageRef,
    options: RegistryOptions | None = None,
    *,
    name: str | None = None,
) -> str:
    """Push the image of an OCI layout to ``ref``; returns the pushed root manifest digest.

    The layout's ``index.json`` must hold one entry, or ``name`` picks one by its
    ``org.opencontainers.image.ref.name`` annotation. A multi-platform index is pushed whole.
    """
    layout = Path(layout_dir)
    options = options or RegistryOptions.from_env()
    try:
        index_bytes = (layout / "index.json").read_bytes()
    except OSError as e:
        raise ImageError(
            f"{layout} is not an OCI layout: cannot read index.json ({e.strerror or e})"
        ) from None
    top = parse_manifest(index_bytes, None, f"OCI layout {layout}")
    if not isinstance(top, Index):
        raise ImageError(f"{layout}/index.json is not an image index")
    entries = [d for d in top.manifests if d.media_type in MANIFEST_TYPES | INDEX_TYPES]
    if name is not None:
        entries = [d for d in entries if d.annotations.get(REF_NAME) == name]
    if len(entries) != 1:
        raise UsageError(
            f"{layout} holds {len(entries)} matching images; name one of them"
            + (f" (looked for {name!r})" if name else "")
        )

    def read_blob(digest: str) -> BinaryIO:
        path = layout / "blobs" / "sha256" / digest_hex(digest)
        try:
            return open(path, "rb")
        except OSError as e:
            raise ImageError(
                f"OCI layout {layout} lacks blob {digest} ({e.strerror or e})"
            ) from None

    return push_tree(ref, entries[0], read_blob, options)


def push_tree(
    ref: ImageRef, root: Descriptor, read_blob: BlobSource, options: RegistryOptions
) -> str:
    """Push ``root`` (a manifest or an index) and everything it references."""
    if ref.transport is not Transport.REGISTRY or not ref.registry or not ref.repository:
        raise UsageError(f"{ref} is not a registry reference")
    repo = ref.repository
    with RegistryClient(ref.registry, options) as client:
        _push_node(client, repo, root, read_blob, options, depth=0)
        body = _read_manifest(root, read_blob, options)
        target = ref.tag or ref.digest or root.digest
        return client.put_manifest(repo, target, body, root.media_type)


def _read_manifest(desc: Descriptor, read_blob: BlobSource, options: RegistryOptions) -> bytes:
    limit = options.limits.max_manifest_bytes
    if desc.size > limit:
        raise ImageError(f"manifest {desc.digest} is larger than the {limit}-byte manifest limit")
    with read_blob(desc.digest) as f:
        body = f.read(limit + 1)
    actual = "sha256:" + hashlib.sha256(body).hexdigest()
    if actual != desc.digest:
        raise ImageError(f"manifest {desc.digest} in the source has digest {actual}")
    return body


def _push_node(
    client: RegistryClient,
    repo: str,
    desc: Descriptor,
    read_blob: BlobSource,
    options: RegistryOptions,
    depth: int,
) -> None:
    if depth > 2:
        raise ImageError("indexes nested too deep to push")
    body = _read_manifest(desc, read_blob, options)
    node = parse_manifest(body, desc.media_type, f"manifest {desc.digest}", images_only=False)
    if isinstance(node, Index):
        for child in node.manifests:
            if child.media_type not in MANIFEST_TYPES | INDEX_TYPES:
                continue
            _push_node(client, repo, child, read_blob, options, depth + 1)
            client.put_manifest(
                repo, child.digest, _read_manifest(child, read_blob, options), child.media_type
            )
        return
    unique = {b.digest: b for b in (node.config, *node.layers)}

    def upload(blob: Descriptor) -> None:
        if not client.blob_exists(repo, blob.digest):
            client.upload_blob(repo, blob.digest, blob.size, partial_opener(read_blob, blob.digest))

    workers = max(1, min(options.concurrency, len(unique)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hullcheck-push") as pool:
        for future in [pool.submit(upload, b) for b in unique.values()]:
            future.result()  # the first failure propagates; the others finish or fail alone


def partial_opener(read_blob: BlobSource, digest: str) -> Callable[[], BinaryIO]:
    return lambda: read_blob(digest)
