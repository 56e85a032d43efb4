"""What several report formats share: severity order, counts, where a finding lives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from hullcheck.baseimage import BaseSummary, summarize
from hullcheck.match.suppress import AnyFinding, Suppressed
from hullcheck.model.checks import Misconfiguration, SecretFinding
from hullcheck.model.finding import Finding, SeverityLevel
from hullcheck.report.levels import SEVERITIES  # critical first
from hullcheck.scan import ScanReport

__all__ = ["SEVERITIES"]  # and the helpers below
KINDS = ("vulnerability", "secret", "misconfiguration")
KIND_TITLES = {"vulnerability": "vulnerabilities", "secret": "secrets", "misconfiguration": "misconfigurations"}


def level_of(f: AnyFinding) -> SeverityLevel:
    return f.severity.level if isinstance(f, Finding) else f.severity


def id_of(f: AnyFinding) -> str:
    if isinstance(f, Finding):
        return f.id
    if isinstance(f, SecretFinding):
        return f.rule_id
    return f.check_id


def title_of(f: AnyFinding) -> str:
    if isinstance(f, Finding):
        return f.summary or f"{f.id} in {f.package.name}"
    return f.title


def layer_of(f: AnyFinding) -> int | None:
    return f.package.layer_index if isinstance(f, Finding) else f.layer_index


def path_of(f: AnyFinding) -> str:
    """The file the finding is about, without a leading slash ("" for image-config findings)."""
    if isinstance(f, Finding):
        return f.package.locations[0].path.lstrip("/") if f.package.locations else ""
    if isinstance(f, SecretFinding):
        return f.path.lstrip("/") if f.source == "file" else ""
    ev = f.evidence
    return ev.lstrip("/") if ev.startswith("/") else ""


def where_of(f: AnyFinding) -> str:
    """A short human location: a path, or the config field a secret or check is about."""
    if isinstance(f, Finding):
        return f.package.locations[0].path if f.package.locations else ""
    if isinstance(f, SecretFinding):
        if f.source == "file":
            line = f":{f.line}" if f.line else ""
            return f"{f.path}{line}" + (" (deleted in a later layer)" if f.deleted else "")
        return f"{f.source} {f.path}".strip()
    return f.evidence


def fixed_text(f: Finding) -> str:
    return ", ".join(f.fixed_versions) if f.fixed_versions else f.fix_state.value


def remaining(r: ScanReport) -> list[AnyFinding]:
    return [*r.findings, *r.secrets, *r.misconfigurations]


def by_kind(items: Iterable[AnyFinding]) -> dict[str, list[AnyFinding]]:
    out: dict[str, list[AnyFinding]] = {k: [] for k in KINDS}
    for f in items:
        out[kind(f)].append(f)
    return out


def kind(f: AnyFinding) -> str:
    if isinstance(f, Finding):
        return "vulnerability"
    if isinstance(f, SecretFinding):
        return "secret"
    assert isinstance(f, Misconfiguration)
    return "misconfiguration"


def severity_counts(items: Iterable[AnyFinding]) -> dict[SeverityLevel, int]:
    c = Counter(level_of(f) for f in items)
    return {s: c.get(s, 0) for s in SEVERITIES}


def suppression_note(s: Suppressed) -> str:
    """One line: what was said, why, by whom, where; e.g.
    ``ignored until 2027-01-31 (not reachable), owner web [.hullcheckignore:3]``."""
    v = s.verdict
    if s.expired:
        text = f"ignore entry expired on {v.expires}"
    else:
        text = v.status.value.replace("_", " ")
        if v.justification:
            text += f": {v.justification}"
        if v.expires:
            text += f" until {v.expires}"
    if v.reason:
        text += f" ({v.reason})"
    if v.owner:
        text += f", owner {v.owner}"
    return f"{text} [{v.source}]"


def base_summary(r: ScanReport) -> BaseSummary:
    """Base-image layers vs the application's, over the findings that remain after exceptions."""
    return summarize(r.metadata, r.catalog.distro, r.catalog.packages, r.findings)
