"""What every image source (archive, layout, rootfs, registry) hands to the rest of the stage.

A source resolves a reference to one platform's image and returns a ``RawImage``: the config
bytes, the layer blobs with openers, and identity (manifest digest, tags). Sources verify every
digest they can before handing bytes on; the layer reader verifies diff_ids while streaming.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from hullcheck.model import Platform


@dataclass(frozen=True)
class LayerBlob:
    """One layer blob as stored: ``digest`` of the stored bytes, ``media_type`` tells the
    compression (``...tar+gzip``, ``...tar+zstd``, ``...tar``, Docker's ``...rootfs.diff.tar.gzip``);
    ``opener`` returns the stored (possibly compressed) bytes as a stream."""

    digest: str
    media_type: str
    size: int
    opener: Callable[[], BinaryIO]
    # The bytes were checked against ``digest`` on their way into the content-addressed blob
    # cache (a registry pull): reading them again need not hash them again.
    verified: bool = False


@dataclass(frozen=True)
class RawImage:
    """One single-platform image as a source found it."""

    source: str  # the reference as the user gave it, normalised
    config_bytes: bytes
    config_digest: str | None
    layers: tuple[LayerBlob, ...]
    manifest_digest: str | None = None
    manifest_media_type: str | None = None
    platform: Platform | None = None
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    # Releases what the layer openers still need (a registry connection for layers read as
    # they download); None when there is nothing to release.
    closer: Callable[[], None] | None = field(default=None, hash=False, compare=False)
