"""Check results as a human table, JSON (``hullcheck.check/v1``), SARIF (``policy.sarif``), JUnit XML
(``policy.junit``), Markdown (``policy.markdown``) or HTML (``policy.html``): the scan formats."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hullcheck import jsontext
from hullcheck.model.violation import Violation
from hullcheck.policy import sarif
from hullcheck.policy.engine import CheckResult

CHECK_SCHEMA = "hullcheck.check/v1"


def violation_to_dict(v: Violation) -> dict[str, Any]:
    r = v.resource
    return {
        "rule": v.rule,
        "title": v.title,
        "severity": v.severity.value,
        "mode": v.mode.value,
        "resource": {"kind": r.kind, "namespace": r.namespace, "name": r.name, "file": r.file,
                     "document": r.document},
        "container": v.container,
        "field": v.field,
        "line": v.line,
        "message": v.message,
        "excepted": v.excepted,
        "exception": None if v.exception is None else {
            "reason": v.exception.reason, "owner": v.exception.owner, "expires": v.exception.expires,
            "expired": v.exception.expired,
        },
    }


def to_json(result: CheckResult) -> str:
    doc = {
        "schema": CHECK_SCHEMA,
        "profile": result.profile,
        "k8s_version": f"v{result.version[0]}.{result.version[1]}",
        "resources": result.resources,
        "violations": [violation_to_dict(v) for v in result.violations],
        "expired_exceptions": [
            {"rule": e.rule, "kind": e.kind, "namespace": e.namespace, "name": e.name, "container": e.container,
             "owner": e.owner, "reason": e.reason, "expires": e.expires.isoformat()}
            for e in result.expired_exceptions
        ],
        "summary": {"violations": len(result.violations), "failing": len(result.failing),
                    "excepted": sum(1 for v in result.violations if v.excepted)},
    }
    return jsontext.dumps(doc, ensure_ascii=True)


def to_table(result: CheckResult) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=200, color_system=None, highlight=False)
    shown = [v for v in result.violations if not v.excepted]
    if shown:
        t = Table(show_lines=False)
        for col in ("RULE", "SEVERITY", "MODE", "RESOURCE", "CONTAINER", "FIELD", "LINE", "MESSAGE"):
            t.add_column(col, overflow="fold")
        for v in shown:
            r = v.resource
            res = f"{r.kind}/{r.namespace + '/' if r.namespace else ''}{r.name}"
            line = str(v.line) if v.line is not None else ""
            cells = (v.rule, v.severity.value, v.mode.value, res, v.container, v.field, line, v.message)
            t.add_row(*(Text(x) for x in cells))
        console.print(t)
    for e in result.expired_exceptions:
        console.print(f"expired exception for {e.rule} ({e.kind}/{e.namespace}/{e.name}, owner {e.owner}) "
                      f"ended {e.expires.isoformat()}: no longer applied", markup=False)
    excepted = len(result.violations) - len(shown)
    console.print(
        f"{result.resources} resources checked against {result.profile} "
        f"(Kubernetes v{result.version[0]}.{result.version[1]}): {len(shown)} violations, "
        f"{len(result.failing)} enforced, {excepted} excepted",
        markup=False,
    )
    return buf.getvalue()


def to_junit(result: CheckResult) -> str:
    # imported when used: these share building blocks with the scan report package, which pulls in
    # the scan pipeline (as policy.sarif does)
    from hullcheck.policy import junit

    return junit.render(result)


def to_markdown(result: CheckResult) -> str:
    from hullcheck.policy import markdown

    return markdown.render(result)


def to_html(result: CheckResult) -> str:
    from hullcheck.policy import html

    return html.render(result)


FORMATS = {"table": to_table, "json": to_json, "sarif": sarif.render, "junit": to_junit, "markdown": to_markdown,
           "html": to_html}
