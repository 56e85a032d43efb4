"""A hostile or broken registry must give the right one-line error and leave nothing behind.

Each test runs a small threaded HTTP server on 127.0.0.1 scripted to misbehave in one way.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import time

import pytest

from hullcheck.config import Limits
from hullcheck.errors import (
    AuthError,
    DigestMismatchError,
    ExitCode,
    HullcheckError,
    ImageError,
    LimitExceededError,
    RegistryError,
)
from hullcheck.image.reference import parse_reference
from hullcheck.image.registry import pull
from hullcheck.image.registry.options import RegistryOptions
from hullcheck.image.source import RawImage
from tests.image.registry.conftest import Sandbox, fast_options
from tests.image.registry.hostile_server import HostileRegistry, Reply, hostile
from tests.image.registry.oci_layout import (
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    canonical,
    sha256,
)

LAYER = gzip.compress(b"not really a tar, but bytes with a digest" * 50, mtime=0)
CONFIG = canonical(
    {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha256(gzip.decompress(LAYER))]},
    }
)
MANIFEST = canonical(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": sha256(CONFIG), "size": len(CONFIG)},
        "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": sha256(LAYER), "size": len(LAYER)}],
    }
)
BLOBS = {sha256(CONFIG): CONFIG, sha256(LAYER): LAYER}


def good(method: str, path: str, headers: dict[str, str]) -> Reply:
    """A well-behaved registry serving one image as ``img:1``."""
    if path == "/v2/":
        return Reply(200, {"Content-Type": "application/json"}, b"{}")
    if path.startswith("/v2/img/manifests/"):
        return Reply(
            200, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": sha256(MANIFEST)}, MANIFEST
        )
    if path.startswith("/v2/img/blobs/"):
        blob = BLOBS.get(path.rsplit("/", 1)[1])
        if blob is not None:
            return Reply(200, {"Content-Type": "application/octet-stream"}, blob)
    return Reply(
        404,
        {"Content-Type": "application/json"},
        b'{"errors":[{"code":"NOT_FOUND","message":"nope"}]}',
    )


def plain(server: HostileRegistry, **kw: object) -> RegistryOptions:
    return fast_options(insecure_registries=(f"http://{server.host}",), **kw)


def run(server: HostileRegistry, sandbox: Sandbox, ref: str = "img:1", **kw: object) -> RawImage:
    return pull(
        parse_reference(f"{server.host}/{ref}"), options=plain(server, **kw), cache=sandbox.cache
    )


def fails(
    exc: type[HullcheckError], server: HostileRegistry, sandbox: Sandbox, **kw: object
) -> str:
    with pytest.raises(exc) as info:
        run(server, sandbox, **kw)
    msg = info.value.diagnostics()
    assert "\n" not in msg and msg
    assert info.value.exit_code == ExitCode.IMAGE
    assert sandbox.outside() == [], "a failed pull left files behind"
    return msg


def test_the_good_registry_works(sandbox: Sandbox) -> None:
    with hostile(good) as server:
        img = run(server, sandbox)
    assert img.config_bytes == CONFIG
    assert [layer.digest for layer in img.layers] == [sha256(LAYER)]
    assert sandbox.outside() == []


def test_wrong_blob_digest(sandbox: Sandbox) -> None:
    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if path.endswith(sha256(LAYER)):
            evil = bytearray(LAYER)
            evil[-1] ^= 0xFF
            return Reply(200, {}, bytes(evil))
        return good(method, path, headers)

    with hostile(route) as server:
        msg = fails(DigestMismatchError, server, sandbox)
    assert sha256(LAYER) in msg
    assert not sandbox.cache.has(sha256(LAYER))


def test_content_encoding_does_not_alter_blobs(sandbox: Sandbox) -> None:
    # The layer is gzip; a server labelling it "Content-Encoding: gzip" must not get it unzipped.
    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if path.endswith(sha256(LAYER)):
            return Reply(200, {"Content-Encoding": "gzip"}, LAYER)
        return good(method, path, headers)

    with hostile(route) as server:
        img = run(server, sandbox)
        blob_headers = [h for _, p, h in server.requests if p.endswith(sha256(LAYER))]
    with img.layers[0].opener() as f:
        assert f.read() == LAYER
    assert blob_headers[0]["accept-encoding"] == "identity"


def test_blob_longer_than_declared_stops_early(sandbox: Sandbox) -> None:
    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if path.endswith(sha256(LAYER)):
            return Reply(200, {}, LAYER + b"\0" * 100_000, chunked=True)
        return good(method, path, headers)

    with hostile(route) as server:
        fails(LimitExceededError, server, sandbox)


def test_wrong_manifest_digest_when_pulled_by_digest(sandbox: Sandbox) -> None:
    other = MANIFEST.replace(b'"schemaVersion":2', b'"schemaVersion": 2')
    with hostile(
        lambda m, p, h: (
            Reply(200, {"Content-Type": OCI_MANIFEST}, other)
            if "/manifests/" in p
            else good(m, p, h)
        )
    ) as server:
        msg = fails(DigestMismatchError, server, sandbox, ref=f"img@{sha256(MANIFEST)}")
    assert sha256(MANIFEST) in msg and sha256(other) in msg


def test_docker_content_digest_header_mismatch(sandbox: Sandbox) -> None:
    lie = "sha256:" + "0" * 64

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if "/manifests/" in path:
            return Reply(
                200, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": lie}, MANIFEST
            )
        return good(method, path, headers)

    with hostile(route) as server:
        msg = fails(DigestMismatchError, server, sandbox)
    assert "Docker-Content-Digest" in msg and lie in msg


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_manifest(sandbox: Sandbox, chunked: bool) -> None:
    big = MANIFEST[:-1] + b',"annotations":{"pad":"' + b"x" * 5000 + b'"}}'

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if "/manifests/" in path:
            return Reply(200, {"Content-Type": OCI_MANIFEST}, big, chunked=chunked)
        return good(method, path, headers)

    with hostile(route) as server:
        msg = fails(LimitExceededError, server, sandbox, limits=Limits(max_manifest_bytes=4096))
    assert "4096" in msg


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"schemaVersion": 2, "mediaType": ', OCI_MANIFEST, "not valid JSON"),
        (b"[1, 2, 3]", OCI_MANIFEST, "not a JSON object"),
        (b"\xff\xfe garbage", OCI_MANIFEST, "not valid JSON"),
        (
            json.dumps({"schemaVersion": 1, "name": "img", "tag": "1", "fsLayers": []}).encode(),
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            "schema 1",
        ),
        (
            json.dumps(
                {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {}, "layers": []}
            ).encode(),
            OCI_MANIFEST,
            "without a media type",
        ),
        (
            json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": OCI_MANIFEST,
                    "config": {
                        "mediaType": OCI_CONFIG,
                        "digest": "sha256:../../etc/passwd",
                        "size": 1,
                    },
                    "layers": [],
                }
            ).encode(),
            OCI_MANIFEST,
            "invalid digest",
        ),
    ],
)
def test_broken_manifests(sandbox: Sandbox, body: bytes, content_type: str, expected: str) -> None:
    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if "/manifests/" in path:
            return Reply(200, {"Content-Type": content_type}, body)
        return good(method, path, headers)

    with hostile(route) as server:
        msg = fails(RegistryError, server, sandbox)
    assert expected in msg


def test_config_and_manifest_disagree_on_layers(sandbox: Sandbox) -> None:
    config = canonical({"architecture": "amd64", "os": "linux", "rootfs": {"diff_ids": []}})
    manifest = MANIFEST.replace(sha256(CONFIG).encode(), sha256(config).encode()).replace(
        f'"size":{len(CONFIG)}'.encode(), f'"size":{len(config)}'.encode()
    )

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if "/manifests/" in path:
            return Reply(200, {"Content-Type": OCI_MANIFEST}, manifest)
        if path.endswith(sha256(config)):
            return Reply(200, {}, config)
        return good(method, path, headers)

    with hostile(route) as server:
        msg = fails(ImageError, server, sandbox)
    assert "1 layers but the config 0 diff_ids" in msg


def test_one_bad_layer_cancels_the_others(sandbox: Sandbox) -> None:
    slow = os.urandom(1024 * 1024)  # 64 pieces, 0.05 s apart: ~3 s if read to the end
    bad = gzip.compress(b"bad layer", mtime=0)
    manifest = canonical(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha256(CONFIG), "size": len(CONFIG)},
            "layers": [
                {"mediaType": OCI_LAYER_GZIP, "digest": sha256(slow), "size": len(slow)},
                {"mediaType": OCI_LAYER_GZIP, "digest": sha256(bad), "size": len(bad)},
            ],
        }
    )
    config = CONFIG.replace(b'"diff_ids":[', b'"diff_ids":["' + sha256(b"x").encode() + b'",')

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if "/manifests/" in path:
            return Reply(
                200,
                {"Content-Type": OCI_MANIFEST},
                manifest.replace(sha256(CONFIG).encode(), sha256(config).encode()).replace(
                    f'"size":{len(CONFIG)}'.encode(), f'"size":{len(config)}'.encode()
                ),
            )
        if path.endswith(sha256(config)):
            return Reply(200, {}, config)
        if path.endswith(sha256(slow)):
            return Reply(200, {}, slow, delay=0.05)
        if path.endswith(sha256(bad)):
            time.sleep(0.2)  # let the slow download get going first
            return Reply(200, {}, b"\0" + bad[1:])
        return good(method, path, headers)

    with hostile(route) as server:
        start = time.monotonic()
        fails(DigestMismatchError, server, sandbox, concurrency=2)
        elapsed = time.monotonic() - start
    assert elapsed < 2.0, f"the slow download was not cancelled ({elapsed:.1f}s)"
    assert not sandbox.cache.has(sha256(slow))


def test_redirect_loop(sandbox: Sandbox) -> None:
    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if "/blobs/" in path:
            return Reply(307, {"Location": path + "x"})  # endless, each hop a new URL
        return good(method, path, headers)

    with hostile(route) as server:
        msg = fails(RegistryError, server, sandbox, max_redirects=4)
        blob_requests = [p for _, p, _ in server.requests if "/blobs/" in p]
    assert "redirects" in msg
    assert len(blob_requests) == 5  # the first request and 4 hops, then stop


def test_redirect_to_another_host_drops_credentials(sandbox: Sandbox) -> None:
    auth = "Basic " + base64.b64encode(b"u:p").decode()
    with hostile(good) as cdn:

        def route(method: str, path: str, headers: dict[str, str]) -> Reply:
            if headers.get("authorization") != auth:
                return Reply(401, {"WWW-Authenticate": 'Basic realm="test"'})
            if "/blobs/" in path:
                return Reply(307, {"Location": f"http://{cdn.host}{path}"})
            return good(method, path, headers)

        with hostile(route) as server:
            img = run(server, sandbox, username="u", password="p")
    assert img.config_bytes == CONFIG
    cdn_blob_requests = [h for _, p, h in cdn.requests if "/blobs/" in p]
    assert len(cdn_blob_requests) == 2  # config and layer
    assert all("authorization" not in h for h in cdn_blob_requests)


def test_401_loop_is_bounded(sandbox: Sandbox) -> None:
    with hostile(lambda m, p, h: Reply(200, {}, b'{"token": "t", "expires_in": 300}')) as issuer:
        challenge = f'Bearer realm="http://{issuer.host}/token",service="evil"'
        with hostile(lambda m, p, h: Reply(401, {"WWW-Authenticate": challenge})) as server:
            msg = fails(AuthError, server, sandbox)
            assert len(server.requests) == 2  # ping, then the request with its token
        assert len(issuer.requests) == 1  # a token refused right after its fetch is final
    assert "denied anonymous access to img" in msg


def test_401_without_challenge(sandbox: Sandbox) -> None:
    with hostile(lambda m, p, h: Reply(401, {})) as server:
        msg = fails(AuthError, server, sandbox)
    assert "scheme" in msg


def test_429_with_retry_after_then_success(sandbox: Sandbox) -> None:
    seen: list[float] = []

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if "/manifests/" in path:
            seen.append(time.monotonic())
            if len(seen) == 1:
                return Reply(429, {"Retry-After": "1"})
        return good(method, path, headers)

    with hostile(route) as server:
        img = run(server, sandbox)
    assert img.config_bytes == CONFIG
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.95


def test_retry_after_too_long_gives_up(sandbox: Sandbox) -> None:
    with hostile(
        lambda m, p, h: Reply(429, {"Retry-After": "3600"}) if "/manifests/" in p else good(m, p, h)
    ) as server:
        msg = fails(RegistryError, server, sandbox)
    assert "rate limiting" in msg and "3600" in msg


def test_500s_then_success(sandbox: Sandbox) -> None:
    count = {"blob": 0}

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if path.endswith(sha256(LAYER)):
            count["blob"] += 1
            if count["blob"] <= 2:
                return Reply(502 if count["blob"] == 1 else 503, {}, b"upstream trouble")
        return good(method, path, headers)

    with hostile(route) as server:
        img = run(server, sandbox, max_attempts=3)
    with img.layers[0].opener() as f:
        assert f.read() == LAYER
    assert count["blob"] == 3


def test_500s_forever_give_up(sandbox: Sandbox) -> None:
    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if "/manifests/" in path:
            return Reply(
                500,
                {"Content-Type": "application/json"},
                b'{"errors":[{"code":"UNKNOWN","message":"boom"}]}',
            )
        return good(method, path, headers)

    with hostile(route) as server:
        msg = fails(RegistryError, server, sandbox, max_attempts=3)
        assert sum("/manifests/" in p for _, p, _ in server.requests) == 3
    assert "HTTP 500" in msg and "boom" in msg


def test_server_that_never_answers(sandbox: Sandbox) -> None:
    with hostile(lambda m, p, h: Reply(hang=True)) as server:
        start = time.monotonic()
        msg = fails(RegistryError, server, sandbox, read_timeout=0.3, max_attempts=2)
        elapsed = time.monotonic() - start
    assert "did not answer" in msg
    assert elapsed < 5


def test_nothing_listening(sandbox: Sandbox) -> None:
    with hostile(good) as server:
        host = server.host
    # the server is closed now: the port refuses connections
    with pytest.raises(RegistryError, match="cannot reach") as info:
        pull(
            parse_reference(f"{host}/img:1"),
            options=fast_options(max_attempts=2),
            cache=sandbox.cache,
        )
    assert info.value.exit_code == ExitCode.IMAGE
    assert sandbox.outside() == []


def test_referrers_api_answer_is_filtered_and_validated(sandbox: Sandbox) -> None:
    from hullcheck.image.registry import list_referrers

    subject = sha256(MANIFEST)
    entries = [
        {"mediaType": OCI_MANIFEST, "digest": "sha256:" + c * 64, "size": 10, "artifactType": kind}
        for c, kind in (
            ("1", "application/vnd.cyclonedx+json"),
            ("2", "application/vnd.dev.sigstore.bundle+json"),
        )
    ]
    index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    asked: list[str] = []

    def route(method: str, path: str, headers: dict[str, str]) -> Reply:
        if path.startswith(f"/v2/img/referrers/{subject}"):
            asked.append(path)
            return Reply(200, {"Content-Type": OCI_INDEX}, index)
        return good(method, path, headers)

    with hostile(route) as server:
        ref = parse_reference(f"{server.host}/img@{subject}")
        all_of_them = list_referrers(ref, options=plain(server))
        sboms = list_referrers(
            ref, artifact_type="application/vnd.cyclonedx+json", options=plain(server)
        )
    assert [d.digest for d in all_of_them] == [e["digest"] for e in entries]
    # the server ignored the filter (no OCI-Filters-Applied): the client applies it
    assert [d.digest for d in sboms] == [entries[0]["digest"]]
    assert asked[1].endswith("?artifactType=application%2Fvnd.cyclonedx%2Bjson")

    broken = index.replace(b'"size":10', b'"size":-1', 1)
    with (
        hostile(lambda m, p, h: Reply(200, {"Content-Type": OCI_INDEX}, broken)) as server,
        pytest.raises(RegistryError, match="invalid size"),
    ):
        list_referrers(parse_reference(f"{server.host}/img@{subject}"), options=plain(server))


def test_a_revoked_cached_token_is_replaced_once(sandbox: Sandbox) -> None:
    from hullcheck.image.registry.client import RegistryClient

    issued: list[str] = []

    def issue(method: str, path: str, headers: dict[str, str]) -> Reply:
        issued.append(f"t{len(issued) + 1}")
        return Reply(200, {}, json.dumps({"token": issued[-1], "expires_in": 300}).encode())

    with hostile(issue) as issuer:
        challenge = f'Bearer realm="http://{issuer.host}/token",service="svc"'

        def route(method: str, path: str, headers: dict[str, str]) -> Reply:
            # Only the newest token is valid: older ones count as revoked.
            if not issued or headers.get("authorization") != f"Bearer {issued[-1]}":
                return Reply(401, {"WWW-Authenticate": challenge})
            return good(method, path, headers)

        with hostile(route) as server, RegistryClient(server.host, plain(server)) as client:
            client.get_manifest("img", "1", "img:1")
            assert issued == ["t1"]
            issued.append("t2-issued-elsewhere")  # t1 is revoked behind the client's back
            fetched = client.get_manifest("img", "1", "img:1")
            assert fetched.body == MANIFEST
            assert issued == ["t1", "t2-issued-elsewhere", "t3"]  # one new token, then success
