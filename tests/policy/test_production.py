"""The production profile: each rule on a compliant workload and on one broken field."""

from __future__ import annotations

import datetime as dt

import pytest

from hullcheck.policy.config import Policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.manifests import Workload
from hullcheck.policy.production import image_registry, parse_bandwidth, registry_allowed
from hullcheck.policy.quantity import QuantityError
from hullcheck.policy.rules import LATEST

from .helpers import pod

DIGEST = "sha256:" + "a" * 64

PRODUCTION_DEPLOYMENT = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: prod}}
spec:
  template:
    metadata:
      annotations:
        kubernetes.io/ingress-bandwidth: 10M
        kubernetes.io/egress-bandwidth: 1Gi
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {{type: RuntimeDefault}}
      containers:
        - name: app
          image: registry.example.com/team/web@{DIGEST}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: "1", memory: 256Mi}}
"""

POLICY = Policy(parameters={"allowed_registries": ["registry.example.com"]})


def rules_hit(w: Workload, policy: Policy = POLICY) -> set[str]:
    return {v.rule for v in evaluate([w], policy, "production", LATEST).violations}


def test_compliant_deployment_passes_production_and_restricted() -> None:
    w = pod("", PRODUCTION_DEPLOYMENT)
    assert rules_hit(w) == set()
    assert evaluate([w], POLICY, "pss-restricted", LATEST).violations == ()


C = "spec: {template: {spec: {containers: [{%s}]}}}"
P = "spec: {template: {spec: {%s}}}"

CASES = [
    ("HC-K8S-040", C % f"image: 'docker.io/library/nginx@{DIGEST}'"),
    ("HC-K8S-040", C % f"image: 'registry.example.com.evil.io/web@{DIGEST}'"),
    ("HC-K8S-041", C % "image: registry.example.com/team/web:1.0"),
    ("HC-K8S-042", P % "securityContext: {runAsNonRoot: false, runAsUser: null}"),
    ("HC-K8S-042", C % "securityContext: {runAsUser: 0}"),
    ("HC-K8S-043", C % "securityContext: {readOnlyRootFilesystem: false}"),
    ("HC-K8S-044", C % "resources: {limits: {memory: null}}"),
    ("HC-K8S-044", C % "resources: {requests: {cpu: 100 m}}"),
    ("HC-K8S-045", "spec: {template: {metadata: {annotations: {kubernetes.io/egress-bandwidth: 10Mbps}}}}"),
    ("HC-K8S-045", "spec: {template: {metadata: {annotations: {kubernetes.io/ingress-bandwidth: null}}}}"),
    ("HC-K8S-046", C % "securityContext: {capabilities: {drop: [NET_RAW]}}"),
    ("HC-K8S-047", C % "securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}"),
    ("HC-K8S-048", P % "automountServiceAccountToken: true"),
    ("HC-K8S-002", P % "hostPID: true"),
    ("HC-K8S-003", C % "securityContext: {privileged: true}"),
    ("HC-K8S-005", P % "volumes: [{name: h, hostPath: {path: /var/run/docker.sock}}]"),
]


@pytest.mark.parametrize(("rule", "patch"), CASES)
def test_each_rule_catches_its_field(rule: str, patch: str) -> None:
    assert rules_hit(pod(patch, PRODUCTION_DEPLOYMENT)) == {rule}


def test_registry_parsing_follows_docker_reference_rules() -> None:
    assert image_registry("nginx") == "docker.io"
    assert image_registry("library/nginx:1") == "docker.io"
    assert image_registry("localhost:5000/a") == "localhost:5000"
    assert image_registry("ghcr.io/o/r@" + DIGEST) == "ghcr.io"
    assert registry_allowed("nginx", ["docker.io/library"])
    assert registry_allowed("registry.example.com/team/web:1", ["registry.example.com/team"])
    assert not registry_allowed("registry.example.com/teamX/web:1", ["registry.example.com/team"])


def test_bandwidth_bounds_of_the_kubelet() -> None:
    assert parse_bandwidth("1k") == 1000
    with pytest.raises(QuantityError, match="small"):
        parse_bandwidth("999")
    with pytest.raises(QuantityError, match="large"):
        parse_bandwidth("2P")


def test_at_most_n_distinct_images_across_documents() -> None:
    workloads = [pod(C % f"image: 'registry.example.com/team/app{i}@{DIGEST}'", PRODUCTION_DEPLOYMENT)
                 for i in range(4)]
    workloads.append(pod("", PRODUCTION_DEPLOYMENT))  # same image as ... none of the above: 5th distinct
    workloads.append(pod(C % f"image: 'registry.example.com/team/app0@{DIGEST}'", PRODUCTION_DEPLOYMENT))
    policy = Policy(parameters={"allowed_registries": ["registry.example.com"], "max_images": 3})
    result = evaluate(workloads, policy, "production", LATEST, dt.date(2026, 1, 1))
    over = [v for v in result.violations if v.rule == "HC-K8S-049"]
    # distinct images 4 and 5 are over the limit; a repeated image is not counted again
    assert [v.message.split("'")[1].rsplit("/", 1)[1].split("@")[0] for v in over] == ["app3", "web"]
