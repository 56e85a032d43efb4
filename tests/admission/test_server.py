"""The webhook over real HTTPS: `hullcheck serve admission` in a subprocess on 127.0.0.1, a CA and a
server certificate made here with `cryptography`, the client verifying against that CA only."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hullcheck.admission.decide import Settings, decide, response
from hullcheck.admission.review import MAX_BODY, MAX_DEPTH, read_review
from hullcheck.policy.config import load_policy
from hullcheck.policy.rules import parse_version
from tests.conftest import REPO

FIXTURES = Path(__file__).parent / "fixtures"
POLICY = FIXTURES / "policy.yaml"
PAYLOADS = sorted(FIXTURES.glob("*.json"))


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path
    other_key: Path  # a key that does not match cert


def make_pki(d: Path) -> Pki:
    """A CA and a server certificate for 127.0.0.1/localhost signed by it, as a cluster admin would
    make for a webhook Service (the CA then goes into the webhook's caBundle)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("hullcheck test CA")).issuer_name(_name("hullcheck test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("hullcheck-webhook.hullcheck.svc")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.DNSName("hullcheck-webhook.hullcheck.svc"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pki = Pki(d / "ca.pem", d / "tls.crt", d / "tls.key", d / "other.key")
    pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key.write_bytes(_pem_key(key))
    pki.other_key.write_bytes(_pem_key(ec.generate_private_key(ec.SECP256R1())))
    return pki


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("HULLCHECK_DEBUG", None)
    return env


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    verify: ssl.SSLContext | bool


def start(args: list[str], log: Path, scheme: str, verify: ssl.SSLContext | bool) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "hullcheck", "serve", "admission", "--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=_env(), stdin=subprocess.DEVNULL)
    srv = Server(f"{scheme}://127.0.0.1:{port}", proc, log, verify)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{srv.url}/healthz", verify=verify, timeout=2).status_code == 200:
                return srv
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"server did not come up: {log.read_text()}")


def stop(srv: Server) -> None:
    srv.proc.terminate()
    try:
        srv.proc.wait(10)
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        srv.proc.wait()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    verify = ssl.create_default_context(cafile=str(pki.ca))
    srv = start(["--policy", str(POLICY), "--tls-cert", str(pki.cert), "--tls-key", str(pki.key)],
                tmp_path_factory.mktemp("log") / "server.log", "https", verify)
    yield srv
    stop(srv)


def post(srv: Server, body: bytes | object, content_type: str = "application/json", **kw: object) -> httpx.Response:
    return httpx.post(f"{srv.url}/validate", content=body, headers={"Content-Type": content_type},  # type: ignore[arg-type]
                      verify=srv.verify, timeout=30, **kw)  # type: ignore[arg-type]


def _expected(body: bytes) -> dict:
    pol = load_policy(POLICY)
    req = read_review(body)
    return response(req, decide(req, Settings(pol, pol.profile, parse_version(pol.k8s_version))))


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.name)
def test_recorded_reviews_over_https(server: Server, path: Path) -> None:
    body = path.read_bytes()
    sent = json.loads(body)
    r = post(server, body)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    got = r.json()
    assert got["apiVersion"] == sent["apiVersion"] and got["kind"] == "AdmissionReview"
    assert got["response"]["uid"] == sent["request"]["uid"]
    assert got == _expected(body)  # the wire carries exactly the decision


def test_denied_allowed_warned_over_https(server: Server) -> None:
    def ask(name: str) -> dict:
        return post(server, (FIXTURES / name).read_bytes()).json()["response"]

    denied = ask("pod-create-privileged.v1.json")
    assert denied["allowed"] is False and denied["status"]["code"] == 403
    assert "HC-K8S-003" in denied["status"]["message"]
    assert ask("deployment-create-restricted.v1.json") == {
        "uid": "0b1e9d3c-77a2-4f55-8c1e-2d9a4b6f8e13", "allowed": True}
    warned = ask("pod-create-warn-audit.v1.json")
    assert warned["allowed"] is True and warned["warnings"][0].startswith("HC-K8S-024 ")
    assert set(warned["auditAnnotations"]) == {"violation.HC-K8S-022"}


