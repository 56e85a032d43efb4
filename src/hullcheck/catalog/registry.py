"""The explicit list of analyzers the catalog runs (ids are stable and appear as ``found_by``)."""

from __future__ import annotations

from hullcheck.catalog.interface import Analyzer


def default_analyzers() -> tuple[Analyzer, ...]:
    """Every built-in analyzer, in a fixed order."""
    return ()
