"""Manifests and indexes (OCI and Docker schema 2): media types, parsing and validation.

Everything a registry sends is hostile until checked: every descriptor must carry a valid
sha256 digest and a non-negative size before anything is fetched through it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hullcheck.errors import ImageError, RegistryError
from hullcheck.image.mediatypes import (  # noqa: F401 - re-exported for the registry modules
    ACCEPT,
    DOCKER_CONFIG,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1,
    DOCKER_SCHEMA1_SIGNED,
    IMAGE_CONFIG_TYPES,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_EMPTY_DATA,
    OCI_INDEX,
    OCI_MANIFEST,
    SCHEMA1_TYPES,
)
from hullcheck.model import Platform

_DIGEST_PREFIX = "sha256:"
_HEX = frozenset("0123456789abcdef")


def valid_digest(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 71
        and value.startswith(_DIGEST_PREFIX)
        and all(c in _HEX for c in value[7:])
    )


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    urls: tuple[str, ...] = ()
    artifact_type: str | None = None  # set on referrer entries of an index


@dataclass(frozen=True)
class Manifest:
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    artifact_type: str = ""  # ``artifactType``, else the config media type


@dataclass(frozen=True)
class Index:
    media_type: str
    manifests: tuple[Descriptor, ...]
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def parse_manifest(
    body: bytes, content_type: str | None, what: str, *, images_only: bool = True
) -> Manifest | Index:
    """Parse a manifest or index; ``what`` names it in errors (``registry/repo:tag``).

    With ``images_only`` a manifest whose config is not an image config (an OCI artifact:
    a Helm chart, a signature, an advisory database) is refused.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise RegistryError(f"manifest of {what} is not valid JSON ({_short(e)})") from None
    if not isinstance(data, dict):
        raise RegistryError(f"manifest of {what} is not a JSON object")
    header_type = (content_type or "").split(";", 1)[0].strip().lower()
    body_type = data.get("mediaType")
    media_type = body_type if isinstance(body_type, str) and body_type else header_type
    if (
        data.get("schemaVersion") == 1
        or media_type in SCHEMA1_TYPES
        or header_type in SCHEMA1_TYPES
    ):
        raise RegistryError(
            f"{what} uses the Docker schema 1 manifest format, which is deprecated and not "
            "supported; re-push the image with a current client"
        )
    if data.get("schemaVersion") != 2:
        raise RegistryError(
            f"manifest of {what} has unsupported schemaVersion {data.get('schemaVersion')!r}"
        )
    if media_type not in MANIFEST_TYPES and media_type not in INDEX_TYPES:
        # Some registries omit the media type: infer it from the shape.
        if "manifests" in data:
            media_type = OCI_INDEX
        elif "config" in data and "layers" in data:
            media_type = OCI_MANIFEST
        else:
            raise RegistryError(
                f"{what} has unsupported manifest media type {media_type or '(none)'!r}"
            )
    annotations = _annotations(data.get("annotations"), what)
    if media_type in INDEX_TYPES:
        entries = data.get("manifests")
        if not isinstance(entries, list):
            raise RegistryError(f"index of {what} has no 'manifests' list")
        return Index(media_type, tuple(_descriptor(e, what, True) for e in entries), annotations)
    config = _descriptor(data.get("config"), what, False)
    if images_only and config.media_type not in IMAGE_CONFIG_TYPES:
        raise ImageError(
            f"{what} is not a container image (config media type {config.media_type!r})"
        )
    layers = data.get("layers")
    if not isinstance(layers, list):
        raise RegistryError(f"manifest of {what} has no 'layers' list")
    artifact_type = data.get("artifactType")
    return Manifest(
        media_type,
        config,
        tuple(_descriptor(e, what, False) for e in layers),
        annotations,
        artifact_type if isinstance(artifact_type, str) and artifact_type else config.media_type,
    )


def _descriptor(raw: object, what: str, with_platform: bool) -> Descriptor:
    if not isinstance(raw, dict):
        raise RegistryError(f"manifest of {what} has a descriptor that is not an object")
    media_type, digest, size = raw.get("mediaType"), raw.get("digest"), raw.get("size")
    if not isinstance(media_type, str) or not media_type:
        raise RegistryError(f"manifest of {what} has a descriptor without a media type")
    if not valid_digest(digest):
        raise RegistryError(
            f"manifest of {what} has a descriptor with invalid digest {str(digest)[:80]!r}"
        )
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise RegistryError(
            f"manifest of {what} has a descriptor with invalid size {str(size)[:40]!r}"
        )
    assert isinstance(digest, str)
    platform = _platform(raw.get("platform"), what) if with_platform else None
    urls = raw.get("urls")
    url_list = tuple(u for u in urls if isinstance(u, str)) if isinstance(urls, list) else ()
    artifact_type = raw.get("artifactType")
    return Descriptor(
        media_type,
        digest,
        size,
        platform,
        _annotations(raw.get("annotations"), what),
        url_list,
        artifact_type if isinstance(artifact_type, str) and artifact_type else None,
    )


def _platform(raw: object, what: str) -> Platform | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise RegistryError(f"index of {what} has a platform that is not an object")
    os_, arch, variant = raw.get("os"), raw.get("architecture"), raw.get("variant")
    if not isinstance(os_, str) or not isinstance(arch, str):
        raise RegistryError(f"index of {what} has a platform without os/architecture")
    return Platform(os_, arch, variant if isinstance(variant, str) and variant else None)


def _annotations(raw: object, what: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RegistryError(f"manifest of {what} has annotations that are not an object")
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}


def platform_of_config(config: dict[str, Any]) -> Platform | None:
    os_, arch, variant = config.get("os"), config.get("architecture"), config.get("variant")
    if isinstance(os_, str) and isinstance(arch, str) and os_ and arch:
        return Platform(os_, arch, variant if isinstance(variant, str) and variant else None)
    return None


def _short(e: Exception) -> str:
    return str(e).splitlines()[0][:120]
