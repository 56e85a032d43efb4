"""Policy files, modes and exceptions (with expiry) applied by the engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hullcheck.model.violation import Mode
from hullcheck.policy.config import PolicyFileError, load_policy, parse_policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.rules import LATEST
from hullcheck.policy.yamlload import load_documents

from .helpers import pod

PRIVILEGED_TWO = pod("""
metadata: {name: p, namespace: ns}
spec:
  containers:
    - {securityContext: {privileged: true}}
    - {name: side, image: s, securityContext: {privileged: true, allowPrivilegeEscalation: false,
       capabilities: {drop: [ALL]}}}
""")

POLICY = """
apiVersion: hullcheck.dev/v1
kind: Policy
profile: pss-baseline
k8sVersion: v1.30
mode: enforce
rules:
  HC-K8S-002: {mode: warn}
  HC-K8S-006: {enabled: false}
parameters:
  allowed_registries: [registry.example.com]
exceptions:
  - rule: HC-K8S-003
    resource: {kind: Pod, namespace: ns, name: p}
    container: side
    reason: needs device access until the CSI driver lands
    owner: team-storage
    expires: 2026-06-30
"""


def test_policy_file_parses(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text(POLICY)
    p = load_policy(f)
    assert (p.profile, p.k8s_version, p.mode) == ("pss-baseline", "v1.30", Mode.ENFORCE)
    assert p.mode_of("HC-K8S-002") is Mode.WARN and p.mode_of("HC-K8S-003") is Mode.ENFORCE
    assert p.disabled == {"HC-K8S-006"}
    assert p.params_for("HC-K8S-040") == {"allowed_registries": ["registry.example.com"]}
    (e,) = p.exceptions
    assert (e.rule, e.kind, e.namespace, e.name, e.container, e.expires) == (
        "HC-K8S-003", "Pod", "ns", "p", "side", dt.date(2026, 6, 30))


def test_valid_exception_covers_only_its_container() -> None:
    p = parse_policy(load_documents(POLICY)[0])
    r = evaluate([PRIVILEGED_TWO], p, "pss-baseline", (1, 30), today=dt.date(2026, 6, 30))
    by_container = {v.container: v for v in r.violations}
    assert by_container["side"].excepted and by_container["side"].exception.owner == "team-storage"
    assert not by_container["app"].excepted
    assert [v.container for v in r.failing] == ["app"]
    assert r.expired_exceptions == ()


def test_expired_exception_stops_applying_and_is_reported() -> None:
    p = parse_policy(load_documents(POLICY)[0])
    r = evaluate([PRIVILEGED_TWO], p, "pss-baseline", (1, 30), today=dt.date(2026, 7, 1))
    assert sorted(v.container for v in r.failing) == ["app", "side"]
    side = next(v for v in r.violations if v.container == "side")
    assert side.exception is not None and side.exception.expired
    assert [e.owner for e in r.expired_exceptions] == ["team-storage"]


def test_modes_and_disabled_rules() -> None:
    p = parse_policy(load_documents(POLICY)[0])
    w = pod("spec: {hostNetwork: true, containers: [{ports: [{containerPort: 1, hostPort: 1}]}]}")
    r = evaluate([w], p, "pss-baseline", LATEST)
    assert [(v.rule, v.mode) for v in r.violations] == [("HC-K8S-002", Mode.WARN)]
    assert r.failing == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: v1\n", "apiVersion must be hullcheck.dev/v1"),
        ("apiVersion: hullcheck.dev/v1\nprofile: nope\n", "unknown profile"),
        ("apiVersion: hullcheck.dev/v1\nmode: block\n", "mode must be"),
        ("apiVersion: hullcheck.dev/v1\nrules: {HC-XXX-1: {mode: warn}}\n", "unknown rule"),
        ("apiVersion: hullcheck.dev/v1\nexceptions: [{rule: HC-K8S-003, owner: a, expires: 2026-01-01}]\n",
         "reason is required"),
        ("apiVersion: hullcheck.dev/v1\nexceptions: [{rule: HC-K8S-003, reason: r, owner: a, expires: soon}]\n",
         "expires must be a date"),
        ("apiVersion: hullcheck.dev/v1\nprofiles: x\n", "unknown field"),
    ],
)
def test_bad_policy_files_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(PolicyFileError, match=message):
        parse_policy(load_documents(text)[0])
