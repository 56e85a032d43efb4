"""Attestations attached to an image in its registry, found the three ways tools attach them.

- OCI 1.1 referrers (``GET /v2/<repo>/referrers/<digest>``, else the ``sha256-<hex>`` fallback
  tag): artifacts whose ``artifactType`` or layers are in-toto statements, DSSE envelopes or
  Sigstore bundles (cosign 2.x with referrers, oras, notation-style pushers).
- cosign's tag layout: a manifest under ``sha256-<hex>.att`` whose layers are DSSE envelopes.
- BuildKit: an ``attestation-manifest`` entry in the image index
  (``vnd.docker.reference.type``), whose layers are bare in-toto statements.

Only finding and reading happen here; what counts as provenance (predicate type, subject digest,
signature) is the caller's policy. Documents that cannot be read are reported, not raised: one
broken attestation must not hide a good one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hullcheck.errors import HullcheckError, RegistryError
from hullcheck.image.cache import BlobCache
from hullcheck.image.intoto import AttestationError, Envelope, Statement, is_attestation_media_type, read_document
from hullcheck.image.registry.client import RegistryClient
from hullcheck.image.registry.manifest import Descriptor, Index, Manifest, parse_manifest, valid_digest
from hullcheck.image.registry.options import RegistryOptions
from hullcheck.image.registry.referrers import fallback_tag, referrers_of
from hullcheck.model import ImageRef, Transport

MAX_MANIFESTS = 64  # referrers examined per subject digest: a registry can list thousands
MAX_LAYERS = 16  # attestation layers read per manifest
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # one attestation document (SLSA provenance "max" runs to ~1 MiB)
BUILDKIT_TYPE = "vnd.docker.reference.type"
BUILDKIT_DIGEST = "vnd.docker.reference.digest"


@dataclass(frozen=True)
class FoundAttestation:
    via: str  # "referrers", "cosign tag sha256-....att", "image index"
    manifest_digest: str  # the attestation manifest
    layer_digest: str
    statement: Statement
    envelope: Envelope | None  # None for a bare (unsigned) statement


@dataclass(frozen=True)
class AttestationLookup:
    image_digests: tuple[str, ...]  # the digests looked up (index and platform manifest)
    found: tuple[FoundAttestation, ...]
    problems: tuple[str, ...] = ()  # unreadable documents, failed requests: one line each


def cosign_tag(digest: str) -> str:
    return fallback_tag(digest) + ".att"


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
    cache = cache or BlobCache()
    wanted = tuple(dict.fromkeys(d for d in digests if valid_digest(d)))
    repo = ref.repository
    found: list[FoundAttestation] = []
    problems: list[str] = []
    seen: set[str] = set()
    with RegistryClient(ref.registry, options) as client:
        def read(via: str, digest: str) -> None:
            if digest in seen:
                return
            seen.add(digest)
            try:
                found.extend(_read_manifest(client, repo, via, digest, options, cache, problems))
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
            try:
                found.extend(_read_manifest(client, repo, f"cosign tag {cosign_tag(d)}", cosign_tag(d),
                                            options, cache, problems, missing_ok=True))
            except HullcheckError as e:
                problems.append(f"cosign tag {cosign_tag(d)}: {e.message}")
        for via, digest in _buildkit_entries(client, ref, wanted, options, problems):
            read(via, digest)
    return AttestationLookup(wanted, tuple(found), tuple(problems))


def _candidates(entries: Iterable[Descriptor]) -> list[Descriptor]:
    """Referrers that may be attestations: a matching ``artifactType``, or none given (older
    fallback indexes omit it; the manifest then tells)."""
    return [e for e in entries if e.artifact_type is None or is_attestation_media_type(e.artifact_type)]


def _buildkit_entries(
    client: RegistryClient, ref: ImageRef, wanted: Sequence[str], options: RegistryOptions, problems: list[str]
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


def _read_manifest(
    client: RegistryClient,
    repo: str,
    via: str,
    reference: str,
    options: RegistryOptions,
    cache: BlobCache,
    problems: list[str],
    *,
    missing_ok: bool = False,
) -> list[FoundAttestation]:
    what = f"{client.registry}/{repo}{'@' if valid_digest(reference) else ':'}{reference}"
    try:
        fetched = client.get_manifest(repo, reference, what)
    except RegistryError as e:
        if missing_ok and "not found" in e.message:
            return []
        raise
    parsed = parse_manifest(fetched.body, fetched.media_type, what, images_only=False)
    if not isinstance(parsed, Manifest):
        return []
    manifest: Manifest = parsed
    out: list[FoundAttestation] = []
    layers = [d for d in manifest.layers if is_attestation_media_type(d.media_type)]
    if not layers and not is_attestation_media_type(manifest.artifact_type):
        return []
    for d in layers[:MAX_LAYERS]:
        if d.size > MAX_DOCUMENT_BYTES:
            problems.append(f"{via} {fetched.digest}: layer {d.digest} is {d.size} bytes, too large to read")
            continue
        client.download_blob(repo, d.digest, d.size, cache)
        data = cache.read_bytes(d.digest, MAX_DOCUMENT_BYTES)
        try:
            statement, envelope = read_document(data, d.media_type)
        except AttestationError as e:
            problems.append(f"{via} {fetched.digest}: {e}")
            continue
        out.append(FoundAttestation(via, fetched.digest, d.digest, statement, envelope))
    return out
