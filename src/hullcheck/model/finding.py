"""What matching finds: a vulnerability in a package, why it matched, and how it is fixed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hullcheck.model.package import Package


class SeverityLevel(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NEGLIGIBLE = "negligible"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    SeverityLevel.CRITICAL: 5,
    SeverityLevel.HIGH: 4,
    SeverityLevel.MEDIUM: 3,
    SeverityLevel.LOW: 2,
    SeverityLevel.NEGLIGIBLE: 1,
    SeverityLevel.UNKNOWN: 0,
}


class FixState(StrEnum):
    FIXED = "fixed"  # a fixed version exists
    NOT_FIXED = "not-fixed"  # affected, no fix yet
    WONT_FIX = "wont-fix"  # the vendor will not fix (no DSA, ignored, end of life)
    NOT_AFFECTED = "not-affected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Severity:
    level: SeverityLevel
    source: str = ""  # who said so: "debian", "ghsa", "nvd", "cvss-v3"...
    score: float | None = None
    vector: str | None = None


@dataclass(frozen=True)
class MatchDetail:
    """Why a package matched an advisory."""

    advisory_id: str
    matcher: str  # stable id: "distro-dpkg", "language-pypi", ...
    ecosystem: str  # the ecosystem that was queried ("Debian:12", "PyPI")
    queried_name: str  # the name that was looked up (the source package for distros)
    queried_version: str
    via_source_package: bool = False
    affected_range: str = ""  # a readable form of the range or version list that matched
    data_source: str = ""  # where the advisory came from ("osv:PyPI", "debian-tracker", ...)


@dataclass(frozen=True)
class Finding:
    id: str
    package: Package
    severity: Severity
    fix_state: FixState
    aliases: tuple[str, ...] = ()
    fixed_versions: tuple[str, ...] = ()
    summary: str = ""
    url: str = ""
    details: tuple[MatchDetail, ...] = ()
