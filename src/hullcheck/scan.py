"""The facade the CLI and the service call: image -> catalog -> matching -> a report."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from hullcheck.advisories.store import AdvisoryStore, max_age_from_env
from hullcheck.catalog.interface import Analyzer
from hullcheck.catalog.registry import default_analyzers
from hullcheck.catalog.runner import Catalog
from hullcheck.format.common import unique_ids
from hullcheck.image.walk import Observer
from hullcheck.inventory import inventory
from hullcheck.match import ignore, vex
from hullcheck.match.matcher import Matcher, MatchProblem
from hullcheck.match.suppress import ImageIdentity, Rule, Suppressed, apply
from hullcheck.model import ImageMetadata, Package, Platform
from hullcheck.model.checks import Misconfiguration, SecretFinding
from hullcheck.model.finding import Finding, FixState, SeverityLevel

REPORT_SCHEMA = "hullcheck.report/v1"
SCANNERS = ("vuln", "secret", "config")


@dataclass(frozen=True)
class ScanOptions:
    db_path: Path | None = None
    platform: Platform | None = None
    severities: frozenset[SeverityLevel] | None = None  # None: all
    ignore_unfixed: bool = False
    registry_options: object = None  # hullcheck.image.registry.RegistryOptions
    ignore_file: Path | None = None  # .hullcheckignore (YAML), see docs/ignore-and-vex.md
    ignore_entries: tuple[ignore.IgnoreEntry, ...] = ()  # more entries, e.g. a policy file's ``ignore:``
    vex_files: tuple[Path, ...] = ()  # OpenVEX or CycloneDX VEX documents
    today: date | None = None  # the day ignore-entry expiry is judged against (None: today, UTC)
    scanners: frozenset[str] = frozenset(SCANNERS)
    secret_rules: Path | None = None  # custom secret rules (YAML), see hullcheck.secrets.rules


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
    secrets: list[SecretFinding] = field(default_factory=list)
    misconfigurations: list[Misconfiguration] = field(default_factory=list)
    # hidden by the ignore file or VEX, with the reason; never counted by gates
    suppressed: list[Suppressed] = field(default_factory=list)
    # still shown, with a note: an expired ignore entry, a VEX "under_investigation"/"affected"
    annotations: list[Suppressed] = field(default_factory=list)

    def at_or_above(self, level: SeverityLevel) -> list[Finding]:
        return [f for f in self.findings if f.severity.level.rank >= level.rank]

    def failing(self, level: SeverityLevel) -> int:
        """Remaining findings of every kind at or above ``level``: what ``--fail-on`` counts."""
        return (len(self.at_or_above(level))
                + sum(1 for s in self.secrets if s.severity.rank >= level.rank)
                + sum(1 for m in self.misconfigurations if m.severity.rank >= level.rank))


def filter_findings(findings: Sequence[Finding], opts: ScanOptions) -> list[Finding]:
    out = []
    for f in findings:
        if opts.ignore_unfixed and f.fix_state is not FixState.FIXED:
            continue
        if opts.severities is not None and f.severity.level not in opts.severities:
            continue
        out.append(f)
    return out


def load_rules(opts: ScanOptions) -> list[Rule]:
    """VEX first (a supplier's statement about its product), then the ignore file's entries, then
    the policy file's (one rule set: the first entry that hides a finding wins)."""
    rules: list[Rule] = []
    if opts.vex_files:
        rules.append(vex.load(list(opts.vex_files)))
    entries = ignore.load(opts.ignore_file) if opts.ignore_file is not None else []
    rules.extend(ignore.rules([*entries, *opts.ignore_entries], opts.today))
    return rules


def image_identity(ref: str, meta: ImageMetadata | None) -> ImageIdentity:
    digests: set[str] = set()
    names: set[str] = set()
    if meta is not None:
        digests.update(d.lower() for d in (meta.manifest_digest, meta.config_digest) if d)
        for rd in meta.repo_digests:
            repo, _, dig = rd.rpartition("@")
            digests.add(dig.lower())
            names.add(repo.lower())
        for tag in meta.repo_tags:
            repo = tag.rsplit(":", 1)[0] if ":" in tag.rsplit("/", 1)[-1] else tag
            names.add(repo.lower())
    for n in list(names):  # docker.io/library/debian is also library/debian and debian
        parts = n.split("/")
        names.update("/".join(parts[i:]) for i in range(1, len(parts)))
    return ImageIdentity(ref=ref, digests=frozenset(digests), names=frozenset(names))


def bom_refs(packages: Sequence[Package]) -> dict[Package, str]:
    """The bom-refs hullcheck's CycloneDX writer gives these packages (VEX can point at them)."""
    out: dict[Package, str] = {}
    for p, i in zip(packages, unique_ids(tuple(packages)), strict=True):
        out.setdefault(p, "pkg:" + i)
    return out


def apply_exceptions(report: ScanReport, rules: Sequence[Rule]) -> ScanReport:
    """Move what the rules hide into ``report.suppressed``; note what they only annotate."""
    if not rules:
        return report
    res = apply(report.findings, report.secrets, report.misconfigurations, rules,
                image_identity(report.ref, report.metadata), bom_refs(report.catalog.packages))
    return dataclasses.replace(
        report, findings=res.findings, secrets=res.secrets, misconfigurations=res.misconfigurations,
        suppressed=report.suppressed + res.suppressed, annotations=report.annotations + res.annotations,
    )


def _open_store(opts: ScanOptions) -> AbstractContextManager[AdvisoryStore | None]:
    if "vuln" in opts.scanners:
        return AdvisoryStore.open(opts.db_path)
    return nullcontext(None)


def scan(ref: str, opts: ScanOptions, *, observer: Observer | None = None) -> ScanReport:
    """Scan an image reference, or ``sbom:FILE`` (vulnerabilities only: an SBOM has no files)."""
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    rules = load_rules(opts)  # a broken ignore/VEX file fails before the image is read
    secrets: list[SecretFinding] = []
    misconfigs: list[Misconfiguration] = []
    status = None
    problems: list[MatchProblem] = []
    found: list[Finding] = []
    # Open the database first: a missing database should fail before minutes of image reading.
    with _open_store(opts) as store:
        if store is not None:
            status = store.status()
        if ref.startswith("sbom:"):
            from hullcheck.format import read_sbom

            doc = read_sbom(ref[len("sbom:"):])
            metadata: ImageMetadata | None = doc.source
            catalog = doc.catalog
        else:
            analyzers: list[Analyzer] = list(default_analyzers())
            from hullcheck.secrets import ScanSettings, SecretAnalyzer, load_ruleset

            ruleset = load_ruleset(opts.secret_rules) if "secret" in opts.scanners else None
            settings = ScanSettings.from_env()
            if ruleset is not None:
                analyzers.append(SecretAnalyzer(ruleset, settings))
            inv = inventory(ref, platform=opts.platform, observer=observer,
                            registry_options=opts.registry_options, analyzers=analyzers)
            metadata, catalog = dataclasses.replace(inv.metadata), inv.catalog
            if ruleset is not None:
                from hullcheck.secrets import collect_secrets

                secrets = collect_secrets(inv.scans, inv.metadata, ruleset=ruleset, settings=settings, view=inv.view)
            if "config" in opts.scanners:
                from hullcheck.imagecheck import run_checks

                misconfigs = run_checks(inv.metadata, inv.scans, inv.catalog, view=inv.view)
        if store is not None:
            result = Matcher(store).match(catalog.packages)
            found, problems = list(result.findings), list(result.problems)
    warnings = []
    stale = status.staleness_warning(max_age_from_env()) if status is not None else None
    if stale:
        warnings.append(stale)
    findings = sorted(filter_findings(found, opts), key=lambda f: (-f.severity.level.rank, f.package.name, f.id))
    report = ScanReport(
        ref=ref,
        metadata=metadata,
        catalog=catalog,
        findings=findings,
        problems=problems,
        db_status=status.to_json() if status is not None else {},
        warnings=warnings,
        started_at=started,
        secrets=secrets,
        misconfigurations=misconfigs,
    )
    return apply_exceptions(report, rules)
