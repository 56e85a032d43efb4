"""Alias groups against connected components computed independently from the files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.advisories.conftest import every_nth


def _components(edges: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for start in edges:
        if start in out:
            continue
        seen, todo = {start}, [start]
        while todo:
            for n in edges[todo.pop()]:
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        comp = frozenset(seen)
        for n in comp:
            out[n] = comp
    return out


def test_alias_groups_are_the_alias_graph_components(build, adv: Path) -> None:
    files = (
        every_nth(list((adv / "osv/go-vulndb/data/osv").glob("*.json")), 8)
        + sorted((adv / "osv/osv-records-from-peer-testdata").glob("*.json"))
        + every_nth(list((adv / "osv/rustsec-osv/crates").glob("*.json")), 4)
    )
    store, _ = build(*files)
    edges: dict[str, set[str]] = {}
    related: list[tuple[str, str]] = []
    stored = set(store.ids())
    for f in files:
        rec = json.loads(f.read_text())
        if rec["id"] not in stored:
            continue  # a malformed record
        edges.setdefault(rec["id"], set())
        for a in rec.get("aliases") or []:
            edges[rec["id"]].add(a)
            edges.setdefault(a, set()).add(rec["id"])
        related += [(rec["id"], r) for r in rec.get("related") or []]
    comps = _components(edges)
    for vid, comp in comps.items():
        assert set(store.group(vid)) == comp, vid
    # groups spanning several records exist (GO + GHSA + CVE ...), and "related" joins nothing
    assert any(len(c) >= 3 for c in comps.values())
    separate = [(a, b) for a, b in related if b in comps and b not in comps[a]]
    assert separate
    for a, b in separate:
        assert store.group_id(a) != store.group_id(b)


def test_group_representative_prefers_the_cve(build, adv: Path) -> None:
    f = adv / "osv/go-vulndb/data/osv/GO-2020-0001.json"
    rec = json.loads(f.read_text())
    store, _ = build(f)
    cves = sorted(a for a in rec["aliases"] if a.startswith("CVE-"))
    assert store.group_id(rec["id"]) == cves[0]
    assert store.group_id(cves[0]) == cves[0]
    assert store.group("UNKNOWN-1") == ("UNKNOWN-1",)
