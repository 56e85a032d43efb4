"""The matcher against a small database imported from real records and tracker-shaped files.

Expected findings are derived from the records themselves (the PyPA records list affected
versions explicitly; tracker entries say fixed_version and status), never typed from output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.match.matcher import Matcher
from hullcheck.model import Location, Package, PackageType
from hullcheck.model.finding import FixState

PYPA = "advisories/osv/pypa-advisory-database/vulns"


def _pypa_records(shared: Path, package: str) -> list[dict]:
    out = []
    for p in sorted((shared / PYPA / package).glob("*.yaml")):
        out.append(yaml.safe_load(p.read_text()))
    return out


# A tracker excerpt written for these tests in the Debian security tracker's JSON shape.
TRACKER = {
    "openssl": {
        "CVE-2099-0001": {  # fixed in bookworm by a security update: a backport
            "releases": {"bookworm": {"status": "resolved", "fixed_version": "3.0.11-1~deb12u1", "urgency": "medium"},
                         "bullseye": {"status": "resolved", "fixed_version": "1.1.1w-0+deb11u1", "urgency": "medium"}}},
        "CVE-2099-0002": {  # open, no fix yet
            "releases": {"bookworm": {"status": "open", "urgency": "low"}}},
        "CVE-2099-0003": {  # the distro will not fix it
            "releases": {"bookworm": {"status": "open", "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "ignored"}}},
        "CVE-2099-0004": {  # bookworm never had the flaw
            "releases": {"bookworm": {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"}}},
        "CVE-2099-0005": {  # only bullseye is affected: must not leak into a Debian 12 image
            "releases": {"bullseye": {"status": "open", "urgency": "high"}}},
    }
}


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> AdvisoryStore:
    d = tmp_path_factory.mktemp("db")
    tracker = d / "tracker.json"
    tracker.write_text(json.dumps(TRACKER))
    db = d / "adv.db"
    import_paths([str(shared_data / PYPA / "urllib3"), str(shared_data / PYPA / "jinja2"), str(tracker)], db, fresh=True)
    s = AdvisoryStore.open(db)
    yield s
    s.close()


def deb(name: str, version: str, source: str = "", source_version: str = "") -> Package:
    return Package(name=name, version=version, type=PackageType.DEB, ecosystem="Debian:12",
                   source_name=source, source_version=source_version, locations=(Location("/var/lib/dpkg/status"),))


def test_pypi_matches_follow_the_records(store: AdvisoryStore, shared_data: Path) -> None:
    version = "1.24.1"
    expected = set()
    for rec in _pypa_records(shared_data, "urllib3"):
        if rec.get("withdrawn"):
            continue
        if any(version in a.get("versions", []) for a in rec["affected"]):
            expected.add(rec["id"])
    assert expected, "the fixture must contain affected records"
    pkg = Package(name="urllib3", version=version, type=PackageType.PYTHON, ecosystem="PyPI")
    findings, problems = Matcher(store).match_one(pkg)
    assert not problems
    got = {i for f in findings for i in (f.id, *f.aliases)}
    assert expected <= got
    # one finding per vulnerability: no two findings share an alias group
    ids = [set((f.id, *f.aliases)) for f in findings]
    assert all(not (a & b) for i, a in enumerate(ids) for b in ids[i + 1:])
    for f in findings:
        assert f.fix_state is FixState.FIXED and f.fixed_versions
        assert f.details and f.details[0].matcher == "language-pypi"


def test_pypi_name_normalisation(store: AdvisoryStore) -> None:
    a = Matcher(store).match_one(Package(name="Jinja2", version="2.10", type=PackageType.PYTHON, ecosystem="PyPI"))[0]
    b = Matcher(store).match_one(Package(name="jinja2", version="2.10", type=PackageType.PYTHON, ecosystem="PyPI"))[0]
    assert a and {f.id for f in a} == {f.id for f in b}


def test_debian_source_package_and_fix_states(store: AdvisoryStore) -> None:
    pkg = deb("libssl3", "3.0.9-1", source="openssl", source_version="3.0.9-1")
    findings, _ = Matcher(store).match_one(pkg)
    by_id = {f.id: f for f in findings}
    assert set(by_id) == {"CVE-2099-0001", "CVE-2099-0002", "CVE-2099-0003"}
    assert by_id["CVE-2099-0001"].fix_state is FixState.FIXED
    assert by_id["CVE-2099-0001"].fixed_versions == ("3.0.11-1~deb12u1",)
    assert by_id["CVE-2099-0002"].fix_state is FixState.NOT_FIXED
    assert by_id["CVE-2099-0003"].fix_state is FixState.WONT_FIX
    d = by_id["CVE-2099-0001"].details[0]
    assert d.via_source_package and d.queried_name == "openssl" and d.ecosystem == "Debian:12"
    assert by_id["CVE-2099-0002"].severity.level.value == "low"  # Debian's urgency wins for its packages


def test_debian_backported_fix_is_not_a_finding(store: AdvisoryStore) -> None:
    pkg = deb("libssl3", "3.0.11-1~deb12u2", source="openssl", source_version="3.0.11-1~deb12u2")
    ids = {f.id for f in Matcher(store).match_one(pkg)[0]}
    assert "CVE-2099-0001" not in ids
    assert {"CVE-2099-0002", "CVE-2099-0003"} <= ids


def test_other_release_does_not_leak(store: AdvisoryStore) -> None:
    pkg = Package(name="openssl", version="1.1.1n-0+deb11u4", type=PackageType.DEB, ecosystem="Debian:11")
    ids = {f.id for f in Matcher(store).match_one(pkg)[0]}
    assert ids == {"CVE-2099-0001", "CVE-2099-0005"}


def test_invalid_version_is_a_problem_not_a_crash(store: AdvisoryStore) -> None:
    pkg = deb("openssl", "not a version!!")
    findings, problems = Matcher(store).match_one(pkg)
    assert not findings
    assert problems and "invalid Debian:12 version" in problems[0].reason


def test_package_without_distro_is_not_matched(store: AdvisoryStore) -> None:
    pkg = Package(name="openssl", version="1.0", type=PackageType.DEB, ecosystem="")
    assert Matcher(store).match_one(pkg) == ([], [])


def test_skip_match_packages_are_not_queried_but_counted(store: AdvisoryStore, shared_data: Path) -> None:
    # the same urllib3 version that has findings above, marked by a cataloger as unmatchable
    plain = Package(name="urllib3", version="1.24.1", type=PackageType.PYTHON, ecosystem="PyPI")
    marked = Package(name="urllib3", version="1.24.1", type=PackageType.PYTHON, ecosystem="PyPI",
                     metadata={"skip_match": "replaced by local directory ../urllib3"})
    m = Matcher(store)
    assert m.match_one(plain)[0]
    assert m.match_one(marked) == ([], [])
    result = m.match([plain, marked])
    assert {f.package.metadata.get("skip_match") for f in result.findings} == {None}
    assert not result.problems
    assert [(s.package, s.reason) for s in result.skipped] == [(marked, "replaced by local directory ../urllib3")]


def test_repeated_packages_reuse_the_outcome_with_their_own_identity(store: AdvisoryStore) -> None:
    a = Package(name="urllib3", version="1.24.1", type=PackageType.PYTHON, ecosystem="PyPI",
                locations=(Location("/a/urllib3-1.24.1.dist-info/METADATA", 1),), layer_index=1)
    b = Package(name="urllib3", version="1.24.1", type=PackageType.PYTHON, ecosystem="PyPI",
                locations=(Location("/b/urllib3-1.24.1.dist-info/METADATA", 2),), layer_index=2)
    m = Matcher(store)
    fa, fb = m.match_one(a)[0], m.match_one(b)[0]
    assert fa and [f.id for f in fa] == [f.id for f in fb]
    assert all(f.package is a for f in fa) and all(f.package is b for f in fb)
    # a fresh matcher (no memo) computes the same findings for b
    assert Matcher(store).match_one(b)[0] == fb
