"""CycloneDX 1.6 with vulnerabilities (CycloneDX VEX): the image's SBOM plus what affects it.

The components come from ``hullcheck.format.cyclonedx`` so bom-refs are the same as in the SBOM
hullcheck writes for the image (a VEX document about one can point into the other). One
vulnerability entry per id and exception state; ``affects[].ref`` names the packages. Hidden
findings keep their entry, with ``analysis`` saying why: VEX ``not_affected``/``fixed`` map to
``not_affected``/``resolved``, an ignore-file entry to ``exploitable`` with the response
``will_not_fix`` (a risk accepted, which is what an ignore entry is), ``under_investigation`` to
``in_triage``. Secrets and failed image checks are listed as vulnerabilities of the image
component, with ``source.name`` ``hullcheck``.
"""

from __future__ import annotations

from typing import Any

from hullcheck import jsontext
from hullcheck.format import cyclonedx as cdx
from hullcheck.format.common import unique_ids
from hullcheck.match.suppress import AnyFinding, Status, Suppressed
from hullcheck.model import ImageMetadata, Package, Platform
from hullcheck.model.checks import Misconfiguration, SecretFinding
from hullcheck.model.finding import Finding, SeverityLevel
from hullcheck.report.common import id_of, level_of, suppression_note, title_of
from hullcheck.scan import ScanReport

_SEVERITY = {
    SeverityLevel.CRITICAL: "critical",
    SeverityLevel.HIGH: "high",
    SeverityLevel.MEDIUM: "medium",
    SeverityLevel.LOW: "low",
    SeverityLevel.NEGLIGIBLE: "info",
    SeverityLevel.UNKNOWN: "unknown",
}
_STATE = {
    Status.NOT_AFFECTED: "not_affected",
    Status.FIXED: "resolved",
    Status.IGNORED: "exploitable",
    Status.AFFECTED: "exploitable",
    Status.UNDER_INVESTIGATION: "in_triage",
}
# CycloneDX's justification vocabulary, and OpenVEX's names for the same ideas
_JUSTIFICATION = {
    "code_not_present": "code_not_present",
    "code_not_reachable": "code_not_reachable",
    "requires_configuration": "requires_configuration",
    "requires_dependency": "requires_dependency",
    "requires_environment": "requires_environment",
    "protected_by_compiler": "protected_by_compiler",
    "protected_at_runtime": "protected_at_runtime",
    "protected_at_perimeter": "protected_at_perimeter",
    "protected_by_mitigating_control": "protected_by_mitigating_control",
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "protected_by_mitigating_control",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}


def _method(vector: str | None) -> str:
    v = vector or ""
    if v.startswith("CVSS:3.1/"):
        return "CVSSv31"
    if v.startswith("CVSS:3.0/"):
        return "CVSSv3"
    if v.startswith("CVSS:4.0/"):
        return "CVSSv4"
    if v.startswith("AV:") or v.startswith("(AV:"):
        return "CVSSv2"
    return "other"


def _source(vid: str, url: str) -> dict[str, Any]:
    name = "NVD" if vid.startswith("CVE-") else "GitHub" if vid.startswith("GHSA-") else "OSV"
    src: dict[str, Any] = {"name": name}
    if url.startswith(("https://", "http://")):
        src["url"] = url
    return src


def _ratings(f: AnyFinding) -> list[dict[str, Any]]:
    if isinstance(f, Finding):
        r: dict[str, Any] = {"severity": _SEVERITY[f.severity.level], "method": _method(f.severity.vector)}
        if f.severity.score is not None:
            r["score"] = float(f.severity.score)
        if r["method"] != "other" and f.severity.vector:
            r["vector"] = f.severity.vector
        if f.severity.source:
            r["source"] = {"name": f.severity.source}
        return [r]
    return [{"severity": _SEVERITY[level_of(f)], "method": "other", "source": {"name": "hullcheck"}}]


def _analysis(s: Suppressed) -> dict[str, Any]:
    v = s.verdict
    out: dict[str, Any] = {}
    state = _STATE.get(v.status)
    if state:
        out["state"] = state
    just = _JUSTIFICATION.get(v.justification)
    if just and v.status is Status.NOT_AFFECTED:
        out["justification"] = just
    if v.status is Status.IGNORED:
        out["response"] = ["will_not_fix"]
    out["detail"] = suppression_note(s)
    return out


