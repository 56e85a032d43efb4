"""HC-PRD-002 with provenance attestations attached in a real registry (Debian's docker-registry,
htpasswd auth), and ``hullcheck check --image`` with the registry flags ``scan`` takes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

from hullcheck.image.intoto import (
    DSSE_ENVELOPE,
    INTOTO_JSON,
    AttestationError,
    pae,
    read_document,
    verify_envelope,
)
from hullcheck.image.reference import parse_reference
from hullcheck.image.registry import RegistryOptions, resolve_digest
from hullcheck.image.registry.attestations import find_attestations
from tests.conftest import REPO
from tests.image.build import ImageSpec, d, f, oci_layout
from tests.image.registry import servers
from tests.image.registry.servers import RegistryServer
from tests.report.test_sarif import validate

from . import attestations as att

registry_server = servers.registry_server

LABELS = {"org.opencontainers.image.source": "https://git.example.com/shop/app",
          "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567"}


@dataclass(frozen=True)
class Setup:
    server: RegistryServer
    digest: str  # the platform image manifest (the same image in every repository)
    labelled_digest: str
    key_pub: Path  # signs the cosign attestations
    other_pub: Path  # signs the bundle referrer
    db: Path
    docker_config: Path

    def ref(self, name: str) -> str:
        return f"{self.server.host}/prov/{name}:1.0"


def _env(s: Setup, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HULLCHECK_REGISTRY_")}
    env.update(PYTHONPATH=str(REPO / "src"), DOCKER_CONFIG=str(s.docker_config),
               HULLCHECK_CACHE_DIR=str(tmp / "cache"))
    env.pop("HULLCHECK_DEBUG", None)
    return env


def _check(s: Setup, tmp: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    creds = ("--username", s.server.username, "--password-stdin") if password is not None else ()
    return subprocess.run([sys.executable, "-m", "hullcheck", "check", "--db", str(s.db), *creds, *args],
                          input=password or "", capture_output=True, text=True, env=_env(s, tmp), timeout=300)


LAYER = [d("app/"), f("app/run.sh", "#!/bin/sh\necho shop\n", 0o755)]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("provenance-db") / "adv.db"
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    subprocess.run([sys.executable, "-m", "hullcheck", "db", "import", "--fresh", "--db", str(path),
                    str(REPO / "examples" / "advisories")], check=True, capture_output=True, env=env, timeout=300)
    return path


@pytest.fixture(scope="module")
def setup(registry_server: RegistryServer, tmp_path_factory: pytest.TempPathFactory, db: Path) -> Setup:
    tmp = tmp_path_factory.mktemp("provenance")
    layer = LAYER
    layout = oci_layout(tmp / "img", {"plain": ImageSpec([layer]),
                                      "labelled": ImageSpec([layer], config={"Labels": LABELS})})
    opts = RegistryOptions(username=registry_server.username, password=registry_server.password)
    for name in ("none", "cosign", "referrer", "wrong", "bundle", "sbomonly", "broken"):
        registry_server.push_layout(layout, "plain", f"prov/{name}", "1.0")
    registry_server.push_layout(layout, "plain", "prov/buildkit", "img")
    registry_server.push_layout(layout, "labelled", "prov/labels", "1.0")
    digest = resolve_digest(parse_reference(f"{registry_server.host}/prov/none:1.0"), options=opts)
    labelled = resolve_digest(parse_reference(f"{registry_server.host}/prov/labels:1.0"), options=opts)
    key, key_pub = att.new_key(tmp, "cosign")
    other, other_pub = att.new_key(tmp, "other")

    signed = att.envelope(att.statement(digest, att.SLSA_V02, "v0.1"), key)
    att.push_cosign(registry_server, "prov/cosign", digest, signed, att.SLSA_V02)
    att.push_referrer(registry_server, "prov/referrer", digest, tmp, att.statement(digest), INTOTO_JSON)
    elsewhere = "sha256:" + hashlib.sha256(b"another image").hexdigest()
    att.push_cosign(registry_server, "prov/wrong", digest, att.envelope(att.statement(elsewhere), key), att.SLSA_V1)
    bundle = att.sigstore_bundle(att.envelope(att.statement(digest), other))
    att.push_referrer(registry_server, "prov/bundle", digest, tmp, bundle,
                      "application/vnd.dev.sigstore.bundle.v0.3+json")
    att.push_referrer(registry_server, "prov/sbomonly", digest, tmp,
                      att.statement(digest, att.CYCLONEDX), INTOTO_JSON)
    # a garbage document next to a good one: reported, and the good one still counts
    att.push_referrer(registry_server, "prov/broken", digest, tmp, b'{"payloadType": 3', DSSE_ENVELOPE)
    att.push_cosign(registry_server, "prov/broken", digest, signed, att.SLSA_V02)
    att.push_buildkit_index(registry_server, "prov/buildkit", "1.0", digest, att.statement(digest, att.SLSA_V02))
    config = tmp / "docker-config"
    config.mkdir()
    return Setup(registry_server, digest, labelled, key_pub, other_pub, db, config)


def test_find_attestations_in_every_layout(setup: Setup, tmp_path: Path) -> None:
    opts = RegistryOptions(username=setup.server.username, password=setup.server.password)

    def found(name: str, problems: int = 0) -> list[tuple[str, str, frozenset[str], bool]]:
        ref = parse_reference(setup.ref(name))
        lookup = find_attestations(ref, [setup.digest], options=opts)
        assert len(lookup.problems) == problems, lookup.problems
        return [(a.via, a.statement.predicate_type, a.statement.subject_digests, a.envelope is not None)
                for a in lookup.found]

    me = frozenset({setup.digest})
    assert found("none") == []
    assert found("cosign") == [(f"cosign tag {setup.digest.replace(':', '-')}.att", att.SLSA_V02, me, True)]
    assert found("referrer") == [("referrers", att.SLSA_V1, me, False)]
    assert found("bundle") == [("referrers", att.SLSA_V1, me, True)]
    assert found("sbomonly") == [("referrers", att.CYCLONEDX, me, False)]
    assert found("buildkit") == [("image index", att.SLSA_V02, me, False)]
    assert found("broken", problems=1) == found("cosign")
    (wrong,) = found("wrong")
    assert wrong[2] != me and wrong[1] == att.SLSA_V1


def test_check_accepts_attestations_through_the_registry_flags(setup: Setup, tmp_path: Path) -> None:
    names = ("none", "cosign", "referrer", "wrong", "bundle", "sbomonly", "buildkit", "labels", "broken")
    images = [a for n in names for a in ("--image", setup.ref(n))]
    sarif = tmp_path / "check.sarif"
    r = _check(setup, tmp_path, *images, "--insecure-registry", setup.server.host, "--platform", "linux/amd64",
               "--format", "json", "--format", f"sarif={sarif}", password=setup.server.password)
    assert r.returncode == 1, r.stderr
    # image violations in SARIF sit at the image reference
    doc = json.loads(sarif.read_text())
    validate(doc)
    located = {(x["ruleId"], unquote(x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]))
               for x in doc["runs"][0]["results"]}
    assert {v["rule"] for v in json.loads(r.stdout)["violations"]} == {rule for rule, _ in located}
    assert ("HC-PRD-002", setup.ref("none")) in located
    (warning,) = [x for x in r.stderr.splitlines() if "attestation:" in x]
    assert setup.ref("broken") in warning and "not valid JSON" in warning
    prov = {v["resource"]["name"].split("/prov/")[1].split(":")[0]: v["message"]
            for v in json.loads(r.stdout)["violations"] if v["rule"] == "HC-PRD-002"}
    assert set(prov) == {"none", "wrong", "sbomonly"}, prov
    assert "no SLSA provenance attestation is attached" in prov["none"]
    assert "no SLSA provenance attestation is attached" in prov["sbomonly"]
    assert "not this image" in prov["wrong"]

    # with a key configured, only the attestation it signed counts; labels still do unless an
    # attestation is required
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"""apiVersion: hullcheck.dev/v1
profile: production
rules:
  HC-PRD-002: {{params: {{attestation_keys: [{setup.key_pub}], require_attestation: true}}}}
