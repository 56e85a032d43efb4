"""`hullcheck scan` with every scanner on one image, and again from its SBOM, as a user runs it.

Expected vulnerabilities come from the PyPA records themselves; the secret and the root user are
planted by the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.image.build import ImageSpec, d, f, oci_layout
from tests.secrets.fakes import token

PYPA = "advisories/osv/pypa-advisory-database/vulns/urllib3"


def test_scan_everything_then_the_sbom(tmp_path: Path, shared_data: Path, run_cli) -> None:
    version = "1.24.1"
    expected = set()
    for p in (shared_data / PYPA).glob("*.yaml"):
        rec = yaml.safe_load(p.read_text())
        if not rec.get("withdrawn") and any(version in a.get("versions", []) for a in rec["affected"]):
            expected.add(rec["id"])
    db = tmp_path / "adv.db"
    r = run_cli("db", "import", "--db", str(db), str(shared_data / PYPA))
    assert r.returncode == 0, r.stderr

    gh = token("ghp_", 36, seed="e2e")
    site = "usr/lib/python3/dist-packages/urllib3-1.24.1.dist-info"
    spec = ImageSpec(layers=[
        [d("usr"), d("usr/lib"), d("usr/lib/python3"), d("usr/lib/python3/dist-packages"), d(site),
         f(f"{site}/METADATA", "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.24.1\n")],
        [d("app"), f("app/settings.py", f'GITHUB_TOKEN = "{gh}"\n')],
    ])
    image = f"oci:{oci_layout(tmp_path / 'img', {'v1': spec})}"
    report = tmp_path / "report.json"
    r = run_cli("scan", image, "--db", str(db), "--format", f"json={report}", "--fail-on", "high")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(report.read_text())
    ids = {i for x in doc["findings"] for i in (x["id"], *x["aliases"])}
    assert expected <= ids
    assert [s["path"] for s in doc["secrets"]] == ["/app/settings.py"]
    assert gh not in report.read_text()  # masked everywhere
    assert "HC-IMG-001" in {m["check_id"] for m in doc["misconfigurations"]}
    assert r.returncode == (1 if doc["secrets"][0]["severity"] in ("high", "critical") else 0)

    # the same vulnerabilities from the image's CycloneDX SBOM
    sbom = tmp_path / "sbom.cdx.json"
    assert run_cli("sbom", image, "-f", "cyclonedx-json", "-o", str(sbom)).returncode == 0
    r = run_cli("scan", f"sbom:{sbom}", "--db", str(db), "--scanners", "vuln", "--format", "json")
    assert r.returncode == 0, r.stderr
    again = json.loads(r.stdout)
    assert {x["id"] for x in again["findings"]} == {x["id"] for x in doc["findings"]}
    assert again["secrets"] == [] and again["misconfigurations"] == []

    bad = run_cli("scan", image, "--db", str(db), "--scanners", "vuln,bogus")
    assert bad.returncode == 2 and "invalid --scanners" in bad.stderr
