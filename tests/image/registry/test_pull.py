"""Pulling from real docker-registry servers: basic and token auth, platforms, media types."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from pathlib import Path

import pytest

from hullcheck.errors import AuthError, ExitCode, ImageError, RegistryError
from hullcheck.image.cache import BlobCache
from hullcheck.image.reference import parse_reference
from hullcheck.image.registry import pull
from hullcheck.image.registry.client import RegistryClient, pull_scope
from hullcheck.image.registry.platform import host_platform
from hullcheck.model import Platform
from tests.conftest import need
from tests.image.registry.conftest import Pushed, fast_options
from tests.image.registry.oci_layout import BuiltImage, sha256
from tests.image.registry.token_issuer import IDENTITY_TOKEN


def creds(p: Pushed) -> dict[str, str]:
    return {"username": p.basic.username, "password": p.basic.password}


def assert_is(img: object, built: BuiltImage) -> None:
    """The pulled image is byte for byte the built one."""
    from hullcheck.image.source import RawImage

    assert isinstance(img, RawImage)
    assert img.config_bytes == built.config
    assert img.config_digest == built.config_digest
    assert [layer.digest for layer in img.layers] == built.layer_digests
    for layer, blob in zip(img.layers, built.layers, strict=True):
        assert layer.size == len(blob)
        with layer.opener() as f:
            assert f.read() == blob
    assert img.platform is not None
    assert (img.platform.os, img.platform.architecture) == (built.os, built.architecture)


def test_pull_single_platform_with_basic_auth(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    ref = parse_reference(f"{pushed.basic.host}/app:single")
    img = pull(ref, options=fast_options(**creds(pushed)), cache=cache)
    built = pushed.layout.single
    assert_is(img, built)
    assert img.manifest_digest == built.manifest_digest
    assert img.repo_tags == (f"{pushed.basic.host}/app:single",)
    assert img.repo_digests == (f"{pushed.basic.host}/app@{built.manifest_digest}",)
    # every blob sits in the cache under its own digest
    for d in (built.config_digest, *built.layer_digests):
        assert hashlib.sha256(cache.path(d).read_bytes()).hexdigest() == d[7:]
    assert cache.temp_files() == []


def test_pull_multi_platform_picks_requested_and_host(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    ref = parse_reference(f"{pushed.basic.host}/app:multi")
    opts = fast_options(**creds(pushed))
    for text, built in pushed.layout.images.items():
        os_, arch, *variant = text.split("/")
        img = pull(
            ref,
            platform=Platform(os_, arch, variant[0] if variant else None),
            options=opts,
            cache=cache,
        )
        assert_is(img, built)
        assert img.manifest_digest == built.manifest_digest
        # the reference resolved to the index: that is the repo digest, as Docker shows it
        assert img.repo_digests == (f"{pushed.basic.host}/app@{pushed.layout.index_digest}",)
    # arm64 and arm64/v8 are the same platform
    assert pull(
        ref, platform=Platform("linux", "aarch64"), options=opts, cache=cache
    ).config_bytes == (pushed.layout.images["linux/arm64/v8"].config)
    host = host_platform()
    candidates = [b for b in pushed.layout.images.values() if b.architecture == host.architecture]
    need(candidates, f"the test image has no variant for this host ({host})")
    assert_is(pull(ref, platform=None, options=opts, cache=cache), candidates[0])


def test_missing_platform_lists_what_exists(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    ref = parse_reference(f"{pushed.basic.host}/app:multi")
    with pytest.raises(ImageError) as info:
        pull(
            ref,
            platform=Platform("linux", "s390x"),
            options=fast_options(**creds(pushed)),
            cache=cache,
        )
    msg = info.value.diagnostics()
    assert "linux/s390x" in msg
    for text in pushed.layout.images:
        assert text in msg
    assert info.value.exit_code == ExitCode.IMAGE


def test_single_platform_image_for_another_platform_is_refused(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    other = next(b for b in pushed.layout.images.values() if b is not pushed.layout.single)
    ref = parse_reference(f"{pushed.basic.host}/app:single")
    with pytest.raises(ImageError, match="not for the requested"):
        pull(
            ref,
            platform=Platform(other.os, other.architecture),
            options=fast_options(**creds(pushed)),
            cache=cache,
        )


def test_pull_by_digest_and_docker_schema2(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    built = pushed.layout.single
    opts = fast_options(**creds(pushed))
    img = pull(
        parse_reference(f"{pushed.basic.host}/app@{built.manifest_digest}"),
        options=opts,
        cache=cache,
    )
    assert_is(img, built)
    assert img.repo_tags == ()
    # skopeo --format v2s2 rewrote the manifest with Docker media types: same config and layers
    img = pull(parse_reference(f"{pushed.basic.host}/app:v2s2"), options=opts, cache=cache)
    assert img.manifest_media_type == "application/vnd.docker.distribution.manifest.v2+json"
    assert img.config_bytes == built.config
    assert [layer.digest for layer in img.layers] == built.layer_digests
    assert {layer.media_type for layer in img.layers} == {
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    }


def test_resolve_digest(pushed: Pushed, no_docker_config: Path) -> None:
    from hullcheck.image.registry import resolve_digest

    opts = fast_options(**creds(pushed))
    assert resolve_digest(parse_reference(f"{pushed.basic.host}/app:multi"), options=opts) == (
        pushed.layout.index_digest
    )
    assert resolve_digest(
        parse_reference(f"{pushed.token.host}/public/app:multi"), options=fast_options()
    ) == (pushed.layout.index_digest)
    with pytest.raises(RegistryError, match="not found"):
        resolve_digest(parse_reference(f"{pushed.basic.host}/app:absent"), options=opts)


def test_unknown_tag_is_a_registry_error(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    with pytest.raises(RegistryError, match="not found"):
        pull(
            parse_reference(f"{pushed.basic.host}/app:nope"),
            options=fast_options(**creds(pushed)),
            cache=cache,
        )


def test_basic_auth_without_or_with_wrong_credentials(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    ref = parse_reference(f"{pushed.basic.host}/app:single")
    with pytest.raises(AuthError, match="no credentials were found") as info:
        pull(ref, options=fast_options(), cache=cache)
    assert info.value.exit_code == ExitCode.IMAGE
    with pytest.raises(AuthError, match="rejected the credentials"):
        pull(
            ref, options=fast_options(username=pushed.basic.username, password="wrong"), cache=cache
        )
    assert cache.temp_files() == []


def test_credentials_from_environment(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hullcheck.image.registry import RegistryOptions

    monkeypatch.setenv("HULLCHECK_REGISTRY_USERNAME", pushed.basic.username)
    monkeypatch.setenv("HULLCHECK_REGISTRY_PASSWORD", pushed.basic.password)
    opts = RegistryOptions.from_env(max_attempts=2)
    assert_is(
        pull(parse_reference(f"{pushed.basic.host}/app:single"), options=opts, cache=cache),
        pushed.layout.single,
    )


def test_credentials_from_docker_config_auths(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    token = base64.b64encode(f"{pushed.basic.username}:{pushed.basic.password}".encode()).decode()
    (no_docker_config / "config.json").write_text(
        json.dumps({"auths": {f"http://{pushed.basic.host}": {"auth": token}}})
    )
    img = pull(
        parse_reference(f"{pushed.basic.host}/app:single"), options=fast_options(), cache=cache
    )
    assert_is(img, pushed.layout.single)
    # username/password fields work too
    (no_docker_config / "config.json").write_text(
        json.dumps(
            {
                "auths": {
                    pushed.basic.host: {
                        "username": pushed.basic.username,
                        "password": pushed.basic.password,
                    }
                }
            }
        )
    )
    assert pull(
        parse_reference(f"{pushed.basic.host}/app:single"), options=fast_options(), cache=cache
    ).config_bytes


def _fake_helper(bindir: Path, name: str, host: str, user: str, secret: str, log: Path) -> None:
    """A real ``docker-credential-NAME`` program speaking the helper protocol."""
    script = bindir / f"docker-credential-{name}"
    script.write_text(
        "#!/bin/sh\n"
        f'read server; echo "$1 $server" >> "{log}"\n'
        f'if [ "$1" = get ] && [ "$server" = "{host}" ]; then\n'
        f"  printf '%s' '{json.dumps({'ServerURL': host, 'Username': user, 'Secret': secret})}'\n"
        "  exit 0\n"
        "fi\n"
        "echo 'credentials not found in native keychain'; exit 1\n"
    )
    script.chmod(0o755)


@pytest.mark.parametrize("kind", ["credHelpers", "credsStore"])
def test_credentials_from_helper_program(
    kind: str,
    pushed: Pushed,
    cache: BlobCache,
    no_docker_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "helper.log"
    _fake_helper(
        bindir, "hulltest", pushed.basic.host, pushed.basic.username, pushed.basic.password, log
    )
    monkeypatch.setenv("PATH", f"{bindir}:{__import__('os').environ['PATH']}")
    cfg = (
        {"credHelpers": {pushed.basic.host: "hulltest"}}
        if kind == "credHelpers"
        else {"credsStore": "hulltest"}
    )
    (no_docker_config / "config.json").write_text(json.dumps(cfg))
    img = pull(
        parse_reference(f"{pushed.basic.host}/app:single"), options=fast_options(), cache=cache
    )
    assert_is(img, pushed.layout.single)
    assert log.read_text().splitlines() == [f"get {pushed.basic.host}"]


def test_broken_docker_config_is_a_clear_error(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    (no_docker_config / "config.json").write_text("{not json")
    with pytest.raises(AuthError, match="not valid JSON"):
        pull(
            parse_reference(f"{pushed.basic.host}/app:single"), options=fast_options(), cache=cache
        )


def test_token_auth_anonymous_public_repo(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    built = pushed.layout.images["linux/arm64/v8"]
    ref = parse_reference(f"{pushed.token.host}/public/app:multi")
    img = pull(ref, platform=Platform("linux", "arm64"), options=fast_options(), cache=cache)
    assert_is(img, built)
    assert pushed.token.issuer is not None
    anon = [r for r in pushed.token.issuer.requests if r["user"] is None]
    assert any("repository:public/app:pull" in r["params"].get("scope", []) for r in anon)


def test_token_auth_private_repo(pushed: Pushed, cache: BlobCache, no_docker_config: Path) -> None:
    ref = parse_reference(f"{pushed.token.host}/private/app:multi")
    with pytest.raises(AuthError, match="denied anonymous access to private/app"):
        pull(ref, options=fast_options(), cache=cache)
    with pytest.raises(AuthError, match="refused the credentials"):
        pull(
            ref, options=fast_options(username=pushed.token.username, password="wrong"), cache=cache
        )
    img = pull(
        ref, platform=Platform("linux", "amd64"), options=fast_options(**creds(pushed)), cache=cache
    )
    assert_is(img, pushed.layout.images["linux/amd64"])


def test_token_auth_with_identity_token(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    (no_docker_config / "config.json").write_text(
        json.dumps({"auths": {pushed.token.host: {"auth": "", "identitytoken": IDENTITY_TOKEN}}})
    )
    assert pushed.token.issuer is not None
    before = len(pushed.token.issuer.requests)
    ref = parse_reference(f"{pushed.token.host}/private/app:multi")
    img = pull(ref, platform=Platform("linux", "amd64"), options=fast_options(), cache=cache)
    assert_is(img, pushed.layout.images["linux/amd64"])
    new = pushed.token.issuer.requests[before:]
    assert new and all(r["method"] == "POST" for r in new)
    assert new[0]["params"]["grant_type"] == ["refresh_token"]


def test_tokens_are_cached_per_scope(pushed: Pushed, no_docker_config: Path) -> None:
    built = pushed.layout.images["linux/amd64"]
    with RegistryClient(pushed.token.host, fast_options(**creds(pushed))) as client:
        for _ in range(3):
            client.get_manifest("private/app", built.manifest_digest, "test")
        assert client.token_requests == 1
        client.get_manifest("public/app", built.manifest_digest, "test")
        assert client.token_requests == 2  # another repository is another scope


class RecordingObserver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: dict[str, int] = {}
        self.progress: dict[str, int] = {}
        self.done: dict[str, bool] = {}

    def blob_started(self, digest: str, size: int) -> None:
        with self.lock:
            self.started[digest] = size

    def blob_progress(self, digest: str, nbytes: int) -> None:
        with self.lock:
            self.progress[digest] = self.progress.get(digest, 0) + nbytes

    def blob_done(self, digest: str, cached: bool) -> None:
        with self.lock:
            self.done[digest] = cached


def test_layers_come_from_the_cache_the_second_time(
    pushed: Pushed, cache: BlobCache, no_docker_config: Path
) -> None:
    ref = parse_reference(f"{pushed.basic.host}/app:multi")
    built = pushed.layout.images["linux/amd64"]
    first = RecordingObserver()
    pull(
        ref,
        platform=Platform("linux", "amd64"),
        options=fast_options(**creds(pushed), observer=first),
        cache=cache,
    )
    sizes = {sha256(b): len(b) for b in built.layers}
    assert first.started == sizes
    assert first.progress == sizes
    assert first.done == {d: False for d in sizes}
    second = RecordingObserver()
    pull(
        ref,
        platform=Platform("linux", "amd64"),
        options=fast_options(**creds(pushed), observer=second),
        cache=cache,
    )
    assert second.started == {}
    assert second.done == {d: True for d in sizes}


def test_client_ping_and_scope(pushed: Pushed, no_docker_config: Path) -> None:
    with RegistryClient(pushed.basic.host, fast_options()) as client:
        # HTTPS failed, and loopback is insecure: plain HTTP
        assert client.base_url() == f"http://{pushed.basic.host}"
    assert pull_scope("a/b") == "repository:a/b:pull"


def test_skopeo_agrees_on_the_digest(pushed: Pushed, no_docker_config: Path) -> None:
    """An independent client sees the same manifest digest we verified."""
    raw = pushed.basic.inspect_raw(f"{pushed.basic.host}/app:single")
    assert sha256(raw) == pushed.layout.single.manifest_digest
