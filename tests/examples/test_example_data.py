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
