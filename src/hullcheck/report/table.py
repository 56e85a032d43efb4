"""The human table: findings grouped into base-image layers and the app's own layers."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hullcheck.model.finding import Finding, SeverityLevel
from hullcheck.report.common import base_summary, id_of, suppression_note, where_of
from hullcheck.scan import ScanReport

_STYLE = {
    SeverityLevel.CRITICAL: "bold red",
    SeverityLevel.HIGH: "red",
    SeverityLevel.MEDIUM: "yellow",
    SeverityLevel.LOW: "cyan",
    SeverityLevel.NEGLIGIBLE: "dim",
    SeverityLevel.UNKNOWN: "dim",
}


def _table(title: str, findings: list[Finding], noted: set[int]) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False)
    for col in ("severity", "id", "package", "version", "fixed in", "layer"):
        t.add_column(col, overflow="fold")
    for f in findings:
        fixed = ", ".join(f.fixed_versions) if f.fixed_versions else f.fix_state.value
        t.add_row(
            Text(f.severity.level.value, style=_STYLE[f.severity.level]),
            Text(f.id + (" *" if id(f) in noted else "")),
            Text(f.package.name),
            Text(f.package.version),
            Text(fixed),
            "" if f.package.layer_index is None else str(f.package.layer_index),
        )
    return t


def _other(title: str, rows: list[tuple[SeverityLevel, str, str, str, str]]) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False)
    for col in ("severity", "id", "title", "where", "layer"):
        t.add_column(col, overflow="fold")
    for level, rid, what, where, layer in rows:
        t.add_row(Text(level.value, style=_STYLE[level]), Text(rid), Text(what), Text(where), layer)
    return t


def _layer(x: int | None) -> str:
    return "" if x is None else str(x)


def render(r: ScanReport) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=False, color_system=None)
    d = r.catalog.distro
    console.print(Text(f"{r.ref}  ({d.pretty_name or d.ecosystem if d else 'no distro detected'})"))
    counts = f"{len(r.catalog.packages)} packages, {len(r.findings)} vulnerabilities"
    if r.secrets or r.misconfigurations:
        counts += f", {len(r.secrets)} secrets, {len(r.misconfigurations)} misconfigurations"
    console.print(counts)
    summary = base_summary(r)
    split = summary.split
    base_f = [f for f in r.findings if split.is_base(f.package.layer_index)]
    base_ids = {id(f) for f in base_f}
    app_f = [f for f in r.findings if id(f) not in base_ids]
    noted = {id(a.finding) for a in r.annotations}
    if base_f:
        n = split.base_layers
        console.print(_table("base image layers " + ("(0)" if n == 1 else f"(0-{n - 1})"), base_f, noted))
    if app_f:
        console.print(_table("application layers" if split.base_layers else "all layers", app_f, noted))
    fixed = sum(1 for f in r.findings if f.fixed_versions)
    if r.findings:
        console.print(f"{fixed} of {len(r.findings)} have a fixed version")
    if summary.line:
        console.print(Text(summary.line))
    if r.secrets:
        rows = [(s.severity, s.rule_id, s.title, where_of(s) + (f"  {s.match}" if s.match else ""),
                 _layer(s.layer_index)) for s in r.secrets]
        console.print(_other("secrets", rows))
    if r.misconfigurations:
        console.print(_other("image configuration", [(m.severity, m.check_id, m.message or m.title, m.evidence,
                                                      _layer(m.layer_index)) for m in r.misconfigurations]))
    for a in r.annotations:
        console.print(Text(f"* {id_of(a.finding)} {where_of(a.finding)}: {suppression_note(a)}"))
    if r.suppressed:
        by_status: dict[str, int] = {}
        for s in r.suppressed:
            by_status[s.status.value] = by_status.get(s.status.value, 0) + 1
        parts = ", ".join(f"{n} {k}" for k, n in sorted(by_status.items()))
        console.print(f"{len(r.suppressed)} hidden by exceptions ({parts}); see --format json or sarif for the list")
    for w in r.warnings:
        console.print(Text(f"warning: {w}"))
    return buf.getvalue()
