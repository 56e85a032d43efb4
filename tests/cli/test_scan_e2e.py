"""`hullcheck scan` end to end on an image built from real packages (tests/cli/e2e_image.py):
Debian .debs with their dpkg database, old PyPI wheels, npm packages from a lock file, a planted
fake token, no USER. The database is imported from the shared PyPA records, the project's Debian
tracker example and its npm OSV examples; every expected finding is derived here from those
records (PyPI ranges with ``packaging``, npm ranges with ``hullcheck.versions``, the tracker's
bookworm status), never typed in.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from packaging.version import Version

from hullcheck import versions
from tests.conftest import REPO, need

from . import e2e_image

PYPA = "advisories/osv/pypa-advisory-database/vulns"
EXAMPLES = REPO / "examples" / "advisories"
TRACKER = EXAMPLES / "debian-tracker-example.json"
NPM = EXAMPLES / "npm-example.osv.jsonl"
Group = frozenset[str]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _less(eco: str, a: str, b: str) -> bool:
    if a == b:
        return False
    if eco == "PyPI":
        return Version(a) < Version(b)
    return versions.compare(eco, a, b) < 0


def _in_events(eco: str, version: str, events: list[dict[str, str]]) -> bool:
    """OSV range semantics: introduced (``0`` = the start) up to fixed (excluded) or last_affected."""
    start: str | None = None
    for ev in events:
        if "introduced" in ev:
            start = ev["introduced"]
            continue
        if start is None:
            continue
        above = start == "0" or not _less(eco, version, start)
        if "fixed" in ev and above and _less(eco, version, ev["fixed"]):
            return True
        if "last_affected" in ev and above and not _less(eco, ev["last_affected"], version):
            return True
        start = None
    return start is not None and (start == "0" or not _less(eco, version, start))


def _osv_affects(rec: dict[str, Any], eco: str, name: str, version: str) -> bool:
    for a in rec.get("affected", []):
        pkg = a.get("package", {})
        if pkg.get("ecosystem") != eco or _norm(pkg.get("name", "")) != _norm(name):
            continue
        if version in a.get("versions", []):
            return True
        if any(r["type"] in ("ECOSYSTEM", "SEMVER") and _in_events(eco, version, r["events"])
               for r in a.get("ranges", [])):
            return True
    return False


def _expected(shared: Path, truth: dict[str, Any]) -> dict[tuple[str, str], set[Group]]:
    """(package, version) -> the record groups (id + aliases) that affect it."""
    out: dict[tuple[str, str], set[Group]] = {}

    def add(name: str, version: str, group: Group) -> None:
        out.setdefault((_norm(name), version), set()).add(group)

    for dist in truth["python"]:
        for p in sorted((shared / PYPA / _norm(dist["name"])).glob("*.yaml")):
            rec = yaml.safe_load(p.read_text())
            if not rec.get("withdrawn") and _osv_affects(rec, "PyPI", dist["name"], dist["version"]):
                add(dist["name"], dist["version"], frozenset({rec["id"], *rec.get("aliases", [])}))
    npm_records = [json.loads(line) for line in NPM.read_text().splitlines() if line.strip()]
    for pkg in truth["npm"]:
        for rec in npm_records:
            if _osv_affects(rec, "npm", pkg["name"], pkg["version"]):
                add(pkg["name"], pkg["version"], frozenset({rec["id"], *rec.get("aliases", [])}))
    for src, cves in json.loads(TRACKER.read_text()).items():
        for cve, entry in cves.items():
            rel = entry.get("releases", {}).get("bookworm")
            if not rel:
                continue
            for deb in (d for d in truth["dpkg"] if d["source"] == src):
                fixed = rel.get("fixed_version")
                if rel["status"] in ("open", "undetermined") or (
                        rel["status"] == "resolved" and fixed and fixed != "0"
                        and _less("Debian:12", deb["version"], fixed)):
                    add(deb["name"], deb["version"], frozenset({cve}))
    return out


def _found(doc: dict[str, Any]) -> dict[tuple[str, str], set[Group]]:
    out: dict[tuple[str, str], set[Group]] = {}
    for f in doc["findings"]:
        p = f["package"]
        out.setdefault((_norm(p["name"]), p["version"]), set()).add(frozenset({f["id"], *f["aliases"]}))
    return out


def test_scan_a_real_image_end_to_end(tmp_path: Path, shared_data: Path, run_cli: Callable) -> None:
    for tool in ("apt-get", "dpkg-deb", "npm"):
        need(shutil.which(tool), f"{tool} is needed to build the image from real packages")
    layout, truth = e2e_image.build()
    image = f"oci:{layout}"
    db = tmp_path / "adv.db"
    sources = [*(str(shared_data / PYPA / _norm(d["name"])) for d in truth["python"]), str(TRACKER), str(NPM)]
    r = run_cli("db", "import", "--fresh", "--db", str(db), *sources)
    assert r.returncode == 0, r.stderr

    out = {k: tmp_path / f"report.{k}" for k in ("json", "sarif")}
    r = run_cli("scan", image, "--db", str(db), "--format", f"json={out['json']}", "--format", f"sarif={out['sarif']}",
                "--format", "table", "--fail-on", "critical")
    doc = json.loads(out["json"].read_text())

    # vulnerabilities: exactly the record groups the data says, per installed package and version
    expected, found = _expected(shared_data, truth), _found(doc)
    ecosystems = {f["package"]["ecosystem"].split(":")[0] for f in doc["findings"]}
    assert {"PyPI", "npm", "Debian"} <= ecosystems, ecosystems
    assert set(found) == set(expected)
    for key, groups in expected.items():
        for g in groups:
            assert any(g & h for h in found[key]), (key, sorted(g))
        for h in found[key]:
            assert any(g & h for g in groups), (key, sorted(h))
    layers = {f["package"]["ecosystem"].split(":")[0]: f["package"]["layer"] for f in doc["findings"]}
    assert layers["Debian"] == 0 and layers["PyPI"] == 1 and layers["npm"] >= 2

    # the base image: the Debian layer, found from the history (its CMD before the app's layers)
    base = doc["base_image"]
    deb_findings = [f for f in doc["findings"] if f["package"]["type"] == "deb"]
    assert base["layers"] == [0] and base["detected_by"] == "history-base-cmd" and base["release"] == "Debian 12"
    assert base["findings"] == len(deb_findings) and base["app_findings"] == len(doc["findings"]) - len(deb_findings)
    assert base["fixed_in_release"] == sum(1 for f in deb_findings if f["fix"]["state"] == "fixed")
    assert base["summary"] in " ".join(r.stdout.split())

    # the planted token: found in its layer, masked everywhere
    (secret,) = [s for s in doc["secrets"] if s["path"] == truth["secret"]["path"]]
    assert secret["rule_id"] == "github-pat" and secret["layer"] == len(doc["image"]["layers"]) - 1
    for p in out.values():
        assert truth["secret"]["token"] not in p.read_text()
    assert truth["secret"]["token"] not in r.stdout

    # no USER: runs as root
    assert "HC-IMG-001" in {m["check_id"] for m in doc["misconfigurations"]}

    # the gate counts vulnerabilities, secrets and misconfigurations at or above critical
    critical = [x for kind in ("findings", "secrets", "misconfigurations") for x in doc[kind]
                if x["severity"] == "critical"]
    assert r.returncode == (1 if critical else 0), r.stderr
    assert critical  # the token is a critical secret, and minimist has a critical advisory

    sarif = json.loads(out["sarif"].read_text())
    from tests.report.test_sarif import validate

    validate(sarif)
    assert len(sarif["runs"][0]["results"]) == len(doc["findings"]) + len(doc["secrets"]) + len(
        doc["misconfigurations"])
