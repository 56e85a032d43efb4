"""Alias groups: ids that name the same vulnerability (GHSA, PYSEC, GO, RUSTSEC, CVE, DSA, ...).

A union-find over each record's ``id`` and ``aliases`` (``related`` means "connected", not "the
same", and ``upstream`` can list several CVEs, so neither joins groups). The representative of a
group is its smallest CVE id, else its smallest GHSA id, else its smallest id, so it does not
depend on the order the records came in.
"""

from __future__ import annotations

from collections.abc import Iterable


class UnionFind:
    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self._parent
        root = parent.setdefault(x, x)
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def items(self) -> Iterable[str]:
        return list(self._parent)


def _rank(vid: str) -> tuple[int, str]:
    if vid.startswith("CVE-"):
        return (0, vid)
    if vid.startswith("GHSA-"):
        return (1, vid)
    return (2, vid)


def alias_groups(records: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """Map every id (record ids and the aliases they name) to its group representative."""
    uf = UnionFind()
    for rid, aliases in records:
        uf.find(rid)
        for a in aliases:
            if a and a != rid:
                uf.union(rid, a)
    members: dict[str, list[str]] = {}
    for x in uf.items():
        members.setdefault(uf.find(x), []).append(x)
    out: dict[str, str] = {}
    for group in members.values():
        rep = min(group, key=_rank)
        for x in group:
            out[x] = rep
    return out
