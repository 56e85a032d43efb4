"""The registry client over the OCI distribution API.

Entry points: ``pull`` (one platform's image, blobs verified into the cache), ``resolve_digest``,
``push_oci_layout``/``push_tree``, ``copy_image`` (promotion), ``push_artifact``/``pull_artifact``
(OCI artifacts such as the advisory database) and ``list_referrers``.

Inside: ``options`` (settings, progress observer), ``http`` (retrying HTTP session),
``auth`` (challenge/token parsing) and ``authenticator`` (the auth flow), ``credentials``
(Docker config and helpers), ``client`` (one registry: requests, manifests, blobs),
``manifest`` (parsing and validation), ``platform`` (choosing an index entry).
"""

from hullcheck.image.registry.artifact import (
    ArtifactFile,
    PulledArtifact,
    PulledFile,
    pull_artifact,
    push_artifact,
)
from hullcheck.image.registry.copy import copy_image
from hullcheck.image.registry.options import NullObserver, PullObserver, RegistryOptions
from hullcheck.image.registry.platform import host_platform, parse_platform
from hullcheck.image.registry.pull import pull, resolve_digest
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
