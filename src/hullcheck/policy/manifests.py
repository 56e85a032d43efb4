"""Kubernetes manifests -> normalised workloads (pod spec + metadata + where the pod spec sits).

Every workload kind that carries a pod template is reduced to the same shape, so rules see one
model and report fields as paths into the original document
(``spec.template.spec.containers[0].securityContext.privileged``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullcheck.errors import UsageError
from hullcheck.model.violation import ResourceRef
from hullcheck.policy.yamlload import MAX_BYTES, YamlError, load_documents

# kind -> path of the pod template (metadata + spec) inside the document; "" = the document itself
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "PodTemplate": ("template",),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")  # PSA's visiting order


class ManifestError(UsageError):
    """A manifest that cannot be read: one line naming the file (and line)."""


@dataclass(frozen=True)
class Container:
    name: str
    spec: dict[str, Any]
    path: str  # "spec.template.spec.containers[0]"
    list_name: str  # containers / initContainers / ephemeralContainers


@dataclass(frozen=True)
class Workload:
    """One pod-bearing object. ``pod_meta``/``pod_spec`` are the (template's) metadata and spec."""

    resource: ResourceRef
    metadata: dict[str, Any]  # the object's own metadata
    pod_meta: dict[str, Any]
    pod_spec: dict[str, Any]
    spec_path: str  # path of the pod spec: "spec.template.spec", "spec" for a Pod
    meta_path: str  # path of the pod metadata: "spec.template.metadata", "metadata" for a Pod
    containers: tuple[Container, ...] = field(default=())
    obj: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the whole object, as written

    @property
    def annotations(self) -> dict[str, Any]:
        a = self.pod_meta.get("annotations")
        return a if isinstance(a, dict) else {}


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _join(prefix: str, *parts: str) -> str:
    return ".".join(p for p in (prefix, *parts) if p)


def workload_from(doc: dict[str, Any], file: str = "", index: int = 0, prefix: str = "") -> Workload | None:
    """The workload in one object, or None when the kind carries no pod template."""
    kind = doc.get("kind")
    if not isinstance(kind, str) or kind not in POD_TEMPLATE_PATHS:
        return None
    meta = _dict(doc.get("metadata"))
    node: Any = doc
    for step in POD_TEMPLATE_PATHS[kind]:
        node = _dict(node).get(step)
    template = _dict(node)
    tpath = _join(prefix, *POD_TEMPLATE_PATHS[kind])
    pod_spec = _dict(template.get("spec"))
    pod_meta = _dict(template.get("metadata")) if kind != "Pod" else meta
    spec_path = _join(tpath, "spec")
    containers: list[Container] = []
    for list_name in CONTAINER_LISTS:
        items = pod_spec.get(list_name)
        if not isinstance(items, list):
            continue
        for i, c in enumerate(items):
            if isinstance(c, dict):
                name = c.get("name")
                containers.append(
                    Container(str(name) if name is not None else f"{list_name}[{i}]", c,
                              f"{spec_path}.{list_name}[{i}]", list_name)
                )
    ns = meta.get("namespace")
    name = meta.get("name")
    ref = ResourceRef(kind=kind, name=str(name) if name is not None else "",
                      namespace=str(ns) if ns is not None else "", file=file, document=index)
    return Workload(ref, meta, pod_meta, pod_spec, spec_path, _join(tpath, "metadata"), tuple(containers), doc)


def workloads_in(doc: Any, file: str = "", index: int = 0) -> Iterator[Workload]:
    """Workloads of one YAML document: the object itself or, for ``kind: List``, its items."""
    if not isinstance(doc, dict):
        return
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
        # a typed list straight from the API ("DeploymentList") leaves kind out of its items
        item_kind = kind[: -len("List")] if kind != "List" else None
        for i, item in enumerate(doc["items"]):
            if isinstance(item, dict) and item_kind and "kind" not in item:
                item = {**item, "kind": item_kind}
            w = workload_from(item, file, index, f"items[{i}]") if isinstance(item, dict) else None
            if w is not None:
                yield w
        return
    w = workload_from(doc, file, index)
    if w is not None:
        yield w


def load_file(path: Path) -> list[Any]:
    """The documents of one manifest file; a bad file raises ``ManifestError`` naming file and line."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)  # never more than the loader accepts, whatever the file's size
    except OSError as e:
        raise ManifestError(f"{path}: cannot read: {e.strerror or e}") from e
    try:
        return load_documents(data)
    except YamlError as e:
        where = f"{path}:{e.line}" if e.line else str(path)
        raise ManifestError(f"{where}: {e.message}") from e


def load_workloads(paths: list[Path], jobs: int | None = None) -> list[Workload]:
    """The Kubernetes workloads among the inputs (see ``hullcheck.policy.inputs``)."""
    from hullcheck.policy.inputs import load_inputs

    return list(load_inputs(paths, jobs).workloads)
