"""Manifest media types, strict JSON decoding, and platform selection from an index."""

from __future__ import annotations

import json
import platform as _platform
from typing import Any, TypeVar

from hullcheck.errors import ImageError
from hullcheck.model import Platform

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})

_ARCH_ALIASES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "i386": "386"}

T = TypeVar("T")


def host_platform() -> Platform:
    machine = _platform.machine().lower()
    arch = _ARCH_ALIASES.get(machine, machine)
    variant = "v8" if arch == "arm64" else ("v7" if machine == "armv7l" else None)
    return Platform("linux", arch, variant)


def parse_platform(text: str) -> Platform:
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        from hullcheck.errors import UsageError

        raise UsageError(f"invalid platform {text!r}: expected OS/ARCH[/VARIANT], e.g. linux/arm64")
    return Platform(parts[0], _ARCH_ALIASES.get(parts[1], parts[1]), parts[2] if len(parts) == 3 else None)


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


def _variant_ok(want: Platform, got: dict[str, Any]) -> bool:
    if not want.variant:
        return True
    have = got.get("variant")
    if have is None:
        # arm64 images often omit v8; arm without variant is ambiguous and accepted
        return True
    return bool(have == want.variant)


def select_platform(
    descs: list[dict[str, Any]], want: Platform | None, where: str, *, unique: bool = False
) -> dict[str, Any]:
    """Pick the descriptor for ``want`` (default: the host's platform) from an index.

    With ``unique`` several different images for the same platform are an error (an OCI layout
    holding several tagged images), not a choice.
    """
    target = want or host_platform()
    candidates = []
    for d in descs:
        p = d.get("platform")
        if not isinstance(p, dict):
            continue
        if p.get("os") == "unknown" or p.get("architecture") == "unknown":
            continue  # attestation manifests (buildkit) are not images
        if p.get("os") == target.os and p.get("architecture") == target.architecture and _variant_ok(target, p):
            candidates.append(d)
    if not candidates:
        if len(descs) == 1 and not isinstance(descs[0].get("platform"), dict):
            return descs[0]
        have = sorted(
            "/".join(x for x in (p.get("os"), p.get("architecture"), p.get("variant")) if x)
            for d in descs
            if isinstance(p := d.get("platform"), dict) and p.get("os") != "unknown"
        )
        raise ImageError(f"{where} has no image for platform {target} (available: {', '.join(have) or 'none'})")
    # Prefer an exact variant match over a variant-less entry.
    exact = [d for d in candidates if (d.get("platform") or {}).get("variant") == target.variant]
    best = exact or candidates
    if unique and len({d.get("digest") for d in best}) > 1:
        raise ImageError(f"{where} holds several images for {target}; pick one with :TAG or @DIGEST")
    return best[0]
