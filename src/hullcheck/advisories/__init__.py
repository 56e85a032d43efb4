"""advisories stage: feed importers, the SQLite store, import/export.

Read side (what matchers use): ``AdvisoryStore.open(path).lookup(ecosystem, name)``,
``.get(id)``, ``.group(id)``, ``.status()``; ``effective_severity(advisory, affected)``.
Write side: ``import_paths(paths, db_path)``, ``export_db`` / ``import_export``.
"""

from hullcheck.advisories.records import (
    Advisory,
    AffectedRecord,
    FixState,
    Severity,
    SeverityScore,
)
from hullcheck.advisories.severity import effective_severity
from hullcheck.advisories.store import AdvisoryStore, DBStatus, default_db_path

__all__ = [
    "Advisory",
    "AdvisoryStore",
    "AffectedRecord",
    "DBStatus",
    "FixState",
    "Severity",
    "SeverityScore",
    "default_db_path",
    "effective_severity",
]
