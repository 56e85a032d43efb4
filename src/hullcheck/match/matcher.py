"""Match cataloged packages to advisories.

Per package, one or more queries (ecosystem, name, version) go to the store; every affected
entry returned is evaluated by ``ranges.is_affected`` (the one place that reads OSV ranges).
Distro packages are queried through their source package, for the image's own release only
(the ecosystem carries it: ``Debian:12``), since distro feeds name source packages; RPM feeds
differ (AlmaLinux names binary packages, Red Hat source RPMs), so RPMs are asked both ways.
Hits are grouped by alias group so that one vulnerability is one finding per package.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hullcheck.advisories.records import Advisory, AffectedRecord
from hullcheck.advisories.severity import effective_severity
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.errors import HullcheckError
from hullcheck.match.ranges import AffectedHit, Skipped, is_affected
from hullcheck.model import Package, PackageType
from hullcheck.model.finding import Finding, FixState, MatchDetail, Severity, SeverityLevel


@dataclass(frozen=True)
class Query:
    ecosystem: str
    name: str
    version: str
    matcher: str
    via_source: bool = False


@dataclass(frozen=True)
class MatchProblem:
    """A package that could not be (fully) matched, and why; shown in reports, never fatal."""

    package: Package
    reason: str


@dataclass(frozen=True)
class MatchResult:
    findings: tuple[Finding, ...]
    problems: tuple[MatchProblem, ...]
    # Packages a cataloger marked ``metadata["skip_match"]`` (``(devel)`` Go modules, local
    # replacements, crates from other registries, jars without a groupId): not queried. Not
    # problems (nothing went wrong, there is just no identity to match on), but counted, with
    # the cataloger's reason, so a report can say how much was left out.
    skipped: tuple[MatchProblem, ...] = ()


def _distro_queries(pkg: Package, matcher: str) -> list[Query]:
    if not pkg.ecosystem:
        return []
    if pkg.source_name and pkg.source_name != pkg.name:
        return [Query(pkg.ecosystem, pkg.source_name, pkg.source_version or pkg.version, matcher, True)]
    return [Query(pkg.ecosystem, pkg.name, pkg.source_version or pkg.version, matcher)]


def _rpm_queries(pkg: Package) -> list[Query]:
    if not pkg.ecosystem:
        return []
    out = [Query(pkg.ecosystem, pkg.name, pkg.version, "distro-rpm")]
    if pkg.source_name and pkg.source_name != pkg.name:
        out.append(Query(pkg.ecosystem, pkg.source_name, pkg.source_version or pkg.version, "distro-rpm", True))
    return out


_UNMATCHABLE_VERSIONS = frozenset({"", "(devel)", "*", "latest", "UNKNOWN"})


def _language_queries(pkg: Package) -> list[Query]:
    if not pkg.ecosystem or pkg.version in _UNMATCHABLE_VERSIONS:
        return []
    return [Query(pkg.ecosystem, pkg.name, pkg.version, f"language-{pkg.ecosystem.lower().replace('.', '')}")]


# Explicit registry: package type -> how to ask the store about it.
QUERY_BUILDERS: dict[PackageType, Callable[[Package], list[Query]]] = {
    PackageType.DEB: lambda p: _distro_queries(p, "distro-dpkg"),
    PackageType.APK: lambda p: _distro_queries(p, "distro-apk"),
    PackageType.RPM: _rpm_queries,
}


SKIP_MATCH = "skip_match"  # Package.metadata key set by catalogers (see MatchResult.skipped)


def skip_reason(pkg: Package) -> str | None:
    why = pkg.metadata.get(SKIP_MATCH) if pkg.metadata else None
    if why:
        return str(why)
    return None


def queries_for(pkg: Package) -> list[Query]:
    if skip_reason(pkg) is not None:
        return []
    build = QUERY_BUILDERS.get(pkg.type, _language_queries)
    return build(pkg)


def _range_text(rec: AffectedRecord, hit: AffectedHit) -> str:
    if hit.via == "versions":
        return "listed in affected versions"
    parts = []
    if hit.introduced is not None:
        parts.append(f">= {hit.introduced}" if hit.introduced != "0" else "all versions")
    if hit.closed_by:
        parts.append(f"< {hit.closed_by}")
    if hit.last_affected:
        parts.append(f"<= {hit.last_affected}")
    return f"{hit.range_type or ''} " + ", ".join(parts)


def _preferred_id(ids: Iterable[str], matched: Sequence[str]) -> str:
    ids = sorted(set(ids))
    for prefix in ("CVE-", "GHSA-"):
        for i in ids:
            if i.startswith(prefix):
                return i
    return sorted(matched)[0]


def _url(adv: Advisory | None, vuln_id: str) -> str:
    if adv is not None:
        for ref in adv.references:
            if isinstance(ref, dict) and ref.get("type") == "ADVISORY" and isinstance(ref.get("url"), str):
                return str(ref["url"])
        if adv.source.startswith("debian"):
            return f"https://security-tracker.debian.org/tracker/{vuln_id}"
    return f"https://osv.dev/vulnerability/{vuln_id}"


@dataclass
class _Hit:
    rec: AffectedRecord
    hit: AffectedHit
    query: Query
    state: FixState


class Matcher:
    """Matches packages against one open store.

    Caches advisories and alias groups, and the outcome per distinct set of queries: the same
    (ecosystem, name, version) seen again (another layer, another SBOM of the same base image)
    reuses the findings already computed, with only the package swapped in. The outcome cache
    is bounded (``MEMO_SIZE`` entries, cleared when full)."""

    MEMO_SIZE = 200_000

    def __init__(self, store: AdvisoryStore) -> None:
        self.store = store
        self._adv: dict[str, Advisory | None] = {}
        self._groups: dict[str, tuple[str, ...]] = {}
        self._group_ids: dict[str, str] = {}
        # queries -> (findings built for the first package seen, problem reasons)
        self._memo: dict[tuple[Query, ...], tuple[tuple[Finding, ...], tuple[str, ...]]] = {}

    def _advisory(self, vid: str) -> Advisory | None:
        if vid not in self._adv:
            self._adv[vid] = self.store.get(vid)
        return self._adv[vid]

    def _group_id(self, vid: str) -> str:
        gid = self._group_ids.get(vid)
        if gid is None:
            gid = self._group_ids[vid] = self.store.group_id(vid)
        return gid

    def _group(self, vid: str) -> tuple[str, ...]:
        gid = self._group_id(vid)
        if gid not in self._groups:
            self._groups[gid] = self.store.group(vid)
        return self._groups[gid]

    def match(self, packages: Iterable[Package]) -> MatchResult:
        findings: list[Finding] = []
        problems: list[MatchProblem] = []
        skipped: list[MatchProblem] = []
        for pkg in packages:
            why = skip_reason(pkg)
            if why is not None:
                skipped.append(MatchProblem(pkg, why))
                continue
            f, p = self.match_one(pkg)
            findings.extend(f)
            problems.extend(p)
        return MatchResult(tuple(findings), tuple(problems), tuple(skipped))

    def match_one(self, pkg: Package) -> tuple[list[Finding], list[MatchProblem]]:
        """Findings and problems of one package; a ``skip_match`` package gives neither."""
        queries = tuple(queries_for(pkg))
        if not queries:
            return [], []
        memo = self._memo.get(queries)
        if memo is None:
            memo = self._evaluate(pkg, queries)
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            self._memo[queries] = memo
        found, reasons = memo
        # Findings are frozen; the one computed for an equal package is reused with this one.
        findings = [f if f.package is pkg else dataclasses.replace(f, package=pkg) for f in found]
        return findings, [MatchProblem(pkg, r) for r in reasons]

    def _evaluate(
        self, pkg: Package, queries: tuple[Query, ...]
    ) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
        problems: list[str] = []
        by_group: dict[str, list[_Hit]] = {}
        for q in queries:
            for rec in self.store.lookup(q.ecosystem, q.name):
                skipped: list[Skipped] = []
                try:
                    hit = is_affected(q.ecosystem, q.version, rec.affected, skipped=skipped)
                except HullcheckError as e:
                    problems.append(e.diagnostics())
                    break
                bad_pkg_version = [s for s in skipped if s.kind == "package"]
                if bad_pkg_version:
                    why = bad_pkg_version[0].reason
                    problems.append(f"invalid {q.ecosystem} version {q.version!r}: {why}")
                    break
                if hit is None:
                    continue
                state = self._state(rec, hit)
                if state is FixState.NOT_AFFECTED:
                    continue
                by_group.setdefault(self._group_id(rec.advisory_id), []).append(_Hit(rec, hit, q, state))
        findings = tuple(self._finding(pkg, gid, hits) for gid, hits in sorted(by_group.items()))
        return findings, tuple(problems)

    @staticmethod
    def _state(rec: AffectedRecord, hit: AffectedHit) -> FixState:
        dbs: Any = rec.affected.get("database_specific") or {}
        stored = dbs.get("fix_state") if isinstance(dbs, dict) else None
        if hit.fixed:
            return FixState.FIXED
        if stored in (FixState.WONT_FIX, FixState.UNKNOWN, FixState.NOT_AFFECTED):
            return FixState(stored)
        return FixState.NOT_FIXED

    def _finding(self, pkg: Package, gid: str, hits: list[_Hit]) -> Finding:
        matched = sorted({h.rec.advisory_id for h in hits})
        group = self._group(matched[0])
        vid = _preferred_id(group, matched)
        fixed: list[str] = []
        for h in hits:
            for v in h.hit.fixed:
                if v not in fixed:
                    fixed.append(v)
        states = {h.state for h in hits}
        state = FixState.FIXED if fixed else (
            FixState.WONT_FIX if FixState.WONT_FIX in states else
            FixState.NOT_FIXED if FixState.NOT_FIXED in states else FixState.UNKNOWN
        )
        severity = Severity(SeverityLevel.UNKNOWN)
        best_vendor: Severity | None = None
        summary = ""
        primary: Advisory | None = None
        for h in hits:
            adv = self._advisory(h.rec.advisory_id)
            if adv is None:
                continue
            if primary is None or adv.id == vid:
                primary = adv
            summary = summary or adv.summary
            s = effective_severity(adv, h.rec)
            level = SeverityLevel(s.rating.value)
            cand = Severity(level, source=s.source or s.type, score=s.score, vector=s.vector or None)
            if not s.type.startswith("CVSS") and s.rating.value != "unknown":
                if best_vendor is None or cand.level.rank > best_vendor.level.rank:
                    best_vendor = cand
            elif cand.level.rank > severity.level.rank:
                severity = cand
        if best_vendor is not None:
            severity = best_vendor
        details = tuple(
            MatchDetail(
                advisory_id=h.rec.advisory_id,
                matcher=h.query.matcher,
                ecosystem=h.query.ecosystem,
                queried_name=h.query.name,
                queried_version=h.query.version,
                via_source_package=h.query.via_source,
                affected_range=_range_text(h.rec, h.hit).strip(),
                data_source=h.rec.source,
            )
            for h in hits
        )
        return Finding(
            id=vid,
            package=pkg,
            severity=severity,
            fix_state=state,
            aliases=tuple(i for i in group if i != vid),
            fixed_versions=tuple(fixed),
            summary=summary,
            url=_url(primary, vid),
            details=details,
        )
