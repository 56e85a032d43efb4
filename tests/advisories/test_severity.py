"""CVSS scoring against scores published next to the vectors (NVD, Red Hat CSAF), and the
vendor-severity preference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hullcheck.advisories.records import Severity
from hullcheck.advisories.severity import effective_severity, score_vector


def _scored_vectors(obj: Any) -> Iterator[tuple[str, float, str]]:
    """(vector, published base score, published rating) wherever a feed states all three."""
    if isinstance(obj, dict):
        vec, score = obj.get("vectorString"), obj.get("baseScore")
        if isinstance(vec, str) and isinstance(score, (int, float)):
            yield vec, float(score), str(obj.get("baseSeverity", ""))
        for v in obj.values():
            yield from _scored_vectors(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _scored_vectors(v)


def test_cvss_scores_match_the_published_ones(adv: Path) -> None:
    roots = [adv / "distro/vunnel-provider-fixtures", adv / "distro/osv-dev-testdata"]
    seen: dict[str, tuple[float, str]] = {}
    for root in roots:
        for f in root.rglob("*.json"):
            try:
                doc = json.loads(f.read_text())
            except (ValueError, UnicodeDecodeError):
                continue
            for vec, score, rating in _scored_vectors(doc):
                seen[vec] = (score, rating)
    versions = {
        ("4" if v.startswith("CVSS:4") else "3") if v.startswith("CVSS:") else "2" for v in seen
    }
    assert len(seen) >= 30 and {"2", "3"} <= versions, versions
    for vec, (score, rating) in seen.items():
        kind = {"2": "CVSS_V2", "3": "CVSS_V3", "4": "CVSS_V4"}[
            ("4" if vec.startswith("CVSS:4") else "3") if vec.startswith("CVSS:") else "2"
        ]
        got = score_vector(kind, vec)
        assert got.score == score, vec
        if rating and kind != "CVSS_V2":  # NVD's v2 "severity" has no critical; see severity.py
            assert got.rating.value == rating.lower(), vec


def test_vector_quirks() -> None:
    # a trailing "/" seen in real GHSA data is tolerated
    q = score_vector("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/")
    assert q.score == 9.8 and q.rating is Severity.CRITICAL
    bad = score_vector("CVSS_V3", "CVSS:3.1/AV:X/nonsense")
    assert (
        bad.score is None
        and bad.rating is Severity.UNKNOWN
        and bad.vector == "CVSS:3.1/AV:X/nonsense"
    )
    v4 = score_vector("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N")
    assert v4.score == 8.7 and v4.rating is Severity.HIGH


def test_vendor_severity_is_preferred_for_its_own_records(build, adv: Path) -> None:
    peer = adv / "osv/osv-records-from-peer-testdata"
    ghsa = [f for f in sorted(peer.glob("GHSA-*.json")) if '"severity": "' in f.read_text()][:30]
    ubuntu = sorted(peer.glob("UBUNTU-CVE-*.json"))
    store, _ = build(*ghsa, *ubuntu)
    checked = 0
    for f in ghsa:
        rec = json.loads(f.read_text())
        want = rec["database_specific"]["severity"].lower().replace("moderate", "medium")
        adv_rec = store.get(rec["id"])
        for a in adv_rec.affected:
            s = effective_severity(adv_rec, a)
            assert (s.type, s.rating.value) == ("GHSA", want)
            checked += 1
    for f in ubuntu:
        rec = json.loads(f.read_text())
        prio = [s["score"] for s in rec.get("severity", []) if s["type"] == "Ubuntu"]
        adv_rec = store.get(rec["id"])
        for a in adv_rec.affected:
            s = effective_severity(adv_rec, a)
            if prio:
                assert (s.type, s.vector) == ("Ubuntu", prio[0])
                checked += 1
    assert checked > 30


def test_cvss_is_used_without_a_vendor_rating(build, adv: Path) -> None:
    files = [
        f
        for f in sorted((adv / "osv/rustsec-osv/crates").glob("*.json"))
        if "CVSS_V3" in f.read_text()
    ][:20]
    store, _ = build(*files)
    for f in files:
        rec = json.loads(f.read_text())
        adv_rec = store.get(rec["id"])
        vec = next(s["score"] for s in rec["severity"] if s["type"] == "CVSS_V3")
        s = effective_severity(adv_rec, adv_rec.affected[0])
        assert (
            s.type == "CVSS_V3"
            and s.score == score_vector("CVSS_V3", vec).score
            and s.source == rec["id"]
        )


def test_publisher_rating_of_other_publishers(build, adv: Path) -> None:
    """Bitnami and Root write their own rating in database_specific too; it wins over CVSS."""
    peer = adv / "osv/osv-records-from-peer-testdata"
    files = [
        f
        for f in sorted([*peer.glob("BIT-*.json"), *peer.glob("ROOT-*.json")])
        if isinstance(json.loads(f.read_text()).get("database_specific", {}).get("severity"), str)
    ]
    assert len(files) >= 10
    store, _ = build(*files)
    for f in files:
        rec = json.loads(f.read_text())
        adv_rec = store.get(rec["id"])
        if adv_rec is None:
            continue  # a malformed peer record
        for a in adv_rec.affected:
            s = effective_severity(adv_rec, a)
            if a.ecosystem.startswith("Debian"):
                continue  # Debian urgency wins for Debian entries
            assert s.type == rec["id"].split("-")[0]
            assert s.rating.value == rec["database_specific"]["severity"].lower()
