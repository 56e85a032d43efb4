"""Custom CEL rules, written the way ValidatingAdmissionPolicy validations are."""

from __future__ import annotations

import pytest

from hullcheck.model.violation import Mode
from hullcheck.policy.config import PolicyFileError, parse_policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.manifests import workloads_in
from hullcheck.policy.rules import LATEST
from hullcheck.policy.yamlload import load_documents

POLICY = """
apiVersion: hullcheck.dev/v1
profile: pss-baseline
customRules:
  - id: ORG-001
    title: Deployments need at least 2 replicas
    severity: low
    kinds: [Deployment]
    expression: "has(object.spec.replicas) && object.spec.replicas >= 2"
    mode: warn
  - id: ORG-002
    title: Images come from the company registry
    severity: high
    message: every container image must come from registry.example.com
    expression: "containers.all(c, c.image.startsWith('registry.example.com/'))"
  - id: ORG-003
    title: team label
    expression: "podMetadata.labels.team != ''"
"""

MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: one}
spec:
  replicas: 1
  template:
    metadata: {labels: {team: shop}}
    spec:
      initContainers: [{name: init, image: docker.io/busybox}]
      containers: [{name: app, image: registry.example.com/app}]
---
apiVersion: v1
kind: Pod
metadata: {name: solo, labels: {team: ops}}
spec:
  containers: [{name: app, image: registry.example.com/app}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: nolabels}
spec: {template: {spec: {containers: [{name: app, image: registry.example.com/job}]}}}
"""


def run() -> dict[tuple[str, str], tuple[str, Mode]]:
    policy = parse_policy(load_documents(POLICY)[0])
    workloads = [w for i, d in enumerate(load_documents(MANIFESTS)) for w in workloads_in(d, "m.yaml", i)]
    result = evaluate(workloads, policy, "pss-baseline", LATEST)
    return {(v.rule, v.resource.name): (v.message, v.mode) for v in result.violations}


def test_custom_rules_see_object_containers_and_pod_metadata() -> None:
    got = run()
    assert set(got) == {("ORG-001", "one"), ("ORG-002", "one"), ("ORG-003", "nolabels")}
    # only Deployments are subject to ORG-001; it is in warn mode
    assert got[("ORG-001", "one")][1] is Mode.WARN
    # the custom message is used; init containers are part of `containers`
    assert got[("ORG-002", "one")] == ("every container image must come from registry.example.com", Mode.ENFORCE)
    # a missing field is an evaluation error, which fails closed
    assert "could not be evaluated" in got[("ORG-003", "nolabels")][0]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{id: X-1, expression: 'object.spec.('}", "invalid CEL expression"),
        ("{id: HC-K8S-999, expression: 'true'}", "reserved"),
        ("{id: X-1}", "expression is required"),
        ("{id: X-1, expression: 'true', severity: huge}", "unknown severity"),
    ],
)
def test_bad_custom_rules_are_policy_errors(rule: str, message: str) -> None:
    with pytest.raises(PolicyFileError, match=message):
        parse_policy(load_documents(f"apiVersion: hullcheck.dev/v1\ncustomRules: [{rule}]\n")[0])


def test_non_boolean_result_is_a_violation() -> None:
    policy = parse_policy(load_documents("apiVersion: hullcheck.dev/v1\ncustomRules: [{id: X-2, expression: '1 + 1'}]\n")[0])
    (w,) = workloads_in(load_documents("kind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")[0])
    (v,) = evaluate([w], policy, "pss-baseline", LATEST).violations
    assert v.rule == "X-2" and "not bool" in v.message
