"""The rule catalog (stable ids) and the built-in profiles, as explicit registries."""

from __future__ import annotations

from dataclasses import dataclass

from hullcheck.errors import UsageError
from hullcheck.policy.azure import AZURE_RULES
from hullcheck.policy.compose import COMPOSE_RULES
from hullcheck.policy.dockerfile import DOCKERFILE_RULES
from hullcheck.policy.host import HOST_RULES
from hullcheck.policy.image_rules import IMAGE_RULES
from hullcheck.policy.production import PRODUCTION_RULES
from hullcheck.policy.pss import BASELINE_RULES, RESTRICTED_RULES, pss_rules
from hullcheck.policy.rules import Rule, Version

# production's rules beyond Kubernetes manifests
_OTHER_RULES = (*IMAGE_RULES, *COMPOSE_RULES, *DOCKERFILE_RULES, *HOST_RULES, *AZURE_RULES)
RULES: dict[str, Rule] = {r.id: r for r in (*BASELINE_RULES, *RESTRICTED_RULES, *PRODUCTION_RULES, *_OTHER_RULES)}

# production also forbids what the baseline forbids outright: privileged, host namespaces, hostPath
PRODUCTION_IDS: tuple[str, ...] = (
    "HC-K8S-002", "HC-K8S-003", "HC-K8S-005",
    *(r.id for r in (*PRODUCTION_RULES, *_OTHER_RULES)),
)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str


PROFILES: dict[str, Profile] = {
    "pss-baseline": Profile("pss-baseline", "Kubernetes Pod Security Standards, baseline level (as PSA evaluates it)"),
    "pss-restricted": Profile("pss-restricted", "Kubernetes Pod Security Standards, restricted level"),
    "production": Profile("production", "what production workloads must meet (registries, digests, non-root, ...); "
                          "also compose files, docker inspect, Dockerfiles, daemon.json, sshd_config, ARM templates"),
}


def profile_rules(name: str, version: Version) -> tuple[str, list[Rule]]:
    """(PSS level or "", rules) of a profile at a Kubernetes policy version."""
    if name == "pss-baseline":
        return "baseline", pss_rules("baseline", version)
    if name == "pss-restricted":
        return "restricted", pss_rules("restricted", version)
    if name == "production":
        return "", [RULES[i] for i in PRODUCTION_IDS]
    raise UsageError(f"unknown profile {name!r} (choose from {', '.join(PROFILES)})")


def get_rule(rule_id: str) -> Rule:
    rule = RULES.get(rule_id.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule {rule_id!r}: see 'hullcheck rules list'")
    return rule


def rule_profiles(rule_id: str) -> list[str]:
    """The built-in profiles that include a rule (at the latest version)."""
    from hullcheck.policy.rules import LATEST

    return [p for p in PROFILES if any(r.id == rule_id for r in profile_rules(p, LATEST)[1])]
