"""dpkg ordering and validity against dpkg's own test vectors (Dpkg_Version.t, t-version.c)."""

from __future__ import annotations

import random

import pytest

from hullcheck.errors import InvalidVersion
from hullcheck.versions import dpkg
from tests.versions._vectors import check_pairs, rows


def _cmp(a: str, b: str) -> int:
    ka, kb = dpkg.parse(a), dpkg.parse(b)
    return (ka > kb) - (ka < kb)


@pytest.mark.parametrize(
    "name",
    ["dpkg_Dpkg_Version_t_DATA.tsv", "dpkg_Dpkg_Version_t_sortlists.tsv", "dpkg_t-version_c.tsv"],
)
def test_compare_vectors(shared_data, name):
    n, failures = check_pairs(shared_data / "version-vectors/deb" / name, _cmp)
    assert n > 20
    assert failures == []


def test_validity_vectors(shared_data):
    # Each row: version, true/false, where it comes from. t-version.c's "(warn)" rows are
    # versions dpkg only warns about; ``check`` is the strict test that refuses them too, while
    # ``parse`` accepts them so that comparison works as dpkg's does.
    failures = []
    table = rows(shared_data / "version-vectors/deb/validity.tsv", 2)
    for v, ok, *_why in table:
        try:
            dpkg.check(v)
            got = "true"
        except InvalidVersion:
            got = "false"
        if got != ok:
            failures.append(f"{v!r}: want {ok}")
    assert len(table) > 50
    assert failures == []


def _reference_verrevcmp(a: str, b: str) -> int:
    """dpkg's verrevcmp as the straightforward character loop, to check the tuple encoding."""

    def order(c: str) -> int:
        if c.isdigit():
            return 0
        if c.isascii() and c.isalpha():
            return ord(c)
        if c == "~":
            return -1
        return ord(c) + 256

    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = order(a[i]) if i < len(a) else 0
            bc = order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def test_encoding_matches_the_character_loop_on_random_versions():
    rnd = random.Random(1234)
    alphabet = "0123456789.~+-abzAZ"
    for _ in range(5000):
        a = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 7)))
        b = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 7)))
        want = (_reference_verrevcmp(a, b) > 0) - (_reference_verrevcmp(a, b) < 0)
        ka, kb = dpkg._encode(a), dpkg._encode(b)
        assert (ka > kb) - (ka < kb) == want, (a, b)


@pytest.mark.parametrize("bad", ["", "  ", "1:", ":1", "1.0-", "a:1", "1 2", "99999999999:1"])
def test_parse_refuses(bad):
    with pytest.raises(InvalidVersion):
        dpkg.parse(bad)
