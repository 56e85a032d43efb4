"""``pull``: resolve a registry reference to one platform's image with verified blobs cached."""

from __future__ import annotations

import json
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from functools import partial
from typing import BinaryIO

from hullcheck.errors import ImageError, LimitExceededError, RegistryError, UsageError
from hullcheck.image.cache import BlobCache
from hullcheck.image.registry.client import RegistryClient, _Cancelled
from hullcheck.image.registry.manifest import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    Descriptor,
    Index,
    Manifest,
    parse_manifest,
    platform_of_config,
)
from hullcheck.image.registry.options import PullObserver, RegistryOptions
from hullcheck.image.registry.platform import host_platform, matches, normalise, select_manifest
from hullcheck.image.source import LayerBlob, RawImage
from hullcheck.model import ImageRef, Platform, Transport

MAX_INDEX_DEPTH = 2  # an index may point at an index once (seen with some attestation tools)


def pull(
    ref: ImageRef,
    *,
    platform: Platform | None = None,
    options: RegistryOptions | None = None,
    cache: BlobCache | None = None,
    stream_layers: bool = False,
) -> RawImage:
    """Fetch ``ref`` for ``platform`` (default: the host's), all digests verified.

    The returned layer openers read from the blob cache. ``manifest_digest`` is the digest of
    the single-platform manifest; ``repo_digests`` carry the digest the reference resolved to
    (the index's, for a multi-platform image), as Docker shows them.

    ``stream_layers``: do not download the layers here; each opener downloads its layer as it
    is read (see ``stream.LayerStream``), into the cache on the way, and a layer never opened
    (its results came from the layer cache) is never downloaded. The registry connection then
    stays open until the returned image's ``closer`` is called.
    """
    if ref.transport is not Transport.REGISTRY or not ref.registry or not ref.repository:
        raise UsageError(f"{ref} is not a registry reference")
    options = options or RegistryOptions.from_env()
    cache = cache or BlobCache()
    what = str(ref)
    repo = ref.repository
    client = RegistryClient(ref.registry, options)
    try:
        raw = _pull(client, ref, repo, what, platform, options, cache, stream_layers)
    except BaseException:
        client.close()
        raise
    if not stream_layers:
        client.close()
    return raw


def _pull(
    client: RegistryClient,
    ref: ImageRef,
    repo: str,
    what: str,
    platform: Platform | None,
    options: RegistryOptions,
    cache: BlobCache,
    stream_layers: bool,
) -> RawImage:
    fetched = client.get_manifest(repo, ref.digest or ref.tag or "latest", what)
    top_digest = fetched.digest
    parsed = parse_manifest(fetched.body, fetched.media_type, what)
    manifest_digest, media_type = top_digest, parsed.media_type
    wanted = normalise(platform) if platform else host_platform()
    depth = 0
    while isinstance(parsed, Index):
        depth += 1
        if depth > MAX_INDEX_DEPTH:
            raise RegistryError(f"{what}: indexes nested more than {MAX_INDEX_DEPTH} deep")
        entry = select_manifest(parsed.manifests, wanted, what)
        if entry.media_type not in MANIFEST_TYPES | INDEX_TYPES:
            raise RegistryError(
                f"{what}: index entry for {wanted} has unsupported "
                f"media type {entry.media_type!r}"
            )
        if entry.size > options.limits.max_manifest_bytes:
            raise LimitExceededError(
                f"{what}: manifest {entry.digest} is larger than the manifest limit"
            )
        fetched = client.get_manifest(repo, entry.digest, what)
        if len(fetched.body) != entry.size:
            raise RegistryError(
                f"{what}: manifest {entry.digest} has {len(fetched.body)} bytes, "
                f"the index declares {entry.size}"
            )
        parsed = parse_manifest(fetched.body, fetched.media_type, what)
        manifest_digest, media_type = fetched.digest, parsed.media_type
    manifest: Manifest = parsed

    config_bytes, image_platform, diff_ids = _fetch_config(
        client, repo, manifest.config, cache, options, what
    )
    if (
        platform is not None
        and image_platform is not None
        and not matches(platform, image_platform)
    ):
        raise ImageError(
            f"{what} is an image for {image_platform}, "
            f"not for the requested {normalise(platform)}"
        )
    if diff_ids is not None and len(diff_ids) != len(manifest.layers):
        raise ImageError(
            f"{what}: the manifest lists {len(manifest.layers)} layers "
            f"but the config {len(diff_ids)} diff_ids"
        )
    _check_sizes(manifest.layers, options, what)
    if not stream_layers:
        _download_layers(client, repo, manifest.layers, cache, options)

    layers = tuple(
        LayerBlob(
            digest=d.digest,
            media_type=d.media_type,
            size=d.size,
            opener=(
                partial(_open_layer, client, repo, d, cache, options.observer)
                if stream_layers
                else partial(cache.open, d.digest)
            ),
            verified=True,  # a streamed layer ends only after its digest matched
        )
        for d in manifest.layers
    )
    base = f"{ref.registry}/{ref.repository}"
    return RawImage(
        source=what,
        config_bytes=config_bytes,
        config_digest=manifest.config.digest,
        layers=layers,
        manifest_digest=manifest_digest,
        manifest_media_type=media_type,
        platform=image_platform,
        repo_tags=(f"{base}:{ref.tag}",) if ref.tag else (),
        repo_digests=(f"{base}@{top_digest}",),
        annotations=dict(manifest.annotations),
        closer=client.close if stream_layers else None,
    )


