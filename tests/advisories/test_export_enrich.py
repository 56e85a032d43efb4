"""Export/import of one compressed file with a checksum; KEV and EPSS enrichment."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from hullcheck.advisories.export import MAGIC, export_db, import_export
from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.errors import AdvisoryDBError

VUNNEL = "distro/vunnel-provider-fixtures/tests/unit/providers"


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def db(adv: Path, tmp_path: Path) -> Path:
    p = tmp_path / "src" / "advisories.db"
    import_paths([str(adv / "osv/ghsa-subset"), str(adv / "osv/rustsec-osv/crates")], p)
    return p


def test_round_trip(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "export.hcdb"
    header = export_db(db, out)
    assert out.read_bytes().startswith(MAGIC)
    assert out.stat().st_size < db.stat().st_size / 2
    target = tmp_path / "dst" / "advisories.db"
    import_export(out, target)
    assert _sha(target) == _sha(db) == header["sha256"]
    with AdvisoryStore.open(target) as s, AdvisoryStore.open(db) as orig:
        assert s.ids() == orig.ids() and len(s.ids()) > 1200


@pytest.mark.parametrize("damage", ["flip", "truncate", "header", "magic"])
def test_damaged_export_is_refused_and_changes_nothing(
    db: Path, tmp_path: Path, damage: str
) -> None:
    out = tmp_path / "export.hcdb"
    export_db(db, out)
    data = bytearray(out.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) - 1000]
    elif damage == "header":
        start = len(MAGIC)
        data[start : start + 20] = b'{"sha256": 5, "x":1}'
    else:
        data[:5] = b"XXXXX"
    out.write_bytes(bytes(data))
    target = tmp_path / "dst" / "advisories.db"
    target.parent.mkdir()
    target.write_bytes(b"previous")
    with pytest.raises(AdvisoryDBError):
        import_export(out, target)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in target.parent.iterdir()) == ["advisories.db"]


def test_kev_and_epss(build, adv: Path) -> None:
    kev = adv / VUNNEL / "kev/test-fixtures/valid-catalog-1.json"
    epss_dir = adv / VUNNEL / "epss/test-fixtures"
    store, report = build(kev, epss_dir)
    cat = json.loads(kev.read_text())
    for v in cat["vulnerabilities"]:
        got = store.kev(v["cveID"])
        assert got is not None
        assert (got["date_added"], got["due_date"], got["ransomware"]) == (
            v["dateAdded"],
            v["dueDate"],
            v["knownRansomwareCampaignUse"],
        )
    rows = {}
    for f in ("example-1.csv", "missing-date.csv"):
        for line in (epss_dir / f).read_text().splitlines()[2:]:
            cve, e, p = line.split(",")
            rows[cve] = (float(e), float(p))
    for cve, want in rows.items():
        assert store.epss(cve) == want
    assert store.epss("CVE-1900-0001") is None
    # the file with a wrong header is refused as a whole and counted
    epss = next(s for s in report.sources.values() if s.kind == "epss")
    assert epss.malformed == 1 and "invalid-header.csv" in epss.problems[0][0]
    assert store.epss("CVE-2024-6775") is None
