"""hullcheck's own JSON report (``hullcheck.report/v1``, documented in docs/report-json.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from hullcheck.model.finding import Finding
from hullcheck.model.serde import distro_to_dict, location_to_dict
from hullcheck.scan import REPORT_SCHEMA, ScanReport


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


def to_dict(r: ScanReport) -> dict[str, Any]:
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
        "summary": {
            "packages": len(r.catalog.packages),
            "findings": len(r.findings),
            "by_severity": _counts(r),
        },
        "findings": [finding_to_dict(f) for f in r.findings],
        "secrets": [],
        "misconfigurations": [],
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
    return json.dumps(to_dict(r), indent=2, default=str) + "\n"
