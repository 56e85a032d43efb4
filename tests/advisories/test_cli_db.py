"""``hullcheck db ...`` run as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path


def test_import_status_export_restore(run_cli, adv: Path, tmp_path: Path) -> None:
    db = tmp_path / "advisories.db"
    env = {"HULLCHECK_DB": str(db)}
    r = run_cli(
        "db",
        "import",
        str(adv / "osv/ghsa-subset"),
        str(adv / "distro/alpine-secdb-legacy/v3.9"),
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert "osv:" in r.stdout and "alpine-secdb:" in r.stdout
    r = run_cli("db", "status", "--format", "json", "--max-age", "3650d", env=env)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["schema_version"] == 1 and not st["stale"]
    kinds = {s["kind"]: s for s in st["sources"]}
    assert kinds["osv"]["records"] == 3 and kinds["osv"]["files"] == 3
    assert kinds["alpine-secdb"]["files"] == 2
    assert "warning" not in r.stderr
    # the shared files are older than a minute: the same status warns on stderr
    r = run_cli("db", "status", env={**env, "HULLCHECK_DB_MAX_AGE": "1s"})
    assert r.returncode == 0 and "warning: advisory data is older than" in r.stderr
    assert "schema version:  1" in r.stdout
    out = tmp_path / "db.hcdb"
    r = run_cli("db", "export", str(out), env=env)
    assert r.returncode == 0 and out.is_file(), r.stderr
    other = tmp_path / "other.db"
    r = run_cli("db", "import", str(out), "--db", str(other))
    assert r.returncode == 0 and "checksum verified" in r.stdout, r.stderr
    assert other.read_bytes() == db.read_bytes()


def test_show_and_search(run_cli, adv: Path, tmp_path: Path) -> None:
    db = tmp_path / "advisories.db"
    tracker = (
        adv / "distro/vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input"
    )
    go = adv / "osv/go-vulndb/data/osv/GO-2020-0001.json"
    assert (
        run_cli("db", "import", str(tracker / "debian.json"), str(go), "--db", str(db)).returncode
        == 0
    )
    r = run_cli("db", "show", "GO-2020-0001", "--db", str(db))
    assert r.returncode == 0, r.stderr
    shown, rec = json.loads(r.stdout), json.loads(go.read_text())
    assert shown["aliases"] == rec["aliases"] and shown["affected"] == rec["affected"]
    assert set(shown["alias_group"]) == {rec["id"], *rec["aliases"]}
    r = run_cli("db", "search", "Debian:10", "chromium", "--db", str(db))
    assert r.returncode == 0
    assert r.stdout.split("\t")[0] == "DEBIAN-CVE-2022-0456" and "wont-fix" in r.stdout
    r = run_cli("db", "search", "Debian:12", "sope", "--db", str(db))
    assert '{"fixed": "5.8.0-1+deb12u1"}' in r.stdout
    r = run_cli("db", "show", "NOPE-1", "--db", str(db))
    assert r.returncode == 2 and "no advisory" in r.stderr


def test_errors_are_one_line_with_exit_codes(run_cli, tmp_path: Path) -> None:
    r = run_cli("db", "status", "--db", str(tmp_path / "missing.db"))
    assert r.returncode == 4 and r.stderr.count("\n") == 1 and "no advisory database" in r.stderr
    r = run_cli("db", "import", str(tmp_path / "nothing-here"), "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "no such file" in r.stderr
    bad = tmp_path / "bad.hcdb"
    bad.write_bytes(b"HULLCHECK-ADVISORY-DB 1\n{}\n")
    r = run_cli("db", "import", str(bad), "--db", str(tmp_path / "x.db"))
    assert r.returncode == 4 and "damaged" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("db", "status", "--db", str(tmp_path / "x.db"), "--format", "xml")
    assert r.returncode == 2


def test_corrupt_database_needs_fresh(run_cli, adv: Path, tmp_path: Path) -> None:
    db = tmp_path / "advisories.db"
    db.write_bytes(b"\x00garbage" * 1000)
    feed = str(adv / "osv/ghsa-subset")
    r = run_cli("db", "import", feed, "--db", str(db))
    assert r.returncode == 4 and "--fresh" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("db", "import", feed, "--db", str(db), "--fresh")
    assert r.returncode == 0, r.stderr
    r = run_cli("db", "status", "--db", str(db), "-f", "json")
    assert json.loads(r.stdout)["advisories"] == 3
