"""The ``production`` profile: what production workloads must meet, checked from their manifests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from hullcheck.model.finding import SeverityLevel
from hullcheck.policy.manifests import Workload
from hullcheck.policy.pss import _d, _l, csc, pod_sc
from hullcheck.policy.quantity import QuantityError, parse_quantity
from hullcheck.policy.rules import Context, Hit, Rule

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\Z")


def image_registry(image: str) -> str:
    """The registry host of an image reference, Docker's way: the first component names a registry
    only when it has a '.' or ':' or is 'localhost'; otherwise the image is on docker.io."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


def _repository(image: str) -> str:
    """The image without tag or digest, with its registry spelled out."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name = name[:colon]
    reg = image_registry(image)
    if reg == "docker.io" and not name.startswith("docker.io/"):
        name = "docker.io/" + (name if "/" in name else "library/" + name)
    return name


def registry_allowed(image: str, allowed: list[str]) -> bool:
    """True when the image's repository is under one allowed entry: ``registry.example.com`` or
    ``registry.example.com/team`` (a path prefix, matched at a '/' boundary)."""
    repo = _repository(image)
    for entry in allowed:
        e = entry.rstrip("/").lower()
        if repo.lower() == e or repo.lower().startswith(e + "/"):
            return True
    return False


def _images(w: Workload) -> Iterator[tuple[Any, str, str]]:
    for c in w.containers:
        yield c.spec.get("image"), f"{c.path}.image", c.name


def check_registry(w: Workload, ctx: Context) -> Iterator[Hit]:
    allowed = [str(x) for x in ctx.params.get("allowed_registries") or []]
    for image, field, name in _images(w):
        if not isinstance(image, str) or not image:
            yield Hit(f"container {name!r} has no image", field, name)
        elif not registry_allowed(image, allowed):
            shown = ", ".join(allowed) if allowed else "none configured"
            yield Hit(f"image {image!r} is not from an allowed registry ({shown})", field, name)


def check_digest(w: Workload, ctx: Context) -> Iterator[Hit]:
    for image, field, name in _images(w):
        if isinstance(image, str) and not _DIGEST.search(image):
            yield Hit(f"image {image!r} is not pinned by digest (@sha256:...)", field, name)


def check_non_root(w: Workload, ctx: Context) -> Iterator[Hit]:
    """Effective settings: a container's securityContext overrides the pod's."""
    psc = pod_sc(w)
    for c in w.containers:
        sc = csc(c)
        non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        uid = sc.get("runAsUser", psc.get("runAsUser"))
        if type(uid) is int and uid == 0:
            yield Hit(f"container {c.name!r} runs as UID 0", f"{c.path}.securityContext.runAsUser", c.name)
        elif non_root is not True and not (type(uid) is int and uid > 0):
            yield Hit(f"container {c.name!r} may run as root: set runAsNonRoot: true or a non-zero runAsUser",
                      f"{c.path}.securityContext.runAsNonRoot", c.name)


def check_read_only_root(w: Workload, ctx: Context) -> Iterator[Hit]:
    for c in w.containers:
        if csc(c).get("readOnlyRootFilesystem") is not True:
            yield Hit(f"container {c.name!r} must set securityContext.readOnlyRootFilesystem=true",
                      f"{c.path}.securityContext.readOnlyRootFilesystem", c.name)


def check_resources(w: Workload, ctx: Context) -> Iterator[Hit]:
    """CPU and memory requests and limits, each a valid quantity (ephemeral containers cannot have any)."""
    for c in w.containers:
        if c.list_name == "ephemeralContainers":
            continue
        res = _d(c.spec.get("resources"))
        for section in ("requests", "limits"):
            values = _d(res.get(section))
            for resource in ("cpu", "memory"):
                field = f"{c.path}.resources.{section}.{resource}"
                if values.get(resource) is None:
                    yield Hit(f"container {c.name!r} has no {resource} {section[:-1]}", field, c.name)
                    continue
                try:
                    parse_quantity(values[resource])
                except QuantityError as e:
                    yield Hit(f"container {c.name!r}: {e}", field, c.name)


BANDWIDTH_ANNOTATIONS = ("kubernetes.io/ingress-bandwidth", "kubernetes.io/egress-bandwidth")
# the kubelet's bandwidth shaping refuses values below 1k and above 1P (bits per second)
BANDWIDTH_MIN = parse_quantity("1k")
BANDWIDTH_MAX = parse_quantity("1P")


def parse_bandwidth(value: Any) -> Fraction:
    q = parse_quantity(value)
    if q < BANDWIDTH_MIN:
        raise QuantityError(f"bandwidth {value!r} is unreasonably small (< 1kbit)")
    if q > BANDWIDTH_MAX:
        raise QuantityError(f"bandwidth {value!r} is unreasonably large (> 1Pbit)")
    return q


def check_bandwidth(w: Workload, ctx: Context) -> Iterator[Hit]:
    ann = w.annotations
    for key in BANDWIDTH_ANNOTATIONS:
        field = f"{w.meta_path}.annotations['{key}']"
        if key not in ann:
            yield Hit(f"pod has no {key} annotation", field)
            continue
        try:
            parse_bandwidth(ann[key])
        except QuantityError as e:
            yield Hit(f"annotation {key}: {e}", field)


def check_drop_all(w: Workload, ctx: Context) -> Iterator[Hit]:
    for c in w.containers:
        if "ALL" not in _l(_d(csc(c).get("capabilities")).get("drop")):
            yield Hit(f"container {c.name!r} must drop ALL capabilities",
                      f"{c.path}.securityContext.capabilities.drop", c.name)


def check_seccomp_runtime_default(w: Workload, ctx: Context) -> Iterator[Hit]:
    pod_type = _d(pod_sc(w).get("seccompProfile")).get("type")
    for c in w.containers:
        prof = csc(c).get("seccompProfile")
        t = _d(prof).get("type") if prof is not None else pod_type
        if t != "RuntimeDefault":
            yield Hit(f"container {c.name!r} runs with seccomp profile {t or 'unset'}, not RuntimeDefault",
                      f"{c.path}.securityContext.seccompProfile.type", c.name)


def check_automount(w: Workload, ctx: Context) -> Iterator[Hit]:
    if w.pod_spec.get("automountServiceAccountToken") is not False:
        yield Hit("pod must set automountServiceAccountToken: false", f"{w.spec_path}.automountServiceAccountToken")


def check_distinct_images(w: Workload, ctx: Context) -> Iterator[Hit]:
    """At most ``max_images`` distinct images across all checked documents; every container whose image is
    beyond the first ``max_images`` distinct ones (in file order) is reported. The engine evaluates this rule
    over all workloads at once (see ``engine._distinct_image_hits``); per workload there is nothing to do."""
    return iter(())


H, M = SeverityLevel.HIGH, SeverityLevel.MEDIUM
PROD = ("hullcheck production profile",)

PRODUCTION_RULES: tuple[Rule, ...] = (
    Rule("HC-K8S-040", "Image from a registry that is not allowed", H,
         "Production images must come from the private registry, where they are scanned and signed.",
         "Push the image to an allowed registry and reference it there.", check_registry, PROD,
         params={"allowed_registries": []}),
    Rule("HC-K8S-041", "Image not pinned by digest", H,
         "A tag can be moved; only a digest names exactly the image that was checked.",
         "Reference the image as name@sha256:<digest>.", check_digest, PROD),
    Rule("HC-K8S-042", "Container may run as root", H,
         "A process running as root in the container is root on the host if it escapes.",
         "Set runAsNonRoot: true (and a non-zero runAsUser) on the pod or container.", check_non_root,
         (*PROD, "CIS Kubernetes 5.2.6")),
    Rule("HC-K8S-043", "Root filesystem writable", M,
         "A read-only root filesystem stops an attacker from changing binaries and configuration.",
         "Set securityContext.readOnlyRootFilesystem: true; mount emptyDir for scratch space.",
         check_read_only_root, PROD),
    Rule("HC-K8S-044", "CPU or memory requests/limits missing", M,
         "Without requests and limits one workload can starve the node.",
         "Set resources.requests and resources.limits for cpu and memory.", check_resources, PROD),
    Rule("HC-K8S-045", "Network bandwidth limits missing", M,
         "Ingress and egress bandwidth annotations bound what one pod can send and receive.",
         "Annotate the pod template with kubernetes.io/ingress-bandwidth and kubernetes.io/egress-bandwidth "
         "(e.g. 10M).", check_bandwidth, PROD),
    Rule("HC-K8S-046", "Capabilities not dropped", M,
         "Dropping ALL capabilities removes kernel privileges the workload does not need.",
         "Set securityContext.capabilities.drop: [\"ALL\"].", check_drop_all, PROD),
    Rule("HC-K8S-047", "Seccomp not RuntimeDefault", M,
         "The runtime's default seccomp profile blocks dangerous system calls.",
         "Set securityContext.seccompProfile.type: RuntimeDefault.", check_seccomp_runtime_default, PROD),
    Rule("HC-K8S-048", "Service account token mounted", M,
         "A mounted token lets a compromised container talk to the API server.",
         "Set automountServiceAccountToken: false in the pod spec.", check_automount, (*PROD, "CIS Kubernetes 5.1.6")),
    Rule("HC-K8S-049", "Too many distinct images", SeverityLevel.LOW,
         "Every distinct production image must be patched and scanned; fewer images, less to keep current.",
         "Consolidate workloads onto fewer images.", check_distinct_images, PROD, params={"max_images": 20}),
)
