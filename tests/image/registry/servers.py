"""Real servers for registry tests: Debian's docker-registry (htpasswd or token auth), a JWT
token issuer for it, and a scriptable hostile registry; plus an OCI layout builder.

Other test packages reuse the registry fixtures by binding them in their conftest::

    from tests.image.registry import servers
    registry_server = servers.registry_server
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.conftest import need

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"

USERNAME = "hulltest"
PASSWORD = "s3cret-pass"
IDENTITY_TOKEN = "refresh-" + "f00d" * 8
SERVICE = "hullcheck-test-registry"
ISSUER = "hullcheck-test-issuer"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


# --------------------------------------------------------------------------------------------
# OCI layout builder


@dataclass
class BuiltImage:
    os: str
    architecture: str
    variant: str | None
    manifest: bytes
    config: bytes
    layers: list[bytes]  # gzip-compressed blobs, in manifest order

    @property
    def manifest_digest(self) -> str:
        return sha256(self.manifest)

    @property
    def config_digest(self) -> str:
        return sha256(self.config)

    @property
    def layer_digests(self) -> list[str]:
        return [sha256(b) for b in self.layers]

    @property
    def platform_text(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass
class Layout:
    path: Path
    images: dict[str, BuiltImage]  # by "os/arch[/variant]"
    index: bytes  # the multi-platform index (ref name "multi")
    single: BuiltImage  # also referenced alone (ref name "single")

    @property
    def index_digest(self) -> str:
        return sha256(self.index)


def _tar_gz(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def _write_blob(root: Path, data: bytes) -> dict[str, Any]:
    digest = sha256(data)
    (root / "blobs" / "sha256" / digest[7:]).write_bytes(data)
    return {"digest": digest, "size": len(data)}


def build_layout(root: Path, platforms: tuple[tuple[str, str, str | None], ...]) -> Layout:
    """An OCI layout with one image per platform (a shared base layer plus an own layer),
    a multi-platform index tagged ``multi`` and the first image tagged ``single``."""
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    base = _tar_gz({"etc/os-release": b'ID=hulltest\nVERSION_ID="1"\n', "etc/hostname": b"test\n"})
    images: dict[str, BuiltImage] = {}
    index_entries = []
    for os_, arch, variant in platforms:
        own = _tar_gz(
            {
                "app/platform.txt": f"{os_}/{arch}/{variant}\n".encode(),
                "app/data.bin": os.urandom(2048),
            }
        )
        layers = [base, own]
        diff_ids = [sha256(gzip.decompress(b)) for b in layers]
        config_obj: dict[str, Any] = {
            "architecture": arch,
            "os": os_,
            "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": "base"}, {"created_by": "app"}],
        }
        if variant:
            config_obj["variant"] = variant
        config = canonical(config_obj)
        manifest_obj = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, **_write_blob(root, config)},
            "layers": [{"mediaType": OCI_LAYER_GZIP, **_write_blob(root, b)} for b in layers],
        }
        manifest = canonical(manifest_obj)
        desc = _write_blob(root, manifest)
        plat = {"os": os_, "architecture": arch, **({"variant": variant} if variant else {})}
        index_entries.append({"mediaType": OCI_MANIFEST, **desc, "platform": plat})
        img = BuiltImage(os_, arch, variant, manifest, config, layers)
        images[img.platform_text] = img
    index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index_entries})
    index_desc = _write_blob(root, index)
    first = next(iter(images.values()))
    top = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_INDEX, **index_desc, "annotations": {REF_NAME: "multi"}},
            {
                "mediaType": OCI_MANIFEST,
                "digest": first.manifest_digest,
                "size": len(first.manifest),
                "annotations": {REF_NAME: "single"},
            },
        ],
    }
    (root / "index.json").write_bytes(canonical(top))
    return Layout(root, images, index, first)


# --------------------------------------------------------------------------------------------
# A token issuer for docker-registry's `auth: token` mode


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


# --------------------------------------------------------------------------------------------
# docker-registry


@dataclass
class RegistryServer:
    """A running ``docker-registry serve`` on 127.0.0.1 (plain HTTP).

    ``host`` is ``127.0.0.1:PORT``; ``username``/``password`` are accepted (htpasswd, or by the
    token issuer); ``push_layout`` pushes an OCI layout image with skopeo.
    """

    host: str
    auth: str  # "htpasswd" or "token"
    root: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    username: str = USERNAME
    password: str = PASSWORD
    issuer: TokenIssuer | None = None
    ca_path: Path | None = None  # the self-signed certificate when serving HTTPS

    @property
    def url(self) -> str:
        return f"{'https' if self.ca_path else 'http'}://{self.host}"

    def ref(self, repo: str, tag: str = "latest") -> str:
        return f"{self.host}/{repo}:{tag}"

    def push_layout(
        self, layout: Path, name: str, repo: str, tag: str, *, extra: tuple[str, ...] = ()
    ) -> None:
        need(shutil.which("skopeo"), "skopeo not installed (apt-get install skopeo)")
        cmd = [
            "skopeo",
            "--insecure-policy",
            "copy",
            "--quiet",
            "--all",
            "--dest-tls-verify=false",
            *(("--dest-creds", f"{self.username}:{self.password}") if self.auth != "none" else ()),
            *extra,
            f"oci:{layout}:{name}",
            f"docker://{self.host}/{repo}:{tag}",
        ]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if p.returncode != 0:
            raise RuntimeError(
                f"skopeo copy failed: {p.stderr.strip()}\nregistry log:\n{self.log_tail()}"
            )

    def inspect_raw(self, ref: str) -> bytes:
        """The manifest bytes at ``HOST/REPO:TAG`` as skopeo, an independent client, reads them."""
        need(shutil.which("skopeo"), "skopeo not installed (apt-get install skopeo)")
        creds = ("--creds", f"{self.username}:{self.password}") if self.auth != "none" else ()
        return subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false", *creds, f"docker://{ref}"],
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def self_signed_cert(workdir: Path, name: str) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, as PEM files."""
    import ipaddress

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = workdir / f"{name}.crt", workdir / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def start_registry(
    workdir: Path, auth: str, issuer: TokenIssuer | None = None, *, tls: bool = False
) -> RegistryServer:
    need(
        shutil.which("docker-registry"),
        "docker-registry not installed (apt-get install docker-registry)",
    )
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if auth == "htpasswd":
        need(shutil.which("htpasswd"), "htpasswd not installed (apt-get install apache2-utils)")
        entry = subprocess.run(
            ["htpasswd", "-Bbn", USERNAME, PASSWORD], capture_output=True, text=True, check=True
        ).stdout.strip()
        (workdir / "htpasswd").write_text(entry + "\n")
        auth_cfg = f"  htpasswd:\n    realm: hullcheck-test\n    path: {workdir / 'htpasswd'}\n"
    elif auth == "token":
        assert issuer is not None
        auth_cfg = (
            "  token:\n"
            f"    realm: {issuer.realm}\n"
            f"    service: {SERVICE}\n"
            f"    issuer: {ISSUER}\n"
            f"    rootcertbundle: {issuer.cert_path}\n"
        )
    elif auth == "none":
        auth_cfg = ""
    else:
        raise ValueError(auth)
    tls_cfg = ""
    ca_path: Path | None = None
    if tls:
        ca_path, key_path = self_signed_cert(workdir, "registry-tls")
        tls_cfg = f"  tls:\n    certificate: {ca_path}\n    key: {key_path}\n"
    config = (
        "version: 0.1\n"
        "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {workdir / 'storage'}\n"
        "  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: {secrets.token_hex(16)}\n{tls_cfg}"
        + (f"auth:\n{auth_cfg}" if auth_cfg else "")
    )
    cfg_path = workdir / "config.yml"
    cfg_path.write_text(config)
    log_path = workdir / "registry.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["docker-registry", "serve", str(cfg_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = RegistryServer(
        f"127.0.0.1:{port}", auth, workdir, proc, log_path, issuer=issuer, ca_path=ca_path
    )
    ping = f"{'https' if tls else 'http'}://127.0.0.1:{port}/v2/"
    import ssl

    no_verify = ssl.create_default_context()
    no_verify.check_hostname = False
    no_verify.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {server.log_tail()}")
        try:
            urllib.request.urlopen(ping, timeout=1, context=no_verify if tls else None)
            break
        except urllib.error.HTTPError:
            break  # 401: up and requiring auth
        except OSError:
            time.sleep(0.1)
    else:
        server.stop()
        raise RuntimeError(f"docker-registry did not start: {server.log_tail()}")
    return server


