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


def test_real_secdb_versions(shared_data):
    """The versions that Alpine's (legacy) secdb names as fixes: all can be compared, and the
    strict check flags exactly the malformed ones, each with a visible defect."""
    import re

    import yaml

    defects = re.compile(
        r".*\.-r\d+"  # empty component before the revision: 4.8.0.-r1
        r"|.*\.r-?r?\d+"  # revision written as a dotted component: 0.8.21.r2, 2.15.r-r1
        r"|[^-]*-\d+-r\d+"  # a Debian-style "-N" before the revision: 4.10-1-r1
        r"|[^-]*-\d+"  # a Debian-style revision without "r": 2.7.16-33
        r"|.*\d[a-z]\d.*"  # letter and number without "_": 6.6.2p1-r0
    )
    folder = shared_data / "advisories/distro/alpine-secdb-legacy"
    seen = invalid = 0
    for path in sorted(folder.glob("v*/*.yaml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for pkg in doc.get("packages") or []:
            for v in pkg["pkg"].get("secfixes") or {}:
                v = str(v)
                seen += 1
                apk.parse(v)  # comparable, like apk-tools compares it
                try:
                    apk.check(v)
                except InvalidVersion:
                    invalid += 1
                    assert defects.fullmatch(v), f"{path.parent.name}: {v!r} refused"
    assert seen > 4000
    assert 0 < invalid < 50
