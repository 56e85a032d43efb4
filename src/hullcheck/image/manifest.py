"""Manifest media types, strict JSON decoding, and platform selection from an index."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from hullcheck.errors import ImageError
from hullcheck.image.mediatypes import (  # noqa: F401
    DOCKER_LIST,
    DOCKER_MANIFEST,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
)
from hullcheck.image.platform import host_platform, rank
from hullcheck.model import Platform

T = TypeVar("T")


def parse_json(raw: bytes, what: str) -> dict[str, Any]:
    doc = _decode_json(raw, what, dict)
    if doc.get("schemaVersion") == 1:
        raise ImageError(
            f"{what} is a Docker schema 1 manifest, which is deprecated and unsupported; "
            "re-push the image with a current client"
        )
    return doc


def parse_json_list(raw: bytes, what: str) -> list[Any]:
    return _decode_json(raw, what, list)


def _decode_json(raw: bytes, what: str, kind: type[T]) -> T:
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise ImageError(f"{what} is not valid JSON ({str(e)[:120]})") from None
    if not isinstance(doc, kind):
        raise ImageError(f"{what}: expected a JSON {kind.__name__}, got {type(doc).__name__}")
    return doc


def select_platform(
    descs: list[dict[str, Any]], want: Platform | None, where: str, *, unique: bool = False
) -> dict[str, Any]:
    """Pick the descriptor for ``want`` (default: the host's platform) from an index.

    With ``unique`` several different images for the same platform are an error (an OCI layout
    holding several tagged images), not a choice.
    """
    target = want or host_platform()
    ranked: list[tuple[int, dict[str, Any]]] = []
    for d in descs:
        p = d.get("platform")
        if not isinstance(p, dict):
            continue
        if p.get("os") == "unknown" or p.get("architecture") == "unknown":
            continue  # attestation manifests (buildkit) are not images
        variant = p.get("variant")
        have = Platform(str(p.get("os", "")), str(p.get("architecture", "")), str(variant) if variant else None)
        r = rank(target, have)
        if r is not None:
            ranked.append((r, d))
    best_rank = min((r for r, _ in ranked), default=None)
    candidates = [d for r, d in ranked if r == best_rank]
    if not candidates:
        if len(descs) == 1 and not isinstance(descs[0].get("platform"), dict):
            return descs[0]
        available = sorted(
            "/".join(str(x) for x in (p.get("os"), p.get("architecture"), p.get("variant")) if x)
            for d in descs
            if isinstance(p := d.get("platform"), dict) and p.get("os") != "unknown"
        )
        listed = ", ".join(available) or "none"
        raise ImageError(f"{where} has no image for platform {target} (available: {listed})")
    if unique and len({d.get("digest") for d in candidates}) > 1:
        raise ImageError(f"{where} holds several images for {target}; pick one with :TAG or @DIGEST")
    return candidates[0]