def _meta(r: ScanReport) -> ImageMetadata:
    if r.metadata is not None:
        return r.metadata
    return ImageMetadata(ref=r.ref, platform=Platform(), manifest_digest=None, config_digest=None, layers=())


def _entry(f: AnyFinding, note: Suppressed | None) -> tuple[tuple[str, str], dict[str, Any]]:
    vid = id_of(f)
    if isinstance(f, Finding):
        v: dict[str, Any] = {"id": vid, "source": _source(vid, f.url)}
        refs = [{"id": a, "source": _source(a, "")} for a in f.aliases]
        if refs:
            v["references"] = refs
        v["ratings"] = _ratings(f)
        if f.summary:
            v["description"] = f.summary
        if f.fixed_versions:
            v["recommendation"] = f"Upgrade {f.package.name} to {' or '.join(f.fixed_versions)}"
        if f.url.startswith(("https://", "http://")):
            v["advisories"] = [{"url": f.url}]
    else:
        v = {"id": vid, "source": {"name": "hullcheck"}, "ratings": _ratings(f), "description": title_of(f)}
        if isinstance(f, Misconfiguration):
            if f.rationale:
                v["detail"] = f.rationale
            if f.remediation:
                v["recommendation"] = f.remediation
        kind = "secret" if isinstance(f, SecretFinding) else "misconfiguration"
        v["properties"] = [{"name": "hullcheck:kind", "value": kind}]
    state = ("", "")
    if note is not None:
        v["analysis"] = _analysis(note)
        state = (note.status.value, v["analysis"]["detail"])
    return (vid, "|".join(state)), v


def _where(f: AnyFinding) -> str:
    if isinstance(f, SecretFinding):
        return f"{f.source}:{f.path}" + (f":{f.line}" if f.line else "")
    if isinstance(f, Misconfiguration):
        return f.evidence or f.message
    return ""


def build(r: ScanReport, *, created: str | None = None) -> dict[str, Any]:
    meta = _meta(r)
    doc = cdx.build(meta, r.catalog, created=created)
    image_ref = doc["metadata"]["component"]["bom-ref"]
    refs: dict[Package, str] = {}
    for p, i in zip(r.catalog.packages, unique_ids(r.catalog.packages), strict=True):
        refs.setdefault(p, "pkg:" + i)
    notes = {id(a.finding): a for a in r.annotations}
    shown: list[AnyFinding] = [*r.findings, *r.secrets, *r.misconfigurations]
    items: list[tuple[AnyFinding, Suppressed | None]] = [(f, notes.get(id(f))) for f in shown]
    items += [(hidden.finding, hidden) for hidden in r.suppressed]
    vulns: dict[tuple[str, str], dict[str, Any]] = {}
    for f, note in items:
        key, entry = _entry(f, note)
        v = vulns.setdefault(key, entry)
        affects = v.setdefault("affects", [])
        if isinstance(f, Finding):
            ref = refs.get(f.package, image_ref)
            version = {"version": f.package.version or "unknown", "status": "affected"}
            hit = next((a for a in affects if a["ref"] == ref), None)
            if hit is None:
                affects.append({"ref": ref, "versions": [version]})
            elif version not in hit["versions"]:
                hit["versions"].append(version)
        else:
            if not any(a["ref"] == image_ref for a in affects):
                affects.append({"ref": image_ref})
            where = _where(f)
            if where:
                props = v.setdefault("properties", [])
                props.append({"name": "hullcheck:location", "value": where})
    for n, v in enumerate(vulns.values()):
        v["bom-ref"] = f"vuln:{n}:{v['id']}"
    doc["vulnerabilities"] = [_ordered(v) for v in vulns.values()]
    return doc


_ORDER = ("bom-ref", "id", "source", "references", "ratings", "description", "detail", "recommendation",
          "advisories", "analysis", "affects", "properties")


def _ordered(v: dict[str, Any]) -> dict[str, Any]:
    return {k: v[k] for k in _ORDER if k in v}


def render(r: ScanReport) -> str:
    return jsontext.dumps(build(r))