def test_tls_is_verified_against_the_test_ca_only(server: Server) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{server.url}/healthz", verify=True, timeout=5)  # system CAs do not know ours
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url.replace("https://", "http://") + "/healthz", timeout=5)


def _one_line_400(r: httpx.Response, needle: str) -> None:
    assert r.status_code == 400, r.text
    assert r.text.endswith("\n") and "\n" not in r.text[:-1]
    assert needle in r.text


def test_hostile_requests_get_400_and_the_server_stays_up(server: Server) -> None:
    good = (FIXTURES / "pod-create-privileged.v1.json").read_bytes()
    no_uid = json.loads(good)
    del no_uid["request"]["uid"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
        for _ in range(MAX_BODY // 65536 + 2):
            yield b" " * 65536

    cases = [
        (post(server, b" " * (MAX_BODY + 1)), f"larger than {MAX_BODY} bytes"),
        (post(server, chunks()), f"larger than {MAX_BODY} bytes"),
        (post(server, b"[" * 100_000), f"nested deeper than {MAX_DEPTH} levels"),
        (post(server, good, content_type="text/plain"), "content type must be application/json"),
        (post(server, good, content_type=""), "content type must be application/json"),
        (post(server, b"kind: AdmissionReview\n"), "not valid JSON"),
        (post(server, json.dumps(no_uid).encode()), "request.uid is required"),
        (post(server, b""), "empty request body"),
    ]
    for r, needle in cases:
        _one_line_400(r, needle)
    assert httpx.get(f"{server.url}/healthz", verify=server.verify, timeout=5).text == "ok\n"
    assert post(server, good).json()["response"]["allowed"] is False
    assert post(server, good, content_type="application/json; charset=utf-8").status_code == 200
    assert httpx.get(f"{server.url}/validate", verify=server.verify, timeout=5).status_code == 405


def test_decisions_are_logged_with_uid_and_dry_run(server: Server) -> None:
    body = (FIXTURES / "deployment-create-hostnetwork-dryrun.v1beta1.json").read_bytes()
    post(server, body)
    uid = json.loads(body)["request"]["uid"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and uid not in server.log.read_text():
        time.sleep(0.1)
    line = next(x for x in server.log.read_text().splitlines() if f"uid={uid}" in x)
    assert "dry_run=True" in line and "allowed=False" in line and "rules=HC-K8S-002" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "serves HTTPS only: give --tls-cert and --tls-key"),
        (["--tls-cert", "CERT"], "serves HTTPS only"),
        (["--tls-cert", "CERT", "--tls-key", "MISSING"], "TLS file not found"),
        (["--tls-cert", "CERT", "--tls-key", "OTHER"], "cannot load TLS certificate"),
        (["--tls-cert", "CERT", "--tls-key", "KEY", "--profile", "lenient"], "unknown profile 'lenient'"),
        (["--tls-cert", "CERT", "--tls-key", "KEY", "--port", "70000"], "--port must be 1-65535"),
    ],
)
def test_refuses_to_start_without_usable_tls(run_cli, pki: Pki, tmp_path: Path, args: list[str], needle: str) -> None:
    subst = {"CERT": str(pki.cert), "KEY": str(pki.key), "OTHER": str(pki.other_key), "MISSING": str(tmp_path / "no.key")}
    port = [] if "--port" in args else ["--port", str(free_port())]  # should it start after all, not on 8443
    r = run_cli("serve", "admission", "--policy", str(POLICY), "--host", "127.0.0.1", *port,
                *[subst.get(a, a) for a in args], timeout=60)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hullcheck: error: ") and needle in lines[0]


def test_insecure_http_for_local_testing(tmp_path: Path) -> None:
    srv = start(["--policy", str(POLICY), "--insecure-http", "--exempt-namespace", "team-a"], tmp_path / "log", "http", False)
    try:
        got = post(srv, (FIXTURES / "pod-create-privileged.v1.json").read_bytes()).json()["response"]
        assert got["allowed"] is True and got["auditAnnotations"] == {"exempt": "exempt namespace team-a"}
    finally:
        stop(srv)
