"""Secret scanning: credentials left in layer files and in the image config.

- ``rules``: the rule catalog (built-in rules, custom rules from a config, allow-lists).
- ``scanner``: bytes in, masked ``SecretFinding``s out.
- ``analyzer``: the catalog analyzer ``secret-scanner`` that runs the scanner on layer files.
- ``config``: the image config (Env, history, labels).
- ``collect``: gathers everything for a report (``collect_secrets``).

A matched secret is never kept in full: findings carry a masked excerpt only.
"""

from hullcheck.secrets.analyzer import SecretAnalyzer
from hullcheck.secrets.collect import collect_secrets
from hullcheck.secrets.config import scan_image_config
from hullcheck.secrets.rules import Rule, RuleSet, builtin_rules, default_ruleset, load_ruleset
from hullcheck.secrets.scanner import ScanSettings, mask, scan_bytes

__all__ = [
    "Rule",
    "RuleSet",
    "ScanSettings",
    "SecretAnalyzer",
    "builtin_rules",
    "collect_secrets",
    "default_ruleset",
    "load_ruleset",
    "mask",
    "scan_bytes",
    "scan_image_config",
]
