"""``hullcheck check -f sarif``: valid SARIF 2.1.0 (the official schema, as the scan SARIF tests check
it), every violation a result at its file and line, rule metadata from the catalog."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from hullcheck.policy.catalog import RULES
from hullcheck.policy.config import load_policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.inputs import load_inputs
from hullcheck.policy.locate import add_lines, parse_field
from hullcheck.policy.rules import LATEST
from hullcheck.policy.sarif import to_dict
from tests.report.test_sarif import validate

from .test_cli import PRIVILEGED_POD

DEPLOYMENT = """# a workload with a few production problems
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: app
          image: registry.example.com/shop/web:1.0
          securityContext:
            privileged: true
            runAsUser: 0
        - name: side
          image: registry.example.com/shop/side:1.0
          securityContext:
            privileged: true
"""
DOCKERFILE = "FROM debian:latest\nRUN apt-get update\nRUN curl -fsSL https://get.example.com/install.sh | sh\n"
COMPOSE = "services:\n  db:\n    image: postgres:16\n    privileged: true\n    network_mode: host\n"


def _policy(tmp: Path) -> Path:
    today = dt.date.today()
    p = tmp / "policy.yaml"
    p.write_text(f"""apiVersion: hullcheck.dev/v1
profile: production
parameters: {{allowed_registries: [registry.example.com]}}
rules:
  HC-K8S-043: {{mode: warn}}
customRules:
  - id: ORG-001
    title: Deployments need two replicas
    severity: low
    kinds: [Deployment]
    expression: "has(object.spec.replicas) && object.spec.replicas >= 2"
exceptions:
  - rule: HC-K8S-003
    resource: {{kind: Deployment, namespace: shop, name: web}}
    container: side
    reason: the sidecar loads a kernel module
    owner: team-shop
    expires: {(today + dt.timedelta(days=30)).isoformat()}
  - rule: HC-K8S-002
    resource: {{name: web}}
    reason: was needed for the old load balancer
    owner: team-net
    expires: {(today - dt.timedelta(days=1)).isoformat()}
""")
    return p


def _write_inputs(tmp: Path) -> None:
    (tmp / "k8s").mkdir()
    (tmp / "k8s" / "web.yaml").write_text(DEPLOYMENT)
    (tmp / "k8s" / "pod.yaml").write_text(PRIVILEGED_POD)
    (tmp / "Dockerfile").write_text(DOCKERFILE)
    (tmp / "compose.yaml").write_text(COMPOSE)


def test_results_are_the_violations_at_their_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_inputs(tmp_path)
    monkeypatch.chdir(tmp_path)  # files under the working directory get repository-relative URIs
    pol = load_policy(_policy(tmp_path))
    inputs = load_inputs([Path("k8s"), Path("Dockerfile"), Path("compose.yaml")])
    result = evaluate(inputs.workloads, pol, "production", LATEST, services=inputs.services,
                      dockerfiles=inputs.dockerfiles)
    result = dataclasses.replace(result, violations=tuple(add_lines(result.violations)))
    doc = to_dict(result)
    validate(doc)
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == len(result.violations)
    # every evaluated rule is described, built-in from the catalog and custom ones too
    assert [r["id"] for r in rules] == [r.id for r in result.rules]
    for r in rules:
        if r["id"] in RULES:
            cat = RULES[r["id"]]
            assert r["shortDescription"]["text"] == cat.title and cat.remediation in r["help"]["text"]
            assert all(ref in r["help"]["text"] for ref in cat.references)
    assert rules[[r["id"] for r in rules].index("ORG-001")]["help"]["text"].count("object.spec.replicas") == 2

    texts = {p: (tmp_path / p).read_text().splitlines() for p in ("k8s/web.yaml", "k8s/pod.yaml", "Dockerfile",
                                                                 "compose.yaml")}
    pairs = sorted(((res["ruleId"], res["properties"]["field"], res["properties"]["container"],
                     res["properties"]["name"]), res) for res in results)
    want = sorted((v.rule, v.field, v.container, v.resource.name) for v in result.violations)
    assert [k for k, _ in pairs] == want
    checked = 0
    for (rule, field, _, _), res in pairs:
        assert rules[res["ruleIndex"]]["id"] == rule
        loc = res["locations"][0]["physicalLocation"]
        uri, line = loc["artifactLocation"]["uri"], loc["region"]["startLine"]
        source = texts[uri][line - 1]
        path = parse_field(field)
        if uri == "Dockerfile":
            assert field.startswith(f"line {line}: ") and source.startswith(field.split(": ", 1)[1])
        else:
            # a field that is present is at its own line; a missing one at the line of its nearest
            # present parent (a key, or the "- " that starts a list item)
            assert path is not None
            assert source.strip().startswith("- ") or any(f"{k}:" in source for k in path if isinstance(k, str)), (
                field, line, source)
        checked += 1
    assert checked == len(results)
    by_field = {(r["properties"]["name"], r["properties"]["container"], r["properties"]["field"]): r for r in results}
    priv = by_field[("web", "app", "spec.template.spec.containers[0].securityContext.privileged")]
    assert priv["locations"][0]["physicalLocation"]["region"]["startLine"] == DEPLOYMENT.splitlines().index(
        "            privileged: true") + 1
    # the valid exception: a suppressed result; the expired one: reported, not suppressed
    side = by_field[("web", "side", "spec.template.spec.containers[1].securityContext.privileged")]
    assert side["suppressions"][0]["status"] == "accepted" and "team-shop" in side["suppressions"][0]["justification"]
    host = by_field[("web", "", "spec.template.spec.hostNetwork")]
    assert "suppressions" not in host and host["properties"]["exception"]["expired"] is True
    assert [e["owner"] for e in run["properties"]["expiredExceptions"]] == ["team-net"]
    assert {r["properties"]["mode"] for r in results if r["ruleId"] == "HC-K8S-043"} == {"warn"}
    assert run["properties"]["summary"] == {"violations": len(result.violations), "failing": len(result.failing),
                                            "excepted": 1}
    # one fingerprint per result
    assert len({r["partialFingerprints"]["hullcheck/v1"] for r in results}) == len(results)


def test_cli_writes_sarif_next_to_other_formats(run_cli: Callable, tmp_path: Path) -> None:
    _write_inputs(tmp_path)
    out = tmp_path / "check.sarif"
    r = run_cli("check", str(tmp_path / "k8s"), str(tmp_path / "Dockerfile"), "--policy", str(_policy(tmp_path)),
                "-f", f"sarif={out}", "-f", "json")
    assert r.returncode == 1, r.stderr
    doc: dict[str, Any] = json.loads(out.read_text())
    validate(doc)
    violations = json.loads(r.stdout)["violations"]
    results = doc["runs"][0]["results"]
    assert len(results) == len(violations)
    # files outside the working directory are absolute file: URIs naming them
    for res in results:
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("file://") and Path(unquote(urlsplit(uri).path)).is_file()
    lines = sorted((v["rule"], v["field"], v["line"]) for v in violations if v["line"] is not None)
    got = sorted((r["ruleId"], r["properties"]["field"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
                 for r in results if not r["properties"]["field"].startswith("line "))
    assert got == lines
