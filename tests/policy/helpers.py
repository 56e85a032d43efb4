"""Building workloads for the policy tests from YAML text, through the real loader and normaliser."""

from __future__ import annotations

import copy
from typing import Any

from hullcheck.policy.manifests import Workload, workload_from
from hullcheck.policy.yamlload import load_documents

# A pod that satisfies every restricted control at every version: the base that single-control
# mutations start from, so each case isolates exactly one control.
RESTRICTED_POD = """
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: registry.example.com/app@sha256:1111111111111111111111111111111111111111111111111111111111111111
      securityContext:
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
"""


def merge(base: Any, patch: Any) -> Any:
    """Deep-merge ``patch`` into ``base``; lists in the patch are merged item by item."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list):
        out_l = list(base)
        for i, v in enumerate(patch):
            if i < len(out_l):
                out_l[i] = merge(out_l[i], v)
            else:
                out_l.append(copy.deepcopy(v))
        return out_l
    return copy.deepcopy(patch)


def pod(patch: str = "", base: str = RESTRICTED_POD) -> Workload:
    doc = load_documents(base)[0]
    if patch.strip():
        doc = merge(doc, load_documents(patch)[0])
    w = workload_from(doc, "test.yaml", 0)
    assert w is not None
    return w
