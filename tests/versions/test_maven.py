"""Maven ComparableVersion against Maven's ComparableVersionTest vectors."""

from __future__ import annotations

import pytest

from hullcheck.errors import InvalidVersion
from hullcheck.versions import maven
from tests.versions._vectors import check_pairs


def _undo_double_encoding(s: str) -> str:
    """A few rows of the vector file hold non-ASCII versions whose UTF-8 bytes were decoded as
    Latin-1 and encoded again ("1.Ã©" stands for "1.é"; the test case is that "1.É" equals
    "1.é" ignoring case, which the mangled pair cannot show). Undo that where it applies; true
    UTF-8 rows (like "𝟤") are left as they are."""
    try:
        return s.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


def _cmp(a: str, b: str) -> int:
    return maven.parse(a).cmp(maven.parse(b))


def test_compare(shared_data):
    n, failures = check_pairs(
        shared_data / "version-vectors/maven/compare.tsv", _cmp, _undo_double_encoding
    )
    assert n > 2000
    assert failures == []


def test_key_operators_and_sorting():
    vs = ["1.0", "1.0-alpha-1", "1.0-SNAPSHOT", "1.0-sp1", "1.0.1", "1.0-rc1"]
    ordered = sorted(vs, key=maven.parse)
    assert ordered == ["1.0-alpha-1", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0.1"]
    assert maven.parse("1.0.0") == maven.parse("1")
    assert hash(maven.parse("1.0")) == hash(maven.parse("1"))


def test_empty_is_invalid():
    with pytest.raises(InvalidVersion):
        maven.parse(" ")
