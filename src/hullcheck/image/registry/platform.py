"""Which index entry to pull for a platform."""

from __future__ import annotations

from hullcheck.errors import ImageError
from hullcheck.image.platform import host_platform, matches, normalise, parse_platform, rank  # noqa: F401
from hullcheck.image.registry.manifest import MANIFEST_TYPES, Descriptor
from hullcheck.model import Platform

_IMAGE_MANIFESTS = MANIFEST_TYPES


def select_manifest(entries: tuple[Descriptor, ...], wanted: Platform, what: str) -> Descriptor:
    """The best index entry for ``wanted`` (index order breaks ties)."""
    best: tuple[int, int, Descriptor] | None = None
    for i, d in enumerate(entries):
        if d.platform is None:
            continue
        r = rank(wanted, d.platform)
        if r is not None and (best is None or (r, i) < best[:2]):
            best = (r, i, d)
    if best is None:
        # An index with one image and no platform data (some tools write those): take it;
        # the caller still checks the platform its config declares.
        bare = [d for d in entries if d.platform is None and d.media_type in _IMAGE_MANIFESTS]
        if len(bare) == 1 and all(d.platform is None for d in entries):
            return bare[0]
        available = sorted(
            {
                str(d.platform)
                for d in entries
                if d.platform is not None and d.platform.os != "unknown"
            }
        )
        listed = ", ".join(available) if available else "none"
        raise ImageError(
            f"{what} has no image for platform {wanted} (available: {listed}); use --platform"
        )
    return best[2]
