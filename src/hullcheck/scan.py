"""The facade the CLI and the service call: image -> catalog -> matching -> a report."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hullcheck.advisories.store import AdvisoryStore, max_age_from_env
from hullcheck.catalog.runner import Catalog
from hullcheck.image.walk import Observer
from hullcheck.inventory import inventory
from hullcheck.match.matcher import Matcher, MatchProblem
from hullcheck.model import ImageMetadata, Platform
from hullcheck.model.finding import Finding, FixState, SeverityLevel

REPORT_SCHEMA = "hullcheck.report/v1"


@dataclass(frozen=True)
class ScanOptions:
    db_path: Path | None = None
    platform: Platform | None = None
    severities: frozenset[SeverityLevel] | None = None  # None: all
    ignore_unfixed: bool = False
    registry_options: object = None  # hullcheck.image.registry.RegistryOptions


@dataclass
class ScanReport:
    ref: str
    metadata: ImageMetadata | None
    catalog: Catalog
    findings: list[Finding]
    problems: list[MatchProblem]
    db_status: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    started_at: str = ""

    def at_or_above(self, level: SeverityLevel) -> list[Finding]:
        return [f for f in self.findings if f.severity.level.rank >= level.rank]


def filter_findings(findings: Sequence[Finding], opts: ScanOptions) -> list[Finding]:
    out = []
    for f in findings:
        if opts.ignore_unfixed and f.fix_state is not FixState.FIXED:
            continue
        if opts.severities is not None and f.severity.level not in opts.severities:
            continue
        out.append(f)
    return out


def scan(ref: str, opts: ScanOptions, *, observer: Observer | None = None) -> ScanReport:
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    # Open the database first: a missing database should fail before minutes of image reading.
    with AdvisoryStore.open(opts.db_path) as store:
        status = store.status()
        inv = inventory(ref, platform=opts.platform, observer=observer, registry_options=opts.registry_options)
        result = Matcher(store).match(inv.catalog.packages)
    warnings = []
    stale = status.staleness_warning(max_age_from_env())
    if stale:
        warnings.append(stale)
    findings = sorted(
        filter_findings(result.findings, opts),
        key=lambda f: (-f.severity.level.rank, f.package.name, f.id),
    )
    return ScanReport(
        ref=ref,
        metadata=dataclasses.replace(inv.metadata),
        catalog=inv.catalog,
        findings=findings,
        problems=list(result.problems),
        db_status=status.to_json(),
        warnings=warnings,
        started_at=started,
    )
