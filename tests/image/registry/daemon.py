"""Debian's docker-registry on 127.0.0.1 (htpasswd, token or no auth; HTTP or HTTPS): start,
push an OCI layout with skopeo, stop.

No pytest here: the test fixtures (``servers.py``) and the benchmark harness (``bench/run
--sections registry``) both start their registries with ``start_registry``. A missing program is
reported through ``require`` (the tests pass ``need``, which skips or fails; the default raises
``MissingProgram``).
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.image.registry.token_issuer import ISSUER, PASSWORD, SERVICE, USERNAME, TokenIssuer


class MissingProgram(RuntimeError):
    """docker-registry, htpasswd or skopeo is not installed."""


Require = Callable[[object, str], None]


def raise_missing(condition: object, why: str) -> None:
    if not condition:
        raise MissingProgram(why)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    require: Require = field(default=raise_missing, repr=False, compare=False)

    @property
    def url(self) -> str:
        return f"{'https' if self.ca_path else 'http'}://{self.host}"

    def ref(self, repo: str, tag: str = "latest") -> str:
        return f"{self.host}/{repo}:{tag}"

    def push_layout(
        self,
        layout: Path,
        name: str,
        repo: str,
        tag: str,
        *,
        extra: tuple[str, ...] = (),
        timeout: float = 120,
    ) -> None:
        self.require(shutil.which("skopeo"), "skopeo not installed (apt-get install skopeo)")
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
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if p.returncode != 0:
            raise RuntimeError(
                f"skopeo copy failed: {p.stderr.strip()}\nregistry log:\n{self.log_tail()}"
            )

    def inspect_raw(self, ref: str) -> bytes:
        """The manifest bytes at ``HOST/REPO:TAG`` as skopeo, an independent client, reads them."""
        self.require(shutil.which("skopeo"), "skopeo not installed (apt-get install skopeo)")
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
    workdir: Path,
    auth: str,
    issuer: TokenIssuer | None = None,
    *,
    tls: bool = False,
    require: Require = raise_missing,
) -> RegistryServer:
    """Serve ``docker-registry`` from ``workdir`` (config, storage, log) on a free port and wait
    until it answers ``/v2/``. Stop it with ``RegistryServer.stop``."""
    require(
        shutil.which("docker-registry"),
        "docker-registry not installed (apt-get install docker-registry)",
    )
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if auth == "htpasswd":
        require(shutil.which("htpasswd"), "htpasswd not installed (apt-get install apache2-utils)")
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
        f"127.0.0.1:{port}",
        auth,
        workdir,
        proc,
        log_path,
        issuer=issuer,
        ca_path=ca_path,
        require=require,
    )
    ping = f"{'https' if tls else 'http'}://127.0.0.1:{port}/v2/"
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
