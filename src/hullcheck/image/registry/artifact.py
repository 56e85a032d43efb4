"""OCI artifacts: files (an advisory database, a policy bundle) stored in a registry.

``push_artifact`` builds an OCI 1.1 artifact manifest (``artifactType``, the empty config,
one layer per file titled with ``org.opencontainers.image.title``) and pushes it;
``pull_artifact`` fetches one into the blob cache, every digest verified.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from hullcheck.errors import ImageError, LimitExceededError, UsageError
from hullcheck.image.cache import BlobCache
from hullcheck.image.registry.client import RegistryClient
from hullcheck.image.registry.manifest import (
    OCI_EMPTY,
    OCI_EMPTY_DATA,
    OCI_MANIFEST,
    Descriptor,
    Index,
    parse_manifest,
    valid_digest,
)
from hullcheck.image.registry.options import RegistryOptions
from hullcheck.image.registry.referrers import add_to_fallback
from hullcheck.model import ImageRef, Transport

TITLE = "org.opencontainers.image.title"


@dataclass(frozen=True)
class ArtifactFile:
    """A file to push: its bytes come from ``path``; ``title`` defaults to its name."""

    path: Path
    media_type: str
    title: str | None = None


@dataclass(frozen=True)
class PulledFile:
    title: str | None
    media_type: str
    digest: str
    size: int
    path: Path  # the verified blob in the cache; read it, do not modify it

    def open(self) -> BinaryIO:
        return open(self.path, "rb")


@dataclass(frozen=True)
class PulledArtifact:
    manifest_digest: str
    artifact_type: str
    files: tuple[PulledFile, ...]
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def file(self, title: str) -> PulledFile:
        for f in self.files:
            if f.title == title:
                return f
        raise ImageError(f"the artifact has no file titled {title!r}")


def _check_ref(ref: ImageRef) -> tuple[str, str]:
    if ref.transport is not Transport.REGISTRY or not ref.registry or not ref.repository:
        raise UsageError(f"{ref} is not a registry reference")
    return ref.registry, ref.repository


def _file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(1024 * 1024):
            h.update(block)
            size += len(block)
    return "sha256:" + h.hexdigest(), size


def push_artifact(
    ref: ImageRef,
    files: Sequence[ArtifactFile],
    *,
    artifact_type: str,
    annotations: Mapping[str, str] | None = None,
    subject: str | None = None,
    options: RegistryOptions | None = None,
) -> str:
    """Push ``files`` as one artifact to ``ref``; returns the manifest digest.

    ``subject`` (a manifest digest in the same repository) makes the artifact a referrer of
    that image, found again with ``list_referrers``; ``ref`` may then carry no tag.
    """
    registry, repo = _check_ref(ref)
    if not files:
        raise UsageError("an artifact needs at least one file")
    options = options or RegistryOptions.from_env()
    layers = []
    sources: list[tuple[str, int, Path]] = []
    for f in files:
        try:
            digest, size = _file_digest(f.path)
        except OSError as e:
            raise UsageError(f"cannot read {f.path}: {e.strerror or e}") from None
        title = f.title or os.path.basename(f.path)
        layers.append(
            {
                "mediaType": f.media_type,
                "digest": digest,
                "size": size,
                "annotations": {TITLE: title},
            }
        )
        sources.append((digest, size, f.path))
    empty_digest = "sha256:" + hashlib.sha256(OCI_EMPTY_DATA).hexdigest()
    manifest: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": OCI_EMPTY, "digest": empty_digest, "size": len(OCI_EMPTY_DATA)},
        "layers": layers,
    }
    if annotations:
        manifest["annotations"] = dict(annotations)
    with RegistryClient(registry, options) as client:
        if subject is not None:
            if not valid_digest(subject):
                raise UsageError(f"invalid subject digest {subject!r}")
            target = client.get_manifest(repo, subject, f"{registry}/{repo}@{subject}")
            target_type = parse_manifest(target.body, target.media_type, subject, images_only=False)
            manifest["subject"] = {
                "mediaType": target_type.media_type,
                "digest": subject,
                "size": len(target.body),
            }
        body = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
        if not client.blob_exists(repo, empty_digest):
            client.upload_blob(
                repo, empty_digest, len(OCI_EMPTY_DATA), _bytes_opener(OCI_EMPTY_DATA)
            )
        for digest, size, path in sources:
            if not client.blob_exists(repo, digest):
                client.upload_blob(repo, digest, size, _path_opener(path))
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        reference = ref.tag or (digest if subject else "latest")
        pushed, subject_header = client.put_manifest_with_subject(
            repo, reference, body, OCI_MANIFEST
        )
        if subject is not None and not subject_header:
            # No referrers API on this registry: keep the fallback index up to date ourselves.
            descriptor = Descriptor(
                OCI_MANIFEST,
                pushed,
                len(body),
                annotations=dict(annotations or {}),
                artifact_type=artifact_type,
            )
            add_to_fallback(client, repo, subject, descriptor, options)
        return pushed


def pull_artifact(
    ref: ImageRef,
    *,
    artifact_type: str | None = None,
    options: RegistryOptions | None = None,
    cache: BlobCache | None = None,
) -> PulledArtifact:
    """Fetch the artifact at ``ref`` into the cache; refuse another ``artifact_type``."""
    registry, repo = _check_ref(ref)
    options = options or RegistryOptions.from_env()
    cache = cache or BlobCache()
    what = str(ref)
    with RegistryClient(registry, options) as client:
        fetched = client.get_manifest(repo, ref.digest or ref.tag or "latest", what)
        manifest = parse_manifest(fetched.body, fetched.media_type, what, images_only=False)
        if isinstance(manifest, Index):
            raise ImageError(f"{what} is an index, not a single artifact")
        if artifact_type is not None and manifest.artifact_type != artifact_type:
            raise ImageError(
                f"{what} is a {manifest.artifact_type!r} artifact, not {artifact_type!r}"
            )
        pulled = []
        for d in manifest.layers:
            if d.size > options.limits.max_layer_bytes:
                raise LimitExceededError(f"{what}: file {d.digest} is larger than the layer limit")
            client.download_blob(repo, d.digest, d.size, cache)
            pulled.append(
                PulledFile(
                    d.annotations.get(TITLE), d.media_type, d.digest, d.size, cache.path(d.digest)
                )
            )
    return PulledArtifact(
        fetched.digest, manifest.artifact_type, tuple(pulled), dict(manifest.annotations)
    )


def _bytes_opener(data: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(data)


def _path_opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: open(path, "rb")
