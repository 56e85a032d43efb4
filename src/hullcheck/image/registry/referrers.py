"""OCI 1.1 referrers: what points at an image (signatures, SBOMs, scan results).

Registries with the referrers API answer ``GET /v2/<repo>/referrers/<digest>`` with an index;
for the others (docker-registry 2.x, many hosted ones) the spec's fallback applies: an index
kept under the tag ``sha256-<hex>`` that pushers of referrers update themselves.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from hullcheck.errors import RegistryError, UsageError
from hullcheck.image.registry.client import RegistryClient, pull_scope
from hullcheck.image.registry.http import read_limited, status_error
from hullcheck.image.registry.manifest import (
    OCI_INDEX,
    Descriptor,
    Index,
    parse_manifest,
    valid_digest,
)
from hullcheck.image.registry.options import RegistryOptions
from hullcheck.model import ImageRef, Transport

_NO_API = frozenset({400, 404, 405, 406})  # statuses that mean "no referrers API here"


def fallback_tag(digest: str) -> str:
    """The spec's tag schema for the fallback index: ``<alg>-<hex>``, at most 128 characters."""
    alg, _, hex_ = digest.partition(":")
    return f"{alg}-{hex_}"[:128]


def list_referrers(
    ref: ImageRef, *, artifact_type: str | None = None, options: RegistryOptions | None = None
) -> tuple[Descriptor, ...]:
    """Descriptors of the manifests whose ``subject`` is ``ref`` (resolved to its digest)."""
    if ref.transport is not Transport.REGISTRY or not ref.registry or not ref.repository:
        raise UsageError(f"{ref} is not a registry reference")
    options = options or RegistryOptions.from_env()
    with RegistryClient(ref.registry, options) as client:
        digest = ref.digest or client.head_manifest(ref.repository, ref.tag or "latest", str(ref))
        return referrers_of(client, ref.repository, digest, options, artifact_type=artifact_type)


def referrers_of(
    client: RegistryClient,
    repo: str,
    digest: str,
    options: RegistryOptions,
    *,
    artifact_type: str | None = None,
) -> tuple[Descriptor, ...]:
    """``list_referrers`` on an open client: the referrers API, else the fallback tag."""
    found = _from_api(client, repo, digest, artifact_type, options)
    if found is None:
        found = read_fallback(client, repo, digest, options).manifests
    if artifact_type is not None:
        found = tuple(d for d in found if d.artifact_type == artifact_type)
    return found


def _from_api(
    client: RegistryClient,
    repo: str,
    digest: str,
    artifact_type: str | None,
    options: RegistryOptions,
) -> tuple[Descriptor, ...] | None:
    path = f"/v2/{repo}/referrers/{digest}"
    if artifact_type:
        path += f"?artifactType={quote(artifact_type, safe='')}"
    resp = client.request("GET", path, scope=pull_scope(repo), headers={"Accept": OCI_INDEX})
    try:
        content_type = (resp.headers.get("content-type") or "").split(";")[0].strip()
        if resp.status_code in _NO_API or (resp.status_code == 200 and content_type != OCI_INDEX):
            return None
        if resp.status_code != 200:
            raise status_error(resp, client.host, f"listing referrers of {digest}")
        body = read_limited(resp, options.limits.max_manifest_bytes, f"referrers of {digest}")
    finally:
        resp.close()
    index = parse_manifest(body, OCI_INDEX, f"referrers of {digest}", images_only=False)
    if not isinstance(index, Index):
        raise RegistryError(f"{client.host} answered the referrers of {digest} with a non-index")
    return index.manifests


def read_fallback(
    client: RegistryClient, repo: str, digest: str, options: RegistryOptions
) -> Index:
    """The fallback-tag index for ``digest`` (empty when there is none yet)."""
    tag = fallback_tag(digest)
    try:
        fetched = client.get_manifest(repo, tag, f"{client.registry}/{repo}:{tag}")
    except RegistryError as e:
        if "not found" in e.message:
            return Index(OCI_INDEX, ())
        raise
    index = parse_manifest(fetched.body, fetched.media_type, tag, images_only=False)
    if not isinstance(index, Index):
        raise RegistryError(f"{client.registry}/{repo}:{tag} is not an index")
    return index


def add_to_fallback(
    client: RegistryClient,
    repo: str,
    subject_digest: str,
    referrer: Descriptor,
    options: RegistryOptions,
) -> None:
    """Record ``referrer`` in the fallback index of ``subject_digest`` (read, add, write)."""
    if not valid_digest(subject_digest):
        raise UsageError(f"invalid subject digest {subject_digest!r}")
    current = read_fallback(client, repo, subject_digest, options)
    if any(d.digest == referrer.digest for d in current.manifests):
        return
    entries = [_descriptor_json(d) for d in (*current.manifests, referrer)]
    body = json.dumps(
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries},
        separators=(",", ":"),
    ).encode()
    client.put_manifest(repo, fallback_tag(subject_digest), body, OCI_INDEX)


def _descriptor_json(d: Descriptor) -> dict[str, object]:
    out: dict[str, object] = {"mediaType": d.media_type, "digest": d.digest, "size": d.size}
    if d.artifact_type:
        out["artifactType"] = d.artifact_type
    if d.annotations:
        out["annotations"] = dict(d.annotations)
    return out
