"""What the advisory store hands out: frozen records, decoded from OSV-shaped rows.

Every feed (OSV, the Debian tracker, Alpine secdb) is stored as OSV records, so a matcher reads
one shape. ``AffectedRecord.affected`` is the OSV ``affected`` entry as the feed gave it (ranges,
versions, ecosystem_specific, database_specific); distro importers add a ``fix_state`` to its
``database_specific`` (see ``FixState``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hullcheck.model.finding import FixState, SeverityLevel

# One severity scale and one set of fix states for the whole project (model.finding); the store
# keeps the names it has always used.
Severity = SeverityLevel
__all__ = ["Advisory", "AffectedRecord", "FixState", "Severity", "SeverityScore"]


@dataclass(frozen=True)
class SeverityScore:
    """One severity statement: a CVSS vector with its base score, or a vendor rating."""

    type: str  # CVSS_V2 / CVSS_V3 / CVSS_V4 / a vendor name ("Debian", "Ubuntu", "GHSA")
    rating: Severity
    score: float | None = None
    vector: str = ""
    source: str = ""  # where the statement came from (advisory id or feed)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "rating": self.rating.value,
            "score": self.score,
            "vector": self.vector,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SeverityScore:
        return cls(
            type=str(d.get("type", "")),
            rating=Severity(d.get("rating", "unknown")),
            score=d.get("score"),
            vector=str(d.get("vector", "")),
            source=str(d.get("source", "")),
        )


@dataclass(frozen=True)
class AffectedRecord:
    """One OSV ``affected`` entry of one advisory, for one (ecosystem, package)."""

    advisory_id: str
    ecosystem: str  # as the record names it: "PyPI", "Debian:12", "Alpine:v3.20"
    package: str  # the package name as the record spells it
    affected: Mapping[str, Any] = field(hash=False, compare=False)
    source: str = ""


@dataclass(frozen=True)
class Advisory:
    id: str
    modified: str
    published: str = ""
    withdrawn: str = ""
    summary: str = ""
    details: str = ""
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    severity: tuple[
        SeverityScore, ...
    ] = ()  # scored CVSS vectors and advisory-level vendor ratings
    references: tuple[Mapping[str, Any], ...] = ()
    database_specific: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    affected: tuple[AffectedRecord, ...] = ()
    source: str = ""  # the feed it was imported from
    origin: str = ""  # the file (or archive member) inside that feed
    group: str = ""  # alias group representative (see aliases.py)
