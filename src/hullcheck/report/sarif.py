"""SARIF 2.1.0, shaped for GitHub code scanning.

One rule per vulnerability id, secret rule and check id (``properties.security-severity`` is what
GitHub ranks by: the highest CVSS score seen for the rule, else a score standing for the level);
one result per finding, located at the package's file (no leading slash, as code scanning wants
repository-relative paths) or at the image reference for findings in the image config, with the
layer as a logical location. Findings hidden by the ignore file or VEX stay in the log as results
with an external ``suppressions`` entry, so code scanning shows them as dismissed, with the reason.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from hullcheck import __version__, jsontext
from hullcheck.match.suppress import AnyFinding, Status, Suppressed
from hullcheck.model.checks import Misconfiguration, SecretFinding
from hullcheck.model.finding import Finding, SeverityLevel
from hullcheck.report.common import fixed_text, id_of, kind, layer_of, level_of, path_of, suppression_note
from hullcheck.scan import ScanReport

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFO_URI = "https://github.com/hullcheck/hullcheck"

LEVEL = {
    SeverityLevel.CRITICAL: "error",
    SeverityLevel.HIGH: "error",
    SeverityLevel.MEDIUM: "warning",
    SeverityLevel.LOW: "note",
    SeverityLevel.NEGLIGIBLE: "note",
    SeverityLevel.UNKNOWN: "warning",
}
# GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. Unknown gets none.
SCORE = {
    SeverityLevel.CRITICAL: 9.5,
    SeverityLevel.HIGH: 8.0,
    SeverityLevel.MEDIUM: 5.5,
    SeverityLevel.LOW: 2.0,
    SeverityLevel.NEGLIGIBLE: 0.5,
}
# ":" is encoded too, so that no path or image reference reads as a URI scheme ("app:1.0")
_URI_SAFE = "/@-._~!$&'()*+,;="
_TRANSPORTS = ("docker-archive:", "oci-archive:", "oci:", "rootfs:", "sbom:", "docker:", "registry:")
# GitHub rejects a run with more results than this; the most severe are kept (they come first).
MAX_RESULTS = 25_000


def _score(f: AnyFinding) -> float | None:
    if isinstance(f, Finding) and f.severity.score is not None:
        return float(f.severity.score)
    return SCORE.get(level_of(f))


def relative_uri(text: str) -> str:
    """A relative URI reference: code scanning wants repository-relative paths."""
    return quote(text.lstrip("/"), safe=_URI_SAFE) or "image"


def image_uri(ref: str) -> str:
    for t in _TRANSPORTS:
        if ref.startswith(t):
            ref = ref[len(t):]
            break
    return relative_uri(ref)


def _rule(rule_id: str, group: list[AnyFinding]) -> dict[str, Any]:
    first = group[0]
    top = max(group, key=lambda f: (level_of(f).rank, _score(f) or 0.0))
    scores = [s for s in (_score(f) for f in group) if s is not None]
    k = kind(first)
    tags = ["security", k]
    if isinstance(first, Finding):
        short = first.summary or f"{rule_id} in {first.package.name}"
        pkgs = sorted({(f.package.name, f.package.version, fixed_text(f)) for f in group if isinstance(f, Finding)})
        full = f"{rule_id}: {first.summary}" if first.summary else f"Vulnerability {rule_id}"
        if first.aliases:
            full += f" (also known as {', '.join(first.aliases)})"
        rows = "\n".join(f"| {md_line(n)} | {md_line(v)} | {md_line(fx)} |" for n, v, fx in pkgs)
        summary = f"{md_line(first.summary)}\n\n" if first.summary else ""
        help_md = (f"**{rule_id}** ({level_of(top).value})\n\n{summary}"
                   f"| package | installed | fixed in |\n| --- | --- | --- |\n{rows}\n")
        help_text = full + "\n" + "\n".join(f"{n} {v}: fixed in {fx}" for n, v, fx in pkgs)
        if first.url:
            help_md += f"\n[{md_line(first.url)}]({first.url})\n"
            help_text += f"\n{first.url}"
        tags.append(first.package.ecosystem or first.package.type.value)
    elif isinstance(first, SecretFinding):
        short = first.title
        full = f"{first.title}: a secret matched rule {rule_id}."
        help_text = full + " Remove it from the image (every layer, not only the last) and rotate it."
        help_md = (f"**{md_line(first.title)}** (`{rule_id}`)\n\n"
                   "Remove the secret from every layer of the image and rotate it.\n")
    else:
        assert isinstance(first, Misconfiguration)
        short = first.title
        full = first.rationale or first.title
        help_text = "\n".join(x for x in (first.rationale, first.remediation, *first.references) if x) or first.title
        help_md = (f"**{md_line(first.title)}** (`{rule_id}`)\n\n{md_line(first.rationale)}\n\n"
                   f"**Remediation:** {md_line(first.remediation)}\n")
        help_md += "".join(f"\n- {md_line(u)}" for u in first.references)
    props: dict[str, Any] = {"tags": tags, "precision": "very-high" if k == "vulnerability" else "high"}
    if scores:
        props["security-severity"] = f"{max(scores):.1f}"
    out: dict[str, Any] = {
        "id": rule_id,
        "name": "".join(ch for ch in rule_id.title() if ch.isalnum()) or "Rule",
        "shortDescription": {"text": short[:1000] or rule_id},
        "fullDescription": {"text": full or rule_id},
        "help": {"text": help_text or rule_id, "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[level_of(top)]},
        "properties": props,
    }
    if isinstance(first, Finding) and first.url.startswith(("https://", "http://")):
        out["helpUri"] = first.url
    return out


def md_line(text: str) -> str:
    """Markdown-safe single line: no table breaks, no raw HTML."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _message(f: AnyFinding) -> str:
    if isinstance(f, Finding):
        p = f.package
        fix = f"fixed in {', '.join(f.fixed_versions)}" if f.fixed_versions else f"fix: {f.fix_state.value}"
        eco = p.ecosystem or p.type.value
        return f"{p.name} {p.version} ({eco}) is affected by {f.id} ({f.severity.level.value}); {fix}."
    if isinstance(f, SecretFinding):
        where = f.path if f.source == "file" else f"{f.source} {f.path}".strip()
        extra = " (the file is deleted by a later layer but still in the image)" if f.deleted else ""
        return f"{f.title} in {where}: {f.match}{extra}"
    return f"{f.title}: {f.message}"


