"""The registry client over the OCI distribution API.

Entry points: ``pull`` (one platform's image, blobs verified into the cache), ``resolve_digest``,
``push_oci_layout``/``push_tree``, ``copy_image`` (promotion), ``push_artifact``/``pull_artifact``
(OCI artifacts such as the advisory database) and ``list_referrers``.

Inside: ``options`` (settings, progress observer), ``http`` (retrying HTTP session),
``auth`` (challenge/token parsing) and ``authenticator`` (the auth flow), ``credentials``
(Docker config and helpers), ``client`` (one registry: requests, manifests, blobs),
``manifest`` (parsing and validation), ``platform`` (choosing an index entry).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The names are loaded on first use (PEP 562): the client pulls in httpx and its TLS stack
# (~0.1 s), which a scan of a local image or archive never needs.
_HOME = {
    "ArtifactFile": "artifact",
    "PulledArtifact": "artifact",
    "PulledFile": "artifact",
    "pull_artifact": "artifact",
    "push_artifact": "artifact",
    "copy_image": "copy",
    "NullObserver": "options",
    "PullObserver": "options",
    "RegistryOptions": "options",
    "host_platform": "platform",
    "parse_platform": "platform",
    "pull": "fetch",
    "resolve_digest": "fetch",
    "push_oci_layout": "push",
    "push_tree": "push",
    "list_referrers": "referrers",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


if TYPE_CHECKING:
    from hullcheck.image.registry.artifact import (
        ArtifactFile,
        PulledArtifact,
        PulledFile,
        pull_artifact,
        push_artifact,
    )
    from hullcheck.image.registry.copy import copy_image
    from hullcheck.image.registry.fetch import pull, resolve_digest
    from hullcheck.image.registry.options import NullObserver, PullObserver, RegistryOptions
    from hullcheck.image.registry.platform import host_platform, parse_platform
    from hullcheck.image.registry.push import push_oci_layout, push_tree
    from hullcheck.image.registry.referrers import list_referrers

__all__ = [
    "ArtifactFile",
    "NullObserver",
    "PullObserver",
    "PulledArtifact",
    "PulledFile",
    "RegistryOptions",
    "copy_image",
    "host_platform",
    "list_referrers",
    "parse_platform",
    "pull",
    "pull_artifact",
    "push_artifact",
    "push_oci_layout",
    "push_tree",
    "resolve_digest",
]
