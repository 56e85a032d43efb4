"""Attestations attached to an image in its registry (the layouts: ``hullcheck.image.attestations``).

Per image digest: its OCI 1.1 referrers (``GET /v2/<repo>/referrers/<digest>``, else the
``sha256-<hex>`` fallback-tag index), cosign's ``sha256-<hex>.att`` tag, and the BuildKit
attestation manifests of the index the reference points at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hullcheck.errors import HullcheckError, RegistryError
from hullcheck.image.attestations import (
    BUILDKIT_DIGEST,
    BUILDKIT_TYPE,
    MAX_DOCUMENT_BYTES,
    MAX_MANIFESTS,
    AttestationLookup,
    FoundAttestation,
    cosign_tag,
    read_attestation_manifest,
)
from hullcheck.image.cache import BlobCache
from hullcheck.image.intoto import is_attestation_media_type
from hullcheck.image.registry.client import RegistryClient
from hullcheck.image.registry.manifest import Descriptor, Index, parse_manifest, valid_digest
from hullcheck.image.registry.options import RegistryOptions
from hullcheck.image.registry.referrers import referrers_of
from hullcheck.model import ImageRef, Transport


class _RegistryReader:
    def __init__(self, client: RegistryClient, repo: str, cache: BlobCache) -> None:
        self.client, self.repo, self.cache = client, repo, cache

    def manifest(self, digest: str) -> bytes:
        return self.client.get_manifest(self.repo, digest, f"{self.client.registry}/{self.repo}@{digest}").body

    def blob(self, digest: str, size: int) -> bytes:
        self.client.download_blob(self.repo, digest, size, self.cache)
        return self.cache.read_bytes(digest, MAX_DOCUMENT_BYTES)


def find_attestations(
    ref: ImageRef,
    digests: Sequence[str],
    *,
    options: RegistryOptions | None = None,
    cache: BlobCache | None = None,
) -> AttestationLookup:
    """Attestations attached to any of ``digests`` (the manifest digests of one image: its index
    and its platform manifest) in ``ref``'s repository."""
    if ref.transport is not Transport.REGISTRY or not ref.registry or not ref.repository:
        return AttestationLookup(tuple(digests), (), (f"{ref} is not in a registry: no attestations to look up",))
    options = options or RegistryOptions.from_env()
    wanted = tuple(dict.fromkeys(d for d in digests if valid_digest(d)))
    repo = ref.repository
    found: list[FoundAttestation] = []
    problems: list[str] = []
    seen: set[str] = set()
    with RegistryClient(ref.registry, options) as client:
        reader = _RegistryReader(client, repo, cache or BlobCache())

        def read(via: str, digest: str, body: bytes | None = None) -> None:
            if digest in seen:
                return
            seen.add(digest)
            try:
                found.extend(read_attestation_manifest(reader, via, digest, body, problems))
            except HullcheckError as e:
                problems.append(f"{via} {digest}: {e.message}")

        for d in wanted:
            try:
                entries = referrers_of(client, repo, d, options)
            except HullcheckError as e:
                problems.append(f"referrers of {d}: {e.message}")
                entries = ()
            for entry in _candidates(entries)[:MAX_MANIFESTS]:
                read("referrers", entry.digest)
            tag = cosign_tag(d)
            try:
                fetched = client.get_manifest(repo, tag, f"{client.registry}/{repo}:{tag}")
            except RegistryError as e:
                if "not found" not in e.message:
                    problems.append(f"cosign tag {tag}: {e.message}")
                continue
            except HullcheckError as e:
                problems.append(f"cosign tag {tag}: {e.message}")
                continue
            read(f"cosign tag {tag}", fetched.digest, fetched.body)
        for via, digest in _buildkit_entries(client, ref, wanted, problems):
            read(via, digest)
    return AttestationLookup(wanted, tuple(found), tuple(problems))


def _candidates(entries: Iterable[Descriptor]) -> list[Descriptor]:
    """Referrers that may be attestations: a matching ``artifactType``, or none given (older
    fallback indexes omit it; the manifest then tells)."""
    return [e for e in entries if e.artifact_type is None or is_attestation_media_type(e.artifact_type)]


def _buildkit_entries(
    client: RegistryClient, ref: ImageRef, wanted: Sequence[str], problems: list[str]
) -> list[tuple[str, str]]:
    """BuildKit keeps attestation manifests in the image's own index, pointing at the platform manifest."""
    assert ref.repository is not None
    try:
        fetched = client.get_manifest(ref.repository, ref.digest or ref.tag or "latest", str(ref))
        top = parse_manifest(fetched.body, fetched.media_type, str(ref), images_only=False)
    except HullcheckError as e:
        problems.append(f"image index of {ref}: {e.message}")
        return []
    if not isinstance(top, Index):
        return []
    return [("image index", e.digest) for e in top.manifests
            if e.annotations.get(BUILDKIT_TYPE) == "attestation-manifest"
            and e.annotations.get(BUILDKIT_DIGEST) in wanted][:MAX_MANIFESTS]
