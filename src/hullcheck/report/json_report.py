"""hullcheck's own JSON report (``hullcheck.report/v1``, documented in docs/report-json.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hullcheck import jsontext
from hullcheck.baseimage import BaseSummary
from hullcheck.match.suppress import AnyFinding, Suppressed
from hullcheck.model.checks import Misconfiguration, SecretFinding
from hullcheck.model.finding import Finding
from hullcheck.model.serde import distro_to_dict, location_to_dict
from hullcheck.report.common import base_summary, kind
from hullcheck.scan import REPORT_SCHEMA, ScanReport


def exception_to_dict(s: Suppressed) -> dict[str, Any]:
    v = s.verdict
    return {
        "status": v.status.value,
        "hidden": v.status.hides,
        "reason": v.reason,
        "source": v.source,
        "justification": v.justification,
        "owner": v.owner,
        "expires": v.expires or None,
        "expired": s.expired,
    }


def secret_to_dict(s: SecretFinding) -> dict[str, Any]:
    return {
        "rule_id": s.rule_id,
        "title": s.title,
        "severity": s.severity.value,
        "source": s.source,
        "path": s.path,
        "line": s.line,
        "match": s.match,
        "layer": s.layer_index,
        "deleted": s.deleted,
    }


def misconfiguration_to_dict(m: Misconfiguration) -> dict[str, Any]:
    return {
        "check_id": m.check_id,
        "title": m.title,
        "severity": m.severity.value,
        "message": m.message,
        "rationale": m.rationale,
        "remediation": m.remediation,
        "evidence": m.evidence,
        "layer": m.layer_index,
        "references": list(m.references),
    }


def item_to_dict(f: AnyFinding) -> dict[str, Any]:
    if isinstance(f, Finding):
        return finding_to_dict(f)
    if isinstance(f, SecretFinding):
        return secret_to_dict(f)
    return misconfiguration_to_dict(f)


def finding_to_dict(f: Finding) -> dict[str, Any]:
    p = f.package
    return {
        "id": f.id,
        "aliases": list(f.aliases),
        "severity": f.severity.level.value,
        "severity_source": f.severity.source,
        "cvss": {"score": f.severity.score, "vector": f.severity.vector} if f.severity.score is not None else None,
        "summary": f.summary,
        "url": f.url,
        "package": {
            "name": p.name,
            "version": p.version,
            "type": p.type.value,
            "ecosystem": p.ecosystem,
            "purl": p.purl,
            "source_name": p.source_name,
            "source_version": p.source_version,
            "locations": [location_to_dict(loc) for loc in p.locations],
            "layer": p.layer_index,
            "layer_diff_id": p.layer_diff_id,
            "created_by": p.created_by,
        },
        "fix": {"state": f.fix_state.value, "versions": list(f.fixed_versions)},
        "matched_by": [asdict(d) for d in f.details],
    }


def base_to_dict(b: BaseSummary) -> dict[str, Any] | None:
    s = b.split
    if not s.base_layers:
        return None
    return {
        "layers": list(range(s.base_layers)),
        "detected_by": s.method,
        "name": s.name or None,
        "name_source": s.name_source or None,
        "release": b.release or None,
        "findings": b.base_findings,
        "fixed_in_release": b.fixed_in_release,
        "fixed_packages": list(b.fixed_packages),
        "app_findings": b.app_findings,
        "summary": b.line,
    }


def _with_note(d: dict[str, Any], f: AnyFinding, notes: dict[int, Suppressed]) -> dict[str, Any]:
    note = notes.get(id(f))
    d["exception"] = exception_to_dict(note) if note is not None else None
    return d


def to_dict(r: ScanReport) -> dict[str, Any]:
    notes = {id(a.finding): a for a in r.annotations}
    meta = r.metadata
    image: dict[str, Any] | None = None
    if meta is not None:
        image = {
            "ref": meta.ref,
            "platform": str(meta.platform),
            "manifest_digest": meta.manifest_digest,
            "config_digest": meta.config_digest,
            "created": meta.created,
            "user": meta.user,
            "repo_tags": list(meta.repo_tags),
            "labels": dict(meta.labels),
            "layers": [
                {"index": x.index, "digest": x.digest, "diff_id": x.diff_id, "size": x.size, "created_by": x.created_by}
                for x in meta.layers
            ],
        }
    return {
        "schema": REPORT_SCHEMA,
        "ref": r.ref,
        "started_at": r.started_at,
        "image": image,
        "distro": distro_to_dict(r.catalog.distro) if r.catalog.distro else None,
        "base_image": base_to_dict(base_summary(r)),
        "summary": {
            "packages": len(r.catalog.packages),
            "findings": len(r.findings),
            "by_severity": _counts(r),
            "secrets": len(r.secrets),
            "misconfigurations": len(r.misconfigurations),
            "suppressed": len(r.suppressed),
            "expired_exceptions": sum(1 for a in r.annotations if a.expired),
        },
        "findings": [_with_note(finding_to_dict(f), f, notes) for f in r.findings],
        "secrets": [_with_note(secret_to_dict(s), s, notes) for s in r.secrets],
        "misconfigurations": [_with_note(misconfiguration_to_dict(m), m, notes) for m in r.misconfigurations],
        "suppressed": [
            {"kind": kind(s.finding), "exception": exception_to_dict(s), "finding": item_to_dict(s.finding)}
            for s in r.suppressed
        ],
        "problems": [{"package": p.package.name, "version": p.package.version, "reason": p.reason} for p in r.problems],
        "unknowns": [{"path": u.path, "reason": u.reason, "found_by": u.found_by} for u in r.catalog.unknowns],
        "database": r.db_status,
        "warnings": r.warnings,
    }


def _counts(r: ScanReport) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in r.findings:
        out[f.severity.level.value] = out.get(f.severity.level.value, 0) + 1
    return out


def render(r: ScanReport) -> str:
    return jsontext.dumps(to_dict(r), default=str, ensure_ascii=True)
