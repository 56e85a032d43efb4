"""The JSON report keeps its v1 fields and adds secrets, misconfigurations and exceptions;
the table shows everything without letting package names act as rich markup."""

from __future__ import annotations

import json

from hullcheck.advisories.store import AdvisoryStore
from hullcheck.match.suppress import ImageIdentity, Status, Subject, Verdict
from hullcheck.model import PackageType
from hullcheck.model.finding import Finding
from hullcheck.report import json_report, table
from hullcheck.scan import REPORT_SCHEMA, apply_exceptions

from .fixtures import make_report

V1_FIELDS = {"schema", "ref", "started_at", "image", "distro", "summary", "findings", "secrets", "misconfigurations",
             "problems", "unknowns", "database", "warnings"}
V1_FINDING = {"id", "aliases", "severity", "severity_source", "cvss", "summary", "url", "package", "fix", "matched_by"}


class _Rule:
    def __init__(self, vid: str, status: Status) -> None:
        self.vid, self.status = vid, status

    def judge(self, s: Subject, image: ImageIdentity) -> Verdict | None:
        if self.vid in s.ids:
            return Verdict(self.status, "why", "f:1", owner="me", expires="2026-12-01")
        return None


def test_json_v1_fields_kept_and_exceptions_added(store: AdvisoryStore) -> None:
    r = apply_exceptions(make_report(store), [_Rule("CVE-2023-43804", Status.IGNORED),
                                              _Rule("AWS-ACCESS-KEY-ID", Status.NOT_AFFECTED),
                                              _Rule("CVE-2018-25091", Status.EXPIRED)])
    doc = json.loads(json_report.render(r))
    assert doc["schema"] == REPORT_SCHEMA and set(doc) >= V1_FIELDS
    assert all(set(f) >= V1_FINDING for f in doc["findings"])
    assert len(doc["findings"]) == len(r.findings) and doc["summary"]["findings"] == len(r.findings)
    assert doc["summary"]["suppressed"] == 2 and doc["summary"]["expired_exceptions"] == 1
    assert [s["rule_id"] for s in doc["secrets"]] == [s.rule_id for s in r.secrets]
    assert all(s["match"] and "*" in s["match"] for s in doc["secrets"])
    assert [m["check_id"] for m in doc["misconfigurations"]] == [m.check_id for m in r.misconfigurations]
    kinds = {(x["kind"], x["finding"].get("id") or x["finding"].get("rule_id")): x["exception"] for x in doc["suppressed"]}
    assert set(kinds) == {("vulnerability", "CVE-2023-43804"), ("secret", "aws-access-key-id")}
    e = kinds[("vulnerability", "CVE-2023-43804")]
    assert e == {"status": "ignored", "hidden": True, "reason": "why", "source": "f:1", "justification": "",
                 "owner": "me", "expires": "2026-12-01", "expired": False}
    expired = next(f for f in doc["findings"] if f["id"] == "CVE-2018-25091")
    assert expired["exception"]["expired"] is True and expired["exception"]["hidden"] is False
    assert all(f["exception"] is None for f in doc["findings"] if f["id"] != "CVE-2018-25091")


def test_table_sections_and_markup_safety(store: AdvisoryStore) -> None:
    r = make_report(store, hostile=True)
    bad = r.findings[0]
    r.findings[0] = Finding(**{**bad.__dict__, "package": bad.package.__class__(
        name="[bold red]x[/]", version="[/]", type=PackageType.NPM)})
    r = apply_exceptions(r, [_Rule("CVE-2099-0102", Status.IGNORED), _Rule("CVE-2023-45803", Status.EXPIRED)])
    text = table.render(r)
    assert "[bold red]x[/]" in text
    for f in r.findings:
        assert f.id in text
    assert "CVE-2099-0102" not in text.split("hidden by exceptions")[0]
    assert "1 hidden by exceptions (1 ignored)" in text
    assert "CVE-2023-45803 " in text and "expired" in text
    assert "AKIA************MPLE" in text and "HC-IMG-001" in text
