"""The store file: read-only at scan time, versioned, replaced atomically, and lookups."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore, parse_age
from hullcheck.errors import AdvisoryDBError, UsageError


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_opened_read_only(build, adv: Path) -> None:
    store, _ = build(adv / "osv/ghsa-subset")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store._db.execute("DELETE FROM advisories")


def test_missing_corrupt_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDBError, match="no advisory database"):
        AdvisoryStore.open(tmp_path / "nope.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(AdvisoryDBError, match="corrupt"):
        AdvisoryStore.open(junk)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '999')")
    con.commit()
    con.close()
    with pytest.raises(AdvisoryDBError, match="schema version 999"):
        AdvisoryStore.open(other)


def test_failed_import_leaves_previous_database(adv: Path, tmp_path: Path) -> None:
    db = tmp_path / "db" / "advisories.db"
    import_paths([str(adv / "osv/ghsa-subset")], db)
    before = _sha(db)

    class Boom(Exception):
        pass

    seen = []

    def observer(path: str) -> None:
        seen.append(path)
        if len(seen) == 5:
            raise Boom

    with pytest.raises(Boom):
        import_paths([str(adv / "osv/rustsec-osv/crates")], db, observer=observer)
    assert _sha(db) == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["advisories.db"]  # no temp file left
    with AdvisoryStore.open(db) as store:
        assert len(store.ids()) == 3


def test_import_adds_to_existing_and_reimport_is_idempotent(adv: Path, tmp_path: Path) -> None:
    db = tmp_path / "advisories.db"
    secdb = adv / "distro/alpine-secdb-legacy/v3.10/main.yaml"
    import_paths([str(adv / "osv/ghsa-subset")], db)
    import_paths([str(secdb)], db)
    with AdvisoryStore.open(db) as s:
        first = s.status()
        n_ids = len(s.ids())
        sample = s.lookup("Alpine:v3.10", "apache2")
    import_paths([str(secdb)], db)  # the same feed again replaces its own entries
    with AdvisoryStore.open(db) as s:
        assert len(s.ids()) == n_ids
        assert s.status().affected == first.affected
        assert s.lookup("Alpine:v3.10", "apache2") == sample
        assert {src.kind for src in s.status().sources} == {"osv", "alpine-secdb"}


def test_withdrawn_records_are_left_out_of_lookups(build, adv: Path) -> None:
    files = [
        f
        for f in sorted((adv / "osv/go-vulndb/data/osv").glob("*.json"))
        if '"withdrawn"' in f.read_text()
    ]
    assert files
    store, _ = build(*files)
    for f in files:
        rec = json.loads(f.read_text())
        for a in rec["affected"]:
            eco, name = a["package"]["ecosystem"], a["package"]["name"]
            assert rec["id"] not in {h.advisory_id for h in store.lookup(eco, name)}
            assert rec["id"] in {
                h.advisory_id for h in store.lookup(eco, name, include_withdrawn=True)
            }
        assert store.get(rec["id"]).withdrawn == rec["withdrawn"]


def test_lookup_by_release_and_by_base_ecosystem(build, adv: Path) -> None:
    vunnel = adv / "distro/vunnel-provider-fixtures/tests/unit/providers"
    store, _ = build(vunnel / "debian/test-fixtures/input/debian.json")
    per_release = {h.ecosystem for h in store.lookup_base("Debian", "chromium")}
    assert per_release == {"Debian:12", "Debian:11", "Debian:10", "Debian:9", "Debian:sid"}
    assert {h.ecosystem for h in store.lookup("Debian:12", "chromium")} == {"Debian:12"}
    assert store.lookup("Debian:12", "no-such-package") == []


def test_case_rules_per_ecosystem(build, tmp_path: Path) -> None:
    recs = [
        ("NuGet", "Newtonsoft.Json", "newtonsoft.json", True),
        ("Packagist", "Typo3/CMS-Core", "typo3/cms-core", True),
        ("Go", "github.com/BurntSushi/toml", "github.com/burntsushi/toml", False),
        ("Maven", "org.Example:Lib", "org.example:lib", False),
        ("crates.io", "Inflector", "inflector", False),
        ("RubyGems", "RedCloth", "redcloth", False),
    ]
    for i, (eco, name, _, _) in enumerate(recs):
        (tmp_path / f"r{i}.json").write_text(
            json.dumps(
                {
                    "id": f"T-{i}",
                    "modified": "2024-01-01T00:00:00Z",
                    "affected": [{"package": {"ecosystem": eco, "name": name}}],
                }
            )
        )
    store, _ = build(tmp_path)
    for i, (eco, name, other, folds) in enumerate(recs):
        assert [h.advisory_id for h in store.lookup(eco, name)] == [f"T-{i}"]
        assert bool(store.lookup(eco, other)) is folds, (eco, other)


def test_staleness(build, adv: Path) -> None:
    store, _ = build(adv / "osv/ghsa-subset")
    st = store.status()
    (src,) = st.sources
    t = datetime.fromisoformat(src.timestamp.replace("Z", "+00:00"))
    assert st.staleness_warning(timedelta(days=3), now=t + timedelta(days=2)) is None
    warn = st.staleness_warning(timedelta(days=3), now=t + timedelta(days=4))
    assert warn and "older than 3 days" in warn and src.name in warn
    assert parse_age("72h") == timedelta(days=3) and parse_age("90") == timedelta(seconds=90)
    with pytest.raises(UsageError):
        parse_age("three days")
    assert datetime.now(UTC) >= t


def test_fixture_database_from_records(tmp_path: Path) -> None:
    from hullcheck.advisories.importer import import_records

    recs = [
        {
            "id": "T-1",
            "modified": "2024-01-01T00:00:00Z",
            "aliases": ["CVE-2024-0001"],
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "Foo_Bar"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}
                    ],
                }
            ],
        },
        {"id": "T-2", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2024-0001"]},
        {"id": 3},
    ]
    report = import_records(recs, tmp_path / "a.db")
    assert (report.records, report.malformed) == (2, 1)
    with AdvisoryStore.open(tmp_path / "a.db") as s:
        assert [h.advisory_id for h in s.lookup("PyPI", "foo-bar")] == ["T-1"]
        assert s.group("T-1") == ("CVE-2024-0001", "T-1", "T-2")
