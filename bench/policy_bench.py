"""Benchmark: 10,000 workload documents checked against the ``production`` profile (target < 10 s).

Times what ``hullcheck check DIR --profile production`` does: load, check, and locate the lines of
the violating fields.

Generates a realistic multi-document manifest set (a mix of Deployments, StatefulSets, CronJobs,
Jobs and Pods, compliant and not) into a temporary directory, then times loading + checking, the
way ``hullcheck check DIR --profile production`` does.

    python bench/policy_bench.py [--docs 10000] [--files 100]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from hullcheck.policy.config import Policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.locate import add_lines
from hullcheck.policy.manifests import load_workloads
from hullcheck.policy.rules import LATEST


def document(i: int, rng: random.Random) -> dict[str, Any]:
    """One realistic workload; about one in ten breaks a production rule somewhere."""
    kind = rng.choice(["Deployment", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"])
    image = (f"registry.example.com/team/app{i % 50}@sha256:{i % 50:064x}" if rng.random() < 0.9
             else f"docker.io/library/nginx:1.{i % 20}")
    containers = [
        {
            "name": f"c{j}",
            "image": image,
            "ports": [{"containerPort": 8080}],
            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": rng.random() < 0.9,
                                "capabilities": {"drop": ["ALL"]}},
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                          "limits": {"cpu": "1", "memory": rng.choice(["256Mi", "1Gi", "512M"])}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
            "env": [{"name": "MODE", "value": "production"}],
        }
        for j in range(rng.choice([1, 1, 2]))
    ]
    annotations = ({"kubernetes.io/ingress-bandwidth": "10M", "kubernetes.io/egress-bandwidth": "10M"}
                   if rng.random() < 0.95 else {})
    spec = {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers,
    }
    meta = {"name": f"w{i}", "namespace": f"ns{i % 10}", "labels": {"app": f"a{i}"}}
    template = {"metadata": {"labels": {"app": f"a{i}"}, "annotations": annotations}, "spec": spec}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {**meta, "annotations": annotations}, "spec": spec}
    if kind == "CronJob":
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": meta,
                "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}}
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": {"replicas": 3, "template": template}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=None, help="parser processes (default: CPU count)")
    args = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        per_file = max(1, args.docs // args.files)
        n = 0
        for f in range(args.files):
            docs = [document(n + k, rng) for k in range(min(per_file, args.docs - n))]
            n += len(docs)
            dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
            text = yaml.dump_all(docs, Dumper=dumper, sort_keys=False, default_flow_style=False)
            (Path(tmp) / f"m{f:04d}.yaml").write_text(text)
        policy = Policy(parameters={"allowed_registries": ["registry.example.com"], "max_images": 40})
        start = time.perf_counter()
        cpu = time.process_time()
        workloads = load_workloads([Path(tmp)], jobs=args.jobs)
        loaded = time.perf_counter()
        result = evaluate(workloads, policy, "production", LATEST)
        checked = time.perf_counter()
        located = add_lines(result.violations)  # what `hullcheck check` adds: line numbers of fields
        done = time.perf_counter()
        cpu = time.process_time() - cpu
    assert len(workloads) == args.docs, (len(workloads), args.docs)
    print(f"{len(workloads)} workloads in {args.files} files: load {loaded - start:.2f} s, "
          f"check {checked - loaded:.2f} s, lines {done - checked:.2f} s, total {done - start:.2f} s "
          f"(this process's CPU {cpu:.2f} s); {len(located)} violations")


if __name__ == "__main__":
    main()
