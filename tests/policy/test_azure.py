"""Azure ARM templates: NSG rules open to the Internet, AKS without authorized IP ranges."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hullcheck.policy.config import Policy
from hullcheck.policy.engine import evaluate
from hullcheck.policy.inputs import load_inputs
from hullcheck.policy.rules import LATEST

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def rule(name: str, **props: Any) -> dict[str, Any]:
    base = {"protocol": "Tcp", "sourcePortRange": "*", "destinationAddressPrefix": "*", "access": "Allow",
            "priority": 100, "direction": "Inbound", "sourceAddressPrefix": "10.0.0.0/8",
            "destinationPortRange": "443"}
    return {"name": name, "properties": {**base, **props}}


TEMPLATE: dict[str, Any] = {
    "$schema": SCHEMA,
    "contentVersion": "1.0.0.0",
    "resources": [
        {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01", "name": "nodes-nsg",
         "properties": {"securityRules": [rule("https-internal")]}},
        {"type": "Microsoft.ContainerService/managedClusters", "apiVersion": "2024-02-01", "name": "aks",
         "properties": {"apiServerAccessProfile": {"authorizedIPRanges": ["203.0.113.0/24"]}}},
    ],
}


def check(tmp_path: Path, template: dict[str, Any]) -> list[tuple[str, str, str]]:
    f = tmp_path / "azuredeploy.json"
    f.write_text(json.dumps(template))
    inputs = load_inputs([f])
    result = evaluate([], Policy(), "production", LATEST, azure=inputs.azure)
    return [(v.rule, v.resource.name, v.field) for v in result.violations]


def test_restricted_template_passes(tmp_path: Path) -> None:
    assert check(tmp_path, TEMPLATE) == []


@pytest.mark.parametrize(
    ("props", "flagged"),
    [
        ({"sourceAddressPrefix": "*", "destinationPortRange": "22"}, True),
        ({"sourceAddressPrefix": "Internet", "destinationPortRange": "20-30"}, True),
        ({"sourceAddressPrefix": "0.0.0.0/0", "destinationPortRange": "*"}, True),
        ({"sourceAddressPrefix": None, "sourceAddressPrefixes": ["10.0.0.0/8", "Any"],
          "destinationPortRange": None, "destinationPortRanges": ["443", "22"]}, True),
        ({"sourceAddressPrefix": "*", "destinationPortRange": "22", "access": "Deny"}, False),
        ({"sourceAddressPrefix": "*", "destinationPortRange": "22", "direction": "Outbound"}, False),
        ({"sourceAddressPrefix": "VirtualNetwork", "destinationPortRange": "22"}, False),
        ({"sourceAddressPrefix": "*", "destinationPortRange": "443"}, False),
    ],
)
def test_nsg_rules(tmp_path: Path, props: dict[str, Any], flagged: bool) -> None:
    t = copy.deepcopy(TEMPLATE)
    t["resources"][0]["properties"]["securityRules"].append(rule("r", **props))
    expected = [("HC-AZ-001", "nodes-nsg", "resources[0].properties.securityRules[1].destinationPortRange")]
    assert check(tmp_path, t) == (expected if flagged else [])


def test_standalone_and_child_security_rules(tmp_path: Path) -> None:
    t = copy.deepcopy(TEMPLATE)
    child = {"type": "securityRules", "name": "ssh", **rule("ssh", sourceAddressPrefix="*", destinationPortRange="22")}
    t["resources"].append({"type": "Microsoft.Network/networkSecurityGroups/securityRules", "name": "nsg/ssh",
                           **{"properties": rule("x", sourceAddressPrefix="*", destinationPortRange="*")["properties"]}})
    t["resources"][0]["resources"] = [child]  # a child's type is relative to its parent's
    assert sorted(check(tmp_path, t)) == [
        ("HC-AZ-001", "nsg/ssh", "resources[2].destinationPortRange"),
        ("HC-AZ-001", "ssh", "resources[0].resources[0].destinationPortRange"),
    ]


def test_aks_without_authorized_ranges(tmp_path: Path) -> None:
    t = copy.deepcopy(TEMPLATE)
    t["resources"][1]["properties"] = {}
    assert check(tmp_path, t) == [
        ("HC-AZ-002", "aks", "resources[1].properties.apiServerAccessProfile.authorizedIPRanges")]
    t["resources"][1]["properties"] = {"apiServerAccessProfile": {"enablePrivateCluster": True}}
    assert check(tmp_path, t) == []
    t["resources"][1]["properties"] = {"apiServerAccessProfile": {"authorizedIPRanges": "[parameters('ranges')]"}}
    assert check(tmp_path, t) == []


TERRAFORM = '''
variable "admin_cidr" { type = string }

resource "azurerm_network_security_group" "nodes" {
  name                = "nodes-nsg"
  location            = "westeurope"
  resource_group_name = "rg"

  security_rule {
    name                       = "https"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "443"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
  security_rule {
    name                       = "ssh"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = "Internet"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_security_rule" "admin" {
  name                        = "admin"
  direction                   = "Inbound"
  access                      = "Allow"
  destination_port_ranges     = ["22", "3389"]
  source_address_prefix       = var.admin_cidr
}

resource "azurerm_network_security_rule" "everything" {
  name                        = "everything"
  direction                   = "Inbound"
  access                      = "Allow"
  destination_port_range      = "0-65535"
  source_address_prefixes     = ["10.0.0.0/8", "0.0.0.0/0"]
}

resource "azurerm_kubernetes_cluster" "public" {
  name = "aks-public"
}

resource "azurerm_kubernetes_cluster" "restricted" {
  name = "aks-restricted"
  api_server_access_profile {
    authorized_ip_ranges = ["203.0.113.0/24"]
  }
}

resource "azurerm_kubernetes_cluster" "private" {
  name                    = "aks-private"
  private_cluster_enabled = true
}
'''


def test_terraform_azurerm_resources(tmp_path: Path) -> None:
    f = tmp_path / "main.tf"
    f.write_text(TERRAFORM)
    inputs = load_inputs([tmp_path])
    result = evaluate([], Policy(), "production", LATEST, azure=inputs.azure)
    assert sorted((v.rule, v.field, v.message) for v in result.violations) == [
        ("HC-AZ-001", "azurerm_network_security_group.nodes.security_rule[1].destination_port_range",
         "an inbound rule allows SSH (22) from the Internet"),
        ("HC-AZ-001", "azurerm_network_security_rule.everything.destination_port_range",
         "an inbound rule allows all ports from the Internet"),
        ("HC-AZ-002", "azurerm_kubernetes_cluster.public.api_server_access_profile.authorized_ip_ranges",
         "the AKS API server is public and has no authorized IP ranges"),
    ]


def test_bad_terraform_is_a_usage_error(tmp_path: Path) -> None:
    from hullcheck.policy.manifests import ManifestError

    (tmp_path / "bad.tf").write_text('resource "x" {\n  a = \n')
    with pytest.raises(ManifestError, match="invalid Terraform"):
        load_inputs([tmp_path])
    (tmp_path / "bad.tf").write_text("x = " + "[" * 3000 + "]" * 3000)
    with pytest.raises(ManifestError, match="Terraform"):
        load_inputs([tmp_path])
