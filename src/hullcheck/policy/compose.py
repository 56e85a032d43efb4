"""docker-compose services and ``docker inspect`` containers, normalised to one service model, and the
production rules that apply to them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hullcheck.model.finding import SeverityLevel
from hullcheck.model.violation import ResourceRef
from hullcheck.policy.production import _DIGEST, registry_allowed
from hullcheck.policy.quantity import QuantityError, parse_quantity
from hullcheck.policy.rules import Context, Hit, Rule


@dataclass(frozen=True)
class Service:
    resource: ResourceRef  # kind "ComposeService" (name = the service key) or "Container" (docker inspect)
    spec: dict[str, Any]  # compose keys (docker inspect output is translated to them)
    path: str  # "services.web", or "[0]" for the first container of a docker inspect array
    fields: Mapping[str, str] = field(default_factory=dict)  # compose key -> where it really is

    def field_path(self, key: str) -> str:
        root, bracket, rest = key.partition("[")
        real = self.fields.get(root, root)
        return f"{self.path}.{real}{bracket}{rest}"


def is_compose(doc: Any) -> bool:
    """A compose document: a top-level ``services`` mapping and no Kubernetes ``kind``/``apiVersion``."""
    return (isinstance(doc, dict) and isinstance(doc.get("services"), dict)
            and "kind" not in doc and "apiVersion" not in doc)


def services_in(doc: dict[str, Any], file: str = "", index: int = 0) -> Iterator[Service]:
    project = doc.get("name")
    for name, spec in doc["services"].items():
        if isinstance(spec, dict):
            ref = ResourceRef("ComposeService", str(name), str(project) if isinstance(project, str) else "",
                              file, index)
            yield Service(ref, spec, f"services.{name}")


INSPECT_FIELDS = {
    "privileged": "HostConfig.Privileged", "network_mode": "HostConfig.NetworkMode", "pid": "HostConfig.PidMode",
    "ipc": "HostConfig.IpcMode", "userns_mode": "HostConfig.UsernsMode", "uts": "HostConfig.UTSMode",
    "volumes": "Mounts", "user": "Config.User", "read_only": "HostConfig.ReadonlyRootfs",
    "cap_add": "HostConfig.CapAdd", "cap_drop": "HostConfig.CapDrop", "mem_limit": "HostConfig.Memory",
    "cpus": "HostConfig.NanoCpus", "image": "Config.Image", "security_opt": "HostConfig.SecurityOpt",
}


def is_docker_inspect(doc: Any) -> bool:
    """``docker inspect`` output for containers: a JSON array of objects with Config and HostConfig."""
    return (isinstance(doc, list) and bool(doc)
            and all(isinstance(c, dict) and isinstance(c.get("HostConfig"), dict) for c in doc))


def containers_from_inspect(doc: list[Any], file: str = "", index: int = 0) -> Iterator[Service]:
    """Each inspected container as a service: Docker's HostConfig/Config fields mapped to compose keys."""
    for i, c in enumerate(doc):
        hc, cfg = _d(c.get("HostConfig")), _d(c.get("Config"))
        mounts = [{"type": m.get("Type", "volume"), "source": m.get("Source", "")} for m in _l(c.get("Mounts"))
                  if isinstance(m, dict)]
        nano = hc.get("NanoCpus") or 0
        quota, period = hc.get("CpuQuota") or 0, hc.get("CpuPeriod") or 100_000
        cpus = (nano / 1e9 if isinstance(nano, int | float) and nano > 0 else
                quota / period if isinstance(quota, int | float) and quota > 0 and isinstance(period, int) and period
                else None)
        spec = {
            "privileged": hc.get("Privileged"), "network_mode": hc.get("NetworkMode"), "pid": hc.get("PidMode"),
            "ipc": hc.get("IpcMode"), "userns_mode": hc.get("UsernsMode"), "uts": hc.get("UTSMode"),
            "volumes": mounts, "user": cfg.get("User") or None, "read_only": hc.get("ReadonlyRootfs"),
            "cap_add": hc.get("CapAdd"), "cap_drop": hc.get("CapDrop"),
            "mem_limit": hc.get("Memory") or None, "cpus": cpus, "image": cfg.get("Image"),
            "security_opt": hc.get("SecurityOpt"),
        }
        name = str(c.get("Name") or c.get("Id") or f"container[{i}]").lstrip("/")
        yield Service(ResourceRef("Container", name, "", file, index), spec, f"[{i}]", INSPECT_FIELDS)