def _fingerprint(f: AnyFinding) -> str:
    if isinstance(f, Finding):
        parts = ["vulnerability", f.id, f.package.name, f.package.version, path_of(f)]
    elif isinstance(f, SecretFinding):
        parts = ["secret", f.rule_id, f.source, f.path, str(f.line or ""), f.match]
    else:
        parts = ["misconfiguration", f.check_id, f.evidence]
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _result(f: AnyFinding, r: ScanReport, rule_index: dict[str, int], note: Suppressed | None) -> dict[str, Any]:
    rid = id_of(f)
    path = path_of(f)
    region: dict[str, Any] = {"startLine": f.line if isinstance(f, SecretFinding) and f.line else 1}
    loc: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": relative_uri(path) if path else image_uri(r.ref)},
                             "region": region},
    }
    layer = layer_of(f)
    if layer is not None:
        diff = _diff_id(r, layer)
        loc["logicalLocations"] = [{"name": f"layer {layer}", "fullyQualifiedName": diff or f"layer/{layer}",
                                    "kind": "module"}]
    res: dict[str, Any] = {
        "ruleId": rid,
        "ruleIndex": rule_index[rid],
        "level": LEVEL[level_of(f)],
        "message": {"text": _message(f)},
        "locations": [loc],
        "partialFingerprints": {"hullcheck/v1": _fingerprint(f)},
    }
    props: dict[str, Any] = {"kind": kind(f), "severity": level_of(f).value}
    if isinstance(f, Finding):
        props.update({"package": f.package.name, "version": f.package.version, "purl": f.package.purl,
                      "fixedVersions": list(f.fixed_versions), "aliases": list(f.aliases)})
    if note is not None:
        props["exception"] = {"status": note.status.value, "note": suppression_note(note)}
        if note.status is Status.EXPIRED:
            props["exception"]["expired"] = True
    res["properties"] = props
    return res


def _diff_id(r: ScanReport, layer: int) -> str:
    if r.metadata is not None and 0 <= layer < len(r.metadata.layers):
        return r.metadata.layers[layer].diff_id
    return ""


def to_dict(r: ScanReport, *, max_results: int = MAX_RESULTS) -> dict[str, Any]:
    shown: list[AnyFinding] = sorted([*r.findings, *r.secrets, *r.misconfigurations], key=lambda f: -level_of(f).rank)
    hidden = list(r.suppressed)
    dropped = max(0, len(shown) + len(hidden) - max_results)
    if dropped:
        keep_hidden = max(0, max_results - len(shown))
        shown, hidden = shown[:max_results], hidden[:keep_hidden]
    groups: dict[str, list[AnyFinding]] = {}
    for f in [*shown, *(s.finding for s in hidden)]:
        groups.setdefault(id_of(f), []).append(f)
    rule_ids = list(groups)
    rule_index = {rid: i for i, rid in enumerate(rule_ids)}
    rules = [_rule(rid, groups[rid]) for rid in rule_ids]
    notes = {id(a.finding): a for a in r.annotations}
    results = [_result(f, r, rule_index, notes.get(id(f))) for f in shown]
    for s in hidden:
        res = _result(s.finding, r, rule_index, s)
        res["suppressions"] = [{"kind": "external", "status": "accepted", "justification": suppression_note(s)}]
        results.append(res)
    run: dict[str, Any] = {
        "tool": tool(rules),
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"imageRef": r.ref, "startedAt": r.started_at},
    }
    if dropped:
        run["properties"]["resultsDropped"] = dropped  # over GitHub's per-run limit, least severe first
    if r.metadata is not None:
        run["properties"]["manifestDigest"] = r.metadata.manifest_digest or ""
        run["properties"]["configDigest"] = r.metadata.config_digest or ""
    return log(run)


def tool(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``tool`` of a run: hullcheck, with the rules its results refer to by index."""
    return {"driver": {"name": "hullcheck", "version": __version__, "semanticVersion": __version__,
                       "informationUri": INFO_URI, "rules": rules}}


def log(*runs: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": list(runs)}


def render(r: ScanReport) -> str:
    return jsontext.dumps(to_dict(r), depth=4)
