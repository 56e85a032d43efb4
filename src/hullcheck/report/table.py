"""The human table: findings grouped into base-image layers and the app's own layers."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from hullcheck.model.finding import Finding, SeverityLevel
from hullcheck.scan import ScanReport

_STYLE = {
    SeverityLevel.CRITICAL: "bold red",
    SeverityLevel.HIGH: "red",
    SeverityLevel.MEDIUM: "yellow",
    SeverityLevel.LOW: "cyan",
    SeverityLevel.NEGLIGIBLE: "dim",
    SeverityLevel.UNKNOWN: "dim",
}


def _base_layer_count(r: ScanReport) -> int:
    """Layers up to the last one whose packages include the distro's (the base image)."""
    if r.metadata is None:
        return 0
    os_layers = [f.package.layer_index for f in r.findings if f.package.type.value in ("deb", "apk", "rpm")]
    pkg_layers = [p.layer_index for p in r.catalog.packages if p.type.value in ("deb", "apk", "rpm")]
    layers = [x for x in (os_layers or pkg_layers) if x is not None]
    return (min(layers) + 1) if layers else 0


def _table(title: str, findings: list[Finding]) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False)
    for col in ("severity", "id", "package", "version", "fixed in", "layer"):
        t.add_column(col, overflow="fold")
    for f in findings:
        fixed = ", ".join(f.fixed_versions) if f.fixed_versions else f.fix_state.value
        t.add_row(
            f"[{_STYLE[f.severity.level]}]{f.severity.level.value}[/]",
            f.id,
            f.package.name,
            f.package.version,
            fixed,
            "" if f.package.layer_index is None else str(f.package.layer_index),
        )
    return t


def render(r: ScanReport) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=False, color_system=None)
    d = r.catalog.distro
    console.print(f"{r.ref}  ({d.pretty_name or d.ecosystem if d else 'no distro detected'})")
    console.print(f"{len(r.catalog.packages)} packages, {len(r.findings)} vulnerabilities")
    base = _base_layer_count(r)
    base_f = [f for f in r.findings if f.package.layer_index is not None and f.package.layer_index < base]
    app_f = [f for f in r.findings if f not in base_f]
    if base_f:
        console.print(_table(f"base image layers (0-{base - 1})", base_f))
    if app_f:
        console.print(_table("application layers", app_f))
    fixed = sum(1 for f in r.findings if f.fixed_versions)
    if r.findings:
        console.print(f"{fixed} of {len(r.findings)} have a fixed version")
    for w in r.warnings:
        console.print(f"warning: {w}")
    return buf.getvalue()
