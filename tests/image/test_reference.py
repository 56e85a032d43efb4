"""Image reference parsing: the Docker grammar, Hub normalisation and local transports."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullcheck.errors import ExitCode, ReferenceError_
from hullcheck.image.reference import api_host, parse_reference
from hullcheck.model import ImageRef, Transport

D = "sha256:" + "ab" * 32


def reg(
    registry: str, repo: str, tag: str | None = "latest", digest: str | None = None
) -> ImageRef:
    return ImageRef(Transport.REGISTRY, registry=registry, repository=repo, tag=tag, digest=digest)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpine", reg("docker.io", "library/alpine")),
        ("alpine:3.19", reg("docker.io", "library/alpine", "3.19")),
        ("library/alpine", reg("docker.io", "library/alpine")),
        ("bitnami/redis:7", reg("docker.io", "bitnami/redis", "7")),
        ("docker.io/alpine", reg("docker.io", "library/alpine")),
        ("index.docker.io/alpine", reg("docker.io", "library/alpine")),
        ("registry-1.docker.io/org/app", reg("docker.io", "org/app")),
        ("ghcr.io/org/app:v1.2.3", reg("ghcr.io", "org/app", "v1.2.3")),
        ("localhost/app", reg("localhost", "app")),
        ("localhost:5000/app:dev", reg("localhost:5000", "app", "dev")),
        ("127.0.0.1:5000/a/b/c:x_y-z.1", reg("127.0.0.1:5000", "a/b/c", "x_y-z.1")),
        ("Quay.IO/org/app", reg("Quay.IO", "org/app")),
        ("myhost:5000/app", reg("myhost:5000", "app")),
        (f"alpine@{D}", reg("docker.io", "library/alpine", None, D)),
        (f"alpine:3@{D}", reg("docker.io", "library/alpine", "3", D)),
        (f"ghcr.io:443/o/a:t@{D}", reg("ghcr.io:443", "o/a", "t", D)),
        ("a__b/c-d/e.f:T", reg("docker.io", "a__b/c-d/e.f", "T")),
        ("[::1]:5000/app", reg("[::1]:5000", "app")),
        # explicit prefixes
        ("docker://alpine", reg("docker.io", "library/alpine")),
        ("registry:ghcr.io/o/a:1", reg("ghcr.io", "o/a", "1")),
        # "registry" followed by a port is a host, not the prefix
        ("registry:5000/app", reg("registry:5000", "app")),
        # ...and "registry:2" is Docker Hub's registry image, tag 2
        ("registry:2", reg("docker.io", "library/registry", "2")),
        ("registry:alpine:3", reg("docker.io", "library/alpine", "3")),
    ],
)
def test_registry_references(text: str, expected: ImageRef) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("Alpine", "lowercase"),
        ("docker.io/Library/alpine", "lowercase"),
        ("alpine:", "invalid tag"),
        ("alpine:-bad", "invalid tag"),
        ("alpine:" + "t" * 129, "invalid tag"),
        ("alpine@sha256:abc", "invalid digest"),
        ("alpine@sha256:" + "AB" * 32, "invalid digest"),
        ("alpine@sha512:" + "ab" * 64, "unsupported digest algorithm"),
        ("a//b", "invalid repository"),
        ("a/b/", "invalid repository"),
        ("-a/b", "invalid repository"),
        ("a..b", "invalid repository"),
        ("host:99999/app", "invalid port"),
        ("-bad.host/app", "invalid registry host"),
        (" alpine", "whitespace"),
        ("alpine\n", "whitespace"),
        ("ab" * 32, "image id"),
        ("ghcr.io/" + "a" * 260, "longer than"),
        ("docker://", "empty"),
        ("oci:", "missing path"),
        ("./no/such/image.tar", "no such file or directory"),
        ("/no/such/dir", "no such file or directory"),
        ("image.tar", "no such file or directory"),
    ],
)
def test_invalid_references_are_usage_errors(text: str, why: str) -> None:
    with pytest.raises(ReferenceError_) as info:
        parse_reference(text)
    assert info.value.exit_code == ExitCode.USAGE
    assert why in info.value.diagnostics()
    assert "\n" not in info.value.diagnostics()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("docker-archive:/x/img.tar", ImageRef(Transport.DOCKER_ARCHIVE, path="/x/img.tar")),
        ("oci-archive:img.tar", ImageRef(Transport.OCI_ARCHIVE, path="img.tar")),
        ("rootfs:/srv/root", ImageRef(Transport.ROOTFS, path="/srv/root")),
        ("oci:/srv/layout", ImageRef(Transport.OCI_LAYOUT, path="/srv/layout")),
        ("oci:/srv/layout:v1", ImageRef(Transport.OCI_LAYOUT, path="/srv/layout", tag="v1")),
        (f"oci:/srv/layout@{D}", ImageRef(Transport.OCI_LAYOUT, path="/srv/layout", digest=D)),
        # a ':' inside the path is not a tag when what follows is not a valid tag
        ("oci:/srv/a:b/layout", ImageRef(Transport.OCI_LAYOUT, path="/srv/a:b/layout")),
        ("oci:/srv/a:b/layout:t", ImageRef(Transport.OCI_LAYOUT, path="/srv/a:b/layout", tag="t")),
    ],
)
def test_local_transports(text: str, expected: ImageRef) -> None:
    assert parse_reference(text) == expected


def test_oci_dir_whose_name_ends_like_a_tag(tmp_path: Path) -> None:
    # The directory itself is called "lay:out": the whole string is the path.
    d = tmp_path / "lay:out"
    d.mkdir()
    assert parse_reference(f"oci:{d}") == ImageRef(Transport.OCI_LAYOUT, path=str(d))
    # ...but when the shortened path is the directory, the suffix is a tag.
    e = tmp_path / "plain"
    e.mkdir()
    assert parse_reference(f"oci:{e}:out") == ImageRef(Transport.OCI_LAYOUT, path=str(e), tag="out")


def test_round_trip_through_str() -> None:
    for text in ("alpine", "ghcr.io/o/a:1", f"localhost:5000/x@{D}", "oci:/l:t", "rootfs:/r"):
        ref = parse_reference(text)
        assert parse_reference(str(ref)) == ref


def test_api_host_for_docker_hub() -> None:
    assert api_host(parse_reference("alpine").registry or "") == "registry-1.docker.io"
    assert api_host("ghcr.io") == "ghcr.io"
