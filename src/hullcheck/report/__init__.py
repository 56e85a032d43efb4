"""Scan-report formats: one module each, listed in ``REPORT_FORMATS``."""

from __future__ import annotations

from collections.abc import Callable

from hullcheck.report import cyclonedx_vex, html, json_report, junit, markdown, sarif, table
from hullcheck.scan import ScanReport

# format id -> writer returning the document as text
REPORT_FORMATS: dict[str, Callable[[ScanReport], str]] = {
    "table": table.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "cyclonedx": cyclonedx_vex.render,
    "junit": junit.render,
    "markdown": markdown.render,
    "html": html.render,
}
