"""Gem::Version ordering and Gem::Requirement against RubyGems' own test vectors."""

from __future__ import annotations

import pytest

from hullcheck.errors import InvalidVersion
from hullcheck.versions import rubygems
from tests.versions._vectors import check_pairs, rows


def _cmp(a: str, b: str) -> int:
    ka, kb = rubygems.parse(a), rubygems.parse(b)
    return (ka > kb) - (ka < kb)


def test_compare(shared_data):
    n, failures = check_pairs(shared_data / "version-vectors/rubygems/compare.tsv", _cmp)
    assert n > 40
    assert failures == []


def test_requirements(shared_data):
    failures = []
    table = rows(shared_data / "version-vectors/rubygems/requirement.tsv", 3)
    for v, req, want in table:
        if str(rubygems.satisfies(v, req)).lower() != want:
            failures.append(f"{v!r} {req!r}: want {want}")
    assert len(table) > 100
    assert failures == []


@pytest.mark.parametrize("bad", ["junk", "1..2", "1.2 3", "-1"])
def test_malformed(bad):
    with pytest.raises(InvalidVersion):
        rubygems.parse(bad)


def test_rubysec_requirements(shared_data):
    """Every requirement of the RubySec database (patched_versions, unaffected_versions) parses,
    and the version each clause names is inside the clause exactly when its operator includes
    equality (>=, <=, =, ~>) and outside otherwise (>, <, !=)."""
    import re

    import yaml

    folder = shared_data / "advisories/osv/other-formats/rubysec-ruby-advisory-db/gems"
    clause = re.compile(r"\s*(>=|<=|!=|~>|=|>|<)?\s*(\S+)\s*")
    checked = 0
    failures = []
    for path in sorted(folder.glob("*/*.yml")):
        adv = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for key in ("patched_versions", "unaffected_versions"):
            for req in adv.get(key) or []:
                for part in req.split(","):
                    m = clause.fullmatch(part)
                    assert m is not None, (path.name, req)
                    op, v = m.group(1) or "=", m.group(2)
                    checked += 1
                    inside = rubygems.satisfies(v, part)
                    if inside != (op in (">=", "<=", "=", "~>")):
                        failures.append((path.name, part))
    assert checked > 2000
    assert failures == []
