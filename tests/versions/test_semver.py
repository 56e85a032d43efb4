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


# Advisories whose own vulnerable and patched ranges overlap at a boundary version, as written
# (e.g. 495: "<3.0.16" is vulnerable, and also covers 2.0.18, which "^2.0.18" says is patched).
NODEJS_WG_OVERLAPS = {
    ("336.json", "0.0.0"),  # vulnerable "<=99.999.99999", patched "<=0.0.0"
    ("357.json", "2.15.0"),  # vulnerable ">=2.0.0" (no end), patched ">=2.15.0"
    ("400.json", "5.0.3"),  # vulnerable "<=6.8.5", patched ">=5.0.3 <6.0.0 || >=6.8.6"
    ("490.json", "1.1.7"),  # vulnerable "<2.0.1 || <1.1.7", patched "^1.1.7 || >= 2.0.1"
    ("495.json", "2.0.18"),
    ("495.json", "3.0.16"),
    ("495.json", "3.1.6"),
    ("495.json", "4.0.8"),
    ("92.json", "3.0.0"),  # vulnerable ">= 3.0.0 <=3.0.1", patched ">=2.5.0 <= 3.0.0"
    ("98.json", "3.0.0"),  # vulnerable ">= 3.0.0 <= 3.8.2", patched ">= 2.15.1 <= 3.0.0"
}


def test_nodejs_security_wg_ranges(shared_data):
    """Real npm advisories: every range parses, and no version named by either range is both
    vulnerable and patched, except where the advisory itself says so (listed above)."""
    import json

    folder = shared_data / "advisories/osv/other-formats/nodejs-security-wg/vuln/npm"
    overlaps = set()
    checked = 0
    for path in sorted(folder.glob("*.json")):
        adv = json.loads(path.read_text(encoding="utf-8"))
        vuln, patched = adv.get("vulnerable_versions"), adv.get("patched_versions")
        for rng in (vuln, patched):
            if rng is not None:
                assert semver.valid_range(rng) is not None, (path.name, rng)
        if not vuln or not patched:
            continue
        named = {
            c.semver.version
            for rng in (vuln, patched)
            for s in semver.parse_range(rng).sets
            for c in s
            if isinstance(c.semver, semver.SemVer)
        }
        for v in named:
            checked += 1
            if semver.satisfies(v, vuln) and semver.satisfies(v, patched):
                overlaps.add((path.name, v))
    assert checked > 500
    assert overlaps == NODEJS_WG_OVERLAPS
