"""advisories stage: feed importers, the SQLite store, import/export.

Read side (what matchers use): ``AdvisoryStore.open(path).lookup(ecosystem, name)`` returns
the OSV affected entries of one package (distro fix states in
``affected["database_specific"]["fix_state"]``, see ``FixState``), ``.get(id)``, ``.group(id)``
(alias group), ``.kev(cve)`` / ``.epss(cve)``, ``.status()`` (with ``staleness_warning``);
``effective_severity(advisory, affected)``.
Write side: ``importer.import_paths(paths, db_path)``, ``importer.import_records(records,
db_path)`` (fixture databases for tests), ``update.update(db_path, config)``,
``export.export_db`` / ``export.import_export``.
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
