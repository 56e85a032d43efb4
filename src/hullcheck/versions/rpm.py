"""RPM versions (``[epoch:]version[-release]``), ordered as rpm's ``rpmvercmp`` orders them.

rpmvercmp walks both strings token by token, skipping separators (anything but ASCII letters,
digits, ``~`` and ``^``). Its outcomes give a total order on tokens:
``~`` < end of string < ``^`` < letter run < digit run; letter runs compare as bytes, digit runs
as numbers. So each of version and release becomes a flat tuple of (kind[, value]) items ending
with the end-of-string kind, and tuple comparison reproduces rpmvercmp.
"""

from __future__ import annotations

import re

from hullcheck.errors import InvalidVersion

NAME = "rpm"

_TILDE, _END, _CARET, _ALPHA, _NUM = 0, 1, 2, 3, 4
_TOKEN = re.compile(r"~|\^|[A-Za-z]+|[0-9]+")

Key = tuple[int, tuple[object, ...], tuple[object, ...]]


def _encode(s: str) -> tuple[object, ...]:
    out: list[object] = []
    for tok in _TOKEN.findall(s):
        if tok == "~":
            out.append(_TILDE)
        elif tok == "^":
            out.append(_CARET)
        elif tok[0].isdigit():
            out += (_NUM, int(tok))
        else:
            out += (_ALPHA, tok)
    out.append(_END)
    return tuple(out)


def split(version: str) -> tuple[int, str, str]:
    v = version.strip()
    if not v:
        raise InvalidVersion(NAME, version, "empty version")
    epoch = 0
    head, colon, rest = v.partition(":")
    if colon:
        if head:
            if not (head.isascii() and head.isdigit()):
                raise InvalidVersion(NAME, version, "epoch is not a number")
            epoch = int(head)
        v = rest
    ver, hyphen, rel = v.rpartition("-")
    if not hyphen:
        ver, rel = v, ""
    if not ver:
        raise InvalidVersion(NAME, version, "empty version part")
    return epoch, ver, rel


def parse(version: str) -> Key:
    """Key for an EVR string. A missing epoch is 0; a missing release sorts before any release."""
    epoch, ver, rel = split(version)
    return (epoch, _encode(ver), _encode(rel))


def vercmp(a: str, b: str) -> int:
    """rpmvercmp on two bare version (or release) strings."""
    ka, kb = _encode(a), _encode(b)
    return (ka > kb) - (ka < kb)
