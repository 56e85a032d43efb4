"""End to end: `hullcheck scan` on a built image against a database of real PyPA records, with
several formats in one run, the ignore file, VEX, and the --fail-on gate after exceptions."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.format.images import OS_RELEASE, dpkg_status, wheel_metadata
from tests.image.build import ImageSpec, d, f, oci_layout

from .fixtures import urllib3_expected
from .test_sarif import validate

SITE = "usr/local/lib/python3.11/site-packages"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    di = f"{SITE}/urllib3-1.24.1.dist-info"
    spec = ImageSpec(
        layers=[
            [d("etc"), f("etc/os-release", OS_RELEASE), d("var"), d("var/lib"), d("var/lib/dpkg"),
             f("var/lib/dpkg/status", dpkg_status([("libssl3", "openssl", "3.0.11-1~deb12u2", "amd64")]))],
            [d("usr"), d("usr/local"), d("usr/local/lib"), d("usr/local/lib/python3.11"), d(SITE), d(di),
             f(f"{di}/METADATA", wheel_metadata("urllib3", "1.24.1", "MIT")),
             f(f"{di}/RECORD", f"urllib3/__init__.py,,\n{di}/METADATA,,\n"),
             d(f"{SITE}/urllib3"), f(f"{SITE}/urllib3/__init__.py", "")],
        ],
        history=[{"created_by": "ADD rootfs.tar /", "created": "2024-01-01T00:00:00Z"},
                 {"created_by": "RUN pip install urllib3==1.24.1", "created": "2024-01-02T00:00:00Z"}],
    )
    root = oci_layout(tmp_path_factory.mktemp("img") / "layout", {"latest": spec})
    return f"oci:{root}:latest"


def _high(report: dict) -> list[dict]:
    return [x for x in report["findings"] if x["severity"] in ("critical", "high")]


def test_formats_ignore_vex_and_gate(run_cli, image: str, report_db: Path, shared_data: Path,
                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = {k: tmp_path / f"out.{k}" for k in ("json", "sarif", "junit", "html", "md", "cdx")}
    fmts = ["--format", f"json={out['json']}", "--format", f"sarif={out['sarif']}", "--format", f"junit={out['junit']}",
            "--format", f"html={out['html']}", "--format", f"markdown={out['md']}", "--format", f"cyclonedx={out['cdx']}",
            "--format", "table"]
    res = run_cli("scan", image, "--db", str(report_db), *fmts, "--fail-on", "high")
    assert res.returncode == 1, res.stderr
    first = json.loads(out["json"].read_text())
    ids = {frozenset({x["id"], *x["aliases"]}) for x in first["findings"] if x["package"]["name"] == "urllib3"}
    for group in urllib3_expected(shared_data):
        assert any(group & g for g in ids), group
    assert "CVE-2099-0101" in {x["id"] for x in first["findings"]}  # from the tracker excerpt, via openssl
    assert "urllib3" in res.stdout and "CVE-2099-0101" in res.stdout
    validate(json.loads(out["sarif"].read_text()))
    ET.fromstring(out["junit"].read_text())
    assert "<svg" in out["html"].read_text() and out["md"].read_text().startswith("## hullcheck scan")
    assert len(json.loads(out["cdx"].read_text())["vulnerabilities"]) >= len({x["id"] for x in first["findings"]})
    high = _high(first)
    assert high, "the records must give urllib3 1.24.1 a high finding"

    # the ignore file in the current directory hides every high finding (by an alias where there is one)
    lines = ["ignore:"]
    for x in high:
        lines += [f"  - id: {(x['aliases'] or [x['id']])[0]}", "    package: pkg:pypi/urllib3",
                  "    reason: not reachable", "    owner: app-team"]
    (tmp_path / ".hullcheckignore").write_text("\n".join(lines) + "\n")
    # and VEX marks one medium finding as under investigation, another as not affected for this image
    digest = first["image"]["manifest_digest"]
    medium = [x for x in first["findings"] if x["severity"] == "medium" and x["package"]["name"] == "urllib3"]
    assert len(medium) >= 2
    vexdoc = {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "sec",
              "timestamp": "2026-11-01T00:00:00Z", "version": 1, "statements": [
                  {"vulnerability": {"name": medium[0]["id"]}, "products": [{"@id": digest}],
                   "status": "under_investigation"},
                  {"vulnerability": {"name": medium[1]["id"]},
                   "products": [{"@id": f"pkg:oci/layout@{digest.replace(':', '%3A')}",
                                 "subcomponents": [{"@id": "pkg:pypi/urllib3"}]}],
                   "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}
    (tmp_path / "app.vex.json").write_text(json.dumps(vexdoc))
    res = run_cli("scan", image, "--db", str(report_db), *fmts, "--vex", "app.vex.json", "--fail-on", "high")
    assert res.returncode == 0, res.stderr
    second = json.loads(out["json"].read_text())
    assert not _high(second)
    hidden = {x["finding"]["id"]: x["exception"] for x in second["suppressed"]}
    assert set(hidden) == {x["id"] for x in high} | {medium[1]["id"]}
    assert all(hidden[x["id"]]["status"] == "ignored" and hidden[x["id"]]["source"].startswith(".hullcheckignore:")
               for x in high)
    assert hidden[medium[1]["id"]]["justification"] == "vulnerable_code_not_in_execute_path"
    noted = next(x for x in second["findings"] if x["id"] == medium[0]["id"])
    assert noted["exception"]["status"] == "under_investigation" and noted["exception"]["hidden"] is False
    sarif = json.loads(out["sarif"].read_text())
    validate(sarif)
    sup = {x["ruleId"] for x in sarif["runs"][0]["results"] if x.get("suppressions")}
    assert sup == set(hidden)
    assert "hidden by exceptions" in res.stdout
    # medium findings still fail a medium gate: suppression hides only what it names
    res = run_cli("scan", image, "--db", str(report_db), "--vex", "app.vex.json", "--format", "json",
                  "--fail-on", "medium", "--exit-code", "7")
    assert res.returncode == 7


def test_bad_ignore_file_fails_before_reading_the_image(run_cli, report_db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "ignore.yaml"
    bad.write_text("ignore:\n  - id: CVE-2023-43804\n    expires: 2027-01-01\n")
    res = run_cli("scan", f"oci:{tmp_path}/missing:latest", "--db", str(report_db), "--ignorefile", str(bad))
    assert res.returncode == 2
    assert f"{bad}:2: 'reason' is required" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("scan", f"oci:{tmp_path}/missing:latest", "--db", str(report_db), "--ignorefile",
                  str(tmp_path / "nope"))
    assert res.returncode == 2 and "not found" in res.stderr
    vexfile = tmp_path / "v.json"
    vexfile.write_text('{"statements": [{"status": "fixed"}]}')
    res = run_cli("scan", f"oci:{tmp_path}/missing:latest", "--db", str(report_db), "--vex", str(vexfile))
    assert res.returncode == 2 and "statements[0]" in res.stderr
