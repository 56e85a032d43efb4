"""apk ordering, validity and fuzzy matching against apk-tools' own vectors."""

from __future__ import annotations

import pytest

from hullcheck.errors import InvalidVersion
from hullcheck.versions import apk
from tests.versions._vectors import check_pairs, rows


def _cmp(a: str, b: str) -> int:
    ka, kb = apk.parse(a), apk.parse(b)
    return (ka > kb) - (ka < kb)


def test_version_data(shared_data):
    n, failures = check_pairs(shared_data / "version-vectors/apk/apk-tools_version_data.tsv", _cmp)
    assert n > 700
    assert failures == []


def test_validity(shared_data):
    failures = []
    table = rows(shared_data / "version-vectors/apk/validity.tsv", 2)
    for v, ok, *_ in table:
        try:
            apk.check(v)
            got = "true"
        except InvalidVersion:
            got = "false"
        if got != ok:
            failures.append(f"{v!r}: want {ok}")
    assert sum(1 for r in table if r[1] == "false") > 20  # invalid ones are really exercised
    assert failures == []


def test_fuzzy_match(shared_data):
    failures = []
    for a, op, b, ok in rows(shared_data / "version-vectors/apk/fuzzy_match.tsv", 4):
        if str(apk.fuzzy_match(a, op, b)).lower() != ok:
            failures.append(f"{a} {op} {b}: want {ok}")
    assert failures == []


def test_revision_and_suffixes():
    assert _cmp("1.2.3-r0", "1.2.3-r1") == -1
    assert _cmp("1.2.3_rc1", "1.2.3") == -1
    assert _cmp("1.2.3_p1", "1.2.3") == 1


def test_empty_is_invalid():
    with pytest.raises(InvalidVersion):
        apk.parse("  ")
