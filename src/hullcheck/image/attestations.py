"""Attestations attached to an image: what was found, how an attestation manifest is read, and the
lookup in an OCI image layout (the registry lookup is ``hullcheck.image.registry.attestations``).

Attaching tools use three layouts, in a registry and in an OCI layout alike:

- OCI 1.1 referrers: artifacts with a ``subject`` naming the image, whose ``artifactType`` or
  layers are in-toto statements, DSSE envelopes or Sigstore bundles (cosign 2.x, oras, ...).
- cosign's tag layout: a manifest tagged ``sha256-<hex>.att`` whose layers are DSSE envelopes.
- BuildKit: an ``attestation-manifest`` entry in the image index (``vnd.docker.reference.type``,
  ``vnd.docker.reference.digest`` naming the platform manifest), layers bare in-toto statements.

Only finding and reading happen here; what counts as provenance (predicate type, subject digest,
signature) is the caller's policy. Documents that cannot be read are reported, not raised: one
broken attestation must not hide a good one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hullcheck.config import Limits
from hullcheck.errors import HullcheckError
from hullcheck.image.blobstore import DIGEST_RE
from hullcheck.image.intoto import AttestationError, Envelope, Statement, is_attestation_media_type, read_document

MAX_MANIFESTS = 64  # candidate manifests examined per lookup source: a registry can list thousands
MAX_LAYERS = 16  # attestation layers read per manifest
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # one attestation document (SLSA provenance "max" runs to ~1 MiB)
MAX_INDEX_DEPTH = 2  # a layout's index.json -> an image index -> manifests
BUILDKIT_TYPE = "vnd.docker.reference.type"
BUILDKIT_DIGEST = "vnd.docker.reference.digest"
REF_NAME = "org.opencontainers.image.ref.name"


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
    """cosign's attestation tag for an image digest: ``sha256-<hex>.att``."""
    alg, _, hex_ = digest.partition(":")
    return f"{alg}-{hex_}.att"


class ManifestReader(Protocol):
    """Where attestation manifests and their layers are read from (a registry repository, a layout)."""

    def manifest(self, digest: str) -> bytes:
        """The manifest's bytes, verified against ``digest``."""
        ...

    def blob(self, digest: str, size: int) -> bytes:
        """A layer's bytes (at most ``MAX_DOCUMENT_BYTES``), verified against ``digest``."""
        ...


def read_attestation_manifest(reader: ManifestReader, via: str, digest: str, body: bytes | None,
                              problems: list[str]) -> list[FoundAttestation]:
    """The statements in one manifest's attestation layers (none if it is no attestation manifest)."""
    try:
        data = body if body is not None else reader.manifest(digest)
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        problems.append(f"{via} {digest}: the manifest is not valid JSON")
        return []
    layers = doc.get("layers") if isinstance(doc, dict) else None
    if not isinstance(layers, list):
        return []  # an index, or not a manifest at all
    out: list[FoundAttestation] = []
    candidates = [x for x in layers if isinstance(x, dict) and is_attestation_media_type(str(x.get("mediaType", "")))]
    for layer in candidates[:MAX_LAYERS]:
        ldigest, size, mtype = layer.get("digest"), layer.get("size"), str(layer["mediaType"])
        if (not isinstance(ldigest, str) or not DIGEST_RE.match(ldigest) or not isinstance(size, int)
                or isinstance(size, bool) or size < 0):
            problems.append(f"{via} {digest}: a layer descriptor without a valid digest and size")
            continue
        if size > MAX_DOCUMENT_BYTES:
            problems.append(f"{via} {digest}: layer {ldigest} is {size} bytes, too large to read")
            continue
        try:
            statement, envelope = read_document(reader.blob(ldigest, size), mtype)
        except AttestationError as e:
            problems.append(f"{via} {digest}: {e}")
            continue
        except HullcheckError as e:
            problems.append(f"{via} {digest}: {e.message}")
            continue
        out.append(FoundAttestation(via, digest, ldigest, statement, envelope))
    return out


