"""Check results as SARIF 2.1.0 (``hullcheck check -f sarif=FILE``), shaped for GitHub code scanning.

The log's frame (tool, levels, GitHub's ``security-severity`` scores, URI and markdown escaping)
is the scan report's (``hullcheck.report.sarif``); this module maps policy rules and violations
onto it. One SARIF rule per evaluated rule (built-in or custom) with its rationale, remediation and
references; one result per violation, located at its file and, where known, the line of the
offending field (or of its nearest present parent); images are located at their reference.
Excepted violations stay in the log with an external ``suppressions`` entry (reason, owner,
expiry), so code scanning shows them as dismissed.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from hullcheck import jsontext
from hullcheck.model.violation import Violation
from hullcheck.policy.engine import CheckResult
from hullcheck.policy.rules import Rule

_LINE_FIELD = re.compile(r"line (\d+)\b")  # Dockerfile fields: "line 12: RUN"


def to_dict(result: CheckResult) -> dict[str, Any]:
    # Imported here: the scan report package pulls in the whole scan pipeline, which only this
    # output format of ``check`` needs.
    from hullcheck.report import sarif as base

    by_id: dict[str, Rule] = {r.id: r for r in result.rules}
    rule_ids = list(by_id)
    for v in result.violations:  # a violation of a rule not listed (should not happen): still described
        if v.rule not in by_id:
            rule_ids.append(v.rule)
            by_id[v.rule] = Rule(v.rule, v.title, v.severity, "", "", lambda *_: ())
    index = {rid: i for i, rid in enumerate(rule_ids)}
    shown = sorted(result.violations, key=lambda v: -v.severity.rank)  # stable: input order within a level
    dropped = max(0, len(shown) - base.MAX_RESULTS)
    shown = shown[:base.MAX_RESULTS]
    run: dict[str, Any] = {
        "tool": base.tool([_rule(by_id[rid], base) for rid in rule_ids]),
        "automationDetails": {"id": f"hullcheck-check/{result.profile}/"},
        "results": [_result(v, index[v.rule], base) for v in shown],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "profile": result.profile,
            "k8sVersion": f"v{result.version[0]}.{result.version[1]}",
            "resources": result.resources,
            "summary": {"violations": len(result.violations), "failing": len(result.failing),
                        "excepted": sum(1 for v in result.violations if v.excepted)},
            "expiredExceptions": [
                {"rule": e.rule, "kind": e.kind, "namespace": e.namespace, "name": e.name, "container": e.container,
                 "owner": e.owner, "reason": e.reason, "expires": e.expires.isoformat()}
                for e in result.expired_exceptions],
        },
    }
    if dropped:
        run["properties"]["resultsDropped"] = dropped  # over GitHub's per-run limit, least severe first
    return base.log(run)


def render(result: CheckResult) -> str:
    return jsontext.dumps(to_dict(result), depth=4)


def _rule(r: Rule, base: Any) -> dict[str, Any]:
    md = base.md_line
    urls = [x for x in r.references if x.startswith(("https://", "http://"))]
    others = [x for x in r.references if x not in urls]
    text = [r.title]
    if r.rationale:
        text.append(r.rationale)
    if r.remediation:
        text.append(f"Remediation: {r.remediation}")
    text.extend(f"Reference: {x}" for x in r.references)
    help_md = f"**{md(r.title)}** (`{r.id}`, {r.severity.value})\n\n"
    if r.rationale:
        help_md += f"{md(r.rationale)}\n\n"
    if r.remediation:
        help_md += f"**Remediation:** {md(r.remediation)}\n\n"
    if r.references:
        help_md += "**References:**\n" + "".join(f"\n- {md(x)}" for x in others)
        help_md += "".join(f"\n- [{md(u)}]({u})" for u in urls) + "\n"
    if r.params:
        help_md += "\n**Parameters:** " + ", ".join(f"`{k}` (default `{md(str(v))}`)" for k, v in r.params.items())
    props: dict[str, Any] = {"tags": ["security", "policy", r.target], "precision": "very-high",
                             "references": list(r.references)}
    score = base.SCORE.get(r.severity)
    if score is not None:
        props["security-severity"] = f"{score:.1f}"
    out: dict[str, Any] = {
        "id": r.id,
        "name": "".join(ch for ch in r.title.title() if ch.isalnum()) or "Rule",
        "shortDescription": {"text": r.title[:1000] or r.id},
        "fullDescription": {"text": r.rationale or r.title or r.id},
        "help": {"text": "\n".join(text), "markdown": help_md},
        "defaultConfiguration": {"level": base.LEVEL[r.severity]},
        "properties": props,
    }
    if urls:
        out["helpUri"] = urls[0]
    return out


def _line(v: Violation) -> int | None:
    if v.line is not None:
        return v.line
    m = _LINE_FIELD.match(v.field)
    return int(m.group(1)) if m else None


def _artifact_uri(v: Violation, base: Any) -> str:
    """Relative to the working directory when the file is under it (code scanning wants repository-
    relative paths, and CI runs from the checkout); an absolute ``file://`` URI otherwise."""
    r = v.resource
    if r.kind == "Image":
        return str(base.image_uri(r.name))
    name = r.file or r.name
    p = Path(name)
    if p.is_absolute():
        try:
            rel = p.relative_to(Path.cwd())
        except ValueError:
            return p.as_uri()
        name = rel.as_posix()
    return str(base.relative_uri(os.path.normpath(name).replace(os.sep, "/")))


def _result(v: Violation, rule_index: int, base: Any) -> dict[str, Any]:
    r = v.resource
    where = "/".join(x for x in (r.kind, r.namespace, r.name) if x)
    region: dict[str, Any] = {"startLine": _line(v) or 1}
    logical: list[dict[str, Any]] = [{"name": r.name or r.kind, "fullyQualifiedName": where, "kind": "resource"}]
    if v.field:
        logical.append({"name": v.field.rsplit(".", 1)[-1], "fullyQualifiedName": f"{where}:{v.field}",
                        "kind": "property"})
    text = v.message if not v.container or v.container in v.message else f"{v.message} (container {v.container})"
    res: dict[str, Any] = {
        "ruleId": v.rule,
        "ruleIndex": rule_index,
        "level": base.LEVEL[v.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _artifact_uri(v, base)}, "region": region},
                       "logicalLocations": logical}],
        "partialFingerprints": {"hullcheck/v1": _fingerprint(v)},
    }
    props: dict[str, Any] = {"severity": v.severity.value, "mode": v.mode.value, "kind": r.kind,
                             "namespace": r.namespace, "name": r.name, "document": r.document,
                             "container": v.container, "field": v.field}
    if v.exception is not None:
        e = v.exception
        props["exception"] = {"reason": e.reason, "owner": e.owner, "expires": e.expires, "expired": e.expired}
        if not e.expired:
            res["suppressions"] = [{"kind": "external", "status": "accepted",
                                    "justification": f"{e.reason} (owner {e.owner}, until {e.expires})"}]
    res["properties"] = props
    return res


def _fingerprint(v: Violation) -> str:
    r = v.resource
    parts = [v.rule, r.file, str(r.document), r.kind, r.namespace, r.name, v.container, v.field]
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]

