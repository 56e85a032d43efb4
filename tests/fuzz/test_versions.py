"""Every version scheme (hullcheck.versions.SCHEMES) on any string.

Contract: ``parse`` returns a key or raises ``InvalidVersion``; keys of one scheme compare with
each other without raising, antisymmetrically; ``validate`` and the OSV SEMVER parser raise
only ``InvalidVersion``; ``scheme_for`` only ``UnknownEcosystemError``.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hullcheck import versions
from hullcheck.errors import InvalidVersion, UnknownEcosystemError
from tests.fuzz.conftest import fuzz

# One OSV ecosystem per scheme, so that validate() (which takes an ecosystem) covers them all.
ECOSYSTEM_OF = {}
for eco, scheme in versions.ECOSYSTEMS.items():
    ECOSYSTEM_OF.setdefault(scheme, eco)
SCHEME_NAMES = sorted(versions.SCHEMES)

VERSIONISH = st.text(alphabet="0123456789.-+~^:_abcdeprvxRCαβ ", max_size=24)
ANY_TEXT = st.text(max_size=40)
EDGE = st.sampled_from(["", " ", ".", "-", "~", ":", "0:", "1:", "1.0-", "v", "v1", "1..2", "1.-1", "0" * 400,
                        "9" * 40, "1e400", "١٢٣", "1.0\x00", "1.0\n2", "-1", "1:2:3-4-5", "1.0_p1_rc2-r-1",
                        "[1.0,2.0)", "*", "^1.2", ">=1", "1.0.0-alpha..1", "1.0.0+build", "x" * 1100])
VERSIONS = VERSIONISH | ANY_TEXT | EDGE


def _parse(scheme: versions.Scheme, v: str) -> Any:
    try:
        return scheme.parse(v)
    except InvalidVersion as e:
        assert "\n" not in e.diagnostics()
        return None


@pytest.mark.parametrize("name", SCHEME_NAMES)
def test_every_scheme_is_reachable_from_an_ecosystem(name: str) -> None:
    assert versions.scheme_for(ECOSYSTEM_OF[name]) is versions.SCHEMES[name]


@pytest.mark.parametrize("name", SCHEME_NAMES)
@fuzz(4)
@given(a=VERSIONS, b=VERSIONS)
@example(a="1.0", b="1.0")
@example(a="1.0", b="x" * 1100)
def test_parse_is_total_and_keys_compare(name: str, a: str, b: str) -> None:
    scheme = versions.SCHEMES[name]
    ka, kb = _parse(scheme, a), _parse(scheme, b)
    if ka is None or kb is None:
        return
    lt, gt, eq = ka < kb, ka > kb, ka == kb
    assert [lt, gt, eq].count(True) == 1, (a, b)
    assert scheme.compare(a, b) == -scheme.compare(b, a)
    with contextlib.suppress(InvalidVersion):
        versions.validate(ECOSYSTEM_OF[name], a)


@fuzz(4)
@given(v=VERSIONS)
def test_osv_semver_parser_is_total(v: str) -> None:
    with contextlib.suppress(InvalidVersion):
        versions.semver2_parse(v)


@fuzz(4)
@given(eco=st.text(max_size=30) | st.sampled_from(["Root:", "Root:Root:Debian:12", "debian:", ":", "Red Hat::"]))
def test_scheme_for_is_total(eco: str) -> None:
    try:
        assert versions.scheme_for(eco).name in versions.SCHEMES
    except UnknownEcosystemError as e:
        assert "\n" not in e.diagnostics()
