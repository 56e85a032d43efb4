"""Catalogers' naming and the store's name normalisation agree, one ecosystem at a time.

Each test writes the files a real image holds (dist-info METADATA, node_modules package.json, a
jar with pom.properties, a .deps.json, composer's installed.json, apk's ``installed``), catalogs
them with hullcheck's own catalogers (``inventory("rootfs:...")``), and matches the packages
against real advisory records from the shared data. The expected ids come from the records'
events, compared with ``hullcheck.versions.compare`` (the version rules, not the range evaluator
under test).
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.catalog.osrelease import osv_ecosystem
from hullcheck.catalog.purl import with_distro
from hullcheck.catalog.rpm.analyzer import package_from_header
from hullcheck.catalog.rpm.header import RpmHeader
from hullcheck.inventory import inventory
from hullcheck.match.matcher import Matcher
from hullcheck.model import Distro, Package
from hullcheck.versions import compare

OSV = "advisories/osv"
PEER = f"{OSV}/osv-records-from-peer-testdata"
GHSA_TESTDATA = f"{OSV}/osv-schema/tools/ghsa/testdata"
SECDB = "advisories/distro/alpine-secdb-legacy/v3.9/main.yaml"
ALMA = "advisories/distro/almalinux-osv/advisories/almalinux8/ALSA-2023:0050.json"

RECORDS = {
    # ecosystem -> real record files (relative to the shared data)
    "PyPI": [f"{OSV}/ghsa-subset/GHSA-2g68-c3qc-8985.json", f"{GHSA_TESTDATA}/pypi_normalize.osv.json"],
    "npm": [f"{GHSA_TESTDATA}/npm_greater_than.osv.json"],
    "Maven": [f"{GHSA_TESTDATA}/maven_greater_than.osv.json", f"{PEER}/GHSA-6xx3-rg99-gc3p.json"],
    "NuGet": [f"{PEER}/GHSA-6xx3-rg99-gc3p.json"],
    "Packagist": [f"{OSV}/ghsa-subset/GHSA-22q7-cg4r-p9mx.json", f"{PEER}/GHSA-wjx8-cgrm-hh8p.json"],
}


def expected_ids(records: Iterable[dict[str, Any]], ecosystem: str, name_key: str, version: str,
                 norm=lambda n: n) -> set[str]:
    """Ids whose entries for the package put ``version`` in [introduced, fixed)."""
    out = set()
    for rec in records:
        for a in rec.get("affected", []):
            pkg = a["package"]
            if pkg["ecosystem"] != ecosystem or norm(pkg["name"]) != name_key:
                continue
            for r in a.get("ranges", []):
                lo = hi = None
                for ev in r["events"]:
                    assert set(ev) <= {"introduced", "fixed"}, ev
                    if "introduced" in ev:
                        lo = ev["introduced"]
                    if "fixed" in ev:
                        hi = ev["fixed"]
                        if (lo == "0" or compare(ecosystem, lo, version) <= 0) and compare(ecosystem, version, hi) < 0:
                            out.add(rec["id"])
                        lo = None
                if lo is not None and (lo == "0" or compare(ecosystem, lo, version) <= 0):
                    out.add(rec["id"])
    return out


def _matched_ids(store: AdvisoryStore, pkgs: Iterable[Package]) -> set[str]:
    result = Matcher(store).match(pkgs)
    assert not result.problems, result.problems
    # details name the advisory records themselves (alias grouping may pick a CVE id as f.id)
    return {d.advisory_id for f in result.findings for d in f.details}


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> AdvisoryStore:
    paths = sorted({shared_data / p for ps in RECORDS.values() for p in ps} | {shared_data / SECDB, shared_data / ALMA})
    db = tmp_path_factory.mktemp("db") / "adv.db"
    import_paths([str(p) for p in paths], db, fresh=True)
    s = AdvisoryStore.open(db)
    yield s
    s.close()


def _records(shared: Path, eco: str) -> list[dict[str, Any]]:
    return [json.loads((shared / p).read_text()) for p in RECORDS[eco]]


def _catalog(root: Path) -> list[Package]:
    return list(inventory(f"rootfs:{root}").catalog.packages)


def _write(root: Path, path: str, data: bytes | str) -> None:
    p = root / path.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)


def test_pypi_pep503(store: AdvisoryStore, shared_data: Path, tmp_path: Path) -> None:
    # The records say "Werkzeug" and "products-pluggableauthservice"; the installed
    # distributions spell themselves "Werkzeug" and "Products.PluggableAuthService".
    site = "/usr/lib/python3/site-packages"
    _write(tmp_path, f"{site}/werkzeug-3.0.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: Werkzeug\nVersion: 3.0.1\n")
    _write(tmp_path, f"{site}/Products.PluggableAuthService-2.6.0.dist-info/METADATA",
           "Metadata-Version: 2.1\nName: Products.PluggableAuthService\nVersion: 2.6.0\n")
    pkgs = _catalog(tmp_path)
    assert {p.name for p in pkgs} == {"Werkzeug", "Products.PluggableAuthService"}
    recs = _records(shared_data, "PyPI")
    pep503 = lambda n: n.lower().replace(".", "-").replace("_", "-")  # noqa: E731
    expected = set()
    for p in pkgs:
        expected |= expected_ids(recs, "PyPI", pep503(p.name), p.version, pep503)
    assert expected == {"GHSA-2g68-c3qc-8985", "GHSA-p44j-xrqg-4xrr"}
    assert _matched_ids(store, pkgs) == expected


def test_npm_names_and_scopes(store: AdvisoryStore, shared_data: Path, tmp_path: Path) -> None:
    _write(tmp_path, "/app/node_modules/jquery/package.json", json.dumps({"name": "jquery", "version": "2.2.4"}))
    # npm compares names exactly; a legacy mixed-case name is another package
    _write(tmp_path, "/app/node_modules/JQuery/package.json", json.dumps({"name": "JQuery", "version": "2.2.4"}))
    pkgs = _catalog(tmp_path)
    recs = _records(shared_data, "npm")
    by_name = {p.name: p for p in pkgs}
    assert set(by_name) == {"jquery", "JQuery"}
    expected = expected_ids(recs, "npm", "jquery", "2.2.4")
    assert expected == {"GHSA-mhpp-875w-9cpv"}
    assert _matched_ids(store, [by_name["jquery"]]) == expected
    assert _matched_ids(store, [by_name["JQuery"]]) == set()


def test_npm_scoped_name(shared_data: Path, tmp_path: Path) -> None:
    # The shared data holds no OSV record for a scoped npm package, so this one is a real GHSA
    # record (jquery) with its package renamed to a scope: what is checked is only that the
    # cataloger's "@scope/name" and the store's key for it are the same string.
    rec = json.loads((shared_data / GHSA_TESTDATA / "npm_greater_than.osv.json").read_text())
    rec["affected"][0]["package"]["name"] = "@acme/jquery"
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "rec.json").write_text(json.dumps(rec))
    db = tmp_path / "db" / "adv.db"
    import_paths([str(tmp_path / "feed")], db, fresh=True)
    root = tmp_path / "root"
    _write(root, "/app/node_modules/@acme/jquery/package.json", json.dumps({"name": "@acme/jquery", "version": "2.2.4"}))
    pkgs = _catalog(root)
    assert [p.name for p in pkgs] == ["@acme/jquery"]
    with AdvisoryStore.open(db) as s:
        assert _matched_ids(s, pkgs) == {rec["id"]}


def _jar(group: str, artifact: str, version: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        z.writestr(f"META-INF/maven/{group}/{artifact}/pom.properties",
                   f"groupId={group}\nartifactId={artifact}\nversion={version}\n")
        z.writestr(f"META-INF/maven/{group}/{artifact}/pom.xml", "<project/>")
    return buf.getvalue()


def test_maven_group_artifact(store: AdvisoryStore, shared_data: Path, tmp_path: Path) -> None:
    _write(tmp_path, "/opt/app/lib/xwiki-commons-core-12.10.1.jar", _jar("org.xwiki.commons", "xwiki-commons-core", "12.10.1"))
    _write(tmp_path, "/opt/app/lib/bcprov-jdk15on-1.65.jar", _jar("org.bouncycastle", "bcprov-jdk15on", "1.65"))
    pkgs = [p for p in _catalog(tmp_path) if not p.metadata.get("skip_match")]
    assert {p.name for p in pkgs} == {"org.xwiki.commons:xwiki-commons-core", "org.bouncycastle:bcprov-jdk15on"}
    recs = _records(shared_data, "Maven")
    expected = set()
    for p in pkgs:
        expected |= expected_ids(recs, "Maven", p.name, p.version)
    assert expected == {"GHSA-76mp-659p-rw65", "GHSA-6xx3-rg99-gc3p"}
    assert _matched_ids(store, pkgs) == expected


def test_nuget_case_insensitive(store: AdvisoryStore, shared_data: Path, tmp_path: Path) -> None:
    # NuGet ids are case-insensitive: a deps.json naming "bouncycastle" is the record's "BouncyCastle".
    deps = {
        "runtimeTarget": {"name": ".NETCoreApp,Version=v6.0"},
        "targets": {".NETCoreApp,Version=v6.0": {
            "bouncycastle/1.8.5": {"runtime": {"lib/BouncyCastle.Crypto.dll": {}}}}},
        "libraries": {"bouncycastle/1.8.5": {"type": "package", "sha512": "sha512-x", "path": "bouncycastle/1.8.5"}},
    }
    _write(tmp_path, "/app/app.deps.json", json.dumps(deps))
    pkgs = _catalog(tmp_path)
    assert [(p.name, p.version) for p in pkgs] == [("bouncycastle", "1.8.5")]
    expected = expected_ids(_records(shared_data, "NuGet"), "NuGet", "bouncycastle", "1.8.5", str.lower)
    assert expected == {"GHSA-6xx3-rg99-gc3p"}
    assert _matched_ids(store, pkgs) == expected


def test_packagist_vendor_names(store: AdvisoryStore, shared_data: Path, tmp_path: Path) -> None:
    installed = {"packages": [
        {"name": "typo3/cms-core", "version": "9.5.3", "type": "library"},
        {"name": "Contao/Core-Bundle", "version": "4.8.5", "type": "library"},  # Packagist folds case
        {"name": "contao/core-bundle-extra", "version": "4.8.5", "type": "library"},  # another package
    ]}
    _write(tmp_path, "/srv/www/vendor/composer/installed.json", json.dumps(installed))
    pkgs = _catalog(tmp_path)
    assert len(pkgs) == 3
    recs = _records(shared_data, "Packagist")
    expected = set()
    for p in pkgs:
        expected |= expected_ids(recs, "Packagist", p.name.lower(), p.version, str.lower)
    assert expected == {"GHSA-22q7-cg4r-p9mx", "GHSA-wjx8-cgrm-hh8p"}
    assert _matched_ids(store, pkgs) == expected


APK_INSTALLED = """\
P:libcrypto1.1
V:{openssl}
A:x86_64
o:openssl
T:Crypto library from openssl

