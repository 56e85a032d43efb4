"""The explicit list of analyzers the catalog runs (ids are stable and appear as ``found_by``)."""

from __future__ import annotations

from hullcheck.catalog.apk import ApkAnalyzer
from hullcheck.catalog.dpkg import DpkgAnalyzer
from hullcheck.catalog.interface import Analyzer
from hullcheck.catalog.language import language_analyzers
from hullcheck.catalog.osrelease import OsReleaseAnalyzer
from hullcheck.catalog.rpm.analyzer import RpmAnalyzer


def default_analyzers() -> tuple[Analyzer, ...]:
    """Every built-in analyzer, in a fixed order."""
    return (
        OsReleaseAnalyzer(),
        DpkgAnalyzer(),
        ApkAnalyzer(),
        RpmAnalyzer(),
        *language_analyzers(),
    )
