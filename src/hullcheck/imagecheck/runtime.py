"""Checks on the runtime config: user, health check, exposed ports, labels."""

from __future__ import annotations

from collections.abc import Iterator

from hullcheck.imagecheck import catalog as C
from hullcheck.imagecheck.context import CheckContext
from hullcheck.model.checks import Misconfiguration

_SOURCE_LABELS = ("org.opencontainers.image.source", "org.label-schema.vcs-url")
_REVISION_LABELS = ("org.opencontainers.image.revision", "org.label-schema.vcs-ref")
BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"


def is_root_user(user: str) -> bool:
    """True when USER means uid 0: empty, ``root`` or numeric 0, with or without a group.

    A name other than ``root`` that /etc/passwd maps to uid 0 is not detected: the layer scan
    keeps file headers, not contents (a rare setup; the check says so in its message)."""
    name = user.strip().partition(":")[0].strip()
    if name in ("", "root"):
        return True
    return name.isdigit() and int(name) == 0


def check_user(ctx: CheckContext) -> Iterator[Misconfiguration]:
    user = ctx.metadata.user
    if not is_root_user(user):
        return
    if not user.strip():
        msg = "no USER is set, so the container runs as root (uid 0)"
    else:
        msg = f"USER {user.strip()} is root (uid 0)"
    yield C.ROOT_USER.finding(msg, evidence=f"User={user!r}")


def check_healthcheck(ctx: CheckContext) -> Iterator[Misconfiguration]:
    hc = ctx.metadata.healthcheck
    test = hc.get("Test") if hc else None
    if not test:
        yield C.NO_HEALTHCHECK.finding("the image config has no HEALTHCHECK", evidence="Healthcheck: absent")
    elif isinstance(test, list) and test and str(test[0]).upper() == "NONE":
        yield C.NO_HEALTHCHECK.finding(
            "HEALTHCHECK NONE disables the health check inherited from the base image",
            evidence="Healthcheck.Test=[\"NONE\"]",
        )


def check_ports(ctx: CheckContext) -> Iterator[Misconfiguration]:
    for port in ctx.metadata.exposed_ports:
        number, _sep, proto = port.partition("/")
        if number.strip() == "22" and proto.lower() in ("", "tcp"):
            yield C.SSH_PORT.finding(f"the image exposes port {port} (SSH)", evidence=f"ExposedPorts: {port}")


def _base_reference(ctx: CheckContext) -> tuple[str, str]:
    """(base image reference, where it was read) from the OCI base labels or, failing that, the
    ``FROM <ref>`` comment buildah/podman put on the first history entry of the final stage."""
    labels = ctx.metadata.label_map
    base = labels.get(BASE_NAME, "").strip()
    if base:
        digest = labels.get(BASE_DIGEST, "").strip()
        return (f"{base}@{digest}" if digest and "@" not in base else base), f"label {BASE_NAME}"
    for i in range(len(ctx.metadata.history) - 1, -1, -1):
        comment = ctx.metadata.history[i].comment.strip()
        if comment.startswith("FROM ") and len(comment.split()) > 1:
            return comment.split()[1][:1024], f"history[{i}] comment"
    return "", ""


def check_base_pinned(ctx: CheckContext) -> Iterator[Misconfiguration]:
    """Only where the image tells: BuildKit's history does not name the base image."""
    base, where = _base_reference(ctx)
    if not base or "@sha256:" in base or base == "scratch":
        return
    last = base.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if not tag or tag == "latest":
        msg = f"the base image {base} is referenced by the moving tag `latest`"
    else:
        msg = f"the base image {base} is referenced by tag, without a digest"
    yield C.UNPINNED_BASE.finding(msg, evidence=f"{where}: {base}")


def check_provenance(ctx: CheckContext) -> Iterator[Misconfiguration]:
    labels = ctx.metadata.label_map
    missing = []
    if not any(labels.get(k, "").strip() for k in _SOURCE_LABELS):
        missing.append(_SOURCE_LABELS[0])
    if not any(labels.get(k, "").strip() for k in _REVISION_LABELS):
        missing.append(_REVISION_LABELS[0])
    if missing:
        yield C.PROVENANCE_LABELS.finding(f"label(s) not set: {', '.join(missing)}", evidence=", ".join(missing))
