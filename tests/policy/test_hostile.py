"""Hostile or nonsensical manifests never crash a rule: any shape in any field gives violations or none."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hullcheck.policy.compose import is_compose, services_in
from hullcheck.policy.config import Policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.manifests import POD_TEMPLATE_PATHS, workloads_in
from hullcheck.policy.rules import LATEST

FIELDS = ["securityContext", "containers", "initContainers", "ephemeralContainers", "volumes", "hostNetwork",
          "capabilities", "add", "drop", "privileged", "runAsUser", "runAsNonRoot", "seccompProfile", "type",
          "sysctls", "name", "image", "ports", "hostPort", "resources", "limits", "requests", "cpu", "memory",
          "annotations", "metadata", "spec", "template", "os", "hostUsers", "procMount", "seLinuxOptions",
          "appArmorProfile", "windowsOptions", "hostProcess", "livenessProbe", "httpGet", "host", "lifecycle",
          "jobTemplate", "items", "services", "user", "volumes", "cap_add", "deploy", "security_opt"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["ALL", "RuntimeDefault", "Unmasked", "windows", "0"]))
values: Any = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=6)),
    max_leaves=40,
)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from([*POD_TEMPLATE_PATHS, "List", None]), body=st.dictionaries(st.sampled_from(FIELDS), values,
                                                                                 max_size=6))
def test_any_shape_is_checked_without_crashing(kind: str, body: dict[str, Any]) -> None:
    doc = {**body, "kind": kind} if kind else {k: v for k, v in body.items() if k != "kind"}
    workloads = list(workloads_in(doc, "x.yaml", 0))
    services = list(services_in(doc)) if is_compose(doc) else []
    for profile in ("pss-baseline", "pss-restricted", "production"):
        for version in ((1, 0), (1, 24), LATEST):
            result = evaluate(workloads, Policy(), profile, version, services=services)
            for v in result.violations:
                assert v.rule and isinstance(v.message, str) and isinstance(v.field, str)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("FROMRUNUSERADDCOPY ENV=ARG<\\`#\n\t-|curlsh:/@\"'$")), max_size=300))
def test_any_dockerfile_text_parses_and_checks(text: str) -> None:
    from hullcheck.model.violation import ResourceRef
    from hullcheck.policy.dockerfile import Dockerfile, parse_dockerfile

    df = Dockerfile(ResourceRef("Dockerfile", "x"), tuple(parse_dockerfile(text)))
    for v in evaluate([], Policy(), "production", LATEST, dockerfiles=[df]).violations:
        assert v.field.startswith("line ")
