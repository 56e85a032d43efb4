"""Debian package versions (``[epoch:]upstream[-revision]``), ordered as dpkg orders them.

The key is a plain tuple so that sorting and comparing run in C. Upstream and revision are each
encoded as one flat tuple of ints: for every (non-digit run, digit run) pair, the weights of the
non-digit characters, a 0 terminator, then the number. dpkg's character order is
``~`` < end of run < letters < everything else, so ``~`` weighs -1, letters their code point and
other characters their code point + 256. A final 0 stands for "end of string": it meets, at the
same position in a longer version, the first weight of a new non-digit run, which is never 0, so
plain tuple comparison gives dpkg's answer (see ``_encode``).
"""

from __future__ import annotations

import re

from hullcheck.errors import InvalidVersion

NAME = "dpkg"

Key = tuple[int, tuple[int, ...], tuple[int, ...]]

_RUN = re.compile(r"(\D*)(\d*)")
_UPSTREAM_OK = re.compile(r"[0-9][A-Za-z0-9.+~:-]*")
_REVISION_OK = re.compile(r"[A-Za-z0-9.+~]*")
_INT_MAX = 2**31 - 1


def _weight(c: str) -> int:
    if c == "~":
        return -1
    if c.isascii() and c.isalpha():
        return ord(c)
    return ord(c) + 256


def _encode(s: str) -> tuple[int, ...]:
    out: list[int] = []
    for nondigit, digits in _RUN.findall(s):
        if not nondigit and not digits:
            continue
        out.extend(_weight(c) for c in nondigit)
        out.append(0)
        out.append(int(digits) if digits else 0)
    if not out:
        # The empty string is one empty pair ("", 0): "" == "0" in dpkg.
        out = [0, 0]
    out.append(0)
    return tuple(out)


def split(version: str) -> tuple[int, str, str]:
    """(epoch, upstream, revision); raises InvalidVersion on what dpkg's parser refuses."""
    v = version.strip()
    if not v:
        raise InvalidVersion(NAME, version, "empty version")
    if any(c.isspace() for c in v):
        raise InvalidVersion(NAME, version, "embedded whitespace")
    epoch = 0
    head, colon, rest = v.partition(":")
    if colon:
        if not head:
            raise InvalidVersion(NAME, version, "empty epoch")
        if not (head.isascii() and head.isdigit()):
            raise InvalidVersion(NAME, version, "epoch is not a number")
        epoch = int(head)
        if epoch > _INT_MAX:
            raise InvalidVersion(NAME, version, "epoch too big")
        v = rest
        if not v:
            raise InvalidVersion(NAME, version, "nothing after the epoch")
    upstream, hyphen, revision = v.rpartition("-")
    if not hyphen:
        upstream, revision = v, ""
    elif not revision:
        raise InvalidVersion(NAME, version, "empty revision")
    if not upstream:
        raise InvalidVersion(NAME, version, "empty upstream version")
    return epoch, upstream, revision


def parse(version: str) -> Key:
    """Key for ``version``. Lenient like dpkg's comparison: odd characters and an upstream that
    does not start with a digit only make dpkg warn, so they still get a key (``check`` is strict).
    """
    epoch, upstream, revision = split(version)
    return (epoch, _encode(upstream), _encode(revision))


def check(version: str) -> None:
    """Strict validity: also refuse what dpkg only warns about (odd characters, no leading
    digit)."""
    _epoch, upstream, revision = split(version)
    if not _UPSTREAM_OK.fullmatch(upstream):
        raise InvalidVersion(NAME, version, "bad upstream version")
    if not _REVISION_OK.fullmatch(revision):
        raise InvalidVersion(NAME, version, "bad revision")
