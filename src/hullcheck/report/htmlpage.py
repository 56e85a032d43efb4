"""The self-contained HTML page both ``scan`` and ``check`` write: frame, styles, SVG charts.

Inline CSS and inline SVG, no scripts, nothing fetched. A Content-Security-Policy meta tag
(``default-src 'none'``) backs this up in the browser: even if something slipped through, the page
could load nothing and run nothing. Callers pass every text from input through ``e``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from hullcheck import __version__
from hullcheck.model.finding import SeverityLevel
from hullcheck.report.levels import SEVERITIES

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


def sev(level: SeverityLevel) -> str:
    """A coloured severity badge."""
    return f'<span class="sev" style="background:{COLORS[level]}">{e(level.value)}</span>'


def severity_chart(counts: Mapping[SeverityLevel, int], what: str = "findings") -> str:
    """Vertical bars, one per severity (critical first), each with its count."""
    top = max(counts.values(), default=0) or 1
    bar_w, gap, h = 56, 14, 160
    width = len(SEVERITIES) * (bar_w + gap) + gap
    parts = [f'<svg width="{width}" height="{h + 40}" role="img" '
             f'aria-label="{e(what)} by severity"><title>{e(what)} by severity</title>']
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


@dataclass(frozen=True)
class BarRow:
    """One row of a stacked bar chart: its short label, the label's tooltip, the name in bar tooltips."""

    short: str
    tooltip: str
    name: str
    counts: Counter[SeverityLevel]


def stacked_chart(rows: Sequence[BarRow], what: str, by: str) -> str:
    """Horizontal bars, one per row, stacked by severity, with the row's total at the end."""
    top = max((sum(r.counts.values()) for r in rows), default=0) or 1
    label_w, bar_max, row_h = 260, 300, 24
    height = max(1, len(rows)) * row_h + 10
    parts = [f'<svg width="{label_w + bar_max + 50}" height="{height}" '
             f'role="img" aria-label="{e(what)} by {e(by)}"><title>{e(what)} by {e(by)}</title>']
    if not rows:
        parts.append(f'<text x="0" y="16" font-size="12">no {e(what)}</text>')
    for i, row in enumerate(rows):
        y = 5 + i * row_h
        parts.append(f'<text x="0" y="{y + 15}" font-size="11"><title>{e(row.tooltip)}</title>{e(row.short)}</text>')
        x = float(label_w)
        for s in SEVERITIES:
            n = row.counts.get(s, 0)
            if not n:
                continue
            w = bar_max * n / top
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 6}" fill="{COLORS[s]}">'
                         f"<title>{e(row.name)}, {e(s.value)}: {n}</title></rect>")
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}" font-size="11">{sum(row.counts.values())}</text>')
    parts.append("</svg>")
    return "".join(parts)


def figure(chart: str, caption: str) -> str:
    return f"<figure>{chart}<figcaption>{e(caption)}</figcaption></figure>"


def page(title: str, body: Sequence[str]) -> str:
    """The whole document: ``title`` is plain text (escaped here), ``body`` already-escaped HTML parts."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def footer() -> str:
    return f'<p class="muted">hullcheck {e(__version__)}</p>'
