"""Severity order for reports, critical first (a module of its own so light formats need not import a scan)."""

from __future__ import annotations

from hullcheck.model.finding import SeverityLevel

SEVERITIES = tuple(sorted(SeverityLevel, key=lambda s: -s.rank))
