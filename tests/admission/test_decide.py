"""Admission decisions on the recorded payloads: the verdict must be what `hullcheck check` says about
the same object under the same policy (enforce -> denied, warn -> warnings, audit -> annotations)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from hullcheck.admission.decide import (
    MAX_WARNING,
    MAX_WARNINGS,
    Settings,
    _annotation_key,
    decide,
    prepared_object,
    response,
)
from hullcheck.admission.review import read_review
from hullcheck.policy import pss
from hullcheck.policy.catalog import RULES
from hullcheck.policy.config import PolicyException, PolicyFileError, load_policy, parse_policy
from hullcheck.policy.rules import parse_version

FIXTURES = Path(__file__).parent / "fixtures"
POLICY = FIXTURES / "policy.yaml"
EVALUATED = [
    "pod-create-privileged.v1.json",
    "deployment-create-restricted.v1.json",
    "deployment-create-hostnetwork-dryrun.v1beta1.json",
    "pod-create-warn-audit.v1.json",
    "cronjob-create-capability.v1.json",
]
PRIVILEGED_RULE = next(r.id for r in RULES.values() if r.check is pss.check_privileged)


def _settings(**changes: object) -> Settings:
    pol = dataclasses.replace(load_policy(POLICY), **changes)  # type: ignore[arg-type]
    return Settings(pol, pol.profile, parse_version(pol.k8s_version))


def _req(name: str, edit: dict | None = None):
    doc = json.loads((FIXTURES / name).read_text())
    for path, value in (edit or {}).items():
        node = doc
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        node[keys[-1]] = value
    return read_review(json.dumps(doc).encode())


@pytest.mark.parametrize("name", EVALUATED)
def test_verdict_matches_hullcheck_check_on_the_same_object(name: str, run_cli, tmp_path: Path) -> None:
    req = _req(name)
    obj_file = tmp_path / "object.json"
    obj_file.write_text(json.dumps(prepared_object(req)))
    cli = run_cli("check", "--policy", str(POLICY), "-f", "json", str(obj_file))
    assert cli.returncode in (0, 1), cli.stderr
    found = [v for v in json.loads(cli.stdout)["violations"] if not v["excepted"]]
    by_mode = {m: sorted({v["rule"] for v in found if v["mode"] == m}) for m in ("enforce", "warn", "audit")}

    d = decide(req, _settings())
    out = response(req, d)["response"]
    assert out["allowed"] is (not by_mode["enforce"]) and cli.returncode == (1 if by_mode["enforce"] else 0)
    denied_rules = sorted(set(re.findall(r"\bHC-[A-Z0-9]+-\d+\b", out.get("status", {}).get("message", ""))))
    assert denied_rules == by_mode["enforce"]
    assert sorted({w.split()[0] for w in out.get("warnings", [])}) == by_mode["warn"]
    assert sorted(k.removeprefix("violation.") for k in out.get("auditAnnotations", {})) == by_mode["audit"]


def test_privileged_pod_is_denied_with_403_and_the_uid_echoed() -> None:
    req = _req("pod-create-privileged.v1.json")
    review = response(req, decide(req, _settings()))
    assert review["apiVersion"] == "admission.k8s.io/v1" and review["kind"] == "AdmissionReview"
    out = review["response"]
    assert out["uid"] == req.uid and out["allowed"] is False
    status = out["status"]
    assert status["code"] == 403 and status["reason"] == "Forbidden"
    assert "Pod team-a/debug-shell" in status["message"] and PRIVILEGED_RULE in status["message"]
    assert "\n" not in status["message"]


def test_v1beta1_dry_run_gets_the_same_verdict_in_v1beta1() -> None:
    req = _req("deployment-create-hostnetwork-dryrun.v1beta1.json")
    assert req.dry_run
    review = response(req, decide(req, _settings()))
    wet = dataclasses.replace(req, dry_run=False)
    assert review["apiVersion"] == "admission.k8s.io/v1beta1"
    assert review["response"] == response(wet, decide(wet, _settings()))["response"]
    assert review["response"]["allowed"] is False and "hostNetwork" in review["response"]["status"]["message"]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("pod-delete.v1.json", "DELETE"),
        ("pod-exec-connect.v1.json", "CONNECT"),
        ("pod-create-kube-system.v1.json", "exempt namespace kube-system"),
        ("pod-update-labels.v1.json", "pod spec unchanged"),
    ],
)
def test_allowed_without_evaluation(name: str, why: str) -> None:
    req = _req(name)
    d = decide(req, _settings())
    assert d.allowed and d.skipped == why and d.violations == ()
    out = response(req, d)["response"]
    assert out == {"uid": req.uid, "allowed": True, **({"auditAnnotations": {"exempt": why}} if "exempt" in why else {})}


def test_pod_update_that_changes_the_spec_is_evaluated() -> None:
    req = _req("pod-update-labels.v1.json", {"request.object.spec.containers.0.image": "docker.io/library/busybox:1.37"})
    d = decide(req, _settings())
    assert not d.allowed and PRIVILEGED_RULE in d.message


def test_ephemeral_containers_subresource_is_evaluated_other_subresources_are_not() -> None:
    doc = json.loads((FIXTURES / "pod-update-labels.v1.json").read_text())
    r = doc["request"]
    r["subResource"] = r["requestSubResource"] = "ephemeralcontainers"
    r["object"]["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox:1.36",
                                                  "securityContext": {"privileged": True}}]
    req = read_review(json.dumps(doc).encode())
    d = decide(req, _settings())
    assert not d.allowed and "'debugger'" in d.message
    r["subResource"] = "status"
    assert decide(read_review(json.dumps(doc).encode()), _settings()).skipped == "subresource status"


def test_exempt_user_and_namespace_from_the_command_line_settings() -> None:
    req = _req("pod-create-privileged.v1.json")
    assert decide(req, _settings(exempt_usernames=frozenset({"kubernetes-admin"}))).skipped == "exempt user kubernetes-admin"
    assert decide(req, _settings(exempt_namespaces=frozenset({"team-a"}))).allowed


def test_exceptions_apply_by_namespace_filled_in_from_the_request() -> None:
    # A CREATE whose object has no namespace (it comes from the URL): the exception still matches.
    req = _req("cronjob-create-capability.v1.json", {"request.object.metadata.namespace": None})
    rule = "HC-K8S-025"
    exc = PolicyException(rule, "backup needs it", "team-a", dt.date(2099, 1, 1), kind="CronJob", namespace="team-a")
    assert not decide(req, _settings()).allowed
    assert decide(req, _settings(exceptions=(exc,))).allowed
    expired = dataclasses.replace(exc, expires=dt.date(2000, 1, 1))
    d = decide(req, _settings(exceptions=(expired,)))
    assert not d.allowed and any("expired on 2000-01-01" in w for w in d.warnings)


def test_warnings_are_bounded_in_number_and_length() -> None:
    doc = json.loads((FIXTURES / "pod-create-warn-audit.v1.json").read_text())
    base = doc["request"]["object"]["spec"]["containers"][0]
    doc["request"]["object"]["spec"]["containers"] = [{**base, "name": f"c{i}-" + "x" * 200} for i in range(50)]
    d = decide(read_review(json.dumps(doc).encode()), _settings())
    assert d.allowed and len(d.warnings) == MAX_WARNINGS
    assert all(len(w) <= MAX_WARNING for w in d.warnings)
    assert d.warnings[-1].startswith("... and ")


@pytest.mark.parametrize("rule", ["HC-K8S-022", "ORG-001", "org rule/with spaces", "-x-", "x" * 100])
def test_audit_annotation_keys_are_valid_qualified_name_parts(rule: str) -> None:
    key = _annotation_key(rule)
    assert re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?", key) and len(key) <= 63


def test_policy_file_admission_section() -> None:
    base = {"apiVersion": "hullcheck.dev/v1", "kind": "Policy"}
    pol = parse_policy({**base, "admission": {"exemptNamespaces": ["kube-system"], "exemptUsernames": ["u"]}})
    assert pol.exempt_namespaces == {"kube-system"} and pol.exempt_usernames == {"u"}
    for bad, needle in [({"exemptNamespace": ["x"]}, "unknown field(s) exemptNamespace"),
                        ({"exemptNamespaces": "kube-system"}, "must be a list of non-empty strings"),
                        ([], "must be a mapping")]:
        with pytest.raises(PolicyFileError, match=re.escape(needle)):
            parse_policy({**base, "admission": bad})
