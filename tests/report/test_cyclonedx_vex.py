"""CycloneDX VEX: schema-valid CycloneDX 1.6, bom-refs shared with hullcheck's SBOM."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from hullcheck.advisories.store import AdvisoryStore
from hullcheck.format import cyclonedx
from hullcheck.match.suppress import ImageIdentity, Status, Subject, Verdict
from hullcheck.report import cyclonedx_vex
from hullcheck.scan import apply_exceptions

from .fixtures import make_report


class _Rule:
    def __init__(self, vid: str, status: Status, justification: str = "") -> None:
        self.vid, self.status, self.justification = vid, status, justification

    def judge(self, s: Subject, image: ImageIdentity) -> Verdict | None:
        if self.vid in s.ids:
            return Verdict(self.status, "checked by the security team", "vex.json#statements[0]",
                           justification=self.justification)
        return None


def _valid(text: str) -> None:
    err = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert err is None, str(err)[:500]


def test_schema_valid_and_refs_resolve(store: AdvisoryStore) -> None:
    r = apply_exceptions(make_report(store, hostile=True), [
        _Rule("CVE-2023-43804", Status.NOT_AFFECTED, "vulnerable_code_not_in_execute_path"),
        _Rule("CVE-2099-0102", Status.IGNORED),
        _Rule("CVE-2018-25091", Status.UNDER_INVESTIGATION),
        _Rule("CVE-2023-45803", Status.FIXED),
    ])
    text = cyclonedx_vex.render(r)
    _valid(text)
    doc = json.loads(text)
    sbom = cyclonedx.build(r.metadata, r.catalog)
    assert [c["bom-ref"] for c in doc["components"]] == [c["bom-ref"] for c in sbom["components"]]
    refs = {c["bom-ref"] for c in doc["components"]} | {doc["metadata"]["component"]["bom-ref"]}
    vulns = doc["vulnerabilities"]
    assert all(a["ref"] in refs for v in vulns for a in v["affects"])
    # every remaining and every hidden finding is there
    ids = {v["id"] for v in vulns}
    assert {f.id for f in r.findings} | {s.finding.id for s in r.suppressed} <= ids
    assert {s.rule_id for s in r.secrets} | {m.check_id for m in r.misconfigurations} <= ids
    by_id = {v["id"]: v for v in vulns}
    assert by_id["CVE-2023-43804"]["analysis"]["state"] == "not_affected"
    assert by_id["CVE-2023-43804"]["analysis"]["justification"] == "code_not_reachable"
    assert by_id["CVE-2023-45803"]["analysis"]["state"] == "resolved"
    assert by_id["CVE-2099-0102"]["analysis"] == {**by_id["CVE-2099-0102"]["analysis"], "state": "exploitable",
                                                   "response": ["will_not_fix"]}
    assert by_id["CVE-2018-25091"]["analysis"]["state"] == "in_triage"
    assert "analysis" not in by_id["CVE-2019-11324"]
    f = next(x for x in r.suppressed if x.finding.id == "CVE-2023-43804").finding
    rating = by_id[f.id]["ratings"][0]
    assert rating["score"] == f.severity.score and rating["vector"] == f.severity.vector
    assert rating["method"] == "CVSSv31"
    assert {x["id"] for x in by_id[f.id]["references"]} == set(f.aliases)
    urllib3_ref = next(c["bom-ref"] for c in doc["components"] if c.get("name") == "urllib3")
    assert by_id[f.id]["affects"] == [{"ref": urllib3_ref, "versions": [{"version": "1.24.1", "status": "affected"}]}]


def test_report_without_findings_is_valid(store: AdvisoryStore) -> None:
    r = make_report(store)
    r.findings.clear()
    r.secrets.clear()
    r.misconfigurations.clear()
    text = cyclonedx_vex.render(r)
    _valid(text)
    assert json.loads(text)["vulnerabilities"] == []


def test_scan_bom_refs_are_the_sbom_writers(store: AdvisoryStore) -> None:
    # VEX documents may point at packages by the bom-refs of hullcheck's own SBOM of the image
    from hullcheck.scan import bom_refs

    r = make_report(store)
    sbom = cyclonedx.build(r.metadata, r.catalog)
    by_name = {c["name"]: c["bom-ref"] for c in sbom["components"] if c["type"] == "library"}
    refs = bom_refs(r.catalog.packages)
    assert {p.name: refs[p] for p in r.catalog.packages} == by_name


def test_own_output_reads_back_as_vex(store: AdvisoryStore) -> None:
    from hullcheck.match import vex

    r = apply_exceptions(make_report(store), [_Rule("CVE-2023-43804", Status.NOT_AFFECTED, "code_not_reachable"),
                                              _Rule("CVE-2018-25091", Status.UNDER_INVESTIGATION)])
    statements = vex.parse(cyclonedx_vex.render(r).encode(), "out.cdx.json")
    again = apply_exceptions(make_report(store), [vex.VexRule(tuple(statements))])
    assert [(s.finding.id, s.status) for s in again.suppressed] == [("CVE-2023-43804", Status.NOT_AFFECTED)]
    assert [(a.finding.id, a.status) for a in again.annotations] == [("CVE-2018-25091", Status.UNDER_INVESTIGATION)]
