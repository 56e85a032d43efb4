"""Go module versions against golang.org/x/mod/semver's vectors, and OSV's spellings."""

from __future__ import annotations

import pytest

from hullcheck.errors import InvalidVersion
from hullcheck.versions import golang
from tests.versions._vectors import check_pairs, rows


def _cmp(a: str, b: str) -> int:
    ka, kb = golang.semver_key(a), golang.semver_key(b)
    return (ka > kb) - (ka < kb)


def test_compare(shared_data):
    # x/mod's Compare: invalid strings are equal to each other and sort before valid ones.
    n, failures = check_pairs(shared_data / "version-vectors/go-semver/compare.tsv", _cmp)
    assert n > 1000
    assert failures == []


def test_canonical_and_is_valid(shared_data):
    failures = []
    for v, canon, ok in rows(shared_data / "version-vectors/go-semver/canonical.tsv", 3):
        if golang.canonical(v) != canon or str(golang.is_valid(v)).lower() != ok:
            failures.append(f"{v!r}: want {canon!r}/{ok}")
    assert failures == []


def test_osv_spellings_parse_like_go():
    # OSV writes Go versions without "v"; build metadata (+incompatible) does not order.
    assert golang.parse("1.2.3") == golang.parse("v1.2.3")
    assert golang.parse("v2.0.0+incompatible") == golang.parse("2.0.0")
    assert golang.parse("go1.21.3") == golang.parse("1.21.3")
    # a pseudo-version sorts before the release it precedes
    assert golang.parse("v1.2.4-0.20210101000000-abcdefabcdef") < golang.parse("v1.2.4")
    assert golang.parse("v1.2.4-0.20210101000000-abcdefabcdef") > golang.parse("v1.2.3")


@pytest.mark.parametrize("bad", ["", "1.2.3.4", "v01.2.3", "latest", "v1.2.3-01"])
def test_parse_refuses(bad):
    with pytest.raises(InvalidVersion):
        golang.parse(bad)
