"""Azure Resource Manager (ARM) templates: network security rules open to the Internet, AKS API access."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hullcheck.model.finding import SeverityLevel
from hullcheck.model.violation import ResourceRef
from hullcheck.policy.rules import Context, Hit, Rule

NSG = "microsoft.network/networksecuritygroups"
NSG_RULE = "microsoft.network/networksecuritygroups/securityrules"
AKS = "microsoft.containerservice/managedclusters"
INTERNET = frozenset({"*", "internet", "any", "0.0.0.0/0", "0.0.0.0", "::/0"})
MAX_NESTING = 8


@dataclass(frozen=True)
class AzureResource:
    resource: ResourceRef  # kind = the ARM type, name = the resource name (maybe an ARM expression)
    body: dict[str, Any]
    path: str  # "resources[2]" or "resources[0].resources[1]"


def is_arm_template(doc: Any) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("resources"), list)
            and "deploymentTemplate" in str(doc.get("$schema", "")))


def arm_resources(doc: dict[str, Any], file: str = "", index: int = 0) -> Iterator[AzureResource]:
    """Every resource of a template, child resources included (``resources`` inside a resource; a child's
    type is relative to its parent's, e.g. ``securityRules`` under a network security group)."""
    stack: list[tuple[list[Any], str, int, str]] = [(doc["resources"], "resources", 0, "")]
    while stack:
        items, prefix, depth, parent = stack.pop()
        for i, r in enumerate(items):
            if not isinstance(r, dict):
                continue
            path = f"{prefix}[{i}]"
            rtype = str(r.get("type", ""))
            if parent and "/" not in rtype:
                rtype = f"{parent}/{rtype}"
            yield AzureResource(ResourceRef(rtype, str(r.get("name", "")), "", file, index), r, path)
            if isinstance(r.get("resources"), list) and depth < MAX_NESTING:
                stack.append((r["resources"], f"{path}.resources", depth + 1, rtype))


def _expression(v: Any) -> bool:
    """An ARM template expression ("[parameters('x')]"): its value is unknown until deployment."""
    return isinstance(v, str) and v.startswith("[") and v.endswith("]") and not v.startswith("[[")


def _as_list(one: Any, many: Any) -> list[Any]:
    out = [one] if one not in (None, "") else []
    return out + (many if isinstance(many, list) else [])


def _covers(port_range: Any, port: int) -> bool:
    text = str(port_range).strip()
    if text == "*":
        return True
    low, sep, high = text.partition("-")
    try:
        return int(low) <= port <= int(high if sep else low)
    except ValueError:
        return False


def _all_ports(port_range: Any) -> bool:
    text = str(port_range).strip()
    return text == "*" or text == "0-65535" or text == "1-65535"


def _d(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _rules(r: AzureResource) -> Iterator[tuple[str, dict[str, Any]]]:
    t = r.resource.kind.lower()
    props = _d(r.body.get("properties"))
    if t == NSG:
        rules = props.get("securityRules")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, dict) and isinstance(rule.get("properties"), dict):
                yield f"{r.path}.properties.securityRules[{i}]", rule["properties"]
    elif t == NSG_RULE:
        yield f"{r.path}", props


def check_nsg_open(r: AzureResource, ctx: Context) -> Iterator[Hit]:
    """Inbound Allow rules from the Internet ('*', Internet, Any, 0.0.0.0/0) to SSH (22) or to all ports."""
    for path, p in _rules(r):
        if str(p.get("direction", "")).lower() != "inbound" or str(p.get("access", "")).lower() != "allow":
            continue
        sources = _as_list(p.get("sourceAddressPrefix"), p.get("sourceAddressPrefixes"))
        if not any(isinstance(s, str) and s.lower() in INTERNET for s in sources):
            continue
        ports = [x for x in _as_list(p.get("destinationPortRange"), p.get("destinationPortRanges"))
                 if not _expression(x)]
        if any(_all_ports(x) for x in ports):
            yield Hit("an inbound rule allows all ports from the Internet", f"{path}.destinationPortRange")
        elif any(_covers(x, 22) for x in ports):
            yield Hit("an inbound rule allows SSH (22) from the Internet", f"{path}.destinationPortRange")


def check_aks_authorized_ranges(r: AzureResource, ctx: Context) -> Iterator[Hit]:
    if r.resource.kind.lower() != AKS:
        return
    access = _d(_d(r.body.get("properties")).get("apiServerAccessProfile"))
    if access.get("enablePrivateCluster") is True:
        return
    ranges = access.get("authorizedIPRanges")
    if _expression(ranges) or (isinstance(ranges, list) and ranges):
        return
    yield Hit("the AKS API server is public and has no authorized IP ranges",
              f"{r.path}.properties.apiServerAccessProfile.authorizedIPRanges")


def _rule(rid: str, title: str, sev: SeverityLevel, why: str, fix: str, fn: Any) -> Rule:
    return Rule(rid, title, sev, why, fix, fn, ("hullcheck production profile", "CIS Microsoft Azure"),
                target="azure")


AZURE_RULES: tuple[Rule, ...] = (
    _rule("HC-AZ-001", "Network security rule open to the Internet", SeverityLevel.HIGH,
          "SSH or every port reachable from the Internet exposes orchestrator nodes to brute force and exploits.",
          "Restrict sourceAddressPrefix to known ranges or use a bastion.", check_nsg_open),
    _rule("HC-AZ-002", "AKS API server without authorized IP ranges", SeverityLevel.HIGH,
          "A public API server without authorized ranges can be reached from anywhere.",
          "Set apiServerAccessProfile.authorizedIPRanges or enablePrivateCluster.", check_aks_authorized_ranges),
)
