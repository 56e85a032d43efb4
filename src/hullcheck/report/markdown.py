"""Markdown for a pull-request comment (GitHub-flavoured).

Summary counts by severity first, then tables (vulnerabilities with fix versions, secrets,
misconfigurations), then collapsible details and the exceptions. The text is capped below
GitHub's comment limit (65,536 characters): rows that do not fit are counted in a closing note.
Everything taken from the image is escaped: no raw HTML, no table breaks, no ``@mentions``
(package names such as ``@babel/core`` would notify people), no links but the advisories' own.
"""

from __future__ import annotations

from hullcheck.match.suppress import AnyFinding
from hullcheck.model.checks import Misconfiguration
from hullcheck.model.finding import Finding
from hullcheck.report.common import (
    KIND_TITLES,
    SEVERITIES,
    base_summary,
    fixed_text,
    id_of,
    severity_counts,
    suppression_note,
    where_of,
)
from hullcheck.report.mdtext import ICON, MAX_CHARS, Budget, code, esc
from hullcheck.scan import ScanReport

__all__ = ["MAX_CHARS", "code", "esc", "render"]


def _link(text: str, url: str) -> str:
    if url.startswith("https://") and not any(c in url for c in " <>()|`\"'"):
        return f"[{esc(text)}]({url})"
    return code(text)


def render(r: ScanReport, *, max_chars: int = MAX_CHARS) -> str:
    b = Budget(max_chars - 400)  # room for the closing note
    meta = r.metadata
    digest = meta.manifest_digest if meta and meta.manifest_digest else ""
    b.add(f"## hullcheck scan of {code(r.ref)}", required=True)
    b.add("", required=True)
    shown: dict[str, list[AnyFinding]] = {
        "vulnerability": list(r.findings), "secret": list(r.secrets), "misconfiguration": list(r.misconfigurations)}
    total = sum(len(v) for v in shown.values())
    head = (f"**{len(r.findings)} vulnerabilities**, **{len(r.secrets)} secrets**, "
            f"**{len(r.misconfigurations)} misconfigurations** in {len(r.catalog.packages)} packages")
    if digest:
        head += f" ({code(digest)})"
    b.add(head + ".", required=True)
    b.add("", required=True)
    b.add("| | " + " | ".join(f"{ICON[s.value]} {s.value}" for s in SEVERITIES) + " |", required=True)
    b.add("| --- |" + " ---: |" * len(SEVERITIES), required=True)
    for kind, items in shown.items():
        c = severity_counts(items)
        b.add(f"| {KIND_TITLES[kind]} | " + " | ".join(str(c[s]) for s in SEVERITIES) + " |", required=True)
    b.add("", required=True)
    fixable = sum(1 for f in r.findings if f.fixed_versions)
    notes = []
    if r.findings:
        notes.append(f"{fixable} of {len(r.findings)} vulnerabilities have a fixed version")
    if r.suppressed:
        notes.append(f"{len(r.suppressed)} finding(s) hidden by exceptions (listed below)")
    expired = sum(1 for a in r.annotations if a.expired)
    if expired:
        notes.append(f"**{expired} exception(s) expired** and no longer hide their finding")
    if notes:
        b.add("; ".join(notes) + ".", required=True)
        b.add("", required=True)
    base = base_summary(r)
    if base.line and r.findings:
        b.add(esc(base.line), required=True)
        b.add("", required=True)
    if total == 0:
        b.add("No findings. :white_check_mark:", required=True)
    ann = {id(a.finding): a for a in r.annotations}

    if r.findings:
        b.add("### Vulnerabilities", required=True)
        b.add("", required=True)
        b.add("| severity | id | package | installed | fixed in | layer |", required=True)
        b.add("| --- | --- | --- | --- | --- | ---: |", required=True)
        for f in r.findings:
            mark = " ⚠️" if id(f) in ann else ""
            layer = "" if f.package.layer_index is None else str(f.package.layer_index)
            b.add(f"| {ICON[f.severity.level.value]} {f.severity.level.value} | {_link(f.id, f.url)}{mark} "
                  f"| {code(f.package.name)} | {code(f.package.version)} | {esc(fixed_text(f))} | {layer} |")
        b.add("", required=True)
    if r.secrets:
        b.add("### Secrets", required=True)
        b.add("", required=True)
        b.add("| severity | rule | where | match | layer |", required=True)
        b.add("| --- | --- | --- | --- | ---: |", required=True)
        for s in r.secrets:
            layer = "" if s.layer_index is None else str(s.layer_index)
            b.add(f"| {ICON[s.severity.value]} {s.severity.value} | {code(s.rule_id)} | {code(where_of(s))} "
                  f"| {code(s.match)} | {layer} |")
        b.add("", required=True)
    if r.misconfigurations:
        b.add("### Image configuration", required=True)
        b.add("", required=True)
        b.add("| severity | check | finding | evidence |", required=True)
        b.add("| --- | --- | --- | --- |", required=True)
        for m in r.misconfigurations:
            b.add(f"| {ICON[m.severity.value]} {m.severity.value} | {code(m.check_id)} | {esc(m.message or m.title)} "
                  f"| {code(m.evidence)} |")
        b.add("", required=True)

    detail_items: list[Finding | Misconfiguration] = [*r.findings, *r.misconfigurations]
    if detail_items:
        b.add("<details><summary>Details</summary>", required=True)
        b.add("", required=True)
        for item in detail_items:
            if isinstance(item, Finding):
                line = f"- {code(item.id)} in {code(item.package.name)} {code(item.package.version)}"
                if item.summary:
                    line += f": {esc(item.summary)}"
                if item.aliases:
                    line += f" Also known as {', '.join(code(a) for a in item.aliases)}."
                d = item.details[0] if item.details else None
                if d is not None and d.affected_range:
                    via = f" via source package {code(d.queried_name)}" if d.via_source_package else ""
                    line += f" Affected: {esc(d.affected_range.strip())}{via}."
                if item.package.locations:
                    line += f" At {code(item.package.locations[0].path)}."
            else:
                line = f"- {code(item.check_id)} {esc(item.title)}: {esc(item.rationale)} Fix: {esc(item.remediation)}"
            if id(item) in ann:
                line += f" _Note: {esc(suppression_note(ann[id(item)]))}_"
            b.add(line)
        b.add("", required=True)
        b.add("</details>", required=True)
        b.add("", required=True)
    if r.suppressed:
        b.add(f"<details><summary>Hidden by exceptions ({len(r.suppressed)})</summary>", required=True)
        b.add("", required=True)
        b.add("| id | where | status | why |", required=True)
        b.add("| --- | --- | --- | --- |", required=True)
        for hidden in r.suppressed:
            hf = hidden.finding
            where = f"{hf.package.name} {hf.package.version}" if isinstance(hf, Finding) else where_of(hf)
            b.add(f"| {code(id_of(hf))} | {code(where)} | {hidden.status.value} | {esc(suppression_note(hidden))} |")
        b.add("", required=True)
        b.add("</details>", required=True)
        b.add("", required=True)
    return b.text()

