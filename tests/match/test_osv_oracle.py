"""The matcher against an outside answer: what api.osv.dev returned for 971 package versions.

For the language ecosystems whose records are (at least partly) in the shared data, every
recorded ID must be matched by hullcheck (directly or through an alias), and every hullcheck
finding must be in the recorded answer, except for differences explained here:

- a recorded ID that is not a record of our snapshot (we hold neither it nor, for PyPI, the GHSA
  record OSV answered from) cannot be found: counted, with its share checked per ecosystem;
- a finding whose advisory appeared after the recording is new: its published date is later
  than that of every recorded ID of the same recording, or, for records without a date (the Go
  vulndb snapshot leaves 2026 records at 0001-01-01), its sequential ID (GO-2026-NNNN) is
  higher than every recorded ID of that series;
- a few individual records whose snapshot version differs from what OSV served then (below).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from hullcheck.match.matcher import Matcher
from hullcheck.model import Package, PackageType

RECORDINGS = "advisories/osv/osv-dev-api-recordings/querybatch.jsonl"
TYPES = {
    "PyPI": PackageType.PYTHON,
    "Go": PackageType.GO_MODULE,
    "crates.io": PackageType.RUST_CRATE,
    "npm": PackageType.NPM,
    "Maven": PackageType.JAVA_ARCHIVE,
    "RubyGems": PackageType.GEM,
    "NuGet": PackageType.NUGET,
    "Packagist": PackageType.COMPOSER,
}

# (ecosystem, package, version, id) -> why hullcheck's answer differs from the recorded one
EXPLAINED = {
    ("PyPI", "urllib3", "1.24.3", "CVE-2021-33503"): (
        "extra: the snapshot's PYSEC-2021-108 has ECOSYSTEM introduced 0 / fixed 1.26.5 and lists 1.24.3 "
        "in its versions; the live answer at recording time carried neither it nor its aliases"
    ),
    ("Go", "stdlib", "*", "CVE-2026-39821"): (
        "extra: GO-2026-5026 is about golang.org/x/net/idna; the snapshot's record also lists stdlib with "
        "fixes in 1.25.13 / 1.26.6 (releases after the recording), so the stdlib entry was added later"
    ),
}


SERIAL = re.compile(r"^([A-Z]+-\d{4})-(\d+)$")


def _dated(published: str) -> str:
    return "" if not published or published.startswith("0001-") else published


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> AdvisoryStore:
    db = tmp_path_factory.mktemp("oracle") / "all.db"
    import_paths([str(shared_data / "advisories")], db, fresh=True)
    s = AdvisoryStore.open(db)
    yield s
    s.close()


def test_matches_the_recorded_osv_answers(store: AdvisoryStore, shared_data: Path) -> None:
    lines = [json.loads(x) for x in (shared_data / RECORDINGS).read_text().splitlines() if x.strip()]
    # the recording time of each cassette, from the newest recorded ID we hold
    cutoff: dict[str, str] = defaultdict(str)
    last_serial: dict[tuple[str, str], int] = defaultdict(int)
    for q in lines:
        for r in q["vuln_ids"]:
            adv = store.get(r)
            if adv is not None:
                cutoff[q["source"]] = max(cutoff[q["source"]], _dated(adv.published))
            m = SERIAL.match(r)
            if m:
                key = (q["source"], m.group(1))
                last_serial[key] = max(last_serial[key], int(m.group(2)))

    def after_recording(ids: tuple[str, ...], source: str) -> bool:
        for i in ids:
            adv = store.get(i)
            if adv is None:
                continue
            if _dated(adv.published):
                if _dated(adv.published) > cutoff[source]:
                    return True
                continue
            m = SERIAL.match(i)
            if m and last_serial[(source, m.group(1))] and int(m.group(2)) > last_serial[(source, m.group(1))]:
                return True
        return False

    matcher = Matcher(store)
    stats: Counter[str] = Counter()
    unexplained: list[str] = []
    explained_seen: set[tuple[str, str, str, str]] = set()
    for q in lines:
        eco = q["ecosystem"]
        if eco not in TYPES or not q["version"]:
            continue
        pkg = Package(name=q["name"], version=q["version"], type=TYPES[eco], ecosystem=eco)
        findings, problems = matcher.match_one(pkg)
        assert not problems, problems
        covered = {i for f in findings for i in (f.id, *f.aliases)}
        recorded = set(q["vuln_ids"])
        for r in sorted(recorded):
            if r in covered:
                stats[f"{eco} same"] += 1
            elif store.get(r) is None:
                stats[f"{eco} not in snapshot"] += 1
            else:
                unexplained.append(f"missing {eco} {q['name']} {q['version']} {r}")
        for f in findings:
            ids = (f.id, *f.aliases)
            if recorded & set(ids):
                continue
            for key in ((eco, q["name"], q["version"], f.id), (eco, q["name"], "*", f.id)):
                if key in EXPLAINED:
                    explained_seen.add(key)
                    break
            else:
                key = None
            if key is not None:
                continue
            if after_recording(ids, q["source"]):
                stats[f"{eco} published after the recording"] += 1
                continue
            unexplained.append(f"extra {eco} {q['name']} {q['version']} {f.id} {ids}")
    assert not unexplained, "\n".join(unexplained)
    assert explained_seen == set(EXPLAINED), "an explained difference no longer occurs: update EXPLAINED"
    # where the snapshot is complete (Go vulndb, RustSec, PyPA), most answers must be reproduced
    assert stats["Go same"] >= 300
    assert stats["PyPI same"] >= 40
