"""The OSV, Debian tracker and Alpine/Wolfi secdb importers on mutated real feed files.

Each example writes one mutated file (JSON, YAML or JSON lines) and imports it into a fresh
database with ``import_paths``, as ``hullcheck db import`` does. Contract (advisories/importer.py):
a malformed record is skipped and counted, a file that does not parse counts as one malformed
record, and no exception escapes the importer.
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from hullcheck.advisories.importer import ImportReport, import_paths
from hullcheck.advisories.store import AdvisoryStore
from tests.conftest import data_root, need
from tests.fuzz._util import CUT, EDITS, json_mutations, mutate_bytes, within
from tests.fuzz.conftest import fuzz

VUNNEL = "distro/vunnel-provider-fixtures/tests/unit/providers"
SEED_FILES = {
    "osv": ["osv/ghsa-subset/GHSA-23qq-p4gq-gc2g.json", "osv/ghsa-subset/GHSA-2g68-c3qc-8985.json"],
    "debian": ["distro/osv-dev-testdata/vulnfeeds/test_data/debian/debian_security_tracker_mock.json"],
    "alpine": ["distro/alpine-secdb-legacy/v3.10/main.yaml"],
    "wolfi": [f"{VUNNEL}/wolfi/test-fixtures/input/secdb/security.json"],
}


def _trim(kind: str, doc: Any) -> Any:
    """Keep seeds small (a few packages), so that mutations land on interesting nodes."""
    if kind in ("alpine", "wolfi") and isinstance(doc.get("packages"), list):
        return {**doc, "packages": doc["packages"][:4]}
    if kind == "debian":
        return dict(list(doc.items())[:4])
    return doc


@cache
def seeds() -> dict[str, list[Any]]:
    root = data_root() / "advisories"
    out: dict[str, list[Any]] = {}
    for kind, rels in SEED_FILES.items():
        docs = []
        for rel in rels:
            p = root / rel
            if p.is_file():
                # BaseLoader keeps every scalar a string, as secdb versions must stay
                raw = yaml.load(p.read_text(), Loader=yaml.BaseLoader) if p.suffix == ".yaml" else json.loads(p.read_text())
                docs.append(_trim(kind, raw))
        out[kind] = docs
    return out


# Creating a database syncs once per schema statement: on tmpfs that costs nothing.
_TMP = "/dev/shm" if Path("/dev/shm").is_dir() else None


def _import(name: str, data: bytes) -> tuple[ImportReport, int]:
    with tempfile.TemporaryDirectory(dir=_TMP) as t:
        f = Path(t) / "feed" / name
        f.parent.mkdir()
        f.write_bytes(data)
        db = Path(t) / "db.sqlite"
        report = within(30, lambda: import_paths([str(f.parent)], db, fresh=True))
        store = AdvisoryStore(db)
        try:
            stored = sum(s.records for s in report.sources.values() if s.kind not in ("kev", "epss"))
        finally:
            store.close()
        return report, stored


def _accounted(report: ImportReport, name: str) -> None:
    """The file was either recognised (a source counts it) or listed as ignored."""
    files = sum(s.files for s in report.sources.values())
    ignored = [p for p in report.ignored if p.endswith(name)]
    assert files + len(ignored) >= 1 or report.malformed >= 1, report
    for s in report.sources.values():
        assert s.malformed >= len(s.problems)


KINDS = sorted(SEED_FILES)


@pytest.mark.parametrize("kind", KINDS)
def test_seeds_import(kind: str) -> None:
    docs = seeds()[kind]
    need(docs, f"advisory seed files for {kind} (shared data)")
    for doc in docs:
        report, stored = _import("seed.json", json.dumps(doc).encode())
        assert stored >= 1 and report.malformed == 0, report


@pytest.mark.parametrize("kind", KINDS)
@fuzz(1)
@given(data=st.data(), as_yaml=st.booleans())
def test_mutated_documents(kind: str, data: st.DataObject, as_yaml: bool) -> None:
    docs = seeds()[kind]
    need(docs, f"advisory seed files for {kind} (shared data)")
    doc = data.draw(json_mutations(data.draw(st.sampled_from(docs), label="seed"), max_edits=5), label="mutated")
    if as_yaml:
        report, _ = _import("feed.yaml", yaml.safe_dump(doc, allow_unicode=True).encode())
    else:
        report, _ = _import("feed.json", json.dumps(doc).encode())
    _accounted(report, "feed.yaml" if as_yaml else "feed.json")


@fuzz(1)
@given(kind=st.sampled_from(KINDS), ext=st.sampled_from(["json", "yaml", "jsonl"]), edits=EDITS, cut=CUT)
def test_mutated_bytes(kind: str, ext: str, edits: list[tuple[float, bytes, int]], cut: float | None) -> None:
    docs = seeds()[kind]
    need(docs, f"advisory seed files for {kind} (shared data)")
    if ext == "jsonl":
        raw = b"\n".join(json.dumps(d).encode() for d in docs * 2)
    elif ext == "yaml":
        raw = yaml.safe_dump(docs[0]).encode()
    else:
        raw = json.dumps(docs[0]).encode()
    report, _ = _import(f"feed.{ext}", mutate_bytes(raw, edits, cut))
    _accounted(report, f"feed.{ext}")


@fuzz(1)
@given(ext=st.sampled_from(["json", "yaml", "yml", "jsonl", "csv", "zip"]), body=st.binary(max_size=400))
def test_noise(ext: str, body: bytes) -> None:
    report, stored = _import(f"x.{ext}", body)
    assert stored == 0
    _accounted(report, f"x.{ext}")


# Crashes the harnesses found, kept as plain cases: each file must import with the bad part
# counted as malformed and the good part stored.
GOOD_OSV = {"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "x"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}]}]}


def test_regression_osv_range_type_not_a_string() -> None:
    bad = json.loads(json.dumps(GOOD_OSV))
    bad["affected"][0]["ranges"][0]["type"] = ["ECOSYSTEM"]  # was: TypeError unhashable list
    report, stored = _import("bad.json", json.dumps(bad).encode())
    assert stored == 0 and report.malformed == 1
    assert "is not SEMVER, ECOSYSTEM or GIT" in next(iter(report.sources.values())).problems[0][1]


def test_regression_secdb_without_packages() -> None:
    doc = {"apkurl": "{{urlprefix}}/x.apk", "urlprefix": "https://packages.wolfi.dev", "reponame": "os"}
    report, stored = _import("security.json", json.dumps(doc).encode())  # was: KeyError 'packages'
    assert stored == 0 and report.malformed == 0
    assert [s.kind for s in report.sources.values()] == ["alpine-secdb"]


def test_regression_secfix_id_of_blanks() -> None:
    doc = {"distroversion": "v3.19", "reponame": "main", "apkurl": "x", "packages": [
        {"pkg": {"name": "musl", "secfixes": {"1.2.4-r1": [" ", "CVE-2024-0001"]}}}]}
    report, stored = _import("main.json", json.dumps(doc).encode())  # was: IndexError on " ".split()[0]
    assert stored == 1 and report.malformed == 1
