"""Debian security tracker JSON and Alpine secdb, checked against their files and against the
normalised results another scanner's test suite expects from the same inputs (vunnel snapshots)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hullcheck.advisories.debian import CODENAMES, ecosystem_for
from hullcheck.advisories.osv import load_yaml
from hullcheck.advisories.records import FixState, Severity
from hullcheck.advisories.severity import effective_severity
from hullcheck.advisories.store import AdvisoryStore

VUNNEL = "distro/vunnel-provider-fixtures/tests/unit/providers"


@pytest.fixture
def tracker_files(adv: Path) -> list[Path]:
    return [
        adv / VUNNEL / "debian/test-fixtures/input/debian.json",
        adv
        / "distro/osv-dev-testdata/vulnfeeds/test_data/debian/debian_security_tracker_mock.json",
    ]


def _entry(store: AdvisoryStore, vid: str, pkg: str, codename: str) -> dict:
    hits = [
        h for h in store.lookup(ecosystem_for(codename), pkg) if h.advisory_id == f"DEBIAN-{vid}"
    ]
    assert len(hits) == 1, (vid, pkg, codename, hits)
    return dict(hits[0].affected)


def _events(entry: dict) -> list[dict]:
    return [e for r in entry.get("ranges", []) for e in r["events"]]


def test_debian_tracker_record_by_record(build, tracker_files: list[Path]) -> None:
    store, report = build(*tracker_files)
    assert report.malformed == 0
    n = 0
    for f in tracker_files:
        for pkg, cves in json.loads(f.read_text()).items():
            for vid, info in cves.items():
                adv = store.get(f"DEBIAN-{vid}")
                assert adv is not None
                assert list(adv.aliases) == [vid]
                assert adv.details == info.get("description", "")
                releases = info.get("releases") or {}
                for codename, rel in releases.items():
                    n += 1
                    e = _entry(store, vid, pkg, codename)
                    state = e["database_specific"]["fix_state"]
                    assert e["database_specific"]["status"] == rel["status"]
                    assert e["ecosystem_specific"]["urgency"] == rel["urgency"]
                    if rel["status"] == "resolved" and rel["fixed_version"] == "0":
                        assert state == FixState.NOT_AFFECTED and "ranges" not in e
                    elif rel["status"] == "resolved":
                        assert state == FixState.FIXED
                        assert _events(e) == [{"introduced": "0"}, {"fixed": rel["fixed_version"]}]
                    else:
                        assert _events(e) == [{"introduced": "0"}]
                        if rel["status"] == "undetermined":
                            assert state == FixState.UNKNOWN
                        elif (
                            rel["urgency"] == "end-of-life" or rel.get("nodsa_reason") == "ignored"
                        ):
                            assert state == FixState.WONT_FIX
                        else:
                            assert state == FixState.NOT_FIXED
    assert n >= 40
    # the real quirk: a CVE entry with "releases": [] adds no entry and is not an error
    assert store.get("DEBIAN-CVE-2022-0358") is not None
    assert store.get("DEBIAN-CVE-2022-0358").affected == ()


def test_debian_against_vunnel_snapshots(build, adv: Path, tracker_files: list[Path]) -> None:
    """Fixed versions and severities agree with what vunnel's own tests expect from debian.json."""
    store, _ = build(tracker_files[0])
    source = json.loads(tracker_files[0].read_text())
    number_to_codename = {v: k for k, v in CODENAMES.items()} | {"unstable": "sid"}
    compared = 0
    for snap in sorted((adv / VUNNEL / "debian/test-fixtures/snapshots").glob("*/*.json")):
        vuln = json.loads(snap.read_text())["item"]["Vulnerability"]
        release = vuln["NamespaceName"].split(":", 1)[1]
        codename = number_to_codename.get(release)
        for fixed_in in vuln["FixedIn"]:
            pkg = fixed_in["Name"]
            if codename not in source.get(pkg, {}).get(vuln["Name"], {}).get("releases", {}):
                continue  # this snapshot came from the legacy/DSA inputs, not the tracker JSON
            compared += 1
            e = _entry(store, vuln["Name"], pkg, codename)
            fixed = [ev["fixed"] for ev in _events(e) if "fixed" in ev]
            if fixed_in["Version"] == "None":
                assert fixed == [] and e["database_specific"]["fix_state"] in (
                    "not-fixed",
                    "wont-fix",
                )
            elif fixed_in["Version"] == "0":
                assert e["database_specific"]["fix_state"] == "not-affected"
            else:
                assert fixed == [fixed_in["Version"]]
            adv_rec = store.get(f"DEBIAN-{vuln['Name']}")
            hit = next(
                h
                for h in adv_rec.affected
                if h.ecosystem == ecosystem_for(codename) and h.package == pkg
            )
            sev = effective_severity(adv_rec, hit)
            assert sev.rating.value == vuln["Severity"].lower()
            if sev.rating is not Severity.UNKNOWN:
                assert sev.type == "Debian"
    assert compared >= 20


