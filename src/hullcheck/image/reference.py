"""Parse what users type as an image reference into an ``ImageRef``.

Accepted forms::

    docker-archive:PATH          a ``docker save`` tarball
    oci-archive:PATH             a tarred OCI layout
    oci:DIR[:TAG|@DIGEST]        an OCI layout directory, optionally one image in it
    rootfs:DIR                   an unpacked filesystem
    [registry:|docker://]REF     a registry image, REF = [HOST[:PORT]/]REPO[:TAG][@DIGEST]
    PATH                         an existing path on disk: its kind is detected

Registry references follow the Docker reference grammar, including its Docker Hub
normalisation (``alpine`` is ``docker.io/library/alpine:latest``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from hullcheck.errors import ReferenceError_
from hullcheck.model import ImageRef, Transport

DOCKER_HUB = "docker.io"
DOCKER_HUB_API_HOST = "registry-1.docker.io"
_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)

# The Docker reference grammar, piece by piece.
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_RE = re.compile(
    rf"^(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?$"
)
_REPO_RE = re.compile(rf"^{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_ANY_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]+$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
_PORT_AFTER_PREFIX_RE = re.compile(r"^[0-9]+/")
MAX_NAME_LENGTH = 255

_LOCAL_PREFIXES = {
    "docker-archive:": Transport.DOCKER_ARCHIVE,
    "oci-archive:": Transport.OCI_ARCHIVE,
    "oci:": Transport.OCI_LAYOUT,
    "rootfs:": Transport.ROOTFS,
}


def is_valid_tag(tag: str) -> bool:
    return bool(_TAG_RE.match(tag))


def is_valid_digest(digest: str) -> bool:
    """Only sha256 is accepted: it is what every registry and layout in use produces."""
    return bool(_DIGEST_RE.match(digest))


def api_host(registry: str) -> str:
    """The host serving the distribution API for a normalised registry name."""
    return DOCKER_HUB_API_HOST if registry == DOCKER_HUB else registry


def parse_reference(text: str) -> ImageRef:
    """Parse ``text``; raise ``ReferenceError_`` (exit 2) with a one-line reason if invalid."""
    if not isinstance(text, str) or not text.strip():
        raise ReferenceError_("empty image reference")
    if text != text.strip() or any(c in text for c in "\n\r\t\0"):
        raise ReferenceError_(
            f"invalid image reference {text!r}: contains whitespace or control characters"
        )

    if text.startswith("docker://"):
        return parse_registry_reference(text[len("docker://") :], original=text)
    # "registry:5000/app" is the host "registry" with a port, and "registry:2" is Docker
    # Hub's image "registry" with tag "2": only what is neither is the optional prefix.
    after = text[len("registry:") :]
    if (
        text.startswith("registry:")
        and not _PORT_AFTER_PREFIX_RE.match(after)
        and not is_valid_tag(after)
    ):
        return parse_registry_reference(after, original=text)
    for prefix, transport in _LOCAL_PREFIXES.items():
        if text.startswith(prefix):
            rest = text[len(prefix) :]
            if not rest:
                raise ReferenceError_(
                    f"invalid image reference {text!r}: missing path after {prefix!r}"
                )
            if transport is Transport.OCI_LAYOUT:
                return _parse_oci_layout(rest, text)
            return ImageRef(transport=transport, path=rest)

    if os.path.lexists(text):
        # Imported here: the detector depends on the archive readers, which the parser must not.
        from hullcheck.image.detect import detect_path

        return detect_path(text)
    if _looks_like_path(text):
        raise ReferenceError_(f"no such file or directory: {text}")
    return parse_registry_reference(text, original=text)


def _looks_like_path(text: str) -> bool:
    """What no registry reference can be, but a mistyped path often is."""
    return text.startswith(("/", "./", "../", "~")) or text.endswith((".tar", ".tar.gz", ".tgz"))


def _parse_oci_layout(rest: str, original: str) -> ImageRef:
    """``DIR[:TAG|@DIGEST]``. DIR may itself contain ':' or '@': a suffix only counts as a
    tag/digest if it is valid, and when the whole string names an existing directory while
    the shortened one does not, the whole string is the directory."""
    if "@" in rest:
        path, _, digest = rest.rpartition("@")
        if path and is_valid_digest(digest) and not _whole_is_dir(rest, path):
            return ImageRef(transport=Transport.OCI_LAYOUT, path=path, digest=digest)
        if (
            path
            and _ANY_DIGEST_RE.match(digest)
            and ":" in digest
            and not _whole_is_dir(rest, path)
        ):
            raise ReferenceError_(
                f"invalid image reference {original!r}: unsupported digest {digest!r} (sha256 only)"
            )
    if ":" in rest:
        path, _, tag = rest.rpartition(":")
        if path and is_valid_tag(tag) and not _whole_is_dir(rest, path):
            return ImageRef(transport=Transport.OCI_LAYOUT, path=path, tag=tag)
    return ImageRef(transport=Transport.OCI_LAYOUT, path=rest)


def _whole_is_dir(whole: str, shortened: str) -> bool:
    return os.path.isdir(whole) and not os.path.isdir(shortened)


def parse_registry_reference(ref: str, *, original: str | None = None) -> ImageRef:
    """``[HOST[:PORT]/]REPO[:TAG][@sha256:HEX]`` with Docker Hub normalisation."""
    shown = original if original is not None else ref
    if not ref:
        raise ReferenceError_(f"invalid image reference {shown!r}: empty name")

    def bad(why: str) -> ReferenceError_:
        return ReferenceError_(f"invalid image reference {shown!r}: {why}")

    rest = ref
    digest: str | None = None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not is_valid_digest(digest):
            if _ANY_DIGEST_RE.match(digest) and not digest.startswith("sha256:"):
                raise bad(f"unsupported digest algorithm in {digest!r} (sha256 only)")
            raise bad(f"invalid digest {digest!r} (expected sha256: and 64 lowercase hex digits)")
    tag: str | None = None
    # A tag follows the last ':' only if no '/' comes after it (else the ':' is a port).
    colon = rest.rfind(":")
    if colon != -1 and "/" not in rest[colon + 1 :]:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not is_valid_tag(tag):
            raise bad(f"invalid tag {tag!r}")
    if not rest:
        raise bad("empty name")

    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        domain, path = first, remainder
        if not _DOMAIN_RE.match(domain):
            raise bad(f"invalid registry host {domain!r}")
        _check_port(domain, bad)
    else:
        domain, path = DOCKER_HUB, rest
    if domain.lower() in _HUB_ALIASES:
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"

    if not path:
        raise bad("empty repository name")
    if path != path.lower() and _REPO_RE.match(path.lower()):
        raise bad("repository name must be lowercase")
    if not _REPO_RE.match(path):
        raise bad(f"invalid repository name {path!r}")
    if (
        domain == DOCKER_HUB
        and path.startswith("library/")
        and _HEX64_RE.match(path[len("library/") :])
    ):
        raise bad("a 64-character hexadecimal name is an image id, not a repository")
    if len(domain) + 1 + len(path) > MAX_NAME_LENGTH:
        raise bad(f"name longer than {MAX_NAME_LENGTH} characters")
    if tag is None and digest is None:
        tag = "latest"
    return ImageRef(
        transport=Transport.REGISTRY, registry=domain, repository=path, tag=tag, digest=digest
    )


def _check_port(domain: str, bad: Callable[[str], ReferenceError_]) -> None:
    host_port = domain.rsplit("]", 1)[-1] if domain.startswith("[") else domain
    if ":" in host_port:
        port = int(host_port.rsplit(":", 1)[1])
        if not 0 < port < 65536:
            raise bad(f"invalid port in {domain!r}")