""")
    r = _check(setup, tmp_path, *images, "--policy", str(policy), "--format", "json", password=setup.server.password)
    assert r.returncode == 1, r.stderr
    prov = {v["resource"]["name"].split("/prov/")[1].split(":")[0]: v for v in json.loads(r.stdout)["violations"]
            if v["rule"] == "HC-PRD-002"}
    assert set(prov) == {"none", "wrong", "sbomonly", "referrer", "bundle", "buildkit", "labels"}, prov
    for unsigned in ("referrer", "bundle", "buildkit"):
        assert "is not signed by a configured attestation key" in prov[unsigned]["message"]
    assert prov["labels"]["field"] == "attestations" and "required" in prov["labels"]["message"]


def test_registry_flags_reach_the_registry(setup: Setup, tmp_path: Path) -> None:
    # no credentials: the registry's 401 is a one-line error with the image exit code
    r = _check(setup, tmp_path, "--image", setup.ref("cosign"))
    assert r.returncode == 3 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    # the wrong password is refused the same way (so the password really comes from stdin)
    r = _check(setup, tmp_path, "--image", setup.ref("cosign"), password="not-the-password")
    assert r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    # --platform is passed through: this single-platform image is linux/amd64
    r = _check(setup, tmp_path, "--image", setup.ref("cosign"), "--platform", "linux/s390x",
               password=setup.server.password)
    assert r.returncode == 3 and "linux/amd64" in r.stderr and "linux/s390x" in r.stderr, r.stderr


def test_documents_are_hostile_until_parsed(tmp_path: Path) -> None:
    key, pub = att.new_key(tmp_path, "k")
    _, other_pub = att.new_key(tmp_path, "o")
    from hullcheck.image.intoto import load_public_keys

    digest = "sha256:" + "a" * 64
    env_bytes = att.envelope(att.statement(digest), key)
    stmt, env = read_document(env_bytes, DSSE_ENVELOPE)
    assert env is not None and stmt.subject_digests == {digest} and stmt.is_provenance
    assert verify_envelope(env, load_public_keys([pub]))
    assert not verify_envelope(env, load_public_keys([other_pub]))
    # a payload changed after signing no longer verifies (the signature covers PAE(type, payload))
    doc = json.loads(env_bytes)
    import base64

    doc["payload"] = base64.b64encode(att.statement("sha256:" + "b" * 64)).decode()
    _, forged = read_document(json.dumps(doc).encode(), DSSE_ENVELOPE)
    assert forged is not None and not verify_envelope(forged, load_public_keys([pub]))
    assert pae("t", b"xy") == b"DSSEv1 1 t 2 xy"
    for bad, mt in ((b"\xff\xfe", DSSE_ENVELOPE), (b"[1]", DSSE_ENVELOPE), (b'{"payload": "!!", "payloadType": "'
                    + INTOTO_JSON.encode() + b'", "signatures": []}', DSSE_ENVELOPE),
                    (b'{"_type": "x"}', INTOTO_JSON), (b'{"mediaType": "b"}', "application/vnd.dev.sigstore.bundle.v0.3+json"),
                    (b"[" * 100_000, INTOTO_JSON)):
        with pytest.raises(AttestationError):
            read_document(bad, mt)


@pytest.mark.parametrize("content, message", [(None, "cannot read attestation key"),
                                              (b"not a key", "is not a PEM public key")])
def test_bad_attestation_key_fails_before_scanning(run_cli, tmp_path: Path, content: bytes | None,
                                                   message: str) -> None:
    key = tmp_path / "cosign.pub"
    if content is not None:
        key.write_bytes(content)
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"apiVersion: hullcheck.dev/v1\nrules:\n  HC-PRD-002: {{params: {{attestation_keys: [{key}]}}}}\n")
    # the registry at port 1 is unreachable: reaching it would be another error (exit 3)
    r = run_cli("check", "--image", "127.0.0.1:1/shop/app:1.0", "--db", str(tmp_path / "none.db"),
                "--policy", str(policy))
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_attestations_in_an_oci_layout(run_cli, tmp_path: Path, db: Path) -> None:
    """BuildKit's OCI export (an image index with an attestation manifest), a referrer listed in
    index.json, and a cosign ``.att`` tag, as layouts on disk hold them."""
    root = oci_layout(tmp_path / "all", {"1.0": ImageSpec([LAYER])})
    plain = oci_layout(tmp_path / "plain", {"1.0": ImageSpec([LAYER])})
    index = json.loads((root / "index.json").read_text())
    (image,) = index["manifests"]
    digest = image["digest"]
    key, pub = att.new_key(tmp_path, "k")
    bk_layer = att.layout_blob(root, att.statement(digest, att.SLSA_V02, "v0.1"), INTOTO_JSON,
                               annotations={"in-toto.io/predicate-type": att.SLSA_V02})
    bk = att.layout_manifest(root, [bk_layer], annotations={})
    bk["annotations"] = {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": digest}
    bk["platform"] = {"os": "unknown", "architecture": "unknown"}
    image_index = att.layout_blob(root, json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                                    "manifests": [image, bk]}).encode(),
                                  "application/vnd.oci.image.index.v1+json",
                                  annotations={"org.opencontainers.image.ref.name": "1.0"})
    ref_layer = att.layout_blob(root, att.statement(digest), INTOTO_JSON)
    referrer = att.layout_manifest(root, [ref_layer], artifactType=INTOTO_JSON,
                                   subject={"mediaType": image["mediaType"], "digest": digest, "size": image["size"]})
    referrer["artifactType"] = INTOTO_JSON
    elsewhere = "sha256:" + "c" * 64
    stray = att.layout_manifest(root, [att.layout_blob(root, att.statement(elsewhere), INTOTO_JSON)],
                                subject={"mediaType": image["mediaType"], "digest": elsewhere, "size": 1})
    cosign_layer = att.layout_blob(root, att.envelope(att.statement(digest, att.SLSA_V1), key), DSSE_ENVELOPE)
    cosign = att.layout_manifest(root, [cosign_layer])
    cosign["annotations"] = {"org.opencontainers.image.ref.name": digest.replace(":", "-") + ".att"}
    hostile = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "../../etc/passwd", "size": 3}
    index["manifests"] = [image_index, referrer, stray, cosign, hostile]
    (root / "index.json").write_text(json.dumps(index))

    from hullcheck.image.attestations import find_layout_attestations

    lookup = find_layout_attestations(root, [digest])
    got = sorted((a.via, a.statement.predicate_type, a.envelope is not None) for a in lookup.found)
    assert got == sorted([("image index", att.SLSA_V02, False), ("referrers", att.SLSA_V1, False),
                          (f"cosign tag {digest.replace(':', '-')}.att", att.SLSA_V1, True)])
    assert all(a.statement.subject_digests == {digest} for a in lookup.found)
    assert len(lookup.problems) == 1 and "invalid digest" in lookup.problems[0]

    r = run_cli("check", "--image", f"oci:{root}:1.0", "--image", f"oci:{plain}:1.0", "--db", str(db),
                "--format", "json")
    assert r.returncode == 1, r.stderr
    prov = [v["resource"]["name"] for v in json.loads(r.stdout)["violations"] if v["rule"] == "HC-PRD-002"]
    assert prov == [f"oci:{plain}:1.0"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"apiVersion: hullcheck.dev/v1\nrules:\n  HC-PRD-002: {{params: {{attestation_keys: [{pub}]}}}}\n")
    r = run_cli("check", "--image", f"oci:{root}:1.0", "--db", str(db), "--policy", str(policy), "--format", "json")
    assert [v for v in json.loads(r.stdout)["violations"] if v["rule"] == "HC-PRD-002"] == []
