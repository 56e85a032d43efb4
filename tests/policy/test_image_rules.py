"""Production image rules on a real scanned image: vulnerabilities (with exceptions), provenance labels, age."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from packaging.version import Version

from tests.conftest import REPO
from tests.image.build import ImageSpec, d, f, oci_layout

ADVISORIES = REPO / "examples" / "advisories"
URLLIB3 = "1.24.1"


def expected_ids(name: str, version: str) -> set[frozenset[str]]:
    """The example advisories that affect ``name`` at ``version`` (each as its id and aliases), from their
    ECOSYSTEM ranges."""
    out = set()
    v = Version(version)
    for line in (ADVISORIES / "pypi-example.osv.jsonl").read_text().splitlines():
        rec = json.loads(line) if line.strip() else None
        if not rec:
            continue
        for aff in rec["affected"]:
            if aff["package"]["name"] != name:
                continue
            for rng in aff["ranges"]:
                intro = None
                for ev in rng["events"]:
                    if "introduced" in ev:
                        intro = Version("0") if ev["introduced"] == "0" else Version(ev["introduced"])
                    elif "fixed" in ev and intro is not None:
                        if intro <= v < Version(ev["fixed"]):
                            out.add(frozenset([rec["id"], *rec.get("aliases", [])]))
                        intro = None
                if intro is not None and v >= intro:
                    out.add(frozenset([rec["id"], *rec.get("aliases", [])]))
    return out


def test_check_image_vulnerabilities_provenance_age(run_cli: Callable, tmp_path: Path) -> None:
    db = tmp_path / "adv.db"
    r = run_cli("db", "import", "--fresh", "--db", str(db), str(ADVISORIES))
    assert r.returncode == 0, r.stderr
    meta = f"Metadata-Version: 2.1\nName: urllib3\nVersion: {URLLIB3}\n"
    layer = [d("usr/"), d("usr/lib/"), d("usr/lib/python3/"), d("usr/lib/python3/dist-packages/"),
             f(f"usr/lib/python3/dist-packages/urllib3-{URLLIB3}.dist-info/METADATA", meta)]
    labels = {"org.opencontainers.image.source": "https://git.example.com/shop/app"}
    layout = oci_layout(tmp_path / "img", {"1.0": ImageSpec([layer], config={"Labels": labels})})
    want = expected_ids("urllib3", URLLIB3)
    assert want  # the example data does hold advisories for this version

    excepted = sorted(want, key=sorted)[0]
    first = sorted(excepted)[-1]  # the PYSEC id: the exception names an alias, not necessarily the shown id
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"""apiVersion: hullcheck.dev/v1
profile: production
exceptions:
  - rule: HC-PRD-001
    container: {first}
    reason: not reachable, the app never calls the affected API
    owner: team-shop
    expires: {(dt.date.today() + dt.timedelta(days=30)).isoformat()}
""")
    r = run_cli("check", "--image", f"oci:{layout}", "--db", str(db), "--policy", str(policy), "--format", "json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    vulns = {v["container"]: v for v in doc["violations"] if v["rule"] == "HC-PRD-001"}
    assert len(vulns) == len(want)
    assert all(sum(1 for k in vulns if k in group) == 1 for group in want)
    (shown,) = [k for k in vulns if k in excepted]
    assert vulns[shown]["excepted"] and all(not v["excepted"] for k, v in vulns.items() if k != shown)
    assert all(v["resource"]["kind"] == "Image" and v["field"] == f"package python:urllib3@{URLLIB3}"
               for v in vulns.values())
    other = {v["rule"]: v["message"] for v in doc["violations"] if v["rule"] != "HC-PRD-001"}
    assert "org.opencontainers.image.revision" in other["HC-PRD-002"]
    assert "source" not in other["HC-PRD-002"].split("no ")[1]
    assert "2024-01-01" in other["HC-PRD-003"]  # the builder's fixed creation date, far older than 90 days