@pytest.fixture(scope="session")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """docker-registry with htpasswd (bcrypt) basic auth on 127.0.0.1, plain HTTP."""
    server = start_registry(tmp_path_factory.mktemp("registry-basic"), "htpasswd")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """docker-registry with bearer-token auth, tokens from a ``TokenIssuer`` on 127.0.0.1."""
    workdir = tmp_path_factory.mktemp("registry-token")
    issuer = TokenIssuer(workdir)
    server = start_registry(workdir, "token", issuer)
    yield server
    server.stop()
    issuer.close()


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """docker-registry over HTTPS with a self-signed certificate (``ca_path``), no auth."""
    server = start_registry(tmp_path_factory.mktemp("registry-tls"), "none", tls=True)
    yield server
    server.stop()


# --------------------------------------------------------------------------------------------
# A scriptable hostile registry


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hang: bool = False  # never answer
    chunked: bool = False  # no Content-Length
    delay: float = 0.0  # seconds between 16 KiB pieces of the body (a slow server)


Route = Callable[[str, str, dict[str, str]], Reply]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-answer is what these tests provoke


class HostileRegistry:
    """Answers each request with ``route(method, path, headers)``; records every request."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.aborted = 0
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((self.command, self.path, headers))
                reply = outer.route(self.command, self.path, headers)
                if reply.hang:
                    outer._stop.wait(10)
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    if self.command != "HEAD":
                        for i in range(0, len(reply.body), 4096):
                            part = reply.body[i : i + 4096]
                            self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        step = 16384 if reply.delay else max(1, len(reply.body))
                        try:
                            for i in range(0, len(reply.body), step):
                                self.wfile.write(reply.body[i : i + step])
                                self.wfile.flush()
                                if reply.delay and outer._stop.wait(reply.delay):
                                    break
                        except OSError:
                            outer.aborted += 1  # the client hung up
                            self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = _handle

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def hostile(route: Route) -> Iterator[HostileRegistry]:
    server = HostileRegistry(route)
    try:
        yield server
    finally:
        server.close()