P:musl-utils
V:{musl}
A:x86_64
o:musl
T:the musl c library (libc) implementation

P:expat
V:2.2.7-r1
A:x86_64
o:expat
T:XML parser library

"""


def test_alpine_origin_and_release(store: AdvisoryStore, shared_data: Path, tmp_path: Path) -> None:
    versions = {"openssl": "1.1.1b-r0", "musl": "1.1.20-r4"}
    _write(tmp_path, "/etc/os-release", 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.9.4\n')
    _write(tmp_path, "/lib/apk/db/installed", APK_INSTALLED.format(**versions))
    pkgs = _catalog(tmp_path)
    assert {p.ecosystem for p in pkgs} == {"Alpine:v3.9"}
    assert {p.name: p.source_name for p in pkgs} == {"libcrypto1.1": "openssl", "musl-utils": "musl", "expat": "expat"}

    secdb = yaml.safe_load((shared_data / SECDB).read_text())
    fixes = {e["pkg"]["name"]: e["pkg"]["secfixes"] for e in secdb["packages"]}
    expected: dict[str, set[str]] = {}
    for p in pkgs:
        expected[p.name] = {
            f"ALPINE-{cve}" for fixed, cves in fixes[p.source_name].items() for cve in cves
            if fixed != "0" and compare("Alpine:v3.9", p.version, str(fixed)) < 0
        }
    assert expected["libcrypto1.1"] and expected["musl-utils"] and not expected["expat"]
    m = Matcher(store)
    for p in pkgs:
        findings, problems = m.match_one(p)
        assert not problems
        assert {d.advisory_id for f in findings for d in f.details} == expected[p.name], p.name
        for f in findings:
            assert all(d.queried_name == p.source_name and d.ecosystem == "Alpine:v3.9" for d in f.details)
            assert all(d.via_source_package == (p.name != p.source_name) for d in f.details)
    # the same packages in another Alpine release match nothing: v3.9 data only
    other = [dataclasses.replace(p, ecosystem="Alpine:v3.10") for p in pkgs]
    assert Matcher(store).match(other).findings == ()


def test_almalinux_epoch_versions(store: AdvisoryStore, shared_data: Path) -> None:
    rec = json.loads((shared_data / ALMA).read_text())
    fixed = {a["package"]["name"]: e["fixed"] for a in rec["affected"] for r in a["ranges"] for e in r["events"] if "fixed" in e}
    assert fixed["nodejs"].startswith("1:")  # AlmaLinux writes the epoch
    epoch, _, vr = fixed["nodejs"].partition(":")
    version, _, release = vr.partition("-")
    alma = Distro(id="almalinux", version_id="8.7", ecosystem=osv_ecosystem({"ID": "almalinux", "VERSION_ID": "8.7"}))
    assert alma.ecosystem == "AlmaLinux:8"

    def installed(name: str, rel: str, ep: int | None) -> Package:
        h = RpmHeader(name=name, version=version, release=rel, epoch=ep, arch="x86_64",
                      source_rpm=f"nodejs-{version}-{rel}.src.rpm")
        return with_distro(package_from_header(h, "/var/lib/rpm/rpmdb.sqlite"), alma)

    older = release.replace(release.split(".")[0], str(int(release.split(".")[0]) - 1), 1)
    cases = [
        installed("nodejs", older, int(epoch)),  # one release before the fix: affected
        installed("nodejs-devel", older, int(epoch)),  # a binary package of the same source
        installed("nodejs", release, int(epoch)),  # the fixed build itself: not affected
    ]
    assert cases[0].version == f"{epoch}:{version}-{older}" and cases[2].version == fixed["nodejs"]
    for p in cases:
        want = {rec["id"]} if compare("AlmaLinux:8", p.version, fixed[p.name]) < 0 else set()
        assert {d.advisory_id for f in Matcher(store).match_one(p)[0] for d in f.details} == want, p
    assert {d.advisory_id for f in Matcher(store).match_one(cases[0])[0] for d in f.details} == {rec["id"]}
    # without its epoch the version would compare lower than any epoch-1 fix, so the epoch the
    # cataloger keeps is what makes the fixed build come out clean
    assert compare("AlmaLinux:8", f"{version}-{release}", fixed["nodejs"]) < 0
