"""What an image is: its reference, platform, layers and configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Transport(StrEnum):
    """How an image is reached; the values are the reference prefixes users type."""

    DOCKER_ARCHIVE = "docker-archive"
    OCI_ARCHIVE = "oci-archive"
    OCI_LAYOUT = "oci"
    ROOTFS = "rootfs"
    REGISTRY = "registry"


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference.

    For ``registry`` references ``registry``/``repository`` are normalised (Docker Hub:
    ``docker.io`` and ``library/``); for local transports ``path`` is set and ``tag``/``digest``
    select an image inside an OCI layout.
    """

    transport: Transport
    path: str | None = None
    registry: str | None = None
    repository: str | None = None
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        if self.transport is Transport.REGISTRY:
            s = f"{self.registry}/{self.repository}"
            if self.tag:
                s += f":{self.tag}"
            if self.digest:
                s += f"@{self.digest}"
            return s
        s = f"{self.transport.value}:{self.path}"
        if self.tag:
            s += f":{self.tag}"
        if self.digest:
            s += f"@{self.digest}"
        return s


@dataclass(frozen=True)
class Platform:
    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None

    def __str__(self) -> str:
        s = f"{self.os}/{self.architecture}"
        return f"{s}/{self.variant}" if self.variant else s


@dataclass(frozen=True)
class LayerInfo:
    """One filesystem layer of an image.

    ``digest`` is the blob digest (compressed, as in the manifest); ``diff_id`` the digest of the
    uncompressed tar (as in the config's ``rootfs.diff_ids``) and the key for per-layer caches.
    ``created_by`` is the history entry that produced the layer, with empty-layer history entries
    already skipped.
    """

    index: int
    digest: str
    diff_id: str
    media_type: str
    size: int
    created_by: str = ""
    comment: str = ""
    created: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    created_by: str = ""
    created: str | None = None
    comment: str = ""
    empty_layer: bool = False
    layer_index: int | None = None  # the layer this entry produced, None for empty entries


@dataclass(frozen=True)
class ImageMetadata:
    """An image's identity and configuration (the parts of the OCI config users care about)."""

    ref: str
    platform: Platform
    manifest_digest: str | None
    config_digest: str | None
    layers: tuple[LayerInfo, ...]
    history: tuple[HistoryEntry, ...] = ()
    created: str | None = None
    user: str = ""
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    working_dir: str = ""
    exposed_ports: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    healthcheck: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    repo_digests: tuple[str, ...] = ()
    repo_tags: tuple[str, ...] = ()

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)
