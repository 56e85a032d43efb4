"""The keys of every scheme form a total order (antisymmetric, transitive, consistent with
equality) on random version-like strings, including the class-based Maven key. The shared
vectors check that the order is the right one; this checks that it is an order at all, which
sorting and range evaluation rely on."""

from __future__ import annotations

import itertools
import random

import pytest

from hullcheck import versions
from hullcheck.errors import InvalidVersion

ALPHABETS = {
    "Debian": "0123456789.~+-:ab",
    "Alpine": "0123456789._-rabp",
    "Red Hat": "0123456789.~^-:_ab",
    "Maven": "0123456789.-abcmrs",
    "RubyGems": "0123456789.-ab",
    "Packagist": "0123456789.-abpRC",
    "NuGet": "0123456789.-ab",
}


def _sample(eco: str, rnd: random.Random, n: int) -> list[object]:
    keys = []
    while len(keys) < n:
        s = "".join(rnd.choice(ALPHABETS[eco]) for _ in range(rnd.randint(1, 8)))
        try:
            keys.append(versions.parse(eco, s))
        except InvalidVersion:
            continue
    return keys


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


@pytest.mark.parametrize("eco", sorted(ALPHABETS))
def test_total_order(eco):
    rnd = random.Random(eco)
    keys = _sample(eco, rnd, 60)
    for a, b in itertools.product(keys, repeat=2):
        assert _cmp(a, b) == -_cmp(b, a)
        assert (_cmp(a, b) == 0) == (a == b)
    for a, b, c in itertools.combinations(keys, 3):
        for x, y, z in itertools.permutations((a, b, c)):
            if _cmp(x, y) <= 0 and _cmp(y, z) <= 0:
                assert _cmp(x, z) <= 0
