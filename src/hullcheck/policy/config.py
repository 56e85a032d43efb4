"""The policy file (``apiVersion: hullcheck.dev/v1``, ``kind: Policy``): profile, modes, parameters, exceptions,
and ``ignore:`` entries (the ``.hullcheckignore`` entries, read by the same parser, for ``scan --policy`` and
``check --image``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullcheck.errors import UsageError
from hullcheck.match import ignore as ignorefile
from hullcheck.model.finding import SeverityLevel
from hullcheck.model.violation import Mode
from hullcheck.policy.catalog import PROFILES, RULES
from hullcheck.policy.cel import CustomRule, compile_rule
from hullcheck.policy.yamlload import YamlError, load_documents

API_VERSION = "hullcheck.dev/v1"


class PolicyFileError(UsageError):
    pass


@dataclass(frozen=True)
class PolicyException:
    """Lifts one rule for matching resources (and container); ``*`` or an absent field matches anything."""

    rule: str
    reason: str
    owner: str
    expires: dt.date
    kind: str = "*"
    namespace: str = "*"
    name: str = "*"
    container: str = "*"

    def matches(self, rule: str, kind: str, namespace: str, name: str, container: str) -> bool:
        return (self.rule == rule and self.kind in ("*", kind) and self.namespace in ("*", namespace)
                and self.name in ("*", name) and self.container in ("*", container))

    def expired(self, today: dt.date) -> bool:
        return today > self.expires


@dataclass(frozen=True)
class Policy:
    profile: str = "production"
    k8s_version: str | None = None
    mode: Mode = Mode.ENFORCE
    rule_modes: Mapping[str, Mode] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    rule_parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    exceptions: tuple[PolicyException, ...] = ()
    custom_rules: tuple[CustomRule, ...] = ()
    ignore: tuple[ignorefile.IgnoreEntry, ...] = ()  # vulnerability/secret/check exceptions for image scans
    # admission webhook only (``admission:`` in the file): requests in these namespaces, or from these
    # users, are allowed without evaluation, as PSA's exemptions
    exempt_namespaces: frozenset[str] = frozenset()
    exempt_usernames: frozenset[str] = frozenset()

    def mode_of(self, rule: str) -> Mode:
        return self.rule_modes.get(rule, self.mode)

    def params_for(self, rule: str) -> dict[str, Any]:
        defaults = dict(RULES[rule].params) if rule in RULES else {}
        for key in defaults:
            if key in self.parameters:
                defaults[key] = self.parameters[key]
        defaults.update(self.rule_parameters.get(rule, {}))
        return defaults


def _mode(value: Any, where: str) -> Mode:
    try:
        return Mode(str(value).lower())
    except ValueError:
        raise PolicyFileError(f"{where}: mode must be enforce, warn or audit, not {value!r}") from None


def _str(d: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
    v = d.get(key)
    if v is None:
        if required:
            raise PolicyFileError(f"{where}: {key} is required")
        return "*"
    if not isinstance(v, str | int) or isinstance(v, bool):
        raise PolicyFileError(f"{where}: {key} must be a string")
    return str(v)


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PolicyFileError(f"{where}: expires must be a date like 2026-12-31, not {value!r}") from None


def parse_policy(doc: Any, where: str = "policy", lines: Mapping[tuple[Any, ...], int] | None = None) -> Policy:
    """``lines``: node paths to 1-based lines (``policy.locate.node_lines``), so that an ``ignore:``
    entry's source reads ``FILE:LINE`` as in ``.hullcheckignore``; without them, ``FILE: ignore[N]``."""
    if not isinstance(doc, dict):
        raise PolicyFileError(f"{where}: a policy is a mapping with apiVersion: {API_VERSION}")
    if doc.get("apiVersion") != API_VERSION:
        raise PolicyFileError(f"{where}: apiVersion must be {API_VERSION}, not {doc.get('apiVersion')!r}")
    if doc.get("kind", "Policy") != "Policy":
        raise PolicyFileError(f"{where}: kind must be Policy")
    known = {"apiVersion", "kind", "metadata", "profile", "k8sVersion", "mode", "rules", "parameters", "exceptions",
             "customRules", "ignore", "admission"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise PolicyFileError(f"{where}: unknown field(s) {', '.join(unknown)}")
    profile = str(doc.get("profile", "production"))
    if profile not in PROFILES:
        raise PolicyFileError(f"{where}: unknown profile {profile!r} (choose from {', '.join(PROFILES)})")
    mode = _mode(doc.get("mode", "enforce"), where)
    rule_modes: dict[str, Mode] = {}
    custom = _custom_rules(doc.get("customRules") or [], where, rule_modes)
    known_ids = set(RULES) | {c.id for c in custom}
    disabled: set[str] = set()
    rule_params: dict[str, dict[str, Any]] = {}
    rules = doc.get("rules") or {}
    if not isinstance(rules, dict):
        raise PolicyFileError(f"{where}: rules must map rule ids to settings")
    for rid, settings in rules.items():
        if rid not in known_ids:
            raise PolicyFileError(f"{where}: rules: unknown rule {rid!r}")
        if not isinstance(settings, dict):
            raise PolicyFileError(f"{where}: rules.{rid} must be a mapping (mode, enabled, params)")
        if "mode" in settings:
            rule_modes[rid] = _mode(settings["mode"], f"{where}: rules.{rid}")
        if settings.get("enabled", True) is False:
            disabled.add(rid)
        if "params" in settings:
            if not isinstance(settings["params"], dict):
                raise PolicyFileError(f"{where}: rules.{rid}.params must be a mapping")
            rule_params[rid] = dict(settings["params"])
    params = doc.get("parameters") or {}
    if not isinstance(params, dict):
        raise PolicyFileError(f"{where}: parameters must be a mapping")
    excs: list[PolicyException] = []
    for i, e in enumerate(doc.get("exceptions") or []):
        w = f"{where}: exceptions[{i}]"
        if not isinstance(e, dict):
            raise PolicyFileError(f"{w} must be a mapping")
        rid = _str(e, "rule", w)
        if rid not in known_ids:
            raise PolicyFileError(f"{w}: unknown rule {rid!r}")
        res = e.get("resource") or {}
        if not isinstance(res, dict):
            raise PolicyFileError(f"{w}: resource must be a mapping (kind, namespace, name)")
        excs.append(PolicyException(
            rule=rid, reason=_str(e, "reason", w), owner=_str(e, "owner", w), expires=_date(e.get("expires"), w),
            kind=_str(res, "kind", w, False), namespace=_str(res, "namespace", w, False),
            name=_str(res, "name", w, False), container=_str(e, "container", w, False),
        ))
    version = doc.get("k8sVersion")
    section = doc.get("admission")
    exempt_ns, exempt_users = _admission({} if section is None else section, where)
    return Policy(profile, None if version is None else str(version), mode, rule_modes, frozenset(disabled),
                  dict(params), rule_params, tuple(excs), tuple(custom), tuple(_ignore(doc, where, lines or {})),
                  exempt_namespaces=exempt_ns, exempt_usernames=exempt_users)


def _ignore(doc: dict[str, Any], where: str, lines: Mapping[tuple[Any, ...], int]) -> list[ignorefile.IgnoreEntry]:
    if doc.get("ignore") is None:
        return []

    def where_of(i: int, _item: dict[str, Any]) -> str:
        line = lines.get(("ignore", i))
        return f"{where}:{line}" if line else f"{where}: ignore[{i}]"

    line = lines.get(("ignore",))
    try:
        return ignorefile.entries(doc["ignore"], f"{where}:{line}" if line else f"{where}: ignore", where_of)
    except PolicyFileError:
        raise
    except UsageError as e:
        raise PolicyFileError(e.message) from None


def _admission(section: Any, where: str) -> tuple[frozenset[str], frozenset[str]]:
    """``admission: {exemptNamespaces: [...], exemptUsernames: [...]}`` (the webhook's exemptions)."""
    w = f"{where}: admission"
    if not isinstance(section, dict):
        raise PolicyFileError(f"{w} must be a mapping (exemptNamespaces, exemptUsernames)")
    unknown = sorted(set(section) - {"exemptNamespaces", "exemptUsernames"})
    if unknown:
        raise PolicyFileError(f"{w}: unknown field(s) {', '.join(unknown)}")
    out = []
    for key in ("exemptNamespaces", "exemptUsernames"):
        items = section.get(key) or []
        if not isinstance(items, list) or not all(isinstance(x, str) and x for x in items):
            raise PolicyFileError(f"{w}.{key} must be a list of non-empty strings")
        out.append(frozenset(items))
    return out[0], out[1]


def _custom_rules(items: Any, where: str, rule_modes: dict[str, Mode]) -> list[CustomRule]:
    if not isinstance(items, list):
        raise PolicyFileError(f"{where}: customRules must be a list")
    out: list[CustomRule] = []
    for i, item in enumerate(items):
        w = f"{where}: customRules[{i}]"
        if not isinstance(item, dict):
            raise PolicyFileError(f"{w} must be a mapping (id, title, expression, ...)")
        rid = _str(item, "id", w)
        if rid in RULES or rid.upper().startswith("HC-") or rid in {c.id for c in out}:
            raise PolicyFileError(f"{w}: id {rid!r} is taken (HC- ids are reserved for built-in rules)")
        expression = _str(item, "expression", w)
        try:
            severity = SeverityLevel(str(item.get("severity", "medium")).lower())
        except ValueError:
            raise PolicyFileError(f"{w}: unknown severity {item.get('severity')!r}") from None
        kinds = item.get("kinds") or []
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise PolicyFileError(f"{w}: kinds must be a list of kind names")
        message = item.get("message")
        rule = CustomRule(rid, str(item.get("title") or rid), severity, expression,
                          str(message) if message is not None else "", tuple(kinds))
        try:
            compile_rule(rule, w)  # a syntax error is reported now, with the rule's place in the file
        except UsageError as e:
            raise PolicyFileError(e.message) from None
        if "mode" in item:
            rule_modes[rid] = _mode(item["mode"], w)
        out.append(rule)
    return out


def load_policy(path: Path) -> Policy:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PolicyFileError(f"{path}: cannot read policy: {e.strerror or e}") from e
    try:
        loaded = load_documents(data)
    except YamlError as e:
        raise PolicyFileError(f"{path}:{e.line}: {e.message}" if e.line else f"{path}: {e.message}") from e
    docs = [d for d in loaded if d is not None]
    if len(docs) != 1:
        raise PolicyFileError(f"{path}: a policy file holds exactly one YAML document")
    lines: dict[tuple[Any, ...], int] = {}
    if isinstance(docs[0], dict) and docs[0].get("ignore"):
        from hullcheck.policy.locate import node_lines

        index = next(i for i, d in enumerate(loaded) if d is not None)
        lines = node_lines(data.decode("utf-8", errors="replace"), {index}).get(index, {})
    return parse_policy(docs[0], str(path), lines)
