"""One self-contained HTML file: inline CSS, inline SVG charts, no scripts, nothing fetched.

The page frame, its Content-Security-Policy and the charts are ``hullcheck.report.htmlpage``'s
(``check``'s HTML report shares them). Every text from the image or the advisories goes through
``html.escape``; links are made only for https/http advisory URLs (navigation, not resources) and
carry ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

from collections import Counter

from hullcheck.match.suppress import AnyFinding
from hullcheck.model.finding import Finding, SeverityLevel
from hullcheck.report.common import (
    base_summary,
    fixed_text,
    id_of,
    layer_of,
    level_of,
    remaining,
    suppression_note,
    title_of,
    where_of,
)
from hullcheck.report.htmlpage import BarRow, e, figure, footer, page, stacked_chart
from hullcheck.report.htmlpage import sev as _sev
from hullcheck.report.htmlpage import severity_chart as _severity_bars
from hullcheck.scan import ScanReport


def _link(text: str, url: str) -> str:
    if url.startswith(("https://", "http://")):
        return f'<a href="{e(url)}" rel="noopener noreferrer">{e(text)}</a>'
    return e(text)


def severity_chart(items: list[AnyFinding]) -> str:
    return _severity_bars(Counter(level_of(f) for f in items), "findings")


def layer_chart(r: ScanReport, items: list[AnyFinding]) -> str:
    rows: dict[int | None, Counter[SeverityLevel]] = {}
    for f in items:
        rows.setdefault(layer_of(f), Counter())[level_of(f)] += 1
    order = sorted(rows, key=lambda x: (x is None, x if x is not None else 0))
    bars = []
    for layer in order:
        label = "image config" if layer is None else f"layer {layer}"
        created = ""
        if layer is not None and r.metadata is not None and 0 <= layer < len(r.metadata.layers):
            created = r.metadata.layers[layer].created_by
        short = (label + (": " + created if created else ""))[:42]
        bars.append(BarRow(short, f"{label} {created}", label, rows[layer]))
    return stacked_chart(bars, "findings", "layer")


def _vuln_table(r: ScanReport, notes: dict[int, str]) -> str:
    out = ["<table><thead><tr><th>severity</th><th>id</th><th>package</th><th>installed</th><th>fixed in</th>"
           "<th>layer</th><th>path</th><th>summary</th></tr></thead><tbody>"]
    for f in r.findings:
        p = f.package
        note = f' <span class="note">{e(notes[id(f)])}</span>' if id(f) in notes else ""
        aliases = f'<div class="muted">{e(", ".join(f.aliases))}</div>' if f.aliases else ""
        out.append(
            f"<tr><td>{_sev(f.severity.level)}</td><td>{_link(f.id, f.url)}{aliases}</td>"
            f"<td><code>{e(p.name)}</code></td>"
            f"<td><code>{e(p.version)}</code></td><td>{e(fixed_text(f))}</td>"
            f"<td>{'' if p.layer_index is None else p.layer_index}</td><td><code>{e(where_of(f))}</code></td>"
            f"<td>{e(f.summary)}{note}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _other_table(items: list[AnyFinding], notes: dict[int, str]) -> str:
    out = ["<table><thead><tr><th>severity</th><th>id</th><th>title</th><th>where</th><th>layer</th>"
           "<th>detail</th></tr></thead><tbody>"]
    for f in items:
        detail = getattr(f, "match", "") or getattr(f, "message", "")
        rem = getattr(f, "remediation", "")
        if rem:
            detail = f"{detail} — fix: {rem}"
        note = f' <span class="note">{e(notes[id(f)])}</span>' if id(f) in notes else ""
        layer = layer_of(f)
        out.append(f"<tr><td>{_sev(level_of(f))}</td><td><code>{e(id_of(f))}</code></td><td>{e(title_of(f))}</td>"
                   f"<td><code>{e(where_of(f))}</code></td><td>{'' if layer is None else layer}</td>"
                   f"<td>{e(detail)}{note}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render(r: ScanReport) -> str:
    items = remaining(r)
    notes = {id(a.finding): suppression_note(a) for a in r.annotations}
    meta = r.metadata
    d = r.catalog.distro
    facts = [f"{len(r.catalog.packages)} packages"]
    if d is not None:
        facts.append(d.pretty_name or d.ecosystem or d.id)
    if meta is not None and meta.manifest_digest:
        facts.append(meta.manifest_digest)
    if r.started_at:
        facts.append(f"scanned {r.started_at}")
    body = [
        f"<h1>hullcheck: {e(r.ref)}</h1>",
        f'<p class="muted">{e(" · ".join(facts))}</p>',
        f"<p><strong>{len(r.findings)}</strong> vulnerabilities, <strong>{len(r.secrets)}</strong> secrets, "
        f"<strong>{len(r.misconfigurations)}</strong> misconfigurations; {len(r.suppressed)} hidden by exceptions.</p>",
    ]
    body += [f'<p class="note">warning: {e(w)}</p>' for w in r.warnings]
    base = base_summary(r)
    if base.line and r.findings:
        body.append(f"<p>{e(base.line)}</p>")
    body.append('<div class="charts">' + figure(severity_chart(items), "by severity")
                + figure(layer_chart(r, items), "by layer") + "</div>")
    if r.findings:
        body.append(f"<h2>Vulnerabilities ({len(r.findings)})</h2>" + _vuln_table(r, notes))
    if r.secrets:
        body.append(f"<h2>Secrets ({len(r.secrets)})</h2>" + _other_table(list(r.secrets), notes))
    if r.misconfigurations:
        body.append(f"<h2>Image configuration ({len(r.misconfigurations)})</h2>"
                    + _other_table(list(r.misconfigurations), notes))
    if r.suppressed:
        rows = "".join(
            f"<tr><td>{_sev(level_of(s.finding))}</td><td><code>{e(id_of(s.finding))}</code></td>"
            f"<td><code>{e(_what(s.finding))}</code></td><td>{e(s.status.value)}</td><td>{e(suppression_note(s))}</td></tr>"
            for s in r.suppressed)
        body.append(f"<h2>Hidden by exceptions ({len(r.suppressed)})</h2><details><summary>show</summary><table><thead>"
                    "<tr><th>severity</th><th>id</th><th>what</th><th>status</th><th>why</th></tr></thead>"
                    f"<tbody>{rows}</tbody></table></details>")
    if meta is not None and meta.layers:
        rows = "".join(f"<tr><td>{x.index}</td><td><code>{e(x.diff_id)}</code></td><td>{x.size}</td>"
                       f"<td><code>{e(x.created_by)}</code></td></tr>" for x in meta.layers)
        body.append("<h2>Layers</h2><table><thead><tr><th>#</th><th>diff id</th><th>size</th><th>created by</th>"
                    f"</tr></thead><tbody>{rows}</tbody></table>")
    body.append(footer())
    return page(f"hullcheck: {r.ref}", body)


def _what(f: AnyFinding) -> str:
    if isinstance(f, Finding):
        return f"{f.package.name} {f.package.version}"
    return where_of(f)
