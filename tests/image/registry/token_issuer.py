"""A token issuer for docker-registry's ``auth: token`` mode: RS256 JWTs whose signing
certificate is the registry's ``rootcertbundle``."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.image.registry.oci_layout import canonical

USERNAME = "hulltest"
PASSWORD = "s3cret-pass"
IDENTITY_TOKEN = "refresh-" + "f00d" * 8
SERVICE = "hullcheck-test-registry"
ISSUER = "hullcheck-test-issuer"


class TokenIssuer:
    """Issues RS256 JWTs the registry trusts through ``rootcertbundle`` (the self-signed cert of
    the signing key, sent in the token's ``x5c`` header). Policy: the test user may pull and
    push anything; anonymous clients may pull repositories under ``public/``."""

    def __init__(self, workdir: Path) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_path = workdir / "token-signer.pem"
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                q = parse_qs(urlsplit(self.path).query)
                user = issuer.check_basic(self.headers.get("Authorization"))
                if user is False:
                    return self._send(
                        401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}
                    )
                issuer.record("GET", q, user)
                self._send(
                    200, issuer.issue(user or None, q.get("scope", []), q.get("service", [""])[0])
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                issuer.record("POST", form, None)
                if form.get("grant_type") != ["refresh_token"] or form.get("refresh_token") != [
                    IDENTITY_TOKEN
                ]:
                    return self._send(401, {"error": "invalid_grant"})
                scopes = [s for v in form.get("scope", []) for s in v.split(" ")]
                self._send(200, issuer.issue(USERNAME, scopes, form.get("service", [""])[0]))

            def _send(self, status: int, obj: object) -> None:
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def record(self, method: str, params: dict[str, list[str]], user: str | bool | None) -> None:
        with self._lock:
            self.requests.append({"method": method, "params": params, "user": user})

    @staticmethod
    def check_basic(header: str | None) -> str | bool | None:
        """The user name, None for anonymous, False for wrong credentials."""
        if not header:
            return None
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user if (user, password) == (USERNAME, PASSWORD) else False

    def issue(self, user: str | None, scopes: list[str], service: str) -> dict[str, Any]:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind != "repository" or not name:
                continue
            wanted = actions.split(",")
            granted = (
                wanted
                if user
                else [a for a in wanted if a == "pull" and name.startswith("public/")]
            )
            access.append({"type": "repository", "name": name, "actions": granted})
        now = int(time.time())
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()],
        }
        claims = {
            "iss": ISSUER,
            "sub": user or "",
            "aud": service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        signing_input = f"{b64(canonical(header))}.{b64(canonical(claims))}".encode()
        signature = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        token = f"{signing_input.decode()}.{b64(signature)}"
        return {
            "token": token,
            "access_token": token,
            "expires_in": 300,
            "issued_at": dt.datetime.now(dt.UTC).isoformat(),
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
