"""Manifest loading: every workload kind, List, multi-document files, directories, bad YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullcheck.policy.manifests import POD_TEMPLATE_PATHS, ManifestError, load_workloads

POD_SPEC = "containers: [{name: app, image: nginx, securityContext: {privileged: true}}]"

# real-shaped manifests: where the pod spec sits in each kind (Kubernetes API reference)
KINDS = {
    "Pod": ("v1", f"spec: {{{POD_SPEC}}}", "spec"),
    "PodTemplate": ("v1", f"template: {{metadata: {{labels: {{a: b}}}}, spec: {{{POD_SPEC}}}}}", "template.spec"),
    "Deployment": ("apps/v1", f"spec: {{replicas: 2, selector: {{matchLabels: {{a: b}}}}, template: "
                   f"{{metadata: {{labels: {{a: b}}}}, spec: {{{POD_SPEC}}}}}}}", "spec.template.spec"),
    "StatefulSet": ("apps/v1", f"spec: {{serviceName: s, template: {{spec: {{{POD_SPEC}}}}}}}", "spec.template.spec"),
    "DaemonSet": ("apps/v1", f"spec: {{template: {{spec: {{{POD_SPEC}}}}}}}", "spec.template.spec"),
    "ReplicaSet": ("apps/v1", f"spec: {{template: {{spec: {{{POD_SPEC}}}}}}}", "spec.template.spec"),
    "ReplicationController": ("v1", f"spec: {{template: {{spec: {{{POD_SPEC}}}}}}}", "spec.template.spec"),
    "Job": ("batch/v1", f"spec: {{backoffLimit: 1, template: {{spec: {{restartPolicy: Never, {POD_SPEC}}}}}}}",
            "spec.template.spec"),
    "CronJob": ("batch/v1", f"spec: {{schedule: '* * * * *', jobTemplate: {{spec: {{template: "
                f"{{spec: {{{POD_SPEC}}}}}}}}}}}", "spec.jobTemplate.spec.template.spec"),
}


def test_every_workload_kind_is_covered() -> None:
    assert set(KINDS) == set(POD_TEMPLATE_PATHS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_normalises_to_its_pod_spec(kind: str, tmp_path: Path) -> None:
    api, body, spec_path = KINDS[kind]
    f = tmp_path / "m.yaml"
    f.write_text(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x, namespace: ns}}\n{body}\n")
    (w,) = load_workloads([f])
    assert (w.resource.kind, w.resource.name, w.resource.namespace) == (kind, "x", "ns")
    assert w.spec_path == spec_path
    (c,) = w.containers
    assert c.path == f"{spec_path}.containers[0]"
    assert c.spec["securityContext"]["privileged"] is True


def test_list_multi_document_and_non_workloads(tmp_path: Path) -> None:
    f = tmp_path / "all.yaml"
    f.write_text("""
apiVersion: v1
kind: Service
metadata: {name: svc}
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: cm}}
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: i}]}}
  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: b}, spec: {template: {spec: {containers: []}}}}
---
---
apiVersion: v1
kind: Pod
metadata: {name: last}
spec: {containers: [{name: c, image: i}]}
""")
    ws = load_workloads([f])
    assert [(w.resource.name, w.resource.document, w.spec_path) for w in ws] == [
        ("a", 1, "items[1].spec"), ("b", 1, "items[2].spec.template.spec"), ("last", 3, "spec")]


def test_typed_list_items_take_their_kind_from_the_list(tmp_path: Path) -> None:
    f = tmp_path / "deployments.yaml"
    f.write_text("apiVersion: apps/v1\nkind: DeploymentList\nitems:\n"
                 "  - metadata: {name: d1}\n    spec: {template: {spec: {containers: [{name: c, image: i}]}}}\n")
    (w,) = load_workloads([f])
    assert (w.resource.kind, w.resource.name, w.spec_path) == ("Deployment", "d1", "items[0].spec.template.spec")


def test_directories_are_walked_in_order_and_other_files_skipped(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.yml").write_text("kind: Pod\nmetadata: {name: z}\nspec: {containers: []}\n")
    (tmp_path / "a.json").write_text('{"kind": "Pod", "metadata": {"name": "j"}, "spec": {"containers": []}}')
    (tmp_path / "notes.txt").write_text("kind: Pod\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("kind: Pod\nmetadata: {name: hidden}\n")
    assert [w.resource.name for w in load_workloads([tmp_path])] == ["j", "z"]


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("kind: Pod\nmetadata:\n  name: [x\nspec: {}\n")
    with pytest.raises(ManifestError) as e:
        load_workloads([f])
    assert e.value.diagnostics().startswith(f"{f}:4: invalid YAML")
    assert e.value.exit_code == 2


def test_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    from hullcheck.policy.yamlload import MAX_BYTES

    f = tmp_path / "huge.yaml"
    with f.open("wb") as fh:
        fh.truncate(MAX_BYTES * 4)  # sparse: costs no disk
    with pytest.raises(ManifestError, match="larger than"):
        load_workloads([f])


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no such file"):
        load_workloads([tmp_path / "nope.yaml"])


def test_parallel_loading_gives_the_serial_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hullcheck.policy.inputs as m

    for i in range(6):
        (tmp_path / f"f{i}.yaml").write_text("".join(
            f"---\nkind: Pod\nmetadata: {{name: p{i}-{j}}}\nspec: {{containers: [{{name: c, image: i}}]}}\n"
            for j in range(3)))
    serial = load_workloads([tmp_path], jobs=1)
    monkeypatch.setattr(m, "PARALLEL_MIN_BYTES", 0)
    parallel = load_workloads([tmp_path], jobs=2)
    assert parallel == serial and len(serial) == 18
    (tmp_path / "f3.yaml").write_text("kind: Pod\nspec: [\n")
    with pytest.raises(ManifestError, match=r"f3\.yaml:3"):
        load_workloads([tmp_path], jobs=2)
