"""node-semver rules against node-semver's own fixtures: comparisons (plain and loose), range
satisfaction (with loose / includePrerelease), range normalisation (validRange), gtr/ltr and
validity."""

from __future__ import annotations

import pytest

from hullcheck.errors import InvalidVersion, VersionError
from hullcheck.versions import semver
from tests.versions._vectors import rows


def _opts(field: str) -> dict[str, bool]:
    flags = set(field.split(",")) if field else set()
    unknown = flags - {"loose", "includePrerelease"}
    assert not unknown, f"option not modelled: {unknown}"
    return {"loose": "loose" in flags, "include_prerelease": "includePrerelease" in flags}


def _field(row: list[str], i: int) -> str:
    return row[i] if len(row) > i else ""


@pytest.mark.parametrize("name", ["compare.tsv", "compare_options.tsv"])
def test_compare(shared_data, name):
    failures = []
    table = rows(shared_data / "version-vectors/npm-semver" / name, 3)
    for row in table:
        a, b, want = row[:3]
        loose = _opts(_field(row, 3))["loose"]
        got = semver.parse_semver(a, loose).compare(semver.parse_semver(b, loose))
        if got != int(want):
            failures.append(f"{a!r} vs {b!r} loose={loose}: want {want}, got {got}")
    assert len(table) > 40
    assert failures == []


@pytest.mark.parametrize("name", ["range.tsv", "range_options.tsv"])
def test_satisfies(shared_data, name):
    failures = []
    table = rows(shared_data / "version-vectors/npm-semver" / name, 3)
    for row in table:
        v, rng, want = row[:3]
        opts = _opts(_field(row, 3))
        if str(semver.satisfies(v, rng, **opts)).lower() != want:
            failures.append(f"{v!r} in {rng!r} {opts}: want {want}")
    assert sum(1 for r in table if r[2] == "false") > 10
    assert failures == []


def test_valid_range(shared_data):
    # Each row: range, what validRange prints (empty when the third field says INVALID).
    failures = []
    table = rows(shared_data / "version-vectors/npm-semver/range_parse.tsv", 2)
    for row in table:
        rng, expect = row[0], row[1]
        invalid = _field(row, 2) == "INVALID"
        got = semver.valid_range(rng, **_opts(_field(row, 3)))
        want = None if invalid else expect
        if got != want:
            failures.append(f"{rng!r}: want {want!r}, got {got!r}")
    assert len(table) > 100
    assert failures == []


def test_outside(shared_data):
    failures = []
    table = rows(shared_data / "version-vectors/npm-semver/outside_range.tsv", 3)
    for row in table:
        v, rng, result = row[:3]
        fn, want = result.split("=")
        check = semver.gtr if fn == "gtr" else semver.ltr
        got = str(check(v, rng, **_opts(_field(row, 3)))).lower()
        if got != want:
            failures.append(f"{fn}({v!r}, {rng!r}): want {want}")
    assert {r[2].split("=")[0] for r in table} == {"gtr", "ltr"}
    assert failures == []


def test_validity(shared_data):
    failures = []
    for row in rows(shared_data / "version-vectors/npm-semver/validity.tsv", 2):
        v, want = row[0], row[1]
        if str(semver.valid(v)).lower() != want:
            failures.append(f"{v[:40]!r}: want {want}")
    assert failures == []


def test_invalid_inputs_raise_version_errors():
    with pytest.raises(InvalidVersion):
        semver.parse_semver("1.2")
    with pytest.raises(VersionError):
        semver.parse_range("1.x.5")
    assert semver.satisfies("glorp", ">=1.0.0") is False
