"""Check results as Markdown for a pull-request comment (``hullcheck check -f markdown``).

A summary line (resources, violations by severity, enforced / warn / audit / excepted) and a
severity-by-status table first, then the violations that apply (enforced first, worst first),
the excepted ones in a collapsed section, and the expired exceptions. Escaping, the icons and
the length budget are the scan comment's (``hullcheck.report.mdtext``): rows that would pass
GitHub's 65,536-character limit are dropped and counted in a closing note.
"""

from __future__ import annotations

from hullcheck.model.violation import Mode, Violation
from hullcheck.policy.engine import CheckResult
from hullcheck.policy.present import (
    exception_note,
    expired_line,
    resource_label,
    severity_counts,
    summary_counts,
    version_text,
    where,
)
from hullcheck.report.levels import SEVERITIES
from hullcheck.report.mdtext import ICON, MAX_CHARS, Budget, code, esc, table_head, table_row

COLUMNS = ("status", "severity", "rule", "resource", "container", "field", "file:line", "message")
_MODE_ORDER = {Mode.ENFORCE: 0, Mode.WARN: 1, Mode.AUDIT: 2}


def violation_row(v: Violation) -> str:
    return table_row([
        f"**{v.mode.value}**" if v.mode is Mode.ENFORCE else v.mode.value,
        f"{ICON[v.severity.value]} {v.severity.value}",
        code(v.rule), code(resource_label(v.resource)), code(v.container), code(v.field), code(where(v)),
        esc(v.message) + (f" _({esc(exception_note(v))})_" if v.exception is not None else ""),
    ])


def excepted_row(v: Violation) -> str:
    return table_row([code(v.rule), code(resource_label(v.resource)), code(v.container), code(v.field),
                      code(where(v)), esc(exception_note(v))])


def render(result: CheckResult, *, max_chars: int = MAX_CHARS) -> str:
    b = Budget(max_chars - 400)  # room for the closing note
    counts = summary_counts(result)
    applying = [v for v in result.violations if not v.excepted]
    excepted = [v for v in result.violations if v.excepted]
    b.add(f"## hullcheck check: {code(result.profile)} (Kubernetes {code(version_text(result))})", required=True)
    b.add("", required=True)
    by_sev = severity_counts(applying)
    sev_text = ", ".join(f"{by_sev[s]} {s.value}" for s in SEVERITIES if by_sev[s])
    b.add(f"**{len(applying)} violations** in {result.resources} resources" + (f" ({sev_text})" if sev_text else "")
          + f": **{counts['enforced']} enforced**, {counts['warn']} warn, {counts['audit']} audit; "
          f"{counts['excepted']} excepted.", required=True)
    b.add("", required=True)
    if result.violations:
        for line in table_head(["", *(f"{ICON[s.value]} {s.value}" for s in SEVERITIES)],
                               right=[f"{ICON[s.value]} {s.value}" for s in SEVERITIES]):
            b.add(line, required=True)
        rows = {"enforced": [v for v in applying if v.mode is Mode.ENFORCE],
                "warn": [v for v in applying if v.mode is Mode.WARN],
                "audit": [v for v in applying if v.mode is Mode.AUDIT], "excepted": excepted}
        for name, vs in rows.items():
            c = severity_counts(vs)
            b.add(table_row([name, *(str(c[s]) for s in SEVERITIES)]), required=True)
        b.add("", required=True)
    if result.expired_exceptions:
        b.add(f"**{len(result.expired_exceptions)} exception(s) expired** and no longer apply (listed below).",
              required=True)
        b.add("", required=True)
    if not applying:
        b.add("No violations. :white_check_mark:", required=True)
        b.add("", required=True)
    else:
        b.add("### Violations", required=True)
        b.add("", required=True)
        for line in table_head(COLUMNS):
            b.add(line, required=True)
        for v in sorted(applying, key=lambda v: (_MODE_ORDER[v.mode], -v.severity.rank)):  # stable within a level
            b.add(violation_row(v))
        b.add("", required=True)
    if excepted:
        b.add(f"<details><summary>Excepted ({len(excepted)})</summary>", required=True)
        b.add("", required=True)
        for line in table_head(["rule", "resource", "container", "field", "file:line", "exception"]):
            b.add(line, required=True)
        for v in excepted:
            b.add(excepted_row(v))
        b.add("", required=True)
        b.add("</details>", required=True)
        b.add("", required=True)
    if result.expired_exceptions:
        b.add("### Expired exceptions", required=True)
        b.add("", required=True)
        for e in result.expired_exceptions:
            b.add(f"- {esc(expired_line(e))}")
        b.add("", required=True)
    return b.text()