def _d(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _hit(s: Service, message: str, key: str) -> Hit:
    what = "container" if s.resource.kind == "Container" else "service"
    return Hit(f"{what} {s.resource.name!r}: {message}", s.field_path(key), s.resource.name)


def check_privileged(s: Service, ctx: Context) -> Iterator[Hit]:
    if s.spec.get("privileged") is True:
        yield _hit(s, "privileged: true", "privileged")


def check_host_namespaces(s: Service, ctx: Context) -> Iterator[Hit]:
    for key in ("network_mode", "pid", "ipc", "userns_mode", "uts"):
        if s.spec.get(key) == "host":
            yield _hit(s, f"{key}: host shares the host's namespace", key)


def mounts(s: Service) -> Iterator[tuple[int, str, str]]:
    """(index, type, source) of each volume entry; short syntax ``SRC:DST[:MODE]`` is a bind mount when
    SRC is a path (starts with '/', '.', '~'), a named volume otherwise."""
    for i, v in enumerate(_l(s.spec.get("volumes"))):
        if isinstance(v, str):
            src = v.split(":", 1)[0] if ":" in v else ""
            kind = "bind" if src.startswith(("/", ".", "~")) else "volume"
            yield i, kind, src
        elif isinstance(v, dict):
            yield i, str(v.get("type", "volume")), str(v.get("source", ""))


def check_docker_socket(s: Service, ctx: Context) -> Iterator[Hit]:
    for i, kind, src in mounts(s):
        if kind == "bind" and src.rstrip("/").endswith("docker.sock"):
            yield _hit(s, f"mounts the Docker socket {src} (full control of the host)", f"volumes[{i}]")


def check_host_mounts(s: Service, ctx: Context) -> Iterator[Hit]:
    for i, kind, src in mounts(s):
        if kind == "bind" and not src.rstrip("/").endswith("docker.sock"):
            yield _hit(s, f"bind-mounts host path {src}", f"volumes[{i}]")


_ROOT_USER = re.compile(r"(root|0)(:.*)?\Z")


def check_user(s: Service, ctx: Context) -> Iterator[Hit]:
    user = s.spec.get("user")
    if user is None:
        yield _hit(s, "no user: set (runs as the image's user, often root)", "user")
    elif _ROOT_USER.match(str(user)):
        yield _hit(s, f"user: {user} runs as root", "user")


def check_read_only(s: Service, ctx: Context) -> Iterator[Hit]:
    if s.spec.get("read_only") is not True:
        yield _hit(s, "read_only: true is not set", "read_only")


def check_capabilities(s: Service, ctx: Context) -> Iterator[Hit]:
    if "ALL" not in [str(c).upper() for c in _l(s.spec.get("cap_drop"))]:
        yield _hit(s, "cap_drop does not include ALL", "cap_drop")
    bad = [str(c) for c in _l(s.spec.get("cap_add")) if str(c).upper().removeprefix("CAP_") != "NET_BIND_SERVICE"]
    if bad:
        yield _hit(s, f"cap_add {', '.join(bad)}", "cap_add")


_SIZE = re.compile(r"[0-9]+(\.[0-9]+)?\s*([bkmg]b?)?")


def _size(value: Any) -> bool:
    """Compose memory sizes are byte values with b/k/m/g units (not Kubernetes quantities)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value > 0
    return isinstance(value, str) and _SIZE.fullmatch(value.strip().lower()) is not None


def check_limits(s: Service, ctx: Context) -> Iterator[Hit]:
    limits = _d(_d(_d(s.spec.get("deploy")).get("resources")).get("limits"))
    mem = s.spec.get("mem_limit", limits.get("memory"))
    cpus = s.spec.get("cpus", limits.get("cpus"))
    if mem is None:
        yield _hit(s, "no memory limit (mem_limit or deploy.resources.limits.memory)", "mem_limit")
    elif not _size(mem):
        yield _hit(s, f"memory limit {mem!r} is not a size", "mem_limit")
    if cpus is None:
        yield _hit(s, "no CPU limit (cpus or deploy.resources.limits.cpus)", "cpus")
    else:
        try:
            if parse_quantity(cpus) <= 0:
                raise QuantityError("not positive")
        except QuantityError:
            yield _hit(s, f"CPU limit {cpus!r} is not a positive number", "cpus")


def check_digest(s: Service, ctx: Context) -> Iterator[Hit]:
    image = s.spec.get("image")
    if isinstance(image, str) and not _DIGEST.search(image):
        yield _hit(s, f"image {image!r} is not pinned by digest", "image")
    elif image is None:
        yield _hit(s, "no image: (built locally, not from the registry)", "image")


def check_registry(s: Service, ctx: Context) -> Iterator[Hit]:
    image = s.spec.get("image")
    allowed = [str(x) for x in ctx.params.get("allowed_registries") or []]
    if isinstance(image, str) and not registry_allowed(image, allowed):
        yield _hit(s, f"image {image!r} is not from an allowed registry", "image")


def check_security_opt(s: Service, ctx: Context) -> Iterator[Hit]:
    for i, opt in enumerate(_l(s.spec.get("security_opt"))):
        text = str(opt).replace("=", ":")
        if text in ("seccomp:unconfined", "apparmor:unconfined", "label:disable"):
            yield _hit(s, f"security_opt {opt} disables a protection", f"security_opt[{i}]")


H, M = SeverityLevel.HIGH, SeverityLevel.MEDIUM
REF = ("hullcheck production profile", "CIS Docker Benchmark section 5")


def _rule(rid: str, title: str, sev: SeverityLevel, why: str, fix: str, fn: Any, **kw: Any) -> Rule:
    return Rule(rid, title, sev, why, fix, fn, REF, target="compose", **kw)


COMPOSE_RULES: tuple[Rule, ...] = (
    _rule("HC-DC-001", "Privileged compose service", H, "A privileged container can take over the host.",
          "Remove privileged: true.", check_privileged),
    _rule("HC-DC-002", "Host namespaces in compose", H, "Host network/PID/IPC namespaces break isolation.",
          "Remove network_mode/pid/ipc/userns_mode/uts: host.", check_host_namespaces),
    _rule("HC-DC-003", "Docker socket mounted", SeverityLevel.CRITICAL,
          "The Docker socket gives root on the host to whoever can reach it.", "Do not mount docker.sock.",
          check_docker_socket),
    _rule("HC-DC-004", "Host path bind mount", H, "Bind mounts expose the host filesystem.",
          "Use named volumes.", check_host_mounts),
    _rule("HC-DC-005", "Compose service runs as root", H, "Root in the container is root on the host after an escape.",
          "Set user: to a non-root UID.", check_user),
    _rule("HC-DC-006", "Compose root filesystem writable", M, "A read-only root filesystem resists tampering.",
          "Set read_only: true and use tmpfs for scratch.", check_read_only),
    _rule("HC-DC-007", "Compose capabilities", M, "Drop ALL capabilities; add only NET_BIND_SERVICE.",
          "Set cap_drop: [ALL].", check_capabilities),
    _rule("HC-DC-008", "Compose memory/CPU limits missing", M, "Unbounded services can starve the host.",
          "Set mem_limit and cpus (or deploy.resources.limits).", check_limits),
    _rule("HC-DC-009", "Compose image not pinned by digest", H, "Only a digest names exactly the checked image.",
          "Use image: name@sha256:<digest>.", check_digest),
    _rule("HC-DC-010", "Compose image from a registry that is not allowed", H,
          "Production images must come from the private registry.", "Push to an allowed registry.",
          check_registry, params={"allowed_registries": []}),
    _rule("HC-DC-011", "Compose security_opt disables protection", H,
          "seccomp/apparmor unconfined or label:disable remove kernel protections.", "Remove the option.",
          check_security_opt),
)
