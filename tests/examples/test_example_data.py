"""The quick start's advisory data states facts: each record's ranges equal the PyPA record's."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "advisories" / "pypi-example.osv.jsonl"


def _ecosystem_events(affected: list[dict]) -> list[list[dict]]:
    return [r["events"] for a in affected for r in a["ranges"] if r["type"] == "ECOSYSTEM"]


def test_example_records_match_pypa(shared_data: Path) -> None:
    records = [json.loads(line) for line in EXAMPLE.read_text().splitlines() if line.strip()]
    assert len(records) >= 10
    for rec in records:
        pkg = rec["affected"][0]["package"]["name"]
        src = yaml.safe_load((shared_data / "advisories/osv/pypa-advisory-database/vulns" / pkg / f"{rec['id']}.yaml").read_text())
        assert set(rec["aliases"]) <= set(src.get("aliases", [])), rec["id"]
        assert _ecosystem_events(rec["affected"]) == _ecosystem_events(src["affected"]), rec["id"]


NPM_EXAMPLE = REPO / "examples" / "advisories" / "npm-example.osv.jsonl"


def test_npm_example_records_are_valid_osv(shared_data: Path) -> None:
    """The npm records have no copy in the shared data to compare with (their facts are cited in
    examples/advisories/README.md); they must at least be valid OSV, one GHSA per line, with CVEs."""
    import jsonschema

    schema = json.loads((shared_data / "advisories/osv/osv-schema/validation/schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    records = [json.loads(line) for line in NPM_EXAMPLE.read_text().splitlines() if line.strip()]
    assert len(records) >= 6 and len({r["id"] for r in records}) == len(records)
    for rec in records:
        assert not list(validator.iter_errors(rec)), rec["id"]
        assert rec["id"].startswith("GHSA-") and all(a.startswith("CVE-") for a in rec["aliases"])
        assert {a["package"]["ecosystem"] for a in rec["affected"]} == {"npm"}
        assert all(r["type"] == "SEMVER" for a in rec["affected"] for r in a["ranges"])
