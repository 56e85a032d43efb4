"""in-toto attestations as registries carry them: a bare Statement, a DSSE envelope, a Sigstore bundle.

Facts from the specs: a Statement is ``{"_type": "https://in-toto.io/Statement/v1" (or v0.1),
"subject": [{"name", "digest": {ALG: HEX}}], "predicateType", "predicate"}``; a DSSE envelope is
``{"payload": base64, "payloadType": "application/vnd.in-toto+json", "signatures": [{"keyid", "sig"}]}``
and each signature is over ``PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body``; a Sigstore
bundle (``application/vnd.dev.sigstore.bundle...``) keeps the envelope under ``dsseEnvelope``.

Everything here treats its input as hostile: bounded size (the caller's), one error type with a
short reason, no exception escaping from malformed JSON or base64.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hullcheck.errors import UsageError

INTOTO_JSON = "application/vnd.in-toto+json"  # a bare Statement (BuildKit), and DSSE's payloadType
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"  # cosign's attestation layers
SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle"  # prefix: ".v0.3+json", "+json;version=0.2"
STATEMENT_TYPES = frozenset({"https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"})
# SLSA provenance v0.1, v0.2 and v1 (one URI per major version, as the in-toto framework versions them)
PROVENANCE_PREFIX = "https://slsa.dev/provenance/"


class AttestationError(ValueError):
    """A document that is not a usable attestation; the message is the one-line reason."""


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]


@dataclass(frozen=True)
class Statement:
    type: str
    subject_digests: frozenset[str]  # "sha256:<hex>" (other algorithms as "alg:value")
    predicate_type: str
    predicate: Any

    @property
    def is_provenance(self) -> bool:
        return self.predicate_type.startswith(PROVENANCE_PREFIX)


def is_attestation_media_type(media_type: str) -> bool:
    """Layer or artifact media types that may hold an in-toto statement."""
    mt = media_type.split(";", 1)[0].strip().lower()
    return (mt in (INTOTO_JSON, DSSE_ENVELOPE) or mt.startswith(SIGSTORE_BUNDLE)
            or (mt.startswith("application/vnd.in-toto.") and mt.endswith("+dsse")))


def _b64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise AttestationError(f"{what} is not a base64 string")
    try:
        if "-" in text or "_" in text:  # DSSE allows the URL-safe alphabet too
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise AttestationError(f"{what} is not valid base64") from None


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise AttestationError(f"{what} is not valid JSON") from None


def parse_envelope(doc: object) -> Envelope:
    if not isinstance(doc, dict):
        raise AttestationError("the DSSE envelope is not a JSON object")
    ptype = doc.get("payloadType")
    if not isinstance(ptype, str):
        raise AttestationError("the DSSE envelope has no payloadType")
    sigs_raw = doc.get("signatures")
    if not isinstance(sigs_raw, list):
        raise AttestationError("the DSSE envelope has no signatures list")
    sigs = []
    for s in sigs_raw:
        if isinstance(s, dict):
            keyid = s.get("keyid")
            sigs.append(Signature(keyid if isinstance(keyid, str) else "", _b64(s.get("sig"), "a DSSE signature")))
    return Envelope(ptype, _b64(doc.get("payload"), "the DSSE payload"), tuple(sigs))


def parse_statement(payload: bytes) -> Statement:
    doc = _json(payload, "the in-toto statement")
    if not isinstance(doc, dict):
        raise AttestationError("the in-toto statement is not a JSON object")
    stype = doc.get("_type")
    if stype not in STATEMENT_TYPES:
        raise AttestationError(f"not an in-toto statement (_type {str(stype)[:80]!r})")
    subjects = doc.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise AttestationError("the in-toto statement has no subject")
    digests: set[str] = set()
    for s in subjects:
        d = s.get("digest") if isinstance(s, dict) else None
        if isinstance(d, dict):
            digests.update(f"{alg.lower()}:{v.lower()}" for alg, v in d.items()
                           if isinstance(alg, str) and isinstance(v, str))
    ptype = doc.get("predicateType")
    if not isinstance(ptype, str) or not ptype:
        raise AttestationError("the in-toto statement has no predicateType")
    return Statement(str(stype), frozenset(digests), ptype, doc.get("predicate"))


def read_document(data: bytes, media_type: str) -> tuple[Statement, Envelope | None]:
    """The statement in one attestation layer, and its envelope when it is signed (DSSE, bundle)."""
    mt = media_type.split(";", 1)[0].strip().lower()
    if mt == INTOTO_JSON:
        return parse_statement(data), None
    doc = _json(data, "the attestation")
    if mt.startswith(SIGSTORE_BUNDLE):
        if not isinstance(doc, dict) or "dsseEnvelope" not in doc:
            raise AttestationError("the Sigstore bundle holds no DSSE envelope (a plain signature, not an attestation)")
        doc = doc["dsseEnvelope"]
    env = parse_envelope(doc)
    if env.payload_type != INTOTO_JSON:
        raise AttestationError(f"the DSSE payload is {env.payload_type[:80]!r}, not an in-toto statement")
    return parse_statement(env.payload), env


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what each signature signs."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


# -- signature verification (optional: only with configured public keys) -------------------------

def load_public_keys(paths: Iterable[str | Path]) -> tuple[Any, ...]:
    """PEM public keys (ECDSA, Ed25519, RSA), as cosign writes them (``cosign.pub``)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    keys = []
    for p in paths:
        try:
            data = Path(p).read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read attestation key {p}: {e.strerror or e}") from None
        try:
            keys.append(load_pem_public_key(data))
        except (ValueError, TypeError):
            raise UsageError(f"{p} is not a PEM public key") from None
    return tuple(keys)


def _verifies(key: Any, sig: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            size = key.curve.key_size
            algo: hashes.HashAlgorithm = (hashes.SHA256() if size <= 256 else
                                          hashes.SHA384() if size <= 384 else hashes.SHA512())
            key.verify(sig, message, ec.ECDSA(algo))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(sig, message)
        elif isinstance(key, rsa.RSAPublicKey):
            try:
                key.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                key.verify(sig, message, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO),
                           hashes.SHA256())
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return True


def verify_envelope(env: Envelope, keys: Sequence[Any]) -> bool:
    """True when at least one signature of the envelope verifies with one of ``keys``."""
    message = pae(env.payload_type, env.payload)
    return any(_verifies(k, s.sig, message) for s in env.signatures for k in keys)


def subject_matches(statement: Statement, digests: Iterable[str]) -> bool:
    return bool(statement.subject_digests & {d.lower() for d in digests})

