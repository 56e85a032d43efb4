"""Everything in the shared advisories folder at once, as the benchmark does it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from hullcheck.advisories.importer import import_paths
from hullcheck.advisories.store import AdvisoryStore
from tests.advisories.test_osv_import import _expected_entries, listed_path


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


@pytest.mark.slow
def test_import_everything(adv: Path, tmp_path: Path) -> None:
    db = tmp_path / "advisories.db"
    # the 60 s import target is measured by bench/advisories_bench.py, not here
    report = import_paths([str(adv)], db, fresh=True)
    rejected = {w for s in report.sources.values() for w, _ in s.problems}
    with AdvisoryStore.open(db) as store:
        ids = set(store.ids())
        index = [json.loads(x) for x in (adv / "osv/index.jsonl").read_text().splitlines()]
        by_id: dict[str, list[dict]] = {}
        for row in index:
            by_id.setdefault(row["id"], []).append(row)
        twins = {}  # the YAML feeds' JSON-lines copies: an oracle independent of the YAML loader
        for name in ("pypa-advisory-database.as-json.jsonl", "oss-fuzz-vulns.as-json.jsonl"):
            for line in (adv / "osv" / name).read_text().splitlines():
                rec = json.loads(line)
                twins[rec["id"]] = rec
        missing = []
        compared = 0
        for vid, rows in by_id.items():
            if vid not in ids:
                missing += [str(listed_path(adv, r["path"])) for r in rows]
                continue
            # the same id in two folders (e.g. a GO record also in the peer test data): the copy
            # with the latest "modified" is kept
            got = store.get(vid)
            newest = max(_t(r["modified"]) for r in rows)
            cands = [r for r in rows if _t(r["modified"]) == newest]
            assert any(set(got.aliases) == set(r["aliases"] or []) for r in cands), vid
            assert any(
                {a.package for a in got.affected} >= set(r["packages"] or []) for r in cands
            ), vid
            # and the affected entries are exactly those of the file the stored copy came from,
            # which is one of the newest copies (possibly an unindexed one, e.g. a linter sample)
            origin = got.origin
            if origin.endswith(".yaml") or ".jsonl:" in origin:
                source = twins[vid]
            else:
                source = json.loads(Path(origin).read_text())
            assert source["id"] == vid and _t(source["modified"]) >= newest, vid
            assert [dict(a.affected) for a in got.affected] == _expected_entries(source), vid
            compared += 1
        # every indexed record is stored, except the ones the import reported as malformed
        assert set(missing) <= rejected
        assert len(missing) == 1  # the typeless range of CVE-2023-2727 (peer test data)
        assert compared == len(by_id) - 1
        st = store.status()
        assert {s.kind for s in st.sources} == {
            "osv",
            "alpine-secdb",
            "debian-tracker",
            "kev",
            "epss",
        }
        assert sum(s.malformed for s in st.sources) == report.malformed
        assert st.kev > 0 and st.epss > 0
