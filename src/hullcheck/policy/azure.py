"""Azure network security rules open to the Internet and AKS API access, from ARM templates and Terraform.

Terraform (azurerm provider) resources are parsed with python-hcl2 and translated to the ARM shape, so
one set of checks serves both; fields in violations use each format's own names.
"""

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


# -- Terraform ------------------------------------------------------------------------------------

TF_RULE_FIELDS = {
    "direction": "direction", "access": "access", "source_address_prefix": "sourceAddressPrefix",
    "source_address_prefixes": "sourceAddressPrefixes", "destination_port_range": "destinationPortRange",
    "destination_port_ranges": "destinationPortRanges",
}
TF_TYPES = {
    "azurerm_network_security_group": NSG, "azurerm_network_security_rule": NSG_RULE,
    "azurerm_kubernetes_cluster": AKS,
}
MAX_TF_BYTES = 4 * 1024 * 1024


def _tf_value(v: Any) -> Any:
    """python-hcl2 keeps string quotes ('"22"') and renders expressions as '${var.x}'; expressions become
    ARM-style expressions ('[...]'), which the checks treat as unknown."""
    if isinstance(v, str):
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            return v[1:-1]
        if v.startswith("${"):
            return f"[{v}]"
        return v
    if isinstance(v, list):
        return [_tf_value(x) for x in v]
    return v


def _tf_rule(block: dict[str, Any]) -> dict[str, Any]:
    return {arm: _tf_value(block[tf]) for tf, arm in TF_RULE_FIELDS.items() if tf in block}


def terraform_resources(text: str, file: str = "") -> list[AzureResource]:
    """The azurerm NSG, NSG rule and AKS resources of one ``.tf`` file, in the ARM shape."""
    import hcl2  # python-hcl2; imported here because its grammar takes a moment to build

    if len(text) > MAX_TF_BYTES:
        raise ValueError(f"Terraform file larger than {MAX_TF_BYTES} bytes")
    try:
        doc = hcl2.loads(text)
    except RecursionError:
        raise ValueError("Terraform nested too deep") from None
    except Exception as e:  # lark's parse errors have no common base we can name without importing lark
        raise ValueError(f"invalid Terraform: {' '.join(str(e).split())[:160]}") from None
    out: list[AzureResource] = []
    for block in doc.get("resource") or []:
        for rtype, named in _d(block).items():
            rtype = _tf_value(rtype)
            arm_type = TF_TYPES.get(rtype)
            if arm_type is None:
                continue
            for name, body in _d(named).items():
                body = _d(body)
                props: dict[str, Any]
                if arm_type == NSG:
                    rules = body.get("security_rule")
                    props = {"securityRules": [{"properties": _tf_rule(_d(b))}
                                               for b in (rules if isinstance(rules, list) else [])]}
                elif arm_type == NSG_RULE:
                    props = _tf_rule(body)
                else:
                    profiles = body.get("api_server_access_profile")
                    profile = _d(profiles[0]) if isinstance(profiles, list) and profiles else {}
                    ranges = profile.get("authorized_ip_ranges", body.get("api_server_authorized_ip_ranges"))
                    props = {"apiServerAccessProfile": {
                        "enablePrivateCluster": _tf_value(body.get("private_cluster_enabled")),
                        **({"authorizedIPRanges": _tf_value(ranges)} if ranges is not None else {}),
                    }}
                tname = _tf_value(name)
                ref = ResourceRef(rtype, str(tname), "", file)
                out.append(AzureResource(ref, {"type": arm_type, "name": tname, "properties": props},
                                         f"{rtype}.{tname}"))
    return out


def _terraform(r: AzureResource) -> bool:
    return r.resource.kind.startswith("azurerm_")


def _rules(r: AzureResource) -> Iterator[tuple[str, dict[str, Any]]]:
    t = str(r.body.get("type", "")).lower() if _terraform(r) else r.resource.kind.lower()
    props = _d(r.body.get("properties"))
    if t == NSG:
        rules = props.get("securityRules")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, dict) and isinstance(rule.get("properties"), dict):
                where = f"{r.path}.security_rule[{i}]" if _terraform(r) else f"{r.path}.properties.securityRules[{i}]"
                yield where, rule["properties"]
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
        field = f"{path}.destination_port_range" if _terraform(r) else f"{path}.destinationPortRange"
        if any(_all_ports(x) for x in ports):
            yield Hit("an inbound rule allows all ports from the Internet", field)
        elif any(_covers(x, 22) for x in ports):
            yield Hit("an inbound rule allows SSH (22) from the Internet", field)


def check_aks_authorized_ranges(r: AzureResource, ctx: Context) -> Iterator[Hit]:
    if str(r.body.get("type", r.resource.kind)).lower() != AKS and r.resource.kind.lower() != AKS:
        return
    access = _d(_d(r.body.get("properties")).get("apiServerAccessProfile"))
    if access.get("enablePrivateCluster") is True:
        return
    ranges = access.get("authorizedIPRanges")
    if _expression(ranges) or (isinstance(ranges, list) and ranges):
        return
    field = (f"{r.path}.api_server_access_profile.authorized_ip_ranges" if _terraform(r)
             else f"{r.path}.properties.apiServerAccessProfile.authorizedIPRanges")
    yield Hit("the AKS API server is public and has no authorized IP ranges", field)


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
