"""Severity: CVSS vectors scored with the ``cvss`` library, and vendor ratings.

``scored_severities(record)`` turns an OSV record's ``severity`` list (and the publisher's own
``database_specific.severity``, as GHSA, Bitnami and Root write it) into ``SeverityScore`` values
at import time; a publisher rating has the record's id prefix as its type ("GHSA", "BIT").
``effective_severity(advisory, affected)`` picks the one to show for one affected package: the
vendor's own rating for its own packages (Debian urgency for ``Debian:*``, Ubuntu priority for
``Ubuntu:*``, the publisher's rating for the packages of its own record), else the CVSS base
score of the newest CVSS version present (v4, then v3, then v2; the highest within a version).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from hullcheck.advisories.names import base_ecosystem
from hullcheck.advisories.records import Advisory, AffectedRecord, Severity, SeverityScore

_CVSS_VERSION_RANK = {"CVSS_V4": 3, "CVSS_V3": 2, "CVSS_V2": 1}

# Vendor vocabularies -> one scale. Debian "unimportant" is Debian's "not a real issue here".
_DEBIAN_URGENCY = {
    "unimportant": Severity.NEGLIGIBLE,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
}
_UBUNTU_PRIORITY = {
    "negligible": Severity.NEGLIGIBLE,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
_PUBLISHER_SEVERITY = {  # GHSA (LOW/MODERATE/HIGH/CRITICAL), Bitnami, Red Hat's "important"
    "negligible": Severity.NEGLIGIBLE,
    "low": Severity.LOW,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def rating_from_score(score: float) -> Severity:
    """CVSS v3/v4 qualitative scale (also used for v2, as NVD's v2 table has no 'critical')."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.NEGLIGIBLE


def _v2_rating(score: float) -> Severity:
    # NVD's CVSS v2 ranges: low 0-3.9, medium 4-6.9, high 7-10.
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW if score > 0 else Severity.NEGLIGIBLE


def score_vector(kind: str, vector: str, source: str = "") -> SeverityScore:
    """Score one vector; an unparseable vector keeps its text with rating ``unknown``.

    A trailing "/" (seen in real GHSA data) is tolerated: it is not part of any metric.
    """
    text = vector.strip().rstrip("/")
    try:
        if kind == "CVSS_V2" or (kind == "" and not text.startswith("CVSS:")):
            c2 = CVSS2(text)
            s = float(c2.scores()[0])
            return SeverityScore("CVSS_V2", _v2_rating(s), s, c2.clean_vector(), source)
        if kind == "CVSS_V3" or text.startswith("CVSS:3"):
            c3 = CVSS3(text)
            s = float(c3.scores()[0])
            return SeverityScore("CVSS_V3", rating_from_score(s), s, c3.clean_vector(), source)
        if kind == "CVSS_V4" or text.startswith("CVSS:4"):
            c4 = CVSS4(text)
            s = float(c4.base_score)
            return SeverityScore("CVSS_V4", rating_from_score(s), s, c4.clean_vector(), source)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError, ZeroDivisionError):
        pass
    return SeverityScore(kind or "CVSS", Severity.UNKNOWN, None, vector, source)


def vendor_rating(vendor: str, value: str) -> Severity:
    v = value.strip().rstrip("*").strip().lower()
    table = {"Debian": _DEBIAN_URGENCY, "Ubuntu": _UBUNTU_PRIORITY}.get(vendor, _PUBLISHER_SEVERITY)
    return table.get(v, Severity.UNKNOWN)


def scored_severities(record: Mapping[str, Any]) -> list[SeverityScore]:
    """Advisory-level severities of an OSV record, scored; vendor ratings included."""
    rid = str(record.get("id", ""))
    out: list[SeverityScore] = []
    for s in _dicts(record.get("severity")):
        kind, score = str(s.get("type", "")), str(s.get("score", ""))
        if kind == "Ubuntu":
            out.append(SeverityScore("Ubuntu", vendor_rating("Ubuntu", score), None, score, rid))
        elif kind.startswith("CVSS"):
            out.append(score_vector(kind, score, rid))
    dbs = record.get("database_specific")
    if isinstance(dbs, Mapping) and isinstance(dbs.get("severity"), str) and "-" in rid:
        vendor = rid.split("-", 1)[0]
        rating = vendor_rating(vendor, dbs["severity"])
        if rating is not Severity.UNKNOWN:
            out.append(SeverityScore(vendor, rating, None, dbs["severity"], rid))
    return out


def _dicts(v: object) -> Iterable[Mapping[str, Any]]:
    if isinstance(v, list):
        return [x for x in v if isinstance(x, Mapping)]
    return []


def _best_cvss(scores: Iterable[SeverityScore]) -> SeverityScore | None:
    cands = [s for s in scores if s.score is not None and s.type in _CVSS_VERSION_RANK]
    if not cands:
        return None
    return max(cands, key=lambda s: (_CVSS_VERSION_RANK[s.type], s.score or 0.0))


def effective_severity(advisory: Advisory, affected: AffectedRecord | None = None) -> SeverityScore:
    """The severity to report for ``affected`` (or for the advisory as a whole), in this order:
    Debian urgency of a Debian entry; the Ubuntu priority of an Ubuntu record; the publisher's
    own rating; the entry's own CVSS; the record's CVSS; else unknown."""
    base = base_ecosystem(affected.ecosystem) if affected else ""
    if affected is not None and base == "Debian":
        eco_spec = affected.affected.get("ecosystem_specific")
        if isinstance(eco_spec, Mapping) and isinstance(eco_spec.get("urgency"), str):
            r = vendor_rating("Debian", eco_spec["urgency"])
            if r is not Severity.UNKNOWN:
                return SeverityScore("Debian", r, None, eco_spec["urgency"], advisory.id)
    for s in advisory.severity:
        if s.rating is Severity.UNKNOWN or s.type in _CVSS_VERSION_RANK:
            continue
        if s.type != "Ubuntu" or base == "Ubuntu" or affected is None:
            return s
    if affected is not None:
        per_entry = [
            score_vector(str(s.get("type", "")), str(s.get("score", "")), advisory.id)
            for s in _dicts(affected.affected.get("severity"))
            if str(s.get("type", "")).startswith("CVSS")
        ]
        best = _best_cvss(per_entry)
        if best is not None:
            return best
    best = _best_cvss(advisory.severity)
    if best is not None:
        return best
    return SeverityScore("", Severity.UNKNOWN, None, "", advisory.id)
