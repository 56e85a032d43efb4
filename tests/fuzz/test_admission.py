"""The AdmissionReview parser (admission/review.py) and the decision on what it accepts
(admission/decide.py, through the policy engine), on hostile request bodies.

Seeds are the recorded payloads of tests/admission/fixtures (real kube-apiserver shapes: Pod,
Deployment, CronJob, UPDATE with oldObject, DELETE, CONNECT, v1 and v1beta1).

Contract: ``read_review`` returns an ``AdmissionRequest`` or raises ``AdmissionError`` with one
line, within a bounded time; for whatever it accepts, ``decide`` and ``response`` never raise and
give a JSON-serialisable AdmissionReview that echoes the uid and apiVersion, with ``allowed`` a
bool and a 403 status exactly when denied.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hullcheck.admission.decide import Settings, decide, response
from hullcheck.admission.review import MAX_DEPTH, AdmissionError, AdmissionRequest, read_review
from hullcheck.policy.config import Policy, load_policy
from hullcheck.policy.rules import parse_version
from tests.fuzz._util import CUT, EDITS, JUNK, json_mutations, mutate_bytes, within
from tests.fuzz.conftest import fuzz

FIXTURES = Path(__file__).resolve().parents[1] / "admission" / "fixtures"
SEEDS = {p.name: p.read_bytes() for p in sorted(FIXTURES.glob("*.json"))}
SEED_DOCS = {k: json.loads(v) for k, v in SEEDS.items()}
_pol = load_policy(FIXTURES / "policy.yaml")
SETTINGS = [
    Settings(_pol, _pol.profile, parse_version(_pol.k8s_version)),
    Settings(Policy(), "production", parse_version(None)),
    Settings(Policy(), "pss-baseline", parse_version("v1.22")),
]
SEED_NAMES = st.sampled_from(sorted(SEEDS))
SETTING = st.sampled_from(SETTINGS)


def _parse(body: bytes) -> AdmissionRequest | None:
    try:
        return within(10, lambda: read_review(body))
    except AdmissionError as e:
        msg = e.diagnostics()
        assert msg and "\n" not in msg and len(msg) < 400
        return None


def _check_decision(req: AdmissionRequest, settings: Settings) -> None:
    review = within(10, lambda: response(req, decide(req, settings)))
    json.dumps(review, allow_nan=False)  # what the server sends must encode
    assert review["apiVersion"] == req.api_version and review["kind"] == "AdmissionReview"
    out = review["response"]
    assert out["uid"] == req.uid and isinstance(out["allowed"], bool)
    assert ("status" in out) is (not out["allowed"])
    if not out["allowed"]:
        assert out["status"]["code"] == 403 and "\n" not in out["status"]["message"]
    assert all(isinstance(w, str) and len(w) <= 256 for w in out.get("warnings", []))


def _contract(body: bytes, settings: Settings) -> None:
    req = _parse(body)
    if req is not None:
        _check_decision(req, settings)


@fuzz(2)
@given(name=SEED_NAMES, doc=st.data(), settings=SETTING)
def test_mutated_reviews(name: str, doc: st.DataObject, settings: Settings) -> None:
    """1-4 nodes anywhere in a real review (the object's pod spec included) replaced by junk or deleted."""
    mutated = doc.draw(json_mutations(SEED_DOCS[name]))
    _contract(json.dumps(mutated).encode(), settings)


# the nodes the policy rules read, where junk is most likely to reach a check that trusts a type
POD_PATHS = [
    ("spec",), ("spec", "containers"), ("spec", "containers", 0), ("spec", "containers", 0, "securityContext"),
    ("spec", "containers", 0, "securityContext", "privileged"), ("spec", "containers", 0, "ports"),
    ("spec", "containers", 0, "resources"), ("spec", "containers", 0, "image"), ("spec", "securityContext"),
    ("spec", "volumes"), ("spec", "volumes", 0), ("spec", "hostNetwork"), ("metadata",), ("metadata", "annotations"),
    ("metadata", "namespace"), ("metadata", "name"), ("kind",), ("spec", "initContainers"),
    ("spec", "containers", 0, "securityContext", "capabilities"), ("spec", "securityContext", "seccompProfile"),
]


@fuzz(2)
@given(path=st.sampled_from(POD_PATHS), value=JUNK | st.just([None]) | st.just([{"name": None}]), settings=SETTING,
       op=st.sampled_from(["CREATE", "UPDATE"]))
def test_junk_in_the_pod_spec(path: tuple[Any, ...], value: Any, settings: Settings, op: str) -> None:
    doc = json.loads(json.dumps(SEED_DOCS["pod-create-privileged.v1.json"]))
    req = doc["request"]
    req["operation"] = op
    req["oldObject"] = json.loads(json.dumps(req["object"])) if op == "UPDATE" else None
    node = req["object"]
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    _contract(json.dumps(doc).encode(), settings)


@fuzz(2)
@given(name=SEED_NAMES, edits=EDITS, cut=CUT)
def test_mutated_bytes(name: str, edits: list[tuple[float, bytes, int]], cut: float | None) -> None:
    _contract(mutate_bytes(SEEDS[name], edits, cut), SETTINGS[0])


JSONISH = st.lists(
    st.sampled_from(['{', '}', '[', ']', ',', ':', '"', '\\', '"uid"', '"request"', '"apiVersion"', 'null', 'true',
                     '1e999', '-0', '"admission.k8s.io/v1"', '"AdmissionReview"', '\\u0000', '\\ud800', ' ', 'NaN']),
    max_size=60,
).map("".join)


@fuzz(4)
@given(text=JSONISH | st.text(max_size=200))
@example(text='{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "\\ud800"}}')
def test_token_soup(text: str) -> None:
    _contract(text.encode("utf-8", "surrogatepass"), SETTINGS[0])


@fuzz(1)
@given(depth=st.integers(MAX_DEPTH - 3, MAX_DEPTH * 4), opener=st.sampled_from(['[', '{"a":']),
       inside=st.sampled_from(["", '"x"', '"' + "[" * 200 + '"']))
def test_deep_nesting_inside_a_real_review(depth: int, opener: str, inside: str) -> None:
    """A deep value planted in the object: refused (if over the limit) before json.loads recurses."""
    closer = "]" if opener == "[" else "}"
    deep = opener * depth + (inside or "1") + closer * depth
    body = SEEDS["pod-create-privileged.v1.json"].replace(b'"status": {}', f'"status": {deep}'.encode(), 1)
    req = _parse(body)
    # the planted value sits 3 levels down (review > request > object > status)
    assert (req is None) is (depth + 3 > MAX_DEPTH)
    if req is not None:
        _check_decision(req, SETTINGS[0])


# Crashes found by this harness, kept as regressions: a list or mapping where the rules expect a
# string made `value in frozenset(...)` raise TypeError (unhashable) in pss.py, so `hullcheck check`
# exited 5 and the webhook answered 500 instead of a denial.
UNHASHABLE = [
    ("spec.securityContext.seccompProfile", {"type": ["RuntimeDefault"]}, "HC-K8S-024"),
    ("spec.containers.0.securityContext.seccompProfile", {"type": {"a": 1}}, "HC-K8S-024"),
    ("spec.securityContext.appArmorProfile", {"type": ["Unconfined"]}, "HC-K8S-007"),
    ("spec.containers.0.securityContext.seLinuxOptions", {"type": ["spc_t"]}, "HC-K8S-008"),
    ("spec.securityContext.sysctls", [{"name": ["kernel.msgmax"], "value": "1"}], "HC-K8S-011"),
    ("spec.containers.0.securityContext.capabilities", {"add": [["SYS_ADMIN"]], "drop": ["ALL"]}, "HC-K8S-025"),
]


@pytest.mark.parametrize(("path", "value", "rule"), UNHASHABLE)
def test_regression_unhashable_values_are_violations_not_crashes(path: str, value: Any, rule: str) -> None:
    doc = json.loads(json.dumps(SEED_DOCS["deployment-create-restricted.v1.json"]))
    node = doc["request"]["object"]["spec"]["template"]
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node[k]
    node[keys[-1]] = value
    d = decide(read_review(json.dumps(doc).encode()), Settings(Policy(), "pss-restricted", parse_version(None)))
    assert not d.allowed and rule in {v.rule for v in d.violations}
