"""One self-contained HTML file: inline CSS, inline SVG charts, no scripts, nothing fetched.

A Content-Security-Policy meta tag (``default-src 'none'``) backs this up in the browser: even if
something slipped through, the page could load nothing and run nothing. Every text from the image
or the advisories goes through ``html.escape``; links are made only for https/http advisory URLs
(navigation, not resources) and carry ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from hullcheck import __version__
from hullcheck.match.suppress import AnyFinding
from hullcheck.model.finding import Finding, SeverityLevel
from hullcheck.report.common import (
    SEVERITIES,
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
from hullcheck.scan import ScanReport

COLORS = {
    SeverityLevel.CRITICAL: "#8b0000",
    SeverityLevel.HIGH: "#d9480f",
    SeverityLevel.MEDIUM: "#e0a800",
    SeverityLevel.LOW: "#1c7ed6",
    SeverityLevel.NEGLIGIBLE: "#868e96",
    SeverityLevel.UNKNOWN: "#adb5bd",
}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#212529;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem} h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #dee2e6}
code{font:12px ui-monospace,monospace;background:#f1f3f5;padding:0 .2em;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:.5rem 0} th,td{border:1px solid #dee2e6;padding:.25rem .5rem;
text-align:left;vertical-align:top} th{background:#f8f9fa} .sev{font-weight:600;color:#fff;border-radius:3px;
padding:0 .4em;white-space:nowrap} .muted{color:#868e96} .charts{display:flex;flex-wrap:wrap;gap:2rem}
.note{background:#fff3bf;padding:.1em .3em;border-radius:3px} details{margin:.5rem 0}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def e(text: object) -> str:
    return escape(str(text), quote=True)


def _sev(level: SeverityLevel) -> str:
    return f'<span class="sev" style="background:{COLORS[level]}">{e(level.value)}</span>'


def _link(text: str, url: str) -> str:
    if url.startswith(("https://", "http://")):
        return f'<a href="{e(url)}" rel="noopener noreferrer">{e(text)}</a>'
    return e(text)


def severity_chart(items: list[AnyFinding]) -> str:
    counts = Counter(level_of(f) for f in items)
    top = max(counts.values(), default=0) or 1
    bar_w, gap, h = 56, 14, 160
    width = len(SEVERITIES) * (bar_w + gap) + gap
    parts = [f'<svg width="{width}" height="{h + 40}" role="img" '
             f'aria-label="findings by severity"><title>findings by severity</title>']
    for i, s in enumerate(SEVERITIES):
        n = counts.get(s, 0)
        bh = round(h * n / top)
        x = gap + i * (bar_w + gap)
        parts.append(f'<rect x="{x}" y="{h - bh + 16}" width="{bar_w}" height="{bh}" fill="{COLORS[s]}">'
                     f"<title>{e(s.value)}: {n}</title></rect>")
        parts.append(f'<text x="{x + bar_w / 2}" y="{h - bh + 12}" text-anchor="middle" font-size="12">{n}</text>')
        parts.append(f'<text x="{x + bar_w / 2}" y="{h + 32}" text-anchor="middle" font-size="11">{e(s.value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def layer_chart(r: ScanReport, items: list[AnyFinding]) -> str:
    rows: dict[int | None, Counter[SeverityLevel]] = {}
    for f in items:
        rows.setdefault(layer_of(f), Counter())[level_of(f)] += 1
    order = sorted(rows, key=lambda x: (x is None, x if x is not None else 0))
    top = max((sum(c.values()) for c in rows.values()), default=0) or 1
    label_w, bar_max, row_h = 260, 300, 24
    height = max(1, len(order)) * row_h + 10
    parts = [f'<svg width="{label_w + bar_max + 50}" height="{height}" '
             f'role="img" aria-label="findings by layer"><title>findings by layer</title>']
    if not order:
        parts.append('<text x="0" y="16" font-size="12">no findings</text>')
    for i, layer in enumerate(order):
        y = 5 + i * row_h
        label = "image config" if layer is None else f"layer {layer}"
        created = ""
        if layer is not None and r.metadata is not None and 0 <= layer < len(r.metadata.layers):
            created = r.metadata.layers[layer].created_by
        short = (label + (": " + created if created else ""))[:42]
        parts.append(f'<text x="0" y="{y + 15}" font-size="11"><title>{e(label)} {e(created)}</title>{e(short)}</text>')
        x = float(label_w)
        for s in SEVERITIES:
            n = rows[layer].get(s, 0)
            if not n:
                continue
            w = bar_max * n / top
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 6}" fill="{COLORS[s]}">'
                         f"<title>{e(label)}, {e(s.value)}: {n}</title></rect>")
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}" font-size="11">{sum(rows[layer].values())}</text>')
    parts.append("</svg>")
    return "".join(parts)


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
    body.append('<div class="charts"><figure>' + severity_chart(items) + "<figcaption>by severity</figcaption></figure>"
                "<figure>" + layer_chart(r, items) + "<figcaption>by layer</figcaption></figure></div>")
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
    body.append(f'<p class="muted">hullcheck {e(__version__)}</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>hullcheck: {e(r.ref)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _what(f: AnyFinding) -> str:
    if isinstance(f, Finding):
        return f"{f.package.name} {f.package.version}"
    return where_of(f)