def _open_layer(
    client: RegistryClient, repo: str, d: Descriptor, cache: BlobCache, observer: PullObserver
) -> BinaryIO:
    """A layer from the cache if it is there (e.g. read again for a second pass), else from
    the registry as it downloads."""
    if cache.has(d.digest):
        observer.blob_done(d.digest, True)
        return cache.open(d.digest)
    from hullcheck.image.registry.stream import LayerStream

    return LayerStream(client, repo, d, cache, observer)  # type: ignore[return-value]


def resolve_digest(ref: ImageRef, *, options: RegistryOptions | None = None) -> str:
    """The manifest (or index) digest ``ref`` points at now: cheap (a HEAD), for checking
    whether a tag moved since it was scanned."""
    if ref.transport is not Transport.REGISTRY or not ref.registry or not ref.repository:
        raise UsageError(f"{ref} is not a registry reference")
    options = options or RegistryOptions.from_env()
    with RegistryClient(ref.registry, options) as client:
        return client.head_manifest(ref.repository, ref.digest or ref.tag or "latest", str(ref))


def _fetch_config(
    client: RegistryClient,
    repo: str,
    desc: Descriptor,
    cache: BlobCache,
    options: RegistryOptions,
    what: str,
) -> tuple[bytes, Platform | None, list[object] | None]:
    limit = options.limits.max_manifest_bytes
    if desc.size > limit:
        raise LimitExceededError(
            f"{what}: config blob is {desc.size} bytes, more than the {limit}-byte limit"
        )
    client.download_blob(repo, desc.digest, desc.size, cache)
    raw = cache.read_bytes(desc.digest, limit)
    try:
        config = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ImageError(f"{what}: the image config is not valid JSON") from None
    if not isinstance(config, dict):
        raise ImageError(f"{what}: the image config is not a JSON object")
    rootfs = config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    return raw, platform_of_config(config), diff_ids if isinstance(diff_ids, list) else None


def _check_sizes(layers: tuple[Descriptor, ...], options: RegistryOptions, what: str) -> None:
    limits = options.limits
    for d in layers:
        if d.size > limits.max_layer_bytes:
            raise LimitExceededError(
                f"{what}: layer {d.digest} is {d.size} bytes, more than the layer limit"
            )
    total = sum(d.size for d in layers)
    if total > limits.max_image_bytes:
        raise LimitExceededError(f"{what}: layers total {total} bytes, more than the image limit")


def _download_layers(
    client: RegistryClient,
    repo: str,
    layers: tuple[Descriptor, ...],
    cache: BlobCache,
    options: RegistryOptions,
) -> None:
    observer = options.observer
    unique: dict[str, Descriptor] = {}
    for d in layers:
        unique.setdefault(d.digest, d)
    todo = []
    for d in unique.values():
        if cache.has(d.digest):
            observer.blob_done(d.digest, True)
        else:
            todo.append(d)
    if not todo:
        return
    stop = threading.Event()

    def fetch(d: Descriptor) -> None:
        def progress(n: int) -> None:
            if stop.is_set():
                raise _Cancelled()
            observer.blob_progress(d.digest, n)

        observer.blob_started(d.digest, d.size)
        fresh = client.download_blob(repo, d.digest, d.size, cache, on_chunk=progress)
        observer.blob_done(d.digest, not fresh)

    workers = max(1, min(options.concurrency, len(todo)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hullcheck-pull") as pool:
        futures = [pool.submit(fetch, d) for d in todo]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # e.g. Ctrl-C: stop the downloads, do not wait for them
            stop.set()
            for f in futures:
                f.cancel()
            raise
        if any(f.exception() is not None for f in done):
            stop.set()
            for f in futures:
                f.cancel()
            wait(futures)
            # Report the first real failure, not a sibling's cancellation.
            errors = [e for f in futures if not f.cancelled() and (e := f.exception()) is not None]
            raise next((e for e in errors if not isinstance(e, _Cancelled)), errors[0])
