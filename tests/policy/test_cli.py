"""``hullcheck check`` and ``hullcheck rules`` as a user runs them: output, exit codes, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from hullcheck.policy.catalog import RULES

from .test_production import PRODUCTION_DEPLOYMENT

PRIVILEGED_POD = """
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: dev}
spec:
  containers:
    - name: app
      image: nginx
      securityContext: {privileged: true}
"""


def test_json_violations_have_the_documented_fields(run_cli: Callable, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_POD)
    r = run_cli("check", str(tmp_path), "--profile", "pss-baseline", "--format", "json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    (v,) = doc["violations"]
    assert v["rule"] == "HC-K8S-003" and v["severity"] == "high"
    assert v["resource"]["kind"] == "Pod" and v["resource"]["namespace"] == "dev" and v["resource"]["name"] == "bad"
    assert v["container"] == "app"
    assert v["field"] == "spec.containers[0].securityContext.privileged"
    assert "privileged" in v["message"]


def test_compliant_manifest_exits_zero(run_cli: Callable, tmp_path: Path) -> None:
    f = tmp_path / "deploy.yaml"
    f.write_text(PRODUCTION_DEPLOYMENT)
    pol = tmp_path / "policy.yaml"
    pol.write_text("apiVersion: hullcheck.dev/v1\nkind: Policy\nparameters: {allowed_registries: [registry.example.com]}\n")
    r = run_cli("check", str(f), "--policy", str(pol))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 resources checked against production" in r.stdout


def test_json_to_a_file_and_table_to_stdout(run_cli: Callable, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_POD)
    out = tmp_path / "out.json"
    r = run_cli("check", str(tmp_path / "pod.yaml"), "--profile", "pss-baseline", "-f", "table", "-f", f"json={out}")
    assert r.returncode == 1
    assert "HC-K8S-003" in r.stdout
    assert [v["rule"] for v in json.loads(out.read_text())["violations"]] == ["HC-K8S-003"]


def test_warn_mode_does_not_fail(run_cli: Callable, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_POD)
    pol = tmp_path / "policy.yaml"
    pol.write_text("apiVersion: hullcheck.dev/v1\nprofile: pss-baseline\nmode: warn\n")
    r = run_cli("check", str(tmp_path / "pod.yaml"), "--policy", str(pol))
    assert r.returncode == 0
    assert "HC-K8S-003" in r.stderr and "warning" in r.stderr


def test_bad_yaml_is_one_line_naming_file_and_line(run_cli: Callable, tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n")
    r = run_cli("check", str(f))
    assert r.returncode == 2
    assert r.stderr.startswith(f"hullcheck: error: {f}:") and r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr


def test_alias_bomb_is_a_clear_error(run_cli: Callable, tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    f = tmp_path / "bomb.yaml"
    f.write_text("\n".join(lines))
    r = run_cli("check", str(f), timeout=30)
    assert r.returncode == 2 and "alias bomb" in r.stderr


def test_bad_flags_exit_2(run_cli: Callable, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_POD)
    assert run_cli("check", str(tmp_path), "--profile", "nope").returncode == 2
    assert run_cli("check", str(tmp_path), "--k8s-version", "2.1").returncode == 2
    assert run_cli("check", str(tmp_path), "--format", "xml").returncode == 2


def test_rules_list_and_explain(run_cli: Callable) -> None:
    r = run_cli("rules", "list")
    assert r.returncode == 0
    assert [line.split()[0] for line in r.stdout.splitlines()] == sorted(RULES)
    r = run_cli("rules", "explain", "HC-K8S-025")
    assert r.returncode == 0
    assert RULES["HC-K8S-025"].remediation in r.stdout and "pss-restricted" in r.stdout
    assert run_cli("rules", "explain", "HC-NOPE").returncode == 2