def subject_of(body: bytes) -> str | None:
    """The ``subject.digest`` of an OCI 1.1 manifest (a referrer), if any."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    subject = doc.get("subject") if isinstance(doc, dict) else None
    digest = subject.get("digest") if isinstance(subject, dict) else None
    return digest if isinstance(digest, str) else None


# -- OCI image layout ----------------------------------------------------------------------------

class _LayoutReader:
    def __init__(self, root: Path, limits: Limits) -> None:
        from hullcheck.image.blobstore import DirStore

        self.store = DirStore(root)
        self.limits = limits

    def manifest(self, digest: str) -> bytes:
        from hullcheck.image.blobstore import read_blob_verified

        return read_blob_verified(self.store, digest, self.limits, f"manifest {digest}")

    def blob(self, digest: str, size: int) -> bytes:
        from hullcheck.image.blobstore import read_blob_verified

        limits = dataclasses.replace(self.limits, max_manifest_bytes=MAX_DOCUMENT_BYTES)
        return read_blob_verified(self.store, digest, limits, f"attestation {digest}")


def find_layout_attestations(root: Path, digests: Sequence[str], limits: Limits | None = None) -> AttestationLookup:
    """Attestations about ``digests`` kept in the OCI image layout at ``root``: referrers listed in
    its index (``oras copy -r``, ``cosign save``), cosign ``.att`` tags, BuildKit attestation
    manifests (``buildx --output type=oci``)."""
    from hullcheck.image.blobstore import read_small

    wanted = tuple(dict.fromkeys(d.lower() for d in digests))
    reader = _LayoutReader(root, limits or Limits.from_env())
    problems: list[str] = []
    found: list[FoundAttestation] = []
    try:
        index = json.loads(read_small(reader.store, "index.json", reader.limits, "index.json"))
    except (HullcheckError, ValueError, UnicodeDecodeError, RecursionError) as e:
        msg = e.message if isinstance(e, HullcheckError) else "not valid JSON"
        return AttestationLookup(wanted, (), (f"index.json of {root}: {msg}",))
    entries = _layout_descriptors(reader, index, problems)
    tags = {cosign_tag(d) for d in wanted}
    seen: set[str] = set()
    examined = 0
    for desc in entries:
        digest = desc.get("digest")
        if not isinstance(digest, str) or digest in seen or "manifest" not in str(desc.get("mediaType", "")):
            continue
        seen.add(digest)
        ann = desc.get("annotations") if isinstance(desc.get("annotations"), dict) else {}
        assert isinstance(ann, dict)
        if ann.get(BUILDKIT_TYPE) == "attestation-manifest":
            if ann.get(BUILDKIT_DIGEST) in wanted:
                found.extend(read_attestation_manifest(reader, "image index", digest, None, problems))
            continue
        if ann.get(REF_NAME) in tags:
            found.extend(read_attestation_manifest(reader, f"cosign tag {ann[REF_NAME]}", digest, None, problems))
            continue
        artifact_type = desc.get("artifactType")
        if isinstance(artifact_type, str) and not is_attestation_media_type(artifact_type):
            continue
        if examined >= MAX_MANIFESTS:
            break
        examined += 1
        try:
            body = reader.manifest(digest)
        except HullcheckError as e:
            problems.append(f"manifest {digest}: {e.message}")
            continue
        if subject_of(body) in wanted:
            found.extend(read_attestation_manifest(reader, "referrers", digest, body, problems))
    return AttestationLookup(wanted, tuple(found), tuple(problems))


def _layout_descriptors(reader: _LayoutReader, index: Any, problems: list[str]) -> list[dict[str, Any]]:
    """Every descriptor of index.json and of the indexes it lists (depth-capped)."""
    out: list[dict[str, Any]] = []
    level = [index]
    for depth in range(MAX_INDEX_DEPTH + 1):
        nested = []
        for idx in level:
            manifests = idx.get("manifests") if isinstance(idx, dict) else None
            for desc in manifests if isinstance(manifests, list) else ():
                if not isinstance(desc, dict):
                    continue
                out.append(desc)
                if "index" in str(desc.get("mediaType", "")) and depth < MAX_INDEX_DEPTH:
                    try:
                        nested.append(json.loads(reader.manifest(str(desc.get("digest")))))
                    except (HullcheckError, ValueError, UnicodeDecodeError, RecursionError) as e:
                        problems.append(f"index {desc.get('digest')}: "
                                        f"{e.message if isinstance(e, HullcheckError) else 'not valid JSON'}")
        level = nested
        if not level or len(out) > 4096:
            break
    return out
