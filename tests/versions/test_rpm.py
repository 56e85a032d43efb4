"""rpm ordering against rpm's own rpmvercmp.at vectors, plus EVR handling."""

from __future__ import annotations

import random
import re

import pytest

from hullcheck.errors import InvalidVersion
from hullcheck.versions import rpm
from tests.versions._vectors import check_pairs


def test_rpmvercmp_vectors(shared_data):
    n, failures = check_pairs(shared_data / "version-vectors/rpm/rpm_rpmvercmp_at.tsv", rpm.vercmp)
    assert n > 80
    assert failures == []


def _reference_rpmvercmp(a: str, b: str) -> int:
    """rpmvercmp as rpm's C loop, written plainly, to check the tuple encoding."""
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not (a[i].isascii() and a[i].isalnum()) and a[i] not in "~^":
            i += 1
        while j < len(b) and not (b[j].isascii() and b[j].isalnum()) and b[j] not in "~^":
            j += 1
        ca = a[i] if i < len(a) else ""
        cb = b[j] if j < len(b) else ""
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        if ca == "^" or cb == "^":
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not (ca and cb):
            break
        pat = r"[0-9]+" if ca.isdigit() else r"[A-Za-z]+"
        ma, mb = re.match(pat, a[i:]), re.match(pat, b[j:])
        sa = ma.group(0) if ma else ""
        sb = mb.group(0) if mb else ""
        if not sb:
            return 1 if ca.isdigit() else -1
        if ca.isdigit():
            na, nb = int(sa), int(sb)
            if na != nb:
                return 1 if na > nb else -1
        elif sa != sb:
            return 1 if sa > sb else -1
        i, j = i + len(sa), j + len(sb)
    ra, rb = i >= len(a), j >= len(b)
    if ra and rb:
        return 0
    return -1 if ra else 1


def test_encoding_matches_the_c_loop_on_random_versions():
    rnd = random.Random(99)
    alphabet = "0129.~^_+abAZ"
    for _ in range(5000):
        a = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6)))
        b = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6)))
        assert rpm.vercmp(a, b) == _reference_rpmvercmp(a, b), (a, b)


def test_evr():
    # A missing epoch is 0; the epoch outranks everything; the release breaks version ties.
    assert rpm.parse("0:1.2-3.el9") == rpm.parse("1.2-3.el9")
    assert rpm.parse("1:1.0-1") > rpm.parse("9.9-9")
    assert rpm.parse("1.2-3.el9") < rpm.parse("1.2-3.el9_1")
    assert rpm.parse("1.2") < rpm.parse("1.2-1")  # no release sorts before any release
    assert rpm.parse("2.0~rc1-1") < rpm.parse("2.0-1")


@pytest.mark.parametrize("bad", ["", "x:1.0", ":-1"])
def test_parse_refuses(bad):
    with pytest.raises(InvalidVersion):
        rpm.parse(bad)
