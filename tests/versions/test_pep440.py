"""PEP 440 through packaging, against packaging's own vectors."""

from __future__ import annotations

import pytest

from hullcheck.errors import InvalidVersion, VersionError
from hullcheck.versions import pep440
from tests.versions._vectors import check_pairs, rows


def _cmp(a: str, b: str) -> int:
    ka, kb = pep440.parse(a), pep440.parse(b)
    return (ka > kb) - (ka < kb)


@pytest.mark.parametrize("name", ["compare_sorted_list.tsv", "compare_equivalent.tsv"])
def test_compare(shared_data, name):
    n, failures = check_pairs(shared_data / "version-vectors/pep440" / name, _cmp)
    assert n > 100
    assert failures == []


def test_validity(shared_data):
    failures = []
    for v, ok, *_ in rows(shared_data / "version-vectors/pep440/validity.tsv", 2):
        try:
            pep440.parse(v)
            got = "true"
        except InvalidVersion:
            got = "false"
        if got != ok:
            failures.append(f"{v!r}: want {ok}")
    assert failures == []


def test_specifiers(shared_data):
    failures = []
    table = rows(shared_data / "version-vectors/pep440/specifier.tsv", 3)
    for v, spec, ok in table:
        if str(pep440.satisfies(v, spec)).lower() != ok:
            failures.append(f"{v} in {spec}: want {ok}")
    assert len(table) > 100
    assert failures == []


def test_bad_specifier_is_a_version_error():
    with pytest.raises(VersionError):
        pep440.satisfies("1.0", "=>1.0")
