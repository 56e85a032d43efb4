"""Pure parts of the registry client: challenges, tokens, platforms, manifests, options."""

from __future__ import annotations

import json
import time

import pytest

from hullcheck.errors import AuthError, ImageError, RegistryError, UsageError
from hullcheck.image.registry.auth import TokenCache, parse_challenges, parse_token_response
from hullcheck.image.registry.manifest import (
    DOCKER_LIST,
    OCI_CONFIG,
    OCI_MANIFEST,
    Descriptor,
    Index,
    Manifest,
    parse_manifest,
)
from hullcheck.image.registry.options import RegistryOptions
from hullcheck.image.registry.platform import parse_platform, select_manifest
from hullcheck.model import Platform

D1, D2, D3, D4 = ("sha256:" + c * 64 for c in "1234")


def test_parse_bearer_challenge() -> None:
    header = (
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",'
        'scope="repository:a/b:pull,push repository:c:pull",error="insufficient_scope"'
    )
    [ch] = parse_challenges(header)
    assert ch.scheme == "bearer"
    assert ch.realm == "https://auth.example.com/token"
    assert ch.service == "registry.example.com"
    assert ch.scopes == ("repository:a/b:pull,push", "repository:c:pull")
    assert ch.params["error"] == "insufficient_scope"


def test_parse_several_and_odd_challenges() -> None:
    chs = parse_challenges('Basic realm="x \\"quoted\\" realm", Bearer realm=https://t/token')
    assert [c.scheme for c in chs] == ["basic", "bearer"]
    assert chs[0].realm == 'x "quoted" realm'
    assert chs[1].realm == "https://t/token"
    assert parse_challenges(None) == []
    assert parse_challenges("") == []
    assert parse_challenges("%%%") == []


def test_token_response() -> None:
    assert parse_token_response(b'{"access_token":"abc","expires_in":120}', "r") == ("abc", 120.0)
    assert parse_token_response(b'{"token":"abc"}', "r") == ("abc", 60.0)
    for bad in (b"nope", b"[]", b'{"token":""}', b'{"token":"a\\r\\nInjected: x"}'):
        with pytest.raises(AuthError):
            parse_token_response(bad, "r")


def test_token_cache_expiry() -> None:
    cache = TokenCache()
    key = TokenCache.key("r", "s", ("repository:a:pull",))
    cache.put(key, "t", 300)
    assert cache.get(key) == "t"
    assert cache.get(TokenCache.key("r", "s", ("repository:b:pull",))) is None
    cache.put(key, "t2", 0.02)
    time.sleep(0.05)
    assert cache.get(key) is None


def _desc(digest: str, plat: Platform | None) -> Descriptor:
    return Descriptor(OCI_MANIFEST, digest, 10, plat)


def test_platform_selection() -> None:
    entries = (
        _desc(D1, Platform("linux", "amd64")),
        _desc(D2, Platform("linux", "arm", "v6")),
        _desc(D3, Platform("linux", "arm", "v7")),
        _desc(D4, Platform("linux", "arm64", "v8")),
        _desc("sha256:" + "5" * 64, Platform("unknown", "unknown")),
    )
    assert select_manifest(entries, Platform("linux", "amd64"), "x").digest == D1
    assert select_manifest(entries, Platform("linux", "arm64"), "x").digest == D4
    assert select_manifest(entries, parse_platform("linux/aarch64"), "x").digest == D4
    assert select_manifest(entries, Platform("linux", "arm", "v7"), "x").digest == D3
    assert (
        select_manifest(entries[:2], Platform("linux", "arm", "v7"), "x").digest == D2
    )  # v7 runs v6
    assert select_manifest(entries, Platform("linux", "x86_64"), "x").digest == D1
    with pytest.raises(ImageError) as info:
        select_manifest(entries, Platform("linux", "arm", "v5"), "x")
    assert "unknown" not in info.value.diagnostics()  # attestation entries are not offered


def test_index_without_platforms() -> None:
    lone = (_desc(D1, None),)
    assert select_manifest(lone, Platform("linux", "arm64"), "x").digest == D1
    with pytest.raises(ImageError):  # two candidates and nothing to tell them apart
        select_manifest((_desc(D1, None), _desc(D2, None)), Platform("linux", "amd64"), "x")


def test_parse_platform_text() -> None:
    assert parse_platform("linux/amd64") == Platform("linux", "amd64")
    assert parse_platform("linux/arm64/v8") == Platform("linux", "arm64")
    assert parse_platform("linux/arm/v7") == Platform("linux", "arm", "v7")
    for bad in ("linux", "linux/", "a/b/c/d"):
        with pytest.raises(UsageError):
            parse_platform(bad)


def _manifest(**over: object) -> bytes:
    m: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": D1, "size": 5},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D2, "size": 7}
        ],
    }
    m.update(over)
    return json.dumps(m).encode()


def test_parse_manifest_and_index() -> None:
    m = parse_manifest(_manifest(), None, "x")
    assert isinstance(m, Manifest) and m.config.digest == D1 and [x.size for x in m.layers] == [7]
    # no mediaType in body or header: inferred from the shape
    body = json.loads(_manifest())
    del body["mediaType"]
    assert isinstance(parse_manifest(json.dumps(body).encode(), "application/json", "x"), Manifest)
    idx = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_LIST,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": D3,
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "amd64"},
                }
            ],
        }
    ).encode()
    parsed = parse_manifest(idx, DOCKER_LIST, "x")
    assert isinstance(parsed, Index) and parsed.manifests[0].platform == Platform("linux", "amd64")


@pytest.mark.parametrize(
    ("over", "error", "text"),
    [
        ({"schemaVersion": 3}, RegistryError, "schemaVersion"),
        ({"layers": {}}, RegistryError, "layers"),
        ({"layers": [{"mediaType": "x", "digest": D2, "size": -1}]}, RegistryError, "invalid size"),
        (
            {"layers": [{"mediaType": "x", "digest": D2, "size": True}]},
            RegistryError,
            "invalid size",
        ),
        (
            {"layers": [{"mediaType": "x", "digest": "md5:abc", "size": 1}]},
            RegistryError,
            "invalid digest",
        ),
        (
            {
                "config": {
                    "mediaType": "application/vnd.cncf.helm.config.v1+json",
                    "digest": D1,
                    "size": 1,
                }
            },
            ImageError,
            "not a container image",
        ),
        ({"annotations": ["x"]}, RegistryError, "annotations"),
    ],
)
def test_parse_manifest_rejects(over: dict[str, object], error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text):
        parse_manifest(_manifest(**over), OCI_MANIFEST, "x")


def test_options_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HULLCHECK_REGISTRY_USERNAME", "u")
    monkeypatch.setenv("HULLCHECK_REGISTRY_PASSWORD", "p")
    monkeypatch.setenv("HULLCHECK_INSECURE_REGISTRY", "reg.local:5000, http://plain.local")
    o = RegistryOptions.from_env(concurrency=2)
    assert (o.username, o.password, o.concurrency) == ("u", "p", 2)
    assert o.is_insecure("reg.local:5000") and o.is_insecure("plain.local")
    assert o.plain_http("plain.local") and not o.plain_http("reg.local:5000")
    assert not o.is_insecure("ghcr.io")
    assert (
        o.is_insecure("127.0.0.1:5000")
        and o.is_insecure("localhost")
        and o.is_insecure("[::1]:5000")
    )
    assert not RegistryOptions(loopback_insecure=False).is_insecure("127.0.0.1:5000")
    assert not o.is_insecure("127.evil.example") and not o.is_insecure("localhost.evil.example")
