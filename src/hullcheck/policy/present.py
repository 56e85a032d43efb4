"""How the human-facing check formats (JUnit, Markdown, HTML) name a violation's parts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from hullcheck.model.finding import SeverityLevel
from hullcheck.model.violation import Mode, ResourceRef, Violation
from hullcheck.policy.config import PolicyException
from hullcheck.policy.engine import CheckResult


def resource_label(r: ResourceRef) -> str:
    """``Kind/namespace/name`` (``Kind/name`` without a namespace), as the table format prints it."""
    return f"{r.kind}/{r.namespace + '/' if r.namespace else ''}{r.name}"


def status_of(v: Violation) -> str:
    """``excepted`` when a valid exception covers it, else its mode (enforce, warn, audit)."""
    return "excepted" if v.excepted else v.mode.value


def where(v: Violation) -> str:
    """``file:line`` (or just the file, or "" for images and other file-less subjects)."""
    f = v.resource.file
    return f"{f}:{v.line}" if f and v.line is not None else f


def exception_note(v: Violation) -> str:
    """The matched exception in one line, or ""."""
    x = v.exception
    if x is None:
        return ""
    state = f"expired on {x.expires}, no longer applied" if x.expired else f"until {x.expires}"
    return f"exception {state}: {x.reason} (owner {x.owner})"


def expired_line(e: PolicyException) -> str:
    """An expired exception in one line."""
    scope = ", ".join(f"{k} {v}" for k, v in (("kind", e.kind), ("namespace", e.namespace), ("name", e.name),
                                              ("container", e.container)) if v not in ("", "*"))
    return (f"{e.rule} for {scope or 'any resource'}: expired on {e.expires.isoformat()}, owner {e.owner} "
            f"({e.reason}); no longer applied")


def severity_counts(vs: Iterable[Violation]) -> Counter[SeverityLevel]:
    return Counter(v.severity for v in vs)


def summary_counts(result: CheckResult) -> dict[str, int]:
    """Violations by status: enforced (fail the run), warn, audit, excepted."""
    vs = result.violations
    return {
        "enforced": len(result.failing),
        "warn": sum(1 for v in vs if v.mode is Mode.WARN and not v.excepted),
        "audit": sum(1 for v in vs if v.mode is Mode.AUDIT and not v.excepted),
        "excepted": sum(1 for v in vs if v.excepted),
    }


def version_text(result: CheckResult) -> str:
    return f"v{result.version[0]}.{result.version[1]}"
