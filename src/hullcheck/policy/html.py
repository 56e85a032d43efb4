"""Check results as one self-contained HTML file (``hullcheck check -f html=FILE``).

The page frame (inline CSS, Content-Security-Policy ``default-src 'none'``, no scripts, nothing
fetched) and the SVG charts are the scan report's (``hullcheck.report.htmlpage``). Charts: the
violations that apply by severity, by rule and by resource kind (stacked by severity); then every
violation, excepted ones included with their exception, and the expired exceptions. Every text
from the manifests or the policy goes through ``htmlpage.e``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from hullcheck.model.finding import SeverityLevel
from hullcheck.model.violation import Violation
from hullcheck.policy.engine import CheckResult
from hullcheck.policy.present import (
    exception_note,
    expired_line,
    resource_label,
    severity_counts,
    status_of,
    summary_counts,
    version_text,
    where,
)
from hullcheck.report.htmlpage import BarRow, e, figure, footer, page, sev, severity_chart, stacked_chart

MAX_BARS = 25  # rows of a stacked chart; the rest are summed into one "other" row


def _bars(vs: list[Violation], key: Callable[[Violation], str], other: str,
          tooltip: Callable[[Violation], str] | None = None) -> list[BarRow]:
    rows: dict[str, Counter[SeverityLevel]] = {}
    tips: dict[str, str] = {}
    for v in vs:
        k = key(v)
        rows.setdefault(k, Counter())[v.severity] += 1
        tips.setdefault(k, tooltip(v) if tooltip else k)
    order = sorted(rows, key=lambda k: (-sum(rows[k].values()), k))  # most violated first
    bars = [BarRow(k[:42], tips[k], k, rows[k]) for k in order[:MAX_BARS]]
    rest = order[MAX_BARS:]
    if rest:
        total: Counter[SeverityLevel] = Counter()
        for k in rest:
            total.update(rows[k])
        label = f"{len(rest)} other {other}"
        bars.append(BarRow(label, label, label, total))
    return bars


def _row(v: Violation) -> str:
    note = exception_note(v)
    note_html = f' <span class="note">{e(note)}</span>' if note else ""
    tr = '<tr class="muted">' if v.excepted else "<tr>"
    return (f"{tr}<td>{e(status_of(v))}</td><td>{sev(v.severity)}</td>"
            f'<td><code>{e(v.rule)}</code><div class="muted">{e(v.title)}</div></td>'
            f"<td><code>{e(resource_label(v.resource))}</code></td><td><code>{e(v.container)}</code></td>"
            f"<td><code>{e(v.field)}</code></td><td><code>{e(where(v))}</code></td>"
            f"<td>{e(v.message)}{note_html}</td></tr>")


def render(result: CheckResult) -> str:
    applying = [v for v in result.violations if not v.excepted]
    counts = summary_counts(result)
    by_rule = _bars(applying, lambda v: v.rule, "rules", lambda v: f"{v.rule}: {v.title}")
    by_kind = _bars(applying, lambda v: v.resource.kind, "kinds")
    title = f"hullcheck check: {result.profile}"
    body = [
        f"<h1>{e(title)}</h1>",
        f'<p class="muted">{e(f"Kubernetes {version_text(result)} · {result.resources} resources checked")}</p>',
        f"<p><strong>{len(applying)}</strong> violations: <strong>{counts['enforced']}</strong> enforced, "
        f"{counts['warn']} warn, {counts['audit']} audit; {counts['excepted']} excepted; "
        f"{len(result.expired_exceptions)} expired exception(s).</p>",
        '<div class="charts">'
        + figure(severity_chart(severity_counts(applying), "violations"), "by severity")
        + figure(stacked_chart(by_rule, "violations", "rule"), "by rule")
        + figure(stacked_chart(by_kind, "violations", "kind"), "by resource kind")
        + "</div>",
    ]
    if result.violations:
        rows = "".join(_row(v) for v in result.violations)
        body.append(f"<h2>Violations ({len(result.violations)})</h2><table><thead><tr><th>status</th>"
                    "<th>severity</th><th>rule</th><th>resource</th><th>container</th><th>field</th>"
                    f"<th>file:line</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>")
    else:
        body.append("<p>No violations.</p>")
    if result.expired_exceptions:
        items = "".join(f"<li>{e(expired_line(x))}</li>" for x in result.expired_exceptions)
        body.append(f"<h2>Expired exceptions ({len(result.expired_exceptions)})</h2><ul>{items}</ul>")
    body.append(footer())
    return page(title, body)
