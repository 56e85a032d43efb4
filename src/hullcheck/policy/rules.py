"""The rule contract: a rule is metadata plus a check over one normalised workload."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hullcheck.errors import UsageError
from hullcheck.model.finding import SeverityLevel

Version = tuple[int, int]


@dataclass(frozen=True)
class Hit:
    """One thing wrong in one workload, before policy modes and exceptions are applied."""

    message: str
    field: str = ""
    container: str = ""
    severity: SeverityLevel | None = None  # overrides the rule's (a vulnerability's own severity)
    aliases: tuple[str, ...] = ()  # other names an exception's `container:` may use (a vulnerability's aliases)


@dataclass(frozen=True)
class Context:
    version: Version  # the Kubernetes policy version the checks follow
    level: str = ""  # "baseline" / "restricted" for PSS rules (some controls differ by level)
    params: Mapping[str, Any] = field(default_factory=dict)


# The subject is a Workload for target "workload", a compose.Service for "compose", a
# dockerfile.Dockerfile for "dockerfile", a host.HostFile for "host", an azure.AzureResource for
# "azure", an image_rules.ImageSubject for "image": each rule declares which one.
CheckFn = Callable[[Any, Context], Iterable[Hit]]
TARGETS = ("workload", "compose", "dockerfile", "host", "azure", "image")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: SeverityLevel
    rationale: str
    remediation: str
    check: CheckFn
    references: tuple[str, ...] = ()
    min_version: Version = (1, 0)  # PSS: the policy version the control starts at
    overrides: tuple[tuple[str, Version], ...] = ()  # (baseline rule it replaces, from version)
    params: Mapping[str, Any] = field(default_factory=dict)  # parameters and their defaults
    target: str = "workload"


# PSA: every minor up to the newest check revision; newer versions (and "latest") clamp down to it.
LATEST: Version = (1, 37)


def parse_version(text: str | None) -> Version:
    """``v1.30``, ``1.30`` or ``latest`` -> (1, 30); versions above ``LATEST`` clamp to it (as PSA does)."""
    if text is None or text.strip().lower() in ("", "latest"):
        return LATEST
    t = text.strip().lower().removeprefix("v")
    parts = t.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]) or len(parts) > 3:
        raise UsageError(f"invalid Kubernetes version {text!r}: use v1.N or latest")
    v = (int(parts[0]), int(parts[1]))
    if v[0] != 1:
        raise UsageError(f"unsupported Kubernetes version {text!r}: only v1.x is defined")
    return min(v, LATEST)
