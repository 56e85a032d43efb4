"""Fake credentials in the documented formats, made at run time from fixed seeds.

Nothing here is a real credential: every value is derived from ``sha256(seed)``, so tests are
reproducible and the repository holds no token-shaped literals for other scanners to trip on.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = B62 + "+/"
HEX = "0123456789abcdef"


def chars(seed: str, n: int, alphabet: str = B62) -> str:
    out = []
    counter = 0
    while len(out) < n:
        for b in hashlib.sha256(f"{seed}:{counter}".encode()).digest():
            out.append(alphabet[b % len(alphabet)])
        counter += 1
    return "".join(out[:n])


def token(prefix: str, n: int, seed: str = "", alphabet: str = B62) -> str:
    return prefix + chars(seed or prefix, n, alphabet)


def aws_key_id(seed: str = "id") -> str:
    return "AKIA" + chars(seed, 16, B32)


def aws_secret(seed: str = "secret") -> str:
    return chars(seed, 40, B64)


def b64(seed: str, nbytes: int) -> str:
    return base64.b64encode(hashlib.shake_256(seed.encode()).digest(nbytes)).decode()


def ec_pem(seed: str, fmt: str = "pkcs8") -> str:
    """A real EC key from a fixed scalar (known to nobody but this test)."""
    key = ec.derive_private_key(int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big"), ec.SECP256R1())
    pf = serialization.PrivateFormat.PKCS8 if fmt == "pkcs8" else serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, pf, serialization.NoEncryption()).decode()


def openssh_pem(seed: str) -> str:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()


def pem_block(label: str, seed: str, nbytes: int = 600, headers: str = "") -> str:
    body = b64(seed, nbytes)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n{headers}" + "\n".join(lines) + f"\n-----END {label}-----\n"


def pem_body(pem: str) -> str:
    """What the private-key rule calls the secret: the text between the armour lines."""
    return pem.split("-----", 2)[2].rsplit("-----END", 1)[0].strip()


def gcp_service_account(seed: str = "sa") -> tuple[str, str]:
    """(the JSON file, its private_key value as it appears in the file, JSON-escaped)."""
    pem = ec_pem(seed)
    doc = {
        "type": "service_account",
        "project_id": "hullcheck-fake",
        "private_key_id": chars(seed + "kid", 40, HEX),
        "private_key": pem,
        "client_email": "fake@hullcheck-fake.iam.gserviceaccount.com",
        "client_id": "1" * 21,
    }
    text = json.dumps(doc, indent=2)
    escaped = json.dumps(pem)[1:-1]
    return text, escaped


def jwt(seed: str = "jwt") -> str:
    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()

    sig = base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()).rstrip(b"=").decode()
    return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc({'sub': 'hullcheck-fake', 'iat': 1700000000})}.{sig}"


def docker_auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()
