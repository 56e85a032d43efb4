"""Pushing real-shaped provenance attestations to a test registry, the three ways tools attach them.

The shapes follow the specs: an in-toto Statement (v0.1 or v1) with ``subject[].digest.sha256``;
DSSE envelopes signed over PAE; cosign's ``sha256-<hex>.att`` manifest of DSSE layers (with its
``predicateType`` layer annotation); an OCI 1.1 referrer (``subject``, ``artifactType``) kept in the
``sha256-<hex>`` fallback index by ``push_artifact``; and BuildKit's ``attestation-manifest`` entry
in the image index.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hullcheck.image.intoto import DSSE_ENVELOPE, INTOTO_JSON, pae
from hullcheck.image.registry import ArtifactFile, RegistryOptions, push_artifact
from hullcheck.image.registry.client import RegistryClient
from hullcheck.image.registry.manifest import OCI_CONFIG, OCI_INDEX, OCI_MANIFEST
from hullcheck.model import ImageRef, Transport

SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_V1 = "https://slsa.dev/provenance/v1"
CYCLONEDX = "https://cyclonedx.org/bom"


def statement(subject_digest: str, predicate_type: str = SLSA_V1, version: str = "v1") -> bytes:
    predicate: dict[str, Any] = {"buildDefinition": {"buildType": "https://example.com/build/v1",
                                                     "externalParameters": {"repository": "https://git.example.com/shop"}},
                                 "runDetails": {"builder": {"id": "https://ci.example.com/runner"}}}
    doc = {"_type": f"https://in-toto.io/Statement/{version}",
           "subject": [{"name": "registry.example.com/shop/app", "digest": {"sha256": subject_digest.split(":")[1]}}],
           "predicateType": predicate_type, "predicate": predicate}
    return json.dumps(doc).encode()


def new_key(tmp: Path, name: str) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    """A cosign-style ECDSA P-256 key pair; the public half as PEM (``cosign.pub``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    pub = tmp / f"{name}.pub"
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, pub


def envelope(payload: bytes, key: ec.EllipticCurvePrivateKey | None) -> bytes:
    sigs = []
    if key is not None:
        sig = key.sign(pae(INTOTO_JSON, payload), ec.ECDSA(hashes.SHA256()))
        sigs.append({"keyid": "", "sig": base64.b64encode(sig).decode()})
    return json.dumps({"payloadType": INTOTO_JSON, "payload": base64.b64encode(payload).decode(),
                       "signatures": sigs}).encode()


def _blob(client: RegistryClient, repo: str, data: bytes) -> dict[str, Any]:
    import io

    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    if not client.blob_exists(repo, digest):
        client.upload_blob(repo, digest, len(data), lambda: io.BytesIO(data))
    return {"digest": digest, "size": len(data)}


def _options(server: Any) -> RegistryOptions:
    return RegistryOptions(username=server.username, password=server.password)


def push_cosign(server: Any, repo: str, image_digest: str, env: bytes, predicate_type: str) -> str:
    """cosign's layout: a manifest tagged ``sha256-<hex>.att``, one DSSE layer per attestation."""
    with RegistryClient(server.host, _options(server)) as client:
        layer = {"mediaType": DSSE_ENVELOPE, **_blob(client, repo, env),
                 "annotations": {"dev.cosignproject.cosign/signature": "", "predicateType": predicate_type}}
        config = json.dumps({"architecture": "", "os": "", "config": {},
                             "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode()
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": OCI_CONFIG, **_blob(client, repo, config)}, "layers": [layer]}
        tag = image_digest.replace(":", "-") + ".att"
        return client.put_manifest(repo, tag, json.dumps(manifest).encode(), OCI_MANIFEST)


def push_referrer(server: Any, repo: str, image_digest: str, tmp: Path, body: bytes, media_type: str) -> str:
    """An OCI 1.1 referrer, pushed with hullcheck's own ``push_artifact`` (which keeps the fallback
    index on this registry: docker-registry 2.8 has no referrers API)."""
    path = tmp / f"att-{hashlib.sha256(body).hexdigest()[:12]}.json"
    path.write_bytes(body)
    host, _, _ = server.host.partition("/")
    return push_artifact(ImageRef(Transport.REGISTRY, registry=host, repository=repo),
                         [ArtifactFile(path, media_type)], artifact_type=media_type.split(";")[0],
                         subject=image_digest, options=_options(server))


def sigstore_bundle(env: bytes) -> bytes:
    return json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                       "verificationMaterial": {"publicKey": {"hint": "test"}},
                       "dsseEnvelope": json.loads(env)}).encode()


def push_buildkit_index(server: Any, repo: str, tag: str, image_digest: str, stmt: bytes) -> str:
    """BuildKit's layout: the image index holds the platform image and an ``unknown/unknown``
    attestation manifest whose annotations name the image manifest it is about."""
    with RegistryClient(server.host, _options(server)) as client:
        image = client.get_manifest(repo, image_digest, f"{repo}@{image_digest}")
        config = json.dumps({"architecture": "unknown", "os": "unknown", "config": {},
                             "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        layer = {"mediaType": INTOTO_JSON, **_blob(client, repo, stmt),
                 "annotations": {"in-toto.io/predicate-type": SLSA_V02}}
        att = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": {"mediaType": OCI_CONFIG, **_blob(client, repo, config)},
                          "layers": [layer]}).encode()
        att_digest = client.put_manifest(repo, "sha256:" + hashlib.sha256(att).hexdigest(), att, OCI_MANIFEST)
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": image_digest, "size": len(image.body),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": att_digest, "size": len(att),
             "platform": {"os": "unknown", "architecture": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                             "vnd.docker.reference.digest": image_digest}}]}
        return client.put_manifest(repo, tag, json.dumps(index).encode(), OCI_INDEX)


# -- the same layouts in an OCI image layout on disk (buildx --output type=oci, oras copy -r, cosign save)

def layout_blob(root: Path, data: bytes, media_type: str, **extra: Any) -> dict[str, Any]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = root / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}


def layout_manifest(root: Path, layers: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    config = layout_blob(root, b"{}", "application/vnd.oci.empty.v1+json")
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers,
                       **fields}).encode()
    return layout_blob(root, body, OCI_MANIFEST)
