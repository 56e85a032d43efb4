"""Line numbers of violation fields, found by walking the file again."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullcheck.policy.config import Policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.inputs import load_inputs
from hullcheck.policy.locate import add_lines, node_lines, parse_field
from hullcheck.policy.rules import LATEST

MANIFEST = """\
apiVersion: v1
kind: Service
metadata: {name: s}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/app: unconfined
    spec:
      hostNetwork: true
      containers:
        - name: app
          image: nginx
          securityContext:
            privileged: true
"""


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("spec.containers[0].securityContext", ("spec", "containers", 0, "securityContext")),
        ("metadata.annotations['a.b/c']", ("metadata", "annotations", "a.b/c")),
        ("[0].HostConfig.Privileged", (0, "HostConfig", "Privileged")),
        ("items[2].spec", ("items", 2, "spec")),
        ("line 3: RUN", None),
        ("", None),
    ],
)
def test_parse_field(field: str, path: tuple | None) -> None:
    assert parse_field(field) == path


def test_lines_of_present_and_absent_fields(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text(MANIFEST)
    lines = MANIFEST.splitlines()

    def line_with(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    inputs = load_inputs([f])
    result = evaluate(inputs.workloads, Policy(), "pss-restricted", LATEST)
    got = {v.rule: v.line for v in add_lines(result.violations)}
    assert got["HC-K8S-002"] == line_with("hostNetwork")
    assert got["HC-K8S-003"] == line_with("privileged: true")
    assert got["HC-K8S-007"] == line_with("container.apparmor")
    # absent fields point at the nearest present ancestor: the container's securityContext
    assert got["HC-K8S-021"] == got["HC-K8S-025"] == line_with("securityContext:")


def test_documents_are_counted_like_the_loader() -> None:
    from hullcheck.policy.yamlload import load_documents

    text = "---\n---\na: 1\n---\nb:\n  - x\n"
    docs = load_documents(text)
    lines = node_lines(text)
    assert docs.index({"a": 1}) == 1 and lines[1][("a",)] == 3
    assert docs.index({"b": ["x"]}) == 2 and lines[2][("b", 0)] == 6


def test_parallel_line_lookup_matches_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hullcheck.policy.locate as loc

    for i in range(4):
        (tmp_path / f"m{i}.yaml").write_text(MANIFEST)
    inputs = load_inputs([tmp_path])
    violations = evaluate(inputs.workloads, Policy(), "pss-restricted", LATEST).violations
    serial = add_lines(violations, jobs=1)
    monkeypatch.setattr(loc, "PARALLEL_MIN_BYTES", 0)
    assert add_lines(violations, jobs=2) == serial
    assert all(v.line for v in serial) and len(serial) == 4 * 7
