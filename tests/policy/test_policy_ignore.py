"""The policy file's ``ignore:`` section: the ``.hullcheckignore`` entries, read by the same parser,
applied by ``scan --policy`` and ``check --image``, expired entries reported."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hullcheck.match import ignore
from hullcheck.policy.config import PolicyFileError, load_policy
from tests.image.build import ImageSpec, d, f, oci_layout

from .test_image_rules import ADVISORIES, URLLIB3, expected_ids

ENTRIES = """\
  - id: CVE-2023-43804
    package: pkg:pypi/urllib3
    path: usr/lib/python3/*
    reason: redirects are disabled in our client
    expires: 2027-01-31
    owner: platform-team
  - id: GHSA-v845-jxx5-vc9f
    reason: a false positive
"""
HEAD = "apiVersion: hullcheck.dev/v1\nkind: Policy\nprofile: production\n"


def test_policy_ignore_is_the_ignore_file_format(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(HEAD + "ignore:\n" + ENTRIES)
    from_policy = load_policy(policy).ignore
    from_file = ignore.parse("ignore:\n" + ENTRIES, ".hullcheckignore")
    assert len(from_policy) == len(from_file) == 2
    assert [dataclasses.replace(e, source="") for e in from_policy] == [
        dataclasses.replace(e, source="") for e in from_file]
    # sources name the policy file and the entry's line, as ignore-file sources do
    lines = policy.read_text().splitlines()
    for e in from_policy:
        name, _, line = e.source.rpartition(":")
        assert name == str(policy) and lines[int(line) - 1].strip() == f"- id: {e.id}"
    assert from_policy[0].expires == dt.date(2027, 1, 31)
    # no ignore: section, no entries; the rule exceptions are untouched by it
    policy.write_text(HEAD)
    assert load_policy(policy).ignore == ()


@pytest.mark.parametrize(("body", "line", "message"), [
    ("ignore:\n  - id: CVE-1\n    expire: 2027-01-01\n    reason: x\n", 5, "unknown key 'expire'"),
    ("ignore:\n  - id: CVE-1\n", 5, "'reason' is required"),
    ("ignore:\n  - id: CVE-1\n    reason: r\n    expires: someday\n", 5, "expires must be a date"),
    ("ignore: 5\n", 4, "must be a list"),
    ("ignore:\n  - just-an-id\n", 4, "must be a mapping"),
])
def test_policy_ignore_errors_name_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(HEAD + body)
    with pytest.raises(PolicyFileError) as err:
        load_policy(policy)
    assert f"{policy}:{line}" in err.value.message and message in err.value.message


def test_scan_and_check_apply_the_policy_ignore_section(run_cli: Callable, tmp_path: Path) -> None:
    db = tmp_path / "adv.db"
    r = run_cli("db", "import", "--fresh", "--db", str(db), str(ADVISORIES))
    assert r.returncode == 0, r.stderr
    meta = f"Metadata-Version: 2.1\nName: urllib3\nVersion: {URLLIB3}\n"
    layer = [d("usr/"), d("usr/lib/"), d("usr/lib/python3/"), d("usr/lib/python3/dist-packages/"),
             f(f"usr/lib/python3/dist-packages/urllib3-{URLLIB3}.dist-info/METADATA", meta)]
    image = f"oci:{oci_layout(tmp_path / 'img', {'1.0': ImageSpec([layer])})}"
    want = sorted(expected_ids("urllib3", URLLIB3), key=sorted)
    assert len(want) >= 3
    hidden, lapsed = want[0], want[1]
    today = dt.datetime.now(dt.UTC).date()
    policy = tmp_path / "policy.yaml"
    policy.write_text(HEAD + f"""ignore:
  - id: {sorted(hidden)[-1]}
    package: urllib3
    reason: not reachable
    owner: team-shop
    expires: {(today + dt.timedelta(days=30)).isoformat()}
  - id: {sorted(lapsed)[-1]}
    reason: was to be fixed last month
    owner: team-late
    expires: {(today - dt.timedelta(days=30)).isoformat()}
""")
    src = {e.id: e.source for e in load_policy(policy).ignore}

    r = run_cli("scan", image, "--db", str(db), "--policy", str(policy), "--format", "json", "--scanners", "vuln")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    groups = {frozenset({x["id"], *x["aliases"]}): x for x in doc["findings"]}
    assert not any(g & hidden for g in groups)
    (sup,) = doc["suppressed"]
    assert {sup["finding"]["id"], *sup["finding"]["aliases"]} & hidden
    assert sup["exception"]["status"] == "ignored" and sup["exception"]["source"] == src[sorted(hidden)[-1]]
    (late,) = [x for g, x in groups.items() if g & lapsed]
    exc = late["exception"]
    assert exc["status"] == "expired" and exc["expired"] and not exc["hidden"]
    assert exc["source"] == src[sorted(lapsed)[-1]] and exc["owner"] == "team-late"
    assert doc["summary"]["expired_exceptions"] == 1 and doc["summary"]["suppressed"] == 1
    table = run_cli("scan", image, "--db", str(db), "--policy", str(policy), "--scanners", "vuln").stdout
    assert "expired" in table and src[sorted(lapsed)[-1]] in " ".join(table.split())

    r = run_cli("check", "--image", image, "--db", str(db), "--policy", str(policy), "--format", "json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    vulns = {v["container"] for v in out["violations"] if v["rule"] == "HC-PRD-001"}
    assert len(vulns) == len(want) - 1 and not vulns & hidden
    (expired,) = out["expired_exceptions"]
    assert expired["rule"] == "HC-PRD-001" and expired["container"] in lapsed and expired["owner"] == "team-late"
    assert expired["name"] == image and src[sorted(lapsed)[-1]] in expired["reason"]
    assert "expired on" in r.stderr

    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "ignore:\n  - id: CVE-1\n")
    for cmd in (["scan", image, "--db", str(db)], ["check", "--image", image, "--db", str(db)]):
        r = run_cli(*cmd, "--policy", str(bad))
        assert r.returncode == 2 and f"{bad}:5: 'reason' is required" in r.stderr and "Traceback" not in r.stderr