def test_debian_hostile_shapes(build, tmp_path: Path) -> None:
    doc = {
        "openssl": {
            "CVE-2024-0001": {"releases": {"bookworm": {"status": "resolved", "urgency": "low"}}},
            "CVE-2024-0002": {"releases": {"bookworm": "oops"}},
            "CVE-2024-0003": {"releases": {"bookworm": {"status": "weird"}}},
            "CVE-2024-0004": {"releases": 7},
            "CVE-2024-0005": {
                "releases": {
                    "trixie": {
                        "status": "open",
                        "urgency": "unimportant",
                        "nodsa": "Minor issue",
                        "nodsa_reason": "ignored",
                    },
                    "zzz": {"status": "open", "urgency": "low"},
                }
            },
        },
        "libfoo": {
            "CVE-2024-0006": {"releases": {"bookworm": {"status": "open", "urgency": "low"}}}
        },
    }
    f = tmp_path / "tracker.json"
    f.write_text(json.dumps(doc))
    store, report = build(f)
    assert (
        report.malformed == 4
    )  # no fixed_version, non-object, unknown status, releases not an object
    e = _entry(store, "CVE-2024-0005", "openssl", "trixie")
    assert e["database_specific"]["fix_state"] == "wont-fix"
    assert e["database_specific"]["nodsa"] == "Minor issue"
    # a codename the table does not know yet is kept under its own name
    assert _entry(store, "CVE-2024-0005", "openssl", "zzz")["package"]["ecosystem"] == "Debian:zzz"


# -- Alpine ---------------------------------------------------------------------------------------

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*-[0-9]")


def test_alpine_secdb_legacy_record_by_record(build, adv: Path) -> None:
    files = sorted((adv / "distro/alpine-secdb-legacy").glob("v*/*.yaml"))
    assert len(files) == 18
    store, report = build(*files)
    checked = bad = 0
    for f in files:
        doc = load_yaml(f.read_bytes())
        eco = f"Alpine:{doc['distroversion']}"
        assert eco == f"Alpine:{f.parent.name}"
        for item in doc["packages"] or []:  # an empty repository has packages: null
            name = item["pkg"]["name"]
            by_id = {}
            for h in store.lookup(eco, name):
                by_id.setdefault(h.advisory_id, []).append(h.affected)
            for version, ids in (item["pkg"].get("secfixes") or {}).items():
                if not isinstance(ids, list):
                    bad += 1
                    continue
                for raw in ids:
                    vid = str(raw).split()[0] if raw else ""
                    if not _ID.match(vid):
                        bad += 1
                        continue
                    checked += 1
                    entries = by_id.get(f"ALPINE-{vid}", [])
                    if version == "0":
                        assert any(
                            e["database_specific"]["fix_state"] == "not-affected"
                            and "ranges" not in e
                            for e in entries
                        ), (f, name, vid)
                    else:
                        assert any(
                            _events(e) == [{"introduced": "0"}, {"fixed": version}] for e in entries
                        ), (f, name, vid, version)
    assert checked > 10000
    assert report.malformed == bad
    # the malformed entries are real typos in the feed, e.g. an underscore in a CVE id
    problems = [why for s in report.sources.values() for _, why in s.problems]
    assert any("CVE_2019-2426" in p for p in problems)


def test_alpine_versions_stay_text(build, adv: Path, tmp_path: Path) -> None:
    """YAML would read an unquoted 1.10 as the float 1.1; secdb versions must stay as written."""
    f = tmp_path / "main.yaml"
    f.write_text(
        "distroversion: v3.99\nreponame: main\napkurl: x\npackages:\n"
        "- pkg:\n    name: foo\n    secfixes:\n      1.10:\n      - CVE-2020-0001\n"
    )
    store, _ = build(f)
    (hit,) = store.lookup("Alpine:v3.99", "foo")
    assert _events(hit.affected) == [{"introduced": "0"}, {"fixed": "1.10"}]


def test_alpine_against_vunnel_snapshots(build, adv: Path) -> None:
    base = adv / VUNNEL / "alpine/test-fixtures"
    store, report = build(base / "input/secdb/v3.15")
    assert report.malformed == 0
    snaps = sorted((base / "snapshots").glob("*/*.json"))
    assert snaps
    for snap in snaps:
        vuln = json.loads(snap.read_text())["item"]["Vulnerability"]
        for fixed_in in vuln["FixedIn"]:
            eco = "Alpine:v" + fixed_in["NamespaceName"].split(":", 1)[1]
            hits = [
                h
                for h in store.lookup(eco, fixed_in["Name"])
                if h.advisory_id == f"ALPINE-{vuln['Name']}"
            ]
            assert [_events(h.affected)[-1] for h in hits] == [{"fixed": fixed_in["Version"]}]


def test_wolfi_secdb(build, adv: Path) -> None:
    f = adv / VUNNEL / "wolfi/test-fixtures/input/secdb/security.json"
    doc = json.loads(f.read_text())
    store, report = build(f)
    assert report.malformed == 0
    for item in doc["packages"]:
        for version, ids in item["pkg"]["secfixes"].items():
            for vid in ids:
                hits = [
                    h
                    for h in store.lookup("Wolfi", item["pkg"]["name"])
                    if h.advisory_id == f"WOLFI-{vid}"
                ]
                assert hits, (item["pkg"]["name"], vid)
                if version != "0":
                    assert any(_events(h.affected)[-1] == {"fixed": version} for h in hits)
